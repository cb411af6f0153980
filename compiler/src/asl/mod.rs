//! ASL: plan + SQL bundle → the project's Step Functions state machine (typed serde structs,
//! JSONPath at the top, JSONata where dates and failures are computed), its statistics, and a
//! diagnostic for every Step Functions or Athena limit it cannot be proven to meet.
//!
//! Design, in short (see `build.rs` for the states):
//! - `Prepare` validates the input and lists the days; nothing unvalidated reaches SQL text.
//! - Setup statements (CREATE … IF NOT EXISTS) run once per selected KPI per execution.
//! - Then each DAG level in turn, over every requested day, as Map runs over KPI-day items,
//!   `MaxConcurrency` = the project's concurrency. Levels and Map runs follow one another and an
//!   item runs its queries one by one, so that number bounds the whole execution.
//! - A level's items are split into chunks small enough that the state, the items and their
//!   results stay under 256 KiB even if every item fails.
//! - When the inline history for the longest backfill would pass 25,000 events, every Map is
//!   DISTRIBUTED (each KPI-day a STANDARD child execution with its own history).

mod build;
mod jsonata;
mod limits;
mod machine;
mod tasks;
mod types;
mod tz;

pub use limits::{
    MAX_DEFINITION_CHARS, MAX_HISTORY_EVENTS, MAX_PAYLOAD_BYTES, events, substitutions,
};
pub use machine::{HistoryEstimate, history_estimate};
pub use tasks::{ATHENA_SYNC, escape_intrinsic, format_expression, unescape_template};
pub use types::*;
pub use tz::{OffsetChange, offset_changes};

use crate::diagnostic::Diagnostic;
use crate::lower::Plan;
use crate::sql::SqlBundle;
use serde::Serialize;

/// The longest backfill one execution accepts, in days (a leap year). Longer ones are split
/// into several executions by the caller.
pub const DEFAULT_MAX_BACKFILL_DAYS: u32 = 366;

#[derive(Clone, Copy, Debug)]
pub struct AslOptions {
    /// Days one execution may compute (`dates` listed, or `from`–`to` spanned).
    pub max_backfill_days: u32,
}

impl Default for AslOptions {
    fn default() -> AslOptions {
        AslOptions {
            max_backfill_days: DEFAULT_MAX_BACKFILL_DAYS,
        }
    }
}

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
    /// The history an all-inline machine would write for the longest backfill.
    pub inline_history_events: u64,
    /// KPI-days per Map run, per phase (`Setup`, `Level0`, …).
    pub chunk_sizes: Vec<(String, u64)>,
}

#[derive(Clone, Debug)]
pub struct StateMachine {
    pub definition: Definition,
    pub stats: MachineStats,
}

impl StateMachine {
    /// The definition as pretty JSON with a trailing newline (JSON has no comments, so no
    /// "generated" header: the top-level `Comment` says it instead).
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(&self.definition)
            .unwrap_or_else(|e| format!("{{\"Comment\": \"internal error: {e}\"}}"));
        text.push('\n');
        text
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

/// A shared Athena Task state and the statement kind it runs. The KPI is not fixed: at run
/// time it is the item's, at [`TaskBinding::kpi_path`] in the state input (`$.kpi`), and the
/// query text to send is at [`TaskBinding::query_path`] (`$.sql.write`), put there by the
/// KPI's own state; the day and the attempt that fill the statement's parameters are at
/// `day_path` and `attempt_path`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TaskBinding {
    pub state: String,
    /// The statement's name in every KPI that has it (`03_write`).
    pub statement: String,
    /// The phase (`Setup`, `Level0`…) whose Map runs the state.
    pub phase: String,
    pub kpi_path: String,
    pub query_path: String,
    pub day_path: String,
    pub attempt_path: String,
    /// The KPIs whose items reach the state (those that have the statement), in route order.
    pub kpis: Vec<String>,
}

pub fn emit_asl(plan: &Plan, sql: &SqlBundle) -> (StateMachine, Vec<Diagnostic>) {
    emit_asl_with(plan, sql, &AslOptions::default())
}

pub fn emit_asl_with(
    plan: &Plan,
    sql: &SqlBundle,
    options: &AslOptions,
) -> (StateMachine, Vec<Diagnostic>) {
    machine::emit(plan, sql, options)
}

/// Every Athena Task state, in definition order, with the statement it runs and where the
/// KPI, the query text, the day and the attempt are in its input.
pub fn task_bindings(machine: &StateMachine) -> Vec<kpi_contract::manifest::TaskBinding> {
    let mut out = Vec::new();
    collect_bindings(&machine.definition.states, "", &mut out);
    out.into_iter()
        .map(|b| kpi_contract::manifest::TaskBinding {
            state: b.state,
            statement: b.statement,
            phase: b.phase,
            kpis: b.kpis,
        })
        .collect()
}

fn collect_bindings(states: &States, phase: &str, out: &mut Vec<TaskBinding>) {
    for (name, state) in states.iter() {
        match state {
            State::Task(task) => {
                if let Some(binding) = &task.binding {
                    out.push(TaskBinding {
                        state: name.clone(),
                        statement: binding.statement.clone(),
                        phase: phase.to_string(),
                        kpi_path: tasks::KPI_PATH.into(),
                        query_path: binding.query_path.clone(),
                        day_path: tasks::DAY_PATH.into(),
                        attempt_path: tasks::ATTEMPT_PATH.into(),
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
