//! `kpi run` end to end on a generated lake: every KPI of every day equals an independent
//! computation in plain Rust over the raw files; a backfill writes what day-by-day runs write; a run killed
//! with SIGKILL and run again ends where an uninterrupted run ends; a damaged input file fails
//! its KPI-days (and what reads them) naming the file, and the next run redoes only those; a
//! second run on a locked lake is refused, naming the holder.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
#[path = "common/engagement.rs"]
mod engagement;
#[path = "common/outputs.rs"]
mod outputs;
#[path = "common/runs.rs"]
mod runs;

use common::{copy_tree, kpi, root};
use engagement::{KPIS, Raw, date};
use kpi_sample::{SampleOptions, generate};
use outputs::{Published, Table, compare, published};
use runs::run;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

/// 36 days of 8 companies: enough history for a 28-day retention cohort at the end.
const FROM: &str = "2024-01-30";
const TO: &str = "2024-02-05";
const DAYS: usize = 7;

fn sample_options() -> SampleOptions {
    SampleOptions {
        days: 36,
        companies: 8,
        seed: 7,
        ..SampleOptions::default()
    }
}

static PRISTINE: OnceLock<(tempfile::TempDir, u64)> = OnceLock::new();

/// The generated lake (once per test binary) and its number of valid events.
fn pristine() -> &'static (tempfile::TempDir, u64) {
    PRISTINE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let report = generate(
            dir.path(),
            &sample_options(),
            &kpi_runtime::parquet::DuckDbParquet,
        )
        .unwrap();
        (dir, report.events)
    })
}

/// A fresh copy of the generated lake.
fn lake() -> tempfile::TempDir {
    let (pristine, _) = pristine();
    let copy = tempfile::tempdir().unwrap();
    copy_tree(pristine.path(), copy.path());
    copy
}

#[test]
fn the_events_source_holds_every_valid_line_and_no_malformed_one() {
    let (project, lake) = (project(), lake());
    let out = kpi()
        .args(["query", "--project"])
        .arg(project.path())
        .arg("--lake")
        .arg(lake.path())
        .arg("SELECT count(*) AS n, count(event_id) AS ids FROM app_logs.events")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    let values: Vec<u64> = text
        .lines()
        .nth(2)
        .unwrap()
        .split_whitespace()
        .map(|v| v.parse().unwrap())
        .collect();
    let events = pristine().1;
    assert_eq!(values, [events, events], "{text}");
}

/// A copy of `pipelines/`, so that parallel tests build into their own directories.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let src = root().join("pipelines");
    for entry in std::fs::read_dir(&src).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if name == "target" {
            continue;
        }
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &dir.path().join(&name));
        } else {
            std::fs::copy(entry.path(), dir.path().join(&name)).unwrap();
        }
    }
    dir
}

fn range() -> Vec<&'static str> {
    vec!["--from", FROM, "--to", TO]
}

/// The days of the range.
fn days() -> Vec<chrono::NaiveDate> {
    let first = date(FROM);
    (0..DAYS as i64)
        .map(|i| first + chrono::Duration::days(i))
        .collect()
}

fn shift(day: &str, by: i64) -> String {
    (date(day) + chrono::Duration::days(by)).to_string()
}

/// One value of a published KPI-day, by its row's key columns.
fn cell(table: &Table, keys: &[(&str, &str)], column: &str) -> String {
    let at = |c: &str| table.columns.iter().position(|x| x == c).unwrap();
    let row = table
        .rows
        .iter()
        .find(|r| keys.iter().all(|(k, v)| r[at(k)].as_deref() == Some(*v)))
        .unwrap();
    row[at(column)].clone().unwrap()
}

#[test]
fn every_kpi_of_every_day_equals_an_independent_computation() {
    let (project, lake) = (project(), lake());
    let out = run(project.path(), lake.path(), &range());
    assert_eq!(out.code, 0, "{}\n{}", out.stderr, out.report);
    let raw = Raw::read(lake.path());
    let published = published(lake.path());
    let want: BTreeSet<(String, String)> = KPIS
        .iter()
        .flat_map(|k| {
            days()
                .into_iter()
                .map(move |d| (k.to_string(), d.to_string()))
        })
        .collect();
    assert_eq!(
        published.keys().cloned().collect::<BTreeSet<_>>(),
        want,
        "every KPI of every day, nothing else"
    );
    let mut compared = 0;
    // KPI → the fewest rows it had on a day, against the companies of the snapshot.
    let mut fewest: BTreeMap<&str, usize> = BTreeMap::new();
    for day in days() {
        let expected = raw.expected(day);
        for kpi in KPIS {
            let got = &published[&(kpi.to_string(), day.to_string())];
            compared += compare(&format!("{kpi} {day}"), got, &expected[kpi]);
            let rows = fewest.entry(kpi).or_insert(usize::MAX);
            *rows = (*rows).min(got.rows.len());
        }
    }
    assert!(compared > 4_000, "only {compared} values compared");
    // Companies without data on a day have no row: the data has such company-days.
    let companies: BTreeSet<i64> = raw.members[&date(TO)].iter().map(|m| m.company).collect();
    for kpi in [
        "daily_active_members",
        "reply_rate",
        "activation",
        "retention_28d",
    ] {
        assert!(
            fewest[kpi] < companies.len(),
            "{kpi} had a row for each of the {} companies every day",
            companies.len()
        );
    }
    // The generator writes malformed lines; the report counts what the run skipped.
    let skipped: u64 = out.report["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["malformed_lines"].as_u64().unwrap())
        .sum();
    assert!(skipped > 0, "{}", out.report["sources"]);
}

#[test]
fn members_change_department_within_the_windows_the_kpis_read() {
    let raw = Raw::read(pristine().0.path());
    // Social events of the 30 days before each computed day whose member was in another
    // department on the event's day than on the day computed: the by-department KPIs must
    // count them in the department of the day computed.
    let mut moved = BTreeSet::new();
    let mut crossing = 0;
    for day in days() {
        let then = raw.snapshot(day);
        for back in 0..30 {
            let event_day = day - chrono::Duration::days(back);
            let Some(events) = raw.events.get(&event_day) else {
                continue;
            };
            let before = raw.snapshot(event_day);
            for e in events.iter().filter(|e| engagement::social(&e.kind)) {
                if let (Some(a), Some(b)) = (before.get(&e.member), then.get(&e.member))
                    && a.department != b.department
                {
                    crossing += 1;
                    moved.insert(e.member);
                    assert_eq!(a.company, b.company, "a move stays within the company");
                }
            }
        }
    }
    assert!(
        moved.len() >= 5 && crossing >= 50,
        "{} members moved, {crossing} events in another department",
        moved.len()
    );
}

/// Asserts two lakes published the same rows, naming the first KPI-day that differs.
fn assert_same(a: &Published, b: &Published) {
    let keys = |r: &Published| r.keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(a), keys(b), "the same KPI-days");
    for (k, rows) in a {
        assert_eq!(rows, &b[k], "{k:?}");
    }
}
#[test]
fn a_backfill_writes_what_day_by_day_runs_write_and_a_rerun_does_nothing() {
    let project = project();
    let (backfill, daily) = (lake(), lake());
    // Two KPI-days at once for the backfill; one at a time, day by day, for the other.
    let first = run(
        project.path(),
        backfill.path(),
        &[&range()[..], &["--concurrency", "2"]].concat(),
    );
    assert_eq!(first.code, 0, "{}", first.stderr);
    let total = first.report["kpi_days"].as_u64().unwrap() as usize;
    assert_eq!(total, KPIS.len() * DAYS, "every KPI for each of the 7 days");
    let mut day = FROM.to_string();
    while day.as_str() <= TO {
        let out = run(
            project.path(),
            daily.path(),
            &["--day", &day, "--concurrency", "1"],
        );
        assert_eq!(out.code, 0, "{day}: {}", out.stderr);
        day = shift(&day, 1);
    }
    let a = published(backfill.path());
    assert_eq!(a.len(), total, "every KPI-day published once");
    assert_same(&a, &published(daily.path()));

    let again = run(project.path(), backfill.path(), &range());
    assert_eq!(again.code, 0);
    assert_eq!(again.report["kpi_days"], 0, "{}", again.report);
    assert_eq!(again.report["up_to_date"].as_u64().unwrap() as usize, total);
    assert!(again.report["queries"].as_array().unwrap().is_empty());

    let forced = run(
        project.path(),
        backfill.path(),
        &[&range()[..], &["--force"]].concat(),
    );
    assert_eq!(forced.report["kpi_days"].as_u64().unwrap() as usize, total);
    assert_same(&published(backfill.path()), &a);
}

#[test]
fn a_run_killed_mid_backfill_resumes_to_the_same_output() {
    let project = project();
    let (reference, killed) = (lake(), lake());
    assert_eq!(run(project.path(), reference.path(), &range()).code, 0);
    let want = published(reference.path());

    let mut child = kpi()
        .arg("run")
        .arg("--project")
        .arg(project.path())
        .arg("--lake")
        .arg(killed.path())
        .args(range())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Kill it once some, not all, KPI-days are published.
    let catalog = killed.path().join(".kpi/catalog.json");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while std::time::Instant::now() < deadline
        && std::fs::read_to_string(&catalog).map_or(0, |t| t.matches("\"location\"").count()) < 5
    {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL
    let status = child.wait().unwrap();
    assert!(!status.success(), "the run was killed before it finished");
    let before = published(killed.path());
    assert!(
        !before.is_empty() && before.len() < want.len(),
        "killed after {} of {} KPI-days",
        before.len(),
        want.len()
    );
    // What was published before the kill stays as it was, and is not computed again.
    for (k, rows) in &before {
        assert_eq!(rows, &want[k], "{k:?} published before the kill");
    }

    let resumed = run(project.path(), killed.path(), &range());
    assert_eq!(resumed.code, 0, "{}", resumed.stderr);
    assert_eq!(resumed.kpi_days() as usize, want.len() - before.len());
    assert_eq!(
        resumed.report["up_to_date"].as_u64().unwrap() as usize,
        before.len()
    );
    assert_same(&published(killed.path()), &want);
}

#[test]
fn a_damaged_input_file_fails_its_kpi_days_and_the_next_run_redoes_only_those() {
    let (project, lake) = (project(), lake());
    let file = lake
        .path()
        .join("engagement-lake/app_logs/events/dt=2024-02-03/part-0.json.gz");
    let good = std::fs::read(&file).unwrap();
    std::fs::write(&file, &good[..good.len() / 2]).unwrap(); // a truncated gzip stream
    let out = run(project.path(), lake.path(), &range());
    assert_eq!(out.code, 1, "{}", out.stderr);
    let failures = out.report["failures"].as_array().unwrap();
    let failed: BTreeSet<(String, String)> = failures
        .iter()
        .map(|f| {
            (
                f["kpi"].as_str().unwrap().into(),
                f["day"].as_str().unwrap().into(),
            )
        })
        .collect();
    // Same-day readers fail on the 3rd only; 30-day windows fail from the 3rd on.
    assert!(failed.contains(&("daily_active_members".into(), "2024-02-03".into())));
    assert!(!failed.contains(&("daily_active_members".into(), "2024-02-04".into())));
    assert!(failed.contains(&("monthly_active_members".into(), "2024-02-05".into())));
    assert!(!failed.iter().any(|(_, d)| d.as_str() < "2024-02-03"));
    // KPIs over events name the file; KPIs over those name the upstream KPI-day.
    for f in failures {
        let error = f["error"].as_str().unwrap();
        if f["kpi"] == "daily_active_members" {
            assert!(error.contains("dt=2024-02-03/part-0.json.gz"), "{error}");
        }
        assert!(
            error.contains("dt=2024-02-03/part-0.json.gz") || error.starts_with("upstream "),
            "{error}"
        );
    }
    assert!(failed.contains(&("stickiness".into(), "2024-02-03".into())));
    let total = out.report["kpi_days"].as_u64().unwrap() as usize;
    let done = published(lake.path());
    assert_eq!(done.len() + failed.len(), total);

    std::fs::write(&file, &good).unwrap();
    let again = run(project.path(), lake.path(), &range());
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(
        again.report["kpi_days"].as_u64().unwrap() as usize,
        failed.len()
    );
    assert_eq!(published(lake.path()).len(), total);
}

#[test]
fn a_second_run_on_a_locked_lake_is_refused_naming_the_holder() {
    let (project, lake) = (project(), lake());
    let held = kpi_runtime::lake::Lake::open(lake.path())
        .unwrap()
        .lock("another kpi run", false)
        .unwrap();
    let out = run(project.path(), lake.path(), &["--day", FROM]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("in use by another run")
            && out.stderr.contains(&format!("pid {}", std::process::id())),
        "{}",
        out.stderr
    );
    drop(held);
    assert_eq!(run(project.path(), lake.path(), &["--day", FROM]).code, 0);
}

/// Builds the project; its artifacts' directory.
fn built(project: &std::path::Path) -> std::path::PathBuf {
    let build = kpi()
        .args(["build", "--project"])
        .arg(project)
        .output()
        .unwrap();
    assert!(
        build.status.success(),
        "{}",
        String::from_utf8_lossy(&build.stderr)
    );
    project.join("target/kpi")
}

#[test]
fn sfn_run_binds_athena_tasks_of_a_built_machine_to_the_lake() {
    let (project, lake) = (project(), lake());
    let definition = built(project.path()).join("statemachine.asl.json");
    let sfn_run = || {
        kpi()
            .args(["sfn", "run"])
            .arg(&definition)
            .arg("--lake")
            .arg(lake.path())
            .args([
                "--input",
                r#"{"dates": ["2024-02-01"], "kpis": ["reply_rate"]}"#,
            ])
            .output()
            .unwrap()
    };
    let out = sfn_run();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    let summary: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(summary["kpiDays"], 1);
    // Published through the same catalog, so the readers' database follows it.
    let readers = duckdb::Connection::open_with_flags(
        lake.path().join("kpi.duckdb"),
        duckdb::Config::default()
            .access_mode(duckdb::AccessMode::ReadOnly)
            .unwrap(),
    )
    .unwrap();
    let days: Vec<String> = readers
        .prepare("SELECT DISTINCT dt FROM engagement_kpi.reply_rate")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(days, vec!["2024-02-01".to_string()]);
    drop(readers);
    let first = published(lake.path());
    assert_eq!(
        first.keys().collect::<Vec<_>>(),
        vec![&("reply_rate".to_string(), "2024-02-01".to_string())]
    );

    // Run again: a new execution, so a new attempt prefix; what the first published is left
    // whole until the partition points elsewhere.
    let partition = |lake: &std::path::Path| -> (String, Vec<std::path::PathBuf>) {
        let catalog: Value =
            serde_json::from_str(&std::fs::read_to_string(lake.join(".kpi/catalog.json")).unwrap())
                .unwrap();
        let p = &catalog["tables"]["engagement_kpi.reply_rate"]["partitions"]["2024-02-01"];
        let location = p["location"].as_str().unwrap().to_string();
        let dir = lake.join(location.trim_start_matches("s3://"));
        let files = p["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| dir.join(f["name"].as_str().unwrap()))
            .collect();
        (location, files)
    };
    let (first_location, first_files) = partition(lake.path());
    let again = sfn_run();
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stdout)
    );
    let (second_location, second_files) = partition(lake.path());
    assert_ne!(
        second_location, first_location,
        "each execution writes its own attempt"
    );
    assert_ne!(second_files, first_files);
    assert!(
        first_files.iter().all(|f| f.is_file()),
        "the first attempt's files stay until the lake is next swept"
    );
    assert_same(&published(lake.path()), &first);
}

#[test]
fn a_changed_definition_recomputes_that_kpi_and_what_reads_it_only() {
    let (project, lake) = (project(), lake());
    assert_eq!(run(project.path(), lake.path(), &range()).code, 0);
    // Any change to a KPI's definition changes its fingerprint, and its readers'.
    let file = project.path().join("activity.kpi");
    let text = std::fs::read_to_string(&file).unwrap();
    let changed = text.replacen("  check active > 0", "  check active >= 1", 1);
    assert_ne!(text, changed);
    std::fs::write(&file, changed).unwrap();
    let out = run(project.path(), lake.path(), &range());
    assert_eq!(out.code, 0, "{}", out.stderr);
    let recomputed: BTreeSet<&str> = out.report["kpis"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            assert_eq!(k["days"], 7);
            k["kpi"].as_str().unwrap()
        })
        .collect();
    assert_eq!(
        recomputed,
        BTreeSet::from(["daily_active_members", "engagement_score", "stickiness"])
    );
}

#[test]
fn the_html_report_is_self_contained_with_a_bar_per_query() {
    let (project, lake) = (project(), lake());
    let page = lake.path().join("report.html");
    let out = run(
        project.path(),
        lake.path(),
        &["--day", FROM, "--report", page.to_str().unwrap()],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>") && html.trim_end().ends_with("</html>"));
    assert!(
        !html.contains("src=") && !html.contains("href="),
        "no outside resources"
    );
    let queries = out.report["queries"].as_array().unwrap();
    assert_eq!(html.matches("class=\"bar ").count(), queries.len());
    for k in out.report["kpis"].as_array().unwrap() {
        assert!(html.contains(&format!("<tr><td>{}</td>", k["kpi"].as_str().unwrap())));
    }
}

#[test]
fn a_failed_query_is_reported_with_the_sql_it_ran() {
    let (project, lake) = (project(), lake());
    // Multiplying a member id by the largest BIGINT overflows as the write query runs.
    std::fs::write(
        project.path().join("overflow.kpi"),
        "/// Member ids times the largest BIGINT.\nkpi overflowing {\n  from events e\n  group by e.company_id\n  measure huge = sum(e.member_id * 9223372036854775807)\n}\n",
    )
    .unwrap();
    let out = run(
        project.path(),
        lake.path(),
        &["--day", FROM, "--kpi", "overflowing"],
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    let queries = out.report["queries"].as_array().unwrap();
    let failed: Vec<&serde_json::Value> =
        queries.iter().filter(|q| !q["error"].is_null()).collect();
    assert_eq!(failed.len(), 1, "{queries:#?}");
    assert_eq!(failed[0]["role"], "write");
    let sql = failed[0]["sql"].as_str().expect("the failed query's SQL");
    assert!(sql.contains("9223372036854775807"), "{sql}");
    assert!(sql.contains(FROM), "the day is filled in: {sql}");
}

#[test]
fn late_arriving_source_data_makes_the_kpi_days_that_read_it_stale() {
    let (project, lake) = (project(), lake());
    assert_eq!(run(project.path(), lake.path(), &range()).code, 0);
    let day = "2024-02-03";
    let active = |company: &str| -> u64 {
        let table = &published(lake.path())[&("daily_active_members".into(), day.into())];
        cell(table, &[("company_id", company)], "active")
            .parse()
            .unwrap()
    };

    // A post by a member never seen before arrives late in the day's file.
    let file = lake.path().join(format!(
        "engagement-lake/app_logs/events/dt={day}/part-0.json.gz"
    ));
    let mut text = String::new();
    std::io::Read::read_to_string(
        &mut flate2::read::GzDecoder::new(std::fs::File::open(&file).unwrap()),
        &mut text,
    )
    .unwrap();
    let post: Value = text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|v| v["kind"] == "post")
        .unwrap();
    let company = post["company_id"].to_string();
    let before = active(&company);
    let mut late = post.clone();
    late["event_id"] = "late000000000001".into();
    late["member_id"] = 999_999.into();
    text.push_str(&format!("{late}\n"));
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, text.as_bytes()).unwrap();
    std::fs::write(&file, gz.finish().unwrap()).unwrap();

    let out = run(project.path(), lake.path(), &range());
    assert_eq!(out.code, 0, "{}", out.stderr);
    let days = |kpi: &str| {
        out.report["kpis"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["kpi"] == kpi)
            .map_or(0, |k| k["days"].as_u64().unwrap())
    };
    assert_eq!(days("daily_active_members"), 1, "only the 3rd");
    assert_eq!(
        days("monthly_active_members"),
        3,
        "the 3rd to the 5th read it"
    );
    assert_eq!(active(&company), before + 1);
}

/// The source tables' directories of the lake (those holding `dt=` partitions).
fn source_tables(lake: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![lake.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut partitioned = false;
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().to_string();
            if name.starts_with('.') || name == "kpi" {
                continue;
            }
            if name.starts_with("dt=") {
                partitioned = true;
            } else if entry.path().is_dir() {
                stack.push(entry.path());
            }
        }
        if partitioned {
            out.push(dir);
        }
    }
    out.sort();
    out
}

#[test]
fn a_day_past_the_lake_waits_until_its_partitions_exist_even_empty() {
    let (project, lake) = (project(), lake());
    let past = shift(TO, 1);
    let args = ["--day", past.as_str(), "--kpi", "daily_active_members"];
    let out = run(project.path(), lake.path(), &args);
    assert_eq!(
        out.code, 1,
        "a waiting KPI-day is not a success: {}",
        out.stderr
    );
    let waiting = out.report["waiting"].as_array().unwrap();
    assert_eq!(waiting.len(), 1, "{waiting:?}");
    assert_eq!(waiting[0]["kpi"], "daily_active_members");
    assert_eq!(waiting[0]["day"], past.as_str());
    assert_eq!(
        waiting[0]["why"],
        format!("no partition app_logs.events dt={past}").as_str()
    );
    assert_eq!(out.kpi_days(), 0);
    assert!(published(lake.path()).is_empty(), "nothing is published");

    // A day with no delivery at all, declared by its empty partition: it runs, with no rows.
    for table in source_tables(lake.path()) {
        std::fs::create_dir_all(table.join(format!("dt={past}"))).unwrap();
    }
    let out = run(project.path(), lake.path(), &args);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.report["waiting"].as_array().unwrap().len(), 0);
    let published = published(lake.path());
    let table = &published[&("daily_active_members".to_string(), past.clone())];
    assert!(table.rows.is_empty(), "{:?}", table.rows);
}

#[test]
fn a_window_reaching_before_history_start_is_published_as_partial() {
    let (project, lake) = (project(), lake());
    let out = run(
        project.path(),
        lake.path(),
        &[
            "--from",
            "2024-01-01",
            "--to",
            "2024-01-31",
            "--kpi",
            "stickiness",
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let partial_days = |kpi: &str| -> u64 {
        let k = out.report["kpis"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["kpi"] == kpi)
            .unwrap();
        assert_eq!(k["days"], 31, "{kpi}");
        k["partial"].as_u64().unwrap()
    };
    // A 30-day window: every day before 2024-01-30 reads days before history_start; a
    // one-day window does not; a KPI computed from partial days is partial on those days.
    assert_eq!(partial_days("monthly_active_members"), 29);
    assert_eq!(partial_days("daily_active_members"), 0);
    assert_eq!(partial_days("stickiness"), 29);
    let catalog: Value = serde_json::from_str(
        &std::fs::read_to_string(lake.path().join(".kpi/catalog.json")).unwrap(),
    )
    .unwrap();
    for kpi in ["monthly_active_members", "stickiness"] {
        let partitions = catalog["tables"][format!("engagement_kpi.{kpi}")]["partitions"]
            .as_object()
            .unwrap();
        let partial: Vec<&String> = partitions
            .iter()
            .filter(|(_, p)| p["partial"] == true)
            .map(|(d, _)| d)
            .collect();
        assert_eq!(partial.len(), 29, "{kpi}");
        assert_eq!(partial.first().map(|d| d.as_str()), Some("2024-01-01"));
        assert_eq!(partial.last().map(|d| d.as_str()), Some("2024-01-29"));
        assert_ne!(partitions["2024-01-30"]["partial"], true, "{kpi}");
    }
}

#[test]
fn a_deleted_published_file_is_noticed_and_only_its_day_recomputed() {
    let (project, lake) = (project(), lake());
    let mut args = range();
    args.extend(["--kpi", "daily_active_members"]);
    let first = run(project.path(), lake.path(), &args);
    assert_eq!(first.code, 0, "{}", first.stderr);
    let before = published(lake.path());
    assert_eq!(before.len(), DAYS);
    // Delete the data file of one published day.
    let catalog: Value = serde_json::from_str(
        &std::fs::read_to_string(lake.path().join(".kpi/catalog.json")).unwrap(),
    )
    .unwrap();
    let day = shift(FROM, 3);
    let p = &catalog["tables"]["engagement_kpi.daily_active_members"]["partitions"][&day];
    let dir = lake
        .path()
        .join(p["location"].as_str().unwrap().trim_start_matches("s3://"));
    for f in p["files"].as_array().unwrap() {
        std::fs::remove_file(dir.join(f["name"].as_str().unwrap())).unwrap();
    }
    // Readers leave it out meanwhile; the next run notices and recomputes that day only.
    let again = run(project.path(), lake.path(), &args);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(again.kpi_days(), 1);
    let damaged = again.report["damaged"].as_array().unwrap();
    assert_eq!(damaged.len(), 1, "{damaged:?}");
    assert_eq!(damaged[0]["day"], day.as_str());
    assert_same(&published(lake.path()), &before);
}

#[test]
fn a_kpi_and_plus_selects_what_reads_it_downstream() {
    let (project, lake) = (project(), lake());
    let planned = |selection: &str| -> BTreeSet<String> {
        let out = run(
            project.path(),
            lake.path(),
            &["--day", TO, "--kpi", selection, "--dry-run"],
        );
        assert_eq!(out.code, 0, "{}", out.stderr);
        out.report["kpis"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|k| k["days"].as_u64().unwrap_or(0) > 0)
            .map(|k| k["kpi"].as_str().unwrap().to_string())
            .collect()
    };
    let alone = planned("daily_active_members");
    let plus = planned("daily_active_members+");
    assert_eq!(alone, BTreeSet::from(["daily_active_members".to_string()]));
    // Downstream: stickiness reads it, engagement_score reads stickiness; and what those
    // read that is not there yet (engagement_score's other upstreams), nothing else.
    let expected = [
        "activation",
        "daily_active_members",
        "engagement_score",
        "monthly_active_members",
        "reply_rate",
        "silent_members",
        "stickiness",
    ];
    assert_eq!(
        plus,
        expected
            .iter()
            .map(|k| k.to_string())
            .collect::<BTreeSet<_>>()
    );
    assert!(
        published(lake.path()).is_empty(),
        "a dry run publishes nothing"
    );
}

/// Two executions under one name share their attempt ids: the second must be refused before
/// it writes into the prefixes the first published, and what was published stays whole.
#[test]
fn an_execution_reusing_a_published_attempt_is_refused_and_the_data_stays() {
    use kpi_asl::{Options, RealClock, Status};
    let (project, lake) = (project(), lake());
    let out = built(project.path());
    let manifest = kpi_runtime::manifest::Manifest::read(&out.join("manifest.json")).unwrap();
    let text =
        manifest.substitute(&std::fs::read_to_string(out.join("statemachine.asl.json")).unwrap());
    let machine = kpi_asl::parse_definition_text(&text).unwrap();
    let clock = RealClock;
    let engine = kpi_asl::jsonata::Engine;
    let execute = || {
        kpi_runtime::run::with_local_aws(&manifest, lake.path(), "test", |aws| {
            kpi_asl::execute(
                &machine,
                serde_json::json!({"dates": ["2024-02-01"], "kpis": ["reply_rate"]}),
                &Options {
                    tasks: Some(aws),
                    execution_name: "the-same-name",
                    state_machine_name: "pipelines",
                    jsonata: Some(&engine),
                    ..Options::new(&clock)
                },
            )
        })
        .unwrap()
    };
    let first = execute();
    assert_eq!(first.status, Status::Succeeded, "{:?}", first.result_json());
    let before = published(lake.path());
    let second = execute();
    assert_eq!(second.status, Status::Failed);
    let result = second.result_json().to_string();
    // The cause names the KPI-day and the refusal (cut to the machine's bound on failures).
    assert!(
        result.contains("reply_rate 2024-02-01")
            && result.contains(
                "would write into s3://engagement-lake/kpi/reply_rate/attempts/dt=2024-02-01/"
            ),
        "{result}"
    );
    assert_same(&published(lake.path()), &before);
}
