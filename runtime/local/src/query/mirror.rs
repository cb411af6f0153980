//! The lake → a mirror of what a query may read (outside the lake) and the views over it,
//! written to a database file the query opens read-only.

use super::{QueryError, failed, io};
use crate::engine::{Engine, data_files, ident, literal};
use crate::lake::{Lake, LocalCatalog};
use crate::manifest::Manifest;
use duckdb::Connection;
use std::path::{Path, PathBuf};

/// Mirrors what a query may read into `to`, laid out as the lake is.
pub(super) fn mirror_lake(
    lake: &Lake,
    manifest: &Manifest,
    catalog: &LocalCatalog,
    to: &Path,
) -> Result<(), QueryError> {
    mirror_sources(lake, manifest, to)?;
    let mirror = Lake::open(to).map_err(|e| QueryError::Lake(e.0))?;
    for table in catalog.tables.values() {
        for partition in table.partitions.values() {
            let (Ok(from), Ok(into)) = (
                lake.path_of(&partition.location),
                mirror.path_of(&partition.location),
            ) else {
                continue;
            };
            std::fs::create_dir_all(&into).map_err(|e| io("create", &into, e))?;
            for file in data_files(&from) {
                if let Some(name) = file.file_name() {
                    link(&file, &into.join(name))?;
                }
            }
        }
    }
    Ok(())
}

/// Mirrors each source's files and the staged copies of JSON sources into `to`, laid out as
/// the lake is: what a run needs to compute every KPI from the sources.
pub fn mirror_sources(lake: &Lake, manifest: &Manifest, to: &Path) -> Result<(), QueryError> {
    std::fs::create_dir_all(to).map_err(|e| io("create", to, e))?;
    let mirror = Lake::open(to).map_err(|e| QueryError::Lake(e.0))?;
    for location in manifest
        .sources
        .iter()
        .filter_map(|s| s.location.as_deref())
    {
        let (Ok(from), Ok(into)) = (lake.path_of(location), mirror.path_of(location)) else {
            continue;
        };
        mirror_tree(&from, &into)?;
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
pub(super) fn files_under(dir: &Path) -> Vec<PathBuf> {
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
pub(super) fn write_views(
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
            .filter_map(|p| mirror.path_of(&p.location).ok())
            .flat_map(|dir| data_files(&dir))
            .map(|f| literal(&f.to_string_lossy()))
            .collect();
        if files.is_empty() {
            continue;
        }
        // The files hold their partition columns (`dt`, `attempt`).
        conn.execute_batch(&format!(
            "CREATE SCHEMA IF NOT EXISTS {schema_q}; CREATE OR REPLACE VIEW {schema_q}.{table_q} AS \
             SELECT * EXCLUDE (attempt) FROM read_parquet([{}], union_by_name = true, \
             hive_partitioning = false);",
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
