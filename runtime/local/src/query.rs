//! `kpi query`: one read-only SQL query over a lake → its result as aligned text, CSV or JSON.
//!
//! The query never writes and never waits: it takes no lock, so it reads while a run is going.
//! What it reads is mirrored first into a temporary folder outside the lake (hard links, so a
//! file a run removes meanwhile stays readable): each source's files, each partition the local
//! catalog publishes, and the staged copies of JSON sources that are complete; anything not
//! staged yet is staged there, never in the lake. The views over that mirror are written to a
//! database file, which the query's connection opens read-only, with external access limited
//! to the mirrored files and the configuration locked. DuckDB's own parser decides that the
//! text is exactly one query (`json_serialize_sql` serialises queries and nothing else), and
//! `query(?)` runs it as a bound parameter: the text is never pasted into other SQL.

use super::engine::{Engine, EngineError, data_files, ident, literal};
use super::lake::{Lake, LocalCatalog};
use super::manifest::Manifest;
use duckdb::{AccessMode, Config, Connection};
use std::path::{Path, PathBuf};

/// How the result is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Aligned columns, numbers to the right.
    Text,
    /// RFC 4180, with a header line.
    Csv,
    /// An array of objects, one per row, typed as DuckDB's `to_json` types them.
    Json,
}

/// Why a query did not run. Worded here, once.
#[derive(Debug)]
pub enum QueryError {
    /// DuckDB could not parse the text.
    Syntax(String),
    /// The text holds a statement that is not a query (COPY, ATTACH, CREATE, SET, INSTALL…).
    NotAQuery,
    /// The text holds no statement, or more than one.
    Statements(usize),
    /// The lake could not be read.
    Lake(String),
    /// DuckDB failed to run the query.
    Failed(String),
}

impl std::fmt::Display for QueryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            QueryError::Syntax(message) => write!(f, "the query does not parse: {message}"),
            QueryError::NotAQuery => f.write_str(
                "kpi query runs one read-only query (SELECT, FROM, WITH, VALUES, DESCRIBE, \
                 SUMMARIZE, PIVOT); this text holds another kind of statement, and COPY, \
                 ATTACH, CREATE, INSERT, SET, INSTALL and the like are refused",
            ),
            QueryError::Statements(0) => f.write_str("the query text holds no statement"),
            QueryError::Statements(n) => write!(
                f,
                "the query text holds {n} statements; kpi query runs exactly one"
            ),
            QueryError::Lake(message) => f.write_str(message),
            QueryError::Failed(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for QueryError {}

fn failed(e: impl Into<EngineError>) -> QueryError {
    QueryError::Failed(e.into().0)
}

fn io(what: &str, path: &Path, e: std::io::Error) -> QueryError {
    QueryError::Lake(format!("cannot {what} {}: {e}", path.display()))
}

/// Runs `sql` over the lake at `lake_dir` and renders the result.
pub fn query(
    manifest: &Manifest,
    lake_dir: &Path,
    sql: &str,
    format: Format,
) -> Result<String, QueryError> {
    one_query(sql)?;
    let lake = Lake::open(lake_dir).map_err(|e| QueryError::Lake(e.0))?;
    let catalog = lake.read_catalog().map_err(|e| QueryError::Lake(e.0))?;
    let scratch = tempfile::Builder::new()
        .prefix("kpi-query-")
        .tempdir()
        .map_err(|e| io("create", &std::env::temp_dir(), e))?;
    let mirror_dir = scratch.path().join("lake");
    mirror_lake(&lake, manifest, &catalog, &mirror_dir)?;
    let mirror = Lake::open(&mirror_dir).map_err(|e| QueryError::Lake(e.0))?;
    let database = scratch.path().join("views.duckdb");
    write_views(&mirror, manifest, &catalog, &database)?;
    // The mirror's canonical path: the one the views name, and so the one DuckDB checks.
    let conn = open_read_only(&database, &files_under(mirror.root()))?;
    let output = run(&conn, sql, format);
    drop(conn);
    output
}

/// Exactly one statement, and a query: DuckDB's parser says so.
fn one_query(sql: &str) -> Result<(), QueryError> {
    let conn = Connection::open_in_memory().map_err(failed)?;
    let text: String = conn
        .query_row(
            "SELECT json_serialize_sql(CAST(? AS VARCHAR))",
            [sql],
            |r| r.get(0),
        )
        .map_err(failed)?;
    let parsed: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| QueryError::Failed(format!("DuckDB's parser answered {text}: {e}")))?;
    if parsed["error"].as_bool() == Some(true) {
        let message = parsed["error_message"].as_str().unwrap_or("").to_string();
        return Err(match parsed["error_type"].as_str() {
            Some("parser") => QueryError::Syntax(message),
            _ => QueryError::NotAQuery,
        });
    }
    match parsed["statements"].as_array().map_or(0, Vec::len) {
        1 => Ok(()),
        n => Err(QueryError::Statements(n)),
    }
}

/// Mirrors what a query may read into `to`, laid out as the lake is.
fn mirror_lake(
    lake: &Lake,
    manifest: &Manifest,
    catalog: &LocalCatalog,
    to: &Path,
) -> Result<(), QueryError> {
    std::fs::create_dir_all(to).map_err(|e| io("create", to, e))?;
    let mirror = Lake::open(to).map_err(|e| QueryError::Lake(e.0))?;
    for location in manifest
        .sources
        .iter()
        .filter_map(|s| s.location.as_deref())
    {
        mirror_tree(&lake.path_of(location), &mirror.path_of(location))?;
    }
    for table in catalog.tables.values() {
        for partition in table.partitions.values() {
            let from = lake.path_of(&partition.location);
            let into = mirror.path_of(&partition.location);
            std::fs::create_dir_all(&into).map_err(|e| io("create", &into, e))?;
            for file in data_files(&from) {
                if let Some(name) = file.file_name() {
                    link(&file, &into.join(name))?;
                }
            }
        }
    }
    mirror_tree(&lake.root().join(".kpi/staged"), &to.join(".kpi/staged"))
}

/// Mirrors the tree `from` into `to`; names starting with `.` (hidden files, and the
/// temporary files of a staging under way) are left out. A missing `from` mirrors nothing.
fn mirror_tree(from: &Path, to: &Path) -> Result<(), QueryError> {
    let Ok(entries) = std::fs::read_dir(from) else {
        return Ok(());
    };
    std::fs::create_dir_all(to).map_err(|e| io("create", to, e))?;
    for entry in entries.flatten() {
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        let path = entry.path();
        if path.is_dir() {
            mirror_tree(&path, &to.join(&name))?;
        } else if path.is_file() {
            link(&path, &to.join(&name))?;
        }
    }
    Ok(())
}

/// Data files are hard-linked (a run that removes one meanwhile does not take it from the
/// query), or linked by name across file systems. Small files are copied: they are the ones
/// a writer could rewrite in place, and a write through a link would reach the lake.
fn link(from: &Path, to: &Path) -> Result<(), QueryError> {
    const COPIED_BELOW: u64 = 64 * 1024;
    let small = from.metadata().is_ok_and(|m| m.len() < COPIED_BELOW);
    let linked = !small && std::fs::hard_link(from, to).is_ok();
    #[cfg(unix)]
    let linked = linked || (!small && std::os::unix::fs::symlink(from, to).is_ok());
    if linked {
        return Ok(());
    }
    std::fs::copy(from, to)
        .map(|_| ())
        .map_err(|e| io("read", from, e))
}

/// Every file under `dir`: what the query's connection may open.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in std::fs::read_dir(&current).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The views a query sees, written to the database file `to`: one per source (the engine's,
/// as runs read them) and one per published KPI table.
fn write_views(
    mirror: &Lake,
    manifest: &Manifest,
    catalog: &LocalCatalog,
    to: &Path,
) -> Result<(), QueryError> {
    let engine = Engine::open(mirror, manifest).map_err(failed)?;
    for kpi in &manifest.kpis {
        engine
            .refresh_kpi_view(mirror, kpi, catalog)
            .map_err(failed)?;
    }
    let conn = engine.connection();
    // Tables the local catalog publishes that the project does not define (now): a KPI whose
    // definition does not check, or one since removed. Their files say their columns.
    for (name, table) in &catalog.tables {
        let Some((schema, table_name)) = name.split_once('.') else {
            continue;
        };
        if schema == manifest.project.database && manifest.kpi(table_name).is_some() {
            continue;
        }
        let files: Vec<String> = table
            .partitions
            .values()
            .flat_map(|p| data_files(&mirror.path_of(&p.location)))
            .map(|f| literal(&f.to_string_lossy()))
            .collect();
        if files.is_empty() {
            continue;
        }
        conn.execute_batch(&format!(
            "CREATE SCHEMA IF NOT EXISTS {schema_q}; CREATE OR REPLACE VIEW {schema_q}.{table_q} AS \
             SELECT * EXCLUDE (attempt) FROM read_parquet([{}], union_by_name = true, \
             hive_partitioning = true, hive_types = {{'dt': 'VARCHAR', 'attempt': 'VARCHAR'}});",
            files.join(", "),
            schema_q = ident(schema),
            table_q = ident(table_name),
        ))
        .map_err(failed)?;
    }
    let schemas = strings(
        conn,
        "SELECT schema_name FROM duckdb_schemas() WHERE NOT internal AND database_name = current_database() ORDER BY 1",
    )?;
    let views = strings(
        conn,
        "SELECT sql FROM duckdb_views() WHERE NOT internal AND database_name = current_database() ORDER BY schema_name, view_name",
    )?;
    let file = Connection::open(to).map_err(failed)?;
    for schema in schemas {
        file.execute_batch(&format!("CREATE SCHEMA IF NOT EXISTS {};", ident(&schema)))
            .map_err(failed)?;
    }
    for view in views {
        file.execute_batch(&view).map_err(failed)?;
    }
    Ok(())
}

fn strings(conn: &Connection, sql: &str) -> Result<Vec<String>, QueryError> {
    let mut stmt = conn.prepare(sql).map_err(failed)?;
    let rows = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .map_err(failed)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(failed)
}

/// The database file, read-only, able to open exactly `allowed` and nothing else, with a
/// configuration no statement can change.
fn open_read_only(database: &Path, allowed: &[PathBuf]) -> Result<Connection, QueryError> {
    let config = Config::default()
        .access_mode(AccessMode::ReadOnly)
        .and_then(|c| c.enable_autoload_extension(false))
        .map_err(failed)?;
    let conn = Connection::open_with_flags(database, config).map_err(failed)?;
    let paths: Vec<String> = allowed
        .iter()
        .filter(|p| p.as_path() != database)
        .map(|p| literal(&p.to_string_lossy()))
        .collect();
    conn.execute_batch(&format!(
        "SET allowed_paths = [{}]; SET enable_external_access = false; SET lock_configuration = true;",
        paths.join(", ")
    ))
    .map_err(failed)?;
    Ok(conn)
}

/// Runs the one query, passed as a parameter of `query()`, and renders its rows.
fn run(conn: &Connection, sql: &str, format: Format) -> Result<String, QueryError> {
    let wrapper = match format {
        Format::Json => "SELECT CAST(to_json(q) AS VARCHAR) FROM query(?) AS q",
        Format::Text | Format::Csv => "SELECT CAST(COLUMNS(*) AS VARCHAR) FROM query(?)",
    };
    let mut stmt = conn.prepare(wrapper).map_err(failed)?;
    let mut rows = Vec::new();
    let mut result = stmt.query([sql]).map_err(failed)?;
    let mut width = None;
    while let Some(row) = result.next().map_err(failed)? {
        let n = *width.get_or_insert_with(|| row.as_ref().column_count());
        rows.push(
            (0..n)
                .map(|i| row.get::<_, Option<String>>(i))
                .collect::<Result<Vec<_>, _>>()
                .map_err(failed)?,
        );
    }
    drop(result);
    let table = Table {
        columns: stmt.column_names(),
        rows,
    };
    match format {
        Format::Text => Ok(table.to_text()),
        Format::Csv => table.to_csv(),
        Format::Json => json_rows(&table),
    }
}

/// Each row as DuckDB's `to_json` wrote it, checked to be JSON, in one array.
fn json_rows(table: &Table) -> Result<String, QueryError> {
    let mut out = String::from("[");
    for (i, row) in table.rows.iter().enumerate() {
        let text = row
            .first()
            .cloned()
            .flatten()
            .unwrap_or_else(|| "null".into());
        if let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(&text) {
            return Err(QueryError::Failed(format!(
                "row {} has no JSON form ({e}): NaN and infinite numbers have none; \
                 use --format csv, or turn them into NULL in the query",
                i + 1
            )));
        }
        out.push_str(if i == 0 { "\n  " } else { ",\n  " });
        out.push_str(&text);
    }
    out.push_str(if table.rows.is_empty() {
        "]\n"
    } else {
        "\n]\n"
    });
    Ok(out)
}

/// A result table: column names and rows of text (`NULL` as `None`).
#[derive(Debug, Clone)]
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Option<String>>>,
}

impl Table {
    /// RFC 4180 CSV with a header; NULL is an empty field.
    pub fn to_csv(&self) -> Result<String, QueryError> {
        let mut writer = csv::Writer::from_writer(Vec::new());
        let csv_failed = |e: csv::Error| QueryError::Failed(format!("cannot write CSV: {e}"));
        writer.write_record(&self.columns).map_err(csv_failed)?;
        for row in &self.rows {
            writer
                .write_record(row.iter().map(|v| v.as_deref().unwrap_or("")))
                .map_err(csv_failed)?;
        }
        let bytes = writer
            .into_inner()
            .map_err(|e| QueryError::Failed(format!("cannot write CSV: {e}")))?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// Aligned columns, numbers to the right.
    pub fn to_text(&self) -> String {
        let cell = |v: &Option<String>| v.clone().unwrap_or_else(|| "NULL".into());
        let mut widths: Vec<usize> = self.columns.iter().map(|c| c.chars().count()).collect();
        for row in &self.rows {
            for (i, v) in row.iter().enumerate() {
                if let Some(w) = widths.get_mut(i) {
                    *w = (*w).max(cell(v).chars().count());
                }
            }
        }
        let numeric: Vec<bool> = (0..self.columns.len())
            .map(|i| {
                self.rows.iter().all(|r| {
                    r.get(i)
                        .and_then(|v| v.as_ref())
                        .is_none_or(|v| v.parse::<f64>().is_ok())
                })
            })
            .collect();
        let line = |cells: Vec<String>| {
            cells
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let pad = widths[i].saturating_sub(c.chars().count());
                    if numeric[i] {
                        format!("{}{c}", " ".repeat(pad))
                    } else {
                        format!("{c}{}", " ".repeat(pad))
                    }
                })
                .collect::<Vec<_>>()
                .join("  ")
                .trim_end()
                .to_string()
        };
        let mut out = line(self.columns.clone());
        out.push('\n');
        out.push_str(
            &widths
                .iter()
                .map(|w| "-".repeat(*w))
                .collect::<Vec<_>>()
                .join("  "),
        );
        out.push('\n');
        for row in &self.rows {
            out.push_str(&line(row.iter().map(cell).collect()));
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_one_query_passes() {
        assert!(one_query("SELECT 1 -- a comment at the end").is_ok());
        assert!(one_query("FROM range(3);").is_ok());
        assert!(one_query("WITH x AS (SELECT 1 AS v) SELECT * FROM x").is_ok());
        for refused in [
            "COPY (SELECT 1) TO 'x.csv'",
            "ATTACH 'x.db'",
            "CREATE TABLE t (x INT)",
            "INSTALL httpfs",
            "SET threads = 1",
            "SELECT 1; COPY (SELECT 1) TO 'x.csv'",
        ] {
            assert!(
                matches!(one_query(refused), Err(QueryError::NotAQuery)),
                "{refused}"
            );
        }
        assert!(matches!(
            one_query("SELECT 1; SELECT 2"),
            Err(QueryError::Statements(2))
        ));
        assert!(matches!(one_query("  "), Err(QueryError::Statements(0))));
        assert!(matches!(
            one_query("SELECT 1) AS x"),
            Err(QueryError::Syntax(_))
        ));
    }

    #[test]
    fn csv_quotes_what_needs_quoting_and_json_refuses_nan() {
        let table = Table {
            columns: vec!["a".into(), "b".into()],
            rows: vec![
                vec![Some("x,y".into()), None],
                vec![Some("say \"hi\"".into()), Some("1".into())],
            ],
        };
        assert_eq!(
            table.to_csv().unwrap(),
            "a,b\n\"x,y\",\n\"say \"\"hi\"\"\",1\n"
        );
        let rows = Table {
            columns: vec!["j".into()],
            rows: vec![
                vec![Some("{\"a\":1}".into())],
                vec![Some("{\"a\":NaN}".into())],
            ],
        };
        let err = json_rows(&rows).unwrap_err().to_string();
        assert!(err.starts_with("row 2 has no JSON form"), "{err}");
    }
}
