use super::*;
use crate::report::{ExecutionReport, KpiReport};
use crate::tasks::QueryRecord;

fn record(kpi: &str, role: &str, start_ms: f64, duration_ms: f64) -> QueryRecord {
    QueryRecord {
        id: String::new(),
        kpi: kpi.into(),
        days: None,
        statement: format!("{role} statement"),
        role: role.into(),
        start_ms,
        duration_ms,
        rows: 1_234,
        files_read: Vec::new(),
        file_bytes: 0,
        error: None,
        sql: (role == "write").then(|| format!("SELECT 1 < 2 -- {kpi}")),
    }
}

fn kpi(name: &str, level: usize, seconds: f64) -> KpiReport {
    KpiReport {
        kpi: name.into(),
        level,
        days: 1_500,
        succeeded: 1_500,
        rows: 1_234_567,
        seconds,
        bytes_read: 12_345_678,
        ..KpiReport::default()
    }
}

/// One execution, 1 s of wall time; the services' clock starts 100 ms into the run. On the
/// run's clock: setup 100..120; level 0 (a, b) 130..530, b's publish ending it; level 1 (c)
/// 550..910.
fn report() -> Report {
    Report {
        project: "p<x>".into(),
        lake: "/lake".into(),
        seconds: 1.0,
        kpi_days: 4_500,
        up_to_date: 0,
        removed_attempts: 0,
        waiting: Vec::new(),
        damaged: Vec::new(),
        kpis: vec![kpi("a", 0, 0.35), kpi("b", 0, 0.27), kpi("c", 1, 0.35)],
        failures: Vec::new(),
        sources: Vec::new(),
        executions: vec![ExecutionReport {
            name: "e".into(),
            input: serde_json::Value::Null,
            status: "SUCCEEDED".into(),
            error: None,
            cause: None,
            start_ms: 105.0,
            duration_ms: 810.0,
        }],
        queries: vec![
            record("a", "setup", 0.0, 10.0),
            record("b", "setup", 0.0, 20.0),
            record("a", "write", 30.0, 300.0),
            record("b", "write", 30.0, 200.0),
            record("b", "check", 330.0, 50.0),
            record("a", "check", 330.0, 40.0),
            record("a", "publish", 380.0, 20.0),
            record("b", "publish", 400.0, 30.0),
            record("c", "write", 450.0, 250.0),
            record("c", "check", 700.0, 100.0),
            record("c", "publish", 800.0, 10.0),
        ],
        queries_started_ms: 100.0,
    }
}

fn value<'a>(page: &'a Page, id: &str) -> &'a str {
    page.facts
        .iter()
        .find(|f| f.id == id)
        .map(|f| f.value.as_str())
        .or_else(|| {
            page.parts
                .iter()
                .find(|p| p.id == id)
                .map(|p| p.value.as_str())
        })
        .unwrap_or_else(|| panic!("no fact {id}"))
}

#[test]
fn the_wall_time_is_explained_part_by_part() {
    let page = build(&report());
    assert_eq!(value(&page, "wall"), "1.00 s");
    // Queries (not catalog writes): 10 + 20 + 300 + 200 + 50 + 40 + 250 + 100 ms.
    assert_eq!(value(&page, "query-time"), "0.97 s");
    // Queries cover 100..120, 130..480, 550..900: 720 ms; the rest is 280 ms.
    assert_eq!(value(&page, "outside"), "0.28 s");
    assert_eq!(value(&page, "part-before"), "0.10 s");
    assert_eq!(value(&page, "part-queries"), "0.72 s");
    // 480..530 and 900..910: only a publish running.
    assert_eq!(value(&page, "part-catalog"), "0.06 s");
    // 120..130 and 530..550: nothing running.
    assert_eq!(value(&page, "part-machine"), "0.03 s");
    assert_eq!(value(&page, "part-after"), "0.09 s");
    assert_eq!(value(&page, "kpi-days"), "4,500");
    assert_eq!(value(&page, "bytes"), "37.0 MB");
}

#[test]
fn each_level_shows_its_span_and_the_kpi_that_ends_it() {
    let page = build(&report());
    let path: Vec<(&str, &str, &str, &str)> = page
        .path
        .iter()
        .map(|s| {
            (
                s.stage.as_str(),
                s.span.as_str(),
                s.longest.as_str(),
                s.share.as_str(),
            )
        })
        .collect();
    assert_eq!(
        path,
        vec![
            ("setup", "0.02 s", "b", "2.6 %"),
            ("level 0", "0.40 s", "b", "51.3 %"),
            ("level 1", "0.36 s", "c", "46.2 %"),
        ]
    );
    assert_eq!(value(&page, "critical"), "0.78 s");
    let rows: Vec<(&str, &str, &str)> = page
        .levels
        .iter()
        .flat_map(|l| &l.kpis)
        .map(|k| (k.kpi.as_str(), k.critical.as_str(), k.share.as_str()))
        .collect();
    assert_eq!(
        rows,
        vec![
            ("a", "0.00 s", "0.0 %"),
            ("b", "0.42 s", "53.8 %"),
            ("c", "0.36 s", "46.2 %")
        ]
    );
    assert_eq!(
        page.levels[0].note,
        "2 KPI(s), 3,000 KPI-days; span 0.40 s; ended last by b"
    );
    assert_eq!(page.roles, ["setup", "write", "check", "publish"]);
    assert_eq!(
        page.levels[0].kpis[0].phases,
        ["0.01 s", "0.30 s", "0.04 s", "0.02 s"]
    );
    assert_eq!(page.total.phases, ["0.03 s", "0.75 s", "0.19 s", "0.06 s"]);
    assert_eq!(page.levels[0].kpis[0].rows, "1,234,567");
    assert_eq!(page.levels[0].kpis[0].bytes_exact, "12,345,678 B");
}

#[test]
fn the_timeline_has_a_lane_per_worker_and_an_axis_in_seconds() {
    let page = build(&report());
    let bars: Vec<usize> = page.timeline.lanes.iter().map(|l| l.bars.len()).collect();
    // Two setups side by side, then the writes and checks of a and b two at a time.
    assert_eq!(bars, vec![8, 3]);
    let ticks: Vec<(&str, &str)> = page
        .timeline
        .ticks
        .iter()
        .map(|t| (t.left.as_str(), t.label.as_str()))
        .collect();
    assert_eq!(ticks.first(), Some(&("0.000%", "0.0 s")));
    assert_eq!(ticks.last(), Some(&("100.000%", "1.0 s")));
    assert_eq!(ticks.len(), 11);
    let marks: Vec<&str> = page
        .timeline
        .marks
        .iter()
        .map(|m| m.label.as_str())
        .collect();
    assert_eq!(marks, ["setup", "L0", "L1"]);
    assert_eq!(page.timeline.marks[1].left, "13.000%");
    assert_eq!(page.timeline.before, "10.000%");
}

#[test]
fn the_page_escapes_text_and_keeps_the_sql_one_click_away() {
    let html = render(&report());
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    assert!(html.contains("kpi run: p&lt;x&gt;"));
    assert!(!html.contains("p<x>"));
    assert!(
        html.contains("<details><summary>SQL</summary><pre>SELECT 1 &lt; 2 -- a</pre></details>")
    );
    assert!(html.contains("id=\"part-machine\">0.03 s</b>"));
    assert_eq!(html.matches("class=\"bar ").count(), 11);
    // The slowest first: a's write (300 ms), then b's, then c's.
    let first = html.find("<td>a</td><td></td><td>write</td>").unwrap();
    let second = html.find("<td>c</td><td></td><td>write</td>").unwrap();
    assert!(first < second);
}
