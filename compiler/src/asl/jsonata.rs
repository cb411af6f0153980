//! Plan facts (KPI names, windows, limits, offsets) → the JSONata expressions of the machine's
//! computing states. The expressions live in `jsonata/*.jsonata`; only constants decided here
//! are spliced in (JSON-encoded), and the result is squeezed onto one line.
//!
//! The execution's state, between phases:
//! `{days, first, span, kpis, failed: {kpi: "0110…"}, failures: [..], failureCount, phase,
//! chunk, more, items, results}`. `failed` holds, per KPI with a failure, one character per
//! day from `first` (day number) over `span` days: `1` when that KPI-day failed. A bitmap keeps
//! the worst case (every KPI-day failed) small enough to prove.

use super::tz::OffsetChange;
use serde_json::{Value, json};

const HELPERS: &str = include_str!("jsonata/helpers.jsonata");
const PREPARE: &str = include_str!("jsonata/prepare.jsonata");
const PLAN: &str = include_str!("jsonata/plan.jsonata");
const FAILURE: &str = include_str!("jsonata/failure.jsonata");
const FINISH: &str = include_str!("jsonata/finish.jsonata");

/// Failures listed in full (the rest are only counted and marked in the bitmaps).
pub const MAX_LISTED_FAILURES: usize = 50;
/// Characters of the final failure message (a Fail state's cause holds 32,768).
pub const MAX_MESSAGE: usize = 30_000;
/// Characters kept of an error name and of a cause in a failure record.
pub const MAX_ERROR_CHARS: usize = 64;
pub const MAX_CAUSE_CHARS: usize = 256;

/// One upstream KPI read by a KPI, as the plan expression checks it.
pub struct UpstreamRead<'a> {
    pub kpi: &'a str,
    pub days: u32,
    pub before: u32,
}

/// Wraps an expression for a JSONata field, on one line: newlines and the indentation after
/// them become one space (no string literal in our expressions spans lines).
fn expression(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if i > 0 && !out.is_empty() {
            out.push(' ');
        }
        out.push_str(line);
    }
    format!("{{% {out} %}}")
}

fn helpers() -> String {
    HELPERS.replace("@MAX_DETAILS@", &MAX_LISTED_FAILURES.to_string())
}

/// Validates the execution input and turns it into the state above, or `{problem}`.
pub fn prepare(kpis: &[&str], max_days: u32, history_start: &str, zone: &[OffsetChange]) -> String {
    let zone: Vec<Value> = zone
        .iter()
        .map(|c| json!({"t": c.at_millis, "o": c.offset_minutes}))
        .collect();
    expression(
        &PREPARE
            .replace("@HELPERS@", &helpers())
            .replace("@NAMES@", &json!(kpis).to_string())
            .replace("@MAX_DAYS@", &max_days.to_string())
            .replace("@HISTORY_START@", history_start)
            .replace("@ZONE@", &Value::Array(zone).to_string()),
    )
}

/// Folds the previous Map's failures into the state, then lists the next chunk of this
/// phase's KPI-days (`days` is a JSONata expression over `$st`), leaving out those already
/// failed and recording those whose upstream failed.
pub fn plan(
    phase: &str,
    chunk: usize,
    kpis: &[&str],
    reads: &[(&str, Vec<UpstreamRead<'_>>)],
    days: &str,
) -> String {
    let mut table = serde_json::Map::new();
    for (kpi, upstream) in reads {
        if upstream.is_empty() {
            continue;
        }
        let list: Vec<Value> = upstream
            .iter()
            .map(|r| json!({"kpi": r.kpi, "days": r.days, "before": r.before}))
            .collect();
        table.insert((*kpi).to_string(), Value::Array(list));
    }
    expression(
        &PLAN
            .replace("@HELPERS@", &helpers())
            .replace("@PHASE@", phase)
            .replace("@CHUNK@", &chunk.to_string())
            .replace("@READS@", &Value::Object(table).to_string())
            .replace("@KPIS@", &json!(kpis).to_string())
            .replace("@DAYS@", days),
    )
}

/// The record an item leaves when one of its queries fails: `{kpi, day, error, cause}`,
/// printable ASCII only and trimmed, so its size is bounded. A setup failure fails every day
/// of its KPI (`all`).
pub fn failure(setup: bool) -> String {
    let (day, all) = if setup {
        ("\"setup\"", ",\n\"all\": true")
    } else {
        ("$states.input.day", "")
    };
    expression(
        &FAILURE
            .replace("@DAY@", day)
            .replace("@ALL@", all)
            .replace("@MAX_ERROR@", &MAX_ERROR_CHARS.to_string())
            .replace("@MAX_CAUSE@", &MAX_CAUSE_CHARS.to_string()),
    )
}

/// Folds the last Map's failures and writes the outcome: `{failureCount, message, summary}`.
pub fn finish() -> String {
    expression(
        &FINISH
            .replace("@HELPERS@", &helpers())
            .replace("@MAX_DETAILS@", &MAX_LISTED_FAILURES.to_string())
            .replace("@MAX_MESSAGE@", &MAX_MESSAGE.to_string()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions_are_one_line_and_filled_in() {
        let e = plan(
            "Level1",
            7,
            &["b"],
            &[(
                "b",
                vec![UpstreamRead {
                    kpi: "a",
                    days: 30,
                    before: 0,
                }],
            )],
            "$st.days",
        );
        assert!(e.starts_with("{% (") && e.ends_with(") %}"), "{e}");
        assert!(!e.contains('\n') && !e.contains('@'), "{e}");
        assert!(
            e.contains(r#"$reads := {"b":[{"kpi":"a","days":30,"before":0}]};"#),
            "{e}"
        );
        assert!(e.contains(r#"$phase := "Level1"; $size := 7;"#), "{e}");
        let f = failure(true);
        assert!(
            f.contains("\"all\": true") && f.contains("\"setup\""),
            "{f}"
        );
        assert!(!failure(false).contains("all"));
    }
}
