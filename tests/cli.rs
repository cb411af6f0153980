//! The CLI as a black box: exit codes, project discovery, warnings, `explain`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{project_from, root, run_in};
use std::collections::BTreeSet;

#[test]
fn check_finds_the_project_from_inside_it() {
    let inside = root().join("pipelines/catalog");
    let out = run_in(&inside, &["check"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains("checked 16 KPIs in 4 files: no errors"),
        "{}",
        out.stderr
    );
}

#[test]
fn no_project_is_an_environment_failure() {
    let empty = tempfile::tempdir().unwrap();
    let out = run_in(empty.path(), &["check"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("no kpi.yaml in"), "{}", out.stderr);
    let out = run_in(empty.path(), &["check", "--project", "does-not-exist"]);
    assert_eq!(out.code, 2);
}

#[test]
fn warnings_do_not_fail_the_check() {
    let dir = tempfile::tempdir().unwrap();
    let kpi = dir.path().join("top_level.kpi");
    std::fs::write(&kpi, "kpi top_level_posts {\n  from events e\n  where e.target_post_id = null\n  measure posts = count(*)\n}\n").unwrap();
    let project = project_from(&kpi);
    let human = run_in(project.path(), &["check"]);
    assert_eq!(human.code, 0, "{}", human.stderr);
    assert!(
        human
            .stderr
            .contains("[W0301] comparison with `null` is never true"),
        "{}",
        human.stderr
    );
    assert!(
        human.stderr.contains("no errors, 1 warning"),
        "{}",
        human.stderr
    );
    let json = run_in(project.path(), &["check", "--format", "json"]);
    let diagnostics: Vec<serde_json::Value> = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(diagnostics.len(), 1);
    assert_eq!(diagnostics[0]["severity"], "warning");
    assert_eq!(
        (
            diagnostics[0]["line"].as_u64(),
            diagnostics[0]["column"].as_u64()
        ),
        (Some(3), Some(9))
    );
    assert_eq!(
        (
            diagnostics[0]["end_line"].as_u64(),
            diagnostics[0]["end_column"].as_u64()
        ),
        (Some(3), Some(32)),
        "end is exclusive"
    );
}

#[test]
fn json_columns_count_characters_not_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let kpi = dir.path().join("accents.kpi");
    std::fs::write(&kpi, "kpi posts {\n  from events e\n  where e.kind = 'café' and e.kindd = 'x'\n  measure n = count(*)\n}\n").unwrap();
    let project = project_from(&kpi);
    let json = run_in(project.path(), &["check", "--format", "json"]);
    assert_eq!(json.code, 1);
    let diagnostics: Vec<serde_json::Value> = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(diagnostics[0]["code"], "E0202");
    assert_eq!(diagnostics[0]["column"], 31, "{}", json.stdout);
}

/// Every code the compiler or CLI can emit, found in their sources.
fn emitted_codes() -> BTreeSet<String> {
    let mut codes = BTreeSet::new();
    let mut pending = vec![root().join("compiler/src"), root().join("src")];
    while let Some(dir) = pending.pop() {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                pending.push(p);
                continue;
            }
            let text = std::fs::read_to_string(&p).unwrap();
            for (i, _) in text
                .match_indices("(\"E0")
                .chain(text.match_indices("(\"W0"))
            {
                let code = &text[i + 2..i + 7];
                if code[1..].chars().all(|c| c.is_ascii_digit()) {
                    codes.insert(code.to_string());
                }
            }
        }
    }
    codes
}

#[test]
fn every_emitted_code_is_explained() {
    let codes = emitted_codes();
    assert!(codes.len() >= 50, "{codes:?}");
    let listed = run_in(&root(), &["explain", "--list"]);
    assert_eq!(listed.code, 0);
    for code in &codes {
        assert!(
            listed.stdout.contains(&format!("{code}: ")),
            "{code} missing from `kpi explain --list`"
        );
        let out = run_in(&root(), &["explain", &code.to_lowercase()]);
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
    let unknown = run_in(&root(), &["explain", "E9999"]);
    assert_eq!(unknown.code, 1);
    assert!(
        unknown
            .stderr
            .contains("no diagnostic has the code `E9999`")
    );
}

const MACHINE: &str = r#"{
  "StartAt": "Double",
  "States": {
    "Double": {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.n, $.n)"}, "Next": "Big?"},
    "Big?": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThan": 10, "Next": "TooBig"}], "Default": "Describe"},
    "Describe": {"Type": "Pass", "QueryLanguage": "JSONata", "Output": "{% 'n is ' & $string($states.input.n) %}", "End": true},
    "TooBig": {"Type": "Fail", "Error": "Demo.TooBig", "Cause": "n passed 10"}
  }
}"#;

#[test]
fn sfn_run_executes_any_state_machine() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("machine.asl.json");
    std::fs::write(&path, MACHINE).unwrap();
    let machine = path.to_str().unwrap();
    let ok = run_in(
        dir.path(),
        &["sfn", "run", machine, "--input", r#"{"n": 3}"#],
    );
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&ok.stdout).unwrap(),
        serde_json::json!("n is 6")
    );

    std::fs::write(dir.path().join("input.json"), r#"{"n": 7}"#).unwrap();
    let failed = run_in(
        dir.path(),
        &["sfn", "run", machine, "--input", "@input.json", "--history"],
    );
    assert_eq!(failed.code, 1, "{}", failed.stderr);
    let doc: serde_json::Value = serde_json::from_str(&failed.stdout).unwrap();
    assert_eq!(
        (doc["error"].as_str(), doc["cause"].as_str()),
        (Some("Demo.TooBig"), Some("n passed 10"))
    );
    let kinds: Vec<&str> = doc["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["type"].as_str())
        .collect();
    assert_eq!(kinds.first(), Some(&"ExecutionStarted"), "{kinds:?}");
    assert_eq!(kinds.last(), Some(&"ExecutionFailed"), "{kinds:?}");

    let task = dir.path().join("task.asl.json");
    std::fs::write(&task, r#"{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true}}}"#).unwrap();
    let unsupported = run_in(dir.path(), &["sfn", "run", task.to_str().unwrap()]);
    assert_eq!(unsupported.code, 1);
    assert!(
        unsupported
            .stdout
            .contains("unsupported resource arn:aws:states:::lambda:invoke"),
        "{}",
        unsupported.stdout
    );

    let broken = dir.path().join("broken.asl.json");
    std::fs::write(
        &broken,
        r#"{"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Nowhere"}}}"#,
    )
    .unwrap();
    let invalid = run_in(dir.path(), &["sfn", "run", broken.to_str().unwrap()]);
    assert_eq!(invalid.code, 2);
    assert!(invalid.stderr.contains("Nowhere"), "{}", invalid.stderr);
}
