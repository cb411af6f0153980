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

mod mirror;
mod table;

pub use mirror::mirror_sources;
pub use table::Table;

use super::engine::{EngineError, literal};
use super::lake::Lake;
use super::manifest::Manifest;
use duckdb::{AccessMode, Config, Connection};
use mirror::{files_under, mirror_lake, write_views};
use std::path::{Path, PathBuf};
use table::json_rows;

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
}
