//! The report of a local run: per KPI, per source, the failures and every query; printed for
//! people, as JSON, or as a self-contained HTML page with a timeline of the queries.

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
    pub queries: Vec<QueryRecord>,
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
        let mut slowest: Vec<&QueryRecord> = self.queries.iter().collect();
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

    /// A self-contained page: the summary, per-KPI rows, and a timeline of every query.
    pub fn to_html(&self) -> String {
        let mut out = String::new();
        let total_ms = self
            .queries
            .iter()
            .map(|q| q.start_ms + q.duration_ms)
            .fold(1.0_f64, f64::max);
        let _ = write!(
            out,
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <title>kpi run: {project}</title><style>\
             body{{font:14px system-ui,sans-serif;margin:2em;color:#222}}\
             table{{border-collapse:collapse;margin:1em 0}}td,th{{padding:2px 10px;border-bottom:1px solid #ddd;text-align:right}}\
             td:first-child,th:first-child{{text-align:left}}.bad{{color:#b00020}}\
             .lane{{position:relative;height:14px;border-bottom:1px solid #f2f2f2}}\
             .lane span.name{{position:absolute;left:0;width:300px;font-size:11px;white-space:nowrap;overflow:hidden}}\
             .bar{{position:absolute;height:11px;top:1px;border-radius:2px;min-width:1px}}\
             .setup{{background:#9e9e9e}}.write{{background:#1e88e5}}.check{{background:#43a047}}.publish{{background:#fb8c00}}.failed{{background:#b00020}}\
             .track{{position:absolute;left:310px;right:0;top:0;bottom:0}}\
             </style></head><body>\n<h1>kpi run: {project}</h1>\n<p>Lake <code>{lake}</code>; {kpi_days} KPI-days computed, {up} up to date, {failed} failed; {secs:.2} s.</p>\n",
            project = esc(&self.project),
            lake = esc(&self.lake),
            kpi_days = self.kpi_days,
            up = self.up_to_date,
            failed = self.failures.len(),
            secs = self.seconds
        );
        out.push_str("<h2>KPIs</h2>\n<table><tr><th>KPI</th><th>level</th><th>days</th><th>failed</th><th>rows</th><th>query time (s)</th></tr>\n");
        for k in &self.kpis {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td{}>{}</td><td>{}</td><td>{:.3}</td></tr>",
                esc(&k.kpi),
                k.level,
                k.days,
                if k.failed > 0 { " class=\"bad\"" } else { "" },
                k.failed,
                k.rows,
                k.seconds
            );
        }
        out.push_str("</table>\n");
        if !self.sources.is_empty() {
            out.push_str("<h2>Sources</h2>\n<table><tr><th>source</th><th>files</th><th>malformed lines skipped</th></tr>\n");
            for s in &self.sources {
                let _ = writeln!(
                    out,
                    "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                    esc(&s.source),
                    s.files,
                    s.malformed_lines
                );
            }
            out.push_str("</table>\n");
        }
        if !self.failures.is_empty() {
            out.push_str("<h2 class=\"bad\">Failures</h2>\n<table><tr><th>KPI</th><th>day</th><th>error</th></tr>\n");
            for f in &self.failures {
                let _ = writeln!(
                    out,
                    "<tr><td>{}</td><td>{}</td><td style=\"text-align:left\">{}</td></tr>",
                    esc(&f.kpi),
                    f.day,
                    esc(&f.error)
                );
            }
            out.push_str("</table>\n");
        }
        let _ = writeln!(
            out,
            "<h2>Timeline</h2>\n<p>Every query, one lane per KPI and chunk of days, over {:.0} ms. Grey: setup, blue: write, green: check, orange: publish, red: failed. Hover a bar for details.</p>\n<div>",
            total_ms
        );
        let mut lanes: Vec<(String, Vec<&QueryRecord>)> = Vec::new();
        for q in &self.queries {
            let lane = match q.days {
                Some(days) => format!("{} {days}", q.kpi),
                None => format!("{} setup", q.kpi),
            };
            match lanes.iter_mut().find(|(l, _)| *l == lane) {
                Some((_, qs)) => qs.push(q),
                None => lanes.push((lane, vec![q])),
            }
        }
        for (lane, qs) in &lanes {
            let _ = write!(
                out,
                "<div class=\"lane\"><span class=\"name\">{}</span><div class=\"track\">",
                esc(lane)
            );
            for q in qs {
                let class = if q.error.is_some() {
                    "failed"
                } else {
                    q.role.as_str()
                };
                let _ = write!(
                    out,
                    "<div class=\"bar {class}\" style=\"left:{:.3}%;width:{:.3}%\" title=\"{} {} {}: {:.1} ms, {} rows{}\"></div>",
                    q.start_ms / total_ms * 100.0,
                    q.duration_ms / total_ms * 100.0,
                    esc(&q.kpi),
                    q.days.map(|d| d.to_string()).unwrap_or_default(),
                    esc(&q.statement),
                    q.duration_ms,
                    q.rows,
                    q.error
                        .as_ref()
                        .map(|e| format!(" — {}", esc(e)))
                        .unwrap_or_default()
                );
            }
            out.push_str("</div></div>\n");
        }
        out.push_str("</div>\n</body></html>\n");
        out
    }
}

fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn group_digits(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
