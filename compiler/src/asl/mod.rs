//! ASL: plan + SQL bundle → the project's Step Functions state machine (typed serde structs,
//! JSONPath at the top, JSONata where days, verdicts and Glue requests are computed), its
//! statistics, and a diagnostic for every Step Functions, Athena or Glue limit it cannot be
//! proven to meet.
//!
//! Design, in short (see `build.rs` for the states):
//! - `Prepare` validates the input and lists the days; nothing unvalidated reaches SQL text.
//!   An execution spans at most `max_backfill_days` days in at most ⌈max_backfill_days /
//!   chunk_days⌉ runs of consecutive days.
//! - Setup statements (CREATE … IF NOT EXISTS) run once per selected KPI per execution.
//! - Inputs asks Glue which partitions of the sources read by day exist over the execution's
//!   reach; a KPI-day whose window needs a missing one (from `history_start` on) is not run.
//! - Then each DAG level in turn, as Map runs over (KPI, chunk) items: each KPI's runs of
//!   requested days cut at `chunk_days`, less the days blocked by a missing input or a failed
//!   upstream KPI-day. An item writes its chunk in one query, checks every day, and publishes
//!   the passing days through Glue. `MaxConcurrency` = the project's concurrency; levels and
//!   Map runs follow one another and an item runs its queries one by one, so that number
//!   bounds the whole execution.
//! - A phase's items are split into batches small enough that the state, the items and their
//!   results stay under 256 KiB even if every item fails.
//! - When the inline history for the longest backfill would pass 25,000 events, every Map is
//!   DISTRIBUTED (each item a STANDARD child execution with its own history).

mod build;
mod checks;
mod inputs;
mod items;
mod jsonata;
mod limits;
mod machine;
mod nested;
mod phases;
mod setup;
mod tasks;
mod types;
mod tz;

pub use jsonata::{MAX_CAUSE_CHARS, MAX_ERROR_CHARS, MAX_ITEM_FAILURES, MAX_LISTED_FAILURES};
pub use limits::{
    MAX_CHECK_FAILURE_CHARS, MAX_DEFINITION_CHARS, MAX_HISTORY_EVENTS, MAX_PAYLOAD_BYTES, events,
    max_runs, substitutions,
};
pub use machine::{HistoryEstimate, history_estimate, input_sources};
pub use tasks::{ATHENA_SYNC, escape_intrinsic, format_expression};
pub use types::*;
pub use tz::{OffsetChange, offset_changes};

use crate::diagnostic::Diagnostic;
use crate::lower::Plan;
use crate::sql::SqlBundle;
use serde::Serialize;

/// What the machine costs, for its longest backfill.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MachineStats {
    /// All states, those inside Maps included.
    pub states: usize,
    /// Bytes of [`StateMachine::to_json`] (pretty), and of the compact form.
    pub definition_bytes: usize,
    pub compact_definition_bytes: usize,
    /// The definition's size once SAM substitutes the longest parameter values allowed.
    pub substituted_definition_chars: usize,
    /// The longest history of one execution (the parent's or a child's when distributed).
    pub max_history_events: u64,
    /// The largest state input or output, estimated for the worst case.
    pub max_state_payload_bytes: u64,
    pub distributed: bool,
    pub max_backfill_days: u32,
    /// Runs of consecutive days one execution accepts.
    pub max_runs: u32,
    pub chunk_days: u32,
    /// The history an all-inline machine would write for the longest backfill.
    pub inline_history_events: u64,
    /// Items per Map run, per phase (`Setup`, `Inputs`, `Level0`, …).
    pub batch_sizes: Vec<(String, u64)>,
    /// Items of the longest backfill, per phase.
    pub items: Vec<(String, u64)>,
    /// State machines deployed: 1, or the parent and one child per group of KPIs.
    pub machines: usize,
    /// The largest child's definition once substituted (0 without children).
    pub largest_child_definition_chars: usize,
    /// The longest history of one child execution of a group's machine (0 without).
    pub child_history_events: u64,
}

/// What group `g`'s state machine name adds to the project's.
pub fn group_suffix(g: usize) -> String {
    nested::Groups::suffix(g)
}

/// The parent's `${…}` for group `g`'s state machine ARN.
pub fn group_substitution(g: usize) -> String {
    nested::Groups::substitution(g)
}

/// Group `g`'s definition file among the build's files.
pub fn group_file(g: usize) -> String {
    format!("statemachines/g{g}.asl.json")
}

/// One group's state machine of a nested project.
#[derive(Clone, Debug)]
pub struct ChildMachine {
    pub group: usize,
    pub definition: Definition,
    pub compact: bool,
}

impl ChildMachine {
    /// The name's suffix (after the parent's), the parent's `${…}` for its ARN, its file.
    pub fn suffix(&self) -> String {
        nested::Groups::suffix(self.group)
    }

    pub fn substitution(&self) -> String {
        nested::Groups::substitution(self.group)
    }

    pub fn file(&self) -> String {
        group_file(self.group)
    }

    /// As `kpi build` writes it (see [`StateMachine::to_json`]).
    pub fn to_json(&self) -> String {
        definition_json(&self.definition, self.compact)
    }
}

fn definition_json(definition: &Definition, compact: bool) -> String {
    let mut text = if compact {
        serde_json::to_string(definition)
    } else {
        serde_json::to_string_pretty(definition)
    }
    .unwrap_or_else(|e| format!("{{\"Comment\": \"internal error: {e}\"}}"));
    text.push('\n');
    text
}

#[derive(Clone, Debug)]
pub struct StateMachine {
    pub definition: Definition,
    pub stats: MachineStats,
    /// Written on one line: the pretty form would pass Step Functions' definition limit.
    pub compact: bool,
    /// The child state machines this one starts (none when the project fits one machine).
    pub children: Vec<ChildMachine>,
}

impl StateMachine {
    /// The definition as `kpi build` writes it: pretty JSON with a trailing newline, or, when
    /// that would pass the 1 MB limit, on one line (JSON has no comments, so no "generated"
    /// header: the top-level `Comment` says it instead).
    pub fn to_json(&self) -> String {
        definition_json(&self.definition, self.compact)
    }

    /// The same definition on one line: what to deploy when size matters.
    pub fn to_json_compact(&self) -> String {
        serde_json::to_string(&self.definition)
            .unwrap_or_else(|e| format!("{{\"Comment\": \"internal error: {e}\"}}"))
    }

    pub fn stats(&self) -> &MachineStats {
        &self.stats
    }
}

/// The state machine of a plan and its SQL, with the project's settings (`chunk_days`,
/// `max_backfill_days`), and a diagnostic for every limit it cannot meet.
pub fn emit_asl(plan: &Plan, sql: &SqlBundle) -> (StateMachine, Vec<Diagnostic>) {
    machine::emit(plan, sql)
}

/// Every Athena Task state, in definition order, with the statement it runs, the phase whose
/// Map runs it and the KPIs whose items reach it.
/// A nested machine's children hold the Athena states: a state name shared by several
/// children (`Level0.03_write`) is one binding listing all their KPIs.
pub fn task_bindings(machine: &StateMachine) -> Vec<kpi_contract::manifest::TaskBinding> {
    let mut out: Vec<kpi_contract::manifest::TaskBinding> = Vec::new();
    collect_bindings(&machine.definition.states, "", &mut out);
    for child in &machine.children {
        let mut found = Vec::new();
        collect_child_bindings(&child.definition.states, &mut found);
        for binding in found {
            match out.iter_mut().find(|b| b.state == binding.state) {
                Some(b) => b.kpis.extend(binding.kpis),
                None => out.push(binding),
            }
        }
    }
    out
}

/// A child's Athena states, their phase read from the state's name (`Level0.03_write`).
fn collect_child_bindings(states: &States, out: &mut Vec<kpi_contract::manifest::TaskBinding>) {
    for (name, state) in states.iter() {
        if let State::Task(task) = state
            && let Some(binding) = &task.binding
        {
            out.push(kpi_contract::manifest::TaskBinding {
                state: name.clone(),
                statement: binding.statement.clone(),
                phase: name.split('.').next().unwrap_or("").to_string(),
                kpis: binding.kpis.clone(),
            });
        }
    }
}

fn collect_bindings(
    states: &States,
    phase: &str,
    out: &mut Vec<kpi_contract::manifest::TaskBinding>,
) {
    for (name, state) in states.iter() {
        match state {
            State::Task(task) => {
                if let Some(binding) = &task.binding {
                    out.push(kpi_contract::manifest::TaskBinding {
                        state: name.clone(),
                        statement: binding.statement.clone(),
                        phase: phase.to_string(),
                        kpis: binding.kpis.clone(),
                    });
                }
            }
            State::Map(map) => {
                let phase = name.strip_suffix(".Run").unwrap_or(name);
                collect_bindings(&map.item_processor.states, phase, out);
            }
            _ => {}
        }
    }
}

pub(crate) fn count_states(states: &States) -> usize {
    states
        .iter()
        .map(|(_, s)| match s {
            State::Map(m) => 1 + count_states(&m.item_processor.states),
            _ => 1,
        })
        .sum()
}
