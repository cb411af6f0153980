//! The artifacts of `kpi build`, judged by independent validators: every Athena statement by
//! Trino's own grammar (DML) and sqlglot's Athena dialect (DDL and DML); every state machine by
//! asl-validator; every template by cfn-lint, the SAM transform and an IAM policy checker
//! (parliament). The validators are installed by `scripts/setup-validators`; a missing one
//! fails the test (`tests/support/tools.rs`), unless `KPI_ALLOW_SKIP=1`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
#[path = "support/tools.rs"]
mod tools;

use common::{project_from, root, run_in};
use std::path::{Path, PathBuf};
use std::process::Command;
use tools::{Missing, Tool, Verdict, verdict};

fn validate(tool: &str, files: &[PathBuf]) {
    let test = format!("validator {tool}");
    if !tools::require(&test, tools::for_validator(tool)) {
        return;
    }
    let run = root().join("scripts/validate/run");
    let out = Command::new(run).arg(tool).args(files).output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.status.code() == Some(3) && !tools::validator_failed_to_start(&test, tool, &text) {
        return;
    }
    assert!(
        out.status.success(),
        "{tool} rejected generated output:\n{text}"
    );
}

/// The Step Functions integrations a generated state machine may use.
const KNOWN_RESOURCES: &[&str] = &kpi_contract::aws::RESOURCES;

fn resources(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            if map.get("Type").and_then(|t| t.as_str()) == Some("Task") {
                out.push(
                    map.get("Resource")
                        .and_then(|r| r.as_str())
                        .unwrap_or("<none>")
                        .to_string(),
                );
            }
            map.values().for_each(|v| resources(v, out));
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| resources(v, out)),
        _ => {}
    }
}

/// Builds a project and renders every Athena statement of its manifest for a sample day.
fn rendered_statements(project: &Path, scratch: &Path) -> Vec<PathBuf> {
    let out = scratch.join("build");
    let build = run_in(project, &["build", "--out", out.to_str().unwrap()]);
    assert_eq!(build.code, 0, "{}", build.stderr);
    let manifest =
        kpi_contract::Manifest::parse(&std::fs::read_to_string(out.join("manifest.json")).unwrap())
            .unwrap();
    let attempt = kpi_contract::sql::Attempt::new("exec-0f3a_7").unwrap();
    let days = kpi_contract::DayRange::new(
        kpi_contract::Day::parse("2024-01-02").unwrap(),
        kpi_contract::Day::parse("2024-04-10").unwrap(),
    )
    .unwrap();
    let mut files = Vec::new();
    for kpi in &manifest.kpis {
        for statement in &kpi.statements {
            // What the state machine sends: Athena's text never holds the local lake.
            assert!(
                !statement
                    .athena
                    .params()
                    .contains(&kpi_contract::Param::Lake),
                "{} {}",
                kpi.name,
                statement.name
            );
            let sql = statement.athena.render(&kpi_contract::sql::Values {
                days,
                attempt: &attempt,
                lake: None,
            });
            let path = scratch.join(format!("{}.{}.sql", kpi.name, statement.name));
            std::fs::write(&path, sql).unwrap();
            files.push(path);
        }
    }
    files
}

#[test]
fn athena_statements_parse_with_trino_and_sqlglot() {
    let scratch = tempfile::tempdir().unwrap();
    let mut files = rendered_statements(&root().join("pipelines"), scratch.path());
    for case in common::corpus("tests/cases") {
        let project = project_from(&case);
        let dir = scratch.path().join(common::case_name(&case));
        std::fs::create_dir_all(&dir).unwrap();
        files.extend(rendered_statements(project.path(), &dir));
    }
    assert!(files.len() >= 60, "{} statements", files.len());
    validate("sql-athena-any", &files);
}

#[test]
fn state_machines_and_templates_pass_asl_validator_cfn_lint_and_the_sam_transform() {
    let scratch = tempfile::tempdir().unwrap();
    let mut projects = vec![("pipelines".to_string(), root().join("pipelines"))];
    let mut keep = Vec::new();
    for case in common::corpus("tests/cases") {
        let project = project_from(&case);
        projects.push((common::case_name(&case), project.path().to_path_buf()));
        keep.push(project);
    }
    let (mut machines, mut templates) = (Vec::new(), Vec::new());
    for (name, project) in &projects {
        let out = scratch.path().join(name);
        let build = run_in(project, &["build", "--out", out.to_str().unwrap()]);
        assert_eq!(build.code, 0, "{name}: {}", build.stderr);
        let machine: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(out.join("statemachine.asl.json")).unwrap(),
        )
        .unwrap();
        let mut found = Vec::new();
        resources(&machine, &mut found);
        assert!(!found.is_empty(), "{name}: no Task state");
        for r in &found {
            assert!(
                KNOWN_RESOURCES.contains(&r.as_str()),
                "{name}: unknown integration {r}"
            );
        }
        machines.push(out.join("statemachine.asl.json"));
        templates.push(out.join("template.yaml"));
    }
    validate("asl", &machines);
    validate("sam", &templates);
    // No parliament finding above LOW in any policy of any template.
    validate("iam", &templates);
}

fn missing(what: &str) -> Missing {
    Missing {
        what: what.to_string(),
        why: "not found".to_string(),
        install: tools::INSTALL.to_string(),
    }
}

#[test]
fn a_missing_tool_fails_unless_skipping_is_asked_for_outside_ci() {
    let gone = [missing(Tool::Parliament.name())];
    let Verdict::Fail(message) = verdict("t", &gone, false, false) else {
        panic!("a missing tool must fail the test");
    };
    assert_eq!(
        message,
        "t cannot run: parliament (Python, in .tools/venv) is missing (not found): run ./scripts/setup-validators (or set KPI_ALLOW_SKIP=1 to skip such tests)"
    );
    assert_eq!(
        verdict("t", &gone, true, false),
        Verdict::Skip(
            "SKIPPED: t: parliament (Python, in .tools/venv) is missing (not found): run ./scripts/setup-validators (KPI_ALLOW_SKIP=1)".to_string()
        )
    );
    // CI never skips, even when asked to.
    assert!(
        matches!(verdict("t", &gone, true, true), Verdict::Fail(m) if m.contains(".ci/run must install it"))
    );
    assert_eq!(verdict("t", &[], false, true), Verdict::Run);
}

#[test]
fn every_validator_names_the_tools_it_needs() {
    assert_eq!(
        tools::for_validator("asl"),
        [Tool::Node, Tool::AslValidator]
    );
    assert_eq!(
        tools::for_validator("iam"),
        [Tool::Venv, Tool::SamTranslator, Tool::Parliament]
    );
    // The tools the validators need are the ones setup-validators installs.
    let setup = std::fs::read_to_string(root().join("scripts/setup-validators")).unwrap();
    for pin in [
        "sqlglot==",
        "trino-query-parser==",
        "cfn-lint==",
        "aws-sam-translator==",
        "parliament==1.6.4",
        "asl-validator@",
    ] {
        assert!(
            setup.contains(pin),
            "scripts/setup-validators does not install {pin}"
        );
    }
}

/// The policy checker can fail: each bad fixture of `scripts/validate/fixtures` is refused,
/// the good one passes.
#[test]
fn the_policy_checker_refuses_findings_above_low_and_unresolvable_policies() {
    if !tools::require("the policy checker's fixtures", tools::for_validator("iam")) {
        return;
    }
    let fixtures = root().join("scripts/validate/fixtures");
    let mut seen = 0;
    for (dir, want) in [("good", 0), ("bad", 1)] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(fixtures.join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("iam-"))
            .collect();
        files.sort();
        for file in files {
            let out = Command::new(root().join("scripts/validate/run"))
                .arg("iam")
                .arg(&file)
                .output()
                .unwrap();
            assert_eq!(
                out.status.code(),
                Some(want),
                "{}:\n{}",
                file.display(),
                String::from_utf8_lossy(&out.stdout)
            );
            seen += 1;
        }
    }
    assert_eq!(seen, 4);
}
