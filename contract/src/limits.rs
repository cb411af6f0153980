//! The AWS limits the compiler proves for what it emits and the runtimes keep to. Sources in
//! `shared/reference/aws-facts.md` (A.8, B.2, B.3, G).

/// Athena: the longest query string, in UTF-8 bytes.
pub const MAX_QUERY_BYTES: usize = 262_144;
/// Athena: partitions one `INSERT INTO` (or CTAS) may write.
pub const MAX_PARTITIONS_PER_WRITE: u32 = 100;
/// The most days one write computes: a chunk writes one partition per day.
pub const MAX_CHUNK_DAYS: u32 = MAX_PARTITIONS_PER_WRITE;
/// Step Functions: a state's input or output, and an execution's input, in UTF-8 bytes.
pub const MAX_PAYLOAD_BYTES: u64 = 262_144;
/// Step Functions: events in one Standard execution's history.
pub const MAX_HISTORY_EVENTS: u64 = 25_000;
/// Step Functions: the definition, in characters.
pub const MAX_DEFINITION_CHARS: usize = 1_048_576;
/// Step Functions: state and execution names.
pub const MAX_NAME_CHARS: usize = 80;
/// Glue: entries of one `BatchCreatePartition` or `BatchUpdatePartition` call.
pub const MAX_GLUE_BATCH_WRITE: usize = 100;
/// Glue: partitions one `BatchGetPartition` call asks for.
pub const MAX_GLUE_BATCH_GET: usize = 1000;
/// The longest `failure` text a check statement's row holds, in characters: the check trims
/// it to this, so a chunk's rows stay well within what the state machine may read back.
pub const MAX_CHECK_FAILURE_CHARS: usize = 256;
/// Athena: rows one `GetQueryResults` call returns (the header row included).
pub const MAX_RESULT_ROWS: usize = 1000;

/// Runs of consecutive days one execution accepts (an execution's `dates` beyond that are
/// refused as invalid input, so a planner cuts its executions there): as many as its longest
/// span has chunks, and at least a few, for a day and some late data. So a scattered list of
/// days costs the state machine at most a few more items than a range.
pub fn max_runs(max_days: u32, chunk_days: u32) -> u32 {
    max_days
        .div_ceil(chunk_days.max(1))
        .max(4)
        .min(max_days.max(1))
}
