//! Phases (Setup, then each DAG level) → the states of the machine:
//!
//! ```text
//! Prepare ─ Validate ─┬─ InvalidInput (Fail Kpi.InvalidInput)
//!                     └─ Setup.Plan ─ Setup.Run ─ Setup.More ─┐   (loop while chunks remain)
//!                        Level0.Plan ─ Level0.Run ─ Level0.More ─┐ … ─ Finish ─ Done ─┬─ Failed
//!                                                                                    └─ Succeeded
//! <phase>.Run item: <phase>.Route ─ <kpi>.Setup | <kpi>.Day ─ <phase>.<statement> ─ …
//!                   (an optional statement: <phase>.If.<statement> ─ <phase>.<statement> or on;
//!                   Catch → <phase>.Failed)
//! ```
//!
//! The Task states are shared by every KPI of the phase: `<kpi>.Setup` / `<kpi>.Day` (a Pass
//! state, reached by the route on the item's KPI) leaves the KPI's query texts at `$.sql`.

use super::jsonata::{self, UpstreamRead};
use super::tasks::{KPI_PATH, SQL_PATH, queries_pass, query_keys, shared_task};
use super::types::{
    Choice, ChoiceRule, ExecutionType, Fail, ItemProcessor, Map, MapMode, Pass, ProcessorConfig,
    QueryLanguage, State, States, Succeed, Test, Transition,
};
use super::tz::OffsetChange;
use kpi_contract::manifest::Statement;
use serde_json::json;

/// One KPI in one phase: the statements its items run, in order, and the upstream KPIs its
/// day reads (for levels).
pub struct PhaseKpi<'a> {
    pub name: &'a str,
    pub statements: Vec<&'a Statement>,
    pub reads: Vec<UpstreamRead<'a>>,
}

pub struct Phase<'a> {
    pub name: String,
    pub setup: bool,
    pub kpis: Vec<PhaseKpi<'a>>,
    /// KPI-days per Map run.
    pub chunk: usize,
}

pub struct MachineInput<'a> {
    pub kpi_names: Vec<&'a str>,
    pub max_days: u32,
    pub history_start: &'a str,
    pub zone: &'a [OffsetChange],
    pub concurrency: u32,
    pub mode: MapMode,
    pub phases: Vec<Phase<'a>>,
}

fn jsonata_pass(comment: &str, output: String, next: Transition) -> Pass {
    Pass {
        query_language: Some(QueryLanguage::JsonAta),
        comment: Some(comment.into()),
        output: Some(output),
        transition: Some(next),
        ..Pass::default()
    }
}

fn plan_name(phase: &str) -> String {
    format!("{phase}.Plan")
}

pub fn states(input: &MachineInput<'_>) -> (String, States) {
    let mut states = States::default();
    let first_phase = input
        .phases
        .first()
        .map_or_else(|| "Finish".to_string(), |p| plan_name(&p.name));
    states.add(
        "Prepare",
        jsonata_pass(
            "Validates the input (days, KPI names) before any of it can reach SQL; {} means the day before the start time, in the project's time zone.",
            jsonata::prepare(
                &input.kpi_names,
                input.max_days,
                input.history_start,
                input.zone,
            ),
            Transition::next("Validate"),
        ),
    );
    states.add(
        "Validate",
        Choice {
            comment: None,
            choices: vec![ChoiceRule {
                variable: "$.problem".into(),
                test: Test::IsPresent(true),
                next: "InvalidInput".into(),
            }],
            default: first_phase,
        },
    );
    states.add(
        "InvalidInput",
        Fail {
            comment: None,
            error: "Kpi.InvalidInput".into(),
            cause_path: "$.problem".into(),
        },
    );
    for (i, phase) in input.phases.iter().enumerate() {
        let after = input
            .phases
            .get(i + 1)
            .map_or_else(|| "Finish".to_string(), |p| plan_name(&p.name));
        add_phase(&mut states, input, phase, &after);
    }
    states.add(
        "Finish",
        jsonata_pass(
            "Folds the last failures and writes the outcome.",
            jsonata::finish(),
            Transition::next("Done"),
        ),
    );
    states.add(
        "Done",
        Choice {
            comment: None,
            choices: vec![ChoiceRule {
                variable: "$.failureCount".into(),
                test: Test::NumericGreaterThan(0),
                next: "Failed".into(),
            }],
            default: "Succeeded".into(),
        },
    );
    states.add(
        "Failed",
        Fail {
            comment: Some("Some KPI-days failed; the rest completed.".into()),
            error: "Kpi.Failed".into(),
            cause_path: "$.message".into(),
        },
    );
    states.add(
        "Succeeded",
        Succeed {
            comment: None,
            output_path: Some("$.summary".into()),
        },
    );
    ("Prepare".into(), states)
}

fn add_phase(states: &mut States, input: &MachineInput<'_>, phase: &Phase<'_>, after: &str) {
    let name = &phase.name;
    let kpis: Vec<&str> = phase.kpis.iter().map(|k| k.name).collect();
    let reads: Vec<(&str, Vec<UpstreamRead<'_>>)> = phase
        .kpis
        .iter()
        .map(|k| {
            (
                k.name,
                k.reads
                    .iter()
                    .map(|r| UpstreamRead {
                        kpi: r.kpi,
                        days: r.days,
                        before: r.before,
                    })
                    .collect(),
            )
        })
        .collect();
    // Setup runs once per KPI, on the first day (its statements take no day).
    let days = if phase.setup {
        "[$st.days[0]]"
    } else {
        "$st.days"
    };
    let (comment, run_comment) = if phase.setup {
        (
            "Lists the selected KPIs whose tables to create (once per execution).",
            "Creates each KPI's tables if they do not exist.",
        )
    } else {
        (
            "Folds the failures so far, then lists this level's next KPI-days, leaving out those whose upstream KPI-day failed.",
            "Runs each KPI-day: write to a fresh attempt prefix, check, publish.",
        )
    };
    states.add(
        plan_name(name),
        jsonata_pass(
            comment,
            jsonata::plan(name, phase.chunk, &kpis, &reads, days),
            Transition::next(format!("{name}.Run")),
        ),
    );
    states.add(
        format!("{name}.Run"),
        Map {
            comment: Some(run_comment.into()),
            items_path: "$.items".into(),
            item_selector: json!({
                "kpi.$": "$$.Map.Item.Value.kpi",
                "day.$": "$$.Map.Item.Value.day",
                "attempt.$": "States.Hash(States.Format('{}|{}|{}', $$.Execution.Id, $$.Map.Item.Value.kpi, $$.Map.Item.Value.day), 'SHA-256')",
            }),
            item_processor: item_processor(phase, input.mode),
            max_concurrency: input.concurrency,
            label: None,
            result_path: "$.results".into(),
            transition: Transition::next(format!("{name}.More")),
        },
    );
    states.add(
        format!("{name}.More"),
        Choice {
            comment: None,
            choices: vec![ChoiceRule {
                variable: "$.more".into(),
                test: Test::BooleanEquals(true),
                next: plan_name(name),
            }],
            default: after.into(),
        },
    );
}

/// One statement kind of a phase: its name, its key under `$.sql`, and whether some KPI of
/// the phase lacks it (then a Choice on presence skips its Task state).
pub struct Kind<'a> {
    pub statement: &'a str,
    pub key: String,
    pub optional: bool,
}

/// The statement kinds of a phase, in an order that keeps every KPI's own order: each kind
/// goes right after the kind before it in the first KPI that has it.
pub fn kinds<'a>(phase: &Phase<'a>) -> Vec<Kind<'a>> {
    let mut order: Vec<&'a str> = Vec::new();
    for kpi in &phase.kpis {
        let mut at = 0;
        for s in &kpi.statements {
            match order.iter().position(|k| *k == s.name) {
                Some(i) => at = i + 1,
                None => {
                    order.insert(at, s.name.as_str());
                    at += 1;
                }
            }
        }
    }
    let keys = query_keys(&order);
    order
        .into_iter()
        .zip(keys)
        .map(|(statement, key)| Kind {
            statement,
            key,
            optional: !phase
                .kpis
                .iter()
                .all(|k| k.statements.iter().any(|s| s.name == statement)),
        })
        .collect()
}

/// The state of a KPI in a phase: `<kpi>.Setup` or `<kpi>.Day`.
pub fn kpi_state(phase: &Phase<'_>, kpi: &str) -> String {
    format!("{kpi}.{}", if phase.setup { "Setup" } else { "Day" })
}

/// The item processor of a phase's Map: the route on the item's KPI, each KPI's state (its
/// query texts), then the shared chain of Task states, one per statement kind, each optional
/// one behind a Choice on the presence of its query text.
fn item_processor(phase: &Phase<'_>, mode: MapMode) -> ItemProcessor {
    let name = &phase.name;
    let failed = format!("{name}.Failed");
    let route = format!("{name}.Route");
    let unknown = format!("{name}.Unknown");
    let done = format!("{name}.Done");
    let kinds = kinds(phase);
    let task = |k: &Kind<'_>| format!("{name}.{}", k.statement);
    let entry = |i: usize| {
        kinds.get(i).map_or_else(
            || done.clone(),
            |k| {
                if k.optional {
                    format!("{name}.If.{}", k.statement)
                } else {
                    task(k)
                }
            },
        )
    };
    let mut states = States::default();
    let mut choices = Vec::new();
    let mut passes = States::default();
    for kpi in &phase.kpis {
        let state = kpi_state(phase, kpi.name);
        let with_keys: Vec<(&Statement, &str)> = kpi
            .statements
            .iter()
            .filter_map(|s| {
                kinds
                    .iter()
                    .find(|k| k.statement == s.name)
                    .map(|k| (*s, k.key.as_str()))
            })
            .collect();
        passes.add(
            state.clone(),
            queries_pass(&with_keys, Transition::next(entry(0))),
        );
        choices.push(ChoiceRule {
            variable: KPI_PATH.into(),
            test: Test::StringEquals(kpi.name.to_string()),
            next: state,
        });
    }
    states.add(
        route.clone(),
        Choice {
            comment: None,
            choices,
            default: unknown.clone(),
        },
    );
    states.0.extend(passes.0);
    let mut needs_done = false;
    for (i, kind) in kinds.iter().enumerate() {
        let last = i + 1 == kinds.len();
        if kind.optional {
            needs_done |= last;
            states.add(
                entry(i),
                Choice {
                    comment: None,
                    choices: vec![ChoiceRule {
                        variable: format!("{SQL_PATH}.{}", kind.key),
                        test: Test::IsPresent(true),
                        next: task(kind),
                    }],
                    default: entry(i + 1),
                },
            );
        }
        let kpis: Vec<String> = phase
            .kpis
            .iter()
            .filter(|k| k.statements.iter().any(|s| s.name == kind.statement))
            .map(|k| k.name.to_string())
            .collect();
        let next = if last {
            Transition::END
        } else {
            Transition::next(entry(i + 1))
        };
        let mut t = shared_task(kind.statement, &kind.key, kpis, next, &failed);
        if last {
            // The item ends with its last query's state, so a chunk's results stay small.
            t.output_path = Some("$.query.State".into());
        }
        states.add(task(kind), t);
    }
    if needs_done {
        states.add(
            done,
            Pass {
                result: Some(json!("SUCCEEDED")),
                transition: Some(Transition::END),
                ..Pass::default()
            },
        );
    }
    states.add(
        failed,
        jsonata_pass(
            "Records the failure and ends the item normally, so the rest completes.",
            jsonata::failure(phase.setup),
            Transition::END,
        ),
    );
    states.add(
        unknown,
        State::Fail(Fail {
            comment: Some("Unreachable: Prepare accepts only this project's KPIs.".into()),
            error: "Kpi.InternalError".into(),
            cause_path: KPI_PATH.into(),
        }),
    );
    ItemProcessor {
        processor_config: ProcessorConfig {
            mode,
            execution_type: (mode == MapMode::Distributed).then_some(ExecutionType::Standard),
        },
        start_at: route,
        states,
    }
}
