//! The error corpus: every file in `tests/errors/` holds one mistake and says which code it
//! expects on its first line (`// expect: E0202`, or `# expect:` in YAML). A folder is a
//! whole project, for mistakes in kpi.yaml or the catalog. The full rendered diagnostic
//! output is snapshotted (colour off, width 100).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{case_name, corpus, project_from, run_in};
use std::collections::BTreeSet;
use std::path::Path;

fn expected_code(case: &Path) -> String {
    let files: Vec<std::path::PathBuf> = if case.is_dir() {
        let mut all = Vec::new();
        let mut pending = vec![case.to_path_buf()];
        while let Some(dir) = pending.pop() {
            for e in std::fs::read_dir(&dir).expect("dir") {
                let p = e.expect("entry").path();
                if p.is_dir() {
                    pending.push(p)
                } else {
                    all.push(p)
                }
            }
        }
        all.sort();
        all
    } else {
        vec![case.to_path_buf()]
    };
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap_or_default();
        for line in text.lines() {
            let line = line.trim_start_matches(['/', '#', ' ']);
            if let Some(code) = line.strip_prefix("expect:") {
                return code.trim().to_string();
            }
        }
    }
    panic!(
        "{} names no expected code (`// expect: E0NNN`)",
        case.display()
    );
}

#[test]
fn every_mistake_is_reported_with_its_code() {
    let cases = corpus("tests/errors");
    let mut codes = BTreeSet::new();
    for case in &cases {
        let name = case_name(case);
        let expected = expected_code(case);
        let project = project_from(case);
        let human = run_in(project.path(), &["check"]);
        assert_eq!(human.code, 1, "{name}: exit code\n{}", human.stderr);
        insta::with_settings!({snapshot_path => "errors/snapshots", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!(name.clone(), human.stderr);
        });

        let json = run_in(project.path(), &["check", "--format", "json"]);
        let diagnostics: Vec<serde_json::Value> =
            serde_json::from_str(&json.stdout).expect("JSON array");
        let errors: Vec<&serde_json::Value> = diagnostics
            .iter()
            .filter(|d| d["severity"] == "error")
            .collect();
        assert_eq!(
            errors.len(),
            1,
            "{name}: one mistake, one error, got {}",
            json.stdout
        );
        assert_eq!(errors[0]["code"], expected.as_str(), "{name}: code");
        for field in [
            "file",
            "line",
            "column",
            "end_line",
            "end_column",
            "message",
            "help",
        ] {
            assert!(
                !errors[0][field].is_null(),
                "{name}: `{field}` missing in {}",
                json.stdout
            );
        }
        codes.insert(expected);
    }
    assert!(
        cases.len() >= 40,
        "the error corpus has {} mistakes",
        cases.len()
    );
    assert!(
        codes.len() >= 30,
        "the error corpus covers {} codes",
        codes.len()
    );
}

#[test]
fn every_code_has_an_explanation() {
    for case in corpus("tests/errors") {
        let code = expected_code(&case);
        let out = run_in(&common::root(), &["explain", &code]);
        assert_eq!(out.code, 0, "kpi explain {code}");
        assert!(
            out.stdout.starts_with(&format!("# {code}: ")),
            "{}",
            out.stdout
        );
        assert!(
            out.stdout.contains("## Example") && out.stdout.contains("## Fix"),
            "{code}"
        );
    }
}
