//! A diff + the head's plan + the last day → the backfill the change needs: per KPI the days
//! to recompute, cut as the state machine cuts them (executions of at most
//! `max_backfill_days`, chunks of at most `chunk_days`), the Athena queries (a write and a
//! check per chunk), what they cost (priced by the caller, who can read the lake), and a
//! wall-time estimate.

use super::{Change, Diff};
use crate::lower::Plan;
use kpi_contract::{Day, DayRange};
use serde::Serialize;
use std::collections::BTreeSet;

/// Assumed seconds of one chunk's write on Athena (a queue wait plus a scan of a few GB).
pub const WRITE_SECONDS: u64 = 30;
/// Assumed seconds of one chunk's check (it reads only the chunk's output).
pub const CHECK_SECONDS: u64 = 5;

#[derive(Clone, Debug, Serialize)]
pub struct Backfill {
    /// The days considered: `history_start` to `last`.
    pub range: Option<DayRange>,
    /// Where `last` comes from.
    pub last_from: String,
    pub kpi_days: u64,
    /// Athena queries: a write and a check per chunk.
    pub queries: u64,
    /// `None` without a lake to read the files' sizes from.
    pub cost: Option<Cost>,
    pub wall: WallTime,
    pub kpis: Vec<BackfillKpi>,
}

#[derive(Clone, Debug, Serialize)]
pub struct BackfillKpi {
    pub name: String,
    pub level: usize,
    pub days: u64,
    /// Runs of consecutive days.
    pub ranges: Vec<DayRange>,
    /// The chunks one write each computes.
    pub chunks: Vec<DayRange>,
    pub queries: u64,
    pub cost: Option<Cost>,
}

/// What queries cost on Athena: bytes of the files they read, bytes billed, dollars.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Cost {
    pub bytes: u64,
    pub billed_bytes: u64,
    pub dollars: f64,
}

impl std::ops::Add for Cost {
    type Output = Cost;
    fn add(self, o: Cost) -> Cost {
        Cost {
            bytes: self.bytes + o.bytes,
            billed_bytes: self.billed_bytes + o.billed_bytes,
            dollars: self.dollars + o.dollars,
        }
    }
}

/// The wall time of the backfill on AWS, under stated assumptions: each chunk's write takes
/// [`WRITE_SECONDS`] and its check [`CHECK_SECONDS`]; levels of the DAG run one after the
/// other; within a level, `concurrency` chunks run at once.
#[derive(Clone, Debug, Serialize)]
pub struct WallTime {
    pub seconds: u64,
    pub concurrency: u32,
    pub write_seconds: u64,
    pub check_seconds: u64,
}

/// The backfill `diff` needs up to `last` (inclusive). `price` gives the cost of one chunk of
/// one KPI (its write and its check), or `None` when it cannot be known.
pub fn backfill(
    diff: &Diff,
    head: &Plan,
    last: Day,
    last_from: &str,
    price: &dyn Fn(&str, DayRange) -> Option<Cost>,
) -> Backfill {
    let settings = &head.settings;
    let range = DayRange::new(settings.history_start, last);
    let full: BTreeSet<&str> = diff
        .kpis
        .iter()
        .filter(|k| k.recompute && k.change != Change::Removed)
        .map(|k| k.name.as_str())
        .chain(diff.fingerprint_only.iter().map(String::as_str))
        .collect();
    let mut kpis = Vec::new();
    for k in &head.kpis {
        let mut days: BTreeSet<Day> = BTreeSet::new();
        if full.contains(k.name.as_str()) {
            days.extend(range.iter().flat_map(|r| r.days()));
        }
        if let Some(history) = &diff.history {
            days.extend(history.added.iter().flat_map(|r| r.days()));
            for cut in history.cut.iter().filter(|c| c.kpi == k.name) {
                days.extend(cut.days.days());
            }
        }
        days.retain(|d| range.is_some_and(|r| r.contains(*d)));
        if days.is_empty() {
            continue;
        }
        let days: Vec<Day> = days.into_iter().collect();
        let chunks = chunks(&days, settings.max_backfill_days, settings.chunk_days);
        let costs: Vec<Option<Cost>> = chunks.iter().map(|c| price(&k.name, *c)).collect();
        let cost = costs
            .iter()
            .copied()
            .try_fold(Cost::default(), |sum, c| c.map(|c| sum + c));
        kpis.push(BackfillKpi {
            name: k.name.clone(),
            level: k.level,
            days: days.len() as u64,
            ranges: DayRange::runs(&days),
            queries: 2 * chunks.len() as u64,
            chunks,
            cost,
        });
    }
    let cost = kpis
        .iter()
        .map(|k| k.cost)
        .try_fold(Cost::default(), |sum, c| c.map(|c| sum + c));
    let concurrency = settings.concurrency.max(1);
    let seconds = (0..head.levels())
        .map(|level| {
            let chunks: u64 = kpis
                .iter()
                .filter(|k| k.level == level)
                .map(|k| k.chunks.len() as u64)
                .sum();
            chunks.div_ceil(u64::from(concurrency)) * (WRITE_SECONDS + CHECK_SECONDS)
        })
        .sum();
    Backfill {
        range,
        last_from: last_from.to_string(),
        kpi_days: kpis.iter().map(|k| k.days).sum(),
        queries: kpis.iter().map(|k| k.queries).sum(),
        cost,
        wall: WallTime {
            seconds,
            concurrency,
            write_seconds: WRITE_SECONDS,
            check_seconds: CHECK_SECONDS,
        },
        kpis,
    }
}

/// The state machine's cut: executions spanning at most `span` days from their first day,
/// each cut into runs of consecutive days, each run into chunks of at most `chunk_days`.
fn chunks(days: &[Day], span: u32, chunk_days: u32) -> Vec<DayRange> {
    let mut out = Vec::new();
    let mut execution: Vec<Day> = Vec::new();
    for &day in days {
        if execution
            .first()
            .is_some_and(|first| day.since(*first) >= i64::from(span.max(1)))
        {
            out.extend(cut(&execution, chunk_days));
            execution.clear();
        }
        execution.push(day);
    }
    out.extend(cut(&execution, chunk_days));
    out
}

fn cut(days: &[Day], chunk_days: u32) -> Vec<DayRange> {
    DayRange::runs(days)
        .into_iter()
        .flat_map(|run| run.chunks(chunk_days))
        .collect()
}
