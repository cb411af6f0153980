//! KPI, output and relation names → the rules they must follow: names Athena accepts
//! unquoted, and none of the names that the generated tables and queries use themselves.

use super::errors::CheckError;
use crate::span::Span;

/// The prefix the generated queries give their own relations and columns.
pub const GENERATED_PREFIX: &str = "kpi_";
/// The suffix of the table each KPI's attempts are written to (`<kpi>__attempts`).
pub const ATTEMPTS_SUFFIX: &str = "__attempts";

/// A name the generated tables or queries already use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reserved {
    /// `dt`: the day partition column of every KPI table.
    Day,
    /// `attempt`: the attempt partition column of every KPI's attempts table.
    Attempt,
    /// `kpi_…`: the generated queries' own relations and columns.
    GeneratedPrefix,
    /// `…__attempts`: the attempts table of the KPI named by the rest.
    AttemptsTable,
}

/// What the reserved name was given to, for the wording of the help.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NameRole {
    /// A dimension or measure. `from_column` holds the column path when a dimension is named
    /// after a plain column (`group by e.attempt`), so the help can show how to rename it.
    Output {
        from_column: Option<String>,
    },
    /// A relation alias; `implicit` when the relation has none and is called by its name.
    Alias {
        implicit: bool,
    },
    Kpi,
}

/// Longest table or column name Glue stores.
pub const MAX_NAME_LEN: usize = 255;

/// Names that Athena accepts unquoted as table and column names, and that Glue keeps as is.
pub fn is_output_name(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() <= MAX_NAME_LEN
        && chars
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Why a column or alias name is taken by the generated SQL, ignoring case.
pub fn reserved_column(name: &str) -> Option<Reserved> {
    let name = name.to_ascii_lowercase();
    if name == "dt" {
        Some(Reserved::Day)
    } else if name == "attempt" {
        Some(Reserved::Attempt)
    } else if name.starts_with(GENERATED_PREFIX) {
        Some(Reserved::GeneratedPrefix)
    } else {
        None
    }
}

/// Why a KPI name is taken: another KPI's attempts table would have it.
pub fn reserved_table(name: &str) -> Option<Reserved> {
    let name = name.to_ascii_lowercase();
    (name.len() > ATTEMPTS_SUFFIX.len() && name.ends_with(ATTEMPTS_SUFFIX))
        .then_some(Reserved::AttemptsTable)
}

/// Reports a relation alias (explicit or the relation's own name) that the SQL already uses.
pub fn check_alias(name: &str, span: Span, implicit: bool, errors: &mut Vec<CheckError>) {
    if let Some(reserved) = reserved_column(name) {
        errors.push(CheckError::ReservedName {
            span,
            name: name.to_string(),
            reserved,
            role: NameRole::Alias { implicit },
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Diagnostic;
    use crate::span::Sources;

    const PROJECT: &str = "name: p
catalog: catalog/
sources:
  kpi_events: {table: app.kpi_events, kind: events, partition: dt}
target:
  database: out
  location: s3://lake/kpi/
  workgroup: primary
  concurrency: 2
  history_start: 2024-01-01
";
    const CATALOG: &str = "databases:
  app:
    kpi_events:
      format: json
      columns: {attempt: int, member_id: bigint}
      partition_keys: {dt: string}
";

    /// `(code, line, column, help)` of every diagnostic of one `.kpi` text.
    fn check(kpi: &str) -> Vec<(String, usize, usize, String)> {
        let mut sources = Sources::new();
        let yaml = sources.add("kpi.yaml", PROJECT);
        let catalog = sources.add("catalog/app.yaml", CATALOG);
        let file = sources.add("a.kpi", kpi);
        let (project, errors) = crate::project::parse_project(&sources, yaml);
        assert_eq!(errors, Vec::<Diagnostic>::new());
        let checked = crate::check_project(&sources, project.as_ref(), &[catalog], &[file]);
        checked
            .diagnostics
            .iter()
            .map(|d| {
                let at = d
                    .primary
                    .as_ref()
                    .map(|l| sources.line_col(l.span.file, l.span.start));
                let at = at.unwrap_or(crate::span::LineCol { line: 0, column: 0 });
                (
                    d.code.0.into(),
                    at.line,
                    at.column,
                    d.help.clone().unwrap_or_default(),
                )
            })
            .collect()
    }

    #[test]
    fn a_relation_read_by_a_reserved_name_and_a_dimension_named_by_a_reserved_column() {
        let found = check(
            "kpi k {\n  from kpi_events\n  group by kpi_events.attempt\n  measure n = count(*)\n}\n",
        );
        assert_eq!(
            found,
            [
                ("E0609".into(), 2, 8, "Give the relation an alias of its own, for example `kpi_events r`.".into()),
                ("E0609".into(), 3, 12, "Name the dimension yourself, for example `group by other_name = kpi_events.attempt`.".into()),
            ]
        );
        let renamed = check(
            "kpi k {\n  from kpi_events e\n  group by tries = e.attempt\n  measure n = count(*)\n}\n",
        );
        assert_eq!(renamed, []);
    }

    #[test]
    fn reserved_names_ignore_case() {
        assert_eq!(reserved_column("DT"), Some(Reserved::Day));
        assert_eq!(reserved_column("Attempt"), Some(Reserved::Attempt));
        assert_eq!(reserved_column("KPI_rows"), Some(Reserved::GeneratedPrefix));
        assert_eq!(reserved_column("kpi"), None);
        assert_eq!(reserved_column("attempts"), None);
        assert_eq!(
            reserved_table("posts__ATTEMPTS"),
            Some(Reserved::AttemptsTable)
        );
        assert_eq!(reserved_table("__attempts"), None);
        assert_eq!(reserved_table("attempts"), None);
        assert!(is_output_name(&"a".repeat(MAX_NAME_LEN)));
        assert!(!is_output_name(&"a".repeat(MAX_NAME_LEN + 1)));
    }
}
