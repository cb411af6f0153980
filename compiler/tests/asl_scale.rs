//! Generated projects of 200 and 280 realistic KPIs (windows, left joins, filters, checks, a
//! second level) and the starter project, each with a year-long backfill: history events,
//! payloads and definition size against Step Functions' limits. The Task states are shared,
//! so each KPI costs the definition little more than its SQL; 200 KPIs fit in one definition,
//! 280 pass 1 MB and are split into a parent and children (`asl_limits.rs`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "asl_support.rs"]
mod support;

use kpi_compiler::asl::{
    MAX_DEFINITION_CHARS, MAX_HISTORY_EVENTS, MAX_PAYLOAD_BYTES, MachineStats, emit_asl,
    task_bindings,
};
use support::{generated, scratch, starter, validate};

fn report(name: &str, s: &MachineStats) {
    println!(
        "{name}: {} states; definition {} characters substituted ({} bytes pretty, {} compact); \
         history {} events ({}; inline would be {}); largest payload {} bytes; items {:?}; batches {:?}",
        s.states,
        s.substituted_definition_chars,
        s.definition_bytes,
        s.compact_definition_bytes,
        s.max_history_events,
        if s.distributed {
            "distributed"
        } else {
            "inline"
        },
        s.inline_history_events,
        s.max_state_payload_bytes,
        s.items,
        s.batch_sizes,
    );
}

#[test]
fn two_hundred_kpis_build_within_every_limit_for_a_year() {
    let built = generated(200);
    assert_eq!(built.plan.kpis.len(), 200);
    assert_eq!(built.plan.levels(), 2);
    assert!(built.plan.kpis.iter().any(|k| k.reads.len() == 2));
    let (m, d) = emit_asl(&built.plan, &built.sql);
    report("200 KPIs", &m.stats);
    assert!(d.is_empty(), "{d:?}");
    let s = &m.stats;
    assert_eq!(
        (s.max_backfill_days, s.chunk_days, s.max_runs),
        (366, 100, 4)
    );
    assert!(
        s.substituted_definition_chars <= MAX_DEFINITION_CHARS,
        "{s:?}"
    );
    assert!(s.max_history_events <= MAX_HISTORY_EVENTS, "{s:?}");
    assert!(s.max_state_payload_bytes <= MAX_PAYLOAD_BYTES, "{s:?}");
    // 200 KPIs × 7 chunks at most (4 runs of a 366-day span): past 25,000 events inline.
    assert!(s.distributed);
    assert!(s.inline_history_events > MAX_HISTORY_EVENTS);
    let level_items: u64 = s
        .items
        .iter()
        .filter(|(p, _)| p.starts_with("Level"))
        .map(|(_, n)| n)
        .sum();
    assert_eq!(level_items, 200 * 7);
    // Shared Task states: Setup's two, and a write and a check per level.
    let bindings = task_bindings(&m);
    assert_eq!(bindings.len(), 2 + 2 * 2);
    let runs: usize = bindings.iter().map(|b| b.kpis.len()).sum();
    let statements: usize = built.sql.kpis.iter().map(|k| k.statements.len()).sum();
    assert_eq!(runs, statements);

    let dir = scratch("generated-200");
    let file = dir.join("statemachine.asl.json");
    std::fs::write(&file, m.to_json()).expect("write");
    if let Some((ok, out)) = validate("asl", &file) {
        assert!(ok, "asl-validator rejected 200 KPIs:\n{out}");
    }
}

#[test]
fn definition_sizes_grow_with_the_kpis() {
    let (m, d) = emit_asl(&starter().plan, &starter().sql);
    assert!(d.is_empty(), "{d:?}");
    report("pipelines (16 KPIs)", &m.stats);
    for s in kpi_compiler::asl::input_sources(&starter().plan) {
        println!(
            "  source {}: {} partitions per BatchGetPartition, {} readers",
            s.name,
            s.block,
            s.reads.len()
        );
        assert!(s.block >= 1 && s.block <= 1000);
    }
    for days in [1, 366] {
        let e = kpi_compiler::asl::history_estimate(&starter().plan, &starter().sql, days);
        println!("  {days} consecutive days: {e:?}");
    }
    assert!(!m.stats.distributed);
    let mut last = m.stats.substituted_definition_chars;
    for n in [50, 200] {
        let built = generated(n);
        let (m, _) = emit_asl(&built.plan, &built.sql);
        report(&format!("{n} KPIs"), &m.stats);
        assert!(m.children.is_empty());
        assert!(m.stats.substituted_definition_chars > last);
        last = m.stats.substituted_definition_chars;
    }
    // Past 1 MB the KPIs move into children: the parent shrinks, no child passes the limit.
    let built = generated(280);
    let (m, _) = emit_asl(&built.plan, &built.sql);
    report("280 KPIs", &m.stats);
    assert!(!m.children.is_empty());
    assert!(m.stats.substituted_definition_chars < last);
    assert!(m.stats.largest_child_definition_chars <= MAX_DEFINITION_CHARS);
}
