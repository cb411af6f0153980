//! Plan + SQL bundle → phases, limits proven (or diagnosed), the Map mode chosen, and the
//! finished [`StateMachine`] with its statistics.

use super::build::{MachineInput, Phase, PhaseKind, states};
use super::jsonata::InputSource;
use super::limits::{self, PhaseLoad, events};
use super::phases::phases;
use super::types::{Definition, MapMode, QueryLanguage, State, States};
use super::tz::{OffsetChange, offset_changes};
use super::{
    ChildMachine, MachineStats, StateMachine, checks, count_states, inputs, nested, setup,
};
use crate::diagnostic::Diagnostic;
use crate::lower::Plan;
use crate::project::date::Date;
use crate::sql::SqlBundle;
use serde::Serialize;

/// The shape of one execution, for the history model.
#[derive(Clone, Copy)]
struct Backfill {
    days: u32,
    runs: u32,
    chunk_days: u32,
}

/// Per phase, the items' events (in a nested machine, what the parent sees of each item) and,
/// second, the longest item's events in its own (child) execution, when nested.
fn loads(phases: &[Phase<'_>], backfill: Backfill, nested: bool) -> (Vec<PhaseLoad>, u64) {
    let mut longest_child = 0;
    let loads = phases
        .iter()
        .map(|p| {
            let (items, item_events, longest) = match &p.kind {
                PhaseKind::Setup(kpis) => {
                    let per: Vec<u64> = setup::shape(kpis)
                        .into_iter()
                        .map(|(tasks, choices)| events::setup_item(tasks, choices))
                        .collect();
                    (
                        per.len() as u64,
                        per.iter().sum(),
                        per.iter().copied().max().unwrap_or(0),
                    )
                }
                PhaseKind::Inputs(sources) => {
                    let items: u64 = sources
                        .iter()
                        .map(|s| inputs::reach_days(s, backfill.days).div_ceil(s.block.max(1)))
                        .sum();
                    (items, items * events::INPUTS_ITEM, events::INPUTS_ITEM)
                }
                PhaseKind::Level(kpis) => {
                    let per =
                        limits::items_per_kpi(backfill.days, backfill.runs, backfill.chunk_days);
                    let chunk = u64::from(backfill.chunk_days.min(backfill.days).max(1));
                    let each: Vec<u64> = kpis
                        .iter()
                        .map(|k| events::level_item(limits::glue_calls(chunk, k.entry_bytes)))
                        .collect();
                    (
                        kpis.len() as u64 * per,
                        per * each.iter().sum::<u64>(),
                        each.iter().copied().max().unwrap_or(0),
                    )
                }
            };
            let (item_events, longest) = match (&p.kind, nested) {
                (PhaseKind::Inputs(_), _) | (_, false) => (item_events, longest),
                _ => {
                    longest_child = longest_child.max(longest + events::NESTED_CHILD);
                    (items * events::NESTED_ITEM, events::NESTED_ITEM)
                }
            };
            PhaseLoad {
                name: p.name.clone(),
                items,
                item_events,
                longest_item: longest,
                batch: p.batch,
            }
        })
        .collect();
    (loads, longest_child)
}

/// History events of one execution of the machine for a backfill of `days` consecutive days
/// of every KPI, in each Map mode.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HistoryEstimate {
    pub days: u32,
    pub inline: u64,
    pub distributed_parent: u64,
    pub distributed_child: u64,
}

/// The history of a backfill of `days` consecutive days, with the machine's batch sizes.
pub fn history_estimate(plan: &Plan, sql: &SqlBundle, days: u32) -> HistoryEstimate {
    let mut diagnostics = Vec::new();
    let mut phases = phases(plan, sql, &mut diagnostics);
    let max_days = plan.settings.max_backfill_days.max(1);
    let (_, fixed) = tracked_and_fixed(plan, &phases, max_days);
    for p in &mut phases {
        p.batch = limits::batch_size(fixed, cell_bytes(p, plan.settings.chunk_days)).max(1);
    }
    let (l, _) = loads(
        &phases,
        Backfill {
            days,
            runs: 1,
            chunk_days: plan.settings.chunk_days,
        },
        false,
    );
    HistoryEstimate {
        days,
        inline: limits::inline_events(&l),
        distributed_parent: limits::distributed_parent_events(&l),
        distributed_child: limits::distributed_child_events(&l),
    }
}

fn names(plan: &Plan) -> Vec<String> {
    plan.kpis.iter().map(|k| k.name.clone()).collect()
}

/// How many KPIs' failed days the state keeps day by day, and the state's fixed bytes then:
/// every KPI when that leaves room for batches of 16 of the largest items, else half of the
/// room left, the other half for the batches.
fn tracked_and_fixed(plan: &Plan, phases: &[Phase<'_>], max_days: u32) -> (u64, u64) {
    let n = plan.kpis.len() as u64;
    let all = fixed_bytes(plan, phases, max_days, n);
    let cell = phases
        .iter()
        .map(|p| cell_bytes(p, plan.settings.chunk_days))
        .max()
        .unwrap_or(0);
    let limit = limits::MAX_PAYLOAD_BYTES.saturating_sub(limits::PAYLOAD_MARGIN);
    if all + 16 * cell <= limit {
        return (n, all);
    }
    let none = fixed_bytes(plan, phases, max_days, 0);
    let each = limits::bitmap_bytes(&names(plan), u64::from(max_days)).max(1);
    let tracked = (limit.saturating_sub(none) / 2 / each).clamp(1, n.max(1));
    (tracked, fixed_bytes(plan, phases, max_days, tracked))
}

fn fixed_bytes(plan: &Plan, phases: &[Phase<'_>], max_days: u32, tracked: u64) -> u64 {
    let reach: Vec<(String, u64)> = phases
        .iter()
        .filter_map(|p| match &p.kind {
            PhaseKind::Inputs(sources) => Some(sources),
            _ => None,
        })
        .flatten()
        .map(|s| (s.name.clone(), inputs::reach_days(s, max_days)))
        .collect();
    limits::fixed_state_bytes(&names(plan), u64::from(max_days), &reach, tracked)
}

/// What one item adds to its Map run's state: the item and its result.
fn cell_bytes(phase: &Phase<'_>, chunk_days: u32) -> u64 {
    match &phase.kind {
        PhaseKind::Setup(kpis) => limits::setup_cell_bytes(
            kpis.iter()
                .map(|k| limits::json_len(k.name))
                .max()
                .unwrap_or(0),
        ),
        PhaseKind::Inputs(sources) => limits::inputs_cell_bytes(
            sources
                .iter()
                .map(|s| {
                    limits::json_len(&s.name) + limits::json_len(&s.db) + limits::json_len(&s.table)
                })
                .max()
                .unwrap_or(0),
            sources.iter().map(|s| s.block).max().unwrap_or(0),
        ),
        PhaseKind::Level(kpis) => limits::level_cell_bytes(
            kpis.iter()
                .map(|k| limits::json_len(k.name))
                .max()
                .unwrap_or(0),
            u64::from(chunk_days),
        ),
    }
}

/// Every state name, those inside Maps included, over Step Functions' limit.
fn long_names(states: &States, diagnostics: &mut Vec<Diagnostic>) {
    for (name, state) in states.iter() {
        if name.chars().count() > limits::MAX_NAME_CHARS {
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

/// Characters of child definition one group's KPIs may fill: well within 1 MB once the
/// shared states and the substitutions are added (each child is measured afterwards).
const GROUP_BUDGET: usize = 600_000;

/// One machine when it fits Step Functions' definition limit; else a parent and a child per
/// group of KPIs (`nested.rs`).
pub fn emit(plan: &Plan, sql: &SqlBundle) -> (StateMachine, Vec<Diagnostic>) {
    let (single, diagnostics) = emit_with(plan, sql, None);
    if single.stats.substituted_definition_chars <= limits::MAX_DEFINITION_CHARS
        || plan.kpis.len() < 2
    {
        return (single, diagnostics);
    }
    let size = |kpi: &str| -> usize {
        sql.kpis.iter().find(|k| k.kpi == kpi).map_or(0, |k| {
            k.statements
                .iter()
                .map(|s| super::tasks::format_expression(&s.athena).len() + 256)
                .sum()
        }) + 512
    };
    let groups = nested::groups(
        plan.kpis.iter().map(|k| (k.name.as_str(), size(&k.name))),
        GROUP_BUDGET,
    );
    emit_with(plan, sql, Some(groups))
}

fn emit_with(
    plan: &Plan,
    sql: &SqlBundle,
    groups: Option<nested::Groups>,
) -> (StateMachine, Vec<Diagnostic>) {
    let mut diagnostics = Vec::new();
    let settings = &plan.settings;
    let max_days = settings.max_backfill_days.max(1);
    let chunk_days = settings.chunk_days;
    if chunk_days == 0 || chunk_days > limits::MAX_CHUNK_DAYS {
        diagnostics.push(limits::chunk_too_long(chunk_days));
    }
    let max_runs = limits::max_runs(max_days, chunk_days);
    let zone = zone(plan, &mut diagnostics);
    let mut phases = phases(plan, sql, &mut diagnostics);
    let (tracked, fixed) = tracked_and_fixed(plan, &phases, max_days);
    let mut max_payload = (fixed + limits::finish_bytes(&names(plan))).max(checks::items(
        plan,
        &phases,
        &mut diagnostics,
    ));
    for phase in &mut phases {
        let cell = cell_bytes(phase, chunk_days);
        let batch = limits::batch_size(fixed, cell);
        if batch == 0 {
            diagnostics.push(limits::payload_too_large(
                &format!("the state of `{}` with one item", phase.name),
                fixed + cell + limits::PAYLOAD_MARGIN,
            ));
        }
        phase.batch = batch.max(1);
        max_payload = max_payload.max(fixed + phase.batch * cell);
    }
    let (loads, longest_child) = loads(
        &phases,
        Backfill {
            days: max_days,
            runs: max_runs,
            chunk_days,
        },
        groups.is_some(),
    );
    if longest_child > limits::MAX_HISTORY_EVENTS {
        diagnostics.push(limits::history_too_long(
            "one item's execution of a group's state machine",
            longest_child,
        ));
    }
    let inline = limits::inline_events(&loads);
    let distributed = inline > limits::MAX_HISTORY_EVENTS;
    let max_history = if distributed {
        let parent = limits::distributed_parent_events(&loads);
        let child = limits::distributed_child_events(&loads);
        for (what, n) in [
            ("an execution", parent),
            ("one item's child execution", child),
        ] {
            if n > limits::MAX_HISTORY_EVENTS {
                diagnostics.push(limits::history_too_long(
                    &format!(
                        "{what} over {max_days} days in {max_runs} runs (distributed Map runs)"
                    ),
                    n,
                ));
            }
        }
        parent.max(child)
    } else {
        inline
    }
    .max(longest_child);

    let history_start = settings.history_start.to_string();
    let input = MachineInput {
        kpi_names: plan.kpis.iter().map(|k| k.name.as_str()).collect(),
        max_days,
        max_runs,
        chunk_days,
        history_start: &history_start,
        history_day: i64::from(settings.history_start.number()),
        zone: &zone,
        concurrency: settings.concurrency.max(1),
        mode: if distributed {
            MapMode::Distributed
        } else {
            MapMode::Inline
        },
        phases,
        tracked,
        groups,
    };
    let (start_at, states) = states(&input);
    long_names(&states, &mut diagnostics);
    let children: Vec<ChildMachine> = input.groups.as_ref().map_or_else(Vec::new, |g| {
        (0..g.count)
            .map(|i| {
                let definition = nested::child(i, g, &input, &settings.project);
                long_names(&definition.states, &mut diagnostics);
                ChildMachine {
                    group: i,
                    definition,
                    compact: false,
                }
            })
            .collect()
    });
    let definition = Definition {
        comment: format!(
            "generated by kpi — do not edit. Project {}: computes its KPIs for one day or a backfill of up to {max_days} days in at most {max_runs} runs of consecutive days, {chunk_days} days per query; input {{}}, {{\"dates\": [...]}} or {{\"from\": ..., \"to\": ...}}, each optionally with \"kpis\": [...].",
            settings.project
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
            max_runs,
            chunk_days,
            inline_history_events: inline,
            batch_sizes: loads.iter().map(|l| (l.name.clone(), l.batch)).collect(),
            items: loads.iter().map(|l| (l.name.clone(), l.items)).collect(),
            definition_bytes: 0,
            compact_definition_bytes: 0,
            substituted_definition_chars: 0,
            machines: 1 + children.len(),
            largest_child_definition_chars: 0,
            child_history_events: longest_child,
        },
        definition,
        compact: false,
        children,
    };
    let substituted_size = |json: &str| {
        let growth: usize = limits::substitutions(settings)
            .iter()
            .map(|(_, placeholder, longest)| {
                json.matches(placeholder).count() * longest.saturating_sub(placeholder.len())
            })
            .sum();
        // A group's ARN: a partition, region and account, and a name of up to 80 characters.
        let arns = json.matches("StateMachineArn}").count() * 160;
        json.chars().count() + growth + arns
    };
    let pretty = machine.to_json();
    machine.stats.definition_bytes = pretty.len();
    machine.stats.compact_definition_bytes = machine.to_json_compact().len();
    let mut substituted = substituted_size(&pretty);
    if substituted > limits::MAX_DEFINITION_CHARS {
        // Indentation alone would not fit: write the definition on one line instead.
        machine.compact = true;
        substituted = substituted_size(&machine.to_json());
    }
    machine.stats.substituted_definition_chars = substituted;
    if substituted > limits::MAX_DEFINITION_CHARS {
        diagnostics.push(limits::definition_too_large(substituted));
    }
    let mut largest = 0;
    for child in &mut machine.children {
        let pretty = child.to_json();
        let mut size = substituted_size(&pretty);
        if size > limits::MAX_DEFINITION_CHARS {
            child.compact = true;
            size = substituted_size(&child.to_json());
        }
        if size > limits::MAX_DEFINITION_CHARS {
            diagnostics.push(limits::definition_too_large(size));
        }
        largest = largest.max(size);
    }
    machine.stats.largest_child_definition_chars = largest;
    (machine, diagnostics)
}

/// The sources an Inputs phase asks about, for reports and tests.
pub fn input_sources(plan: &Plan) -> Vec<InputSource> {
    inputs::sources(plan, &mut Vec::new())
}
