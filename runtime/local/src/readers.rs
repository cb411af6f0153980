//! The local catalog → `<lake>/kpi.duckdb`: a database file for other tools (the `duckdb`
//! shell, pandas, a dashboard), with a schema per KPI database and a view per KPI over exactly
//! the files of each day's current attempt, as `kpi query` sees the KPI tables.
//!
//! The file is written beside the old one under a temporary name and renamed over it, never
//! opened for writing in place: a reader holding the old file keeps reading it and never
//! blocks a run, and the next query after the rename opens the new one.
//!
//! The views name their files relative to the lake, so the lake can be moved. DuckDB resolves
//! a relative path against the working directory, then each folder of `file_search_path`, never
//! against the database file's own folder, and a table function's arguments must be constant,
//! so the folder is found at bind time from a setting whose documented default names the file:
//! `temp_directory` is `<database path>.tmp` for a database opened as the main one. A view
//! prefixes each file with that path's folder when it ends in `kpi.duckdb.tmp`, and with
//! nothing otherwise (the file attached to another database, or `temp_directory` set), where
//! the working directory or `file_search_path` must be the lake.

use crate::engine::{EngineError, ident, kpi_view_body, literal, published_files};
use crate::lake::{Lake, LocalCatalog};
use crate::manifest::Manifest;
use crate::sources::sql_path;
use duckdb::Connection;
use std::path::{Path, PathBuf};

/// The readers' database, in the lake's root folder.
pub const FILE: &str = "kpi.duckdb";

/// The folder of the readers' database with its separator, as the reader's DuckDB opened it
/// (relative to its working directory or absolute), or `''` when that cannot be known.
const LAKE_FOLDER: &str =
    r"regexp_extract(current_setting('temp_directory'), '^(.*[/\\])?kpi\.duckdb\.tmp$', 1)";

/// Writes `<lake>/kpi.duckdb` from the catalog, replacing the old file by a rename. The same
/// catalog and manifest give the same views, so a run after which they are the views already
/// written (their digest in `.kpi/readers.sha256`, written after the rename) leaves the file
/// alone.
pub fn write_readers_database(
    lake: &Lake,
    manifest: &Manifest,
    catalog: &LocalCatalog,
) -> Result<PathBuf, EngineError> {
    let root = lake.root();
    let path = root.join(FILE);
    let database = &manifest.project.database;
    let mut sql = format!("CREATE SCHEMA {};\n", ident(database));
    for kpi in &manifest.kpis {
        let files = published_files(lake, database, kpi, catalog)?;
        let list = (!files.is_empty()).then(|| relative_list(root, &files));
        sql.push_str(&format!(
            "CREATE VIEW {}.{} AS {};\n",
            ident(database),
            ident(&kpi.name),
            kpi_view_body(kpi, list.as_deref())?
        ));
    }
    let digest = {
        use sha2::{Digest, Sha256};
        format!("{:x}\n", Sha256::digest(sql.as_bytes()))
    };
    let written = lake.state_dir().join("readers.sha256");
    if path.is_file() && std::fs::read_to_string(&written).is_ok_and(|d| d == digest) {
        return Ok(path);
    }
    remove_temporaries(root);
    let tmp = root.join(format!(".{FILE}.{}.tmp", std::process::id()));
    let failed = |what: &str, e: &dyn std::fmt::Display| {
        EngineError(format!("cannot {what} {}: {e}", path.display()))
    };
    {
        let conn = Connection::open(&tmp).map_err(|e| failed("write", &e))?;
        // While writing, the file has its temporary name: the lake is found by the search path
        // (a view is bound as it is created).
        conn.execute_batch(&format!(
            "SET file_search_path = {};",
            literal(&root.to_string_lossy())
        ))
        .map_err(|e| failed("write", &e))?;
        conn.execute_batch(&format!("BEGIN;\n{sql}COMMIT;\nCHECKPOINT;"))
            .map_err(|e| failed("write", &EngineError::from(e)))?;
    }
    let synced = std::fs::File::open(&tmp).and_then(|f| f.sync_all());
    synced.map_err(|e| failed("write", &e))?;
    std::fs::rename(&tmp, &path).map_err(|e| failed("replace", &e))?;
    if let Ok(dir) = std::fs::File::open(root) {
        let _ = dir.sync_all();
    }
    crate::lake::write_atomically(&written, digest.as_bytes()).map_err(|e| EngineError(e.0))?;
    Ok(path)
}

/// The files as an SQL list, each the lake's folder (found when the view is read) followed by
/// the file's path inside the lake.
fn relative_list(root: &Path, files: &[PathBuf]) -> String {
    let items: Vec<String> = files
        .iter()
        .map(|f| {
            let inside = f.strip_prefix(root).unwrap_or(f);
            let text: Vec<String> = inside
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            format!("{LAKE_FOLDER} || {}", sql_path(Path::new(&text.join("/"))))
        })
        .collect();
    format!("[{}]", items.join(", "))
}

/// What a write killed before its rename left: `.kpi.duckdb.<pid>.tmp` and its WAL. Only the
/// holder of the lake's lock writes the file, so none of them is in use.
fn remove_temporaries(root: &Path) {
    let prefix = format!(".{FILE}.");
    for entry in std::fs::read_dir(root).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        if name.starts_with(&prefix) && name.contains(".tmp") && entry.path().is_file() {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}
