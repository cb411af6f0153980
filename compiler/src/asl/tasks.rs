//! Statements and service calls → Task states. Per phase, one shared Athena Task state per
//! statement kind (`<phase>.<statement>`, a `startQueryExecution.sync`) runs the query text
//! the item's KPI state left at `$.sql`; that state builds each text with `States.Format` from
//! a literal template over the item's validated `$.first`, `$.last` and `$.attempt`. So a KPI
//! costs the definition its SQL and little else. Glue and `getQueryResults` calls are JSONata
//! Task states built in `items.rs` and `inputs.rs`, with the retriers and catchers from here.

use super::types::{Binding, Catcher, Jitter, Pass, Retrier, Task, Transition};
use kpi_contract::aws::ATHENA_START_QUERY_SYNC;
use kpi_contract::manifest::Statement;
use kpi_contract::{Param, Segment, SqlText};
use serde_json::{Value, json};

pub const ATHENA_SYNC: &str = ATHENA_START_QUERY_SYNC;

/// Where the item keeps its validated values; the Map's ItemSelector puts them there.
pub const KPI_PATH: &str = "$.kpi";
pub const FIRST_PATH: &str = "$.first";
pub const LAST_PATH: &str = "$.last";
pub const ATTEMPT_PATH: &str = "$.attempt";
/// Where the KPI state leaves the item's query texts, one key per statement.
pub const SQL_PATH: &str = "$.sql";

/// Athena errors worth another try with the same request token: the call was refused or
/// broke before a query ran, so reusing the token either starts the query or reconnects to
/// it. A query that itself ended FAILED is not retried: its token would return the same
/// failure. One retrier for all three keeps every Task (and so the definition) small.
pub fn athena_retriers() -> Vec<Retrier> {
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

/// Glue throttling and transient errors. Through the AWS SDK integration an error is named
/// `Glue.<ErrorCode>`; throttling, which Glue's API does not model as an exception, reaches
/// Step Functions as `Glue.AWSGlueException` with "Rate exceeded (… Error Code:
/// ThrottlingException …)" as its cause (AWS knowledge center, "glue-throttling-rate-exceeded"),
/// or `Glue.GlueException` from the newer SDK. Every call retried here is safe to repeat: reads,
/// a create that answers `AlreadyExistsException` per entry, an update that sets the same
/// values.
pub fn glue_retriers() -> Vec<Retrier> {
    vec![Retrier {
        error_equals: vec![
            "Glue.ThrottlingException".into(),
            "Glue.AWSGlueException".into(),
            "Glue.GlueException".into(),
            "Glue.InternalServiceException".into(),
            "Glue.OperationTimeoutException".into(),
            "Glue.ConcurrentModificationException".into(),
        ],
        interval_seconds: 2,
        max_attempts: 6,
        backoff_rate: 2.0,
        max_delay_seconds: 60,
        jitter_strategy: Jitter::Full,
    }]
}

/// Starting a group's child execution again is safe: its name is the item's attempt, and Step
/// Functions answers a start with the same name and input with the execution already
/// running or done (StartExecution is idempotent so). Retried: the account's limit of
/// running executions, throttling and a service fault. The StartExecution API documents the
/// exception types (`ExecutionLimitExceeded`, …) but not the name the optimized integration
/// gives them, so the retrier lists each with and without the `Exception` suffix.
pub fn child_start_retriers() -> Vec<Retrier> {
    vec![Retrier {
        error_equals: vec![
            "StepFunctions.ExecutionLimitExceeded".into(),
            "StepFunctions.ExecutionLimitExceededException".into(),
            "StepFunctions.ThrottlingException".into(),
            "StepFunctions.AWSStepFunctionsException".into(),
            "StepFunctions.SfnException".into(),
        ],
        interval_seconds: 10,
        max_attempts: 8,
        backoff_rate: 2.0,
        max_delay_seconds: 300,
        jitter_strategy: Jitter::Full,
    }]
}

/// `States.TaskFailed` (any error but a timeout), then `States.ALL` for the rest (a timeout,
/// missing permissions): both record the failure, so the rest of the execution completes.
fn catchers(result_path: Option<&str>, output: Option<&str>, next: &str) -> Vec<Catcher> {
    ["States.TaskFailed", "States.ALL"]
        .into_iter()
        .map(|error| Catcher {
            error_equals: vec![error.into()],
            result_path: result_path.map(str::to_string),
            output: output.map(str::to_string),
            next: next.into(),
        })
        .collect()
}

/// Catchers of a JSONPath state: the error object lands at `$.error`.
pub fn jsonpath_catchers(next: &str) -> Vec<Catcher> {
    catchers(Some("$.error"), None, next)
}

/// Catchers of a JSONata state: the error object joins the input at `error`.
pub fn jsonata_catchers(next: &str) -> Vec<Catcher> {
    catchers(
        None,
        Some("{% $merge([$states.input, {\"error\": $states.errorOutput}]) %}"),
        next,
    )
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

fn param_path(p: Param) -> &'static str {
    match p {
        Param::FirstDay => FIRST_PATH,
        Param::LastDay => LAST_PATH,
        Param::Attempt => ATTEMPT_PATH,
        // Athena statements never hold the lake (`machine.rs` refuses them); the path names
        // nothing, so such a text could never run.
        Param::Lake => "$.lake",
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
            Segment::Text { text } => {
                for (i, piece) in text.split('\\').enumerate() {
                    if i > 0 {
                        template.push_str("{}");
                        args.push(BACKSLASH_ARG);
                    }
                    template.push_str(&escape_intrinsic(piece));
                }
            }
            Segment::Param { param } => {
                template.push_str("{}");
                args.push(param_path(*param));
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

/// The attempt (64 hex characters hashed from the execution, its redrive count, the KPI and
/// the chunk) and the statement: a duplicated start of the same attempt reconnects to its
/// query, a new attempt (another execution, a redrive) starts afresh. Athena takes 32 to 128
/// characters; a statement name too long for that (or with other characters) is hashed in.
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

/// What a shared Athena Task keeps of the `.sync` result (which echoes the whole query text):
/// nothing, or the query execution's id at `$.<at>` (for `getQueryResults`).
pub enum Keep {
    Nothing,
    QueryId(&'static str),
}

/// The shared Athena Task state of one statement kind: it runs the query text the item's
/// KPI state left at `$.sql.<key>`, for whichever KPI the item is (`$.kpi`).
pub fn athena_task(
    statement: &str,
    key: &str,
    kpis: Vec<String>,
    keep: Keep,
    next: Transition,
    on_error: &str,
) -> Task {
    let (result_selector, result_path) = match keep {
        Keep::Nothing => (None, Value::Null),
        Keep::QueryId(at) => (
            Some(json!({"QueryExecutionId.$": "$.QueryExecution.QueryExecutionId"})),
            Value::String(format!("$.{at}")),
        ),
    };
    Task {
        resource: ATHENA_SYNC.into(),
        parameters: Some(json!({
            "QueryString.$": format!("{SQL_PATH}.{key}"),
            "ClientRequestToken.$": request_token(statement),
            "WorkGroup": "${WorkGroup}",
            "QueryExecutionContext": { "Database": "${Database}" },
            "ResultConfiguration": { "OutputLocation": "${QueryResultsLocation}" },
        })),
        result_selector,
        result_path: Some(result_path),
        retry: athena_retriers(),
        catch: jsonpath_catchers(on_error),
        transition: next,
        binding: Some(Binding {
            statement: statement.to_string(),
            kpis,
        }),
        ..Task::default()
    }
}

/// The query texts of a KPI's statements, each built by `States.Format` from a literal
/// template over the item's validated values (as [`format_expression`]), keyed as the shared
/// Task states read them. `statements` pairs each statement with its key.
pub fn query_texts(statements: &[(&Statement, &str)]) -> Value {
    let mut texts = serde_json::Map::new();
    for (statement, key) in statements {
        texts.insert(
            format!("{key}.$"),
            Value::String(format_expression(&statement.athena)),
        );
    }
    Value::Object(texts)
}

/// A Setup item's KPI state: its query texts at `$.sql`.
pub fn setup_pass(statements: &[(&Statement, &str)], next: Transition) -> Pass {
    Pass {
        parameters: Some(query_texts(statements)),
        result_path: Some(SQL_PATH.into()),
        transition: Some(next),
        ..Pass::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_and_backslashes_become_arguments() {
        let mut sql = SqlText::text("SELECT 'it''s {x} \\ ' AS a WHERE d BETWEEN '");
        sql.push_param(Param::FirstDay);
        sql.push_text("' AND '");
        sql.push_param(Param::LastDay);
        sql.push_text("' -- ");
        sql.push_param(Param::Attempt);
        assert_eq!(
            format_expression(&sql),
            "States.Format('SELECT \\'it\\'\\'s \\{x\\} {} \\' AS a WHERE d BETWEEN \\'{}\\' AND \\'{}\\' -- {}', \
             States.Base64Decode('XA=='), $.first, $.last, $.attempt)"
        );
        assert_eq!(escape_intrinsic("a'{b}\\"), "a\\'\\{b\\}\\\\");
    }

    #[test]
    fn tokens_fit_athena() {
        assert_eq!(
            request_token("03_write"),
            "States.Format('{}-03_write', $.attempt)"
        );
        let long = "x".repeat(70);
        assert!(request_token(&long).starts_with("States.Hash("));
        assert_eq!(query_keys(&["03_write", "04_check"]), ["write", "check"]);
        assert_eq!(query_keys(&["01_a", "02_a", "x y"]), ["q0", "q1", "q2"]);
    }
}
