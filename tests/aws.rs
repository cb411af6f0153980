//! The AWS commands against moto's Glue and Step Functions, through the tests' own recording
//! and fault-injecting proxy (`tests/aws_support`): `schema pull` and `schema diff`, `deploy`,
//! `run --target aws --no-wait` planned from Glue's partitions, `status`, `redrive`,
//! `run --target athena` (the built machine in the local interpreter, its Tasks calling moto's
//! Athena and Glue), and the ways a call fails (no credentials, no region, throttling, access
//! denied, a failed query, a missing table or workgroup).
//!
//! moto is used for what it implements (Glue's tables and partitions, state machines and
//! their executions as records, Athena's query records and the results queued for them);
//! nothing here executes a state machine on moto, and moto runs no SQL: the proxy makes a
//! query FAILED, and the tests create the tables Athena's DDL would register.

#![cfg(feature = "aws")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "aws_support/mod.rs"]
mod aws_support;
#[path = "cli_support/mod.rs"]
mod cli_support;
#[path = "support/tools.rs"]
mod tools;

use aws_support::{Fault, Moto, Proxy, Recorded, aws_env, create_partitions, create_tables};
use cli_support::{kpi, pipelines_in, root, run};
use serde_json::{Value, json};
use std::path::Path;
use std::process::Command;

const ROLE: &str = "arn:aws:iam::123456789012:role/kpi";

fn setup(test: &str) -> Option<(Moto, Proxy, tempfile::TempDir)> {
    if !tools::require(test, &[tools::Tool::Moto]) {
        return None;
    }
    let moto = Moto::start(&tools::repo_root());
    let proxy = Proxy::start(moto.port);
    Some((moto, proxy, tempfile::tempdir().unwrap()))
}

fn kpi_aws(proxy: &Proxy, dir: &Path, args: &[&str]) -> cli_support::Run {
    let mut cmd: Command = kpi();
    aws_env(&mut cmd, proxy, dir);
    run(cmd.args(args).current_dir(dir))
}

/// `kpi run --target TARGET --project PROJECT --day DAY` and `more`, through the proxy.
fn run_day(
    proxy: &Proxy,
    dir: &Path,
    target: &str,
    project: &str,
    day: &str,
    more: &[&str],
) -> cli_support::Run {
    let mut args = vec![
        "run",
        "--target",
        target,
        "--project",
        project,
        "--day",
        day,
    ];
    args.extend_from_slice(more);
    kpi_aws(proxy, dir, &args)
}

fn snapshot(name: &str) -> Value {
    let path = root().join("pipelines/catalog").join(name);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The parts of a table the checker reads, for comparing a pulled snapshot with the original.
fn essentials(table: &Value) -> Value {
    let sd = &table["StorageDescriptor"];
    json!({
        "Name": table["Name"],
        "Columns": sd["Columns"],
        "PartitionKeys": table["PartitionKeys"],
        "Location": sd["Location"],
        "InputFormat": sd["InputFormat"],
        "SerdeInfo": sd["SerdeInfo"]["SerializationLibrary"],
        "TableType": table["TableType"],
    })
}

#[test]
fn schema_pull_writes_glue_tables_as_the_cli_does_following_pages() {
    let Some((moto, proxy, dir)) =
        setup("schema_pull_writes_glue_tables_as_the_cli_does_following_pages")
    else {
        return;
    };
    let (app_logs, master) = (snapshot("app_logs.json"), snapshot("master.json"));
    create_tables(&moto, "app_logs", &app_logs);
    create_tables(&moto, "master", &master);
    // A database with more tables than a page, nested types among them.
    let wide: Vec<Value> = (0..7)
        .map(|i| {
            json!({"Name": format!("t{i}"), "TableType": "EXTERNAL_TABLE",
                   "StorageDescriptor": {"Columns": [
                       {"Name": "id", "Type": "bigint", "Comment": "the id"},
                       {"Name": "payload", "Type": "struct<kind:string,tags:array<string>,at:timestamp>"},
                       {"Name": "amount", "Type": "decimal(12,2)"}],
                       "Location": format!("s3://lake/wide/t{i}/"),
                       "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
                       "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"}},
                   "PartitionKeys": [{"Name": "dt", "Type": "string"}]})
        })
        .collect();
    create_tables(&moto, "wide", &json!({"TableList": wide}));
    proxy.fault(
        "GetTables",
        Fault::Page {
            key: "TableList".into(),
            size: 2,
        },
    );
    let out = dir.path().join("catalog");
    let pulled = kpi_aws(
        &proxy,
        dir.path(),
        &[
            "schema",
            "pull",
            "--database",
            "app_logs",
            "--database",
            "master",
            "--database",
            "wide",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(pulled.code, 0, "{}", pulled.stderr);
    let requests = proxy.take();
    let pages = |db: &str| {
        requests
            .iter()
            .filter(|r| r.operation() == "GetTables" && r.body["DatabaseName"] == db)
            .count()
    };
    // 7 tables in pages of 2 take 4 calls; master's 3, 2 calls.
    assert_eq!((pages("wide"), pages("master")), (4, 2));
    for (db, original) in [("app_logs", &app_logs), ("master", &master)] {
        let text = std::fs::read_to_string(out.join(format!("{db}.json"))).unwrap();
        assert!(text.starts_with("{\n    \"TableList\": [\n"), "{text:.80}");
        let got: Value = serde_json::from_str(&text).unwrap();
        let mut want: Vec<Value> = original["TableList"]
            .as_array()
            .unwrap()
            .iter()
            .map(essentials)
            .collect();
        want.sort_by_key(|t| t["Name"].as_str().unwrap().to_string());
        let got: Vec<Value> = got["TableList"]
            .as_array()
            .unwrap()
            .iter()
            .map(essentials)
            .collect();
        assert_eq!(got, want, "{db}");
    }
    let wide_text = std::fs::read_to_string(out.join("wide.json")).unwrap();
    let wide_got: Value = serde_json::from_str(&wide_text).unwrap();
    let names: Vec<&str> = wide_got["TableList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["Name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["t0", "t1", "t2", "t3", "t4", "t5", "t6"]);
    assert_eq!(
        wide_got["TableList"][3]["StorageDescriptor"]["Columns"][1]["Type"],
        "struct<kind:string,tags:array<string>,at:timestamp>"
    );
    // A second pull of the same catalog writes the same bytes.
    let again = kpi_aws(
        &proxy,
        dir.path(),
        &[
            "schema",
            "pull",
            "--database",
            "wide",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(again.stdout.contains("unchanged"), "{}", again.stdout);
    assert_eq!(
        std::fs::read_to_string(out.join("wide.json")).unwrap(),
        wide_text
    );
}

#[test]
fn a_project_checks_against_its_pulled_catalog_and_schema_diff_finds_drift() {
    let Some((moto, proxy, dir)) =
        setup("a_project_checks_against_its_pulled_catalog_and_schema_diff_finds_drift")
    else {
        return;
    };
    create_tables(&moto, "app_logs", &snapshot("app_logs.json"));
    create_tables(&moto, "master", &snapshot("master.json"));
    let project = pipelines_in(dir.path());
    let p = project.to_str().unwrap();
    let pulled = kpi_aws(
        &proxy,
        dir.path(),
        &[
            "schema",
            "pull",
            "--project",
            p,
            "--database",
            "app_logs",
            "--database",
            "master",
        ],
    );
    assert_eq!(pulled.code, 0, "{}", pulled.stderr);
    let checked = run(kpi().args(["check", "--project", p]));
    assert_eq!(checked.code, 0, "{}{}", checked.stdout, checked.stderr);
    let same = kpi_aws(&proxy, dir.path(), &["schema", "diff", "--project", p]);
    assert_eq!(same.code, 0, "{}{}", same.stdout, same.stderr);
    assert!(same.stdout.contains("matches Glue"), "{}", same.stdout);
    // Glue's events table loses `kind` and its `ts` becomes a string.
    let mut events = moto.call(
        "glue",
        "GetTable",
        json!({"DatabaseName": "app_logs", "Name": "events"}),
    )["Table"]
        .clone();
    let columns = events["StorageDescriptor"]["Columns"]
        .as_array_mut()
        .unwrap();
    columns.retain(|c| c["Name"] != "kind");
    for c in columns.iter_mut() {
        if c["Name"] == "ts" {
            c["Type"] = json!("string");
        }
    }
    let input = json!({"Name": "events", "StorageDescriptor": events["StorageDescriptor"],
                       "PartitionKeys": events["PartitionKeys"], "TableType": events["TableType"]});
    moto.call(
        "glue",
        "UpdateTable",
        json!({"DatabaseName": "app_logs", "TableInput": input}),
    );
    let drift = kpi_aws(&proxy, dir.path(), &["schema", "diff", "--project", p]);
    assert_eq!(drift.code, 1, "{}{}", drift.stdout, drift.stderr);
    assert!(
        drift.stdout.contains("~ app_logs.events"),
        "{}",
        drift.stdout
    );
    assert!(drift.stdout.contains("- kind string"), "{}", drift.stdout);
    assert!(
        drift.stdout.contains("~ ts timestamp → string"),
        "{}",
        drift.stdout
    );
}

/// The definition `kpi build` wrote, with the substitutions Step Functions gets.
fn built_definition(project: &Path) -> Value {
    let out = project.join("target/kpi");
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    let mut text = std::fs::read_to_string(out.join("statemachine.asl.json")).unwrap();
    for (k, v) in manifest["substitutions"].as_object().unwrap() {
        text = text.replace(&format!("${{{k}}}"), v.as_str().unwrap());
    }
    serde_json::from_str(&text).unwrap()
}

fn deployed_definition(moto: &Moto, name: &str) -> Option<Value> {
    let machines = moto.call("sfn", "ListStateMachines", json!({}));
    let arn = machines["stateMachines"]
        .as_array()?
        .iter()
        .find(|m| m["name"] == name)?["stateMachineArn"]
        .clone();
    let described = moto.call(
        "sfn",
        "DescribeStateMachine",
        json!({"stateMachineArn": arn}),
    );
    serde_json::from_str(described["definition"].as_str()?).ok()
}

fn operations(proxy: &Proxy) -> Vec<String> {
    proxy
        .take()
        .iter()
        .map(|r| r.operation().to_string())
        .collect()
}

#[test]
fn deploy_creates_then_leaves_alone_then_updates_the_machine() {
    let Some((moto, proxy, dir)) =
        setup("deploy_creates_then_leaves_alone_then_updates_the_machine")
    else {
        return;
    };
    let project = pipelines_in(dir.path());
    let p = project.to_str().unwrap();
    let dry = kpi_aws(
        &proxy,
        dir.path(),
        &["deploy", "--project", p, "--role-arn", ROLE, "--dry-run"],
    );
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    assert!(
        dry.stdout.starts_with("would create kpi-engagement"),
        "{}",
        dry.stdout
    );
    assert!(!operations(&proxy).iter().any(|o| o == "CreateStateMachine"));

    let created = kpi_aws(
        &proxy,
        dir.path(),
        &["deploy", "--project", p, "--role-arn", ROLE],
    );
    assert_eq!(created.code, 0, "{}", created.stderr);
    assert!(
        created
            .stdout
            .starts_with("created arn:aws:states:us-east-1:"),
        "{}",
        created.stdout
    );
    let requests = proxy.take();
    let create = requests
        .iter()
        .find(|r| r.operation() == "CreateStateMachine")
        .expect("a CreateStateMachine");
    assert_eq!(create.body["name"], "kpi-engagement");
    assert_eq!(create.body["roleArn"], ROLE);
    assert_eq!(create.body["publish"], true);
    let tags: Vec<(&str, &str)> = create.body["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["key"].as_str().unwrap(), t["value"].as_str().unwrap()))
        .collect();
    assert_eq!(tags[1].0, "kpi:project");
    assert_eq!(tags[1].1, "engagement");
    assert_eq!(tags[0].0, "kpi:fingerprint");
    let sent: Value = serde_json::from_str(create.body["definition"].as_str().unwrap()).unwrap();
    assert_eq!(sent, built_definition(&project));
    assert_eq!(
        deployed_definition(&moto, "kpi-engagement").unwrap(),
        built_definition(&project)
    );

    let again = kpi_aws(
        &proxy,
        dir.path(),
        &["deploy", "--project", p, "--role-arn", ROLE],
    );
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(again.stdout.starts_with("unchanged"), "{}", again.stdout);
    let ops = operations(&proxy);
    assert!(
        !ops.iter()
            .any(|o| o == "UpdateStateMachine" || o == "CreateStateMachine" || o == "TagResource"),
        "{ops:?}"
    );

    // A changed project: the dry run shows the change, the deploy updates and publishes.
    let kpi_file = project.join("activity.kpi");
    let text = std::fs::read_to_string(&kpi_file).unwrap();
    let changed = text.replacen(
        "'post', 'comment', 'reaction', 'thanks'",
        "'post', 'comment', 'reaction'",
        1,
    );
    assert_ne!(changed, text, "the edit applies");
    std::fs::write(&kpi_file, changed).unwrap();
    let dry = kpi_aws(
        &proxy,
        dir.path(),
        &["deploy", "--project", p, "--role-arn", ROLE, "--dry-run"],
    );
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    assert!(
        dry.stdout.starts_with("would update arn:aws:states:"),
        "{}",
        dry.stdout
    );
    assert!(
        dry.stdout.contains("--- deployed") && dry.stdout.contains("+++ built"),
        "{}",
        dry.stdout
    );
    assert!(!operations(&proxy).iter().any(|o| o == "UpdateStateMachine"));
    let updated = kpi_aws(
        &proxy,
        dir.path(),
        &["deploy", "--project", p, "--role-arn", ROLE],
    );
    assert_eq!(updated.code, 0, "{}", updated.stderr);
    assert!(updated.stdout.starts_with("updated"), "{}", updated.stdout);
    let requests = proxy.take();
    let update = requests
        .iter()
        .find(|r| r.operation() == "UpdateStateMachine")
        .expect("an UpdateStateMachine");
    assert_eq!(update.body["publish"], true);
    assert_eq!(
        deployed_definition(&moto, "kpi-engagement").unwrap(),
        built_definition(&project)
    );
    assert!(
        requests.iter().any(|r| r.operation() == "TagResource"),
        "the fingerprint tag follows"
    );
}

/// The KPIs of `pipelines/` and their fingerprints, from the build's manifest.
fn fingerprints(project: &Path) -> Vec<(String, String)> {
    let manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(project.join("target/kpi/manifest.json")).unwrap(),
    )
    .unwrap();
    manifest["kpis"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["name"].as_str().unwrap().to_string(),
                k["fingerprint"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn run_on_aws_starts_the_due_kpi_days_from_glues_partitions() {
    let Some((moto, proxy, dir)) =
        setup("run_on_aws_starts_the_due_kpi_days_from_glues_partitions")
    else {
        return;
    };
    create_tables(&moto, "app_logs", &snapshot("app_logs.json"));
    create_tables(&moto, "master", &snapshot("master.json"));
    let days = ["2024-01-01", "2024-01-02", "2024-01-03"];
    for (db, table) in [
        ("app_logs", "events"),
        ("master", "members"),
        ("master", "departments"),
        ("master", "companies"),
    ] {
        create_partitions(&moto, db, table, &days, &json!({}));
    }
    let project = pipelines_in(dir.path());
    let p = project.to_str().unwrap();
    let before = run_day(&proxy, dir.path(), "aws", p, "2024-01-03", &["--no-wait"]);
    assert_eq!(before.code, 2, "{}", before.stderr);
    assert!(
        before
            .stderr
            .contains("no state machine kpi-engagement is deployed"),
        "{}",
        before.stderr
    );
    let deployed = kpi_aws(
        &proxy,
        dir.path(),
        &["deploy", "--project", p, "--role-arn", ROLE],
    );
    assert_eq!(deployed.code, 0, "{}", deployed.stderr);
    let kpis = fingerprints(&project);
    let all: Vec<&str> = kpis.iter().map(|(k, _)| k.as_str()).collect();

    // Nothing published yet: every KPI is due on the day.
    proxy.take();
    let started = run_day(&proxy, dir.path(), "aws", p, "2024-01-03", &["--no-wait"]);
    assert_eq!(started.code, 0, "{}", started.stderr);
    let requests = proxy.take();
    let start = requests
        .iter()
        .find(|r| r.operation() == "StartExecution")
        .expect("a StartExecution");
    let input: Value = serde_json::from_str(start.body["input"].as_str().unwrap()).unwrap();
    let mut sorted = all.clone();
    sorted.sort();
    assert_eq!(input, json!({"dates": ["2024-01-03"], "kpis": sorted}));
    let arn = started
        .stdout
        .split_whitespace()
        .nth(1)
        .unwrap()
        .to_string();
    assert!(
        arn.starts_with("arn:aws:states:us-east-1:"),
        "{}",
        started.stdout
    );

    // Half the KPIs published for the day with their fingerprint, one with an old one: the
    // rest is due.
    moto.call(
        "glue",
        "CreateDatabase",
        json!({"DatabaseInput": {"Name": "engagement_kpi"}}),
    );
    let mut due: Vec<&str> = Vec::new();
    for (i, (name, fingerprint)) in kpis.iter().enumerate() {
        moto.call("glue", "CreateTable", json!({"DatabaseName": "engagement_kpi", "TableInput": {
            "Name": name, "PartitionKeys": [{"Name": "dt", "Type": "string"}],
            "StorageDescriptor": {"Columns": [], "Location": format!("s3://engagement-lake/kpi/{name}/")}}}));
        let fingerprint = match i % 3 {
            0 => fingerprint.clone(),
            1 => "an-older-definition".to_string(),
            _ => {
                due.push(name);
                continue;
            }
        };
        if i % 3 == 1 {
            due.push(name);
        }
        create_partitions(
            &moto,
            "engagement_kpi",
            name,
            &["2024-01-03"],
            &json!({"kpi.fingerprint": fingerprint}),
        );
    }
    // What reads a due KPI is due too; compute that from the manifest.
    let manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(project.join("target/kpi/manifest.json")).unwrap(),
    )
    .unwrap();
    loop {
        let before = due.len();
        for k in manifest["kpis"].as_array().unwrap() {
            let name = k["name"].as_str().unwrap();
            if !due.contains(&name)
                && k["upstream"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|u| due.contains(&u.as_str().unwrap()))
            {
                due.push(all.iter().find(|a| **a == name).unwrap());
            }
        }
        if due.len() == before {
            break;
        }
    }
    due.sort();
    proxy.take();
    let second = run_day(&proxy, dir.path(), "aws", p, "2024-01-03", &["--no-wait"]);
    assert_eq!(second.code, 0, "{}", second.stderr);
    let requests = proxy.take();
    let starts: Vec<Value> = requests
        .iter()
        .filter(|r| r.operation() == "StartExecution")
        .map(|r| serde_json::from_str(r.body["input"].as_str().unwrap()).unwrap())
        .collect();
    let started_kpis: Vec<String> = starts
        .iter()
        .flat_map(|i| {
            i["kpis"]
                .as_array()
                .unwrap()
                .iter()
                .map(|k| k.as_str().unwrap().to_string())
        })
        .collect();
    assert!(
        !started_kpis.is_empty() && started_kpis.len() <= due.len(),
        "{started_kpis:?} of {due:?}"
    );
    for k in &started_kpis {
        assert!(
            due.contains(&k.as_str()),
            "{k} is not due: {started_kpis:?}"
        );
    }
    assert!(requests.iter().any(|r| r.operation() == "GetPartitions" && r.body["DatabaseName"] == "engagement_kpi"));

    // A missing source partition makes the KPI-days that read it wait.
    moto.call("glue", "DeletePartition", json!({"DatabaseName": "app_logs", "TableName": "events", "PartitionValues": ["2024-01-03"]}));
    let waiting = run_day(
        &proxy,
        dir.path(),
        "aws",
        p,
        "2024-01-03",
        &["--dry-run", "--force"],
    );
    assert_eq!(waiting.code, 0, "{}", waiting.stderr);
    assert!(
        waiting.stderr.contains("waiting: ")
            && waiting
                .stderr
                .contains("no partition app_logs.events dt=2024-01-03"),
        "{}",
        waiting.stderr
    );

    // status shows the execution; redrive (which moto lacks: the proxy answers) is sent.
    let status = kpi_aws(&proxy, dir.path(), &["status", &arn]);
    assert_eq!(status.code, 0, "{}", status.stderr);
    assert!(
        status.stdout.contains("RUNNING") || status.stdout.contains("SUCCEEDED"),
        "{}",
        status.stdout
    );
    let listed = kpi_aws(&proxy, dir.path(), &["status", "--project", p]);
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    assert!(listed.stdout.contains(&arn), "{}", listed.stdout);
    proxy.fault(
        "RedriveExecution",
        Fault::Answer(json!({"redriveDate": 1_704_067_200})),
    );
    proxy.take();
    let redriven = kpi_aws(&proxy, dir.path(), &["redrive", &arn, "--no-wait"]);
    assert_eq!(redriven.code, 0, "{}", redriven.stderr);
    assert!(
        redriven.stdout.contains("redriven") && redriven.stdout.contains("2024-01-01T00:00:00Z"),
        "{}",
        redriven.stdout
    );
    let requests = proxy.take();
    let redrive = requests
        .iter()
        .find(|r| r.operation() == "RedriveExecution")
        .unwrap();
    assert_eq!(redrive.body["executionArn"], json!(arn));
}

#[test]
fn failures_are_one_sentence_and_a_hint() {
    let Some((moto, proxy, dir)) = setup("failures_are_one_sentence_and_a_hint") else {
        return;
    };
    create_tables(&moto, "master", &snapshot("master.json"));
    let out = dir.path().join("out");
    let o = out.to_str().unwrap();
    let short = |r: &cli_support::Run| {
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert!(r.stderr.lines().count() <= 3, "{}", r.stderr);
        assert!(
            !r.stderr.contains("panicked") && !r.stderr.contains("DispatchFailure"),
            "{}",
            r.stderr
        );
    };
    // No credentials anywhere.
    let mut cmd = kpi();
    aws_env(&mut cmd, &proxy, dir.path());
    cmd.env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY");
    let r = run(cmd
        .args(["schema", "pull", "--database", "master", "--out", o])
        .current_dir(dir.path()));
    short(&r);
    assert!(
        r.stderr.contains("no AWS credentials were found") && r.stderr.contains("hint:"),
        "{}",
        r.stderr
    );
    // No region.
    let mut cmd = kpi();
    aws_env(&mut cmd, &proxy, dir.path());
    cmd.env_remove("AWS_REGION");
    let r = run(cmd
        .args(["schema", "pull", "--database", "master", "--out", o])
        .current_dir(dir.path()));
    short(&r);
    assert!(r.stderr.contains("no AWS region is set"), "{}", r.stderr);
    // One throttle is retried and the pull succeeds.
    proxy.take();
    proxy.fault(
        "GetTables",
        Fault::Error {
            code: "ThrottlingException".into(),
            times: 1,
        },
    );
    let r = kpi_aws(
        &proxy,
        dir.path(),
        &["schema", "pull", "--database", "master", "--out", o],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        operations(&proxy)
            .iter()
            .filter(|o| *o == "GetTables")
            .count(),
        2
    );
    // A throttle that does not stop is reported.
    proxy.fault(
        "GetTables",
        Fault::Error {
            code: "ThrottlingException".into(),
            times: 100,
        },
    );
    let r = kpi_aws(
        &proxy,
        dir.path(),
        &["schema", "pull", "--database", "master", "--out", o],
    );
    short(&r);
    assert!(
        r.stderr
            .contains("Glue GetTables of database master was throttled"),
        "{}",
        r.stderr
    );
    proxy.clear_faults();
    // Access denied names the call.
    proxy.fault(
        "ListStateMachines",
        Fault::Error {
            code: "AccessDeniedException".into(),
            times: 100,
        },
    );
    let project = pipelines_in(dir.path());
    let r = kpi_aws(
        &proxy,
        dir.path(),
        &[
            "deploy",
            "--project",
            project.to_str().unwrap(),
            "--role-arn",
            ROLE,
        ],
    );
    short(&r);
    assert!(
        r.stderr
            .contains("Step Functions ListStateMachines was denied (AccessDeniedException)"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("sts get-caller-identity"), "{}", r.stderr);
    // An endpoint where nothing listens.
    let mut cmd = kpi();
    aws_env(&mut cmd, &proxy, dir.path());
    cmd.env("AWS_ENDPOINT_URL", "http://127.0.0.1:9");
    let r = run(cmd
        .args(["schema", "pull", "--database", "master", "--out", o])
        .current_dir(dir.path()));
    short(&r);
    assert!(r.stderr.contains("could not reach AWS"), "{}", r.stderr);
}

const DAY: &str = "2024-01-03";
const KPI: &str = "daily_active_members";

/// The Hive type text of a manifest column type (the few `daily_active_members` has).
fn hive_type(ty: &Value) -> &'static str {
    match ty["type"].as_str().unwrap() {
        "big_int" => "bigint",
        "double" => "double",
        "string" => "string",
        other => panic!("no Hive text for {other} in this test"),
    }
}

/// moto ready for `run --target athena --kpi daily_active_members` of `pipelines/`: the
/// sources' tables with partitions 2024-01-01 to 2024-01-03, the workgroup, and the KPI's
/// database and table. moto runs no SQL, so the table its CREATE EXTERNAL TABLE makes on AWS
/// is created here, as Athena would register it. Returns the built manifest.
fn athena_ready(moto: &Moto, proxy: &Proxy, dir: &Path, project: &Path) -> Value {
    create_tables(moto, "app_logs", &snapshot("app_logs.json"));
    create_tables(moto, "master", &snapshot("master.json"));
    for (db, table) in [
        ("app_logs", "events"),
        ("master", "members"),
        ("master", "departments"),
        ("master", "companies"),
    ] {
        create_partitions(
            moto,
            db,
            table,
            &["2024-01-01", "2024-01-02", DAY],
            &json!({}),
        );
    }
    let built = kpi_aws(
        proxy,
        dir,
        &["build", "--project", project.to_str().unwrap()],
    );
    assert_eq!(built.code, 0, "{}", built.stderr);
    let manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(project.join("target/kpi/manifest.json")).unwrap(),
    )
    .unwrap();
    moto.call(
        "athena",
        "CreateWorkGroup",
        json!({"Name": manifest["project"]["workgroup"]}),
    );
    let database = manifest["project"]["database"].as_str().unwrap();
    moto.call(
        "glue",
        "CreateDatabase",
        json!({"DatabaseInput": {"Name": database}}),
    );
    let kpi = kpi_of(&manifest, KPI);
    let columns: Vec<Value> = kpi["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| json!({"Name": c["name"], "Type": hive_type(&c["type"])}))
        .collect();
    moto.call("glue", "CreateTable", json!({"DatabaseName": database, "TableInput": {
        "Name": KPI, "TableType": "EXTERNAL_TABLE",
        "PartitionKeys": [{"Name": "dt", "Type": "string"}],
        "Parameters": {"EXTERNAL": "TRUE", "kpi.fingerprint": kpi["fingerprint"]},
        "StorageDescriptor": {
            "Columns": columns,
            "Location": kpi["location"],
            "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
            "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
            "SerdeInfo": {
                "SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
                "Parameters": {"serialization.format": "1"}
            }
        }}}));
    manifest
}

fn kpi_of<'m>(manifest: &'m Value, name: &str) -> &'m Value {
    manifest["kpis"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == name)
        .unwrap()
}

/// A statement's Athena text with its parameters filled in, as the machine fills them.
fn rendered(kpi: &Value, statement: &str, day: &str, attempt: &str) -> String {
    let statement = kpi["statements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == statement)
        .unwrap();
    statement["athena"]
        .as_array()
        .unwrap()
        .iter()
        .map(|segment| {
            if let Some(text) = segment["text"].as_str() {
                return text.to_string();
            }
            match segment["param"].as_str().unwrap() {
                "first_day" | "last_day" => day.to_string(),
                "attempt" => attempt.to_string(),
                other => panic!("no value for {other}"),
            }
        })
        .collect()
}

/// Athena's answer for a query that returns no rows, and the check's rows (a header row, as
/// Athena gives it, then one row per day: day, rows, why it fails or nothing).
fn no_rows() -> Value {
    json!({"rows": [], "column_info": []})
}

fn check_rows(day: &str, rows: u64, failure: Option<&str>) -> Value {
    let cell = |v: Option<String>| v.map_or_else(|| json!({}), |v| json!({"VarCharValue": v}));
    json!({
        "rows": [
            {"Data": [{"VarCharValue": "dt"}, {"VarCharValue": "rows"}, {"VarCharValue": "failure"}]},
            {"Data": [cell(Some(day.to_string())), cell(Some(rows.to_string())), cell(failure.map(str::to_string))]}
        ],
        "column_info": [
            {"Name": "dt", "Type": "varchar"}, {"Name": "rows", "Type": "bigint"},
            {"Name": "failure", "Type": "varchar"}
        ]
    })
}

/// Queues what the four queries of one KPI-day return, in the order they start: the two
/// setup statements and the write return nothing, the check `check`.
fn queue_day(moto: &Moto, check: Value) {
    moto.queue_athena_results(&[no_rows(), no_rows(), no_rows(), check]);
}

fn partitions_of(moto: &Moto, database: &str, table: &str) -> Vec<Value> {
    moto.call(
        "glue",
        "GetPartitions",
        json!({"DatabaseName": database, "TableName": table}),
    )["Partitions"]
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn run_on_athena_sends_the_built_statements_and_publishes_the_days_the_check_passes() {
    let Some((moto, proxy, dir)) =
        setup("run_on_athena_sends_the_built_statements_and_publishes_the_days_the_check_passes")
    else {
        return;
    };
    let project = pipelines_in(dir.path());
    let p = project.to_str().unwrap();
    let manifest = athena_ready(&moto, &proxy, dir.path(), &project);
    let kpi = kpi_of(&manifest, KPI);
    let database = manifest["project"]["database"].as_str().unwrap();
    queue_day(&moto, check_rows(DAY, 42, None));
    proxy.take();
    let only = ["--kpi", KPI, "--concurrency", "1"];
    let ran = run_day(&proxy, dir.path(), "athena", p, DAY, &only);
    assert_eq!(ran.code, 0, "{}{}", ran.stdout, ran.stderr);
    assert!(
        ran.stdout
            .contains("1 KPI-day(s) published; 4 Athena queries"),
        "{}",
        ran.stdout
    );
    let requests = proxy.take();
    let starts: Vec<&Value> = requests
        .iter()
        .filter(|r| r.operation() == "StartQueryExecution")
        .map(|r| &r.body)
        .collect();
    let token = |i: usize| starts[i]["ClientRequestToken"].as_str().unwrap();
    let attempt = token(2).strip_suffix("-03_write").unwrap().to_string();
    let setup = token(0)
        .strip_suffix("-01_create_table")
        .unwrap()
        .to_string();
    assert_eq!(
        starts
            .iter()
            .map(|s| s["ClientRequestToken"].as_str().unwrap())
            .collect::<Vec<_>>(),
        [
            format!("{setup}-01_create_table"),
            format!("{setup}-02_create_attempts_table"),
            format!("{attempt}-03_write"),
            format!("{attempt}-04_check"),
        ]
    );
    // Athena's token is 32 to 128 characters.
    assert!((32..=128).contains(&token(2).len()), "{}", token(2));
    for (i, statement) in [
        "01_create_table",
        "02_create_attempts_table",
        "03_write",
        "04_check",
    ]
    .iter()
    .enumerate()
    {
        assert_eq!(
            starts[i]["QueryString"].as_str().unwrap(),
            rendered(kpi, statement, DAY, &attempt),
            "{statement}"
        );
        assert_eq!(starts[i]["WorkGroup"], manifest["project"]["workgroup"]);
        assert_eq!(starts[i]["QueryExecutionContext"]["Database"], database);
        assert_eq!(
            starts[i]["ResultConfiguration"]["OutputLocation"],
            manifest["substitutions"]["QueryResultsLocation"]
        );
    }
    // Each query was polled until it ended: moto's end at the first poll.
    let polled: std::collections::BTreeSet<&str> = requests
        .iter()
        .filter(|r| r.operation() == "GetQueryExecution")
        .map(|r| r.body["QueryExecutionId"].as_str().unwrap())
        .collect();
    assert_eq!(polled.len(), 4, "{polled:?}");
    let results: Vec<&Recorded> = requests
        .iter()
        .filter(|r| r.operation() == "GetQueryResults")
        .collect();
    assert_eq!(results.len(), 1);
    // The check's rows decided: the day is published in moto's Glue, at its attempt's prefix,
    // with the KPI's fingerprint and the check's row count.
    let parts = partitions_of(&moto, database, KPI);
    assert_eq!(parts.len(), 1, "{parts:?}");
    assert_eq!(parts[0]["Values"], json!([DAY]));
    assert_eq!(
        parts[0]["StorageDescriptor"]["Location"].as_str().unwrap(),
        format!(
            "{}dt={DAY}/attempt={attempt}/",
            kpi["attempts_location"].as_str().unwrap()
        )
    );
    let parameters = &parts[0]["Parameters"];
    assert_eq!(parameters["kpi.fingerprint"], kpi["fingerprint"]);
    assert_eq!(parameters["kpi.attempt"], json!(attempt));
    assert_eq!(parameters["kpi.rows"], "42");
    assert_eq!(
        parts[0]["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"],
        "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
    );

    // Planned from Glue, the day is now up to date: nothing runs.
    let again = run_day(&proxy, dir.path(), "athena", p, DAY, &only);
    assert_eq!(again.code, 0, "{}{}", again.stdout, again.stderr);
    assert!(
        again
            .stderr
            .contains("0 KPI-days due in 0 execution(s), 1 up to date"),
        "{}",
        again.stderr
    );
    assert!(
        !operations(&proxy)
            .iter()
            .any(|o| o == "StartQueryExecution"),
        "nothing is due"
    );
}

#[test]
fn a_failing_check_on_athena_fails_its_kpi_day_and_publishes_nothing() {
    let Some((moto, proxy, dir)) =
        setup("a_failing_check_on_athena_fails_its_kpi_day_and_publishes_nothing")
    else {
        return;
    };
    let project = pipelines_in(dir.path());
    let p = project.to_str().unwrap();
    let manifest = athena_ready(&moto, &proxy, dir.path(), &project);
    let database = manifest["project"]["database"].as_str().unwrap();
    queue_day(
        &moto,
        check_rows(DAY, 0, Some("check `active > 0` does not hold")),
    );
    let ran = run_day(
        &proxy,
        dir.path(),
        "athena",
        p,
        DAY,
        &["--kpi", KPI, "--concurrency", "1"],
    );
    assert_eq!(ran.code, 1, "{}{}", ran.stdout, ran.stderr);
    assert!(
        ran.stdout.contains(&format!(
            "{KPI} {DAY} at Level0.Verdict: check: check `active > 0` does not hold"
        )),
        "{}",
        ran.stdout
    );
    assert!(ran.stdout.contains("FAILED"), "{}", ran.stdout);
    assert!(
        ran.stdout.contains("Kpi.Failed: 1 KPI-day(s) failed"),
        "{}",
        ran.stdout
    );
    assert!(
        ran.stdout.contains("0 KPI-day(s) published"),
        "{}",
        ran.stdout
    );
    assert!(partitions_of(&moto, database, KPI).is_empty());
    let ops = operations(&proxy);
    assert!(
        !ops.iter()
            .any(|o| o == "BatchCreatePartition" || o == "BatchUpdatePartition"),
        "{ops:?}"
    );
    // Flags of a deployed run are refused, not ignored.
    let refused = run_day(&proxy, dir.path(), "athena", p, DAY, &["--no-wait"]);
    assert_eq!(refused.code, 2, "{}{}", refused.stdout, refused.stderr);
    assert!(
        refused.stderr.contains("--target aws"),
        "{}",
        refused.stderr
    );
}

#[test]
fn athena_throttles_are_retried_and_a_failed_query_or_a_missing_table_names_its_kpi_day() {
    let Some((moto, proxy, dir)) = setup(
        "athena_throttles_are_retried_and_a_failed_query_or_a_missing_table_names_its_kpi_day",
    ) else {
        return;
    };
    let project = pipelines_in(dir.path());
    let p = project.to_str().unwrap();
    let manifest = athena_ready(&moto, &proxy, dir.path(), &project);
    let database = manifest["project"]["database"].as_str().unwrap();
    let only = ["--kpi", KPI, "--concurrency", "1", "--force"];

    // Two throttles of the first StartQueryExecution: the SDK retries it with the same token.
    queue_day(&moto, check_rows(DAY, 7, None));
    proxy.take();
    proxy.fault(
        "StartQueryExecution",
        Fault::Error {
            code: "ThrottlingException".into(),
            times: 2,
        },
    );
    let ran = run_day(&proxy, dir.path(), "athena", p, DAY, &only);
    assert_eq!(ran.code, 0, "{}{}", ran.stdout, ran.stderr);
    let starts: Vec<String> = proxy
        .take()
        .iter()
        .filter(|r| r.operation() == "StartQueryExecution")
        .map(|r| r.body["ClientRequestToken"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(starts.len(), 6, "{starts:?}");
    assert!(
        starts[0] == starts[1] && starts[1] == starts[2],
        "{starts:?}"
    );
    assert_eq!(partitions_of(&moto, database, KPI).len(), 1);

    // The write ends FAILED (the proxy says so, moto cannot): the day fails with Athena's
    // reason, and the partition stays where it was.
    let before = partitions_of(&moto, database, KPI);
    // No check runs after the failed write: three queries take a result.
    moto.queue_athena_results(&[no_rows(), no_rows(), no_rows()]);
    proxy.fault(
        "StartQueryExecution",
        Fault::FailQuery {
            containing: format!("INSERT INTO {database}.{KPI}__attempts"),
            reason: "HIVE_BAD_DATA: Error parsing field value '' for field 3".into(),
        },
    );
    let failed = run_day(&proxy, dir.path(), "athena", p, DAY, &only);
    assert_eq!(failed.code, 1, "{}{}", failed.stdout, failed.stderr);
    assert!(
        failed.stdout.contains(&format!(
            "{KPI} {DAY} at Level0.03_write: Athena.AmazonAthenaException: HIVE_BAD_DATA: Error parsing field value '' for field 3"
        )),
        "{}",
        failed.stdout
    );
    assert_eq!(partitions_of(&moto, database, KPI), before);
    proxy.clear_faults();

    // The KPI's table is gone from Glue: GetTable fails, naming the table.
    moto.call(
        "glue",
        "DeleteTable",
        json!({"DatabaseName": database, "Name": KPI}),
    );
    queue_day(&moto, check_rows(DAY, 7, None));
    let missing = run_day(&proxy, dir.path(), "athena", p, DAY, &only);
    assert_eq!(missing.code, 1, "{}{}", missing.stdout, missing.stderr);
    assert!(
        missing.stdout.contains(&format!(
            "Level0.GetTable ({KPI}): Glue.EntityNotFoundException"
        )),
        "{}",
        missing.stdout
    );
    assert!(
        missing.stdout.contains(&format!("{KPI} {DAY}")),
        "the execution's cause names the KPI-day: {}",
        missing.stdout
    );

    // No workgroup: Athena refuses the first query; the run says so and exits 1.
    moto.call(
        "athena",
        "DeleteWorkGroup",
        json!({"WorkGroup": manifest["project"]["workgroup"]}),
    );
    let refused = run_day(&proxy, dir.path(), "athena", p, DAY, &only);
    assert_eq!(refused.code, 1, "{}{}", refused.stdout, refused.stderr);
    assert!(
        refused.stdout.contains(&format!(
            "Setup.01_create_table ({KPI}): Athena.InvalidRequestException: WorkGroup does not exist"
        )),
        "{}",
        refused.stdout
    );
    assert!(!refused.stderr.contains("panicked"), "{}", refused.stderr);
}

#[test]
fn the_whole_project_runs_on_athena_at_the_machines_concurrency() {
    let Some((moto, proxy, dir)) =
        setup("the_whole_project_runs_on_athena_at_the_machines_concurrency")
    else {
        return;
    };
    let project = pipelines_in(dir.path());
    let p = project.to_str().unwrap();
    let manifest = athena_ready(&moto, &proxy, dir.path(), &project);
    let dry = run_day(&proxy, dir.path(), "athena", p, DAY, &["--dry-run"]);
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    let names: Vec<&str> = {
        let mut n: Vec<&str> = manifest["kpis"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["name"].as_str().unwrap())
            .collect();
        n.sort_unstable();
        n
    };
    // The input `--target aws` would start the execution with.
    assert_eq!(
        serde_json::from_str::<Value>(dry.stdout.trim()).unwrap(),
        json!({"dates": [DAY], "kpis": names})
    );
    assert!(
        !operations(&proxy)
            .iter()
            .any(|o| o == "StartQueryExecution")
    );
    // No results queued: every check answers no rows, so no day passes; Map workers share
    // the one SDK runtime.
    let ran = run_day(&proxy, dir.path(), "athena", p, DAY, &[]);
    assert_eq!(ran.code, 1, "{}{}", ran.stdout, ran.stderr);
    let level0: Vec<&Value> = manifest["kpis"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["level"] == 0)
        .collect();
    for k in &level0 {
        let line = format!(
            "    {} {DAY}: Kpi.CheckFailed: the check returned no row for {DAY}\n",
            k["name"].as_str().unwrap()
        );
        assert!(ran.stdout.contains(&line), "{line}{}", ran.stdout);
    }
    assert!(
        ran.stdout.contains(&format!(
            "    stickiness {DAY}: Kpi.UpstreamFailed: upstream"
        )),
        "{}",
        ran.stdout
    );
    // Two setup statements per KPI, then a write and a check per level-0 KPI, each with a
    // token of its own.
    let tokens: std::collections::BTreeSet<String> = proxy
        .take()
        .iter()
        .filter(|r| r.operation() == "StartQueryExecution")
        .map(|r| r.body["ClientRequestToken"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        tokens.len(),
        2 * names.len() + 2 * level0.len(),
        "{tokens:?}"
    );
}
