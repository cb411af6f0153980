//! The ASL conformance corpus (cases recorded on real AWS) run through the interpreter into
//! per-area pass counts, a list of failing JSONPath cases, and the 95% acceptance check.

use kpi_asl::{self as asl, Options, Status, VirtualClock};
#[path = "../../../tests/support/tools.rs"]
mod tools;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

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
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

enum Verdict {
    Pass,
    /// A JSONata case that failed only because JSONata is not available.
    NoJsonata,
    Fail(String),
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 160 {
        format!("{}…", s.chars().take(160).collect::<String>())
    } else {
        s
    }
}

fn run_case(case: &Value) -> Verdict {
    let definition = match asl::parse_definition(&case["definition"]) {
        Ok(d) => d,
        Err(e) => return Verdict::Fail(format!("definition rejected: {e}")),
    };
    let clock = VirtualClock::starting_now();
    let mut opts = Options::new(&clock);
    let engine = kpi_asl::jsonata::Engine;
    opts.jsonata = Some(&engine);
    let exec = asl::execute(&definition, case["input"].clone(), &opts);
    let expected = &case["expected"];
    let no_jsonata = exec.status == Status::Failed
        && exec.error.as_deref() == Some("States.QueryEvaluationError")
        && exec
            .cause
            .as_deref()
            .is_some_and(|c| c.contains("JSONata is not available"));
    let verdict = match (expected["status"].as_str(), exec.status) {
        (Some("SUCCEEDED"), Status::Succeeded) => {
            if exec.output.as_ref() == Some(&expected["output"]) {
                Verdict::Pass
            } else {
                Verdict::Fail(format!(
                    "output {} expected {}",
                    short(exec.output.as_ref().unwrap_or(&Value::Null)),
                    short(&expected["output"])
                ))
            }
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
                Verdict::Fail(format!(
                    "error {:?} expected {:?} (cause {:?})",
                    exec.error, want_error, exec.cause
                ))
            } else if !cause_ok {
                Verdict::Fail(format!("cause {:?} expected {:?}", exec.cause, want_cause))
            } else {
                Verdict::Pass
            }
        }
        (want, _) => Verdict::Fail(format!(
            "status {:?} expected {:?}: {}",
            exec.status,
            want,
            short(&exec.result_json())
        )),
    };
    match verdict {
        Verdict::Fail(_) if no_jsonata => Verdict::NoJsonata,
        v => v,
    }
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
    let mut files: Vec<PathBuf> = Vec::new();
    for area in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
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
    // area -> (jsonpath passed, jsonpath total, other passed, other not-available, other total)
    let mut areas: BTreeMap<String, [usize; 5]> = BTreeMap::new();
    let mut failing = Vec::new();
    let mut wrong_jsonata = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap_or_default();
        let Ok(case) = serde_json::from_str::<Value>(&text) else {
            failing.push(format!("{}: unreadable case file", f.display()));
            continue;
        };
        let id = case["id"].as_str().unwrap_or("?").to_string();
        let area = id.split('/').next().unwrap_or("?").to_string();
        let jsonpath = case["query_language"] == "JSONPath";
        let counts = areas.entry(area).or_default();
        let verdict = run_case(&case);
        if jsonpath {
            counts[1] += 1;
            match verdict {
                Verdict::Pass => counts[0] += 1,
                Verdict::NoJsonata => failing.push(format!("{id}: needs JSONata")),
                Verdict::Fail(r) => failing.push(format!("{id}: {r}")),
            }
        } else {
            counts[4] += 1;
            match verdict {
                Verdict::Pass => counts[2] += 1,
                Verdict::NoJsonata => counts[3] += 1,
                Verdict::Fail(r) => wrong_jsonata.push(format!("{id}: {r}")),
            }
        }
    }
    let (mut passed, mut total) = (0, 0);
    println!("ASL conformance ({}):", dir.display());
    for (area, c) in &areas {
        passed += c[0];
        total += c[1];
        println!(
            "  {area:<22} JSONPath {:>3}/{:<3}  JSONata/mixed {:>2}/{:<2} passed, {:>2} need JSONata",
            c[0], c[1], c[2], c[4], c[3]
        );
    }
    println!("  JSONPath total: {passed}/{total}");
    if !failing.is_empty() {
        println!("Failing JSONPath cases:");
        for f in &failing {
            println!("  {f}");
        }
    }
    if !wrong_jsonata.is_empty() {
        println!("JSONata cases with a WRONG answer:");
        for f in &wrong_jsonata {
            println!("  {f}");
        }
    }
    assert!(total > 0, "the corpus at {} holds no cases", dir.display());
    assert!(
        wrong_jsonata.is_empty(),
        "{} JSONata cases gave a wrong answer",
        wrong_jsonata.len()
    );
    assert!(
        passed * 100 >= total * 95,
        "JSONPath conformance {passed}/{total} is below 95%"
    );
}
