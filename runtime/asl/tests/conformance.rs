//! The ASL conformance corpus (executions recorded on real Step Functions) run through the
//! interpreter into per-area pass counts, checked against the exact set of expected failures:
//! a case that newly fails, or an expected failure that now passes, fails the test until
//! `EXPECTED_FAILURES` says so.

use kpi_asl::{self as asl, Options, Status, VirtualClock};
#[path = "../../../tests/support/tools.rs"]
mod tools;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Cases the interpreter is known to answer differently from AWS, by case id, with why.
/// Every case of the corpus passes today, so the list is empty; it is the floor: a change that
/// breaks a case must add it here, with the reason, for the suite to pass.
const EXPECTED_FAILURES: &[(&str, &str)] = &[];

fn corpus_dir() -> PathBuf {
    match std::env::var_os("KPI_CONFORMANCE_DIR") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance"),
    }
}

/// Removes AWS's "(entered at the event id #N)" so causes compare without event numbering.
fn without_event_id(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find(" (entered at the event id #") {
        out.push_str(&rest[..i]);
        let after = &rest[i..];
        match after.find(')') {
            Some(j) => rest = &after[j + 1..],
            None => rest = "",
        }
    }
    out.push_str(rest);
    out
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 160 {
        format!("{}…", s.chars().take(160).collect::<String>())
    } else {
        s
    }
}

/// `None` when the interpreter gives AWS's outcome; otherwise what differs.
fn run_case(case: &Value) -> Option<String> {
    let definition = match asl::parse_definition(&case["definition"]) {
        Ok(d) => d,
        Err(e) => return Some(format!("definition rejected: {e}")),
    };
    let clock = VirtualClock::starting_now();
    let engine = asl::jsonata::Engine;
    let mut opts = Options::new(&clock);
    opts.jsonata = Some(&engine);
    let exec = asl::execute(&definition, case["input"].clone(), &opts);
    let expected = &case["expected"];
    match (expected["status"].as_str(), exec.status) {
        (Some("SUCCEEDED"), Status::Succeeded) => {
            (exec.output.as_ref() != Some(&expected["output"])).then(|| {
                format!(
                    "output {} expected {}",
                    short(exec.output.as_ref().unwrap_or(&Value::Null)),
                    short(&expected["output"])
                )
            })
        }
        (Some("FAILED"), Status::Failed) => {
            let want_error = expected.get("error").and_then(Value::as_str);
            let want_cause = expected.get("cause").and_then(Value::as_str);
            let cause_ok = exec.cause.as_deref() == want_cause
                || match (exec.cause.as_deref(), want_cause) {
                    (Some(a), Some(b)) => without_event_id(a) == without_event_id(b),
                    _ => false,
                };
            if exec.error.as_deref() != want_error {
                Some(format!(
                    "error {:?} expected {:?} (cause {:?})",
                    exec.error, want_error, exec.cause
                ))
            } else if !cause_ok {
                Some(format!("cause {:?} expected {:?}", exec.cause, want_cause))
            } else {
                None
            }
        }
        (want, _) => Some(format!(
            "status {:?} expected {:?}: {}",
            exec.status,
            want,
            short(&exec.result_json())
        )),
    }
}

fn case_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = Vec::new();
    for area in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if area.path().is_dir() {
            for f in std::fs::read_dir(area.path())
                .into_iter()
                .flatten()
                .flatten()
            {
                if f.path().extension().is_some_and(|e| e == "json") {
                    files.push(f.path());
                }
            }
        }
    }
    files.sort();
    files
}

#[test]
fn conformance_corpus() {
    let dir = corpus_dir();
    if !tools::require_dir(
        "conformance_corpus",
        "the conformance corpus",
        &dir,
        "set KPI_CONFORMANCE_DIR to its folder (shared/conformance beside the repository)",
    ) {
        return;
    }
    // area -> (passed, total) per query language: JSONPath, then JSONata or mixed
    let mut areas: BTreeMap<String, [usize; 4]> = BTreeMap::new();
    let mut failing: BTreeMap<String, String> = BTreeMap::new();
    let files = case_files(&dir);
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap_or_default();
        let Ok(case) = serde_json::from_str::<Value>(&text) else {
            failing.insert(f.display().to_string(), "unreadable case file".into());
            continue;
        };
        let id = case["id"].as_str().unwrap_or("?").to_string();
        let area = id.split('/').next().unwrap_or("?").to_string();
        let column = if case["query_language"] == "JSONPath" {
            0
        } else {
            2
        };
        let counts = areas.entry(area).or_default();
        counts[column + 1] += 1;
        match run_case(&case) {
            None => counts[column] += 1,
            Some(why) => {
                failing.insert(id, why);
            }
        }
    }
    println!("ASL conformance ({}):", dir.display());
    for (area, c) in &areas {
        println!(
            "  {area:<22} JSONPath {:>3}/{:<3}  JSONata/mixed {:>2}/{:<2}",
            c[0], c[1], c[2], c[3]
        );
    }
    let passed: usize = areas.values().map(|c| c[0] + c[2]).sum();
    println!("  total: {passed}/{} passed", files.len());
    assert!(
        !files.is_empty(),
        "the corpus at {} holds no cases",
        dir.display()
    );

    let expected: BTreeSet<&str> = EXPECTED_FAILURES.iter().map(|(id, _)| *id).collect();
    let new: Vec<String> = failing
        .iter()
        .filter(|(id, _)| !expected.contains(id.as_str()))
        .map(|(id, why)| format!("  {id}: {why}"))
        .collect();
    let fixed: Vec<&str> = expected
        .iter()
        .filter(|id| !failing.contains_key(**id))
        .copied()
        .collect();
    assert!(
        new.is_empty(),
        "{} case(s) fail that EXPECTED_FAILURES does not list:\n{}",
        new.len(),
        new.join("\n")
    );
    assert!(
        fixed.is_empty(),
        "expected failures that now pass (remove them from EXPECTED_FAILURES): {fixed:?}"
    );
}
