//! What DuckDB actually read for a query: its file system log (`CALL
//! enable_logging('FileSystem')`) records every read with the connection and query that made
//! it, so the bytes a query read come from the engine, not from the plan.

use super::engine::EngineError;
use duckdb::Connection;
use std::collections::BTreeMap;

/// Bytes a query read from one file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FileRead {
    pub path: String,
    pub bytes: u64,
    /// How many separate reads those bytes took.
    pub reads: u64,
}

/// Whether a read was only of a Parquet file's footer, once or more. Binding a view reads the
/// schema of its first file (of every file, for a KPI's table) so; Athena, pruning partitions
/// through the catalog, never opens those files. (A query needing only row counts reads
/// footers too: it is billed the minimum either way.) Each footer read is the 8-byte tail,
/// then the footer with its tail.
pub fn schema_only(read: &FileRead) -> bool {
    use std::io::{Read, Seek, SeekFrom};
    let tail = (|| {
        let mut file = std::fs::File::open(&read.path).ok()?;
        file.seek(SeekFrom::End(-8)).ok()?;
        let mut tail = [0u8; 8];
        file.read_exact(&mut tail).ok()?;
        Some(tail)
    })();
    match tail {
        Some(tail) if &tail[4..] == b"PAR1" => {
            let footer = u64::from(u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]));
            let per_bind = footer + 16;
            read.bytes > 0 && read.bytes.is_multiple_of(per_bind)
        }
        _ => false,
    }
}

/// Starts recording reads (for the whole database: every connection).
pub fn enable(conn: &Connection) -> Result<(), EngineError> {
    conn.execute_batch("CALL enable_logging('FileSystem');")?;
    Ok(())
}

/// The newest query this connection logged a file operation for (0 before any).
pub fn mark(conn: &Connection) -> Result<u64, EngineError> {
    let n: Option<u64> = conn.query_row(
        "SELECT max(query_id) FROM duckdb_logs WHERE connection_id = current_connection_id()",
        [],
        |r| r.get(0),
    )?;
    Ok(n.unwrap_or(0))
}

/// The files this connection read since `mark`, with the bytes read from each, by path.
pub fn since(conn: &Connection, mark: u64) -> Result<Vec<FileRead>, EngineError> {
    let mut stmt = conn.prepare(
        "SELECT path, sum(CAST(bytes AS BIGINT)), count(*)
         FROM duckdb_logs_parsed('FileSystem')
         WHERE connection_id = current_connection_id() AND query_id > ? AND op = 'READ'
         GROUP BY path ORDER BY path",
    )?;
    let mut rows = stmt.query([mark])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let bytes: i64 = row.get(1)?;
        let reads: i64 = row.get(2)?;
        out.push(FileRead {
            path: row.get(0)?,
            bytes: u64::try_from(bytes).unwrap_or(0),
            reads: u64::try_from(reads).unwrap_or(0),
        });
    }
    Ok(out)
}

/// Forgets what was logged so far (call it when no query is running).
pub fn clear(conn: &Connection) -> Result<(), EngineError> {
    conn.execute_batch("CALL truncate_duckdb_logs();")?;
    Ok(())
}

/// A query's result as text cells (`None` for NULL), with its column names.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rows {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Option<String>>>,
}

/// Runs a statement and returns the rows it wrote (or returned) and the files it read.
pub fn execute(conn: &Connection, sql: &str) -> Result<(u64, Vec<FileRead>), EngineError> {
    let before = mark(conn)?;
    let n = conn.prepare(sql)?.execute([])?;
    Ok((n as u64, since(conn, before)?))
}

/// Runs a query and returns its rows as text, and the files it read.
pub fn query(conn: &Connection, sql: &str) -> Result<(Rows, Vec<FileRead>), EngineError> {
    let before = mark(conn)?;
    let wrapped = format!("SELECT CAST(COLUMNS(*) AS VARCHAR) FROM ({sql}) AS \"kpi_result\"");
    let mut stmt = conn.prepare(&wrapped)?;
    let mut out = Rows::default();
    {
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let n = row.as_ref().column_count();
            out.rows.push(
                (0..n)
                    .map(|i| row.get::<_, Option<String>>(i))
                    .collect::<Result<Vec<_>, _>>()?,
            );
        }
    }
    out.columns = stmt.column_names();
    Ok((out, since(conn, before)?))
}

/// Per path, the bytes of several reads together.
pub fn merge(reads: &[FileRead]) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for r in reads {
        *out.entry(r.path.clone()).or_default() += r.bytes;
    }
    out
}
