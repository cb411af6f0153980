//! The compiled state machine of pipelines/, run unchanged by the local ASL interpreter with
//! Athena bound to a recorder: every query reaches the recorder exactly once per KPI-day, in
//! dependency order, with the text the manifest gives for that KPI, day and attempt; a failed
//! query fails its KPI-day and what reads it, and the rest completes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{root, run_in};
use kpi_asl::{self as asl, Options, Status, TaskContext, TaskError, TaskHandler, VirtualClock};
use serde_json::{Value, json};
use std::sync::Mutex;

struct Athena {
    queries: Mutex<Vec<String>>,
    /// A query containing this text fails as Athena would.
    fail_on: Option<String>,
}

impl TaskHandler for Athena {
    fn call(
        &self,
        resource: &str,
        parameters: &Value,
        _context: &TaskContext,
    ) -> Result<Value, TaskError> {
        assert_eq!(resource, "arn:aws:states:::athena:startQueryExecution.sync");
        let query = parameters["QueryString"].as_str().unwrap().to_string();
        let token = parameters["ClientRequestToken"].as_str().unwrap();
        assert!((32..=128).contains(&token.len()), "token {token}");
        let mut queries = self.queries.lock().unwrap();
        queries.push(query.clone());
        let id = format!("q{}", queries.len());
        if self
            .fail_on
            .as_ref()
            .is_some_and(|f| query.contains(f.as_str()))
        {
            return Err(TaskError {
                error: "Athena.AmazonAthenaException".into(),
                cause: format!(
                    "{{\"QueryExecution\":{{\"QueryExecutionId\":\"{id}\",\"Status\":{{\"State\":\"FAILED\",\"StateChangeReason\":\"HIVE_BAD_DATA: broken file\"}}}}}}"
                ),
            });
        }
        Ok(
            json!({"QueryExecution": {"QueryExecutionId": id, "Query": query, "Status": {"State": "SUCCEEDED"},
            "Statistics": {"EngineExecutionTimeInMillis": 10, "DataScannedInBytes": 100}}}),
        )
    }
}

fn machine() -> (asl::StateMachine, Value) {
    let out = tempfile::tempdir().unwrap();
    let build = run_in(
        &root().join("pipelines"),
        &["build", "--out", out.path().to_str().unwrap()],
    );
    assert_eq!(build.code, 0, "{}", build.stderr);
    let definition = std::fs::read_to_string(out.path().join("statemachine.asl.json")).unwrap();
    // SAM fills these in at deployment.
    let definition = definition
        .replace("${WorkGroup}", "kpi")
        .replace("${Database}", "engagement_kpi")
        .replace(
            "${QueryResultsLocation}",
            "s3://engagement-lake/kpi/_athena_results/",
        );
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("manifest.json")).unwrap())
            .unwrap();
    (asl::parse_definition_text(&definition).unwrap(), manifest)
}

fn run(machine: &asl::StateMachine, input: Value, athena: &Athena) -> asl::Execution {
    let clock = VirtualClock::starting_now();
    let engine = kpi_asl::jsonata::Engine;
    let options = Options {
        tasks: Some(athena),
        jsonata: Some(&engine),
        execution_name: "exec-1",
        ..Options::new(&clock)
    };
    asl::execute(machine, input, &options)
}

/// The manifest's Athena text of one statement of one KPI for a day (attempt left open).
fn expected_prefix(manifest: &Value, kpi: &str, statement: &str, day: &str) -> String {
    let k = manifest["kpis"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == kpi)
        .unwrap();
    let s = k["statements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == statement)
        .unwrap();
    let mut text = String::new();
    for segment in s["athena"].as_array().unwrap() {
        match segment.get("text") {
            Some(t) => text.push_str(t.as_str().unwrap()),
            None if segment["param"] == "day" => text.push_str(day),
            None => return text, // the attempt is derived at run time
        }
    }
    text
}

#[test]
fn a_backfill_runs_every_statement_once_in_dependency_order() {
    let (machine, manifest) = machine();
    let athena = Athena {
        queries: Mutex::new(Vec::new()),
        fail_on: None,
    };
    let exec = run(
        &machine,
        json!({"from": "2024-03-01", "to": "2024-03-03"}),
        &athena,
    );
    assert_eq!(exec.status, Status::Succeeded, "{}", exec.result_json());
    let queries = athena.queries.lock().unwrap().clone();
    let kpis: Vec<&str> = manifest["kpis"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["name"].as_str().unwrap())
        .collect();
    for kpi in &kpis {
        for day in ["2024-03-01", "2024-03-02", "2024-03-03"] {
            let write = expected_prefix(&manifest, kpi, "03_write", day);
            let n = queries.iter().filter(|q| q.starts_with(&write)).count();
            assert_eq!(n, 1, "{kpi} {day}: write ran {n} times");
        }
        let setup = expected_prefix(&manifest, kpi, "01_create_table", "");
        assert_eq!(
            queries.iter().filter(|q| **q == setup).count(),
            1,
            "{kpi}: setup once per execution"
        );
    }
    // Level order: stickiness reads two level-0 KPIs, so all their writes come first.
    let position = |kpi: &str, day: &str| {
        queries
            .iter()
            .position(|q| q.starts_with(&expected_prefix(&manifest, kpi, "03_write", day)))
            .unwrap()
    };
    for day in ["2024-03-01", "2024-03-02", "2024-03-03"] {
        for upstream in ["daily_active_members", "monthly_active_members"] {
            for d in ["2024-03-01", "2024-03-02", "2024-03-03"] {
                assert!(position(upstream, d) < position("stickiness", day));
            }
        }
    }
}

#[test]
fn a_failed_query_fails_its_kpi_day_and_what_reads_it() {
    let (machine, _) = machine();
    let athena = Athena {
        queries: Mutex::new(Vec::new()),
        fail_on: Some("INSERT INTO \"engagement_kpi\".\"daily_active_members__attempts\"".into()),
    };
    let exec = run(&machine, json!({"dates": ["2024-03-02"]}), &athena);
    assert_eq!(exec.status, Status::Failed);
    assert_eq!(exec.error.as_deref(), Some("Kpi.Failed"));
    let cause = exec.cause.unwrap();
    assert!(
        cause.contains("daily_active_members") && cause.contains("2024-03-02"),
        "{cause}"
    );
    assert!(
        cause.contains("stickiness") && cause.contains("upstream"),
        "{cause}"
    );
    let queries = athena.queries.lock().unwrap();
    assert!(
        !queries
            .iter()
            .any(|q| q.contains("INSERT INTO \"engagement_kpi\".\"stickiness__attempts\"")),
        "stickiness reads the failed KPI-day"
    );
    assert!(
        queries
            .iter()
            .any(|q| q.contains("INSERT INTO \"engagement_kpi\".\"reply_rate__attempts\"")),
        "the rest completes"
    );
}

#[test]
fn invalid_input_never_reaches_a_query() {
    let (machine, _) = machine();
    for input in [
        json!({"dates": ["2024-02-30"]}),
        json!({"from": "2024-03-05", "to": "2024-03-01"}),
        json!({"dates": ["2024-03-01"], "kpis": ["nope"]}),
        json!({"dates": ["2024-03-01'; DROP TABLE x; --"]}),
    ] {
        let athena = Athena {
            queries: Mutex::new(Vec::new()),
            fail_on: None,
        };
        let exec = run(&machine, input.clone(), &athena);
        assert_eq!(exec.status, Status::Failed, "{input}");
        assert_eq!(
            exec.error.as_deref(),
            Some("Kpi.InvalidInput"),
            "{input}: {:?}",
            exec.cause
        );
        assert!(athena.queries.lock().unwrap().is_empty(), "{input}");
    }
}
