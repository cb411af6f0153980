//! Limits of Step Functions and Athena, proven at compile time: the history-event model and
//! the switch to distributed Maps, payload chunking, and a diagnostic for each limit broken.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "asl_support.rs"]
mod support;

use kpi_compiler::asl::{MAX_PAYLOAD_BYTES, emit_asl, history_estimate};
use kpi_compiler::diagnostic::Diagnostic;
use kpi_compiler::sql::{Segment, SqlText, StatementRole};
use std::fmt::Write as _;
use support::{CATALOG, build, machine, many_kpis, project_yaml, small};

fn codes(diagnostics: &[Diagnostic]) -> Vec<&str> {
    let mut codes: Vec<&str> = diagnostics.iter().map(|d| d.code.0).collect();
    codes.dedup();
    codes
}

fn many(n: usize) -> support::Built {
    build(
        &project_yaml("UTC", 20),
        &[("catalog/lake.yaml", CATALOG)],
        &[("many.kpi", &many_kpis(n))],
    )
}

#[test]
fn event_model_for_one_day_of_the_small_project() {
    let built = small("UTC");
    let e = history_estimate(&built.plan, &built.sql, 1);
    // Execution 2 + Prepare, Validate, Finish, Done, final state 2 each = 12.
    // Each phase runs one Map: Plan 2 + Map 4 + More 2 = 8.
    // Item: iteration 2 + Route 2 + its KPI's Pass 2 + 2 per presence Choice on the way (one
    // in Level0, where by_department has no check) + 9 per Task (6 events and one retry of 3).
    // Setup: 3 KPIs × 2 Tasks; Level0: daily_active 4 Tasks, by_department 3; Level1: weekly 3.
    let item = |tasks: u64, choices: u64| 2 + 2 + 2 + 2 * choices + 9 * tasks;
    let expected = 12 + (8 + 3 * item(2, 0)) + (8 + item(4, 1) + item(3, 1)) + (8 + item(3, 0));
    assert_eq!(e.inline, expected);
    assert_eq!(e.inline, 220);
    assert_eq!(e.distributed_child, item(4, 1));
    // Distributed: each Map run is Plan 2 + Map 6 + More 2 in the parent.
    assert_eq!(e.distributed_parent, 12 + 3 * 10);
    // A year is 365 times the per-day items, and as many Map runs as chunks of KPI-days.
    let (m, _) = emit_asl(&built.plan, &built.sql);
    let chunk = |phase: &str| {
        m.stats
            .chunk_sizes
            .iter()
            .find(|(p, _)| p == phase)
            .map(|(_, c)| *c)
            .expect("phase")
    };
    let runs = |cells: u64, phase: &str| cells.div_ceil(chunk(phase));
    assert_eq!(runs(3, "Setup"), 1);
    assert!(runs(2 * 365, "Level0") > 1, "{:?}", m.stats.chunk_sizes);
    let year = history_estimate(&built.plan, &built.sql, 365);
    assert_eq!(
        year.inline,
        12 + (8 + 3 * item(2, 0))
            + (8 * runs(2 * 365, "Level0") + 365 * (item(4, 1) + item(3, 1)))
            + (8 * runs(365, "Level1") + 365 * item(3, 0))
    );
}

#[test]
fn inline_for_a_short_backfill_distributed_for_a_long_one() {
    let built = small("UTC");
    let (week, d) = machine(&built, 7);
    assert!(d.is_empty(), "{d:?}");
    assert!(!week.stats.distributed);
    assert!(week.stats.inline_history_events <= 25_000);
    assert_eq!(
        week.stats.max_history_events,
        week.stats.inline_history_events
    );
    assert!(week.to_json().contains("\"Mode\": \"INLINE\""));
    assert!(!week.to_json().contains("DISTRIBUTED"));

    let (year, d) = machine(&built, 366);
    assert!(d.is_empty(), "{d:?}");
    assert!(year.stats.distributed);
    assert!(year.stats.inline_history_events > 25_000);
    assert!(year.stats.max_history_events <= 25_000);
    let json = year.to_json();
    assert_eq!(json.matches("\"Mode\": \"DISTRIBUTED\"").count(), 3);
    assert_eq!(json.matches("\"ExecutionType\": \"STANDARD\"").count(), 3);
    assert!(!json.contains("INLINE"));

    // Many KPIs over a year: distributed, and the parent stays within the limit.
    let built = many(40);
    let (m, d) = machine(&built, 366);
    assert!(d.is_empty(), "{d:?}");
    assert!(m.stats.distributed);
    assert!(m.stats.inline_history_events > 500_000);
    assert!(m.stats.max_history_events <= 25_000, "{:?}", m.stats);
}

#[test]
fn chunks_keep_every_payload_under_256_kib() {
    for built in [small("UTC"), support::starter(), many(40)] {
        let (m, d) = emit_asl(&built.plan, &built.sql);
        assert!(d.is_empty(), "{d:?}");
        assert!(
            m.stats.max_state_payload_bytes <= MAX_PAYLOAD_BYTES,
            "{:?}",
            m.stats
        );
        for (phase, chunk) in &m.stats.chunk_sizes {
            assert!(*chunk >= 1, "{phase}");
            let plan = m.to_json();
            assert!(plan.contains(&format!("$phase := \\\"{phase}\\\"; $size := {chunk};")));
        }
    }
}

#[test]
fn a_project_of_many_kpis_is_too_large_for_one_definition() {
    // Each KPI costs the definition little more than its SQL (the Task states are shared):
    // 200 realistic KPIs fit (`asl_scale.rs`), 280 do not.
    let built = support::generated(280);
    let (m, d) = emit_asl(&built.plan, &built.sql);
    assert_eq!(codes(&d), ["E0702"], "{d:?}");
    assert!(m.stats.substituted_definition_chars > 1_048_576);
    assert!(d[0].message.contains("1048576"), "{}", d[0].message);
    assert!(d[0].help.as_deref().is_some_and(|h| h.contains("Split")));
    // The starter project is far below it.
    let starter = support::starter();
    let (m, _) = emit_asl(&starter.plan, &starter.sql);
    assert!(
        m.stats.substituted_definition_chars < 400_000,
        "{:?}",
        m.stats
    );
}

#[test]
fn a_backfill_too_long_for_the_state_is_refused() {
    let built = small("UTC");
    // 100,000 days: the days list and the failure bitmaps alone pass 256 KiB.
    let (_, d) = machine(&built, 100_000);
    assert!(codes(&d).contains(&"E0704"), "{d:?}");
    assert!(d.iter().any(|d| d.message.contains("262144")));
}

#[test]
fn too_many_map_runs_for_the_parent_history() {
    let built = many(400);
    let (m, d) = emit_asl(&built.plan, &built.sql);
    assert!(codes(&d).contains(&"E0705"), "{d:?}");
    assert!(m.stats.max_history_events > 25_000);
}

#[test]
fn unknown_time_zone() {
    let built = small("Europe/Atlantis");
    let (_, d) = emit_asl(&built.plan, &built.sql);
    assert_eq!(codes(&d), ["E0706"]);
    assert!(d[0].message.contains("Europe/Atlantis"));
}

#[test]
fn state_name_over_80_characters() {
    // `<kpi>.Day` fits in 80 characters, `<kpi>.Setup` does not.
    let name = format!("k_{}", "x".repeat(73));
    let kpi = format!(
        "kpi {name} {{\n  from events e\n  group by e.company_id\n  measure n = count(*)\n}}\n"
    );
    let built = build(
        &project_yaml("UTC", 4),
        &[("catalog/lake.yaml", CATALOG)],
        &[("long.kpi", &kpi)],
    );
    let (_, d) = emit_asl(&built.plan, &built.sql);
    assert_eq!(codes(&d), ["E0707"], "{d:?}");
    let long = format!("{name}.Setup");
    assert_eq!(d.len(), 1, "{d:?}");
    assert!(
        d[0].message
            .contains(&format!("`{long}` has 81 characters")),
        "{d:?}"
    );
}

#[test]
fn query_over_athena_limit() {
    let mut list = String::new();
    for i in 0..30_000 {
        let _ = write!(list, "{}'kind_{i}'", if i == 0 { "" } else { ", " });
    }
    let kpi = format!(
        "kpi huge {{\n  from events e\n  where e.kind in ({list})\n  group by e.company_id\n  measure n = count(*)\n}}\n"
    );
    let built = build(
        &project_yaml("UTC", 4),
        &[("catalog/lake.yaml", CATALOG)],
        &[("huge.kpi", &kpi)],
    );
    let (_, d) = emit_asl(&built.plan, &built.sql);
    assert!(codes(&d).contains(&"E0701"), "{d:?}");
    assert!(d.iter().any(|d| d.message.contains("`huge.03_write`")));
}

#[test]
fn a_write_of_more_than_one_day_cannot_be_proven() {
    let mut built = small("UTC");
    for kpi in &mut built.sql.kpis {
        for s in &mut kpi.statements {
            if s.role == StatementRole::Write && kpi.kpi == "weekly" {
                // As if the write took its `dt` from the data instead of the day.
                let text = s
                    .athena
                    .display()
                    .replace("'{day}' AS \"dt\"", "e.dt AS \"dt\"");
                s.athena = SqlText {
                    segments: vec![Segment::Text(text)],
                };
            }
        }
    }
    let (_, d) = emit_asl(&built.plan, &built.sql);
    assert_eq!(codes(&d), ["E0703"], "{d:?}");
    assert!(d[0].message.contains("weekly.03_write"));
}
