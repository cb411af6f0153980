//! Plan + SQL bundle → phases, limits proven (or diagnosed), the Map mode chosen, and the
//! finished [`StateMachine`] with its statistics.

use super::build::{MachineInput, Phase, PhaseKpi, kinds, states};
use super::jsonata::UpstreamRead;
use super::limits::{self, PhaseShape};
use super::types::{Definition, MapMode, QueryLanguage, State, States};
use super::tz::{OffsetChange, offset_changes};
use super::{AslOptions, MachineStats, StateMachine, count_states};
use crate::diagnostic::Diagnostic;
use crate::ir::RelationTarget;
use crate::lower::{KpiPlan, Plan};
use crate::project::date::Date;
use crate::sql::SqlBundle;
use kpi_contract::Param;
use kpi_contract::manifest::{Role as StatementRole, Statement};
use serde::Serialize;

fn statements<'a>(sql: &'a SqlBundle, kpi: &str) -> Vec<&'a Statement> {
    sql.kpis
        .iter()
        .find(|k| k.kpi == kpi)
        .map(|k| k.statements.iter().collect())
        .unwrap_or_default()
}

fn upstream_reads(kpi: &KpiPlan) -> Vec<UpstreamRead<'_>> {
    kpi.reads
        .iter()
        .filter_map(|r| match &r.target {
            RelationTarget::Kpi(u) => Some(UpstreamRead {
                kpi: u.as_str(),
                days: r.window.days.max(1),
                before: r.window.ends_before,
            }),
            RelationTarget::Source(_) => None,
        })
        .collect()
}

/// Setup, then one phase per DAG level; chunk sizes are filled in later.
fn phases<'a>(plan: &'a Plan, sql: &'a SqlBundle) -> Vec<Phase<'a>> {
    let mut out = Vec::new();
    let setup: Vec<PhaseKpi<'a>> = plan
        .kpis
        .iter()
        .map(|k| PhaseKpi {
            name: k.name.as_str(),
            statements: statements(sql, &k.name)
                .into_iter()
                .filter(|s| s.role == StatementRole::Setup)
                .collect(),
            reads: Vec::new(),
        })
        .filter(|k| !k.statements.is_empty())
        .collect();
    if !setup.is_empty() {
        out.push(Phase {
            name: "Setup".into(),
            setup: true,
            kpis: setup,
            chunk: 1,
        });
    }
    for level in 0..plan.levels() {
        let kpis: Vec<PhaseKpi<'a>> = plan
            .kpis
            .iter()
            .filter(|k| k.level == level)
            .map(|k| PhaseKpi {
                name: k.name.as_str(),
                statements: statements(sql, &k.name)
                    .into_iter()
                    .filter(|s| s.role != StatementRole::Setup)
                    .collect(),
                reads: upstream_reads(k),
            })
            .filter(|k| !k.statements.is_empty())
            .collect();
        if !kpis.is_empty() {
            out.push(Phase {
                name: format!("Level{level}"),
                setup: false,
                kpis,
                chunk: 1,
            });
        }
    }
    out
}

fn shapes(phases: &[Phase<'_>], days: u32) -> Vec<PhaseShape> {
    phases
        .iter()
        .map(|p| PhaseShape {
            name: p.name.clone(),
            kpis: p
                .kpis
                .iter()
                .map(|k| (k.name.to_string(), k.statements.len() as u64))
                .collect(),
            days: if p.setup { 1 } else { u64::from(days) },
            steps: 1 + kinds(p).iter().filter(|k| k.optional).count() as u64,
        })
        .collect()
}

/// History events of one execution of the machine compiled with the default options, for a
/// backfill of `days` days of every KPI, in each Map mode.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HistoryEstimate {
    pub days: u32,
    pub inline: u64,
    pub distributed_parent: u64,
    pub distributed_child: u64,
}

/// The history of a backfill of `days` days, for reports: chunk sizes are those of the
/// longest backfill the default options allow.
pub fn history_estimate(plan: &Plan, sql: &SqlBundle, days: u32) -> HistoryEstimate {
    let options = AslOptions::default();
    let phases = phases(plan, sql);
    let names: Vec<String> = plan.kpis.iter().map(|k| k.name.clone()).collect();
    let fixed = limits::fixed_state_bytes(&names, u64::from(options.max_backfill_days));
    let long = shapes(&phases, options.max_backfill_days);
    let chunk_sizes: Vec<u64> = long
        .iter()
        .map(|s| limits::chunk_size(s, fixed).max(1))
        .collect();
    let these = shapes(&phases, days);
    HistoryEstimate {
        days,
        inline: limits::inline_events(&these, &chunk_sizes),
        distributed_parent: limits::distributed_parent_events(&these, &chunk_sizes),
        distributed_child: limits::distributed_child_events(&these),
    }
}

/// The JSON-encoded bytes of a statement's query text at its longest.
fn query_json_bytes(s: &Statement) -> u64 {
    let text = s.athena.render_with(|p| match p {
        Param::FirstDay | Param::LastDay => "2024-01-01".into(),
        Param::Attempt => "a".repeat(80),
        Param::Lake => String::new(),
    });
    serde_json::to_string(&text).map_or(0, |t| t.len() as u64)
}

/// Per statement: Athena's query length, the `.sync` echo, the one-partition proof. Per KPI
/// and phase: its item's state, which holds all its query texts. Returns the largest
/// payload found.
fn statement_checks(
    plan: &Plan,
    sql: &SqlBundle,
    phases: &[Phase<'_>],
    diagnostics: &mut Vec<Diagnostic>,
) -> u64 {
    let mut largest = 0u64;
    for kpi in &plan.kpis {
        for s in statements(sql, &kpi.name) {
            let bytes = s.athena.max_len();
            if bytes > limits::MAX_QUERY_BYTES {
                diagnostics.push(limits::query_too_long(&kpi.name, &s.name, bytes));
            }
            let sync = (bytes + limits::SYNC_RESULT_OVERHEAD) as u64;
            largest = largest.max(sync);
            if bytes <= limits::MAX_QUERY_BYTES && sync > limits::MAX_PAYLOAD_BYTES {
                diagnostics.push(limits::payload_too_large(
                    &format!(
                        "the `.sync` result of `{}.{}` (it echoes the query text)",
                        kpi.name, s.name
                    ),
                    sync,
                ));
            }
        }
    }
    for phase in phases {
        for kpi in &phase.kpis {
            let sizes: Vec<u64> = kpi.statements.iter().map(|s| query_json_bytes(s)).collect();
            let state = limits::item_state_bytes(
                sizes.iter().sum(),
                sizes.iter().copied().max().unwrap_or(0),
            );
            largest = largest.max(state);
            let too_long = kpi
                .statements
                .iter()
                .any(|s| s.athena.max_len() > limits::MAX_QUERY_BYTES);
            if !too_long && state + limits::PAYLOAD_MARGIN > limits::MAX_PAYLOAD_BYTES {
                diagnostics.push(limits::payload_too_large(
                    &format!(
                        "the state of a `{}` item of `{}` (it holds the KPI's query texts)",
                        kpi.name, phase.name
                    ),
                    state + limits::PAYLOAD_MARGIN,
                ));
            }
        }
    }
    largest
}

/// Every state name, those inside Maps included, over Step Functions' limit.
fn long_names(states: &States, diagnostics: &mut Vec<Diagnostic>) {
    for (name, state) in states.iter() {
        if name.chars().count() > limits::MAX_STATE_NAME_CHARS {
            diagnostics.push(limits::state_name_too_long(name));
        }
        if let State::Map(map) = state {
            long_names(&map.item_processor.states, diagnostics);
        }
    }
}

fn zone(plan: &Plan, diagnostics: &mut Vec<Diagnostic>) -> Vec<OffsetChange> {
    let start = Date::parse(&plan.settings.history_start.to_string()).unwrap_or(Date {
        year: 2000,
        month: 1,
        day: 1,
    });
    match offset_changes(&plan.settings.time_zone, start) {
        Some(changes) => changes,
        None => {
            diagnostics.push(limits::unknown_time_zone(&plan.settings.time_zone));
            vec![OffsetChange {
                at_millis: start.day_number() * 86_400_000,
                offset_minutes: 0,
            }]
        }
    }
}

pub fn emit(plan: &Plan, sql: &SqlBundle, options: &AslOptions) -> (StateMachine, Vec<Diagnostic>) {
    let mut diagnostics = Vec::new();
    let max_days = options.max_backfill_days.max(1);
    let zone = zone(plan, &mut diagnostics);
    let mut phases = phases(plan, sql);
    let largest_sync = statement_checks(plan, sql, &phases, &mut diagnostics);
    let names: Vec<String> = plan.kpis.iter().map(|k| k.name.clone()).collect();
    let fixed = limits::fixed_state_bytes(&names, u64::from(max_days));
    let shapes = shapes(&phases, max_days);
    let mut chunk_sizes = Vec::new();
    let mut max_payload = fixed + limits::finish_bytes(&names);
    for (phase, shape) in phases.iter_mut().zip(&shapes) {
        let chunk = limits::chunk_size(shape, fixed);
        let per_cell = limits::cell_bytes(shape.longest_name());
        if chunk == 0 {
            let one = fixed + per_cell + limits::PAYLOAD_MARGIN;
            diagnostics.push(limits::payload_too_large(
                &format!("the state of `{}` for one KPI-day", phase.name),
                one,
            ));
        }
        let chunk = chunk.max(1);
        max_payload = max_payload.max(fixed + chunk * per_cell);
        phase.chunk = usize::try_from(chunk).unwrap_or(usize::MAX);
        chunk_sizes.push(chunk);
    }
    max_payload = max_payload.max(largest_sync);

    let inline = limits::inline_events(&shapes, &chunk_sizes);
    let distributed = inline > limits::MAX_HISTORY_EVENTS;
    let max_history = if distributed {
        let parent = limits::distributed_parent_events(&shapes, &chunk_sizes);
        if parent > limits::MAX_HISTORY_EVENTS {
            diagnostics.push(limits::history_too_long(
                &format!("an execution over {max_days} days (distributed Map runs)"),
                parent,
            ));
        }
        parent.max(limits::distributed_child_events(&shapes))
    } else {
        inline
    };

    let history_start = plan.settings.history_start.to_string();
    let input = MachineInput {
        kpi_names: plan.kpis.iter().map(|k| k.name.as_str()).collect(),
        max_days,
        history_start: &history_start,
        zone: &zone,
        concurrency: plan.settings.concurrency.max(1),
        mode: if distributed {
            MapMode::Distributed
        } else {
            MapMode::Inline
        },
        phases,
    };
    let (start_at, states) = states(&input);
    long_names(&states, &mut diagnostics);
    let definition = Definition {
        comment: format!(
            "generated by kpi — do not edit. Project {}: computes its KPIs for one day or a backfill of up to {max_days} days; input {{}}, {{\"dates\": [...]}} or {{\"from\": ..., \"to\": ...}}, each optionally with \"kpis\": [...].",
            plan.settings.project
        ),
        query_language: QueryLanguage::JsonPath,
        start_at,
        states,
    };
    let mut machine = StateMachine {
        stats: MachineStats {
            states: count_states(&definition.states),
            max_history_events: max_history,
            max_state_payload_bytes: max_payload,
            distributed,
            max_backfill_days: max_days,
            inline_history_events: inline,
            chunk_sizes: shapes
                .iter()
                .map(|s| s.name.clone())
                .zip(chunk_sizes)
                .collect(),
            definition_bytes: 0,
            compact_definition_bytes: 0,
            substituted_definition_chars: 0,
        },
        definition,
    };
    let json = machine.to_json();
    machine.stats.definition_bytes = json.len();
    machine.stats.compact_definition_bytes = machine.to_json_compact().len();
    let growth: usize = limits::substitutions(&plan.settings)
        .iter()
        .map(|(_, placeholder, longest)| {
            json.matches(placeholder).count() * longest.saturating_sub(placeholder.len())
        })
        .sum();
    let substituted = json.chars().count() + growth;
    machine.stats.substituted_definition_chars = substituted;
    if substituted > limits::MAX_DEFINITION_CHARS {
        diagnostics.push(limits::definition_too_large(substituted));
    }
    (machine, diagnostics)
}
