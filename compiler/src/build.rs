//! Build: a checked project → every artifact `kpi build` writes, as relative path → text.
//! Pure: the CLI writes the files.

use crate::catalog::Catalog;
use crate::diagnostic::Diagnostic;
use crate::ir::{Check, Program};
use crate::lower::Migration;
use crate::lower::{Plan, lower};
use crate::project::Project;
use crate::span::Sources;
use crate::sql::{LocalAction, SqlBundle, emit_sql};
use serde::Serialize;
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
                    let clause = sources
                        .slice(span)
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
        manifest_json(&plan, &sql, &bindings),
    );
    (Artifacts { plan, sql, files }, diagnostics)
}

#[derive(Serialize)]
struct Manifest<'a> {
    generated_by: &'static str,
    project: &'a crate::lower::Settings,
    sources: &'a [crate::lower::SourcePlan],
    kpis: Vec<ManifestKpi<'a>>,
    /// Every Athena Task state of the state machine → the statement kind it runs, shared by
    /// the KPIs listed: the KPI of a run is the item's, at `kpi_path` in the state input, and
    /// the query text at `query_path`.
    states: &'a [crate::asl::TaskBinding],
}

#[derive(Serialize)]
struct ManifestKpi<'a> {
    name: &'a str,
    fingerprint: &'a str,
    level: usize,
    upstream: &'a [String],
    reads: &'a [crate::lower::Read],
    location: &'a str,
    attempts_location: &'a str,
    columns: &'a [crate::ir::Column],
    statements: &'a [crate::sql::Statement],
}

fn manifest_json(plan: &Plan, sql: &SqlBundle, states: &[crate::asl::TaskBinding]) -> String {
    let kpis = plan
        .kpis
        .iter()
        .map(|k| ManifestKpi {
            name: &k.name,
            fingerprint: &k.fingerprint,
            level: k.level,
            upstream: &k.upstream,
            reads: &k.reads,
            location: &k.location,
            attempts_location: &k.attempts_location,
            columns: &k.columns,
            statements: sql
                .kpis
                .iter()
                .find(|s| s.kpi == k.name)
                .map_or(&[], |s| s.statements.as_slice()),
        })
        .collect();
    let manifest = Manifest {
        generated_by: "kpi — do not edit",
        project: &plan.settings,
        sources: &plan.sources,
        kpis,
        states,
    };
    let mut text = serde_json::to_string_pretty(&manifest).unwrap_or_else(|_| "{}".into());
    text.push('\n');
    text
}
