//! Runs the emitted state machine on a small ASL runner (JavaScript, with the `jsonata` package
//! that asl-validator brings into `.tools/node`, so the machine's JSONata is judged by
//! jsonata-js as Step Functions runs it) with Athena and Glue faked: inputs are validated, days
//! worked out in the project's time zone, chunks run level by level, a failed KPI-day blocks
//! the days reading it, missing source partitions block theirs, Glue's per-entry errors fail
//! their days, retries reuse the request token, and the execution ends as designed.
//! Fails when node or `.tools/node` is missing, unless `KPI_ALLOW_SKIP=1` (then it says so).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "asl_support.rs"]
mod support;

#[path = "asl_runner.rs"]
mod runner_js;

use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::Command;
use support::{Built, machine, repo_root, scratch, small};

struct Runner {
    dir: PathBuf,
    definition: PathBuf,
}

fn runner(built: &Built, max_days: u32, name: &str) -> Option<Runner> {
    use support::tools::{Tool, require};
    if !require(
        &format!("state machine simulation {name}"),
        &[Tool::Node, Tool::Jsonata],
    ) {
        return None;
    }
    let (m, diagnostics) = machine(built, max_days);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    let dir = scratch(name);
    std::fs::write(dir.join("sim.js"), runner_js::RUNNER).expect("write runner");
    let definition = dir.join("statemachine.asl.json");
    std::fs::write(&definition, m.to_json()).expect("write definition");
    Some(Runner { dir, definition })
}

impl Runner {
    fn run(&self, scenario: Value) -> Value {
        let file = self.dir.join("scenario.json");
        std::fs::write(&file, scenario.to_string()).expect("write scenario");
        let out = Command::new("node")
            .arg(self.dir.join("sim.js"))
            .arg(&self.definition)
            .arg(&file)
            .env("NODE_PATH", repo_root().join(".tools/node/node_modules"))
            .output()
            .expect("run node");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report: Value = serde_json::from_slice(&out.stdout).expect("report");
        assert_ne!(report["status"], "CRASHED", "{report}");
        report
    }
}

/// Each query as (KPI, statement, first day, last day).
fn queries(report: &Value) -> Vec<(String, String, String, String)> {
    report["queries"]
        .as_array()
        .expect("queries")
        .iter()
        .map(|q| {
            let s = |k: &str| q[k].as_str().unwrap_or_default().to_string();
            (s("kpi"), s("statement"), s("first"), s("last"))
        })
        .collect()
}

fn chunks(report: &Value, kpi: &str, statement: &str) -> Vec<(String, String)> {
    queries(report)
        .into_iter()
        .filter(|q| q.0 == kpi && q.1 == statement)
        .map(|q| (q.2, q.3))
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

/// The days of a KPI's partitions Glue holds at the end.
fn published(report: &Value, kpi: &str) -> Vec<String> {
    report["partitions"][kpi]
        .as_object()
        .map(|m| {
            let mut days: Vec<String> = m
                .iter()
                .filter(|(_, p)| p.get("old").is_none())
                .map(|(d, _)| d.clone())
                .collect();
            days.sort();
            days
        })
        .unwrap_or_default()
}

fn days(from: u32, to: u32) -> Vec<String> {
    (from..=to).map(|d| format!("2024-01-{d:02}")).collect()
}

#[test]
fn a_backfill_runs_each_chunk_once_level_by_level() {
    let Some(r) = runner(&small("UTC"), 30, "range") else {
        return;
    };
    let report = r.run(json!({"input": {"from": "2024-01-01", "to": "2024-01-10"}}));
    assert_eq!(report["status"], "SUCCEEDED", "{report}");
    assert_eq!(
        report["output"],
        json!({"days": 10, "from": "2024-01-01", "to": "2024-01-10",
               "kpis": ["by_department", "daily_active", "weekly"], "kpiDays": 30, "failed": 0})
    );
    let q = queries(&report);
    // 3 KPIs × 2 setup statements, then one write and one check per KPI for the 10 days.
    assert_eq!(q.len(), 6 + 3 * 2);
    for kpi in ["by_department", "daily_active", "weekly"] {
        let all = pairs(&[("2024-01-01", "2024-01-10")]);
        assert_eq!(chunks(&report, kpi, "03_write"), all, "{kpi}");
        assert_eq!(chunks(&report, kpi, "04_check"), all, "{kpi}");
        assert_eq!(published(&report, kpi), days(1, 10), "{kpi}");
    }
    assert!(
        q[..6]
            .iter()
            .all(|(_, s, _, _)| s.starts_with("01_") || s.starts_with("02_"))
    );
    let last_level0 = q
        .iter()
        .rposition(|(k, _, _, _)| k != "weekly")
        .expect("level 0");
    let first_weekly = q
        .iter()
        .position(|(k, s, _, _)| k == "weekly" && s == "03_write")
        .expect("weekly");
    assert!(last_level0 < first_weekly);
    // Glue: the sources' days asked about once, a table read and a create per KPI.
    let calls: Vec<&str> = report["glue"]
        .as_array()
        .expect("glue")
        .iter()
        .map(|g| g["call"].as_str().expect("call"))
        .collect();
    assert_eq!(
        calls.iter().filter(|c| **c == "batchGetPartition").count(),
        2
    );
    assert_eq!(calls.iter().filter(|c| **c == "getQueryResults").count(), 3);
    assert_eq!(
        calls
            .iter()
            .filter(|c| **c == "batchCreatePartition")
            .count(),
        3
    );
    assert_eq!(
        calls
            .iter()
            .filter(|c| **c == "batchUpdatePartition")
            .count(),
        0
    );
    // A partition as published: weekly reads 7 days, so its first 6 days are partial.
    let p = &report["partitions"]["weekly"];
    assert_eq!(p["2024-01-06"]["Parameters"]["kpi.partial"], "true");
    assert_eq!(p["2024-01-07"]["Parameters"]["kpi.partial"], "false");
    assert_eq!(p["2024-01-07"]["Parameters"]["kpi.rows"], "7");
    let attempt = report["queries"][6]["attempt"].as_str().expect("attempt");
    assert_eq!(attempt.len(), 64);
    assert!(
        report["partitions"]["by_department"]["2024-01-01"]["StorageDescriptor"]["Location"]
            .as_str()
            .is_some_and(|l| l.ends_with(&format!("/attempts/dt=2024-01-01/attempt={attempt}/")))
    );
}

#[test]
fn a_failed_check_blocks_the_days_that_read_it() {
    let Some(r) = runner(&small("UTC"), 30, "blocked") else {
        return;
    };
    let reason = "small.kpi:6: active > 0 fails on 1 rows";
    let report = r.run(json!({
        "input": {"from": "2024-01-01", "to": "2024-01-10"},
        "checkFailures": [{"kpi": "daily_active", "day": "2024-01-03", "failure": reason}]
    }));
    assert_eq!(report["status"], "FAILED");
    assert_eq!(report["error"], "Kpi.Failed");
    let cause = report["cause"].as_str().expect("cause");
    assert!(cause.starts_with("8 KPI-day(s) failed: "), "{cause}");
    assert!(
        cause.contains(&format!(
            "daily_active 2024-01-03: Kpi.CheckFailed: {reason}"
        )),
        "{cause}"
    );
    // weekly reads daily_active over 7 days: days 3 to 9 read the failed day.
    for d in days(3, 9) {
        assert!(
            cause.contains(&format!(
                "weekly {d}: Kpi.UpstreamFailed: upstream daily_active 2024-01-03 failed"
            )),
            "{cause}"
        );
    }
    let mut expected = days(1, 10);
    expected.retain(|d| d != "2024-01-03");
    assert_eq!(published(&report, "daily_active"), expected);
    assert_eq!(
        chunks(&report, "weekly", "03_write"),
        pairs(&[("2024-01-01", "2024-01-02"), ("2024-01-10", "2024-01-10")])
    );
    assert_eq!(
        published(&report, "weekly"),
        ["2024-01-01", "2024-01-02", "2024-01-10"]
    );
    assert_eq!(published(&report, "by_department"), days(1, 10));
}

#[test]
fn a_failed_setup_fails_every_day_of_its_kpi_and_what_reads_it() {
    let Some(r) = runner(&small("UTC"), 30, "setup") else {
        return;
    };
    let report = r.run(json!({
        "input": {"dates": ["2024-01-05", "2024-01-02", "2024-01-05"], "kpis": ["weekly", "by_department"]},
        "fail": [{"kpi": "by_department", "statement": "01_create_table",
                  "error": "Athena.InvalidRequestException", "reason": "no such database \u{e9}"}]
    }));
    assert_eq!(report["status"], "FAILED");
    assert_eq!(
        report["cause"],
        "4 KPI-day(s) failed: by_department setup: Athena.InvalidRequestException: no such database ?; \
         weekly 2024-01-02: Kpi.UpstreamFailed: upstream by_department 2024-01-02 failed; \
         weekly 2024-01-05: Kpi.UpstreamFailed: upstream by_department 2024-01-05 failed"
    );
    // Only the selected KPIs ran: daily_active was not asked for; weekly's days all blocked.
    let q = queries(&report);
    assert!(q.iter().all(|(k, _, _, _)| k != "daily_active"));
    assert!(chunks(&report, "weekly", "03_write").is_empty());
    assert!(chunks(&report, "by_department", "03_write").is_empty());
}

#[test]
fn a_failed_write_fails_its_chunk_and_glue_errors_fail_their_days() {
    let Some(r) = runner(&small("UTC"), 30, "write") else {
        return;
    };
    let report = r.run(json!({
        "input": {"from": "2024-01-01", "to": "2024-01-04"},
        "fail": [{"kpi": "by_department", "statement": "03_write", "day": "2024-01-02", "reason": "HIVE_BAD_DATA: bad file"}],
        "existing": [{"kpi": "daily_active", "day": "2024-01-03"}],
        "glueErrors": [{"kpi": "daily_active", "day": "2024-01-04", "call": "create", "code": "InvalidInputException", "message": "bad location"}]
    }));
    assert_eq!(report["status"], "FAILED");
    let cause = report["cause"].as_str().expect("cause");
    // by_department's 4 days, weekly's 4 (it reads by_department), daily_active's 4th.
    assert!(cause.starts_with("9 KPI-day(s) failed: "), "{cause}");
    assert!(
        cause.contains(
            "by_department 2024-01-01: Athena.AmazonAthenaException: HIVE_BAD_DATA: bad file"
        ),
        "{cause}"
    );
    assert!(
        cause.contains("daily_active 2024-01-04: Glue.InvalidInputException: bad location"),
        "{cause}"
    );
    assert!(chunks(&report, "by_department", "04_check").is_empty());
    // daily_active: 1 and 2 created, 3 updated (Glue had it), 4 refused.
    assert_eq!(
        published(&report, "daily_active"),
        ["2024-01-01", "2024-01-02", "2024-01-03"]
    );
    let update = report["glue"]
        .as_array()
        .expect("glue")
        .iter()
        .find(|g| g["call"] == "batchUpdatePartition")
        .expect("an update");
    assert_eq!(
        update["args"]["Entries"][0]["PartitionValueList"],
        json!(["2024-01-03"])
    );
}

#[test]
fn missing_source_partitions_block_the_days_that_need_them() {
    let Some(r) = runner(&small("UTC"), 30, "inputs") else {
        return;
    };
    let report = r.run(json!({
        "input": {"from": "2024-01-01", "to": "2024-01-10"},
        "missing": [{"table": "lake.members", "day": "2024-01-04"}],
        "unprocessed": 1
    }));
    assert_eq!(report["status"], "FAILED");
    let cause = report["cause"].as_str().expect("cause");
    // by_department joins the day's members snapshot, and weekly joins by_department's day.
    assert_eq!(
        cause,
        "2 KPI-day(s) failed: by_department 2024-01-04: Kpi.MissingInput: no partition lake.members dt=2024-01-04; \
         weekly 2024-01-04: Kpi.UpstreamFailed: upstream by_department 2024-01-04 failed"
    );
    let around = pairs(&[("2024-01-01", "2024-01-03"), ("2024-01-05", "2024-01-10")]);
    assert_eq!(chunks(&report, "by_department", "03_write"), around);
    assert_eq!(chunks(&report, "weekly", "03_write"), around);
    assert_eq!(published(&report, "daily_active"), days(1, 10));
    // One key was left unprocessed and asked for again.
    let asks: Vec<&Value> = report["glue"]
        .as_array()
        .expect("glue")
        .iter()
        .filter(|g| g["call"] == "batchGetPartition")
        .collect();
    assert_eq!(asks.len(), 3);
    assert_eq!(
        asks[1]["args"]["PartitionsToGet"]
            .as_array()
            .expect("keys")
            .len(),
        1
    );
}

#[test]
fn throttling_is_retried_with_the_same_request_token() {
    let Some(r) = runner(&small("UTC"), 30, "retry") else {
        return;
    };
    let report = r.run(json!({
        "input": {"dates": ["2024-01-02"], "kpis": ["daily_active"]},
        "fail": [{"kpi": "daily_active", "statement": "03_write", "error": "Athena.TooManyRequestsException", "times": 2}]
    }));
    assert_eq!(report["status"], "SUCCEEDED", "{report}");
    let writes: Vec<&Value> = report["queries"]
        .as_array()
        .expect("queries")
        .iter()
        .filter(|q| q["statement"] == "03_write")
        .collect();
    assert_eq!(writes.len(), 3);
    assert!(writes.iter().all(|q| q["token"] == writes[0]["token"]));
    let token = writes[0]["token"].as_str().expect("token");
    assert!(
        token.len() >= 32 && token.len() <= 128 && token.ends_with("-03_write"),
        "{token}"
    );
    // A redrive of the same execution writes a fresh attempt.
    let again =
        r.run(json!({"input": {"dates": ["2024-01-02"], "kpis": ["daily_active"]}, "redrive": 1}));
    assert_ne!(again["queries"][2]["attempt"], writes[0]["attempt"]);
}

#[test]
fn invalid_input_fails_before_any_task() {
    let Some(r) = runner(&small("UTC"), 30, "invalid") else {
        return;
    };
    for (input, cause) in [
        (
            json!({"dates": ["2023-02-29"]}),
            r#""dates" holds "2023-02-29", which is not a real calendar day"#,
        ),
        (
            json!({"dates": ["2024-02-30"]}),
            r#""2024-02-30", which is not a real calendar day"#,
        ),
        (json!({"dates": ["2024-1-05"]}), r#""2024-1-05""#),
        (
            json!({"dates": ["2024-01-01'; DROP TABLE x; --"]}),
            "DROP TABLE x",
        ),
        (json!({"dates": [20240101]}), "holds 20240101,"),
        (
            json!({"dates": "2024-01-01"}),
            r#""dates" must be a non-empty list"#,
        ),
        (json!({"dates": []}), r#""dates" must be a non-empty list"#),
        (
            json!({"from": "2024-01-05", "to": "2024-01-01"}),
            r#""from" 2024-01-05 is after "to" 2024-01-01"#,
        ),
        (json!({"from": "2024-01-05"}), r#""to" is nothing"#),
        (
            json!({"from": "2024-01-01", "to": "2024-03-01"}),
            "spans 61 days; one execution computes at most 30",
        ),
        (
            json!({"dates": ["2024-01-01", "2024-01-31"]}),
            "31 days; one execution covers at most 30",
        ),
        (
            json!({"dates": ["2024-01-01", "2024-01-03", "2024-01-05", "2024-01-07", "2024-01-09"]}),
            "the days form 5 runs of consecutive days; one execution computes at most 4",
        ),
        (
            json!({"dates": ["2023-12-31"]}),
            "day 2023-12-31 is before the project's history_start 2024-01-01",
        ),
        (
            json!({"dates": ["2024-01-01"], "to": "2024-01-02"}),
            "either",
        ),
        (
            json!({"kpis": ["weekly", "nope"]}),
            r#""kpis" names "nope", which is not a KPI of this project"#,
        ),
        (
            json!({"kpis": "weekly"}),
            r#""kpis" must be a non-empty list of KPI names, not "weekly""#,
        ),
        (json!([]), "the input must be a JSON object"),
    ] {
        let report = r.run(json!({"input": input}));
        assert_eq!(report["status"], "FAILED", "{input}");
        assert_eq!(report["error"], "Kpi.InvalidInput", "{input}");
        let got = report["cause"].as_str().expect("cause");
        assert!(got.contains(cause), "{input}: {got}");
        assert_eq!(report["queries"], json!([]), "{input}");
        assert_eq!(report["glue"], json!([]), "{input}");
    }
}

#[test]
fn the_default_day_is_yesterday_in_the_project_time_zone() {
    let Some(r) = runner(&small("Europe/Paris"), 30, "tz") else {
        return;
    };
    for (start, day) in [
        // CET (+1): 23:30 UTC is already the next day in Paris.
        ("2024-03-30T22:30:00Z", "2024-03-29"),
        ("2024-03-30T23:30:00Z", "2024-03-30"),
        // CEST (+2) from 2024-03-31 01:00 UTC.
        ("2024-06-15T21:59:59Z", "2024-06-14"),
        ("2024-06-15T22:00:00.000Z", "2024-06-15"),
        // Back to CET on 2024-10-27 at 01:00 UTC.
        ("2024-10-26T22:00:00Z", "2024-10-26"),
        ("2024-10-27T23:00:00Z", "2024-10-27"),
        ("2024-10-27T22:59:00Z", "2024-10-26"),
    ] {
        // The crawler's EventBridge event carries no dates: it means the default day.
        let event = json!({"version": "0", "source": "aws.glue", "detail-type": "Glue Crawler State Change",
                           "detail": {"state": "Succeeded", "crawlerName": "lake-crawler"}});
        for input in [json!({}), event] {
            let report = r.run(json!({"input": input, "startTime": start}));
            assert_eq!(report["status"], "SUCCEEDED", "{start}");
            assert_eq!(report["output"]["from"], day, "{start}");
            assert_eq!(report["output"]["days"], 1);
        }
    }
}

#[test]
fn a_long_backfill_of_many_kpis_runs_in_batches() {
    let built = support::build(
        &support::project_yaml("UTC", 8),
        &[("catalog/lake.yaml", support::CATALOG)],
        &[("many.kpi", &support::many_kpis(48))],
    );
    let (m, _) = machine(&built, 366);
    let batch = m
        .stats
        .batch_sizes
        .iter()
        .find(|(p, _)| p == "Level0")
        .map(|(_, c)| *c)
        .expect("Level0");
    let Some(r) = runner(&built, 366, "batches") else {
        return;
    };
    let report = r.run(json!({
        "input": {"from": "2024-01-01", "to": "2024-07-31"},
        "fail": [{"kpi": "k3", "statement": "03_write", "day": "2024-05-02"}]
    }));
    assert_eq!(report["status"], "FAILED");
    // k3's second chunk (2024-04-10 to 2024-07-18, 100 days), and up3 (k3 over 7 days) on
    // those days and the 6 after.
    let cause = report["cause"].as_str().expect("cause");
    assert!(
        cause.starts_with("206 KPI-day(s) failed: k3 2024-04-10: "),
        "{cause}"
    );
    let runs: Vec<u64> = report["mapRuns"]
        .as_array()
        .expect("runs")
        .iter()
        .filter(|r| r["state"] == "Level0.Run")
        .map(|r| r["items"].as_u64().unwrap_or(0))
        .collect();
    // 48 KPIs × 3 chunks (100, 100, 13 days).
    assert_eq!(runs.iter().sum::<u64>(), 48 * 3);
    assert!(
        runs.len() as u64 == (48 * 3_u64).div_ceil(batch),
        "{runs:?} (batch {batch})"
    );
    assert!(runs.iter().all(|n| *n <= batch));
    assert_eq!(
        chunks(&report, "up3", "03_write"),
        pairs(&[("2024-01-01", "2024-04-09"), ("2024-07-25", "2024-07-31")])
    );
}

#[test]
fn two_hundred_kpis_send_each_kpi_its_own_sql() {
    let built = support::generated(200);
    let Some(r) = runner(&built, 366, "generated-200") else {
        return;
    };
    let report = r.run(json!({
        "input": {"from": "2024-03-01", "to": "2024-03-02"},
        "keepText": true,
        "checkFailures": [{"kpi": "k8", "day": "2024-03-01", "failure": "events > 0 fails"}]
    }));
    assert_eq!(report["status"], "FAILED");
    // k8 on 2024-03-01, and k9_daily (reading it over 7 days) on both days.
    let cause = report["cause"].as_str().expect("cause");
    assert!(
        cause.starts_with("3 KPI-day(s) failed: k8 2024-03-01: Kpi.CheckFailed: events > 0 fails"),
        "{cause}"
    );
    assert!(
        cause.contains("k9_daily 2024-03-02: Kpi.UpstreamFailed: upstream k8 2024-03-01 failed")
    );
    let all = report["queries"].as_array().expect("queries");
    // Every query is exactly its KPI's statement for its chunk and attempt.
    for q in all {
        let kpi = q["kpi"].as_str().expect("kpi");
        let name = q["statement"].as_str().expect("statement");
        let statement = built
            .sql
            .kpis
            .iter()
            .find(|k| k.kpi == kpi)
            .and_then(|k| k.statements.iter().find(|s| s.name == name))
            .expect("statement");
        let expected = statement.athena.render_with(|p| match p {
            kpi_contract::Param::FirstDay => q["first"].as_str().unwrap_or_default().to_string(),
            kpi_contract::Param::LastDay => q["last"].as_str().unwrap_or_default().to_string(),
            kpi_contract::Param::Attempt => q["attempt"].as_str().unwrap_or_default().to_string(),
            kpi_contract::Param::Lake => String::new(),
        });
        assert_eq!(q["text"].as_str(), Some(expected.as_str()), "{kpi} {name}");
    }
    // Setup: 2 per KPI; one write and one check per KPI but k9_daily, whose days are blocked.
    assert_eq!(all.len(), 2 * 200 + 2 * 199);
}
