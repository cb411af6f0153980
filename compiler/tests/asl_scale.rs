//! A generated project of 200 realistic KPIs (windows, left joins, filters, checks, a second
//! level) builds within every limit with a year-long backfill: its Task states are shared,
//! so each KPI costs the definition little more than its SQL. (Many more still pass 1 MB and
//! are refused: `asl_limits.rs`.)

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "asl_support.rs"]
mod support;

use kpi_compiler::asl::{
    DEFAULT_MAX_BACKFILL_DAYS, MAX_DEFINITION_CHARS, MAX_HISTORY_EVENTS, MAX_PAYLOAD_BYTES,
    task_bindings,
};
use support::{generated, generated_catalog, generated_kpis, generated_yaml, scratch, validate};

#[test]
fn two_hundred_kpis_build_within_every_limit_for_a_year() {
    let kpis = generated_kpis(200);
    let (artifacts, diagnostics) = support::full_build(
        &generated_yaml(),
        &[("catalog/lake.yaml", &generated_catalog())],
        &[("generated.kpi", &kpis)],
    );
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    assert_eq!(artifacts.plan.kpis.len(), 200);
    assert_eq!(artifacts.plan.levels(), 2);
    assert!(artifacts.plan.kpis.iter().any(|k| k.reads.len() == 2));

    let built = generated(200);
    let (m, d) = kpi_compiler::asl::emit_asl(&built.plan, &built.sql);
    assert!(d.is_empty(), "{d:?}");
    let s = &m.stats;
    println!("200 KPIs: {s:#?}");
    assert_eq!(s.max_backfill_days, DEFAULT_MAX_BACKFILL_DAYS);
    assert_eq!(DEFAULT_MAX_BACKFILL_DAYS, 366);
    assert!(
        s.substituted_definition_chars <= MAX_DEFINITION_CHARS,
        "{s:?}"
    );
    assert!(s.max_history_events <= MAX_HISTORY_EVENTS, "{s:?}");
    assert!(s.max_state_payload_bytes <= MAX_PAYLOAD_BYTES, "{s:?}");
    assert!(s.distributed);
    // What `kpi build` wrote (its check labels make the SQL a little longer) fits too: the
    // build gave no E0702. The manifest binds its shared Task states.
    assert!(artifacts.files["statemachine.asl.json"].chars().count() < MAX_DEFINITION_CHARS);
    let manifest: serde_json::Value =
        serde_json::from_str(&artifacts.files["manifest.json"]).expect("manifest");
    let states = manifest["states"].as_array().expect("states");
    assert_eq!(states.len(), task_bindings(&m).len());
    assert_eq!(states.len(), 2 + 4 + 3);
    let runs: usize = states
        .iter()
        .map(|s| s["kpis"].as_array().expect("kpis").len())
        .sum();
    let statements: usize = built.sql.kpis.iter().map(|k| k.statements.len()).sum();
    assert_eq!(runs, statements);
    assert!(states.iter().all(|s| s["kpi_path"] == "$.kpi"));

    let dir = scratch("generated-200");
    let file = dir.join("statemachine.asl.json");
    std::fs::write(&file, m.to_json()).expect("write");
    if let Some((ok, out)) = validate("asl", &file) {
        assert!(ok, "asl-validator rejected 200 KPIs:\n{out}");
    }
}

#[test]
fn definition_sizes() {
    let starter = support::starter();
    let (m, d) = kpi_compiler::asl::emit_asl(&starter.plan, &starter.sql);
    assert!(d.is_empty(), "{d:?}");
    println!(
        "pipelines ({} KPIs): {} characters",
        starter.plan.kpis.len(),
        m.stats.substituted_definition_chars
    );
    let mut last = 0;
    for n in [50, 200] {
        let (m, d) = kpi_compiler::asl::emit_asl(&generated(n).plan, &generated(n).sql);
        assert!(d.is_empty(), "{d:?}");
        println!(
            "{n} KPIs: {} characters ({} bytes pretty, {} compact), {} states",
            m.stats.substituted_definition_chars,
            m.stats.definition_bytes,
            m.stats.compact_definition_bytes,
            m.stats.states
        );
        assert!(m.stats.substituted_definition_chars > last);
        last = m.stats.substituted_definition_chars;
    }
}
