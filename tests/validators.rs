//! The artifacts of `kpi build`, judged by independent validators: every Athena statement by
//! Trino's own grammar (DML) and sqlglot's Athena dialect (DDL and DML). The validators are
//! installed by `scripts/setup-validators`; without them the test says so and skips, except
//! under `CI=true`, where their absence is a failure.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{project_from, root, run_in};
use std::path::{Path, PathBuf};
use std::process::Command;

fn validators() -> Option<PathBuf> {
    let run = root().join("scripts/validate/run");
    if root().join(".tools/stamp").exists() {
        return Some(run);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("validators are missing: .ci/run must call scripts/setup-validators");
    }
    eprintln!("SKIPPED: validators not installed; run scripts/setup-validators");
    None
}

fn validate(tool: &str, files: &[PathBuf]) {
    let Some(run) = validators() else { return };
    let out = Command::new(run).arg(tool).args(files).output().unwrap();
    assert!(
        out.status.success(),
        "{tool} rejected generated output:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The Step Functions integrations a generated state machine may use.
const KNOWN_RESOURCES: &[&str] = &["arn:aws:states:::athena:startQueryExecution.sync"];

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
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    let mut files = Vec::new();
    for kpi in manifest["kpis"].as_array().unwrap() {
        for statement in kpi["statements"].as_array().unwrap() {
            let mut sql = String::new();
            for segment in statement["athena"].as_array().unwrap() {
                if let Some(text) = segment.get("text") {
                    sql.push_str(text.as_str().unwrap());
                } else {
                    sql.push_str(match segment["param"].as_str().unwrap() {
                        "day" => "2024-01-31",
                        "attempt" => "exec-0f3a_7",
                        other => panic!("athena statements take no `{other}`"),
                    });
                }
            }
            let path = scratch.join(format!(
                "{}.{}.sql",
                kpi["name"].as_str().unwrap(),
                statement["name"].as_str().unwrap()
            ));
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
}
