//! The local engine: one embedded DuckDB database whose schemas mirror the catalog. Each
//! source is a view over its files in the lake, typed as the catalog describes it (built by
//! `sources`, JSON lines staged by `staging`); each KPI table is a view over the partitions
//! the local catalog points at.

use super::lake::{Lake, LocalCatalog};
use super::sources::{cast_columns, empty_select, file_list};
use duckdb::Connection;
use kpi_contract::hive::{Column, HiveType};
use kpi_contract::manifest::{Kpi, Manifest};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

pub use super::sources::{
    FileFormat, data_files, duckdb_type, file_format, file_stamp, malformed_lines, probe_file,
};

#[derive(Debug)]
pub struct EngineError(pub String);

impl std::fmt::Display for EngineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for EngineError {}

impl From<duckdb::Error> for EngineError {
    /// DuckDB's message without the excerpt of the SQL it appends (`LINE 1: …`).
    fn from(e: duckdb::Error) -> Self {
        let text = e.to_string();
        let cut = text.find("\nLINE ").unwrap_or(text.len());
        EngineError(text[..cut].trim_end().to_string())
    }
}

pub struct Engine {
    conn: Connection,
    lake_text: String,
    database: String,
    /// Source files staged whole → their malformed lines, counted when staged.
    malformed: std::sync::Mutex<std::collections::BTreeMap<PathBuf, u64>>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("lake", &self.lake_text)
            .finish()
    }
}

/// Quotes an SQL identifier.
pub fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Quotes an SQL string literal.
pub fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

impl Engine {
    /// An in-memory database with a view per source of the manifest, over the lake's files.
    pub fn open(lake: &Lake, manifest: &Manifest) -> Result<Engine, EngineError> {
        let conn = Connection::open_in_memory()?;
        // Every read goes to the file, so the file system log records what each query opens
        // (and a file replaced under the same name is read afresh).
        conn.execute_batch(
            "SET enable_external_file_cache = false; SET parquet_metadata_cache = false;",
        )?;
        let lake_text = lake
            .sql_root()
            .map_err(|e| EngineError(e.0))?
            .as_str()
            .to_string();
        let mut schemas = BTreeSet::new();
        schemas.insert(manifest.project.database.clone());
        for s in &manifest.sources {
            schemas.insert(s.database.clone());
        }
        for schema in &schemas {
            conn.execute_batch(&format!("CREATE SCHEMA IF NOT EXISTS {};", ident(schema)))?;
        }
        let engine = Engine {
            conn,
            lake_text,
            database: manifest.project.database.clone(),
            malformed: std::sync::Mutex::new(std::collections::BTreeMap::new()),
        };
        for source in &manifest.sources {
            super::sources::create_source_view(&engine.conn, lake, source, &engine.malformed)?;
        }
        Ok(engine)
    }

    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    pub fn lake_text(&self) -> &str {
        &self.lake_text
    }

    /// (Re)defines a KPI's table as the partitions the local catalog points at.
    pub fn refresh_kpi_view(
        &self,
        lake: &Lake,
        kpi: &Kpi,
        catalog: &LocalCatalog,
    ) -> Result<(), EngineError> {
        let files = published_files(lake, &self.database, kpi, catalog)?;
        let list = (!files.is_empty()).then(|| file_list(&files));
        self.conn.execute_batch(&format!(
            "CREATE OR REPLACE VIEW {}.{} AS {};",
            ident(&self.database),
            ident(&kpi.name),
            kpi_view_body(kpi, list.as_deref())?
        ))?;
        Ok(())
    }

    /// Runs one statement; the number of rows it wrote or returned.
    pub fn run(&self, sql: &str) -> Result<u64, EngineError> {
        run_on(&self.conn, sql)
    }

    /// The malformed lines of a source file that was staged whole (and so is not damaged).
    pub fn known_malformed(&self, file: &Path) -> Option<u64> {
        self.malformed.lock().ok()?.get(file).copied()
    }

    /// Another connection to the same database: it sees the same views.
    pub fn connect(&self) -> Result<Connection, EngineError> {
        Ok(self.conn.try_clone()?)
    }
}

/// The files of a KPI's published partitions, day by day: those the local catalog points at
/// whose files are still the ones published (a partition whose files changed is left out; the
/// next run recomputes it).
pub fn published_files(
    lake: &Lake,
    database: &str,
    kpi: &Kpi,
    catalog: &LocalCatalog,
) -> Result<Vec<PathBuf>, EngineError> {
    let mut files = Vec::new();
    if let Some(table) = catalog.table(database, &kpi.name) {
        for p in table.partitions.values() {
            if lake.verify(p).is_err() {
                continue;
            }
            let dir = lake.path_of(&p.location).map_err(|e| EngineError(e.0))?;
            files.extend(p.files.iter().map(|f| dir.join(&f.name)));
        }
    }
    Ok(files)
}

/// The query of a KPI table's view: its columns and `dt` (text, as on Athena) over the
/// Parquet files of `files`, an SQL list expression; with no files, no rows of the same
/// columns.
pub fn kpi_view_body(kpi: &Kpi, files: Option<&str>) -> Result<String, EngineError> {
    let mut columns = kpi.columns.clone();
    columns.push(Column {
        name: "dt".into(),
        ty: HiveType::String,
        doc: None,
    });
    let Some(files) = files else {
        return empty_select(&columns, None);
    };
    // `dt` comes from each file's path (`dt=…/attempt=…/file`), so a query's filter on it
    // leaves out the other partitions' files unopened, as Athena prunes partitions.
    let (file, option) = super::sources::file_column(&columns);
    let dt = super::sources::partition_value(file, "dt", 1);
    Ok(format!(
        "SELECT {} FROM read_parquet({files}, union_by_name = true, hive_partitioning = false, \
         filename = {option})",
        cast_columns(&columns, Some(("dt", dt.as_str())), ident)?,
    ))
}

/// Runs one statement on a connection; the number of rows it wrote or returned.
pub fn run_on(conn: &Connection, sql: &str) -> Result<u64, EngineError> {
    let mut stmt = conn.prepare(sql)?;
    let n = stmt.execute([])?;
    Ok(n as u64)
}
