//! The emitted state machines pass asl-validator (with the Retry/Catch checks of
//! `scripts/validate/asl.js`) and the SAM templates pass cfn-lint and the offline SAM
//! transform (`scripts/validate/sam.py`). Fails when `.tools` is missing, unless
//! `KPI_ALLOW_SKIP=1` (then it says so).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "asl_support.rs"]
mod support;

use kpi_compiler::asl::emit_asl;
use kpi_compiler::sam::{emit_sam, emit_sam_for};
use support::{Built, machine, scratch, small, starter, validate};

/// Writes the definition and the template side by side, as `kpi build` does, and runs both
/// validators. Returns false only when a validator is missing and skipping was asked for.
fn check(built: &Built, max_days: u32, name: &str) -> bool {
    let (m, diagnostics) = machine(built, max_days);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    let dir = scratch(name);
    let definition = dir.join("statemachine.asl.json");
    let template = dir.join("template.yaml");
    std::fs::write(&definition, m.to_json()).expect("write definition");
    std::fs::write(
        &template,
        emit_sam_for(&built.plan, "statemachine.asl.json", m.stats()),
    )
    .expect("write template");
    let Some((ok, out)) = validate("asl", &definition) else {
        return false;
    };
    assert!(ok, "asl-validator rejected {name}:\n{out}");
    let Some((ok, out)) = validate("sam", &template) else {
        return false;
    };
    assert!(ok, "the SAM checks rejected {name}:\n{out}");
    true
}

#[test]
fn small_inline_machine_and_template_validate() {
    let built = small("Europe/Paris");
    let (m, _) = machine(&built, 7);
    assert!(!m.stats.distributed);
    check(&built, 7, "small-inline");
}

#[test]
fn small_distributed_machine_and_template_validate() {
    let built = small("UTC");
    let (m, _) = machine(&built, 366);
    assert!(m.stats.distributed);
    check(&built, 366, "small-distributed");
}

#[test]
fn starter_project_validates() {
    let built = starter();
    if !check(&built, 366, "starter") {
        return;
    }
    // emit_sam works the Map mode out itself: distributed, so the role may start children.
    let text = emit_sam(&built.plan, "statemachine.asl.json");
    assert!(text.contains("states:StartExecution"));
    assert!(text.contains("crawlerName:\n                  - lake-crawler"));
}

#[test]
fn many_kpis_validate() {
    let built = support::build(
        &support::project_yaml("America/New_York", 16),
        &[("catalog/lake.yaml", support::CATALOG)],
        &[("many.kpi", &support::many_kpis(40))],
    );
    check(&built, 366, "many");
}

/// The harness can fail: a definition with a field ASL does not have is rejected.
#[test]
fn a_broken_definition_is_rejected() {
    let built = small("UTC");
    let (m, _) = emit_asl(&built.plan, &built.sql);
    let broken = m.to_json().replacen(
        "\"ResultPath\": \"$.query\"",
        "\"ResultPathh\": \"$.query\"",
        1,
    );
    let dir = scratch("broken");
    let file = dir.join("statemachine.asl.json");
    std::fs::write(&file, broken).expect("write");
    if let Some((ok, out)) = validate("asl", &file) {
        assert!(!ok, "a misspelt field passed:\n{out}");
    }
}
