//! Plan + statements → the numbers Step Functions and Athena limit (history events, payload
//! bytes, definition size, query length, partitions written), estimated for the longest
//! backfill the machine accepts, and the diagnostics (E0701–E0707) when one is exceeded.

use super::jsonata::{MAX_CAUSE_CHARS, MAX_ERROR_CHARS, MAX_LISTED_FAILURES, MAX_MESSAGE};
use crate::diagnostic::Diagnostic;
use crate::lower::Settings;

pub const MAX_DEFINITION_CHARS: usize = 1_048_576;
pub const MAX_QUERY_BYTES: usize = 262_144;
pub const MAX_PAYLOAD_BYTES: u64 = 262_144;
pub const MAX_HISTORY_EVENTS: u64 = 25_000;
pub const MAX_PARTITIONS_WRITTEN: usize = 100;
pub const MAX_STATE_NAME_CHARS: usize = 80;
/// Kept free in every payload estimate, for what the model leaves out (field order, numbers
/// longer than assumed).
pub const PAYLOAD_MARGIN: u64 = 4_096;
/// What a `.sync` result holds besides the query text (ids, status, statistics, context).
pub const SYNC_RESULT_OVERHEAD: usize = 8_192;

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
    /// Entered, Exited (Pass and Choice states).
    pub const STEP: u64 = 2;
    /// MapIterationStarted, MapIterationSucceeded.
    pub const ITERATION: u64 = 2;
    /// MapStateEntered, MapStateStarted, MapStateSucceeded, MapStateExited.
    pub const MAP_INLINE: u64 = 4;
    /// The same plus MapRunStarted, MapRunSucceeded.
    pub const MAP_DISTRIBUTED: u64 = 6;
    /// ExecutionStarted, ExecutionSucceeded or ExecutionFailed.
    pub const EXECUTION: u64 = 2;
}

/// One phase of the machine: Setup, then each DAG level.
#[derive(Clone, Debug)]
pub struct PhaseShape {
    pub name: String,
    /// Per KPI of the phase: name and number of Task states its item runs.
    pub kpis: Vec<(String, u64)>,
    /// Other states each item passes after the route: its KPI state and one Choice per
    /// optional statement kind.
    pub steps: u64,
    /// KPI-days per KPI at most: 1 for Setup, the longest backfill for a level.
    pub days: u64,
}

impl PhaseShape {
    pub fn longest_name(&self) -> u64 {
        self.kpis
            .iter()
            .map(|(k, _)| json_len(k))
            .max()
            .unwrap_or(0)
    }

    fn cells(&self) -> u64 {
        self.kpis.len() as u64 * self.days
    }
}

fn json_len(text: &str) -> u64 {
    serde_json::to_string(text).map_or(0, |s| s.len() as u64)
}

/// Bytes of one failure record `{"kpi":…,"day":…,"error":…,"cause":…,"all":true}`: printable
/// ASCII, so at most two bytes per character once escaped.
pub fn failure_record_bytes(kpi_json: u64) -> u64 {
    let fixed = r#"{"kpi":,"day":"setup","error":"","cause":"","all":true}"#.len() as u64;
    fixed + kpi_json + 2 * (MAX_ERROR_CHARS + MAX_CAUSE_CHARS) as u64 + 10
}

/// Bytes of one item in the Map's list: `{"kpi":…,"day":"YYYY-MM-DD"},`.
fn item_bytes(kpi_json: u64) -> u64 {
    r#"{"kpi":,"day":"2024-01-01"},"#.len() as u64 + kpi_json
}

/// An item's result: `"SUCCEEDED"` or its failure record, plus a comma.
fn result_bytes(kpi_json: u64) -> u64 {
    failure_record_bytes(kpi_json).max(r#""SUCCEEDED""#.len() as u64) + 1
}

/// What one KPI-day adds to the state of its Map run: its item and its result.
pub fn cell_bytes(kpi_json: u64) -> u64 {
    item_bytes(kpi_json) + result_bytes(kpi_json)
}

/// The state between phases without the chunk's items and results, in the worst case:
/// the longest backfill, every KPI selected, every KPI-day failed.
pub fn fixed_state_bytes(all_kpis: &[String], max_days: u64) -> u64 {
    let names: u64 = all_kpis.iter().map(|k| json_len(k) + 1).sum();
    let longest = all_kpis.iter().map(|k| json_len(k)).max().unwrap_or(0);
    let days = max_days * 13;
    let bitmaps: u64 = all_kpis.iter().map(|k| json_len(k) + 4 + max_days).sum();
    let failures = MAX_LISTED_FAILURES as u64 * (failure_record_bytes(longest) + 1);
    let scalars = 256; // first, span, failureCount, phase, chunk, more and the keys
    names + days + bitmaps + failures + scalars
}

/// The outcome the Finish state writes (message, summary) besides what it drops.
pub fn finish_bytes(all_kpis: &[String]) -> u64 {
    let names: u64 = all_kpis.iter().map(|k| json_len(k) + 1).sum();
    2 * MAX_MESSAGE as u64 + names + 512
}

/// KPI-days per Map run so that the state, its items and their results stay within 256 KiB;
/// 0 when not even one fits.
pub fn chunk_size(phase: &PhaseShape, fixed: u64) -> u64 {
    let room = MAX_PAYLOAD_BYTES.saturating_sub(PAYLOAD_MARGIN + fixed);
    (room / cell_bytes(phase.longest_name())).min(phase.cells().max(1))
}

pub fn chunks(phase: &PhaseShape, chunk: u64) -> u64 {
    if chunk == 0 {
        return 0;
    }
    phase.cells().div_ceil(chunk).max(1)
}

/// Events of one item on its success path: iteration (inline) or execution (child), the
/// route Choice, `steps` other Pass and Choice states, and each Task with its assumed retries.
pub fn item_events(tasks: u64, steps: u64) -> u64 {
    events::ITERATION
        + (1 + steps) * events::STEP
        + tasks * (events::TASK + events::RETRY * events::RETRIES_PER_TASK)
}

/// What an item's state holds besides its query texts, at most: `kpi`, `day`, `attempt`,
/// the keys of `sql`, the last query's trimmed result, and the error object's fields.
pub const ITEM_OVERHEAD: u64 = 2_048;

/// An item's state in the worst case: its query texts (`queries`, JSON-encoded bytes), and
/// a caught error whose cause echoes the longest query (the `.sync` error's cause is the
/// query execution as JSON, JSON-encoded once more: at most twice its bytes).
pub fn item_state_bytes(queries: u64, longest_query: u64) -> u64 {
    queries + 2 * longest_query + SYNC_RESULT_OVERHEAD as u64 + ITEM_OVERHEAD
}

/// Events around the phases: the execution, Prepare, Validate, Finish, Done and the final
/// state.
pub const OUTER_EVENTS: u64 = events::EXECUTION + 5 * events::STEP;

/// The whole execution's history with inline Maps, for `days` days per level.
pub fn inline_events(phases: &[PhaseShape], chunk_sizes: &[u64]) -> u64 {
    let mut total = OUTER_EVENTS;
    for (phase, chunk) in phases.iter().zip(chunk_sizes) {
        let runs = chunks(phase, *chunk);
        total += runs * (2 * events::STEP + events::MAP_INLINE);
        total += phase
            .kpis
            .iter()
            .map(|(_, tasks)| phase.days * item_events(*tasks, phase.steps))
            .sum::<u64>();
    }
    total
}

/// The parent's history with distributed Maps (each item is a child execution with its own).
pub fn distributed_parent_events(phases: &[PhaseShape], chunk_sizes: &[u64]) -> u64 {
    let mut total = OUTER_EVENTS;
    for (phase, chunk) in phases.iter().zip(chunk_sizes) {
        total += chunks(phase, *chunk) * (2 * events::STEP + events::MAP_DISTRIBUTED);
    }
    total
}

/// The longest child execution's history.
pub fn distributed_child_events(phases: &[PhaseShape]) -> u64 {
    phases
        .iter()
        .flat_map(|p| p.kpis.iter().map(|(_, tasks)| item_events(*tasks, p.steps)))
        .max()
        .unwrap_or(0)
}

pub fn definition_too_large(chars: usize) -> Diagnostic {
    Diagnostic::error(
        "E0702",
        format!(
            "the state machine definition would be {chars} characters, over Step Functions' limit of {MAX_DEFINITION_CHARS}"
        ),
    )
    .help("Split the project into smaller projects (each deploys its own state machine), or shorten the longest KPIs.")
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

pub fn too_many_partitions(kpi: &str, statement: &str) -> Diagnostic {
    Diagnostic::error(
        "E0703",
        format!(
            "cannot prove that `{kpi}.{statement}` writes at most {MAX_PARTITIONS_WRITTEN} partitions: its output does not fix `dt` and `attempt` to one value each"
        ),
    )
    .help("Write one day per statement: the write must select the day and the attempt as constants.")
}

pub fn payload_too_large(what: &str, bytes: u64) -> Diagnostic {
    Diagnostic::error(
        "E0704",
        format!(
            "{what} can reach {bytes} bytes, over Step Functions' limit of {MAX_PAYLOAD_BYTES} bytes per state input or output"
        ),
    )
    .help("Allow a shorter backfill per execution, or split the project into smaller projects.")
}

pub fn history_too_long(what: &str, events_count: u64) -> Diagnostic {
    Diagnostic::error(
        "E0705",
        format!(
            "{what} can write {events_count} history events, over Step Functions' limit of {MAX_HISTORY_EVENTS} per execution"
        ),
    )
    .help("Allow a shorter backfill per execution, so fewer Map runs are needed.")
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
            "the state name `{name}` has {} characters, over Step Functions' limit of {MAX_STATE_NAME_CHARS}",
            name.chars().count()
        ),
    )
    .help("Give the KPI a shorter name: its states are named `<kpi>.Setup` and `<kpi>.Day`.")
}
