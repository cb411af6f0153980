//! The machine's shape → the numbers Step Functions, Athena and Glue limit (history events,
//! payload bytes, definition size, query length, partitions per write and per Glue call),
//! estimated for the longest backfill the machine accepts, and the diagnostics (E0701–E0707)
//! when one is exceeded. The sizes of what AWS answers are bounded from what the compiler
//! knows (the KPI's columns, the catalog's columns), with fixed allowances for the rest.

use super::jsonata::{
    MAX_CAUSE_CHARS, MAX_ERROR_CHARS, MAX_ITEM_FAILURES, MAX_LISTED_FAILURES, MAX_MESSAGE,
};
use crate::diagnostic::Diagnostic;
use crate::lower::Settings;
pub use kpi_contract::limits::{
    MAX_CHUNK_DAYS, MAX_DEFINITION_CHARS, MAX_GLUE_BATCH_GET, MAX_GLUE_BATCH_WRITE,
    MAX_HISTORY_EVENTS, MAX_NAME_CHARS, MAX_PAYLOAD_BYTES, MAX_QUERY_BYTES, max_runs,
};

/// Kept free in every payload estimate, for what the model leaves out (field order, numbers
/// longer than assumed).
pub const PAYLOAD_MARGIN: u64 = 4_096;
/// What a `.sync` result holds besides the query text (ids, status, statistics, context).
pub const SYNC_RESULT_OVERHEAD: u64 = 8_192;
/// The longest `failure` text a check's row may hold, in characters (the machine trims it
/// again to [`MAX_CAUSE_CHARS`]).
pub const MAX_CHECK_FAILURE_CHARS: u64 = kpi_contract::limits::MAX_CHECK_FAILURE_CHARS as u64;
/// `GetQueryResults` besides its rows: column metadata, `NextToken`, `UpdateCount`.
pub const RESULT_METADATA_BYTES: u64 = 2_048;
/// A Glue StorageDescriptor besides its columns and location: formats, SerDe, flags, lists.
pub const STORAGE_FIXED_BYTES: u64 = 2_048;
/// A Glue table besides its StorageDescriptor: names, owner, times, keys, parameters.
pub const TABLE_FIXED_BYTES: u64 = 4_096;
/// A source partition besides its columns: its location (Glue allows 2,056 characters), the
/// rest of its StorageDescriptor, its values, times and parameters (crawlers add a few).
pub const PARTITION_FIXED_BYTES: u64 = 2_056 + STORAGE_FIXED_BYTES + 2_048;
/// One entry of a Glue batch answer's `Errors`: values, code and message.
pub const GLUE_ERROR_BYTES: u64 = 1_024;
/// The bytes of `PartitionInput`s one Glue write call carries, at most: three quarters of the
/// payload limit, counted in characters, which leaves room for multi-byte characters and for
/// the call's other fields. The machine sends as many entries per call as fit (measuring the
/// first), so a wide table takes more calls rather than failing.
pub const ENTRY_BUDGET: u64 = MAX_PAYLOAD_BYTES * 3 / 4;
/// What a `BatchGetPartition` answer may weigh: half the payload limit, so the raw answer
/// (which carries every partition's StorageDescriptor) stays far below it.
pub const INPUTS_ANSWER_BUDGET: u64 = MAX_PAYLOAD_BYTES / 2;

/// The SAM parameters substituted into the definition, each with the longest value the
/// template accepts (its `MaxLength`): the definition-size estimate assumes those lengths.
pub fn substitutions(settings: &Settings) -> [(&'static str, &'static str, usize); 3] {
    let results = format!("{}_athena_results/", settings.location);
    [
        (
            "WorkGroup",
            "${WorkGroup}",
            settings.workgroup.len().max(64),
        ),
        ("Database", "${Database}", settings.database.len().max(64)),
        (
            "QueryResultsLocation",
            "${QueryResultsLocation}",
            results.len().max(128),
        ),
    ]
}

/// History events, as Step Functions writes them.
pub mod events {
    /// Entered, Scheduled, Started, Submitted, Succeeded, Exited.
    pub const TASK: u64 = 6;
    /// Each retry: Scheduled, Started, Failed.
    pub const RETRY: u64 = 3;
    /// Retries assumed per Task in the estimate (throttling is rare under the concurrency
    /// budget; the retriers allow more, which the margin to 25,000 absorbs).
    pub const RETRIES_PER_TASK: u64 = 1;
    /// Entered, Exited (Pass, Choice and Succeed states).
    pub const STEP: u64 = 2;
    /// MapIterationStarted, MapIterationSucceeded (or a child's ExecutionStarted, Succeeded).
    pub const ITERATION: u64 = 2;
    /// MapStateEntered, MapStateStarted, MapStateSucceeded, MapStateExited.
    pub const MAP_INLINE: u64 = 4;
    /// The same plus MapRunStarted, MapRunSucceeded.
    pub const MAP_DISTRIBUTED: u64 = 6;
    /// ExecutionStarted, ExecutionSucceeded or ExecutionFailed.
    pub const EXECUTION: u64 = 2;

    pub const fn task() -> u64 {
        TASK + RETRY * RETRIES_PER_TASK
    }

    /// A level item on its longest path: Route, the KPI's Pass, write, check, the check's
    /// rows and verdict, AnyPassed, GetTable, `calls` Creates and as many Updates, each
    /// followed by the Publish Choice, then Outcome.
    pub const fn level_item(calls: u64) -> u64 {
        ITERATION + 4 * STEP + 4 * task() + 2 * calls * (task() + STEP)
    }

    /// A block of source partitions, asked for twice (Glue left some unprocessed once):
    /// Get, Again, Get, Again, Done.
    pub const INPUTS_ITEM: u64 = ITERATION + 2 * task() + 3 * STEP;

    /// A Setup item: Route, the KPI's Pass, `choices` presence Choices (and the Pass that ends
    /// an item whose last statement is optional), and its statements.
    pub const fn setup_item(tasks: u64, choices: u64) -> u64 {
        ITERATION + (2 + choices) * STEP + tasks * task()
    }

    /// What the parent of a nested machine sees of an item: the iteration, the route on its
    /// group, the Task starting the group's child (with a retry).
    pub const NESTED_ITEM: u64 = ITERATION + STEP + TASK + RETRY * RETRIES_PER_TASK;
    /// What a group's child execution adds to the item's own events: the execution's start
    /// and end, and the Choice on the phase.
    pub const NESTED_CHILD: u64 = EXECUTION + STEP;

    /// Around the phases: the execution, Prepare, Validate, Finish, Done and the final state.
    pub const OUTER: u64 = EXECUTION + 5 * STEP;

    /// One Map run of a phase: its Plan, the Map, its More Choice.
    pub const fn batch(distributed: bool) -> u64 {
        2 * STEP
            + if distributed {
                MAP_DISTRIBUTED
            } else {
                MAP_INLINE
            }
    }
}

/// One phase of the machine as the history model sees it, for one execution.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PhaseLoad {
    pub name: String,
    /// Items in the execution, at most.
    pub items: u64,
    /// Their events, summed.
    pub item_events: u64,
    /// The longest item's events.
    pub longest_item: u64,
    /// Items per Map run.
    pub batch: u64,
}

impl PhaseLoad {
    pub fn batches(&self) -> u64 {
        if self.batch == 0 {
            return 0;
        }
        self.items.div_ceil(self.batch).max(1)
    }
}

/// The whole execution's history with inline Maps.
pub fn inline_events(phases: &[PhaseLoad]) -> u64 {
    events::OUTER
        + phases
            .iter()
            .map(|p| p.batches() * events::batch(false) + p.item_events)
            .sum::<u64>()
}

/// The parent's history with distributed Maps (each item is a child execution).
pub fn distributed_parent_events(phases: &[PhaseLoad]) -> u64 {
    events::OUTER
        + phases
            .iter()
            .map(|p| p.batches() * events::batch(true))
            .sum::<u64>()
}

/// The longest child execution's history.
pub fn distributed_child_events(phases: &[PhaseLoad]) -> u64 {
    phases.iter().map(|p| p.longest_item).max().unwrap_or(0)
}

/// Items of one KPI in one execution: at most `runs` runs of requested days, `days` days in
/// all, each run cut at `chunk_days`; every run but one may end in a shorter chunk. Days left
/// out for a failed upstream day or a missing input can split a run further; those
/// sub-chunks are not counted (an inline machine whose upstream days fail one in two could
/// pass the estimate).
pub fn items_per_kpi(days: u32, runs: u32, chunk_days: u32) -> u64 {
    let chunk = u64::from(chunk_days.max(1));
    let days = u64::from(days.max(1));
    (u64::from(runs.max(1)) - 1 + days.div_ceil(chunk)).min(days)
}

pub fn json_len(text: &str) -> u64 {
    serde_json::to_string(text).map_or(0, |s| s.len() as u64)
}

/// A failure record in the execution's state, `{"kpi":…,"day":…,"error":…,"cause":…}`:
/// printable ASCII, so at most two bytes per character once escaped.
pub fn failure_record_bytes(kpi_json: u64) -> u64 {
    r#"{"kpi":,"day":"2024-01-01","error":"","cause":""},"#.len() as u64
        + kpi_json
        + 2 * (MAX_ERROR_CHARS + MAX_CAUSE_CHARS) as u64
}

/// One KPI's bitmap of failed days in the state, at most.
pub fn bitmap_bytes(kpis: &[String], max_days: u64) -> u64 {
    kpis.iter().map(|k| json_len(k)).max().unwrap_or(0) + 4 + max_days
}

/// The execution's state without a batch's items and results, in the worst case: the
/// longest backfill, every KPI selected and failed in every way (`tracked` of them day by
/// day, the rest listed as lost), every source's reach known. `sources` gives each source's
/// name and days of reach.
pub fn fixed_state_bytes(
    kpis: &[String],
    max_days: u64,
    sources: &[(String, u64)],
    tracked: u64,
) -> u64 {
    let names: u64 = kpis.iter().map(|k| json_len(k) + 1).sum();
    let longest = kpis.iter().map(|k| json_len(k)).max().unwrap_or(0);
    let days = max_days * 13 + max_days;
    let bitmaps = tracked.min(kpis.len() as u64) * bitmap_bytes(kpis, max_days);
    let failures = MAX_LISTED_FAILURES as u64 * failure_record_bytes(longest);
    let inputs: u64 = sources
        .iter()
        .map(|(s, reach)| json_len(s) + 64 + reach + 2 * (MAX_ERROR_CHARS + MAX_CAUSE_CHARS) as u64)
        .sum();
    let scalars = 512;
    // `kpis`, `skip` and `lost` list the names; `failed` and `want` are bitmaps.
    3 * names + days + bitmaps + failures + inputs + scalars
}

/// The outcome the Finish state writes (message, summary).
pub fn finish_bytes(kpis: &[String]) -> u64 {
    let names: u64 = kpis.iter().map(|k| json_len(k) + 1).sum();
    2 * MAX_MESSAGE as u64 + names + 512
}

/// A Setup item and its result (a failure record at worst).
pub fn setup_cell_bytes(kpi_json: u64) -> u64 {
    let item = r#"{"kpi":,"first":"2024-01-01","last":"2024-01-01"},"#.len() as u64 + kpi_json;
    item + failure_record_bytes(kpi_json)
}

/// A block of source partitions and its result (the days found, or a failure record).
pub fn inputs_cell_bytes(names_json: u64, block: u64) -> u64 {
    let item = r#"{"source":,"db":,"table":,"first":"2024-01-01","last":"2024-01-01"},"#.len()
        as u64
        + names_json;
    let found = r#"{"source":,"first":"2024-01-01","last":"2024-01-01","found":[]},"#.len() as u64
        + names_json
        + block * 13;
    item + found.max(failure_record_bytes(names_json) + 32)
}

/// A level item and its result: one character per day of its chunk, its first failures.
pub fn level_cell_bytes(kpi_json: u64, chunk_days: u64) -> u64 {
    let item = r#"{"kpi":,"first":"2024-01-01","last":"2024-01-01"},"#.len() as u64 + kpi_json;
    let record = r#"{"day":"2024-01-01","error":"","cause":""},"#.len() as u64
        + 2 * (MAX_ERROR_CHARS + MAX_CAUSE_CHARS) as u64;
    let result = r#"{"kpi":,"first":"2024-01-01","last":"2024-01-01","bad":"","failures":[]},"#
        .len() as u64
        + kpi_json
        + chunk_days
        + MAX_ITEM_FAILURES as u64 * record;
    item + result
}

/// Items per Map run so that the state, its items and their results stay within 256 KiB;
/// 0 when not even one fits.
pub fn batch_size(fixed: u64, cell: u64) -> u64 {
    MAX_PAYLOAD_BYTES.saturating_sub(PAYLOAD_MARGIN + fixed) / cell.max(1)
}

/// A level item's state in the worst case: its values and publish literals, its query texts
/// (JSON-encoded bytes), and a caught error whose cause echoes the longest query (the `.sync`
/// error's cause is the query execution as JSON, JSON-encoded once more: at most twice).
pub fn item_state_bytes(queries: u64, longest_query: u64, literals: u64) -> u64 {
    1_024 + literals + queries + 2 * (longest_query + SYNC_RESULT_OVERHEAD)
}

/// `GetQueryResults` of a check over `chunk_days` days: a header and a row per day, each
/// with its day, its row count and a failure text of up to [`MAX_CHECK_FAILURE_CHARS`]
/// characters (at most six bytes each, escaped).
pub fn check_rows_bytes(chunk_days: u64) -> u64 {
    let row = r#"{"Data":[{"VarCharValue":"2024-01-01"},{"VarCharValue":"18446744073709551615"},{"VarCharValue":""}]},"#
        .len() as u64
        + 6 * MAX_CHECK_FAILURE_CHARS;
    RESULT_METADATA_BYTES + (chunk_days + 1) * row
}

/// A StorageDescriptor with these columns (`(name, type, comment)`) and a location of
/// `location` bytes; comments at most six bytes per character, escaped.
pub fn storage_bytes(columns: &[(String, String, Option<String>)], location: u64) -> u64 {
    let cols: u64 = columns
        .iter()
        .map(|(name, ty, comment)| {
            r#"{"Name":,"Type":,"Comment":},"#.len() as u64
                + json_len(name)
                + json_len(ty)
                + comment
                    .as_ref()
                    .map_or(0, |c| 6 * c.chars().count().min(255) as u64)
        })
        .sum();
    STORAGE_FIXED_BYTES + location + cols
}

/// Glue write calls publishing a chunk of `chunk_days` days, at most, when each entry can
/// weigh `entry` bytes (the machine adds 64 to each measured entry, for the days' rows).
pub fn glue_calls(chunk_days: u64, entry: u64) -> u64 {
    let per_call = (ENTRY_BUDGET / (entry + 64)).clamp(1, MAX_GLUE_BATCH_WRITE as u64);
    chunk_days.div_ceil(per_call).max(1)
}

/// One `PartitionInput` publishing a day: the table's StorageDescriptor (columns without
/// their comments) at the attempt's location, the day, and the four parameters.
pub fn partition_input_bytes(
    columns: &[(String, String, Option<String>)],
    attempts_location: u64,
    fingerprint: u64,
) -> u64 {
    let bare: Vec<(String, String, Option<String>)> = columns
        .iter()
        .map(|(n, t, _)| (n.clone(), t.clone(), None))
        .collect();
    let location = attempts_location + "dt=2024-01-01/attempt=/".len() as u64 + 64;
    let parameters = r#"{"kpi.fingerprint":"","kpi.attempt":"","kpi.rows":"18446744073709551615","kpi.partial":"false"}"#.len() as u64
        + fingerprint
        + 64;
    r#"{"PartitionValueList":["2024-01-01"],"PartitionInput":{"Values":["2024-01-01"],"StorageDescriptor":,"Parameters":}},"#.len() as u64
        + storage_bytes(&bare, location)
        + parameters
}

pub fn definition_too_large(chars: usize) -> Diagnostic {
    Diagnostic::error(
        "E0702",
        format!(
            "the state machine definition would be {chars} characters, over Step Functions' limit of {MAX_DEFINITION_CHARS}"
        ),
    )
    .help("Shorten the longest KPIs: move long `in (...)` lists into a catalog table and join it, or split a KPI into smaller KPIs that read each other.")
}

pub fn query_too_long(kpi: &str, statement: &str, bytes: usize) -> Diagnostic {
    Diagnostic::error(
        "E0701",
        format!(
            "query `{kpi}.{statement}` can be {bytes} bytes long, over Athena's limit of {MAX_QUERY_BYTES} bytes"
        ),
    )
    .help("Split the KPI into smaller KPIs that read each other, or shorten its longest `in (...)` lists and expressions.")
}

pub fn chunk_too_long(chunk_days: u32) -> Diagnostic {
    Diagnostic::error(
        "E0703",
        format!(
            "a chunk of {chunk_days} days would write {chunk_days} partitions per query, and publish as many per Glue call; Athena writes at most {MAX_CHUNK_DAYS} partitions per query and Glue takes at most {MAX_GLUE_BATCH_WRITE} per call"
        ),
    )
    .help(format!("Set `target.chunk_days` to a number from 1 to {MAX_CHUNK_DAYS}."))
}

pub fn payload_too_large(what: &str, bytes: u64) -> Diagnostic {
    Diagnostic::error(
        "E0704",
        format!(
            "{what} can reach {bytes} bytes, over Step Functions' limit of {MAX_PAYLOAD_BYTES} bytes per state input or output"
        ),
    )
    .help("Allow a shorter backfill per execution or fewer days per chunk (`target.max_backfill_days`, `target.chunk_days`), or split the project into smaller projects.")
}

pub fn history_too_long(what: &str, events_count: u64) -> Diagnostic {
    Diagnostic::error(
        "E0705",
        format!(
            "{what} can write {events_count} history events, over Step Functions' limit of {MAX_HISTORY_EVENTS} per execution"
        ),
    )
    .help("Allow a shorter backfill per execution (`target.max_backfill_days`), so fewer Map runs are needed.")
}

pub fn unknown_time_zone(zone: &str) -> Diagnostic {
    Diagnostic::error(
        "E0706",
        format!("the time zone `{zone}` is not in the compiler's time-zone database"),
    )
    .help("Set `target.time_zone` to an IANA zone name such as `Europe/Paris`, or `UTC`.")
}

pub fn state_name_too_long(name: &str) -> Diagnostic {
    Diagnostic::error(
        "E0707",
        format!(
            "the state name `{name}` has {} characters, over Step Functions' limit of {MAX_NAME_CHARS}",
            name.chars().count()
        ),
    )
    .help("Give the KPI a shorter name: its states are named `<kpi>.Setup` and `<kpi>.Chunk`.")
}

/// The SQL bundle does not give a KPI what the machine runs: a bug in the compiler.
pub fn missing_statement(kpi: &str, what: &str) -> Diagnostic {
    Diagnostic::error(
        "E0708",
        format!("internal error: KPI `{kpi}` has {what}; please report this"),
    )
    .help("This is a bug in kpi, not in the project: report it with the project's files.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scattered_days_cost_at_most_twice_the_items_of_a_range() {
        assert_eq!(max_runs(366, 100), 4);
        assert_eq!(items_per_kpi(366, 1, 100), 4);
        // Runs of 1, 1, 1 and 363 days: 1 + 1 + 1 + 4.
        assert_eq!(items_per_kpi(366, 4, 100), 7);
        assert_eq!(items_per_kpi(366, 366, 1), 366);
        assert_eq!(items_per_kpi(1, 1, 100), 1);
        assert_eq!(max_runs(30, 100), 4);
        assert_eq!(max_runs(2, 100), 2);
        assert_eq!(items_per_kpi(30, 4, 100), 4);
    }

    #[test]
    fn a_full_chunk_of_check_rows_fits_a_payload() {
        let bytes = check_rows_bytes(u64::from(MAX_CHUNK_DAYS));
        assert!(bytes < MAX_PAYLOAD_BYTES - PAYLOAD_MARGIN, "{bytes}");
        assert!(bytes > 101 * 6 * MAX_CHECK_FAILURE_CHARS);
    }
}
