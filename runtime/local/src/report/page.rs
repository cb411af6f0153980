//! A run's report → its HTML page. Every number, share and position is computed here;
//! `page.html.j2` only lays them out (minijinja, HTML auto-escaping, strict undefined).

use super::Report;
use super::numbers::{decimal, group_digits, percent, seconds};
use super::timing::{self, Span, Stage, Timed};
use crate::cost::bytes_text;
use crate::tasks::QueryRecord;
use serde::Serialize;
use std::collections::BTreeMap;

const TEMPLATE: &str = include_str!("page.html.j2");
/// Rows of the slowest-queries table.
const SLOWEST: usize = 15;
/// Failures and waiting KPI-days listed before "… and N more".
const LISTED: usize = 50;

/// The page's numbers, before layout.
#[derive(Debug, Serialize)]
struct Page {
    project: String,
    lake: String,
    facts: Vec<Fact>,
    estimate: String,
    /// The wall time, part by part: the parts add up to it.
    parts: Vec<Part>,
    roles: Vec<String>,
    levels: Vec<Level>,
    total: KpiRow,
    path: Vec<PathRow>,
    timeline: Timeline,
    slowest: Vec<Slow>,
    sources: Vec<[String; 5]>,
    failures: Vec<[String; 3]>,
    failures_more: usize,
    waiting: Vec<[String; 3]>,
    waiting_more: usize,
}

#[derive(Debug, Serialize)]
struct Fact {
    id: &'static str,
    label: &'static str,
    value: String,
    note: String,
}

#[derive(Debug, Serialize)]
struct Part {
    id: &'static str,
    class: &'static str,
    label: &'static str,
    value: String,
    share: String,
    width: String,
}

#[derive(Debug, Serialize)]
struct Level {
    title: String,
    note: String,
    kpis: Vec<KpiRow>,
}

#[derive(Debug, Default, Serialize)]
struct KpiRow {
    kpi: String,
    level: String,
    days: String,
    failed: usize,
    query: String,
    critical: String,
    share: String,
    rows: String,
    bytes: String,
    bytes_exact: String,
    phases: Vec<String>,
}

#[derive(Debug, Serialize)]
struct PathRow {
    execution: usize,
    stage: String,
    start: String,
    span: String,
    longest: String,
    kpis: usize,
    share: String,
}

#[derive(Debug, Serialize)]
struct Timeline {
    wall: String,
    ticks: Vec<Mark>,
    marks: Vec<Mark>,
    lanes: Vec<Lane>,
    /// Before the first record: shaded on every lane.
    before: String,
}

#[derive(Debug, Serialize)]
struct Mark {
    left: String,
    label: String,
}

#[derive(Debug, Serialize)]
struct Lane {
    name: String,
    bars: Vec<Bar>,
}

#[derive(Debug, Serialize)]
struct Bar {
    class: String,
    left: String,
    width: String,
    title: String,
}

#[derive(Debug, Serialize)]
struct Slow {
    kpi: String,
    days: String,
    role: String,
    statement: String,
    duration: String,
    rows: String,
    bytes: String,
    sql: Option<String>,
}

/// The page of `report`; a template error (a bug) still gives a page, saying so.
pub fn render(report: &Report) -> String {
    let mut env = minijinja::Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
    let page = build(report);
    env.add_template("page.html", TEMPLATE)
        .and_then(|()| env.get_template("page.html"))
        .and_then(|t| t.render(&page))
        .unwrap_or_else(|e| {
            let text = e.to_string().replace('&', "&amp;").replace('<', "&lt;");
            format!(
                "<!DOCTYPE html>\n<html lang=\"en\"><body><p>internal error rendering the report, please report: {text}</p></body></html>\n"
            )
        })
}

/// A record on the run's clock.
fn span_of(report: &Report, q: &QueryRecord) -> Span {
    let start = report.queries_started_ms + q.start_ms;
    Span {
        start,
        end: start + q.duration_ms,
    }
}

fn is_query(q: &QueryRecord) -> bool {
    q.role != "publish"
}

/// `left` and `width` of an interval as percentages of the wall time.
fn pct(ms: f64, wall: f64) -> String {
    format!("{:.3}%", (ms / wall * 100.0).clamp(0.0, 100.0))
}

fn build(report: &Report) -> Page {
    let all: Vec<Span> = report.queries.iter().map(|q| span_of(report, q)).collect();
    let queries: Vec<Span> = report
        .queries
        .iter()
        .filter(|q| is_query(q))
        .map(|q| span_of(report, q))
        .collect();
    let last_end = all.iter().map(|s| s.end).fold(0.0, f64::max);
    let wall = (report.seconds * 1000.0).max(last_end).max(1e-9);
    let level_of: BTreeMap<&str, usize> = report
        .kpis
        .iter()
        .map(|k| (k.kpi.as_str(), k.level))
        .collect();
    let stage_of = |q: &QueryRecord| match q.role.as_str() {
        "setup" => Stage::Setup,
        _ => Stage::Level(level_of.get(q.kpi.as_str()).copied().unwrap_or(0)),
    };
    let timed: Vec<Timed<'_>> = report
        .queries
        .iter()
        .zip(&all)
        .map(|(q, &span)| Timed {
            kpi: &q.kpi,
            stage: stage_of(q),
            span,
        })
        .collect();
    let executions: Vec<Span> = report
        .executions
        .iter()
        .map(|e| Span {
            start: e.start_ms,
            end: e.start_ms + e.duration_ms,
        })
        .collect();
    let path = timing::critical_path(&timed, &executions);
    let critical_total: f64 = path.iter().map(|s| s.span.len()).sum();
    let critical = timing::critical_ms_by_kpi(&path);

    let phases = timing::phase_totals(
        report
            .queries
            .iter()
            .map(|q| (q.role.as_str(), q.duration_ms)),
    );
    let roles: Vec<String> = phases.iter().map(|(r, _)| r.clone()).collect();
    let mut by_kpi_role: BTreeMap<(&str, &str), f64> = BTreeMap::new();
    for q in &report.queries {
        *by_kpi_role.entry((&q.kpi, &q.role)).or_default() += q.duration_ms;
    }

    let query_ms: f64 = report
        .queries
        .iter()
        .filter(|q| is_query(q))
        .map(|q| q.duration_ms)
        .sum();
    let bytes: u64 = report.kpis.iter().map(|k| k.bytes_read).sum();
    let files: usize = report.kpis.iter().map(|k| k.files_read).sum();
    let computed: usize = report.kpis.iter().map(|k| k.succeeded).sum();
    let estimate = report.estimate();
    let outside = wall - timing::covered_ms(&queries);
    let facts = vec![
        fact(
            "wall",
            "Wall time",
            seconds(wall),
            format!("{} execution(s)", report.executions.len()),
        ),
        fact(
            "kpi-days",
            "KPI-days computed",
            group_digits(computed as u64),
            format!(
                "{} failed · {} waiting · {} up to date",
                group_digits(report.failures.len() as u64),
                group_digits(report.waiting.len() as u64),
                group_digits(report.up_to_date as u64)
            ),
        ),
        fact(
            "query-time",
            "Query time",
            seconds(query_ms),
            format!("summed over {} queries", group_digits(queries.len() as u64)),
        ),
        fact(
            "outside",
            "Outside queries",
            seconds(outside),
            format!("{} of the wall time", percent(outside, wall)),
        ),
        fact(
            "critical",
            "Critical path",
            seconds(critical_total),
            format!("{} stage(s), one after another", path.len()),
        ),
        fact(
            "bytes",
            "Bytes read",
            bytes_text(bytes),
            format!(
                "{} B, {} file reads",
                group_digits(bytes),
                group_digits(files as u64)
            ),
        ),
        fact(
            "athena",
            "On Athena",
            format!("${}", decimal(estimate.dollars, 4)),
            format!(
                "{} DML queries, {} billed",
                group_digits(estimate.queries),
                bytes_text(estimate.billed_bytes)
            ),
        ),
    ];
    Page {
        project: report.project.clone(),
        lake: report.lake.clone(),
        facts,
        estimate: estimate.sentence(),
        parts: parts(&all, &queries, wall),
        levels: levels(
            report,
            &roles,
            &by_kpi_role,
            &path,
            &critical,
            critical_total,
        ),
        total: KpiRow {
            kpi: "all KPIs".into(),
            days: group_digits(report.kpis.iter().map(|k| k.days as u64).sum()),
            failed: report.kpis.iter().map(|k| k.failed).sum(),
            query: seconds(report.kpis.iter().map(|k| k.seconds * 1000.0).sum()),
            critical: seconds(critical_total),
            share: percent(critical_total, critical_total),
            rows: group_digits(report.kpis.iter().map(|k| k.rows).sum()),
            bytes: bytes_text(bytes),
            bytes_exact: format!("{} B", group_digits(bytes)),
            phases: phases.iter().map(|(_, ms)| seconds(*ms)).collect(),
            ..KpiRow::default()
        },
        roles,
        path: path
            .iter()
            .map(|s| PathRow {
                execution: s.execution + 1,
                stage: stage_name(s.stage),
                start: seconds(s.span.start),
                span: seconds(s.span.len()),
                longest: s.longest.clone(),
                kpis: s.kpis,
                share: percent(s.span.len(), critical_total),
            })
            .collect(),
        timeline: timeline(report, &all, &path, wall),
        slowest: slowest(report),
        sources: report
            .sources
            .iter()
            .map(|s| {
                [
                    s.source.clone(),
                    s.format.clone(),
                    group_digits(s.files as u64),
                    group_digits(s.malformed_lines),
                    s.unreadable.join(", "),
                ]
            })
            .collect(),
        failures: report
            .failures
            .iter()
            .take(LISTED)
            .map(|f| [f.kpi.clone(), f.day.to_string(), f.error.clone()])
            .collect(),
        failures_more: report.failures.len().saturating_sub(LISTED),
        waiting: report
            .waiting
            .iter()
            .take(LISTED)
            .map(|w| [w.kpi.clone(), w.day.to_string(), w.why.clone()])
            .collect(),
        waiting_more: report.waiting.len().saturating_sub(LISTED),
    }
}

fn fact(id: &'static str, label: &'static str, value: String, note: String) -> Fact {
    Fact {
        id,
        label,
        value,
        note,
    }
}

fn stage_name(stage: Stage) -> String {
    match stage {
        Stage::Setup => "setup".into(),
        Stage::Level(n) => format!("level {n}"),
    }
}

/// The wall time as five parts that add up to it: before the first record, queries running,
/// only catalog writes running, neither (the state machine itself), after the last record.
fn parts(all: &[Span], queries: &[Span], wall: f64) -> Vec<Part> {
    let u = timing::uncovered(all, wall);
    let in_queries = timing::covered_ms(queries);
    let catalog = (timing::covered_ms(all) - in_queries).max(0.0);
    [
        (
            "part-before",
            "before",
            "before the first query: planning, opening the engine, staging the sources",
            u.before,
        ),
        (
            "part-queries",
            "queries",
            "at least one query running",
            in_queries,
        ),
        (
            "part-catalog",
            "publish",
            "catalog writes (publishing partitions), no query running",
            catalog,
        ),
        (
            "part-machine",
            "machine",
            "the state machine between queries: its states, JSONata, handing results on",
            u.between,
        ),
        (
            "part-after",
            "after",
            "after the last query: reading the catalog back, the report",
            u.after,
        ),
    ]
    .into_iter()
    .map(|(id, class, label, ms)| Part {
        id,
        class,
        label,
        value: seconds(ms),
        share: percent(ms, wall),
        width: pct(ms, wall),
    })
    .collect()
}

fn levels(
    report: &Report,
    roles: &[String],
    by_kpi_role: &BTreeMap<(&str, &str), f64>,
    path: &[timing::StageSpan],
    critical: &BTreeMap<&str, f64>,
    critical_total: f64,
) -> Vec<Level> {
    let mut levels: BTreeMap<usize, Vec<KpiRow>> = BTreeMap::new();
    for k in &report.kpis {
        let on_path = critical.get(k.kpi.as_str()).copied().unwrap_or(0.0);
        levels.entry(k.level).or_default().push(KpiRow {
            kpi: k.kpi.clone(),
            level: k.level.to_string(),
            days: group_digits(k.days as u64),
            failed: k.failed,
            query: seconds(k.seconds * 1000.0),
            critical: seconds(on_path),
            share: percent(on_path, critical_total),
            rows: group_digits(k.rows),
            bytes: bytes_text(k.bytes_read),
            bytes_exact: format!("{} B", group_digits(k.bytes_read)),
            phases: roles
                .iter()
                .map(|r| {
                    seconds(
                        by_kpi_role
                            .get(&(k.kpi.as_str(), r.as_str()))
                            .copied()
                            .unwrap_or(0.0),
                    )
                })
                .collect(),
        });
    }
    levels
        .into_iter()
        .map(|(level, kpis)| {
            let stages: Vec<&timing::StageSpan> = path
                .iter()
                .filter(|s| s.stage == Stage::Level(level))
                .collect();
            let span: f64 = stages.iter().map(|s| s.span.len()).sum();
            let mut longest: Vec<&str> = stages.iter().map(|s| s.longest.as_str()).collect();
            longest.dedup();
            let days: u64 = report
                .kpis
                .iter()
                .filter(|k| k.level == level)
                .map(|k| k.days as u64)
                .sum();
            Level {
                title: format!("level {level}"),
                note: format!(
                    "{} KPI(s), {} KPI-days; span {}; ended last by {}",
                    kpis.len(),
                    group_digits(days),
                    seconds(span),
                    if longest.is_empty() {
                        "no query".to_string()
                    } else {
                        longest.join(", ")
                    }
                ),
                kpis,
            }
        })
        .collect()
}

fn timeline(report: &Report, all: &[Span], path: &[timing::StageSpan], wall: f64) -> Timeline {
    let lane_of = timing::pack_lanes(all);
    let count = lane_of.iter().copied().max().map_or(0, |m| m + 1);
    let mut lanes: Vec<Lane> = (0..count)
        .map(|i| Lane {
            name: format!("worker {}", i + 1),
            bars: Vec::new(),
        })
        .collect();
    for ((q, span), lane) in report.queries.iter().zip(all).zip(lane_of) {
        let days = q.days.map(|d| d.to_string()).unwrap_or_default();
        let error = q
            .error
            .as_ref()
            .map(|e| format!(" — failed: {e}"))
            .unwrap_or_default();
        lanes[lane].bars.push(Bar {
            class: if q.error.is_some() {
                "failed".into()
            } else {
                q.role.clone()
            },
            left: pct(span.start, wall),
            width: pct(span.len(), wall),
            title: format!(
                "{} {days} {}: {}, {} rows, {} read{error}",
                q.kpi,
                q.statement,
                seconds(q.duration_ms),
                group_digits(q.rows),
                bytes_text(q.files_read.iter().map(|f| f.bytes).sum())
            ),
        });
    }
    let several = report.executions.len() > 1;
    Timeline {
        wall: seconds(wall),
        ticks: timing::ticks_ms(wall, 10)
            .into_iter()
            .map(|t| Mark {
                left: pct(t, wall),
                label: format!(
                    "{} s",
                    decimal(t / 1000.0, if wall < 10_000.0 { 1 } else { 0 })
                ),
            })
            .collect(),
        marks: path
            .iter()
            .map(|s| Mark {
                left: pct(s.span.start, wall),
                label: match (several, s.stage) {
                    (true, _) => format!("{}: {}", s.execution + 1, stage_name(s.stage)),
                    (false, Stage::Setup) => "setup".into(),
                    (false, Stage::Level(n)) => format!("L{n}"),
                },
            })
            .collect(),
        lanes,
        before: pct(timing::uncovered(all, wall).before, wall),
    }
}

fn slowest(report: &Report) -> Vec<Slow> {
    let mut slow: Vec<&QueryRecord> = report.queries.iter().filter(|q| is_query(q)).collect();
    slow.sort_by(|a, b| b.duration_ms.total_cmp(&a.duration_ms));
    slow.into_iter()
        .take(SLOWEST)
        .map(|q| Slow {
            kpi: q.kpi.clone(),
            days: q.days.map(|d| d.to_string()).unwrap_or_default(),
            role: q.role.clone(),
            statement: q.statement.clone(),
            duration: seconds(q.duration_ms),
            rows: group_digits(q.rows),
            bytes: bytes_text(q.files_read.iter().map(|f| f.bytes).sum()),
            sql: q.sql.clone(),
        })
        .collect()
}

#[cfg(test)]
#[path = "page_tests.rs"]
mod tests;
