//! Runs the emitted state machine on a small ASL runner (JavaScript, with the `jsonata` package
//! that asl-validator brings into `.tools/node`) with Athena faked: inputs are validated, days
//! worked out in the project's time zone, levels run in order, a failed KPI-day blocks the
//! KPI-days reading it, retries reuse the request token, and the execution ends as designed.
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

fn queries(report: &Value) -> Vec<(String, String, String)> {
    report["queries"]
        .as_array()
        .expect("queries")
        .iter()
        .map(|q| {
            (
                q["kpi"].as_str().unwrap_or_default().to_string(),
                q["statement"].as_str().unwrap_or_default().to_string(),
                q["day"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn days(from: u32, to: u32) -> Vec<String> {
    (from..=to).map(|d| format!("2024-01-{d:02}")).collect()
}

#[test]
fn a_backfill_runs_every_statement_once_level_by_level() {
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
    // 3 KPIs × 2 setup statements, then per day: daily_active 4, by_department 3, weekly 3.
    assert_eq!(q.len(), 6 + 10 * (4 + 3 + 3));
    let mut unique = q.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), q.len(), "a statement ran twice");
    for d in days(1, 10) {
        for (kpi, statement) in [("daily_active", "03_write"), ("weekly", "06_set_location")] {
            assert!(
                q.contains(&(kpi.into(), statement.into(), d.clone())),
                "{kpi} {statement} {d}"
            );
        }
    }
    // Setup first; level 1 (weekly) only after every level-0 query.
    assert!(
        q[..6]
            .iter()
            .all(|(_, s, _)| s.starts_with("01_") || s.starts_with("02_"))
    );
    let last_level0 = q
        .iter()
        .rposition(|(k, _, _)| k != "weekly")
        .expect("level 0");
    let first_weekly_write = q
        .iter()
        .position(|(k, s, _)| k == "weekly" && s == "03_write")
        .expect("weekly");
    assert!(last_level0 < first_weekly_write);
    // Every query got its day and attempt; attempts differ per KPI-day.
    let all = report["queries"].as_array().expect("queries");
    let setup = |q: &&Value| q["statement"].as_str().is_some_and(|s| s < "03");
    assert!(
        all.iter()
            .filter(|q| !setup(q))
            .all(|q| q["hasAttempt"] == true)
    );
    assert!(
        all.iter()
            .filter(|q| q["statement"] == "03_write")
            .all(|q| q["hasDay"] == true)
    );
    let mut attempts: Vec<(&str, &str, &str)> = all
        .iter()
        .filter(|q| q["statement"] == "03_write")
        .map(|q| {
            (
                q["attempt"].as_str().unwrap_or(""),
                q["kpi"].as_str().unwrap_or(""),
                q["day"].as_str().unwrap_or(""),
            )
        })
        .collect();
    attempts.sort();
    attempts.dedup_by(|a, b| a.0 == b.0);
    assert_eq!(attempts.len(), 30);
}

#[test]
fn a_failed_kpi_day_blocks_the_days_that_read_it() {
    let Some(r) = runner(&small("UTC"), 30, "blocked") else {
        return;
    };
    let reason = "kpi daily_active day 2024-01-03: check failed (active > 0) on 1 rows";
    let report = r.run(json!({
        "input": {"from": "2024-01-01", "to": "2024-01-10"},
        "fail": [{"kpi": "daily_active", "statement": "04_check", "day": "2024-01-03", "reason": reason}]
    }));
    assert_eq!(report["status"], "FAILED");
    assert_eq!(report["error"], "Kpi.Failed");
    let cause = report["cause"].as_str().expect("cause");
    assert!(cause.starts_with("8 KPI-day(s) failed: "), "{cause}");
    assert!(
        cause.contains(&format!(
            "daily_active 2024-01-03: Athena.AmazonAthenaException: {reason}"
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
    let q = queries(&report);
    let ran = |kpi: &str, statement: &str, day: &str| {
        q.contains(&(kpi.into(), statement.into(), day.into()))
    };
    assert!(
        !ran("daily_active", "05_add_partition", "2024-01-03"),
        "a failed check must not publish"
    );
    assert!(ran("daily_active", "05_add_partition", "2024-01-04"));
    for d in days(3, 9) {
        assert!(!ran("weekly", "03_write", &d), "weekly {d} ran");
    }
    for d in ["2024-01-01", "2024-01-02", "2024-01-10"] {
        assert!(
            ran("weekly", "06_set_location", d),
            "weekly {d} did not run"
        );
    }
    assert!(
        days(1, 10)
            .iter()
            .all(|d| ran("by_department", "06_set_location", d))
    );
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
    // Only the selected KPIs ran: daily_active was not asked for.
    assert!(queries(&report).iter().all(|(k, _, _)| k != "daily_active"));
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
}

#[test]
fn invalid_input_fails_before_any_query() {
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
            json!({"dates": ["2024-01-01", "2024-03-01"]}),
            "61 days; one execution covers at most 30",
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
fn a_long_backfill_of_many_kpis_runs_in_chunks() {
    let built = support::build(
        &support::project_yaml("UTC", 8),
        &[("catalog/lake.yaml", support::CATALOG)],
        &[("many.kpi", &support::many_kpis(48))],
    );
    let (m, _) = machine(&built, 30);
    let chunk = m
        .stats
        .chunk_sizes
        .iter()
        .find(|(p, _)| p == "Level0")
        .map(|(_, c)| *c)
        .expect("Level0");
    let Some(r) = runner(&built, 30, "chunks") else {
        return;
    };
    let report = r.run(json!({
        "input": {"from": "2024-01-01", "to": "2024-01-10"},
        "fail": [{"kpi": "k3", "statement": "03_write", "day": "2024-01-02"}]
    }));
    assert_eq!(report["status"], "FAILED");
    // k3 on day 2, and up3 (reading k3 over 7 days) on days 2 to 8.
    let cause = report["cause"].as_str().expect("cause");
    assert!(
        cause.starts_with("8 KPI-day(s) failed: k3 2024-01-02: "),
        "{cause}"
    );
    assert!(
        cause.contains("up3 2024-01-08: Kpi.UpstreamFailed: upstream k3 2024-01-02 failed"),
        "{cause}"
    );
    let runs: Vec<u64> = report["mapRuns"]
        .as_array()
        .expect("runs")
        .iter()
        .filter(|r| r["state"] == "Level0.Run")
        .map(|r| r["items"].as_u64().unwrap_or(0))
        .collect();
    assert!(
        runs.len() > 1,
        "expected several Map runs, got {runs:?} (chunk {chunk})"
    );
    assert!(runs.iter().all(|n| *n <= chunk));
    assert_eq!(runs.iter().sum::<u64>(), 48 * 10);
    let q = queries(&report);
    let writes = q.iter().filter(|(_, s, _)| s == "03_write").count();
    assert_eq!(writes, 48 * 10 + 12 * 10 - 7);
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
        "fail": [{"kpi": "k8", "statement": "04_check", "day": "2024-03-01"}]
    }));
    assert_eq!(report["status"], "FAILED");
    // k8 on 2024-03-01, and k9_daily (no check: it skipped the check task) reading it over
    // 7 days on both days.
    let cause = report["cause"].as_str().expect("cause");
    assert!(
        cause.starts_with("3 KPI-day(s) failed: k8 2024-03-01: "),
        "{cause}"
    );
    assert!(
        cause.contains("k9_daily 2024-03-02: Kpi.UpstreamFailed: upstream k8 2024-03-01 failed")
    );
    let all = report["queries"].as_array().expect("queries");
    // Every query is exactly its KPI's statement for its day and attempt.
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
        let expected = statement.athena.render(|p| match p {
            kpi_compiler::sql::Param::Day => q["day"].as_str().unwrap_or_default().to_string(),
            kpi_compiler::sql::Param::Attempt => {
                q["attempt"].as_str().unwrap_or_default().to_string()
            }
            kpi_compiler::sql::Param::Lake => String::new(),
        });
        assert_eq!(q["text"].as_str(), Some(expected.as_str()), "{kpi} {name}");
    }
    // Setup: 2 per KPI; each day: 4 per KPI with a check (182), 3 without (18); k8 stops
    // after its failed check on day 1, k9_daily does not run at all.
    assert_eq!(all.len(), 2 * 200 + 2 * (182 * 4 + 17 * 3) - 2);
    let checks = all.iter().filter(|q| q["statement"] == "04_check").count();
    assert_eq!(checks, 2 * 182);
}
