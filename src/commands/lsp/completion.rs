//! The buffer's text around the cursor → completion items: after `alias.`, the columns of
//! that relation in the enclosing KPI; after `alias.column.` (through fields and `[…]`), the
//! fields of the struct it reaches, with their types; elsewhere KPI and source names,
//! functions with their signatures, keywords. Read from the text, since a line being typed
//! seldom parses.

use super::Project;
use super::features::columns_of;
use super::text::offset;
use kpi_compiler::types::Type;
use lsp_types as lsp;

const KEYWORDS: &[&str] = &[
    "kpi", "from", "join", "left", "on", "where", "group", "by", "measure", "check", "over",
    "days", "ending", "day", "and", "or", "not", "in", "is", "null", "like", "between", "case",
    "when", "then", "else", "end", "distinct", "true", "false", "date",
];

/// After `alias.`: the columns of that relation in the enclosing KPI; after `alias.column.`,
/// a struct's fields. Elsewhere: KPI and source names, functions, keywords. Read from the
/// buffer's text, which need not parse while typed.
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
    if let Some(path) = before[..word].strip_suffix('.') {
        let Some((alias, steps)) = dotted_path(path) else {
            return Vec::new();
        };
        let Some(relation) = block_relations(text, cursor)
            .into_iter()
            .find(|(a, _)| *a == alias)
            .map(|(_, r)| r)
        else {
            return Vec::new();
        };
        let columns = columns_of(program, &relation);
        let Some((first, rest)) = steps.split_first() else {
            return columns
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
        };
        // `alias.column.…` down to a struct: its fields.
        let Step::Field(name) = first else {
            return Vec::new();
        };
        let Some(column) = columns.iter().find(|c| c.name == *name) else {
            return Vec::new();
        };
        let Some(Type::Struct { fields }) =
            rest.iter().try_fold(&column.ty, |ty, step| step.reach(ty))
        else {
            return Vec::new();
        };
        return fields
            .iter()
            .map(|f| {
                item(
                    &f.name,
                    lsp::CompletionItemKind::FIELD,
                    f.ty.to_string(),
                    None,
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

/// One step of a path after its alias: a struct field or column by name, or `[…]` (an
/// array's element, a map's value).
#[derive(Debug, PartialEq, Eq)]
enum Step {
    Field(String),
    Index,
}

impl Step {
    /// The type this step reaches from a value of type `ty`.
    fn reach<'a>(&self, ty: &'a Type) -> Option<&'a Type> {
        match (self, ty) {
            (Step::Field(name), Type::Struct { fields }) => fields
                .iter()
                .find(|f| f.name.eq_ignore_ascii_case(name))
                .map(|f| &f.ty),
            (Step::Index, Type::Array { element }) => Some(element),
            (Step::Index, Type::Map { value, .. }) => Some(value),
            _ => None,
        }
    }
}

/// The path that ends `text` (the text before the cursor's `.`), read backwards: `e.context`
/// → (`e`, [context]); `e.items[1].product` → (`e`, [items, index, product]). Names are
/// lower-cased and unquoted; `None` when `text` does not end with a path.
fn dotted_path(text: &str) -> Option<(String, Vec<Step>)> {
    let mut rest = text;
    let mut steps = Vec::new();
    loop {
        while let Some(inner) = rest.strip_suffix(']') {
            rest = &inner[..matching_open(inner)?];
            steps.push(Step::Index);
        }
        let name = if let Some(inner) = rest.strip_suffix('`') {
            let open = inner.rfind('`')?;
            let name = &inner[open + 1..];
            rest = &inner[..open];
            name
        } else {
            let start = rest.len()
                - rest
                    .chars()
                    .rev()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .map(char::len_utf8)
                    .sum::<usize>();
            let name = &rest[start..];
            rest = &rest[..start];
            name
        };
        if name.is_empty() {
            return None;
        }
        steps.push(Step::Field(name.to_lowercase()));
        match rest.strip_suffix('.') {
            Some(before) => rest = before,
            None => break,
        }
    }
    steps.reverse();
    match steps.remove(0) {
        Step::Field(alias) => Some((alias, steps)),
        Step::Index => None,
    }
}

/// Where the `[` opening the bracket that `text` leaves open (its last `]` removed) is.
fn matching_open(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in text.char_indices().rev() {
        match c {
            ']' => depth += 1,
            '[' if depth == 0 => return Some(i),
            '[' => depth -= 1,
            _ => {}
        }
    }
    None
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
    (
        "hours_between",
        "hours_between(a, b) → bigint, whole hours from a to b",
    ),
    ("least", "least(v1, …) → their common type"),
    ("length", "length(t) → bigint"),
    ("lower", "lower(t) → string"),
    (
        "minutes_between",
        "minutes_between(a, b) → bigint, whole minutes from a to b",
    ),
    ("nullif", "nullif(a, b) → null when a = b, else a"),
    (
        "round",
        "round(n [, digits]) → bigint for whole numbers, else the same type",
    ),
    (
        "seconds_between",
        "seconds_between(a, b) → bigint, whole seconds from a to b",
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
    (
        "trunc_day",
        "trunc_day(timestamp) → timestamp, the start of its day",
    ),
    (
        "trunc_hour",
        "trunc_hour(timestamp) → timestamp, the start of its hour",
    ),
    (
        "trunc_minute",
        "trunc_minute(timestamp) → timestamp, the start of its minute",
    ),
    ("upper", "upper(t) → string"),
    (
        "approx_distinct",
        "approx_distinct(x) → bigint, an estimate (aggregate)",
    ),
    (
        "approx_percentile",
        "approx_percentile(x, p) → an estimate of the p-th percentile (aggregate)",
    ),
    ("avg", "avg(n) → double (aggregate)"),
    (
        "count",
        "count(*), count(x), count(distinct x) → bigint (aggregate)",
    ),
    ("max", "max(x) → the same type (aggregate)"),
    ("min", "min(x) → the same type (aggregate)"),
    (
        "percentile",
        "percentile(x, p) → the nearest-rank p-th percentile, a value of the group (aggregate)",
    ),
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
    use super::{Step, dotted_path};

    #[test]
    fn a_path_is_read_back_from_the_dot() {
        let field = |n: &str| Step::Field(n.to_string());
        assert_eq!(dotted_path("  where e"), Some(("e".into(), vec![])));
        assert_eq!(
            dotted_path("where E.Context"),
            Some(("e".into(), vec![field("context")]))
        );
        assert_eq!(
            dotted_path("x = e.items[m.ids[1]].`Product`"),
            Some((
                "e".into(),
                vec![field("items"), Step::Index, field("product")]
            ))
        );
        assert_eq!(dotted_path("where "), None);
        assert_eq!(dotted_path("f(x)"), None);
        assert_eq!(dotted_path("[1]"), None);
    }

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
