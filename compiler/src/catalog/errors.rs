//! Catalog snapshot mistakes → [`Diagnostic`]s. All the wording for E0110–E0118 and E0120
//! lives here (locations, E0119, are worded with kpi.yaml's in `project/errors.rs`).

use super::{Column, Table};
use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::project::yaml::{Key, Node, SyntaxError};
use crate::span::{FileId, Span};

pub fn syntax(error: &SyntaxError, file_name: &str) -> Diagnostic {
    Diagnostic::error("E0110", format!("invalid JSON or YAML in catalog snapshot `{file_name}`"))
        .label(error.span, error.message.clone())
        .help("Regenerate the snapshot with `aws glue get-tables --database-name DB`, or fix the syntax here.")
}

pub fn not_a_catalog(root: &Node, file: FileId) -> Diagnostic {
    let span = match root.as_map().and_then(|m| m.first()) {
        Some((key, _)) => key.span,
        None => Span::new(file, 0, 0),
    };
    Diagnostic::error("E0111", "not a catalog snapshot")
        .label(span, "expected a top-level `TableList` (Glue JSON) or `databases` (kpi YAML)")
        .help("Save the output of `aws glue get-tables --database-name DB`, or write `databases:` at the top.")
}

pub fn wrong_shape(node: &Node, what: &str, expected: &str) -> Diagnostic {
    Diagnostic::error("E0112", format!("{what} must be {expected}"))
        .label(node.span, format!("this is {}", node.value.describe()))
        .help(format!("Write {what} as {expected}."))
}

pub fn missing_field(owner: Span, section: &str, field: &str) -> Diagnostic {
    Diagnostic::error("E0112", format!("missing field `{field}`"))
        .label(owner, format!("{section} has no `{field}`"))
        .help(format!("Add `{field}` to {section}."))
}

pub fn invalid_type(span: Span, text: &str, message: &str) -> Diagnostic {
    Diagnostic::error("E0113", "invalid column type")
        .label(span, message.to_string())
        .help(format!("Write a Hive type such as `bigint`, `decimal(10,2)` or `array<string>` instead of `{text}`."))
}

pub fn duplicate_table(table: &Table, first: Span) -> Diagnostic {
    Diagnostic::error(
        "E0114",
        format!("table `{}` is defined twice", table.qualified_name()),
    )
    .label(table.name_span, "defined again here")
    .secondary(first, "first defined here")
    .help("Keep one snapshot of each table: remove the older file or entry.")
}

pub fn duplicate_column(table: &str, column: &Column, first: Span) -> Diagnostic {
    Diagnostic::error(
        "E0115",
        format!("column `{}` appears twice in `{table}`", column.name),
    )
    .label(column.span, "named again here")
    .secondary(first, "first named here (column names ignore case)")
    .help("Remove or rename one of the two columns.")
}

pub fn unknown_field(key: &Key, section: &str, known: &[&str]) -> Diagnostic {
    let help = match did_you_mean(&key.name, known.iter().copied()) {
        Some(s) => format!("Did you mean `{s}`?"),
        None => format!(
            "Use one of: {}.",
            known
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    Diagnostic::error("E0116", format!("unknown field `{}`", key.name))
        .label(key.span, format!("not a field of {section}"))
        .help(help)
}

pub fn invalid_value(
    span: Span,
    what: impl Into<String>,
    label: impl Into<String>,
    help: impl Into<String>,
) -> Diagnostic {
    Diagnostic::error("E0117", what)
        .label(span, label)
        .help(help)
}

pub fn hidden_char_in_name(span: Span, what: &str, c: char) -> Diagnostic {
    Diagnostic::error("E0120", format!("invisible character in a {what} name"))
        .label(
            span,
            format!(
                "this is U+{:04X}, a control or formatting character",
                c as u32
            ),
        )
        .help(
            "Remove the character from the name, in Glue first if the snapshot was saved from it.",
        )
}
