//! The report of a local run: per KPI, per source, the failures and every query; printed for
//! people, as JSON, or as a self-contained HTML page (`page`) of where the time went.

mod numbers;
mod page;
mod timing;

pub use numbers::group_digits;

use crate::cost::{Estimate, bytes_text};
use crate::plan::Waiting;
use crate::tasks::QueryRecord;
use kpi_contract::Day;
use serde::Serialize;
use serde_json::Value;
use std::fmt::Write;

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub project: String,
    pub lake: String,
    /// Wall time of the whole run.
    pub seconds: f64,
    /// KPI-days the run computed (missing or stale, or all with `--force`).
    pub kpi_days: usize,
    /// KPI-days in the range that were already up to date.
    pub up_to_date: usize,
    /// Attempt prefixes of earlier, interrupted runs that were cleared away.
    pub removed_attempts: usize,
    /// Due KPI-days that did not run: an input partition is missing.
    pub waiting: Vec<Waiting>,
    /// Published KPI-days whose files had changed: recomputed.
    pub damaged: Vec<Failure>,
    pub kpis: Vec<KpiReport>,
    pub failures: Vec<Failure>,
    pub sources: Vec<SourceReport>,
    pub executions: Vec<ExecutionReport>,
    /// Every query and catalog write, timed from `queries_started_ms`.
    pub queries: Vec<QueryRecord>,
    /// Milliseconds from the run's start to the zero of the queries' `start_ms` (planning,
    /// opening the engine and staging come first).
    pub queries_started_ms: f64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct KpiReport {
    pub kpi: String,
    pub level: usize,
    pub days: usize,
    pub succeeded: usize,
    pub failed: usize,
    /// Published days whose windows reach before `history_start`.
    pub partial: usize,
    pub rows: u64,
    /// Time spent in this KPI's queries.
    pub seconds: f64,
    /// Files its write and check queries read (each once per query), as DuckDB recorded them.
    pub files_read: usize,
    pub bytes_read: u64,
    /// The same queries on Athena.
    pub estimate: Estimate,
}

#[derive(Debug, Clone, Serialize)]
pub struct Failure {
    pub kpi: String,
    pub day: Day,
    pub error: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SourceReport {
    pub source: String,
    /// `json` or `parquet`.
    pub format: String,
    pub files: usize,
    /// Lines that are not JSON objects: skipped, as Athena's `ignore.malformed.json` does.
    pub malformed_lines: u64,
    pub unreadable: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExecutionReport {
    pub name: String,
    pub input: Value,
    pub status: String,
    pub error: Option<String>,
    pub cause: Option<String>,
    /// Milliseconds from the run's start to the execution's start.
    pub start_ms: f64,
    pub duration_ms: f64,
}

impl Report {
    pub fn succeeded(&self) -> bool {
        self.failures.is_empty()
            && self.waiting.is_empty()
            && self.executions.iter().all(|e| e.status == "SUCCEEDED")
    }

    /// KPI-days failed before the run (a damaged input, or an upstream day that failed so):
    /// counted with their KPI and listed first.
    pub fn add_failures_before_run(
        &mut self,
        manifest: &kpi_contract::manifest::Manifest,
        failed: Vec<(String, Day, String)>,
    ) {
        for (kpi, day, error) in failed.into_iter().rev() {
            let entry = match self.kpis.iter().position(|k| k.kpi == kpi) {
                Some(i) => &mut self.kpis[i],
                None => {
                    self.kpis.push(KpiReport {
                        kpi: kpi.clone(),
                        level: manifest.kpi(&kpi).map_or(0, |k| k.level),
                        ..KpiReport::default()
                    });
                    let last = self.kpis.len() - 1;
                    &mut self.kpis[last]
                }
            };
            entry.days += 1;
            entry.failed += 1;
            self.kpi_days += 1;
            self.failures.insert(0, Failure { kpi, day, error });
        }
        let order = |k: &KpiReport| manifest.kpis.iter().position(|m| m.name == k.kpi);
        self.kpis.sort_by_key(order);
    }

    /// The Athena estimate of every KPI's queries together.
    pub fn estimate(&self) -> Estimate {
        self.kpis.iter().map(|k| k.estimate).sum()
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|_| "{}".into())
    }

    /// The report for a terminal.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        if self.kpi_days == 0 && self.waiting.is_empty() {
            let _ = writeln!(
                out,
                "Nothing to do: all {} KPI-days are up to date (--force recomputes them).",
                self.up_to_date
            );
            return out;
        }
        let width = self
            .kpis
            .iter()
            .map(|k| k.kpi.len())
            .max()
            .unwrap_or(3)
            .max(3);
        let _ = writeln!(
            out,
            "{:width$}  {:>5}  {:>6}  {:>10}  {:>8}  {:>9}  {:>9}",
            "KPI", "days", "failed", "rows", "time", "read", "Athena $"
        );
        for k in &self.kpis {
            let _ = writeln!(
                out,
                "{:width$}  {:>5}  {:>6}  {:>10}  {:>7.2}s  {:>9}  {:>9.4}",
                k.kpi,
                k.days,
                k.failed,
                group_digits(k.rows),
                k.seconds,
                bytes_text(k.bytes_read),
                k.estimate.dollars
            );
        }
        let _ = writeln!(out, "\n{}", self.estimate().sentence());
        let mut slowest: Vec<&QueryRecord> = self
            .queries
            .iter()
            .filter(|q| q.role != "publish")
            .collect();
        slowest.sort_by(|a, b| b.duration_ms.total_cmp(&a.duration_ms));
        if !slowest.is_empty() {
            let _ = writeln!(out, "\nSlowest queries:");
            for q in slowest.iter().take(5) {
                let _ = writeln!(
                    out,
                    "  {:>8.1} ms  {} {} {}",
                    q.duration_ms,
                    q.kpi,
                    q.days.map(|d| d.to_string()).unwrap_or_default(),
                    q.statement
                );
            }
        }
        if !self.sources.is_empty() {
            let _ = writeln!(out);
        }
        for s in &self.sources {
            let malformed = if s.format == "json" {
                format!(
                    ", {} malformed lines skipped",
                    group_digits(s.malformed_lines)
                )
            } else {
                String::new()
            };
            let _ = writeln!(
                out,
                "Source {}: {} files read{malformed}",
                s.source, s.files
            );
            for u in &s.unreadable {
                let _ = writeln!(out, "  unreadable: {u}");
            }
        }
        let partial: Vec<String> = self
            .kpis
            .iter()
            .filter(|k| k.partial > 0)
            .map(|k| format!("{} {}", k.kpi, k.partial))
            .collect();
        if !partial.is_empty() {
            let _ = writeln!(
                out,
                "\nPartial KPI-days (their windows reach before history_start; published with \
                 kpi.partial = true): {}.",
                partial.join(", ")
            );
        }
        if self.removed_attempts > 0 {
            let _ = writeln!(
                out,
                "\nCleared {} attempt prefix(es) no partition points at (replaced, failed or interrupted).",
                self.removed_attempts
            );
        }
        let done: usize = self.kpis.iter().map(|k| k.succeeded).sum();
        if self.failures.is_empty() {
            let _ = writeln!(
                out,
                "\n{done} KPI-days computed in {:.1}s ({} already up to date).",
                self.seconds, self.up_to_date
            );
        } else {
            let _ = writeln!(
                out,
                "\n{} of {} KPI-days failed ({done} computed in {:.1}s); the next run redoes them:",
                self.failures.len(),
                self.kpi_days,
                self.seconds
            );
            for f in self.failures.iter().take(20) {
                let _ = writeln!(out, "  {} {}: {}", f.kpi, f.day, f.error);
            }
            if self.failures.len() > 20 {
                let _ = writeln!(out, "  … and {} more", self.failures.len() - 20);
            }
        }
        if !self.waiting.is_empty() {
            let _ = writeln!(
                out,
                "\n{} KPI-day(s) wait for their inputs and were not computed:",
                self.waiting.len()
            );
            for w in self.waiting.iter().take(20) {
                let _ = writeln!(out, "  {} {}: {}", w.kpi, w.day, w.why);
            }
            if self.waiting.len() > 20 {
                let _ = writeln!(out, "  … and {} more", self.waiting.len() - 20);
            }
        }
        for d in &self.damaged {
            let _ = writeln!(out, "recomputed {} {}: {}", d.kpi, d.day, d.error);
        }
        for e in self
            .executions
            .iter()
            .filter(|e| e.status != "SUCCEEDED" && e.error.as_deref() != Some("Kpi.Failed"))
        {
            let _ = writeln!(
                out,
                "execution {} failed: {}: {}",
                e.name,
                e.error.as_deref().unwrap_or(""),
                e.cause.as_deref().unwrap_or("")
            );
        }
        out
    }

    /// A self-contained page answering where the run's time went: the summary, per level and
    /// KPI the query and critical-path time by phase, a timeline per worker, the slowest
    /// queries with their SQL (see [`page`]).
    pub fn to_html(&self) -> String {
        page::render(self)
    }
}
