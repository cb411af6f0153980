//! A lake and a compiled project → a scratch lake in a temporary folder where the project's
//! KPIs are computed for some days without touching the real lake, and the rows published
//! there (`kpi diff --data`, once per side).
//!
//! The scratch lake holds the real lake's source files and staged copies, linked as `kpi
//! query` links them (hard links; small files copied, since a writer could rewrite those in
//! place), and a catalog of its own, empty at first: every KPI the selection needs is
//! computed from the sources by this side's definitions. The real lake's lock is never
//! taken, its catalog never read for writing, and nothing is written under its root: what a
//! run writes (attempts, the catalog, staged copies of files not staged yet, its lock) goes
//! into the scratch lake, which is removed with the value.

use crate::engine::{ident, literal};
use crate::lake::{Lake, data_files};
use crate::query::{Table, mirror_sources};
use crate::report::Report;
use crate::run::{Progress, RunError, RunOptions, run};
use duckdb::Connection;
use kpi_asl::StateMachine;
use kpi_contract::DayRange;
use kpi_contract::manifest::Manifest;
use std::path::Path;

/// A temporary lake holding one side's KPIs; removed when dropped.
#[derive(Debug)]
pub struct ScratchLake {
    dir: tempfile::TempDir,
}

impl ScratchLake {
    /// Links the sources of `manifest` from the lake at `real` into a new scratch lake.
    pub fn new(real: &Path, manifest: &Manifest) -> Result<ScratchLake, RunError> {
        let real = Lake::open(real).map_err(|e| RunError(e.0))?;
        let dir = tempfile::Builder::new()
            .prefix("kpi-diff-")
            .tempdir()
            .map_err(|e| RunError(format!("cannot create a scratch lake: {e}")))?;
        mirror_sources(&real, manifest, dir.path()).map_err(|e| RunError(e.to_string()))?;
        Ok(ScratchLake { dir })
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// Computes `kpis` (and what they read, for the days their windows need) for `days`,
    /// every KPI-day from the sources. An error names the first KPI-day that failed or
    /// waits for an input.
    pub fn compute(
        &self,
        machine: &StateMachine,
        manifest: &Manifest,
        kpis: &[String],
        days: DayRange,
        concurrency: usize,
    ) -> Result<Report, RunError> {
        let options = RunOptions {
            days: days.days().collect(),
            kpis: kpis.to_vec(),
            force: false,
            wait: false,
            command: "kpi diff --data".into(),
            concurrency,
        };
        let report = run(machine, manifest, self.root(), &options, &|_: Progress<
            '_,
        >| {})?;
        if let Some(f) = report.failures.first() {
            return Err(RunError(format!("{} {} failed: {}", f.kpi, f.day, f.error)));
        }
        if let Some(w) = report.waiting.first() {
            return Err(RunError(format!(
                "{} {} cannot run: {}",
                w.kpi, w.day, w.why
            )));
        }
        if let Some(e) = report.executions.iter().find(|e| e.status != "SUCCEEDED") {
            return Err(RunError(format!(
                "the execution {} failed: {} {}",
                e.name,
                e.error.as_deref().unwrap_or(""),
                e.cause.as_deref().unwrap_or("")
            )));
        }
        Ok(report)
    }

    /// The rows the KPI published for `days`, every value as DuckDB prints it, its columns
    /// then `dt`, sorted by every column. A KPI the manifest lacks has none.
    pub fn rows(&self, manifest: &Manifest, kpi: &str, days: DayRange) -> Result<Table, RunError> {
        let Some(k) = manifest.kpi(kpi) else {
            return Ok(Table {
                columns: Vec::new(),
                rows: Vec::new(),
            });
        };
        let lake = Lake::open(self.root()).map_err(|e| RunError(e.0))?;
        let catalog = lake.read_catalog().map_err(|e| RunError(e.0))?;
        let mut files = Vec::new();
        for day in days.days() {
            if let Some(p) = catalog.partition(&manifest.project.database, kpi, day) {
                let dir = lake.path_of(&p.location).map_err(|e| RunError(e.0))?;
                files.extend(data_files(&dir));
            }
        }
        let mut columns: Vec<String> = k
            .columns
            .iter()
            .map(|c| c.name.clone())
            .filter(|c| c != "dt")
            .collect();
        columns.push("dt".into());
        if files.is_empty() {
            return Ok(Table {
                columns,
                rows: Vec::new(),
            });
        }
        let list: Vec<String> = files
            .iter()
            .map(|f| literal(&f.to_string_lossy()))
            .collect();
        let select: Vec<String> = columns
            .iter()
            .map(|c| format!("CAST({} AS VARCHAR)", ident(c)))
            .collect();
        let sql = format!(
            "SELECT {} FROM read_parquet([{}], union_by_name = true, hive_partitioning = false) ORDER BY ALL",
            select.join(", "),
            list.join(", ")
        );
        let failed = |e: duckdb::Error| RunError(format!("cannot read {kpi}'s rows: {e}"));
        let conn = Connection::open_in_memory().map_err(failed)?;
        let mut stmt = conn.prepare(&sql).map_err(failed)?;
        let rows = stmt
            .query_map([], |r| {
                (0..columns.len())
                    .map(|i| r.get::<_, Option<String>>(i))
                    .collect::<Result<Vec<_>, _>>()
            })
            .map_err(failed)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(failed)?;
        Ok(Table { columns, rows })
    }
}
