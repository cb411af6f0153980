//! `kpi schema pull` and `kpi schema diff`: the committed catalog snapshot against Glue.

use super::{AwsArgs, aws_error};
use crate::error::CliError;
use crate::load::{find_project, shown};
use crate::output;
use kpi_compiler::catalog::{Catalog, parse_catalog};
use kpi_compiler::diff::{Change, ColumnChangeKind, TableDrift, catalog_drift};
use kpi_compiler::driver::Options;
use kpi_compiler::span::Sources;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    Pull(PullArgs),
    Diff(DiffArgs),
}

/// Read tables from Glue (GetTables, every page) and write each database's catalog snapshot,
/// `<out>/<database>.json`, in the form `aws glue get-tables` prints (tables sorted by name,
/// map keys sorted: the same catalog gives the same bytes).
///
/// Example: `kpi schema pull --database app_logs --database master`
#[derive(Debug, clap::Args)]
pub struct PullArgs {
    /// A Glue database to pull; repeatable.
    #[arg(long = "database", value_name = "DB", required = true)]
    pub databases: Vec<String>,
    /// Where to write the snapshots. Default: the project's catalog directory (the first
    /// `catalog` entry of kpi.yaml that is a directory).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// The project directory (holding kpi.yaml). Default: the nearest one at or above the
    /// current directory.
    #[arg(long, value_name = "DIR")]
    pub project: Option<PathBuf>,
    #[command(flatten)]
    pub aws: AwsArgs,
}

/// Compare the committed catalog snapshot with Glue's tables now: tables added or removed,
/// columns and partition keys added, removed or retyped. Exit 1 when they differ.
///
/// Example: `kpi schema diff --project pipelines`
#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// Only these databases (default: every database of the snapshot); repeatable.
    #[arg(long = "database", value_name = "DB")]
    pub databases: Vec<String>,
    /// The project directory (holding kpi.yaml). Default: the nearest one at or above the
    /// current directory.
    #[arg(long, value_name = "DIR")]
    pub project: Option<PathBuf>,
    #[command(flatten)]
    pub aws: AwsArgs,
}

pub fn run(command: Command) -> Result<ExitCode, CliError> {
    match command {
        Command::Pull(args) => pull(args),
        Command::Diff(args) => diff(args),
    }
}

fn pull(args: PullArgs) -> Result<ExitCode, CliError> {
    let out = match &args.out {
        Some(out) => out.clone(),
        None => catalog_dir(args.project.as_deref())?,
    };
    let aws = args.aws.connect()?;
    for database in &args.databases {
        let tables = kpi_aws::catalog::pull(&aws, database).map_err(aws_error)?;
        let count = tables["TableList"].as_array().map_or(0, Vec::len);
        let text = kpi_aws::catalog::snapshot_text(&tables);
        let path = out.join(format!("{database}.json"));
        let unchanged = std::fs::read(&path).is_ok_and(|old| old == text.as_bytes());
        if !unchanged {
            std::fs::create_dir_all(&out).map_err(CliError::io("create", &out))?;
            kpi_runtime::lake::write_atomically(&path, text.as_bytes()).map_err(CliError::usage)?;
        }
        output::print(&format!(
            "{} {} ({count} tables)\n",
            if unchanged { "unchanged" } else { "wrote" },
            shown(&path).display()
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The project's catalog directory: the first `catalog` entry of kpi.yaml that is one.
fn catalog_dir(project: Option<&Path>) -> Result<PathBuf, CliError> {
    let dir = find_project(project, None)?;
    let compiled = crate::commands::compile(&dir, Options::default())?;
    let entries = compiled
        .project
        .as_ref()
        .map(|p| {
            p.catalog
                .iter()
                .map(|c| dir.root.join(&c.value))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    entries
        .iter()
        .find(|p| p.is_dir())
        .or(entries.first())
        .cloned()
        .ok_or_else(|| CliError::usage("kpi.yaml names no catalog directory; pass --out DIR"))
}

fn diff(args: DiffArgs) -> Result<ExitCode, CliError> {
    let dir = find_project(args.project.as_deref(), None)?;
    let compiled = crate::commands::compile(&dir, Options::default())?;
    let keep = |db: &str| {
        args.databases.is_empty() || args.databases.iter().any(|d| d.eq_ignore_ascii_case(db))
    };
    let committed = Catalog {
        tables: compiled
            .catalog
            .tables
            .iter()
            .filter(|((db, _), _)| keep(db))
            .map(|(k, t)| (k.clone(), t.clone()))
            .collect(),
    };
    let mut databases: Vec<String> = committed
        .tables
        .values()
        .map(|t| t.database.clone())
        .collect();
    databases.extend(args.databases.iter().cloned());
    databases.sort_by_key(|d| d.to_lowercase());
    databases.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
    let aws = args.aws.connect()?;
    let mut sources = Sources::new();
    let mut files = Vec::new();
    for database in &databases {
        let tables = kpi_aws::catalog::pull(&aws, database).map_err(aws_error)?;
        files.push(sources.add(
            format!("glue:{database}"),
            kpi_aws::catalog::snapshot_text(&tables),
        ));
    }
    let (live, problems) = parse_catalog(&sources, &files);
    if let Some(problem) = problems.iter().find(|d| d.is_error()) {
        return Err(CliError::usage(format!(
            "Glue's tables do not read as a catalog: {}",
            problem.message
        )));
    }
    let drift = catalog_drift(&committed, &live);
    if drift.is_empty() {
        output::print(&format!(
            "the snapshot matches Glue ({} tables in {})\n",
            live.tables.len(),
            databases.join(", ")
        ))?;
        return Ok(ExitCode::SUCCESS);
    }
    output::print(&drift_text(&drift))?;
    Ok(ExitCode::from(1))
}

fn drift_text(drift: &[TableDrift]) -> String {
    let mut out = String::new();
    for d in drift {
        match d.change {
            Change::Added => {
                out.push_str(&format!("+ {}: in Glue, not in the snapshot\n", d.table))
            }
            Change::Removed => {
                out.push_str(&format!("- {}: in the snapshot, not in Glue\n", d.table))
            }
            _ => {
                out.push_str(&format!("~ {}\n", d.table));
                for c in &d.columns {
                    let (b, h) = (
                        c.base.as_deref().unwrap_or(""),
                        c.head.as_deref().unwrap_or(""),
                    );
                    out.push_str(&match c.change {
                        ColumnChangeKind::Added => format!("    + {} {h}\n", c.column),
                        ColumnChangeKind::Removed => format!("    - {} {b}\n", c.column),
                        _ => format!("    ~ {} {b} → {h}\n", c.column),
                    });
                }
            }
        }
    }
    out.push_str("pull it with `kpi schema pull`, then `kpi check` what the changes break\n");
    out
}
