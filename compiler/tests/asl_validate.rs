//! The emitted state machines pass asl-validator (with the Retry/Catch checks of
//! `scripts/validate/asl.js`): the machines of every case of `tests/cases/`, of `pipelines/`,
//! of generated projects of 200 and 280 KPIs, inline and distributed. The SAM templates pass
//! cfn-lint and the offline SAM transform (`scripts/validate/sam.py`). Fails when `.tools` is
//! missing, unless `KPI_ALLOW_SKIP=1` (then it says so).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "asl_support.rs"]
mod support;

use kpi_compiler::asl::{StateMachine, emit_asl};
use kpi_compiler::sam::{emit_sam, emit_sam_for};
use support::{Built, machine, project_dir, repo_root, scratch, small, starter, validate};

/// Writes each definition to its own file and runs asl-validator on each. Returns false when
/// the validators are not installed.
fn validate_machines(machines: &[(String, StateMachine)], dir_name: &str) -> bool {
    let dir = scratch(dir_name);
    for (name, m) in machines {
        let file = dir.join(format!("{name}.asl.json"));
        std::fs::write(&file, m.to_json()).expect("write definition");
        let Some((ok, out)) = validate("asl", &file) else {
            return false;
        };
        assert!(ok, "asl-validator rejected {name}:\n{out}");
        for child in &m.children {
            let file = dir.join(format!("{name}{}.asl.json", child.suffix()));
            std::fs::write(&file, child.to_json()).expect("write child definition");
            let Some((ok, out)) = validate("asl", &file) else {
                return false;
            };
            assert!(
                ok,
                "asl-validator rejected {name}{}:\n{out}",
                child.suffix()
            );
        }
    }
    true
}

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
fn distributed_machine_and_template_validate() {
    let built = support::build(
        &support::project_yaml("America/New_York", 16),
        &[("catalog/lake.yaml", support::CATALOG)],
        &[("many.kpi", &support::many_kpis(40))],
    );
    let (m, _) = machine(&built, 366);
    assert!(m.stats.distributed);
    check(&built, 366, "many-distributed");
}

#[test]
fn starter_project_validates() {
    let built = starter();
    if !check(&built, 366, "starter") {
        return;
    }
    let text = emit_sam(&built.plan, "statemachine.asl.json");
    assert!(text.contains("crawlerName:\n                  - lake-crawler"));
}

#[test]
fn every_case_and_generated_project_validates() {
    let mut machines = Vec::new();
    let mut cases: Vec<_> = std::fs::read_dir(repo_root().join("tests/cases"))
        .expect("cases")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir() && p.file_name().is_some_and(|n| n != "snapshots"))
        .collect();
    cases.sort();
    assert!(cases.len() >= 10, "{} cases", cases.len());
    for case in cases {
        let built = project_dir(&case);
        let (m, d) = emit_asl(&built.plan, &built.sql);
        assert!(d.is_empty(), "{}: {d:?}", case.display());
        machines.push((case.file_name().unwrap().to_string_lossy().to_string(), m));
    }
    for n in [200, 280] {
        let built = support::generated(n);
        // 280 KPIs pass one definition's 1 MB: a parent and its children, each valid.
        let (m, d) = emit_asl(&built.plan, &built.sql);
        assert!(d.is_empty(), "generated-{n}: {d:?}");
        assert_eq!(m.children.is_empty(), n == 200, "generated-{n}");
        machines.push((format!("generated-{n}"), m));
    }
    validate_machines(&machines, "every-machine");
}

/// The harness can fail: a definition with a field ASL does not have is rejected.
#[test]
fn a_broken_definition_is_rejected() {
    let built = small("UTC");
    let (m, _) = emit_asl(&built.plan, &built.sql);
    let broken = m.to_json().replacen(
        "\"ResultPath\": \"$.check\"",
        "\"ResultPathh\": \"$.check\"",
        1,
    );
    assert_ne!(broken, m.to_json());
    let dir = scratch("broken");
    let file = dir.join("statemachine.asl.json");
    std::fs::write(&file, broken).expect("write");
    if let Some((ok, out)) = validate("asl", &file) {
        assert!(!ok, "a misspelt field passed:\n{out}");
    }
}
