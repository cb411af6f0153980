//! `<lake>/kpi.duckdb` as another tool reads it: opened read-only by DuckDB itself from other
//! working directories (and after the lake moved), every KPI table gives the rows `kpi query`
//! gives; a forced rerun of a KPI-day shows its new attempt only; a reader holding the file
//! open does not hold back a run.
//!
//! One test: it changes the process's working directory, as a reader's shell would be.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{copy_tree, kpi, root, run};
use duckdb::{AccessMode, Config, Connection};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

const DB: &str = "engagement_kpi";

fn open_read_only(path: &Path) -> Connection {
    let config = Config::default().access_mode(AccessMode::ReadOnly).unwrap();
    Connection::open_with_flags(path, config).unwrap()
}

fn strings(conn: &Connection, sql: &str) -> Vec<String> {
    let mut stmt = conn.prepare(sql).unwrap();
    let rows = stmt.query_map([], |r| r.get::<_, String>(0)).unwrap();
    rows.collect::<Result<_, _>>().unwrap()
}

fn count(conn: &Connection, sql: &str) -> u64 {
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

/// A KPI table's rows as JSON objects, sorted.
fn reader_rows(conn: &Connection, kpi: &str) -> Vec<String> {
    // Through serde_json, as `kpi query`'s rows are, so doubles print alike.
    let mut rows: Vec<String> = strings(
        conn,
        &format!("SELECT CAST(to_json(q) AS VARCHAR) FROM {DB}.{kpi} AS q"),
    )
    .iter()
    .map(|r| serde_json::from_str::<Value>(r).unwrap().to_string())
    .collect();
    rows.sort();
    rows
}

/// The same rows as `kpi query --format json` prints them, sorted.
fn query_rows(project: &Path, lake: &Path, kpi_name: &str) -> Vec<String> {
    let out = run(kpi()
        .args(["query", "--format", "json", "--project"])
        .arg(project)
        .arg("--lake")
        .arg(lake)
        .arg(format!("SELECT * FROM {DB}.{kpi_name}")));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let rows: Vec<Value> = serde_json::from_str(&out.stdout).unwrap();
    let mut rows: Vec<String> = rows.iter().map(Value::to_string).collect();
    rows.sort();
    rows
}

fn kpi_run(project: &Path, lake: &Path, extra: &[&str]) {
    let out = run(kpi()
        .args(["run", "--quiet", "--project"])
        .arg(project)
        .arg("--lake")
        .arg(lake)
        .args(extra));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
}

fn catalog(lake: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(lake.join(".kpi/catalog.json")).unwrap()).unwrap()
}

#[test]
fn outside_readers_see_exactly_the_current_attempts() {
    let dir = tempfile::tempdir().unwrap();
    let top = dir.path().canonicalize().unwrap();
    let project = top.join("pipelines");
    copy_tree(&root().join("pipelines"), &project);
    let lake = top.join("lake");
    let out = run(kpi()
        .args(["sample-data", "--days", "8", "--companies", "3", "--out"])
        .arg(&lake));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let manifest_of = || -> Value {
        serde_json::from_str(
            &std::fs::read_to_string(project.join("target/kpi/manifest.json")).unwrap(),
        )
        .unwrap()
    };

    // One KPI published: every KPI has its view, the others typed and empty.
    kpi_run(&project, &lake, &["--kpi", "daily_active_members"]);
    let manifest = manifest_of();
    let kpis: Vec<String> = manifest["kpis"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["name"].as_str().unwrap().to_string())
        .collect();
    assert!(kpis.len() > 3, "{kpis:?}");
    {
        let conn = open_read_only(&lake.join("kpi.duckdb"));
        let views: BTreeSet<String> = strings(
            &conn,
            &format!("SELECT view_name FROM duckdb_views() WHERE schema_name = '{DB}'"),
        )
        .into_iter()
        .collect();
        assert_eq!(views, kpis.iter().cloned().collect());
        assert!(
            count(
                &conn,
                &format!("FROM {DB}.daily_active_members SELECT count(*)")
            ) > 0
        );
        let stickiness = manifest["kpis"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["name"] == "stickiness")
            .unwrap();
        let mut expected: Vec<String> = stickiness["columns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_string())
            .collect();
        expected.push("dt".into());
        let described = strings(
            &conn,
            &format!("SELECT column_name FROM (DESCRIBE {DB}.stickiness)"),
        );
        assert_eq!(described, expected);
        assert_eq!(
            count(&conn, &format!("FROM {DB}.stickiness SELECT count(*)")),
            0
        );
        let dt_type: String = conn
            .query_row(
                &format!("SELECT column_type FROM (DESCRIBE {DB}.daily_active_members) WHERE column_name = 'dt'"),
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(dt_type, "VARCHAR");
    }

    // Everything published: from the lake's parent, by a relative path, every table is what
    // `kpi query` gives.
    kpi_run(&project, &lake, &[]);
    std::env::set_current_dir(&top).unwrap();
    let conn = open_read_only(Path::new("lake/kpi.duckdb"));
    let mut all = Vec::new();
    for k in &kpis {
        let rows = reader_rows(&conn, k);
        assert!(!rows.is_empty(), "{k} has no rows");
        assert_eq!(rows, query_rows(&project, &lake, k), "{k}");
        all.push(rows);
    }
    drop(conn);

    // The lake moved, read from a folder beside it and from inside it.
    let moved = top.join("moved/elsewhere");
    std::fs::create_dir_all(moved.parent().unwrap()).unwrap();
    std::fs::rename(&lake, &moved).unwrap();
    let away = top.join("away");
    std::fs::create_dir_all(&away).unwrap();
    for (cwd, file) in [
        (&away, "../moved/elsewhere/kpi.duckdb"),
        (&moved, "kpi.duckdb"),
    ] {
        std::env::set_current_dir(cwd).unwrap();
        let conn = open_read_only(Path::new(file));
        for (k, rows) in kpis.iter().zip(&all) {
            assert_eq!(&reader_rows(&conn, k), rows, "{k} from {}", cwd.display());
        }
    }
    std::env::set_current_dir(&top).unwrap();
    std::fs::rename(&moved, &lake).unwrap();

    // A reader holds the file open while a forced rerun of one KPI-day writes a new attempt.
    let day = manifest["project"]["history_start"].as_str().unwrap();
    let before = catalog(&lake)["tables"][format!("{DB}.stickiness")]["partitions"][day].clone();
    let holder = open_read_only(&lake.join("kpi.duckdb"));
    assert!(count(&holder, &format!("FROM {DB}.stickiness SELECT count(*)")) > 0);
    kpi_run(
        &project,
        &lake,
        &["--kpi", "stickiness", "--day", day, "--force"],
    );
    let after = catalog(&lake)["tables"][format!("{DB}.stickiness")]["partitions"][day].clone();
    assert_ne!(before["attempt"], after["attempt"]);
    let attempts = lake
        .join(
            before["location"]
                .as_str()
                .unwrap()
                .strip_prefix("s3://")
                .unwrap(),
        )
        .parent()
        .unwrap()
        .to_path_buf();
    assert_eq!(
        std::fs::read_dir(&attempts).unwrap().count(),
        2,
        "the superseded attempt stays on disk until the next run"
    );
    drop(holder);
    let conn = open_read_only(&lake.join("kpi.duckdb"));
    let published: u64 = catalog(&lake)["tables"][format!("{DB}.stickiness")]["partitions"]
        .as_object()
        .unwrap()
        .values()
        .map(|p| p["rows"].as_u64().unwrap())
        .sum();
    assert_eq!(
        count(&conn, &format!("FROM {DB}.stickiness SELECT count(*)")),
        published
    );
    let new_dir = lake.join(
        after["location"]
            .as_str()
            .unwrap()
            .strip_prefix("s3://")
            .unwrap(),
    );
    let direct = count(
        &conn,
        &format!(
            "SELECT count(*) FROM read_parquet('{}/*.parquet')",
            new_dir.display()
        ),
    );
    assert_eq!(
        count(
            &conn,
            &format!("SELECT count(*) FROM {DB}.stickiness WHERE dt = '{day}'")
        ),
        direct
    );
    let position = kpis.iter().position(|k| k == "stickiness").unwrap();
    assert_eq!(reader_rows(&conn, "stickiness"), all[position]);
    assert_eq!(
        reader_rows(&conn, "stickiness"),
        query_rows(&project, &lake, "stickiness")
    );
    let leftovers: Vec<String> = std::fs::read_dir(&lake)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("kpi.duckdb") && n != "kpi.duckdb")
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    drop(conn);

    // A run with nothing to publish leaves the file as it is: the same views, not rewritten.
    // (First, what reads the day recomputed above is brought up to date.)
    kpi_run(&project, &lake, &[]);
    let stamp = |path: &Path| {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::metadata(path).unwrap();
        (m.ino(), m.modified().unwrap(), m.len())
    };
    let file = lake.join("kpi.duckdb");
    let unchanged = stamp(&file);
    kpi_run(&project, &lake, &[]);
    assert_eq!(stamp(&file), unchanged);
    let conn = open_read_only(&file);
    assert_eq!(reader_rows(&conn, "stickiness"), all[position]);
    drop(conn);
    // Deleted, it is written again by the next run, even one with nothing to publish.
    std::fs::remove_file(&file).unwrap();
    kpi_run(&project, &lake, &[]);
    let conn = open_read_only(&file);
    assert_eq!(reader_rows(&conn, "stickiness"), all[position]);
}
