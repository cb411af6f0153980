//! Plan + SQL bundle → the machine's phases: Setup (the KPIs' setup statements), Inputs (the
//! sources read by day), then one per DAG level (each KPI's write and check, what its publish
//! needs, and the reads its Plan checks), with a diagnostic for a KPI the bundle leaves
//! without the statements a level runs.

use super::build::{LevelKpi, Phase, PhaseKind, SetupKpi};
use super::inputs;
use super::jsonata::{LevelPlanKpi, WindowRead};
use super::limits;
use crate::diagnostic::Diagnostic;
use crate::lower::{KpiPlan, Plan, Target};
use crate::sql::{SqlBundle, hive_ddl_type};
use kpi_contract::manifest::{Role, Statement};

fn statements<'a>(sql: &'a SqlBundle, kpi: &str) -> Vec<&'a Statement> {
    sql.kpis
        .iter()
        .find(|k| k.kpi == kpi)
        .map(|k| k.statements.iter().collect())
        .unwrap_or_default()
}

fn one_of<'a>(
    kpi: &str,
    all: &[&'a Statement],
    role: Role,
    what: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<&'a Statement> {
    let found: Vec<&Statement> = all.iter().copied().filter(|s| s.role == role).collect();
    if found.len() != 1 {
        diagnostics.push(limits::missing_statement(
            kpi,
            &format!("{} {what} statements instead of one", found.len()),
        ));
    }
    found.first().copied()
}

/// How many days before a computed day its value depends on, through its reads and theirs:
/// a day whose depth reaches before `history_start` is partial, and so is every KPI-day
/// computed from a partial one.
fn history_depth(plan: &Plan, kpi: &KpiPlan) -> u32 {
    kpi.reads
        .iter()
        .filter(|r| r.partitioned)
        .map(|r| {
            let upstream = match &r.target {
                Target::Kpi(name) => plan
                    .kpis
                    .iter()
                    .find(|k| &k.name == name)
                    .map_or(0, |u| history_depth(plan, u)),
                _ => 0,
            };
            r.window.lead_in().saturating_add(upstream)
        })
        .max()
        .unwrap_or(0)
}

fn level_kpi<'a>(
    plan: &Plan,
    kpi: &'a KpiPlan,
    sql: &'a SqlBundle,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<LevelKpi<'a>> {
    let all = statements(sql, &kpi.name);
    let write = one_of(&kpi.name, &all, Role::Write, "write", diagnostics);
    let check = one_of(&kpi.name, &all, Role::Check, "check", diagnostics);
    let mut sources = Vec::new();
    let mut kpis = Vec::new();
    for read in kpi.reads.iter().filter(|r| r.partitioned) {
        match &read.target {
            Target::Source(name) => {
                let label = plan.source(name).map_or_else(
                    || name.clone(),
                    |s| {
                        format!(
                            "{}.{} {}",
                            s.database,
                            s.table,
                            s.partition.as_deref().unwrap_or("dt")
                        )
                    },
                );
                sources.push(WindowRead {
                    s: Some(name.clone()),
                    name: Some(label),
                    k: None,
                    days: read.window.days.max(1),
                    back: read.window.ends_before,
                });
            }
            Target::Kpi(name) => kpis.push(WindowRead {
                s: None,
                name: None,
                k: Some(name.clone()),
                days: read.window.days.max(1),
                back: read.window.ends_before,
            }),
        }
    }
    let columns: Vec<(String, String, Option<String>)> = kpi
        .columns
        .iter()
        .map(|c| (c.name.clone(), hive_ddl_type(&c.ty), c.doc.clone()))
        .collect();
    Some(LevelKpi {
        entry_bytes: limits::partition_input_bytes(
            &columns,
            limits::json_len(&kpi.attempts_location),
            limits::json_len(&kpi.fingerprint),
        ),
        table_bytes: limits::TABLE_FIXED_BYTES
            + limits::storage_bytes(&columns, limits::json_len(&kpi.location)),
        name: &kpi.name,
        write: write?,
        check: check?,
        attempts_location: &kpi.attempts_location,
        fingerprint: &kpi.fingerprint,
        lead_in: history_depth(plan, kpi),
        plan: LevelPlanKpi {
            kpi: kpi.name.clone(),
            g: None,
            sources,
            kpis,
        },
    })
}

/// Setup, Inputs (when a KPI reads a source by day), then one phase per DAG level; batch
/// sizes are filled in later.
pub fn phases<'a>(
    plan: &'a Plan,
    sql: &'a SqlBundle,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Phase<'a>> {
    let mut out = Vec::new();
    let setup: Vec<SetupKpi<'a>> = plan
        .kpis
        .iter()
        .map(|k| SetupKpi {
            name: k.name.as_str(),
            statements: statements(sql, &k.name)
                .into_iter()
                .filter(|s| s.role == Role::Setup)
                .collect(),
        })
        .filter(|k| !k.statements.is_empty())
        .collect();
    if !setup.is_empty() {
        out.push(Phase {
            name: "Setup".into(),
            kind: PhaseKind::Setup(setup),
            batch: 1,
        });
    }
    let sources = inputs::sources(plan, diagnostics);
    if !sources.is_empty() {
        out.push(Phase {
            name: "Inputs".into(),
            kind: PhaseKind::Inputs(sources),
            batch: 1,
        });
    }
    for level in 0..plan.levels() {
        let kpis: Vec<LevelKpi<'a>> = plan
            .kpis
            .iter()
            .filter(|k| k.level == level)
            .filter_map(|k| level_kpi(plan, k, sql, diagnostics))
            .collect();
        // The level's shared Task states carry the statements' names: every KPI's must agree.
        if let Some(first) = kpis.first() {
            for k in &kpis[1..] {
                if k.write.name != first.write.name || k.check.name != first.check.name {
                    diagnostics.push(limits::missing_statement(
                        k.name,
                        &format!(
                            "statements `{}` and `{}` where the other KPIs of level {level} have `{}` and `{}`",
                            k.write.name, k.check.name, first.write.name, first.check.name
                        ),
                    ));
                }
            }
        }
        if !kpis.is_empty() {
            out.push(Phase {
                name: format!("Level{level}"),
                kind: PhaseKind::Level(kpis),
                batch: 1,
            });
        }
    }
    out
}
