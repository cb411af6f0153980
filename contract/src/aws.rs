//! The Task resources the compiled state machine uses, and the names both sides agree on for
//! what passes through them: partition parameters, check results, attempt prefixes.

use crate::day::Day;
use crate::sql::Attempt;

/// Runs a statement and waits for it (the result is `GetQueryExecution`'s).
pub const ATHENA_START_QUERY_SYNC: &str = "arn:aws:states:::athena:startQueryExecution.sync";
/// Reads a finished query's rows (a check's verdict per day).
pub const ATHENA_GET_QUERY_RESULTS: &str = "arn:aws:states:::athena:getQueryResults";
/// Reads a table's StorageDescriptor, which each published partition copies.
pub const GLUE_GET_TABLE: &str = "arn:aws:states:::aws-sdk:glue:getTable";
/// Publishes new partitions (at most 100 per call; per-entry `Errors` in a 200 answer).
pub const GLUE_BATCH_CREATE_PARTITION: &str = "arn:aws:states:::aws-sdk:glue:batchCreatePartition";
/// Moves existing partitions to a new attempt's prefix (at most 100 per call).
pub const GLUE_BATCH_UPDATE_PARTITION: &str = "arn:aws:states:::aws-sdk:glue:batchUpdatePartition";
/// Tells which partitions of a table exist (at most 1000 per call).
pub const GLUE_BATCH_GET_PARTITION: &str = "arn:aws:states:::aws-sdk:glue:batchGetPartition";

/// Starts a child state machine's execution and waits for its end (`Output` as JSON): how a
/// project split into several state machines runs each group's items. The interpreter runs
/// it itself (a nested execution), so it is not among [`RESOURCES`].
pub const STATES_START_EXECUTION_SYNC: &str = "arn:aws:states:::states:startExecution.sync:2";

/// Every Task resource a compiled state machine may use (besides
/// [`STATES_START_EXECUTION_SYNC`]).
pub const RESOURCES: [&str; 6] = [
    ATHENA_START_QUERY_SYNC,
    ATHENA_GET_QUERY_RESULTS,
    GLUE_GET_TABLE,
    GLUE_BATCH_CREATE_PARTITION,
    GLUE_BATCH_UPDATE_PARTITION,
    GLUE_BATCH_GET_PARTITION,
];

/// Glue's error code for a partition that `BatchCreatePartition` found already there.
pub const ALREADY_EXISTS: &str = "AlreadyExistsException";

/// Keys of a published partition's `Parameters`.
pub mod partition {
    /// The fingerprint of the KPI definition that computed the day.
    pub const FINGERPRINT: &str = "kpi.fingerprint";
    /// The attempt whose prefix the partition points at.
    pub const ATTEMPT: &str = "kpi.attempt";
    /// Rows of the day, as counted by the check.
    pub const ROWS: &str = "kpi.rows";
    /// A digest of the source files the day read, when the runtime knows it.
    pub const INPUTS: &str = "kpi.inputs";
    /// `"true"` when the day's window reaches before `history_start` (computed from fewer
    /// days than it reads), else `"false"`.
    pub const PARTIAL: &str = "kpi.partial";
}

/// The columns of a check statement's result: one row per day of the chunk, oldest first.
pub mod check {
    /// The day, `YYYY-MM-DD`.
    pub const DAY: &str = "dt";
    /// Rows the write produced for the day.
    pub const ROWS: &str = "rows";
    /// Why the day fails its checks, or NULL when every check holds.
    pub const FAILURE: &str = "failure";
    pub const COLUMNS: [&str; 3] = [DAY, ROWS, FAILURE];
}

/// The table each attempt writes to, beside the KPI's own: `<kpi>__attempts`.
pub fn attempts_table(kpi: &str) -> String {
    format!("{kpi}__attempts")
}

/// Where one attempt writes one day: `<attempts location>dt=<day>/attempt=<attempt>/`.
pub fn attempt_prefix(attempts_location: &str, day: Day, attempt: &Attempt) -> String {
    format!("{attempts_location}dt={day}/attempt={attempt}/")
}

/// The state machine's name when none is given: `kpi-<project>` (the SAM template's default
/// too).
pub fn state_machine_name(project: &str) -> String {
    format!("kpi-{project}")
}
