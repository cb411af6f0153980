//! The buffer's text around the cursor → completion items: after `alias.`, the columns of
//! that relation in the enclosing KPI; elsewhere KPI and source names, functions with their
//! signatures, keywords. Read from the text, since a line being typed seldom parses.

use super::Project;
use super::features::columns_of;
use super::text::offset;
use lsp_types as lsp;

const KEYWORDS: &[&str] = &[
    "kpi", "from", "join", "left", "on", "where", "group", "by", "measure", "check", "over",
    "days", "ending", "day", "and", "or", "not", "in", "is", "null", "like", "between", "case",
    "when", "then", "else", "end", "distinct", "true", "false", "date",
];

/// After `alias.`: the columns of that relation in the enclosing KPI. Elsewhere: KPI and source
/// names, functions, keywords. Read from the buffer's text, which need not parse while typed.
pub fn completion(project: &Project, text: &str, at: lsp::Position) -> Vec<lsp::CompletionItem> {
    let Some(program) = project.compiled.program.as_ref() else {
        return Vec::new();
    };
    let cursor = offset(text, at);
    let before = &text[..cursor];
    let word = before.len()
        - before
            .chars()
            .rev()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .map(char::len_utf8)
            .sum::<usize>();
    let item = |label: &str, kind, detail: String, doc: Option<String>| lsp::CompletionItem {
        label: label.to_string(),
        kind: Some(kind),
        detail: Some(detail),
        documentation: doc.map(lsp::Documentation::String),
        ..Default::default()
    };
    if let Some(alias_end) = before[..word].strip_suffix('.').map(str::len) {
        let alias_start = before[..alias_end]
            .rfind(|c: char| !(c.is_alphanumeric() || c == '_'))
            .map_or(0, |i| i + 1);
        let alias = before[alias_start..alias_end].to_lowercase();
        let Some(relation) = block_relations(text, cursor)
            .into_iter()
            .find(|(a, _)| *a == alias)
            .map(|(_, r)| r)
        else {
            return Vec::new();
        };
        return columns_of(program, &relation)
            .into_iter()
            .map(|c| {
                item(
                    &c.name,
                    lsp::CompletionItemKind::FIELD,
                    c.ty.to_string(),
                    c.doc,
                )
            })
            .collect();
    }
    let kpis = program.kpis.iter().map(|k| {
        item(
            &k.name,
            lsp::CompletionItemKind::CLASS,
            "kpi".into(),
            k.doc.clone(),
        )
    });
    let sources = program.sources.iter().map(|s| {
        item(
            &s.name,
            lsp::CompletionItemKind::STRUCT,
            format!("source {}.{}", s.database, s.table),
            None,
        )
    });
    let functions = kpi_compiler::check::SCALARS
        .iter()
        .chain(kpi_compiler::check::AGGREGATES)
        .map(|f| {
            let signature = signature(f).unwrap_or("");
            item(
                f,
                lsp::CompletionItemKind::FUNCTION,
                signature.to_string(),
                None,
            )
        });
    let keywords = KEYWORDS
        .iter()
        .map(|k| item(k, lsp::CompletionItemKind::KEYWORD, "keyword".into(), None));
    kpis.chain(sources)
        .chain(functions)
        .chain(keywords)
        .collect()
}

/// A function's signature as `docs/language.md` lists it.
fn signature(function: &str) -> Option<&'static str> {
    SIGNATURES
        .iter()
        .find(|(f, _)| *f == function)
        .map(|(_, s)| *s)
}

const SIGNATURES: &[(&str, &str)] = &[
    ("abs", "abs(n) → the same type"),
    ("cardinality", "cardinality(array or map) → bigint"),
    (
        "coalesce",
        "coalesce(v1, v2, …) → the first non-null, of their common type",
    ),
    ("concat", "concat(t1, t2, …) → string"),
    ("contains", "contains(array, v) → boolean"),
    ("date", "date(text YYYY-MM-DD, date or timestamp) → date"),
    (
        "day_of_week",
        "day_of_week(date or timestamp) → bigint, 1 = Monday … 7 = Sunday",
    ),
    ("days_between", "days_between(a, b) → bigint, b − a in days"),
    ("greatest", "greatest(v1, …) → their common type"),
    ("hour", "hour(timestamp) → bigint, 0 to 23"),
    ("least", "least(v1, …) → their common type"),
    ("length", "length(t) → bigint"),
    ("lower", "lower(t) → string"),
    ("nullif", "nullif(a, b) → null when a = b, else a"),
    (
        "round",
        "round(n [, digits]) → bigint for whole numbers, else the same type",
    ),
    ("starts_with", "starts_with(t, prefix) → boolean"),
    (
        "substr",
        "substr(t, start [, length]) → string, positions from 1",
    ),
    ("to_bigint", "to_bigint(x) → bigint"),
    ("to_double", "to_double(x) → double"),
    ("to_string", "to_string(x) → string"),
    ("trim", "trim(t) → string"),
    ("upper", "upper(t) → string"),
    (
        "approx_distinct",
        "approx_distinct(x) → bigint, an estimate (aggregate)",
    ),
    ("avg", "avg(n) → double (aggregate)"),
    (
        "count",
        "count(*), count(x), count(distinct x) → bigint (aggregate)",
    ),
    ("max", "max(x) → the same type (aggregate)"),
    ("min", "min(x) → the same type (aggregate)"),
    (
        "sum",
        "sum(n) → bigint, decimal(38,s) or double (aggregate)",
    ),
];

/// The `from`/`join` relations of the KPI block around `cursor`, as (alias, name), found by
/// words alone.
fn block_relations(text: &str, cursor: usize) -> Vec<(String, String)> {
    let start = text[..cursor].rfind("kpi ").unwrap_or(0);
    let end = text[cursor..]
        .find("\nkpi ")
        .map_or(text.len(), |i| cursor + i);
    let words: Vec<String> = text[start..end]
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let mut out = Vec::new();
    for (i, w) in words.iter().enumerate() {
        if w != "from" && w != "join" {
            continue;
        }
        let Some(name) = words.get(i + 1) else {
            continue;
        };
        let alias = words
            .get(i + 2)
            .filter(|a| !KEYWORDS.contains(&a.as_str()))
            .unwrap_or(name);
        out.push((alias.clone(), name.clone()));
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_function_has_a_signature() {
        let functions = kpi_compiler::check::SCALARS
            .iter()
            .chain(kpi_compiler::check::AGGREGATES);
        for f in functions {
            assert!(super::signature(f).is_some(), "{f} has no signature");
        }
    }
}
