//! Plan facts (KPI names, reads, limits, offsets) → the JSONata expressions of the machine's
//! computing states. The expressions live in `jsonata/*.jsonata`; only constants decided here
//! are spliced in (JSON-encoded), each expression gets only the helper functions it calls,
//! and the result is squeezed onto one line.
//!
//! The execution's state, between phases: `{days, first, span, want, kpis, failed: {kpi:
//! "0110…"}, failures: [..], failureCount, skip, inputs: {source: {from, bits, error?,
//! cause?}}, phase, batch, more, items, results}`. `want` and `failed` hold one character per
//! day from `first` (a day number) over `span` days: `want` the requested days, `failed[kpi]`
//! `1` where that KPI-day failed. `inputs[source].bits` holds, from day `from`, `1` where the
//! source's partition exists, `0` where it does not, `?` where Glue could not tell. `skip`
//! lists the KPIs whose tables could not be created. Bitmaps keep the worst case (every
//! KPI-day failed) small enough to prove; `failed` holds at most `MAX_TRACKED` of them (what
//! the payload limit leaves room for): a KPI failing after that is listed in `lost` instead,
//! and the KPIs reading it treat every requested day of it as failed (they wait for the next
//! run rather than read a day that may be missing).

use super::tz::OffsetChange;
use kpi_contract::aws::{ALREADY_EXISTS, check, partition};
use serde::Serialize;
use serde_json::{Value, json};

const HELPERS: &str = include_str!("jsonata/helpers.jsonata");
const ITEM: &str = include_str!("jsonata/item.jsonata");
const PREPARE: &str = include_str!("jsonata/prepare.jsonata");
const SETUP_PLAN: &str = include_str!("jsonata/setup_plan.jsonata");
const INPUTS_PLAN: &str = include_str!("jsonata/inputs_plan.jsonata");
const LEVEL_PLAN: &str = include_str!("jsonata/level_plan.jsonata");
const FINISH: &str = include_str!("jsonata/finish.jsonata");

/// Failures listed in full in the execution's state (the rest are counted and marked in the
/// bitmaps), and in one item's result.
pub const MAX_LISTED_FAILURES: usize = 50;
pub const MAX_ITEM_FAILURES: usize = 3;
/// Characters of the final failure message (a Fail state's cause holds 32,768).
pub const MAX_MESSAGE: usize = 30_000;
/// Characters kept of an error name and of a cause in a failure record.
pub const MAX_ERROR_CHARS: usize = 64;
pub const MAX_CAUSE_CHARS: usize = 256;
/// Times one block of partitions is asked for while Glue leaves some unprocessed.
pub const MAX_ASKS: u32 = 5;

/// The expressions of an item's states.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ItemExpr {
    /// A check's rows → the days that pass (with their rows) and those that fail.
    Verdict,
    /// `BatchCreatePartition`'s `PartitionInputList`, and what its answer leaves to do.
    Create,
    Created,
    /// `BatchUpdatePartition`'s `Entries`, and what its answer fails.
    Update,
    Updated,
    /// The item's result `{kpi, first, last, bad, failures}`, normally or after a caught error.
    Outcome,
    Failed,
    /// A Setup item's failure record.
    SetupFailed,
    /// `BatchGetPartition`'s `PartitionsToGet`, its answer folded, a caught error recorded.
    InputsKeys,
    InputsFound,
    InputsFailed,
}

impl ItemExpr {
    fn text(self) -> &'static str {
        match self {
            ItemExpr::Verdict => include_str!("jsonata/verdict.jsonata"),
            ItemExpr::Create => include_str!("jsonata/create.jsonata"),
            ItemExpr::Created => include_str!("jsonata/created.jsonata"),
            ItemExpr::Update => include_str!("jsonata/update.jsonata"),
            ItemExpr::Updated => include_str!("jsonata/updated.jsonata"),
            ItemExpr::Outcome => include_str!("jsonata/outcome.jsonata"),
            ItemExpr::Failed => include_str!("jsonata/failed.jsonata"),
            ItemExpr::SetupFailed => include_str!("jsonata/setup_failed.jsonata"),
            ItemExpr::InputsKeys => include_str!("jsonata/inputs_keys.jsonata"),
            ItemExpr::InputsFound => include_str!("jsonata/inputs_found.jsonata"),
            ItemExpr::InputsFailed => include_str!("jsonata/inputs_failed.jsonata"),
        }
    }
}

/// A source partitioned by day, as the Inputs phase asks Glue about it.
#[derive(Clone, Debug, Serialize)]
pub struct InputSource {
    /// The name KPIs use.
    pub name: String,
    pub db: String,
    pub table: String,
    /// Days asked for per `BatchGetPartition` call.
    pub block: u64,
    pub reads: Vec<SourceReader>,
}

/// A KPI reading a source: its window reaches `lead` days before the first day computed and
/// ends `back` days before the last.
#[derive(Clone, Debug, Serialize)]
pub struct SourceReader {
    #[serde(rename = "k")]
    pub kpi: String,
    #[serde(rename = "l")]
    pub lead: u32,
    #[serde(rename = "b")]
    pub back: u32,
}

/// One KPI of a level, as its Plan checks each day against inputs and upstream failures.
#[derive(Clone, Debug, Serialize)]
pub struct LevelPlanKpi {
    pub kpi: String,
    /// Its group's state machine, when the project is split into several.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub g: Option<usize>,
    pub sources: Vec<WindowRead>,
    pub kpis: Vec<WindowRead>,
}

/// A read of a relation over a window: `days` days ending `back` days before the day
/// computed. For a source, `s` is its name and `name` how a message names its partitions
/// (`app_logs.events dt`); for a KPI, `k` is its name.
#[derive(Clone, Debug, Serialize)]
pub struct WindowRead {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub s: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub k: Option<String>,
    pub days: u32,
    pub back: u32,
}

/// The `$name := …;` definitions of a helper file, in order, each with its text.
fn definitions(file: &str) -> Vec<(&str, String)> {
    let mut out: Vec<(&str, String)> = Vec::new();
    for line in file.lines() {
        let name = line
            .strip_prefix('$')
            .and_then(|rest| rest.split_once(" :="))
            .map(|(name, _)| name);
        match (name, out.last_mut()) {
            (Some(name), _) => out.push((name, format!("{line}\n"))),
            (None, Some((_, text))) => {
                text.push_str(line);
                text.push('\n');
            }
            (None, None) => {}
        }
    }
    out
}

/// The helpers `body` calls, directly or through other helpers, in file order.
fn needed(file: &str, body: &str) -> String {
    let defs = definitions(file);
    let mut used = vec![false; defs.len()];
    let mut pending = vec![body.to_string()];
    while let Some(text) = pending.pop() {
        for (i, (name, def)) in defs.iter().enumerate() {
            if !used[i] && text.contains(&format!("${name}(")) {
                used[i] = true;
                pending.push(def.clone());
            }
        }
    }
    defs.iter()
        .zip(used)
        .filter(|(_, u)| *u)
        .map(|((_, d), _)| d.as_str())
        .collect()
}

/// Wraps an expression for a JSONata field, on one line: newlines and the indentation after
/// them become one space (no string literal in our expressions spans lines).
fn one_line(text: &str) -> String {
    let words: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    format!("{{% {} %}}", words.join(" "))
}

/// Fills `@NAME@` placeholders.
fn fill(text: &str, values: &[(&str, String)]) -> String {
    let mut out = text.to_string();
    for (name, value) in values {
        out = out.replace(&format!("@{name}@"), value);
    }
    out
}

fn constants(history_start: i64) -> Vec<(&'static str, String)> {
    vec![
        ("MAX_DETAILS", MAX_LISTED_FAILURES.to_string()),
        ("ITEM_DETAILS", MAX_ITEM_FAILURES.to_string()),
        ("MAX_ERROR", MAX_ERROR_CHARS.to_string()),
        ("MAX_CAUSE", MAX_CAUSE_CHARS.to_string()),
        ("MAX_MESSAGE", MAX_MESSAGE.to_string()),
        ("MAX_ASKS", MAX_ASKS.to_string()),
        ("HISTORY_START", history_start.to_string()),
        ("ENTRY_BUDGET", super::limits::ENTRY_BUDGET.to_string()),
        ("ALREADY_EXISTS", ALREADY_EXISTS.to_string()),
        ("P_FINGERPRINT", partition::FINGERPRINT.to_string()),
        ("P_ATTEMPT", partition::ATTEMPT.to_string()),
        ("P_ROWS", partition::ROWS.to_string()),
        ("P_PARTIAL", partition::PARTIAL.to_string()),
        ("COL_DAY", column(check::DAY)),
        ("COL_ROWS", column(check::ROWS)),
        ("COL_FAILURE", column(check::FAILURE)),
    ]
}

/// The position of a check result's column, as the contract orders them.
fn column(name: &str) -> String {
    check::COLUMNS
        .iter()
        .position(|c| *c == name)
        .unwrap_or(0)
        .to_string()
}

/// An expression over the execution's state: its body with the helpers it needs.
fn state_expression(body: &str, values: &[(&str, String)], history_start: i64) -> String {
    let mut all: Vec<(&str, String)> = values.to_vec();
    all.extend(constants(history_start));
    let body = fill(body, &all);
    let helpers = fill(&needed(HELPERS, &body), &all);
    one_line(&body.replace("@HELPERS@", &helpers))
}

/// Validates the execution input and turns it into the state above, or `{problem}`.
pub fn prepare(
    kpis: &[&str],
    max_days: u32,
    max_runs: u32,
    history_start: &str,
    zone: &[OffsetChange],
) -> String {
    let zone: Vec<Value> = zone
        .iter()
        .map(|c| json!({"t": c.at_millis, "o": c.offset_minutes}))
        .collect();
    state_expression(
        PREPARE,
        &[
            ("NAMES", json!(kpis).to_string()),
            ("MAX_DAYS", max_days.to_string()),
            ("MAX_RUNS", max_runs.to_string()),
            ("START_DATE", history_start.to_string()),
            ("ZONE", Value::Array(zone).to_string()),
        ],
        0,
    )
}

/// Folds nothing (Setup comes first), then lists the next batch of KPIs whose tables to
/// create.
/// `bounds`: the position in `kpis` where each group's KPIs begin (none in a single machine).
pub fn setup_plan(kpis: &[&str], bounds: &[usize], batch: u64, tracked: u64) -> String {
    state_expression(
        SETUP_PLAN,
        &[
            ("MAX_TRACKED", tracked.to_string()),
            ("KPIS", json!(kpis).to_string()),
            ("BOUNDS", json!(bounds).to_string()),
            ("BATCH", batch.to_string()),
        ],
        0,
    )
}

/// Folds the Setup failures, then lists the next batch of blocks of source partitions to ask
/// Glue about: the days the selected KPIs read, from `history_start` on.
pub fn inputs_plan(
    sources: &[InputSource],
    history_start: i64,
    batch: u64,
    tracked: u64,
) -> String {
    state_expression(
        INPUTS_PLAN,
        &[
            ("MAX_TRACKED", tracked.to_string()),
            ("SOURCES", json!(sources).to_string()),
            ("BATCH", batch.to_string()),
        ],
        history_start,
    )
}

/// Folds the previous Map's results, then lists this level's next batch of items `{kpi,
/// first, last}`: each selected KPI's runs of requested days, cut at `chunk_days`, leaving out
/// (and recording, once per level) the days whose window needs a missing source partition
/// or a failed upstream KPI-day.
pub fn level_plan(
    phase: &str,
    kpis: &[LevelPlanKpi],
    labels: &str,
    chunk_days: u32,
    history_start: i64,
    batch: u64,
    tracked: u64,
) -> String {
    state_expression(
        LEVEL_PLAN,
        &[
            ("MAX_TRACKED", tracked.to_string()),
            ("PHASE", phase.to_string()),
            ("PLAN", json!(kpis).to_string()),
            ("LABELS", labels.to_string()),
            ("CHUNK_DAYS", chunk_days.to_string()),
            ("BATCH", batch.to_string()),
        ],
        history_start,
    )
}

/// Folds the last Map's failures and writes the outcome: `{failureCount, message, summary}`.
pub fn finish(tracked: u64) -> String {
    state_expression(FINISH, &[("MAX_TRACKED", tracked.to_string())], 0)
}

/// An expression of an item's states, with the item helpers it needs.
pub fn item(expr: ItemExpr, history_start: i64) -> String {
    let all = constants(history_start);
    let body = fill(expr.text(), &all);
    let helpers = fill(&needed(ITEM, &body), &all);
    one_line(&body.replace("@ITEM@", &helpers))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions_are_one_line_with_only_the_helpers_they_call() {
        let e = level_plan(
            "Level1",
            &[LevelPlanKpi {
                kpi: "b".into(),
                g: None,
                sources: vec![],
                kpis: vec![WindowRead {
                    s: None,
                    name: None,
                    k: Some("a".into()),
                    days: 30,
                    back: 0,
                }],
            }],
            "{}",
            100,
            19723,
            7,
            10,
        );
        assert!(e.starts_with("{% (") && e.ends_with(") %}"), "{e}");
        assert!(!e.contains('\n') && !e.contains('@'), "{e}");
        assert!(
            e.contains(
                r#"$plan := [{"kpi":"b","sources":[],"kpis":[{"k":"a","days":30,"back":0}]}];"#
            ),
            "{e}"
        );
        assert!(e.contains(r#"$phase := "Level1"; $cd := 100; $hs := 19723;"#));
        assert!(e.contains("$page := function") && e.contains("$foldLevel := function"));
        let outcome = item(ItemExpr::Outcome, 19723);
        assert!(!outcome.contains("$fail :="), "{outcome}");
        let failed = item(ItemExpr::Failed, 19723);
        assert!(failed.contains("$fail :=") && failed.contains("$why :="));
        assert!(!failed.contains("$entry :="), "{failed}");
        assert!(item(ItemExpr::Create, 19723).contains(r#""kpi.partial""#));
    }
}
