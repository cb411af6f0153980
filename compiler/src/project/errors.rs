//! Project mistakes → [`Diagnostic`]s. All the wording for E0101–E0109 lives here, and for
//! S3 locations (E0119, W0101), which kpi.yaml and the catalog share.

use super::SourceKind;
use super::s3::{MAX_KEY_BYTES, Problem, char_name};
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

pub fn invalid_location(span: Span, problem: &Problem) -> Diagnostic {
    let bucket_help =
        "Write the bucket as S3 names it: 3 to 63 lower-case letters, digits, `.` and `-`.";
    let (label, help) = match problem {
        Problem::Scheme { found: Some(found) } => (
            format!("`{found}` is not `s3://`"),
            "Write an S3 prefix such as `s3://company-lake/kpi/`.",
        ),
        Problem::Scheme { found: None } => (
            "this is not an `s3://` location".to_string(),
            "Write an S3 prefix such as `s3://company-lake/kpi/`.",
        ),
        Problem::NoBucket => (
            "there is no bucket name after `s3://`".to_string(),
            "Write an S3 prefix such as `s3://company-lake/kpi/`.",
        ),
        Problem::BucketLength { length } => (
            format!("a bucket name has 3 to 63 characters, this one {length}"),
            bucket_help,
        ),
        Problem::BucketChar { found } if found.is_ascii_uppercase() => {
            ("bucket names are lower-case".to_string(), bucket_help)
        }
        Problem::BucketChar { found } => (
            format!("{} cannot be in a bucket name", char_name(*found)),
            bucket_help,
        ),
        Problem::BucketEdge => (
            "a bucket name starts and ends with a letter or digit".to_string(),
            bucket_help,
        ),
        Problem::BucketDots => (
            "a bucket name cannot hold two dots in a row".to_string(),
            bucket_help,
        ),
        Problem::BucketIpAddress => (
            "a bucket name cannot be an IP address".to_string(),
            bucket_help,
        ),
        Problem::BucketReservedPrefix { prefix } => (
            format!("S3 reserves bucket names starting with `{prefix}`"),
            bucket_help,
        ),
        Problem::BucketReservedSuffix { suffix } => (
            format!("S3 reserves bucket names ending in `{suffix}`"),
            bucket_help,
        ),
        Problem::EmptyFolder => (
            "an empty folder name: two `/` in a row".to_string(),
            "Remove the extra `/`.",
        ),
        Problem::DotFolder { name: ".." } => (
            "`..` leads out of the location".to_string(),
            "Write the prefix without `.` or `..` folders.",
        ),
        Problem::DotFolder { name } => (
            format!("`{name}` is not a folder name"),
            "Write the prefix without `.` or `..` folders.",
        ),
        Problem::UnsafeChar { found } => (
            format!("{} is not allowed in a location", char_name(*found)),
            "Use only letters, digits, `-`, `_`, `.`, `=` and `/` after the bucket name.",
        ),
        Problem::KeyTooLong { bytes } => (
            format!("{bytes} bytes after the bucket, more than {MAX_KEY_BYTES}"),
            "Choose a shorter prefix, so the tables and files below it fit in S3's 1,024-byte keys.",
        ),
        Problem::NoTrailingSlash => (
            "a location ends with `/`".to_string(),
            "Add `/` at the end of the location.",
        ),
    };
    Diagnostic::error("E0119", "invalid S3 location")
        .label(span, label)
        .help(help)
}

/// A catalog location without its trailing `/`, read as the folder `prefix`.
pub fn location_without_slash(span: Span, prefix: &str) -> Diagnostic {
    Diagnostic::warning("W0101", "table location without a trailing `/`")
        .label(span, format!("read as the folder `{prefix}`"))
        .help("Add `/` at the end of the location, as Athena reads it as a folder.")
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
