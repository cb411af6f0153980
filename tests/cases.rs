//! The case corpus: every folder in `tests/cases/` is a project (its `.kpi` files, and
//! optionally its own kpi.yaml and catalog). Each is snapshotted through parse (AST) and
//! check (typed IR), and must check clean. Adding a case needs no Rust.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{case_name, corpus, project_from, run_in};

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
    }
}
