//! Project mistakes → [`Diagnostic`]s. All the wording for E0101–E0109 lives here.

use super::SourceKind;
use super::yaml::{Key, Node, SyntaxError};
use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::span::Span;

pub fn syntax(error: &SyntaxError) -> Diagnostic {
    Diagnostic::error("E0101", "invalid YAML in the project file")
        .label(error.span, error.message.clone())
        .help("Fix the YAML syntax at this place (indentation, `:` after keys, closed brackets and quotes).")
}

pub fn unknown_field(key: &Key, section: &str, known: &[&str]) -> Diagnostic {
    let suggestion = did_you_mean(&key.name, known.iter().copied());
    let help = match suggestion {
        Some(s) => format!("Did you mean `{s}`?"),
        None => format!("Use one of the fields of {section}: {}.", list(known)),
    };
    Diagnostic::error("E0102", format!("unknown field `{}`", key.name))
        .label(key.span, format!("not a field of {section}"))
        .help(help)
}

pub fn missing_field(owner: Span, section: &str, field: &str) -> Diagnostic {
    Diagnostic::error("E0103", format!("missing field `{field}`"))
        .label(owner, format!("{section} has no `{field}`"))
        .help(format!("Add `{field}:` to {section}."))
}

pub fn wrong_shape(node: &Node, field: &str, expected: &str) -> Diagnostic {
    Diagnostic::error("E0104", format!("`{field}` must be {expected}"))
        .label(node.span, format!("this is {}", node.value.describe()))
        .help(format!("Write `{field}` as {expected}."))
}

pub fn not_identifier(span: Span, what: &str, name: &str) -> Diagnostic {
    let fixed = to_identifier(name);
    Diagnostic::error("E0105", format!("invalid {what} `{name}`"))
        .label(span, "not a lower-case identifier")
        .help(format!(
            "Use lower-case letters, digits and `_`, starting with a letter or `_` (e.g. `{fixed}`)."
        ))
}

/// A value of the right shape that is not allowed; `what` says what is wrong with it.
pub fn invalid_value(
    span: Span,
    field: &str,
    what: impl Into<String>,
    help: impl Into<String>,
) -> Diagnostic {
    Diagnostic::error("E0106", format!("invalid `{field}`"))
        .label(span, what)
        .help(help)
}

pub fn unknown_kind(span: Span, kind: &str) -> Diagnostic {
    let help = match did_you_mean(kind, SourceKind::NAMES) {
        Some(s) => format!("Did you mean `{s}`?"),
        None => "Use `events` (day-partitioned log), `snapshot` (daily snapshot) or `table` (unpartitioned).".into(),
    };
    invalid_value(span, "kind", format!("`{kind}` is not a source kind"), help)
}

pub fn missing_partition(name_span: Span, name: &str, kind: SourceKind) -> Diagnostic {
    Diagnostic::error("E0107", format!("source `{name}` needs a partition column"))
        .label(
            name_span,
            format!(
                "a `{}` source is read one day partition at a time",
                kind.name()
            ),
        )
        .help("Add `partition: dt` (the table's day partition key), or use `kind: table`.")
}

pub fn partition_not_allowed(partition_span: Span, kind_span: Span) -> Diagnostic {
    Diagnostic::error("E0107", "partition given for an unpartitioned source")
        .label(
            partition_span,
            "a `table` source is read whole, so it has no partition column",
        )
        .secondary(kind_span, "the kind is `table`")
        .help("Remove `partition:`, or change `kind:` to `events` or `snapshot`.")
}

pub fn unknown_table(span: Span, name: &str, suggestion: Option<String>) -> Diagnostic {
    let help = match suggestion {
        Some(s) => format!("Did you mean `{s}`?"),
        None => "Write `database.table` as it is in the catalog snapshot, or refresh the snapshot."
            .into(),
    };
    Diagnostic::error("E0108", format!("unknown table `{name}`"))
        .label(span, "not in the catalog snapshot")
        .help(help)
}

pub fn unknown_partition(
    span: Span,
    column: &str,
    table: &str,
    keys: &[&str],
    is_column: bool,
) -> Diagnostic {
    let label = if is_column {
        format!("`{column}` is a column of `{table}`, not a partition key")
    } else {
        format!("`{table}` has no partition key `{column}`")
    };
    let help = match (did_you_mean(column, keys.iter().copied()), keys) {
        (Some(s), _) => format!("Did you mean `{s}`?"),
        (None, []) => {
            "Use `kind: table` and remove `partition:`: this table has no partition keys.".into()
        }
        (None, _) => format!("Use one of the table's partition keys: {}.", list(keys)),
    };
    Diagnostic::error("E0109", format!("`{column}` is not a partition key"))
        .label(span, label)
        .help(help)
}

fn list(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A best-effort identifier spelling of a bad name, for the help text.
fn to_identifier(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

pub fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}
