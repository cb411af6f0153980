//! The lake's layout as data: partition values from the table's own directories only (a
//! `dt=` above the lake changes nothing, and pruning still opens only the partitions a query
//! asks for), file names never globbed nor taken for each other's prefix, leftovers of a
//! killed run swept, and values that do not convert failing only the queries that read them.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use kpi_runtime::engine::Engine;
use kpi_runtime::lake::{Lake, LocalCatalog, LocalPartition};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

const COLUMNS: &[(&str, &str)] = &[("id", "bigint"), ("ts", "timestamp")];

fn tables() -> [support::Table<'static>; 2] {
    [
        ("db", "j", "json", COLUMNS),
        ("db", "p", "parquet", COLUMNS),
    ]
}

/// Writes day `d` (1-based, January 2024) of both tables: ids `100 d + 1 ..= 100 d + n`.
fn write_day(root: &Path, d: u32, n: u32) {
    let day = format!("2024-01-{d:02}");
    let lines: Vec<String> = (1..=n)
        .map(|i| {
            format!(
                "{{\"id\": {}, \"ts\": \"{day}T10:00:0{}Z\"}}",
                100 * d + i,
                i % 10
            )
        })
        .collect();
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    support::write_json(root, "db/j", &day, "part-0.json.gz", &lines);
    support::write_parquet(
        root,
        "db/p",
        &day,
        "part-0.parquet",
        &format!(
            "SELECT range + {} AS id, TIMESTAMP '{day} 10:00:00' AS ts FROM range(1, {})",
            100 * d,
            n + 1
        ),
    );
}

fn by_day(engine: &Engine, table: &str) -> Vec<Vec<String>> {
    let sql = format!(
        "SELECT dt, CAST(count(*) AS VARCHAR), CAST(sum(id) AS VARCHAR) FROM db.{table} GROUP BY dt ORDER BY dt"
    );
    support::rows(engine.connection(), &sql).unwrap()
}

#[test]
fn a_dt_directory_above_the_lake_changes_no_value() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("exports/dt=2099-01-01/lake");
    for d in 1..=3 {
        write_day(&root, d, 2);
    }
    let lake = Lake::open(&root).unwrap();
    let engine = Engine::open(&lake, &support::manifest_of(&tables())).unwrap();
    let want = [
        ["2024-01-01", "2", "203"],
        ["2024-01-02", "2", "403"],
        ["2024-01-03", "2", "603"],
    ];
    for table in ["j", "p"] {
        assert_eq!(by_day(&engine, table), want, "db.{table}");
    }

    // A KPI's published partitions read the same way, under the same lake.
    let mut manifest = support::manifest_of(&tables());
    manifest.kpis.push(serde_json::from_value(serde_json::json!({
        "name": "k", "doc": null, "fingerprint": "f", "level": 0, "upstream": [], "reads": [],
        "location": "s3://lake/kpi/k/", "attempts_location": "s3://lake/kpi/k/attempts/",
        "columns": [{"name": "n", "type": {"type": "big_int"}}], "dimensions": [], "statements": []
    }))
    .unwrap());
    let location = "s3://lake/kpi/k/attempts/dt=2024-01-02/attempt=a1/";
    let data = lake.path_of(location).unwrap();
    std::fs::create_dir_all(&data).unwrap();
    let conn = duckdb::Connection::open_in_memory().unwrap();
    // The local engine writes a partition's files with their `dt` inside.
    conn.execute_batch(&format!(
        "COPY (SELECT 7 AS n, '2024-01-02' AS dt) TO '{}' (FORMAT parquet)",
        data.join("data.parquet").display()
    ))
    .unwrap();
    let mut catalog = LocalCatalog::default();
    catalog.create_table("kpi_test", "k", "f");
    let partition = LocalPartition {
        location: location.into(),
        attempt: "a1".into(),
        fingerprint: "f".into(),
        sequence: 0,
        rows: 1,
        inputs: None,
        partial: false,
        files: lake.partition_files(location).unwrap(),
    };
    catalog.switch(
        "kpi_test",
        "k",
        kpi_contract::Day::parse("2024-01-02").unwrap(),
        partition,
    );
    let kpis = Engine::open(&lake, &manifest).unwrap();
    kpis.refresh_kpi_view(&lake, &manifest.kpis[0], &catalog)
        .unwrap();
    let rows = support::rows(
        kpis.connection(),
        "SELECT dt, CAST(n AS VARCHAR) FROM kpi_test.k",
    )
    .unwrap();
    assert_eq!(rows, [["2024-01-02", "7"]]);
}

/// The files a query read (`READ` operations in DuckDB's file-system log), past the schema
/// of the view's first file, which binding the view reads (its footer only).
fn files_read(engine: &Engine, sql: &str) -> BTreeSet<PathBuf> {
    let conn = engine.connection();
    kpi_runtime::reads::enable(conn).unwrap();
    let (_, read) = kpi_runtime::reads::query(conn, sql).unwrap();
    conn.execute_batch("CALL disable_logging();").unwrap();
    read.iter()
        .filter(|r| !kpi_runtime::reads::schema_only(r))
        .map(|r| PathBuf::from(&r.path))
        .collect()
}

#[test]
fn a_partition_filter_reads_only_those_partitions_files() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("exports/dt=2099-01-01/lake");
    for d in 1..=5 {
        write_day(&root, d, 3);
    }
    let lake = Lake::open(&root).unwrap();
    let engine = Engine::open(&lake, &support::manifest_of(&tables())).unwrap();
    let staged = |d: u32| -> Vec<PathBuf> {
        let dir = lake
            .root()
            .join(format!(".kpi/staged/db/j/dt=2024-01-{d:02}"));
        std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
            .collect()
    };
    // `sum(id)` reads the values, not only the footers' row counts.
    let sql = "SELECT CAST(sum(id) AS VARCHAR) FROM db.{t} WHERE dt BETWEEN '2024-01-02' AND '2024-01-03'";
    let json: BTreeSet<PathBuf> = [2, 3].into_iter().flat_map(staged).collect();
    assert_eq!(json.len(), 2);
    assert_eq!(files_read(&engine, &sql.replace("{t}", "j")), json);
    let parquet: BTreeSet<PathBuf> = [2, 3]
        .into_iter()
        .map(|d| {
            lake.root()
                .join(format!("lake/db/p/dt=2024-01-{d:02}/part-0.parquet"))
        })
        .collect();
    assert_eq!(files_read(&engine, &sql.replace("{t}", "p")), parquet);
    let days = "SELECT CAST(sum(id) AS VARCHAR) FROM db.j WHERE dt = strftime(DATE '2024-01-05' - INTERVAL 1 DAY, '%Y-%m-%d')";
    assert_eq!(files_read(&engine, days), staged(4).into_iter().collect());
}

#[test]
fn json_file_names_are_never_globbed_nor_taken_for_a_prefix() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let day = "2024-01-01";
    let line = |id: u32| format!("{{\"id\": {id}, \"ts\": \"{day} 00:00:00\"}}");
    let (a, b, c, d) = (line(1), line(2), line(3), line(4));
    support::write_json(root, "db/j", day, "part-0.json.gz", &[&a]);
    support::write_json(root, "db/j", day, "part-*.json.gz", &[&b]);
    support::write_json(root, "db/j", day, "part-0.late.json.gz", &[&c]);
    support::write_json(root, "db/j", day, "part-[0].json.gz", &[&d]);
    let lake = Lake::open(root).unwrap();
    let manifest = support::manifest_of(&tables());
    for round in 0..2 {
        let engine = Engine::open(&lake, &manifest).unwrap();
        let staged: BTreeSet<String> =
            std::fs::read_dir(lake.root().join(".kpi/staged/db/j/dt=2024-01-01"))
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
                .filter(|n| n.ends_with(".parquet"))
                .map(|n| n.split('.').take(3).collect::<Vec<_>>().join("."))
                .collect();
        let want = [
            "part-%2A.json.gz",
            "part-%5B0%5D.json.gz",
            "part-0.json.gz",
            "part-0.late.json",
        ];
        assert_eq!(
            staged,
            want.map(String::from).into(),
            "round {round}: each file has its own staged copy"
        );
        let sql = "SELECT CAST(id AS VARCHAR) FROM db.j ORDER BY id";
        assert_eq!(
            support::rows(engine.connection(), sql).unwrap(),
            [["1"], ["2"], ["3"], ["4"]],
            "round {round}"
        );
    }
}

#[test]
fn parquet_file_names_are_never_globbed() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let day = "2024-01-01";
    support::write_parquet(
        root,
        "db/p",
        day,
        "p1.parquet",
        "SELECT 1 AS id, NULL::TIMESTAMP AS ts",
    );
    support::write_parquet(
        root,
        "db/p",
        day,
        "p[1].parquet",
        "SELECT 2 AS id, NULL::TIMESTAMP AS ts",
    );
    support::write_parquet(
        root,
        "db/p",
        day,
        "p?.parquet",
        "SELECT 3 AS id, NULL::TIMESTAMP AS ts",
    );
    support::write_parquet(
        root,
        "db/p",
        day,
        "p*.parquet",
        "SELECT 4 AS id, NULL::TIMESTAMP AS ts",
    );
    let lake = Lake::open(root).unwrap();
    let engine = Engine::open(&lake, &support::manifest_of(&tables())).unwrap();
    let sql = "SELECT CAST(id AS VARCHAR) FROM db.p ORDER BY id";
    assert_eq!(
        support::rows(engine.connection(), sql).unwrap(),
        [["1"], ["2"], ["3"], ["4"]]
    );
}

#[test]
fn leftovers_of_a_killed_run_and_copies_of_deleted_files_are_swept() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for d in 1..=3 {
        write_day(root, d, 2);
    }
    let lake = Lake::open(root).unwrap();
    let manifest = support::manifest_of(&tables());
    drop(Engine::open(&lake, &manifest).unwrap());
    let staged = lake.root().join(".kpi/staged/db/j");
    let day1 = staged.join("dt=2024-01-01");
    let leftovers = [
        day1.join(".part-0.json.gz.1-2.parquet.4242.tmp"),
        day1.join(".part-0.json.gz.1-2.parquet.4242.jsonl"),
        day1.join("part-0.json.gz.1-2.parquet"),
        day1.join("part-0.json.gz.1-2.malformed"),
    ];
    for f in &leftovers {
        std::fs::write(f, "half").unwrap();
    }
    std::fs::remove_dir_all(root.join("lake/db/j/dt=2024-01-03")).unwrap();
    std::fs::remove_file(root.join("lake/db/j/dt=2024-01-02/part-0.json.gz")).unwrap();
    let engine = Engine::open(&lake, &manifest).unwrap();
    for f in &leftovers {
        assert!(!f.exists(), "{} was left", f.display());
    }
    assert!(!staged.join("dt=2024-01-03").exists());
    let day2 = std::fs::read_dir(staged.join("dt=2024-01-02")).map_or(0, Iterator::count);
    assert_eq!(day2, 0, "the copy of a deleted file stays");
    let kept: Vec<String> = std::fs::read_dir(&day1)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    assert_eq!(kept.len(), 2, "{kept:?}");
    assert_eq!(by_day(&engine, "j"), [["2024-01-01", "2", "203"]]);
}

#[test]
fn a_value_that_does_not_convert_fails_the_queries_that_read_its_file_and_no_other() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write_day(root, 1, 2);
    let bad = support::write_json(
        root,
        "db/j",
        "2024-01-02",
        "part-0.json",
        &[
            "{\"id\": 1, \"ts\": \"2024-01-02T10:00:00Z\"}",
            "not json at all",
            "{\"id\": 2, \"ts\": \"2024-01-02 10:00:00+09:00\"}",
            "{\"id\": \"two\", \"ts\": \"2024-13-02T10:00:00Z\"}",
        ],
    );
    let lake = Lake::open(root).unwrap();
    let manifest = support::manifest_of(&tables());
    for round in 0..2 {
        let engine = Engine::open(&lake, &manifest).unwrap();
        let conn = engine.connection();
        let ok = support::rows(
            conn,
            "SELECT CAST(count(ts) AS VARCHAR) FROM db.j WHERE dt = '2024-01-01'",
        )
        .unwrap();
        assert_eq!(ok, [["2"]], "round {round}");
        let err =
            support::rows(conn, "SELECT count(*) FROM db.j WHERE dt = '2024-01-02'").unwrap_err();
        for part in [
            &bad.display().to_string(),
            "column `ts`: 2 values not readable as timestamp (first on line 3: \"2024-01-02 10:00:00+09:00\")",
            "column `id`: 1 value not readable as bigint (first on line 4: \"two\")",
        ] {
            assert!(err.contains(part), "round {round}: {part} not in {err}");
        }
        assert!(support::rows(conn, "SELECT count(*) FROM db.j").is_err());
        let source = &manifest.sources.iter().find(|s| s.table == "j").unwrap();
        let probe = kpi_runtime::engine::probe_file(&engine, source, &bad)
            .unwrap_err()
            .0;
        assert!(probe.contains("column `id`"), "{probe}");
        assert_eq!(kpi_runtime::engine::malformed_lines(&bad).unwrap(), 1);
    }
    // The catalog changes instead of the file: the file is staged anew for the new types.
    let text: &[(&str, &str)] = &[("id", "string"), ("ts", "string")];
    let manifest = support::manifest_of(&[("db", "j", "json", text)]);
    let engine = Engine::open(&lake, &manifest).unwrap();
    let sql = "SELECT id, ts FROM db.j WHERE dt = '2024-01-02' ORDER BY id";
    let rows = support::rows(engine.connection(), sql).unwrap();
    assert_eq!(
        rows,
        [
            ["1", "2024-01-02T10:00:00Z"],
            ["2", "2024-01-02 10:00:00+09:00"],
            ["two", "2024-13-02T10:00:00Z"]
        ]
    );
}
