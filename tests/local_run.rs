//! `kpi run` end to end on a generated lake: the values equal an independent computation in
//! plain Rust over the raw files; a backfill writes what day-by-day runs write; a run killed
//! with SIGKILL and run again ends where an uninterrupted run ends; a damaged input file fails
//! its KPI-days (and what reads them) naming the file, and the next run redoes only those; a
//! second run on a locked lake is refused, naming the holder.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{kpi, root};
use duckdb::Connection;
use kpi_sample::{SampleOptions, generate};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// 36 days of 8 companies: enough history for a 28-day retention cohort at the end.
const FROM: &str = "2024-01-30";
const TO: &str = "2024-02-05";

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
        let report = generate(dir.path(), &sample_options()).unwrap();
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

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
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

struct Outcome {
    code: i32,
    report: Value,
    stderr: String,
}

fn run(project: &Path, lake: &Path, extra: &[&str]) -> Outcome {
    let out = kpi()
        .arg("run")
        .arg("--project")
        .arg(project)
        .arg("--lake")
        .arg(lake)
        .args(["--format", "json"])
        .args(extra)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    Outcome {
        code: out.status.code().unwrap_or(-1),
        report: serde_json::from_str(&stdout).unwrap_or(Value::Null),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn range() -> Vec<&'static str> {
    vec!["--from", FROM, "--to", TO]
}

type Rows = BTreeMap<(String, String), Vec<String>>;

/// Every published KPI-day of the lake: (KPI, day) → its rows as sorted text lines.
fn published(lake: &Path) -> Rows {
    let catalog: Value =
        serde_json::from_str(&std::fs::read_to_string(lake.join(".kpi/catalog.json")).unwrap())
            .unwrap();
    let conn = Connection::open_in_memory().unwrap();
    let mut out = Rows::new();
    for (table, t) in catalog["tables"].as_object().unwrap() {
        let kpi = table.split('.').nth(1).unwrap().to_string();
        for (day, p) in t["partitions"].as_object().unwrap() {
            let location = p["location"].as_str().unwrap().trim_start_matches("s3://");
            let files: Vec<PathBuf> = std::fs::read_dir(lake.join(location))
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
            assert_eq!(files.len(), 1, "{kpi} {day}: one file per partition");
            let mut stmt = conn
                .prepare(&format!(
                    "SELECT to_json(t)::VARCHAR FROM read_parquet('{}', hive_partitioning = false) t",
                    files[0].display()
                ))
                .unwrap();
            let mut rows: Vec<String> = stmt
                .query_map([], |r| r.get(0))
                .unwrap()
                .map(Result::unwrap)
                .collect();
            rows.sort();
            assert_eq!(
                rows.len() as u64,
                p["rows"].as_u64().unwrap(),
                "{kpi} {day}: the catalog's row count"
            );
            out.insert((kpi.clone(), day.clone()), rows);
        }
    }
    out
}

/// Asserts two lakes published the same rows, naming the first KPI-day that differs.
fn assert_same(a: &Rows, b: &Rows) {
    let keys = |r: &Rows| r.keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(a), keys(b), "the same KPI-days");
    for (k, rows) in a {
        assert_eq!(rows, &b[k], "{k:?}");
    }
}

/// Named columns of one KPI-day's rows, keyed by the text of the key columns.
fn kpi_values(lake: &Path, kpi: &str, day: &str, keys: &[&str]) -> BTreeMap<String, Value> {
    let catalog: Value =
        serde_json::from_str(&std::fs::read_to_string(lake.join(".kpi/catalog.json")).unwrap())
            .unwrap();
    let p = &catalog["tables"][format!("engagement_kpi.{kpi}")]["partitions"][day];
    let location = p["location"].as_str().unwrap().trim_start_matches("s3://");
    let conn = Connection::open_in_memory().unwrap();
    let mut stmt = conn
        .prepare(&format!(
            "SELECT to_json(t)::VARCHAR FROM read_parquet('{}/*.parquet', hive_partitioning = false) t",
            lake.join(location).display()
        ))
        .unwrap();
    let rows: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    rows.iter()
        .map(|r| {
            let v: Value = serde_json::from_str(r).unwrap();
            let key = keys
                .iter()
                .map(|k| v[*k].to_string())
                .collect::<Vec<_>>()
                .join("/");
            (key, v)
        })
        .collect()
}

// ---- the independent computation: plain Rust over the raw files ----

struct Event {
    id: String,
    member: i64,
    company: i64,
    kind: String,
    target_post: Option<String>,
}

struct Member {
    member: i64,
    company: i64,
    department: i64,
    joined: String,
    left: Option<String>,
}

struct Raw {
    /// Day → events (malformed lines left out).
    events: BTreeMap<String, Vec<Event>>,
    /// Day → that day's members snapshot.
    members: BTreeMap<String, Vec<Member>>,
}

fn raw(lake: &Path) -> Raw {
    let root = lake.join("engagement-lake");
    let mut events = BTreeMap::new();
    for entry in std::fs::read_dir(root.join("app_logs/events")).unwrap() {
        let dir = entry.unwrap().path();
        let day = dir.file_name().unwrap().to_string_lossy()[3..].to_string();
        let file = std::fs::File::open(dir.join("part-0.json.gz")).unwrap();
        let mut list = Vec::new();
        for line in BufReader::new(flate2::read::GzDecoder::new(file)).lines() {
            let Ok(v) = serde_json::from_str::<Value>(&line.unwrap()) else {
                continue;
            };
            let Some(o) = v.as_object() else { continue };
            list.push(Event {
                id: o["event_id"].as_str().unwrap().into(),
                member: o["member_id"].as_i64().unwrap(),
                company: o["company_id"].as_i64().unwrap(),
                kind: o["kind"].as_str().unwrap().into(),
                target_post: o["target_post_id"].as_str().map(String::from),
            });
        }
        events.insert(day, list);
    }
    let conn = Connection::open_in_memory().unwrap();
    let mut stmt = conn
        .prepare(&format!(
            "SELECT dt, member_id, company_id, department_id, CAST(joined_on AS VARCHAR), CAST(left_on AS VARCHAR)
             FROM read_parquet('{}/master/members/*/*.parquet', hive_partitioning = true, hive_types = {{'dt': 'VARCHAR'}})",
            root.display()
        ))
        .unwrap();
    let mut members: BTreeMap<String, Vec<Member>> = BTreeMap::new();
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                Member {
                    member: r.get(1)?,
                    company: r.get(2)?,
                    department: r.get(3)?,
                    joined: r.get(4)?,
                    left: r.get(5)?,
                },
            ))
        })
        .unwrap();
    for row in rows {
        let (day, m) = row.unwrap();
        members.entry(day).or_default().push(m);
    }
    Raw { events, members }
}

fn shift(day: &str, by: i64) -> String {
    let d = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap();
    (d + chrono::Duration::days(by))
        .format("%Y-%m-%d")
        .to_string()
}

fn social(kind: &str) -> bool {
    matches!(kind, "post" | "comment" | "reaction" | "thanks")
}

impl Raw {
    fn window(&self, day: &str, days: i64) -> impl Iterator<Item = &Event> {
        (0..days).flat_map(move |i| {
            self.events
                .get(&shift(day, -i))
                .map(Vec::as_slice)
                .unwrap_or_default()
        })
    }

    /// Company → distinct members with a social action in the window.
    fn active(&self, day: &str, days: i64) -> BTreeMap<i64, usize> {
        let mut sets: BTreeMap<i64, BTreeSet<i64>> = BTreeMap::new();
        for e in self.window(day, days).filter(|e| social(&e.kind)) {
            sets.entry(e.company).or_default().insert(e.member);
        }
        sets.into_iter().map(|(c, s)| (c, s.len())).collect()
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn kpi_values_equal_an_independent_computation() {
    let (project, lake) = (project(), lake());
    let out = run(project.path(), lake.path(), &range());
    assert_eq!(out.code, 0, "{}\n{}", out.stderr, out.report);
    let raw = raw(lake.path());
    let mut compared = 0;
    for day in ["2024-01-30", "2024-02-02", "2024-02-05"] {
        // Daily and monthly (30-day window) active members per company.
        for (kpi, days) in [("daily_active_members", 1), ("monthly_active_members", 30)] {
            let got = kpi_values(lake.path(), kpi, day, &["company_id"]);
            let want = raw.active(day, days);
            assert_eq!(got.len(), want.len(), "{kpi} {day}: companies");
            for (company, n) in &want {
                assert_eq!(
                    got[&company.to_string()]["active"].as_u64().unwrap() as usize,
                    *n,
                    "{kpi} {day} company {company}"
                );
                compared += 1;
            }
        }

        // Reply rate: the day's posts that got a comment the same day.
        let todays = &raw.events[day];
        let commented: BTreeSet<&str> = todays
            .iter()
            .filter(|e| e.kind == "comment")
            .filter_map(|e| e.target_post.as_deref())
            .collect();
        let mut posts: BTreeMap<i64, (usize, usize)> = BTreeMap::new();
        for p in todays.iter().filter(|e| e.kind == "post") {
            let entry = posts.entry(p.company).or_default();
            entry.0 += 1;
            entry.1 += usize::from(commented.contains(p.id.as_str()));
        }
        let got = kpi_values(lake.path(), "reply_rate", day, &["company_id"]);
        assert_eq!(got.len(), posts.len(), "reply_rate {day}: companies");
        for (company, (n, replied)) in &posts {
            let row = &got[&company.to_string()];
            assert_eq!(row["posts"].as_u64().unwrap() as usize, *n);
            assert_eq!(row["replied"].as_u64().unwrap() as usize, *replied);
            assert!(close(
                row["rate"].as_f64().unwrap(),
                *replied as f64 / *n as f64
            ));
            compared += 1;
        }

        // Thanks sent per department, through the day's members snapshot.
        let department: BTreeMap<i64, i64> = raw.members[day]
            .iter()
            .map(|m| (m.member, m.department))
            .collect();
        let mut thanks: BTreeMap<(i64, i64), (usize, BTreeSet<i64>)> = BTreeMap::new();
        for e in todays.iter().filter(|e| e.kind == "thanks") {
            if let Some(d) = department.get(&e.member) {
                let entry = thanks.entry((e.company, *d)).or_default();
                entry.0 += 1;
                entry.1.insert(e.member);
            }
        }
        let got = kpi_values(
            lake.path(),
            "thanks_by_department",
            day,
            &["company_id", "department_id"],
        );
        assert_eq!(got.len(), thanks.len(), "thanks_by_department {day}");
        for ((company, dept), (sent, senders)) in &thanks {
            let row = &got[&format!("{company}/{dept}")];
            assert_eq!(row["sent"].as_u64().unwrap() as usize, *sent);
            assert_eq!(row["senders"].as_u64().unwrap() as usize, senders.len());
            compared += 1;
        }

        // 28-day retention: the cohort that joined 34 to 28 days ago, active this week.
        let first = shift(day, -34);
        let last = shift(day, -28);
        let mut cohorts: BTreeMap<i64, BTreeSet<i64>> = BTreeMap::new();
        for m in &raw.members[day] {
            if m.joined >= first && m.joined <= last {
                cohorts.entry(m.company).or_default().insert(m.member);
            }
        }
        let week: BTreeSet<i64> = raw.window(day, 7).map(|e| e.member).collect();
        let got = kpi_values(lake.path(), "retention_28d", day, &["company_id"]);
        assert_eq!(got.len(), cohorts.len(), "retention_28d {day}: companies");
        for (company, cohort) in &cohorts {
            let retained = cohort.iter().filter(|m| week.contains(m)).count();
            let row = &got[&company.to_string()];
            assert_eq!(row["cohort"].as_u64().unwrap() as usize, cohort.len());
            assert_eq!(row["retained"].as_u64().unwrap() as usize, retained);
            compared += 1;
        }

        // Silent members: present members with no event at all in 30 days.
        let month: BTreeSet<i64> = raw.window(day, 30).map(|e| e.member).collect();
        let mut silent: BTreeMap<i64, (usize, usize)> = BTreeMap::new();
        for m in raw.members[day].iter().filter(|m| m.left.is_none()) {
            let entry = silent.entry(m.company).or_default();
            entry.0 += 1;
            entry.1 += usize::from(!month.contains(&m.member));
        }
        let got = kpi_values(lake.path(), "silent_members", day, &["company_id"]);
        for (company, (members, quiet)) in &silent {
            let row = &got[&company.to_string()];
            assert_eq!(row["members"].as_u64().unwrap() as usize, *members);
            assert_eq!(row["silent"].as_u64().unwrap() as usize, *quiet);
            compared += 1;
        }
    }
    assert!(compared > 100, "only {compared} values compared");
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
    assert_eq!(total % 7, 0, "every KPI for each of the 7 days");
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
    loop {
        let n = std::fs::read_to_string(&catalog)
            .map(|t| t.matches("\"location\"").count())
            .unwrap_or(0);
        if n >= 5 || std::time::Instant::now() > deadline {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL
    let status = child.wait().unwrap();
    assert!(!status.success(), "the run was killed before it finished");
    let partial = published(killed.path()).len();
    assert!(partial < want.len(), "killed after {partial} KPI-days");

    let resumed = run(project.path(), killed.path(), &range());
    assert_eq!(resumed.code, 0, "{}", resumed.stderr);
    assert_eq!(
        resumed.report["kpi_days"].as_u64().unwrap() as usize
            + resumed.report["up_to_date"].as_u64().unwrap() as usize,
        want.len()
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

#[test]
fn sfn_run_binds_athena_tasks_of_a_built_machine_to_the_lake() {
    let (project, lake) = (project(), lake());
    let build = kpi()
        .args(["build", "--project"])
        .arg(project.path())
        .output()
        .unwrap();
    assert!(build.status.success());
    let definition = project.path().join("target/kpi/statemachine.asl.json");
    let out = kpi()
        .args(["sfn", "run"])
        .arg(&definition)
        .arg("--lake")
        .arg(lake.path())
        .args([
            "--input",
            r#"{"dates": ["2024-02-01"], "kpis": ["reply_rate"]}"#,
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    let summary: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(summary["kpiDays"], 1);
    let published = published(lake.path());
    assert_eq!(
        published.keys().collect::<Vec<_>>(),
        vec![&("reply_rate".to_string(), "2024-02-01".to_string())]
    );
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
fn late_arriving_source_data_makes_the_kpi_days_that_read_it_stale() {
    let (project, lake) = (project(), lake());
    assert_eq!(run(project.path(), lake.path(), &range()).code, 0);
    let day = "2024-02-03";
    let before = kpi_values(lake.path(), "daily_active_members", day, &["company_id"]);

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
    let after = kpi_values(lake.path(), "daily_active_members", day, &["company_id"]);
    let company = post["company_id"].to_string();
    assert_eq!(
        after[&company]["active"].as_u64().unwrap(),
        before[&company]["active"].as_u64().unwrap() + 1
    );
}
