//! `kpi query` as a black box: exactly one read-only query, each refused kind of statement
//! leaving the lake byte for byte as it was, each output format, no lock, no build, a broken
//! `.kpi` file; and the default lake beside the project for `run`, `query` and `sfn run`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod cli_support;

use cli_support::{Run, copy_tree, kpi_in, pipelines_in, small_lake, snapshot};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// A project and a small lake on which `kpi run` has published every KPI; built once.
struct World {
    _dir: tempfile::TempDir,
    project: PathBuf,
    lake: PathBuf,
    events: u64,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let project = pipelines_in(dir.path());
        let events = small_lake(dir.path());
        let run = kpi_in(&project, &["run"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        // Queries must not need target/: it is gone before any of them runs.
        std::fs::remove_dir_all(project.join("target")).unwrap();
        World {
            lake: dir.path().join("lake"),
            project,
            _dir: dir,
            events,
        }
    })
}

fn query(project: &Path, lake: &Path, extra: &[&str], sql: &str) -> Run {
    let mut args = vec![
        "query",
        "--project",
        project.to_str().unwrap(),
        "--lake",
        lake.to_str().unwrap(),
    ];
    args.extend(extra);
    args.push(sql);
    kpi_in(project, &args)
}

#[test]
fn every_statement_that_is_not_one_query_is_refused_and_the_lake_is_untouched() {
    let w = world();
    let before = snapshot(&w.lake);
    let outside = tempfile::tempdir().unwrap();
    let stolen = outside.path().join("stolen.csv");
    let catalog = w.lake.join(".kpi/catalog.json");
    let (catalog, stolen) = (catalog.to_str().unwrap(), stolen.to_str().unwrap());
    let not_a_query = "this text holds another kind of statement";
    let refused: Vec<(String, &str)> = vec![
        (format!("COPY (SELECT 1 AS x) TO '{catalog}'"), not_a_query),
        (
            format!("COPY (SELECT * FROM app_logs.events) TO '{stolen}'"),
            not_a_query,
        ),
        (
            format!("SELECT 1) AS x; COPY (SELECT 1) TO '{catalog}'; SELECT * FROM (SELECT 1"),
            "does not parse",
        ),
        (
            format!("SELECT 1; COPY (SELECT 1) TO '{catalog}'"),
            not_a_query,
        ),
        (
            format!("ATTACH '{}' AS lake", w.lake.join("x.duckdb").display()),
            not_a_query,
        ),
        (
            "CREATE TABLE engagement_kpi.x AS SELECT 1 AS y".into(),
            not_a_query,
        ),
        ("CREATE VIEW v AS SELECT 1".into(), not_a_query),
        (
            "INSERT INTO engagement_kpi.stickiness VALUES (1)".into(),
            not_a_query,
        ),
        ("INSTALL httpfs".into(), not_a_query),
        ("LOAD httpfs".into(), not_a_query),
        ("SET enable_external_access = true".into(), not_a_query),
        ("PRAGMA version".into(), not_a_query),
        (
            "SELECT 1; SELECT 2".into(),
            "holds 2 statements; kpi query runs exactly one",
        ),
        ("  -- only a comment".into(), "holds no statement"),
        (
            "SELECT * FROM read_text('/etc/hostname')".into(),
            "file system operations are disabled",
        ),
        (
            format!("SELECT * FROM read_text('{catalog}')"),
            "file system operations are disabled",
        ),
    ];
    for (sql, message) in &refused {
        let out = query(&w.project, &w.lake, &[], sql);
        assert_eq!(out.code, 1, "{sql}: {}{}", out.stdout, out.stderr);
        assert!(out.stderr.contains(message), "{sql}: {}", out.stderr);
        assert!(out.stdout.is_empty(), "{sql}: {}", out.stdout);
    }
    assert!(!Path::new(stolen).exists());
    let after = snapshot(&w.lake);
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>()
    );
    assert!(before == after, "a file of the lake changed");
    assert!(
        !w.project.join("target").exists(),
        "kpi query built target/"
    );
}

#[test]
fn a_query_ending_in_a_comment_prints_in_each_format() {
    let w = world();
    let sql = "SELECT count(*) AS events, 'a,\"b\"' AS text, NULL AS nothing FROM app_logs.events -- the end";
    let text = query(&w.project, &w.lake, &[], sql);
    assert_eq!(text.code, 0, "{}", text.stderr);
    let n = w.events;
    let w6 = n.to_string().len().max("events".len());
    // Numbers (and all-NULL columns) to the right, text to the left.
    let expected = [
        format!("{:>w6$}  {:<5}  {:>7}", "events", "text", "nothing"),
        format!("{}  -----  -------", "-".repeat(w6)),
        format!("{n:>w6$}  {:<5}  {:>7}", "a,\"b\"", "NULL"),
    ];
    assert_eq!(
        text.stdout,
        format!(
            "{}\n",
            expected.map(|l| l.trim_end().to_string()).join("\n")
        )
    );
    let csv = query(&w.project, &w.lake, &["--format", "csv"], sql);
    assert_eq!(
        csv.stdout,
        format!("events,text,nothing\n{n},\"a,\"\"b\"\"\",\n")
    );
    let json = query(&w.project, &w.lake, &["--format", "json"], sql);
    let rows: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(
        rows,
        serde_json::json!([{"events": n, "text": "a,\"b\"", "nothing": null}])
    );
    let kpi = query(
        &w.project,
        &w.lake,
        &["--format", "json"],
        "FROM engagement_kpi.daily_active_members ORDER BY dt, company_id LIMIT 1;",
    );
    let rows: serde_json::Value = serde_json::from_str(&kpi.stdout).unwrap();
    assert_eq!(rows[0]["dt"], "2024-01-01", "{}", kpi.stdout);
    assert!(rows[0]["active"].as_u64().unwrap() > 0, "{}", kpi.stdout);
}

#[test]
fn a_query_reads_while_a_run_holds_the_lake() {
    let w = world();
    let dir = tempfile::tempdir().unwrap();
    let lake_dir = dir.path().join("lake");
    copy_tree(&w.lake, &lake_dir);
    let project = dir.path().join("pipelines");
    copy_tree(&w.project, &project);
    let sql = "SELECT count(*) AS n FROM engagement_kpi.stickiness";
    let free = query(&project, &lake_dir, &[], sql);
    assert_eq!(free.code, 0, "{}", free.stderr);
    let lake = kpi_runtime::lake::Lake::open(&lake_dir).unwrap();
    let held = lake.lock("kpi run (test)", false).unwrap();
    let busy = kpi_in(&project, &["run", "--lake", lake_dir.to_str().unwrap()]);
    assert_eq!(busy.code, 2, "the lock is held: {}", busy.stderr);
    let during = query(&project, &lake_dir, &[], sql);
    drop(held);
    assert_eq!(during.code, 0, "{}", during.stderr);
    assert_eq!(during.stdout, free.stdout);
    assert!(
        free.stdout
            .lines()
            .nth(2)
            .unwrap()
            .trim()
            .parse::<u64>()
            .unwrap()
            > 0
    );
}

#[test]
fn a_broken_kpi_file_leaves_the_sources_and_published_tables_queryable() {
    let w = world();
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("pipelines");
    copy_tree(&w.project, &project);
    let sql = "SELECT (SELECT count(*) FROM engagement_kpi.reply_rate) AS replies, (SELECT count(*) FROM engagement_kpi.stickiness) AS sticky, (SELECT count(*) FROM app_logs.events) AS events";
    let clean = query(&project, &w.lake, &["--format", "csv"], sql);
    assert_eq!(clean.code, 0, "{}", clean.stderr);
    // reply_rate itself no longer checks.
    let file = project.join("conversations.kpi");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        text.replacen(
            "kpi reply_rate {",
            "kpi reply_rate {\n  where e.nope = 1",
            1,
        ),
    )
    .unwrap();
    assert_eq!(kpi_in(&project, &["check"]).code, 1);
    let broken = query(&project, &w.lake, &["--format", "csv"], sql);
    assert_eq!(broken.code, 0, "{}", broken.stderr);
    assert_eq!(broken.stdout, clean.stdout);
    assert!(
        broken.stderr.contains("note: the project has "),
        "{}",
        broken.stderr
    );
    let counts: Vec<u64> = clean
        .stdout
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .map(|v| v.parse().unwrap())
        .collect();
    assert!(counts[0] > 0 && counts[1] > 0, "{counts:?}");
    assert_eq!(counts[2], w.events);
}

#[test]
fn the_default_lake_is_beside_the_project_for_run_query_and_sfn_run() {
    let w = world();
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("pipelines");
    copy_tree(&w.project, &project);
    copy_tree(&w.lake, &dir.path().join("lake"));
    let run = kpi_in(
        &project,
        &[
            "run",
            "--force",
            "--day",
            "2024-01-02",
            "--kpi",
            "daily_active_members",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("daily_active_members"),
        "{}",
        run.stdout
    );
    let inside = project.join("catalog");
    let query = kpi_in(
        &inside,
        &["query", "SELECT count(*) AS n FROM app_logs.events"],
    );
    assert_eq!(query.code, 0, "{}", query.stderr);
    assert_eq!(
        query.stdout.lines().nth(2).unwrap().trim(),
        w.events.to_string()
    );
    let input = r#"{"dates": ["2024-01-03"], "kpis": ["daily_active_members"]}"#;
    let sfn = kpi_in(
        &project,
        &[
            "sfn",
            "run",
            "target/kpi/statemachine.asl.json",
            "--input",
            input,
        ],
    );
    assert_eq!(sfn.code, 0, "{}{}", sfn.stdout, sfn.stderr);
    let missing = tempfile::tempdir().unwrap();
    let alone = missing.path().join("pipelines");
    copy_tree(&w.project, &alone);
    let none = kpi_in(&alone, &["run"]);
    assert_eq!(none.code, 2);
    assert!(
        none.stderr.contains("no lake at ../lake: pass --lake DIR"),
        "{}",
        none.stderr
    );
}

#[test]
fn sample_data_refuses_a_directory_that_is_not_empty_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    std::fs::create_dir_all(lake.join(".kpi")).unwrap();
    std::fs::write(lake.join(".kpi/catalog.json"), "{}").unwrap();
    std::fs::create_dir_all(lake.join("engagement-lake/kpi/x")).unwrap();
    let args = [
        "sample-data",
        "--out",
        "lake",
        "--days",
        "2",
        "--companies",
        "2",
    ];
    let refused = kpi_in(dir.path(), &args);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(
        refused.stderr.contains(
            "lake is not empty (it holds .kpi/, engagement-lake/): pass --force to clear it first"
        ),
        "{}",
        refused.stderr
    );
    assert!(lake.join(".kpi/catalog.json").exists());
    let mut forced_args = args.to_vec();
    forced_args.push("--force");
    let forced = kpi_in(dir.path(), &forced_args);
    assert_eq!(forced.code, 0, "{}", forced.stderr);
    assert!(!lake.join(".kpi").exists() && !lake.join("engagement-lake/kpi").exists());
    let days: Vec<_> = std::fs::read_dir(lake.join("engagement-lake/app_logs/events"))
        .unwrap()
        .collect();
    assert_eq!(days.len(), 2);
    std::fs::write(dir.path().join("kpi.yaml"), "name: x\n").unwrap();
    let guarded = kpi_in(dir.path(), &["sample-data", "--out", ".", "--force"]);
    assert_eq!(guarded.code, 2);
    assert!(
        guarded.stderr.contains("--force clears only a lake"),
        "{}",
        guarded.stderr
    );
    assert!(dir.path().join("kpi.yaml").exists());
}

#[test]
fn progress_bars_show_on_a_terminal_and_not_in_a_pipe() {
    let w = world();
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&w.lake, &dir.path().join("lake"));
    let project = dir.path().join("pipelines");
    copy_tree(&w.project, &project);
    let piped = kpi_in(&project, &["run", "--force"]);
    assert_eq!(piped.code, 0, "{}", piped.stderr);
    assert!(
        !piped.stderr.contains("KPI-days") && !piped.stderr.contains('\r'),
        "{}",
        piped.stderr
    );
    // `script` gives the command a terminal; its transcript is what the terminal showed.
    let transcript = dir.path().join("transcript");
    let command = format!("{} run --force --concurrency 1", env!("CARGO_BIN_EXE_kpi"));
    let out = std::process::Command::new("script")
        .args(["-qec", &command, transcript.to_str().unwrap()])
        .current_dir(&project)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "120")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(shown.contains("KPI-days"), "{shown}");
    assert!(shown.contains("ETA"), "{shown}");
    assert!(
        shown.contains("level 0") && shown.contains("level 2"),
        "{shown}"
    );
    assert!(
        shown.contains("KPI-days computed in"),
        "the report follows: {shown}"
    );
}

#[test]
fn a_query_on_a_lake_no_run_has_touched_stages_nothing_in_it() {
    let w = world();
    let dir = tempfile::tempdir().unwrap();
    let events = small_lake(dir.path());
    let lake = dir.path().join("lake");
    let before = snapshot(&lake);
    let out = query(
        &w.project,
        &lake,
        &[],
        "SELECT count(*) AS n FROM app_logs.events",
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stdout.lines().nth(2).unwrap().trim(),
        events.to_string()
    );
    assert!(
        !lake.join(".kpi").exists(),
        "the JSON sources were staged outside the lake"
    );
    assert!(before == snapshot(&lake));
}
