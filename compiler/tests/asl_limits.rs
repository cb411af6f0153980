//! Limits of Step Functions, Athena and Glue, proven at compile time: the history-event model
//! and the switch to distributed Maps, payload batching, and a diagnostic for each limit broken.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "asl_support.rs"]
mod support;

use kpi_compiler::asl::{MAX_PAYLOAD_BYTES, emit_asl, events, history_estimate, input_sources};
use kpi_compiler::diagnostic::Diagnostic;
use kpi_contract::manifest::Role;
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
fn event_model_for_the_small_project() {
    let built = small("UTC");
    // Execution 2 + Prepare, Validate, Finish, Done, final state 2 each = 12; each phase's
    // Map run is Plan 2 + Map 4 + More 2 = 8.
    assert_eq!(events::OUTER, 12);
    assert_eq!(events::batch(false), 8);
    // Setup item: iteration 2 + Route 2 + Pass 2 + 2 Tasks of 6 events and a retry of 3.
    assert_eq!(events::setup_item(2, 0), 24);
    // Inputs block: iteration 2 + Get 9 + Again 2, twice asked, + Done 2.
    assert_eq!(events::INPUTS_ITEM, 26);
    // Level item: iteration 2 + Route, Chunk, AnyPassed, Outcome 2 each + write, check,
    // Verdict, GetTable 9 each + per Glue call 9 and the Publish Choice 2, for a create and an
    // update. A chunk of a hundred days may take two calls each way: the estimate allows
    // 2 KiB of StorageDescriptor per partition.
    assert_eq!(events::level_item(1), 68);
    assert_eq!(events::level_item(2), 90);
    // Two sources read by day (events, members), one block each for one day.
    let sources = input_sources(&built.plan);
    assert_eq!(sources.len(), 2);
    let one = history_estimate(&built.plan, &built.sql, 1);
    let setup = 8 + 3 * 24;
    let inputs = 8 + 2 * 26;
    let level0 = 8 + 2 * 68;
    let level1 = 8 + 68;
    assert_eq!(one.inline, 12 + setup + inputs + level0 + level1);
    assert_eq!(one.inline, 372);
    assert_eq!(one.distributed_child, 68);
    assert_eq!(one.distributed_parent, 12 + 4 * 10);
    // A year: four chunks per KPI, and as many blocks as the events' reach needs.
    let year = history_estimate(&built.plan, &built.sql, 366);
    let blocks: u64 = sources
        .iter()
        .map(|s| {
            let lead = s.reads.iter().map(|r| r.lead).max().unwrap_or(0);
            (366 + u64::from(lead)).div_ceil(s.block)
        })
        .sum();
    assert_eq!(
        year.inline,
        12 + setup + (8 + blocks * 26) + (8 + 2 * 4 * 90) + (8 + 4 * 90)
    );
    // The longest execution accepted: 366 days in 4 runs, up to 7 chunks per KPI.
    let (m, _) = emit_asl(&built.plan, &built.sql);
    assert_eq!(m.stats.max_runs, 4);
    assert_eq!(
        m.stats.inline_history_events,
        12 + setup + (8 + blocks * 26) + (8 + 2 * 7 * 90) + (8 + 7 * 90)
    );
}

#[test]
fn inline_for_a_few_kpis_distributed_for_many() {
    let built = small("Europe/Paris");
    let (year, d) = machine(&built, 366);
    assert!(d.is_empty(), "{d:?}");
    assert!(!year.stats.distributed);
    assert_eq!(
        year.stats.max_history_events,
        year.stats.inline_history_events
    );
    assert!(year.to_json().contains("\"Mode\": \"INLINE\""));
    assert!(!year.to_json().contains("DISTRIBUTED"));

    let built = many(40);
    let (m, d) = machine(&built, 366);
    assert!(d.is_empty(), "{d:?}");
    assert!(m.stats.distributed);
    assert!(m.stats.inline_history_events > 25_000);
    assert!(m.stats.max_history_events <= 25_000, "{:?}", m.stats);
    let json = m.to_json();
    // Setup, Inputs and two levels, each a distributed Map of STANDARD child executions.
    assert_eq!(json.matches("\"Mode\": \"DISTRIBUTED\"").count(), 4);
    assert_eq!(json.matches("\"ExecutionType\": \"STANDARD\"").count(), 4);
    assert!(!json.contains("INLINE"));
    // A shorter backfill of the same project stays inline.
    let (week, _) = machine(&built, 7);
    assert!(!week.stats.distributed, "{:?}", week.stats);
}

#[test]
fn batches_keep_every_payload_under_256_kib() {
    for built in [small("UTC"), support::starter(), many(40)] {
        let (m, d) = emit_asl(&built.plan, &built.sql);
        assert!(d.is_empty(), "{d:?}");
        assert!(
            m.stats.max_state_payload_bytes <= MAX_PAYLOAD_BYTES,
            "{:?}",
            m.stats
        );
        let json = m.to_json();
        for (phase, batch) in &m.stats.batch_sizes {
            assert!(*batch >= 1, "{phase}");
            assert!(json.contains(&format!(", {batch})")), "{phase} {batch}");
        }
    }
}

/// Every Task state of a definition, Map processors included.
fn collect_tasks<'a>(value: &'a serde_json::Value, out: &mut Vec<&'a serde_json::Value>) {
    match value {
        serde_json::Value::Object(map) => {
            if map.get("Type").is_some_and(|t| t == "Task") {
                out.push(value);
            }
            for v in map.values() {
                collect_tasks(v, out);
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_tasks(v, out)),
        _ => {}
    }
}

#[test]
fn a_project_too_large_for_one_definition_is_split_into_children() {
    // 280 realistic KPIs pass 1 MB in one definition: the machine becomes a parent and a
    // child per group of KPIs, each definition within the limit, and nothing is refused.
    let built = support::generated(280);
    let (m, d) = emit_asl(&built.plan, &built.sql);
    assert_eq!(codes(&d), Vec::<&str>::new(), "{d:?}");
    assert!(m.children.len() >= 2, "{:?}", m.stats);
    assert!(
        m.stats.substituted_definition_chars <= 1_048_576,
        "{:?}",
        m.stats
    );
    assert!(
        m.stats.largest_child_definition_chars <= 1_048_576,
        "{:?}",
        m.stats
    );
    assert!(m.stats.largest_child_definition_chars > 0);
    // Every start of a child retries the execution limit and throttling, and its catcher
    // follows: one retrier per group Task of each phase.
    let parent: serde_json::Value = serde_json::from_str(&m.to_json()).unwrap();
    let mut starts = Vec::new();
    collect_tasks(&parent, &mut starts);
    let starts: Vec<&serde_json::Value> = starts
        .into_iter()
        .filter(|t| t["Resource"] == "arn:aws:states:::states:startExecution.sync:2")
        .collect();
    assert!(starts.len() >= m.children.len(), "{} starts", starts.len());
    for task in starts {
        let retry = &task["Retry"][0];
        assert!(
            retry["ErrorEquals"]
                .as_array()
                .unwrap()
                .contains(&"StepFunctions.ExecutionLimitExceeded".into()),
            "{task}"
        );
        assert_eq!(retry["JitterStrategy"], "FULL", "{task}");
        assert!(task["Catch"].as_array().is_some_and(|c| !c.is_empty()));
    }
    // Every KPI's Athena states are in exactly one child.
    let bindings = kpi_compiler::asl::task_bindings(&m);
    for kpi in &built.plan.kpis {
        assert!(
            bindings.iter().any(|b| b.kpis.contains(&kpi.name)),
            "{} has no state",
            kpi.name
        );
    }
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
    // One day per chunk, 500 days and 225 KPIs (a definition that still fits): over 100,000
    // items, in more Map runs than a parent's history holds.
    let mut built = many(180);
    built.plan.settings.chunk_days = 1;
    built.plan.settings.max_backfill_days = 500;
    let (m, d) = emit_asl(&built.plan, &built.sql);
    assert_eq!(codes(&d), ["E0705"], "{d:?}");
    assert!(m.stats.max_history_events > 25_000);
    assert!(
        d[0].message.contains("500 days in 500 runs"),
        "{}",
        d[0].message
    );
}

#[test]
fn a_chunk_longer_than_athena_writes_is_refused() {
    let mut built = small("UTC");
    built.plan.settings.chunk_days = 101;
    let (_, d) = emit_asl(&built.plan, &built.sql);
    assert_eq!(codes(&d)[0], "E0703", "{d:?}");
    assert!(d[0].message.contains("101 partitions"), "{}", d[0].message);
    assert!(
        d[0].help
            .as_deref()
            .is_some_and(|h| h.contains("from 1 to 100"))
    );
}

#[test]
fn a_kpi_without_its_check_is_an_internal_error() {
    let mut built = small("UTC");
    let kpi = built
        .sql
        .kpis
        .iter_mut()
        .find(|k| k.kpi == "weekly")
        .unwrap();
    kpi.statements.retain(|s| s.role != Role::Check);
    let (_, d) = emit_asl(&built.plan, &built.sql);
    assert_eq!(codes(&d), ["E0708"], "{d:?}");
    assert!(
        d[0].message
            .starts_with("internal error: KPI `weekly` has 0 check statements")
    );
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
    // `<kpi>.Setup` and `<kpi>.Chunk` have 81 characters.
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
    let messages: Vec<&str> = d.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(messages.len(), 2, "{messages:?}");
    for suffix in ["Setup", "Chunk"] {
        assert!(
            messages
                .iter()
                .any(|m| m.contains(&format!("`{name}.{suffix}` has 81 characters"))),
            "{messages:?}"
        );
    }
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
