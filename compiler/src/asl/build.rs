//! Phases (Setup, Inputs, then each DAG level) → the states of the machine:
//!
//! ```text
//! Prepare ─ Validate ─┬─ InvalidInput (Fail Kpi.InvalidInput)
//!                     └─ Setup.Plan ─ Setup.Run ─ Setup.More ─┐        (each phase loops on its
//!                        Inputs.Plan ─ Inputs.Run ─ Inputs.More ─┐      Plan while batches of
//!                        Level0.Plan ─ Level0.Run ─ Level0.More ─┐ …    items remain)
//!                        Finish ─ Done ─┬─ Failed (Fail Kpi.Failed)
//!                                       └─ Succeeded
//!
//! Setup item (a KPI):   Setup.Route ─ <kpi>.Setup ─ Setup.<statement> ─ …
//!                       (an optional statement: Setup.If.<statement> ─ Setup.<statement> or on)
//! Inputs item (a block of a source's days):
//!                       Inputs.Get ─ Inputs.Again ─┬─ Inputs.Get    (Glue left keys unprocessed)
//!                                                  └─ Inputs.Done
//! Level item (a KPI and a chunk of days):
//!   Level0.Route ─ <kpi>.Chunk ─ Level0.03_write ─ Level0.04_check ─ Level0.Verdict
//!     ─ Level0.AnyPassed ─┬─ Level0.GetTable ─ Level0.Create ─ Level0.Publish ─┬─ Level0.Create (days left to create)
//!                         │                                  Level0.Update ─┤─ Level0.Update (days Glue had)
//!                         └──────────────────────────────────── Level0.Outcome ─┘
//!   every Task's Catch → <phase>.Failed (the item's days fail; the execution goes on)
//! ```
//!
//! The Task states are shared by every KPI of the phase: `<kpi>.Setup` / `<kpi>.Chunk` (a Pass
//! state, reached by the route on the item's KPI) leaves the KPI's query texts at `$.sql`.

use super::jsonata::{self, InputSource, LevelPlanKpi};
use super::types::{
    Choice, ChoiceRule, Fail, ItemProcessor, Map, Pass, QueryLanguage, State, States, Succeed,
    Test, Transition,
};
use super::tz::OffsetChange;
use super::{inputs, items, nested, setup};
use kpi_contract::manifest::Statement;
use serde_json::json;

/// One KPI of the Setup phase: the statements its item runs, in order.
#[derive(Clone)]
pub struct SetupKpi<'a> {
    pub name: &'a str,
    pub statements: Vec<&'a Statement>,
}

/// One KPI of a level: its write and check, and what its publish needs.
#[derive(Clone)]
pub struct LevelKpi<'a> {
    pub name: &'a str,
    pub write: &'a Statement,
    pub check: &'a Statement,
    pub attempts_location: &'a str,
    pub fingerprint: &'a str,
    /// The most days before a computed day its value depends on, through its reads and
    /// their upstreams' (a day reaching before `history_start` is published as partial).
    pub lead_in: u32,
    /// One `PartitionInput` of its table, at most (bytes).
    pub entry_bytes: u64,
    /// Its table as `GetTable` answers, at most (bytes).
    pub table_bytes: u64,
    /// How the level's Plan checks its days.
    pub plan: LevelPlanKpi,
}

pub enum PhaseKind<'a> {
    Setup(Vec<SetupKpi<'a>>),
    Inputs(Vec<InputSource>),
    Level(Vec<LevelKpi<'a>>),
}

pub struct Phase<'a> {
    pub name: String,
    pub kind: PhaseKind<'a>,
    /// Items per Map run.
    pub batch: u64,
}

pub struct MachineInput<'a> {
    pub kpi_names: Vec<&'a str>,
    pub max_days: u32,
    pub max_runs: u32,
    pub chunk_days: u32,
    pub history_start: &'a str,
    /// `history_start` as a day number.
    pub history_day: i64,
    pub zone: &'a [OffsetChange],
    pub concurrency: u32,
    pub mode: super::types::MapMode,
    pub phases: Vec<Phase<'a>>,
    /// KPIs whose failed days the state keeps day by day (`failed`); the rest go to `lost`.
    pub tracked: u64,
    /// The child state machines' KPIs, when the project is split into several machines.
    pub groups: Option<super::nested::Groups>,
}

pub fn jsonata_pass(comment: Option<&str>, output: String, next: Transition) -> Pass {
    Pass {
        query_language: Some(QueryLanguage::JsonAta),
        comment: comment.map(str::to_string),
        output: Some(output),
        transition: Some(next),
        ..Pass::default()
    }
}

/// A JSONPath Choice going to `next` when the value at `path` exists, else to `default`.
pub fn present(path: &str, next: &str, default: &str) -> Choice {
    Choice {
        comment: None,
        choices: vec![ChoiceRule {
            variable: path.into(),
            test: Test::IsPresent(true),
            next: next.into(),
        }],
        default: default.into(),
    }
}

/// The Fail state an item reaches when the route does not know its KPI.
pub fn unknown_kpi() -> State {
    State::Fail(Fail {
        comment: Some("Unreachable: Prepare accepts only this project's KPIs.".into()),
        error: "Kpi.InternalError".into(),
        cause_path: super::tasks::KPI_PATH.into(),
    })
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
            Some("Validates the input (days, KPI names) before any of it can reach SQL; {} means the day before the start time, in the project's time zone."),
            jsonata::prepare(
                &input.kpi_names,
                input.max_days,
                input.max_runs,
                input.history_start,
                input.zone,
            ),
            Transition::next("Validate"),
        ),
    );
    states.add(
        "Validate",
        present("$.problem", "InvalidInput", &first_phase),
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
            Some("Folds the last failures and writes the outcome."),
            jsonata::finish(input.tracked),
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

/// The selector giving each KPI item its validated values and its attempt, hashed from the
/// execution, its redrive count (a redrive writes fresh prefixes), the KPI and the days.
fn kpi_item_selector(grouped: bool) -> serde_json::Value {
    let mut selector = json!({
        "kpi.$": "$$.Map.Item.Value.kpi",
        "first.$": "$$.Map.Item.Value.first",
        "last.$": "$$.Map.Item.Value.last",
        "attempt.$": "States.Hash(States.Format('{}|{}|{}|{}|{}', $$.Execution.Id, $$.Execution.RedriveCount, $$.Map.Item.Value.kpi, $$.Map.Item.Value.first, $$.Map.Item.Value.last), 'SHA-256')",
    });
    if grouped {
        selector["group.$"] = json!("$$.Map.Item.Value.g");
    }
    selector
}

/// Where each group's KPIs begin in the Setup phase's list (groups follow the plan's order):
/// the Setup Plan gives each item its group from these; none in a single machine.
fn setup_bounds(input: &MachineInput<'_>, kpis: &[SetupKpi<'_>]) -> Vec<usize> {
    let Some(groups) = &input.groups else {
        return Vec::new();
    };
    let mut bounds = Vec::new();
    let mut last = None;
    for (i, k) in kpis.iter().enumerate() {
        let g = groups.of.get(k.name).copied();
        if g != last {
            // A group with no KPI in the list gets an empty range, so positions still count.
            let from = last.map_or(0, |l: usize| l + 1);
            for _ in from..=g.unwrap_or(0) {
                bounds.push(i);
            }
            last = g;
        }
    }
    bounds
}

/// How a level's messages name each source's partitions (`app_logs.events dt`), by source.
fn labels(kpis: &[LevelKpi<'_>]) -> String {
    let mut map = serde_json::Map::new();
    for read in kpis.iter().flat_map(|k| &k.plan.sources) {
        if let (Some(s), Some(name)) = (&read.s, &read.name) {
            map.insert(s.clone(), json!(name));
        }
    }
    serde_json::Value::Object(map).to_string()
}

fn add_phase(states: &mut States, input: &MachineInput<'_>, phase: &Phase<'_>, after: &str) {
    let name = &phase.name;
    let (plan_comment, run_comment, plan, selector, processor): (
        &str,
        &str,
        String,
        Option<serde_json::Value>,
        ItemProcessor,
    ) = match &phase.kind {
        PhaseKind::Setup(kpis) => (
            "Lists the selected KPIs whose tables to create (once per execution).",
            "Creates each KPI's tables if they do not exist.",
            jsonata::setup_plan(
                &kpis.iter().map(|k| k.name).collect::<Vec<_>>(),
                &setup_bounds(input, kpis),
                phase.batch,
                input.tracked,
            ),
            Some(kpi_item_selector(input.groups.is_some())),
            match &input.groups {
                Some(groups) => {
                    nested::parent_processor(phase, &nested::groups_in(phase, groups), input)
                }
                None => setup::processor(name, kpis, input),
            },
        ),
        PhaseKind::Inputs(sources) => (
            "Folds the setup failures, then lists blocks of the source partitions the selected KPIs read.",
            "Asks Glue which of the block's partitions exist.",
            jsonata::inputs_plan(sources, input.history_day, phase.batch, input.tracked),
            None,
            inputs::processor(name, input),
        ),
        PhaseKind::Level(kpis) => (
            "Folds the failures so far, then lists this level's next chunks of days per KPI, leaving out the days whose inputs are missing or whose upstream KPI-day failed.",
            "Runs each chunk: write to a fresh attempt prefix, check every day, publish the days that pass.",
            jsonata::level_plan(
                name,
                &kpis
                    .iter()
                    .map(|k| LevelPlanKpi {
                        g: input
                            .groups
                            .as_ref()
                            .and_then(|g| g.of.get(k.name).copied()),
                        // Named once per source, in `labels`.
                        sources: k
                            .plan
                            .sources
                            .iter()
                            .map(|r| jsonata::WindowRead {
                                name: None,
                                ..r.clone()
                            })
                            .collect(),
                        ..k.plan.clone()
                    })
                    .collect::<Vec<_>>(),
                &labels(kpis),
                input.chunk_days,
                input.history_day,
                phase.batch,
                input.tracked,
            ),
            Some(kpi_item_selector(input.groups.is_some())),
            match &input.groups {
                Some(groups) => {
                    nested::parent_processor(phase, &nested::groups_in(phase, groups), input)
                }
                None => items::processor(name, kpis, input),
            },
        ),
    };
    states.add(
        plan_name(name),
        jsonata_pass(
            Some(plan_comment),
            plan,
            Transition::next(format!("{name}.Run")),
        ),
    );
    states.add(
        format!("{name}.Run"),
        Map {
            comment: Some(run_comment.into()),
            items_path: "$.items".into(),
            item_selector: selector,
            item_processor: processor,
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
