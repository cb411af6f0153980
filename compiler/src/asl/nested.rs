//! A project too large for one state machine → a parent and one child state machine per group
//! of KPIs. Each child holds its group's query texts and item states (for every phase its KPIs
//! are in) behind a Choice on the item's phase; the parent keeps everything else (Prepare, the
//! plans, Inputs, Finish) and, per phase, an item processor that routes on the item's group
//! (`g`, which the phase's Plan gives each item) to a `states:startExecution.sync:2` Task of
//! that group's child. So the parent grows by a few bytes per KPI (its name in the plans and
//! its reads), not by its SQL. The attempt is still hashed in the parent's ItemSelector (from
//! the parent's execution and redrive count) and handed to the child, which names the child
//! execution too: a retried start reconnects to it.

use super::build::{LevelKpi, MachineInput, Phase, PhaseKind, SetupKpi, jsonata_pass};
use super::jsonata::{self, ItemExpr};
use super::tasks::{
    ATTEMPT_PATH, FIRST_PATH, KPI_PATH, LAST_PATH, child_start_retriers, jsonpath_catchers,
};
use super::types::{
    Choice, ChoiceRule, Definition, ExecutionType, ItemProcessor, MapMode, ProcessorConfig,
    QueryLanguage, States, Task, Test, Transition,
};
use super::{items, setup};
use kpi_contract::aws::STATES_START_EXECUTION_SYNC;
use serde_json::json;
use std::collections::BTreeMap;

/// Where the item keeps its group, as the Map's ItemSelector puts it.
pub const GROUP_PATH: &str = "$.group";

/// The KPIs of each child state machine.
#[derive(Clone, Debug, Default)]
pub struct Groups {
    /// KPI → its group.
    pub of: BTreeMap<String, usize>,
    pub count: usize,
}

impl Groups {
    /// The `${…}` name the parent's definition refers to group `g`'s state machine by.
    pub fn substitution(g: usize) -> String {
        format!("Group{g}StateMachineArn")
    }

    /// The suffix of group `g`'s state machine name (after the parent's name).
    pub fn suffix(g: usize) -> String {
        format!("-g{g}")
    }
}

/// Cuts the KPIs (in plan order) into groups whose query texts and states, `size(kpi)`
/// characters each, stay within `budget` per group.
pub fn groups<'a>(kpis: impl IntoIterator<Item = (&'a str, usize)>, budget: usize) -> Groups {
    let mut out = Groups::default();
    let mut used = 0;
    for (kpi, size) in kpis {
        if used > 0 && used + size > budget {
            out.count += 1;
            used = 0;
        }
        used += size;
        out.of.insert(kpi.to_string(), out.count);
    }
    out.count += usize::from(!out.of.is_empty());
    out
}

/// The parent's item processor of a Setup or level phase: the route on the item's group, one
/// Task per group starting that group's child with the item, the child's result as the item's.
pub fn parent_processor(
    phase: &Phase<'_>,
    groups_in_phase: &[usize],
    input: &MachineInput<'_>,
) -> ItemProcessor {
    let name = &phase.name;
    let (route, failed) = (format!("{name}.Route"), format!("{name}.Failed"));
    let task = |g: usize| format!("{name}.G{g}");
    let mut states = States::default();
    states.add(
        route.clone(),
        Choice {
            comment: None,
            choices: groups_in_phase
                .iter()
                .map(|g| ChoiceRule {
                    variable: GROUP_PATH.into(),
                    test: Test::NumericEquals(*g as i64),
                    next: task(*g),
                })
                .collect(),
            default: failed.clone(),
        },
    );
    for g in groups_in_phase {
        states.add(
            task(*g),
            Task {
                resource: STATES_START_EXECUTION_SYNC.into(),
                parameters: Some(json!({
                    "StateMachineArn": format!("${{{}}}", Groups::substitution(*g)),
                    "Name.$": format!("States.Format('{name}-{{}}', {ATTEMPT_PATH})"),
                    "Input": {
                        "phase": name,
                        "kpi.$": KPI_PATH,
                        "first.$": FIRST_PATH,
                        "last.$": LAST_PATH,
                        "attempt.$": ATTEMPT_PATH,
                        "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$": "$$.Execution.Id",
                    },
                })),
                output_path: Some("$.Output".into()),
                retry: child_start_retriers(),
                catch: jsonpath_catchers(&failed),
                transition: Transition::END,
                ..Task::default()
            },
        );
    }
    let expr = match phase.kind {
        PhaseKind::Setup(_) => ItemExpr::SetupFailed,
        _ => ItemExpr::Failed,
    };
    states.add(
        failed,
        jsonata_pass(
            Some("The child execution failed: its item's days fail, the rest completes."),
            jsonata::item(expr, input.history_day),
            Transition::END,
        ),
    );
    ItemProcessor {
        processor_config: ProcessorConfig {
            mode: input.mode,
            execution_type: (input.mode == MapMode::Distributed).then_some(ExecutionType::Standard),
        },
        start_at: route,
        states,
    }
}

/// The groups having KPIs in a phase.
pub fn groups_in(phase: &Phase<'_>, groups: &Groups) -> Vec<usize> {
    let names: Vec<&str> = match &phase.kind {
        PhaseKind::Setup(k) => k.iter().map(|k| k.name).collect(),
        PhaseKind::Level(k) => k.iter().map(|k| k.name).collect(),
        PhaseKind::Inputs(_) => Vec::new(),
    };
    let mut out: Vec<usize> = names
        .iter()
        .filter_map(|n| groups.of.get(*n).copied())
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// Group `g`'s state machine: a Choice on the item's phase, then that phase's item states
/// for the group's KPIs, as the single machine would run them.
pub fn child(g: usize, groups: &Groups, input: &MachineInput<'_>, project: &str) -> Definition {
    let mut states = States::default();
    let mut choices = Vec::new();
    let mine = |name: &str| groups.of.get(name) == Some(&g);
    for phase in &input.phases {
        let processor = match &phase.kind {
            PhaseKind::Setup(kpis) => {
                let kpis: Vec<SetupKpi<'_>> =
                    kpis.iter().filter(|k| mine(k.name)).cloned().collect();
                (!kpis.is_empty()).then(|| setup::processor(&phase.name, &kpis, input))
            }
            PhaseKind::Level(kpis) => {
                let kpis: Vec<LevelKpi<'_>> =
                    kpis.iter().filter(|k| mine(k.name)).cloned().collect();
                (!kpis.is_empty()).then(|| items::processor(&phase.name, &kpis, input))
            }
            PhaseKind::Inputs(_) => None,
        };
        if let Some(p) = processor {
            choices.push(ChoiceRule {
                variable: "$.phase".into(),
                test: Test::StringEquals(phase.name.clone()),
                next: p.start_at,
            });
            states.0.extend(p.states.0);
        }
    }
    let mut all = States::default();
    all.add(
        "Phase",
        Choice {
            comment: Some("Each item of the parent's phases for this group's KPIs.".into()),
            choices,
            default: "UnknownPhase".into(),
        },
    );
    all.0.extend(states.0);
    all.add(
        "UnknownPhase",
        super::types::Fail {
            comment: Some(
                "Unreachable: the parent starts this machine with its own phases.".into(),
            ),
            error: "Kpi.InternalError".into(),
            cause_path: "$.phase".into(),
        },
    );
    Definition {
        comment: format!(
            "generated by kpi — do not edit. Project {project}, group {g}: one item (a KPI, a chunk of days) of the parent's phases, started by the parent state machine."
        ),
        query_language: QueryLanguage::JsonPath,
        start_at: "Phase".into(),
        states: all,
    }
}
