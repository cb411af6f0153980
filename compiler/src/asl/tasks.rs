//! Statements → the states that run them. Per phase, one shared Athena Task state per
//! statement kind (`<phase>.<statement>`, a `startQueryExecution.sync`) runs the query text
//! found in the item's state; per KPI, one Pass state (`<kpi>.Setup`, `<kpi>.Day`) puts its
//! query texts there, each built by `States.Format` from a literal template over the item's
//! validated `$.day` and `$.attempt`. So a KPI costs the definition its SQL and little else.

use super::types::{Binding, Catcher, Jitter, Pass, Retrier, Task, Transition};
use kpi_contract::manifest::Statement;
use kpi_contract::{Param, Segment, SqlText};
use serde_json::{Value, json};

pub const ATHENA_SYNC: &str = "arn:aws:states:::athena:startQueryExecution.sync";

/// Where the item keeps its validated values; the ItemSelector puts them there.
pub const DAY_PATH: &str = "$.day";
pub const ATTEMPT_PATH: &str = "$.attempt";
pub const KPI_PATH: &str = "$.kpi";
/// Where the KPI state leaves the item's query texts, one key per statement.
pub const SQL_PATH: &str = "$.sql";

/// Errors worth another try with the same request token: the call was refused or broke
/// before a query ran, so reusing the token either starts the query or reconnects to it.
/// A query that itself ended FAILED is not retried: its token would return the same failure.
/// One retrier for all three keeps every Task (and so the definition) small.
pub fn retriers() -> Vec<Retrier> {
    vec![Retrier {
        error_equals: vec![
            "Athena.TooManyRequestsException".into(),
            "Athena.ThrottlingException".into(),
            "Athena.InternalServerException".into(),
        ],
        interval_seconds: 5,
        max_attempts: 6,
        backoff_rate: 2.0,
        max_delay_seconds: 120,
        jitter_strategy: Jitter::Full,
    }]
}

/// Escapes text for a string literal inside an intrinsic function: `' { } \` each get a `\`.
pub fn escape_intrinsic(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        if matches!(c, '\'' | '{' | '}' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Reverses [`escape_intrinsic`] on a template, keeping each unescaped `{}` as a placeholder
/// (`None`) between text pieces. For tests and the local runtime's checks.
pub fn unescape_template(template: &str) -> Vec<Option<String>> {
    let mut parts = Vec::new();
    let mut text = String::new();
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(next) = chars.next() {
                    text.push(next);
                }
            }
            '{' if chars.peek() == Some(&'}') => {
                chars.next();
                parts.push(Some(std::mem::take(&mut text)));
                parts.push(None);
            }
            c => text.push(c),
        }
    }
    parts.push(Some(text));
    parts
}

fn param_path(p: Param) -> &'static str {
    match p {
        Param::FirstDay | Param::LastDay => DAY_PATH,
        // The lake exists only locally; Athena statements never contain it.
        Param::Attempt | Param::Lake => ATTEMPT_PATH,
    }
}

/// A backslash, as an intrinsic argument. The documented escape `\\` inside the template is
/// rejected by asl-validator's path grammar (it accepts `\'`, `\{`, `\}` only), so each
/// backslash of the SQL text becomes a `{}` filled by this instead.
pub const BACKSLASH_ARG: &str = "States.Base64Decode('XA==')";

/// `States.Format('<escaped text with {} per parameter>', <paths>)`; plain text without
/// parameters is still wrapped, so every query string is built the same way.
pub fn format_expression(sql: &SqlText) -> String {
    let mut template = String::new();
    let mut args = Vec::new();
    for segment in &sql.segments {
        match segment {
            Segment::Text { text: t } => {
                for (i, piece) in t.split('\\').enumerate() {
                    if i > 0 {
                        template.push_str("{}");
                        args.push(BACKSLASH_ARG);
                    }
                    template.push_str(&escape_intrinsic(piece));
                }
            }
            Segment::Param { param: p } => {
                template.push_str("{}");
                args.push(param_path(*p));
            }
        }
    }
    let mut out = format!("States.Format('{template}'");
    for a in args {
        out.push_str(", ");
        out.push_str(a);
    }
    out.push(')');
    out
}

/// The attempt (64 hex characters hashed from the execution, the KPI and the day) and the
/// statement: a duplicated start of the same attempt reconnects to its query, a new attempt
/// starts afresh. Athena takes 32 to 128 characters; a statement name too long for that (or
/// with other characters) is hashed in with the KPI.
pub fn request_token(statement: &str) -> String {
    if statement.len() <= 128 - 65
        && statement
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        format!("States.Format('{{}}-{statement}', {ATTEMPT_PATH})")
    } else {
        format!(
            "States.Hash(States.Format('{{}}|{{}}|{}', {ATTEMPT_PATH}, {KPI_PATH}), 'SHA-256')",
            escape_intrinsic(statement)
        )
    }
}

/// The `.sync` result echoes the whole query text; keep only what a report needs.
fn result_selector() -> Value {
    json!({
        "QueryExecutionId.$": "$.QueryExecution.QueryExecutionId",
        "State.$": "$.QueryExecution.Status.State",
        "Statistics.$": "$.QueryExecution.Statistics",
    })
}

/// The key of a statement's query text under [`SQL_PATH`]: its name without the leading
/// number (`03_write` → `write`) when that is a plain word unique among `names`, else `q` and
/// its position. Plain words keep every reference path simple.
pub fn query_keys(names: &[&str]) -> Vec<String> {
    let plain = |n: &str| -> Option<String> {
        let word = n.trim_start_matches(|c: char| c.is_ascii_digit() || c == '_');
        let ok = word.starts_with(|c: char| c.is_ascii_alphabetic())
            && word.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        ok.then(|| word.to_string())
    };
    let words: Vec<Option<String>> = names.iter().map(|n| plain(n)).collect();
    words
        .iter()
        .enumerate()
        .map(|(i, w)| match w {
            Some(w) if words.iter().filter(|o| o.as_ref() == Some(w)).count() == 1 => w.clone(),
            _ => format!("q{i}"),
        })
        .collect()
}

/// The shared Athena Task state of one statement kind: it runs the query text the item's
/// KPI state left at `$.sql.<key>`, for whichever KPI the item is (`$.kpi`).
pub fn shared_task(
    statement: &str,
    key: &str,
    kpis: Vec<String>,
    next: Transition,
    on_error: &str,
) -> Task {
    Task {
        comment: None,
        resource: ATHENA_SYNC.into(),
        parameters: json!({
            "QueryString.$": format!("{SQL_PATH}.{key}"),
            "ClientRequestToken.$": request_token(statement),
            "WorkGroup": "${WorkGroup}",
            "QueryExecutionContext": { "Database": "${Database}" },
            "ResultConfiguration": { "OutputLocation": "${QueryResultsLocation}" },
        }),
        result_selector: Some(result_selector()),
        result_path: Some(Value::String("$.query".into())),
        output_path: None,
        retry: retriers(),
        catch: vec![Catcher {
            error_equals: vec!["States.ALL".into()],
            result_path: "$.error".into(),
            next: on_error.into(),
        }],
        transition: next,
        binding: Some(Binding {
            statement: statement.to_string(),
            query_path: format!("{SQL_PATH}.{key}"),
            kpis,
        }),
    }
}

/// The state of one KPI in one phase: builds the query text of each of its statements from
/// the item's validated day and attempt (`States.Format` over a literal template, as
/// [`format_expression`]) and leaves them at `$.sql`, keyed as the shared Task states read
/// them. `statements` pairs each statement with its key.
pub fn queries_pass(statements: &[(&Statement, &str)], next: Transition) -> Pass {
    let mut parameters = serde_json::Map::new();
    for (statement, key) in statements {
        parameters.insert(
            format!("{key}.$"),
            Value::String(format_expression(&statement.athena)),
        );
    }
    Pass {
        parameters: Some(Value::Object(parameters)),
        result_path: Some(SQL_PATH.into()),
        transition: Some(next),
        ..Pass::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_round_trips_with_placeholders() {
        let sql = SqlText::text("SELECT '{x}' AS a, 'it''s \\ first_day' AS b");
        let text = sql.render_with(|p| p.name().into());
        let escaped = escape_intrinsic(&text);
        assert_eq!(
            unescape_template(&escaped),
            vec![Some(text.clone())],
            "no placeholder survives escaping"
        );
        assert_eq!(escape_intrinsic("a'{b}\\"), "a\\'\\{b\\}\\\\");
        assert_eq!(
            unescape_template("x\\{{}y"),
            vec![Some("x{".into()), None, Some("y".into())]
        );
    }
}
