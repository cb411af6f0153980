//! The case corpus: every folder in `tests/cases/` is a project (its `.kpi` files, and
//! optionally its own kpi.yaml and catalog). Each is snapshotted through parse (AST), check
//! (typed IR), lower (the plan: each KPI's backend IR and fingerprint) and build (Athena SQL,
//! DuckDB SQL, the state machine and the SAM template),
//! and must check clean. Adding a case needs no Rust.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{case_name, corpus, project_from, run_in};
use std::path::Path;

#[test]
fn cases_parse_and_check_clean() {
    let cases = corpus("tests/cases");
    assert!(
        cases.len() >= 10,
        "the case corpus has {} cases",
        cases.len()
    );
    for case in cases {
        let name = case_name(&case);
        let project = project_from(&case);
        let check = run_in(project.path(), &["check"]);
        assert_eq!(
            check.code, 0,
            "case {name} must check clean:\n{}",
            check.stderr
        );

        let ast = run_in(project.path(), &["debug", "ast"]);
        assert_eq!(ast.code, 0, "{}", ast.stderr);
        insta::with_settings!({snapshot_path => "cases/snapshots", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!(format!("{name}.ast"), ast.stdout);
        });

        let ir = run_in(project.path(), &["debug", "ir"]);
        assert_eq!(ir.code, 0, "{}", ir.stderr);
        let mut value: serde_json::Value = serde_json::from_str(&ir.stdout).expect("IR is JSON");
        // The sources only restate the catalog; the KPIs are what each case is about.
        if let Some(map) = value.as_object_mut() {
            map.remove("sources");
        }
        let ir_text = serde_json::to_string_pretty(&value).expect("JSON");
        insta::with_settings!({snapshot_path => "cases/snapshots", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!(format!("{name}.ir"), ir_text);
        });

        let plan = run_in(project.path(), &["debug", "plan"]);
        assert_eq!(plan.code, 0, "{}", plan.stderr);
        insta::with_settings!({snapshot_path => "cases/snapshots", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!(format!("{name}.plan"), plan.stdout);
        });

        let out = project.path().join("target/kpi");
        let build = run_in(project.path(), &["build"]);
        assert_eq!(build.code, 0, "case {name} must build:\n{}", build.stderr);
        for dialect in ["athena", "duckdb"] {
            insta::with_settings!({snapshot_path => "cases/snapshots", prepend_module_to_snapshot => false}, {
                insta::assert_snapshot!(format!("{name}.{dialect}"), concatenated(&out.join(dialect)));
            });
        }
        let template = std::fs::read_to_string(out.join("template.yaml")).expect("template");
        insta::with_settings!({snapshot_path => "cases/snapshots", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!(format!("{name}.template"), template);
        });
        let machine =
            std::fs::read_to_string(out.join("statemachine.asl.json")).expect("state machine");
        insta::with_settings!({snapshot_path => "cases/snapshots", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!(format!("{name}.asl"), machine);
        });
    }
}

/// Every `.sql` file under `dir`, sorted, each after a `==> path` line.
fn concatenated(dir: &Path) -> String {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for e in std::fs::read_dir(&d).expect("dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                pending.push(p)
            } else {
                files.push(p)
            }
        }
    }
    files.sort();
    files
        .iter()
        .map(|f| {
            format!(
                "==> {}\n{}",
                f.strip_prefix(dir).expect("inside").display(),
                std::fs::read_to_string(f).expect("sql")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn builds_are_deterministic() {
    let pipelines = common::root().join("pipelines");
    let first = tempfile::tempdir().expect("dir");
    let second = tempfile::tempdir().expect("dir");
    for out in [first.path(), second.path()] {
        let run = run_in(
            &pipelines,
            &["build", "--out", out.to_str().expect("utf-8")],
        );
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
    let a = concatenated_all(first.path());
    assert!(a.len() > 50, "{} files", a.len());
    assert_eq!(a, concatenated_all(second.path()), "two builds differ");
    // Building again over an existing output replaces it whole.
    let again = run_in(
        &pipelines,
        &["build", "--out", first.path().to_str().expect("utf-8")],
    );
    assert_eq!(again.code, 0);
    assert_eq!(a, concatenated_all(first.path()));
}

fn concatenated_all(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for e in std::fs::read_dir(&d).expect("dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                pending.push(p);
            } else {
                out.push((
                    p.strip_prefix(dir).expect("inside").display().to_string(),
                    std::fs::read(&p).expect("file"),
                ));
            }
        }
    }
    out.sort();
    out
}
