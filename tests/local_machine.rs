//! The compiled state machine, run unchanged by the local ASL interpreter with Athena and Glue
//! answered as AWS would (`tests/machine/aws.rs`): a year's backfill makes one write and one
//! check per KPI per chunk, level by level, every query exactly its statement's text (decoded
//! by the interpreter's own `States.Format`); a day whose check fails is not published and its
//! neighbours are; an upstream failure or a missing source partition blocks exactly the days
//! whose windows read it; a failed write fails its chunk; existing partitions are updated and
//! new ones created; invalid input never reaches a Task.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod machine;

use kpi_asl::Status;
use machine::aws::{ATHENA_SYNC, CREATE, GET_PARTITIONS, UPDATE};
use machine::{Aws, Built, Call, build_dir, days_between, test_project};
use serde_json::json;
use std::collections::BTreeSet;
use std::sync::OnceLock;

/// A KPI reading another over 7 days, `chunk_days` days per chunk.
fn weekly(chunk_days: u32) -> Built {
    test_project(
        &format!("  chunk_days: {chunk_days}\n"),
        "kpi daily {\n  from events e\n  group by e.company_id\n  measure n = count(*)\n  check n > 0\n}\n\n\
         kpi weekly {\n  from daily d over 7 days\n  group by d.company_id\n  measure n = sum(d.n)\n}\n",
    )
}

/// A KPI with 150 measures: a hundred of its partitions do not fit one Glue request.
fn wide() -> Built {
    let measures: String = (0..150)
        .map(|i| format!("  measure m{i} = count(*) + {i}\n"))
        .collect();
    test_project(
        "",
        &format!("kpi wide {{\n  from events e\n  group by e.company_id\n{measures}}}\n"),
    )
}

fn pipelines() -> &'static Built {
    static BUILT: OnceLock<Built> = OnceLock::new();
    BUILT.get_or_init(|| build_dir(&common::root().join("pipelines")))
}

/// The (first, last) of each write of a KPI, in order.
fn chunks(aws: &Aws, kpi: &str, statement: &str) -> Vec<(String, String)> {
    aws.calls_to(ATHENA_SYNC)
        .iter()
        .filter(|c| c.kpi() == kpi && c.statement() == statement)
        .map(|c| (c.first().to_string(), c.last().to_string()))
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

/// Every Athena query is exactly its KPI's statement for its item's days and attempt.
fn assert_texts(built: &Built, calls: &[Call]) -> usize {
    let mut n = 0;
    for c in calls.iter().filter(|c| c.resource == ATHENA_SYNC) {
        let expected = built.text(c.kpi(), c.statement(), c.first(), c.last(), c.attempt());
        assert_eq!(
            c.parameters["QueryString"].as_str(),
            Some(expected.as_str()),
            "{} {}",
            c.kpi(),
            c.state
        );
        n += 1;
    }
    n
}

#[test]
fn a_year_long_backfill_writes_and_checks_each_chunk_once_in_level_order() {
    let b = pipelines();
    let aws = Aws::new(b, "2023-11-01", "2024-12-31");
    let exec = b.run(json!({"from": "2024-01-01", "to": "2024-12-31"}), &aws);
    assert_eq!(exec.status, Status::Succeeded, "{}", exec.result_json());
    let kpis: Vec<String> = b.plan.kpis.iter().map(|k| k.name.clone()).collect();
    assert_eq!(kpis.len(), 16);
    let output = exec.output.unwrap();
    assert_eq!(output["days"], 366);
    assert_eq!(output["kpiDays"], 366 * 16);
    assert_eq!(output["failed"], 0);
    let year = pairs(&[
        ("2024-01-01", "2024-04-09"),
        ("2024-04-10", "2024-07-18"),
        ("2024-07-19", "2024-10-26"),
        ("2024-10-27", "2024-12-31"),
    ]);
    let calls = aws.calls();
    for kpi in &kpis {
        assert_eq!(chunks(&aws, kpi, "03_write"), year, "{kpi}");
        assert_eq!(chunks(&aws, kpi, "04_check"), year, "{kpi}");
        assert_eq!(chunks(&aws, kpi, "01_create_table").len(), 1, "{kpi}");
        assert_eq!(chunks(&aws, kpi, "02_create_attempts_table").len(), 1);
        assert_eq!(aws.published(kpi).len(), 366, "{kpi}");
    }
    // 16 × (2 setup + 4 × 2) statements, each exactly its text.
    assert_eq!(assert_texts(b, &calls), 16 * 10);
    // Level order: every write of a level before any of the next.
    let position = |kpi: &str, last: bool| {
        let found = calls
            .iter()
            .enumerate()
            .filter(|(_, c)| c.kpi() == kpi && c.statement() == "03_write")
            .map(|(i, _)| i);
        if last { found.max() } else { found.min() }.unwrap()
    };
    let levels = b.plan.levels();
    assert_eq!(levels, 3);
    for level in 1..levels {
        for upstream in b.kpis_of_level(level - 1) {
            for kpi in b.kpis_of_level(level) {
                assert!(
                    position(&upstream, true) < position(&kpi, false),
                    "{upstream} {kpi}"
                );
            }
        }
    }
    // One attempt per item, shared by its write, check and partitions.
    let writes: Vec<&Call> = calls
        .iter()
        .filter(|c| c.statement() == "03_write")
        .collect();
    let attempts: BTreeSet<&str> = writes.iter().map(|c| c.attempt()).collect();
    assert_eq!(attempts.len(), 16 * 4);
    assert!(
        attempts
            .iter()
            .all(|a| a.len() == 64 && a.bytes().all(|c| c.is_ascii_hexdigit()))
    );
    // Glue: four creates per KPI, each of its chunk's days.
    let creates = aws.calls_to(CREATE);
    assert_eq!(creates.len(), 16 * 4);
    assert!(aws.calls_to(UPDATE).is_empty());
    for c in &creates {
        let n = c.parameters["PartitionInputList"].as_array().unwrap().len();
        assert!(n == 100 || (n == 66 && c.first() == "2024-10-27"), "{n}");
    }
    // A published partition: the attempt's prefix, the table's storage without comments,
    // the fingerprint, the attempt, the rows the check counted, and whether it is partial.
    let mam = b.plan.kpi("monthly_active_members").unwrap();
    let attempt = writes
        .iter()
        .find(|c| c.kpi() == "monthly_active_members" && c.first() == "2024-01-01")
        .unwrap()
        .attempt();
    for (day, offset, partial) in [("2024-01-29", 28, "true"), ("2024-01-30", 29, "false")] {
        let p = aws.partition("monthly_active_members", day).unwrap();
        assert_eq!(p["Values"], json!([day]));
        assert_eq!(
            p["StorageDescriptor"]["Location"],
            format!("{}dt={day}/attempt={attempt}/", mam.attempts_location)
        );
        assert_eq!(
            p["StorageDescriptor"]["InputFormat"],
            "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
        );
        let columns = p["StorageDescriptor"]["Columns"].as_array().unwrap();
        assert_eq!(columns.len(), mam.columns.len());
        assert!(
            columns
                .iter()
                .all(|c| c.get("Comment").is_none() && c["Type"].is_string())
        );
        assert_eq!(
            p["Parameters"],
            json!({"kpi.fingerprint": mam.fingerprint, "kpi.attempt": attempt,
                   "kpi.rows": (10 + offset).to_string(), "kpi.partial": partial})
        );
    }
    // Every partition of every KPI: its day, the prefix of the attempt that wrote its chunk,
    // the KPI's fingerprint.
    for kpi in &b.plan.kpis {
        for c in writes.iter().filter(|c| c.kpi() == kpi.name) {
            for day in days_between(c.first(), c.last()) {
                let p = aws.partition(&kpi.name, &day).unwrap();
                assert_eq!(p["Values"], json!([day]));
                assert_eq!(
                    p["StorageDescriptor"]["Location"],
                    format!("{}dt={day}/attempt={}/", kpi.attempts_location, c.attempt())
                );
                assert_eq!(p["Parameters"]["kpi.fingerprint"], kpi.fingerprint.as_str());
                assert_eq!(p["Parameters"]["kpi.attempt"], c.attempt());
                assert_eq!(p["Parameters"].as_object().unwrap().len(), 4);
            }
        }
    }
    // A KPI reading one day only is never partial.
    let p = aws.partition("daily_active_members", "2024-01-01").unwrap();
    assert_eq!(p["Parameters"]["kpi.partial"], "false");
    // Glue was asked about each source's partitions from history_start to the last day.
    let asked: BTreeSet<(String, String)> = aws
        .calls_to(GET_PARTITIONS)
        .iter()
        .flat_map(|c| {
            let table = format!(
                "{}.{}",
                c.parameters["DatabaseName"].as_str().unwrap(),
                c.parameters["TableName"].as_str().unwrap()
            );
            c.parameters["PartitionsToGet"]
                .as_array()
                .unwrap()
                .iter()
                .map(move |k| (table.clone(), k["Values"][0].as_str().unwrap().to_string()))
                .collect::<Vec<_>>()
        })
        .collect();
    for table in ["app_logs.events", "master.members"] {
        let days: Vec<&String> = asked
            .iter()
            .filter(|(t, _)| t == table)
            .map(|(_, d)| d)
            .collect();
        assert_eq!(days.len(), 366, "{table}");
        assert_eq!(days[0], "2024-01-01");
    }
}

#[test]
fn a_day_whose_check_fails_is_not_published_and_its_neighbours_are() {
    let b = pipelines();
    let mut aws = Aws::new(b, "2023-11-01", "2024-03-31");
    let why = "activity.kpi:16: active > 0 fails on 2 rows";
    aws.check_failures.insert(
        ("daily_active_members".into(), "2024-03-02".into()),
        why.into(),
    );
    let exec = b.run(json!({"from": "2024-03-01", "to": "2024-03-05"}), &aws);
    assert_eq!(exec.status, Status::Failed);
    assert_eq!(exec.error.as_deref(), Some("Kpi.Failed"));
    let cause = exec.cause.unwrap();
    assert!(cause.starts_with("3 KPI-day(s) failed: "), "{cause}");
    for part in [
        format!("daily_active_members 2024-03-02: Kpi.CheckFailed: {why}"),
        "stickiness 2024-03-02: Kpi.UpstreamFailed: upstream daily_active_members 2024-03-02 failed".into(),
        "engagement_score 2024-03-02: Kpi.UpstreamFailed: upstream stickiness 2024-03-02 failed".into(),
    ] {
        assert!(cause.contains(&part), "{cause}");
    }
    assert_eq!(
        aws.published("daily_active_members"),
        ["2024-03-01", "2024-03-03", "2024-03-04", "2024-03-05"]
    );
    let create = aws
        .calls_to(CREATE)
        .into_iter()
        .find(|c| c.kpi() == "daily_active_members")
        .unwrap();
    let days: Vec<&str> = create.parameters["PartitionInputList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["Values"][0].as_str().unwrap())
        .collect();
    assert_eq!(
        days,
        ["2024-03-01", "2024-03-03", "2024-03-04", "2024-03-05"]
    );
    // What reads the failed day runs around it, as two sub-chunks.
    let around = pairs(&[("2024-03-01", "2024-03-01"), ("2024-03-03", "2024-03-05")]);
    assert_eq!(chunks(&aws, "stickiness", "03_write"), around);
    assert_eq!(chunks(&aws, "engagement_score", "03_write"), around);
    assert_eq!(aws.published("engagement_score").len(), 4);
    assert_eq!(chunks(&aws, "reply_rate", "03_write").len(), 1);
    assert_eq!(aws.published("reply_rate").len(), 5);
    assert_texts(b, &aws.calls());
}

#[test]
fn an_upstream_failure_blocks_exactly_the_days_whose_windows_read_it() {
    for (chunk_days, daily, weekly_chunks) in [
        (
            100,
            vec![("2024-01-01", "2024-01-20")],
            vec![("2024-01-01", "2024-01-04"), ("2024-01-12", "2024-01-20")],
        ),
        (
            5,
            vec![
                ("2024-01-01", "2024-01-05"),
                ("2024-01-06", "2024-01-10"),
                ("2024-01-11", "2024-01-15"),
                ("2024-01-16", "2024-01-20"),
            ],
            vec![
                ("2024-01-01", "2024-01-04"),
                ("2024-01-12", "2024-01-16"),
                ("2024-01-17", "2024-01-20"),
            ],
        ),
    ] {
        let b = weekly(chunk_days);
        let mut aws = Aws::new(&b, "2023-12-01", "2024-01-31");
        aws.check_failures
            .insert(("daily".into(), "2024-01-05".into()), "n > 0 fails".into());
        let exec = b.run(json!({"from": "2024-01-01", "to": "2024-01-20"}), &aws);
        assert_eq!(exec.status, Status::Failed);
        let cause = exec.cause.unwrap();
        // daily on the 5th; weekly from the 5th to the 11th, each naming the failed day.
        assert!(
            cause.starts_with("8 KPI-day(s) failed: daily 2024-01-05: "),
            "{cause}"
        );
        for d in 5..=11 {
            assert!(
                cause.contains(&format!(
                    "weekly 2024-01-{d:02}: Kpi.UpstreamFailed: upstream daily 2024-01-05 failed"
                )),
                "{cause}"
            );
        }
        assert_eq!(
            chunks(&aws, "daily", "03_write"),
            pairs(&daily),
            "{chunk_days}"
        );
        assert_eq!(
            chunks(&aws, "weekly", "03_write"),
            pairs(&weekly_chunks),
            "{chunk_days}"
        );
        assert_eq!(aws.published("weekly").len(), 20 - 7);
        assert_eq!(aws.published("daily").len(), 19);
    }
}

#[test]
fn a_failed_write_fails_its_whole_chunk() {
    let b = pipelines();
    let mut aws = Aws::new(b, "2023-11-01", "2024-03-31");
    aws.failing_writes
        .insert(("reply_rate".into(), "2024-03-03".into()));
    let exec = b.run(json!({"from": "2024-03-01", "to": "2024-03-05"}), &aws);
    assert_eq!(exec.status, Status::Failed);
    let cause = exec.cause.unwrap();
    // Five days of reply_rate, and of engagement_score, which reads it.
    assert!(cause.starts_with("10 KPI-day(s) failed: "), "{cause}");
    for d in 1..=3 {
        assert!(
            cause.contains(&format!(
                "reply_rate 2024-03-0{d}: Athena.AmazonAthenaException: HIVE_BAD_DATA: broken file for reply_rate"
            )),
            "{cause}"
        );
    }
    assert!(cause.contains(
        "engagement_score 2024-03-01: Kpi.UpstreamFailed: upstream reply_rate 2024-03-01 failed"
    ));
    assert!(aws.published("reply_rate").is_empty());
    assert!(chunks(&aws, "reply_rate", "04_check").is_empty());
    assert!(
        aws.calls()
            .iter()
            .all(|c| c.kpi() != "reply_rate" || c.statement() != "GetTable")
    );
    assert!(chunks(&aws, "engagement_score", "03_write").is_empty());
    assert_eq!(aws.published("stickiness").len(), 5);
}

#[test]
fn existing_partitions_are_updated_and_new_ones_created() {
    let b = pipelines();
    let aws = Aws::new(b, "2023-11-01", "2024-03-31");
    aws.publish_before("daily_active_members", "2024-03-02");
    let exec = b.run(json!({"from": "2024-03-01", "to": "2024-03-03"}), &aws);
    assert_eq!(exec.status, Status::Succeeded, "{}", exec.result_json());
    let of = |resource: &str| -> Vec<Call> {
        aws.calls_to(resource)
            .into_iter()
            .filter(|c| c.kpi() == "daily_active_members")
            .collect()
    };
    let (creates, updates) = (of(CREATE), of(UPDATE));
    assert_eq!((creates.len(), updates.len()), (1, 1));
    assert_eq!(
        aws.calls_to(UPDATE).len(),
        1,
        "only that KPI had a partition"
    );
    let create = &creates[0].parameters;
    assert_eq!(create["DatabaseName"], "engagement_kpi");
    assert_eq!(create["TableName"], "daily_active_members");
    let inputs = create["PartitionInputList"].as_array().unwrap();
    assert_eq!(inputs.len(), 3);
    let update = &updates[0].parameters;
    assert_eq!(update["TableName"], "daily_active_members");
    let entries = update["Entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["PartitionValueList"], json!(["2024-03-02"]));
    // The update carries the same partition the create offered for that day.
    assert_eq!(entries[0]["PartitionInput"], inputs[1]);
    let now = aws.partition("daily_active_members", "2024-03-02").unwrap();
    assert_eq!(now, inputs[1]);
    assert_eq!(
        now["Parameters"]["kpi.attempt"],
        creates[0].parameters["PartitionInputList"][1]["Parameters"]["kpi.attempt"]
    );
    assert_ne!(now["Parameters"]["kpi.attempt"], "old");
    assert!(
        now["StorageDescriptor"]["Location"]
            .as_str()
            .unwrap()
            .contains("/dt=2024-03-02/attempt=")
    );
}

#[test]
fn a_wide_table_is_published_in_as_many_glue_calls_as_it_needs() {
    let b = wide();
    let aws = Aws::new(&b, "2024-01-01", "2024-12-31");
    for d in 0..60 {
        let day = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap() + chrono::Days::new(d);
        aws.publish_before("wide", &day.format("%Y-%m-%d").to_string());
    }
    let exec = b.run(json!({"from": "2024-01-01", "to": "2024-04-09"}), &aws);
    assert_eq!(exec.status, Status::Succeeded, "{}", exec.result_json());
    let days_of = |c: &Call, list: &str, values: &str| -> Vec<String> {
        c.parameters[list]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e[values][0].as_str().unwrap().to_string())
            .collect()
    };
    let creates = aws.calls_to(CREATE);
    let updates = aws.calls_to(UPDATE);
    assert!(creates.len() >= 2, "{} creates", creates.len());
    assert!(updates.len() >= 2, "{} updates", updates.len());
    let mut offered: Vec<String> = creates
        .iter()
        .flat_map(|c| days_of(c, "PartitionInputList", "Values"))
        .collect();
    assert_eq!(offered.len(), 100, "every day offered once");
    offered.dedup();
    assert_eq!(offered.len(), 100);
    let updated: Vec<String> = updates
        .iter()
        .flat_map(|c| days_of(c, "Entries", "PartitionValueList"))
        .collect();
    assert_eq!(updated.len(), 60);
    assert_eq!(updated[0], "2024-01-01");
    for c in creates.iter().chain(&updates) {
        let bytes = c.parameters.to_string().len();
        assert!(bytes < 200_000, "a Glue request of {bytes} bytes");
    }
    assert_eq!(aws.published("wide").len(), 100);
    let p = aws.partition("wide", "2024-01-15").unwrap();
    assert_ne!(p["Parameters"]["kpi.attempt"], "old");
    assert_eq!(
        p["StorageDescriptor"]["Columns"].as_array().unwrap().len(),
        151
    );
}

#[test]
fn a_missing_source_partition_fails_the_days_whose_windows_need_it() {
    let b = pipelines();
    let mut aws = Aws::new(b, "2023-11-01", "2024-03-31");
    let events = aws.sources.get_mut("app_logs.events").unwrap();
    events.remove("2024-02-20");
    events.remove("2024-03-03");
    *aws.unprocessed.lock().unwrap() = 1;
    let exec = b.run(json!({"from": "2024-03-01", "to": "2024-03-05"}), &aws);
    assert_eq!(exec.status, Status::Failed);
    let cause = exec.cause.unwrap();
    let missing = |kpi: &str, day: &str, partition: &str| {
        format!("{kpi} {day}: Kpi.MissingInput: no partition app_logs.events dt={partition}")
    };
    // A 30-day window reads 2024-02-20 on each of the five days; one day reads only its own.
    for d in 1..=5 {
        let day = format!("2024-03-0{d}");
        assert!(
            cause.contains(&missing("monthly_active_members", &day, "2024-02-20")),
            "{cause}"
        );
    }
    assert!(
        cause.contains(&missing("daily_active_members", "2024-03-03", "2024-03-03")),
        "{cause}"
    );
    assert!(
        cause.contains(&missing(
            "weekly_active_members",
            "2024-03-05",
            "2024-03-03"
        )),
        "{cause}"
    );
    assert_eq!(
        chunks(&aws, "daily_active_members", "03_write"),
        pairs(&[("2024-03-01", "2024-03-02"), ("2024-03-04", "2024-03-05")])
    );
    assert_eq!(
        chunks(&aws, "weekly_active_members", "03_write"),
        pairs(&[("2024-03-01", "2024-03-02")])
    );
    assert!(chunks(&aws, "monthly_active_members", "03_write").is_empty());
    // Glue left one key unprocessed once: it was asked for again, alone.
    let asks = aws.calls_to(GET_PARTITIONS);
    let keys = |c: &Call| c.parameters["PartitionsToGet"].as_array().unwrap().clone();
    let first = keys(&asks[0]);
    assert_eq!(keys(&asks[1]), vec![first.last().unwrap().clone()]);
    assert_eq!(asks[1].item, asks[0].item);
}

#[test]
fn invalid_input_never_reaches_a_task() {
    let b = pipelines();
    for (input, problem) in [
        (json!({"dates": ["2024-02-30"]}), "not a real calendar day"),
        (
            json!({"from": "2024-03-05", "to": "2024-03-01"}),
            "is after",
        ),
        (
            json!({"dates": ["2024-03-01"], "kpis": ["nope"]}),
            "not a KPI of this project",
        ),
        (
            json!({"dates": ["2024-03-01'; DROP TABLE x; --"]}),
            "DROP TABLE",
        ),
        (
            json!({"from": "2024-01-01", "to": "2025-01-01"}),
            "spans 367 days",
        ),
        (
            json!({"dates": ["2024-03-01", "2024-03-03", "2024-03-05", "2024-03-07", "2024-03-09"]}),
            "the days form 5 runs of consecutive days; one execution computes at most 4",
        ),
    ] {
        let aws = Aws::new(b, "2024-01-01", "2024-12-31");
        let exec = b.run(input.clone(), &aws);
        assert_eq!(
            exec.error.as_deref(),
            Some("Kpi.InvalidInput"),
            "{input}: {:?}",
            exec.cause
        );
        assert!(
            exec.cause.as_deref().unwrap_or("").contains(problem),
            "{input}: {:?}",
            exec.cause
        );
        assert!(aws.calls().is_empty(), "{input}");
    }
    assert_eq!(pipelines().stats.max_runs, 4);
}
