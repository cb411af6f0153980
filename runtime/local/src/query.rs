//! Read-only SQL over a lake: the sources and the published KPI tables, as a run's queries see
//! them, for looking at results.

use super::engine::Engine;
use super::lake::Lake;
use super::manifest::Manifest;
use super::run::RunError;
use std::path::Path;

/// A result table: column names and rows of text (`NULL` as `None`).
#[derive(Debug, Clone)]
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Option<String>>>,
}

pub fn query(manifest: &Manifest, lake_dir: &Path, sql: &str) -> Result<Table, RunError> {
    let lake = Lake::open(lake_dir).map_err(|e| RunError(e.0))?;
    // Held while reading, so that no run replaces or clears a partition under the query.
    let _lock = lake.lock("kpi query", false).map_err(|e| RunError(e.0))?;
    let catalog = lake.read_catalog().map_err(|e| RunError(e.0))?;
    let engine = Engine::open(&lake, manifest).map_err(|e| RunError(e.0))?;
    for kpi in &manifest.kpis {
        engine
            .refresh_kpi_view(&lake, kpi, &catalog)
            .map_err(|e| RunError(e.0))?;
    }
    let conn = engine.connection();
    let wrapped = format!(
        "SELECT CAST(COLUMNS(*) AS VARCHAR) FROM ({}) AS \"result\"",
        sql.trim().trim_end_matches(';')
    );
    let fail = |e: duckdb::Error| RunError(super::engine::EngineError::from(e).0);
    let mut stmt = conn.prepare(&wrapped).map_err(fail)?;
    let mut rows = Vec::new();
    let mut result = stmt.query([]).map_err(fail)?;
    let mut width = None;
    while let Some(row) = result.next().map_err(fail)? {
        let n = *width.get_or_insert_with(|| row.as_ref().column_count());
        rows.push(
            (0..n)
                .map(|i| row.get::<_, Option<String>>(i))
                .collect::<Result<Vec<_>, _>>()
                .map_err(fail)?,
        );
    }
    drop(result);
    let columns = stmt.column_names();
    Ok(Table { columns, rows })
}

impl Table {
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
