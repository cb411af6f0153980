//! Test support: a catalog snapshot and a `kpi.yaml` → the manifest the engine reads, through
//! the compiler's own front end; and a generated sample lake with its manifest.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kpi_compiler::span::Sources;
use kpi_runtime::lake::Lake;
use kpi_runtime::manifest::Manifest;
use std::path::Path;

/// The project of the sample lake, as `pipelines/kpi.yaml` declares it.
pub const SAMPLE_PROJECT: &str = include_str!("../../../../pipelines/kpi.yaml");

/// The manifest of a project with no KPIs: its sources, typed as the catalog says.
pub fn manifest(kpi_yaml: &str, catalogs: &[(&str, &str)]) -> Manifest {
    let mut sources = Sources::new();
    let yaml = sources.add("kpi.yaml", kpi_yaml);
    let (project, diagnostics) = kpi_compiler::project::parse_project(&sources, yaml);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    let files: Vec<_> = catalogs
        .iter()
        .map(|(name, text)| sources.add(*name, *text))
        .collect();
    let checked = kpi_compiler::check_project(&sources, project.as_ref(), &files, &[]);
    assert!(!checked.has_errors(), "{:?}", checked.diagnostics);
    let program = checked.program.expect("a program");
    let project = project.expect("a project");
    let plan = kpi_compiler::lower::lower(
        &program,
        &project,
        &checked.catalog,
        &std::collections::BTreeMap::new(),
    );
    let sql = kpi_compiler::sql::emit_sql(&plan);
    let (machine, _) = kpi_compiler::asl::emit_asl(&plan, &sql);
    let mut manifest =
        kpi_compiler::build::manifest(&plan, &sql, &[], &machine, "statemachine.asl.json");
    manifest.project.database = "kpi_test".into();
    manifest
}

/// The sample lake's manifest.
pub fn sample_manifest() -> Manifest {
    let app_logs = kpi_sample::app_logs_catalog();
    let master = kpi_sample::master_catalog();
    manifest(
        SAMPLE_PROJECT,
        &[
            ("catalog/app_logs.json", &app_logs),
            ("catalog/master.json", &master),
        ],
    )
}

/// Generates a sample lake into `out`; the lake is `out/` (its bucket is `engagement-lake`).
pub fn sample_lake(out: &Path, options: &kpi_sample::SampleOptions) -> Lake {
    kpi_sample::generate(out, options, &kpi_runtime::parquet::DuckDbParquet)
        .expect("the sample lake");
    Lake::open(out).expect("the lake")
}

/// A `kpi.yaml` whose sources are the given (name, `database.table`), each partitioned by `dt`.
pub fn project(sources: &[(&str, &str)]) -> String {
    let mut text = String::from("name: test\ncatalog: catalog/\nsources:\n");
    for (name, table) in sources {
        text.push_str(&format!(
            "  {name}:\n    table: {table}\n    kind: events\n    partition: dt\n"
        ));
    }
    text.push_str(
        "target:\n  database: kpi_test\n  location: s3://lake/kpi/\n  workgroup: kpi\n  \
         concurrency: 2\n  crawler: c\n  history_start: 2024-01-01\n",
    );
    text
}

/// A table for [`catalog`]: (database, table, `json` or `parquet`, columns as (name, type)).
pub type Table<'a> = (&'a str, &'a str, &'a str, &'a [(&'a str, &'a str)]);

/// A kpi catalog (YAML) of tables `database.table` at `s3://lake/database/table/`, each with
/// `columns` (name, Hive type) and the partition key `dt`, stored as `format`.
pub fn catalog(tables: &[Table<'_>]) -> String {
    let mut by_db: std::collections::BTreeMap<&str, String> = Default::default();
    for (database, table, format, columns) in tables {
        let text = by_db.entry(database).or_default();
        text.push_str(&format!(
            "    {table}:\n      location: s3://lake/{database}/{table}/\n      format: {format}\n      columns:\n"
        ));
        for (name, ty) in *columns {
            text.push_str(&format!("        {name}: \"{ty}\"\n"));
        }
        text.push_str("      partition_keys:\n        dt: string\n");
    }
    let mut out = String::from("databases:\n");
    for (database, tables) in by_db {
        out.push_str(&format!("  {database}:\n{tables}"));
    }
    out
}

/// The manifest of tables declared as in [`catalog`], each a source named like its table.
pub fn manifest_of(tables: &[Table<'_>]) -> Manifest {
    let names: Vec<(String, String)> = tables
        .iter()
        .map(|(d, t, _, _)| (t.to_string(), format!("{d}.{t}")))
        .collect();
    let sources: Vec<(&str, &str)> = names
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    manifest(
        &project(&sources),
        &[("catalog/lake.yaml", &catalog(tables))],
    )
}

/// Writes `lines` as a JSON-lines file at `<lake>/lake/<database>/<table>/dt=<day>/<name>`.
pub fn write_json(
    lake: &Path,
    table: &str,
    day: &str,
    name: &str,
    lines: &[&str],
) -> std::path::PathBuf {
    let dir = lake.join("lake").join(table).join(format!("dt={day}"));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    let mut text = lines.join("\n");
    text.push('\n');
    if name.ends_with(".gz") {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(text.as_bytes()).unwrap();
        std::fs::write(&path, gz.finish().unwrap()).unwrap();
    } else {
        std::fs::write(&path, text).unwrap();
    }
    path
}

/// Writes the rows of `query` as a Parquet file at `<lake>/lake/<table>/dt=<day>/<name>`, with
/// DuckDB (a writer only: the engine's reading path is what the tests judge).
pub fn write_parquet(
    lake: &Path,
    table: &str,
    day: &str,
    name: &str,
    query: &str,
) -> std::path::PathBuf {
    let dir = lake.join("lake").join(table).join(format!("dt={day}"));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    let conn = duckdb::Connection::open_in_memory().unwrap();
    let target = path.to_string_lossy().replace('\'', "''");
    conn.execute_batch(&format!("COPY ({query}) TO '{target}' (FORMAT parquet)"))
        .unwrap();
    path
}

/// The rows of an SQL query on a connection, each column as text (`NULL` for null); cast
/// columns to `VARCHAR` in the query.
pub fn rows(conn: &duckdb::Connection, sql: &str) -> Result<Vec<Vec<String>>, String> {
    let mut stmt = conn.prepare(sql).map_err(|e| e.to_string())?;
    let mut rows = stmt.query([]).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(|e| e.to_string())? {
        let n = row.as_ref().column_count();
        let values = (0..n)
            .map(|i| {
                row.get::<_, Option<String>>(i)
                    .map(|v| v.unwrap_or_else(|| "NULL".into()))
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| e.to_string())?;
        out.push(values);
    }
    Ok(out)
}
