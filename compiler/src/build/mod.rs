//! Build: a checked project → every artifact `kpi build` writes, as relative path → text.
//! Pure: the CLI writes the files.

mod manifest;

pub use manifest::{hive_type, manifest};

use crate::catalog::Catalog;
use crate::diagnostic::Diagnostic;
use crate::ir::{Check, Program};
use crate::lower::Migration;
use crate::lower::{Plan, lower};
use crate::project::Project;
use crate::span::Sources;
use crate::sql::{SqlBundle, emit_sql};
use kpi_contract::manifest::LocalAction;
use std::collections::BTreeMap;

/// The state machine's file name, as the SAM template's `DefinitionUri` names it.
pub const STATE_MACHINE_FILE: &str = "statemachine.asl.json";

#[derive(Debug)]
pub struct Artifacts {
    pub plan: Plan,
    pub sql: SqlBundle,
    /// Relative path → contents, sorted by path.
    pub files: BTreeMap<String, String>,
}

/// A readable label for each check of each KPI: `file:line: text`.
pub fn check_labels(program: &Program, sources: &Sources) -> BTreeMap<String, Vec<String>> {
    program
        .kpis
        .iter()
        .map(|k| {
            let labels = k
                .checks
                .iter()
                .map(|c| {
                    let span = match c {
                        Check::Row { span, .. }
                        | Check::Partition { span, .. }
                        | Check::Unique { span, .. } => *span,
                    };
                    let at = sources.line_col(span.file, span.start);
                    let clause = without_comments(sources.slice(span))
                        .split_whitespace()
                        .collect::<Vec<_>>()
                        .join(" ");
                    let text = clause.strip_prefix("check ").unwrap_or(&clause);
                    format!("{}:{}: {}", sources.name(span.file), at.line, text)
                })
                .collect();
            (k.name.clone(), labels)
        })
        .collect()
}

/// The text without `//` comments (outside string literals and backquoted names).
fn without_comments(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let mut quote: Option<char> = None;
        let mut prev = '\0';
        let mut cut = line.len();
        for (i, c) in line.char_indices() {
            match quote {
                Some(q) if c == q => quote = None,
                Some(_) => {}
                None if c == '\'' || c == '`' => quote = Some(c),
                None if c == '/' && prev == '/' => {
                    cut = i - 1;
                    break;
                }
                None => {}
            }
            prev = c;
        }
        out.push_str(&line[..cut]);
        out.push('\n');
    }
    out
}

pub fn build(
    sources: &Sources,
    project: &Project,
    catalog: &Catalog,
    program: &Program,
) -> (Artifacts, Vec<Diagnostic>) {
    let plan = lower(program, project, catalog, &check_labels(program, sources));
    let sql = emit_sql(&plan);
    let mut diagnostics = Vec::new();
    for kpi in &plan.kpis {
        if let Migration::Incompatible(change) = &kpi.migration {
            diagnostics.push(
                Diagnostic::error("E0710", format!("KPI `{}` no longer fits its existing table", kpi.name))
                    .label(kpi.definition.span, format!("{change}; the table in the catalog snapshot has the old columns"))
                    .help("Keep existing columns in place and add new ones at the end, or give the KPI a new name (a new table) and backfill it."),
            );
        }
    }
    let mut files = BTreeMap::new();
    for kpi in &sql.kpis {
        for statement in &kpi.statements {
            let athena = statement.athena.display();
            files.insert(format!("athena/{}/{}.sql", kpi.kpi, statement.name), athena);
            if let LocalAction::Sql { sql } = &statement.local {
                files.insert(
                    format!("duckdb/{}/{}.sql", kpi.kpi, statement.name),
                    sql.display(),
                );
            }
        }
    }
    let (machine, limits) = crate::asl::emit_asl(&plan, &sql);
    diagnostics.extend(limits);
    diagnostics.extend(crate::sam::grant_diagnostics(&plan));
    files.insert(STATE_MACHINE_FILE.into(), machine.to_json());
    files.insert(
        "template.yaml".into(),
        crate::sam::emit_sam_for(&plan, STATE_MACHINE_FILE, machine.stats()),
    );
    let bindings = crate::asl::task_bindings(&machine);
    files.insert(
        "manifest.json".into(),
        manifest::manifest(&plan, &sql, &bindings).to_json(),
    );
    (Artifacts { plan, sql, files }, diagnostics)
}

#[cfg(test)]
mod tests {
    #[test]
    fn comments_leave_labels_but_strings_keep_their_slashes() {
        assert_eq!(
            super::without_comments("check x > 0 // why\n  and u like 'http://%' // c"),
            "check x > 0 \n  and u like 'http://%' \n"
        );
    }
}
