//! `kpi query SQL`: one read-only query over a lake on the local engine (the sources as the
//! catalog describes them, the KPI tables as published), printed as text, CSV or JSON.
//!
//! It builds nothing on disk and takes no lock. When a `.kpi` file of the project does not
//! check, the sources and every table already published stay queryable.

use crate::error::CliError;
use crate::load::find_project;
use crate::output;
use kpi_compiler::driver::Options;
use kpi_runtime::manifest::Manifest;
use kpi_runtime::query::{Format, query};
use std::path::PathBuf;
use std::process::ExitCode;

/// Run one read-only query (DuckDB dialect) over a lake: the sources as the catalog describes
/// them and the KPI tables as `kpi run` published them, under their catalog names.
///
/// Exactly one statement, and a query (SELECT, FROM, WITH, VALUES, DESCRIBE, SUMMARIZE):
/// COPY, ATTACH, CREATE, SET, INSTALL and several statements are refused. Reads while a run
/// is going, and while a .kpi file of the project has errors.
///
/// Example: `kpi query "SELECT dt, company_id, ratio FROM engagement_kpi.stickiness LIMIT 5"`
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The query.
    pub sql: String,
    /// The project directory (holding kpi.yaml). Default: the nearest one at or above the
    /// current directory.
    #[arg(long, value_name = "DIR")]
    pub project: Option<PathBuf>,
    /// The lake directory. Default: `lake` beside the project directory.
    #[arg(long, value_name = "DIR")]
    pub lake: Option<PathBuf>,
    /// How to print the rows: aligned text, CSV with a header, or a JSON array of objects.
    #[arg(long, value_enum, default_value_t = QueryFormat::Text)]
    pub format: QueryFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum QueryFormat {
    Text,
    Csv,
    Json,
}

pub fn run(args: Args) -> Result<ExitCode, CliError> {
    let dir = find_project(args.project.as_deref(), None)?;
    let build = Options {
        build: true,
        ..Options::default()
    };
    let mut compiled = super::compile(&dir, build)?;
    if compiled.artifacts.is_none() {
        let errors = compiled.diagnostics.iter().filter(|d| d.is_error()).count();
        output::note(format!(
            "note: the project has {errors} error{} (`kpi check` shows them); querying its sources and the tables already published",
            if errors == 1 { "" } else { "s" }
        ));
        compiled = super::compile(
            &dir,
            Options {
                sources_only: true,
                ..build
            },
        )?;
    }
    let Some(artifacts) = &compiled.artifacts else {
        // kpi.yaml or the catalog itself does not check: there is nothing to read by.
        output::diagnostics(
            &compiled.diagnostics,
            &compiled.sources,
            &dir,
            output::Format::Human,
        )?;
        return Ok(ExitCode::from(1));
    };
    let manifest = artifacts
        .files
        .get("manifest.json")
        .map(|text| Manifest::parse(text))
        .transpose()
        .map_err(CliError::usage)?
        .ok_or_else(|| CliError::usage("the build wrote no manifest.json"))?;
    let lake = super::run::lake_dir(&dir, args.lake)?;
    let format = match args.format {
        QueryFormat::Text => Format::Text,
        QueryFormat::Csv => Format::Csv,
        QueryFormat::Json => Format::Json,
    };
    match query(&manifest, &lake, &args.sql, format) {
        Ok(text) => {
            output::print(&text)?;
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            output::error(e);
            Ok(ExitCode::from(1))
        }
    }
}
