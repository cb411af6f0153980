//! `kpi query SQL`: read-only SQL over a lake on the local engine (the sources as the catalog
//! describes them, the KPI tables as published), printed as a table.

use crate::load::{self, LoadError};
use kpi_runtime::manifest::Manifest;
use std::path::PathBuf;
use std::process::ExitCode;

pub fn run(
    project: Option<PathBuf>,
    lake: Option<PathBuf>,
    sql: String,
) -> Result<ExitCode, LoadError> {
    let dir = load::find_project(project)?;
    let Some(artifacts) = super::build::build_project(&dir, None)? else {
        return Ok(ExitCode::from(1));
    };
    let manifest = match Manifest::parse(
        artifacts
            .files
            .get("manifest.json")
            .map_or("", String::as_str),
    ) {
        Ok(m) => m,
        Err(e) => return super::run::usage(e),
    };
    let lake = match super::run::lake_dir(&dir, lake) {
        Ok(l) => l,
        Err(e) => return super::run::usage(e),
    };
    match kpi_runtime::query::query(&manifest, &lake, &sql) {
        Ok(table) => {
            print!("{}", table.to_text());
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("error: {e}");
            Ok(ExitCode::from(1))
        }
    }
}
