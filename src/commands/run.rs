//! `kpi run`: build the project, then run its state machine on the local engine over a lake
//! directory, computing the KPI-days that are missing or stale; print the report.
//!
//! Exit codes: 0 every KPI-day succeeded, 1 some failed (or the project has errors), 2 the
//! lake or the options are unusable.

use super::progress::Bars;
use crate::error::CliError;
use crate::load::{ProjectDir, find_project, shown};
use crate::output::{self, Format};
use kpi_compiler::build::STATE_MACHINE_FILE;
use kpi_contract::{Day, DayRange};
use kpi_runtime::manifest::Manifest;
use kpi_runtime::run::{RunOptions, run as run_locally};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Build the project, then run its state machine locally on DuckDB over a lake directory,
/// computing exactly the KPI-days that are missing or stale (all of them with --force).
/// Exit 0 when every KPI-day succeeded, 1 otherwise.
///
/// Example: `kpi run --project pipelines --from 2024-01-01 --to 2024-01-31 --report run.html`
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The project directory (holding kpi.yaml). Default: the nearest one at or above the
    /// current directory.
    #[arg(long, value_name = "DIR")]
    pub project: Option<PathBuf>,
    /// One day, YYYY-MM-DD.
    #[arg(long, value_name = "DAY", conflicts_with_all = ["from", "to"])]
    pub day: Option<String>,
    /// First day of a range, YYYY-MM-DD (default: the project's history_start).
    #[arg(long, value_name = "DAY")]
    pub from: Option<String>,
    /// Last day of a range, YYYY-MM-DD (default: the newest day of the lake's sources).
    #[arg(long, value_name = "DAY")]
    pub to: Option<String>,
    /// Only this KPI (and the KPIs it reads); `NAME+` also brings every KPI that reads it,
    /// downstream; repeatable.
    #[arg(long = "kpi", value_name = "NAME[+]")]
    pub kpis: Vec<String>,
    /// The lake directory: `s3://bucket/prefix/` is `<lake>/bucket/prefix/`. Default: `lake`
    /// beside the project directory.
    #[arg(long, value_name = "DIR")]
    pub lake: Option<PathBuf>,
    /// KPI-days run at once, within the state machine's MaxConcurrency (default: the
    /// number of cores, or with `--target athena` the MaxConcurrency; 1 runs them one after
    /// another).
    #[arg(long, value_name = "N")]
    pub concurrency: Option<usize>,
    /// Recompute every KPI-day of the range, up to date or not.
    #[arg(long)]
    pub force: bool,
    /// Wait for another run on the same lake to finish instead of refusing.
    #[arg(long)]
    pub wait: bool,
    /// Print what would be computed and what it would cost on Athena, without running.
    #[arg(long)]
    pub dry_run: bool,
    /// Also write a self-contained HTML report with a timeline of every query.
    #[arg(long, value_name = "FILE.html")]
    pub report: Option<PathBuf>,
    /// How to print the report.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Where to run: on the local engine over the lake (`local`); the deployed state
    /// machine on Step Functions, planned from Glue's partitions (`aws`); or the built
    /// machine in the local interpreter, its tasks calling the real Athena and Glue, planned
    /// from Glue's partitions, without deploying (`athena`).
    #[arg(long, value_enum, default_value_t = RunTarget::Local)]
    pub target: RunTarget,
    /// With `--target aws`: return once the first execution has started.
    #[arg(long)]
    pub no_wait: bool,
    /// With `--target aws`: the state machine's name (default: `kpi-<project>`).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    #[command(flatten)]
    pub aws: super::aws::AwsArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RunTarget {
    Local,
    Aws,
    Athena,
}

pub fn run(args: Args) -> Result<ExitCode, CliError> {
    if args.target != RunTarget::Local {
        return run_on_aws(&args);
    }
    let dir = find_project(args.project.as_deref(), None)?;
    let Some(compiled) = super::build::build_project(&dir, None)? else {
        return Ok(ExitCode::from(1));
    };
    let Some(artifacts) = &compiled.artifacts else {
        return Ok(ExitCode::from(1));
    };
    let text = |name: &str| artifacts.files.get(name).map_or("", String::as_str);
    let manifest = Manifest::parse(text("manifest.json")).map_err(CliError::usage)?;
    // Run what would be deployed: the definition with the template's substitutions.
    let machine = kpi_runtime::tasks::deployed_machine(&manifest, STATE_MACHINE_FILE, |f| {
        artifacts.files.get(f).cloned()
    })
    .map_err(CliError::usage)?;
    known_kpis(&args.kpis, &manifest)?;
    let lake = lake_dir(&dir, args.lake.clone())?;
    let days = days(&args, &manifest, &lake).map_err(CliError::usage)?;
    let options = RunOptions {
        days,
        kpis: args.kpis.clone(),
        force: args.force,
        wait: args.wait,
        concurrency: args.concurrency.unwrap_or_else(|| {
            std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
        }),
        command: std::env::args().collect::<Vec<_>>().join(" "),
    };
    if args.dry_run {
        let plan =
            kpi_runtime::run::dry_run(&manifest, &lake, &options).map_err(CliError::usage)?;
        match args.format {
            Format::Human => output::print(&dry_run_text(&plan))?,
            Format::Json => output::print(&format!("{}\n", plan.to_json()))?,
        }
        return Ok(ExitCode::SUCCESS);
    }
    let bars = Bars::new(&manifest);
    let progress = |p: kpi_runtime::run::Progress<'_>| bars.update(p);
    let report = run_locally(&machine, &manifest, &lake, &options, &progress);
    bars.finish();
    let report = report.map_err(CliError::usage)?;
    if let Some(path) = &args.report {
        kpi_runtime::lake::write_atomically(path, report.to_html().as_bytes())
            .map_err(CliError::usage)?;
        output::note(format!("report written to {}", shown(path).display()));
    }
    match args.format {
        Format::Human => output::print(&report.to_text())?,
        Format::Json => output::print(&format!("{}\n", report.to_json()))?,
    }
    Ok(super::exit(report.succeeded()))
}

/// `--target aws` or `--target athena`: planned from Glue's partitions.
#[cfg(feature = "aws")]
fn run_on_aws(args: &Args) -> Result<ExitCode, CliError> {
    let target = if args.target == RunTarget::Athena {
        "athena"
    } else {
        "aws"
    };
    let days = |manifest: &Manifest| match (&args.day, &args.from, &args.to) {
        (None, None, None) => Err(format!(
            "with --target {target}, pass --day or --from and --to"
        )),
        (None, Some(_), None) => Err(format!("with --target {target}, --from needs --to")),
        _ => days(args, manifest, Path::new("")),
    };
    if args.target == RunTarget::Athena {
        if args.no_wait || args.name.is_some() {
            return Err(CliError::usage(
                "--no-wait and --name are for --target aws: --target athena runs the built machine here, nothing deployed".to_string(),
            ));
        }
        return super::aws::athena::run(super::aws::athena::AthenaRun {
            project: args.project.as_deref(),
            days: &days,
            kpis: &args.kpis,
            force: args.force,
            dry_run: args.dry_run,
            concurrency: args.concurrency,
            format: args.format,
            aws: &args.aws,
        });
    }
    super::aws::remote::run(super::aws::remote::RemoteRun {
        project: args.project.as_deref(),
        name: args.name.as_deref(),
        days: &days,
        kpis: &args.kpis,
        force: args.force,
        dry_run: args.dry_run,
        no_wait: args.no_wait,
        aws: &args.aws,
    })
}

#[cfg(not(feature = "aws"))]
fn run_on_aws(_: &Args) -> Result<ExitCode, CliError> {
    Err(CliError::usage(
        "this kpi was built without AWS support; build it with the `aws` feature \
         (`cargo install` has it by default)",
    ))
}

/// Every `--kpi` names a KPI of the project, or the run does not start: "did you mean".
fn known_kpis(asked: &[String], manifest: &Manifest) -> Result<(), CliError> {
    let names = || manifest.kpis.iter().map(|k| k.name.as_str());
    for name in asked {
        let name = name.strip_suffix('+').unwrap_or(name);
        if manifest.kpi(name).is_none() {
            let hint = kpi_compiler::diagnostic::did_you_mean(name, names())
                .map_or_else(String::new, |s| format!("; did you mean `{s}`?"));
            return Err(CliError::usage(format!(
                "--kpi {name}: the project has no KPI of this name{hint}"
            )));
        }
    }
    Ok(())
}

/// The lake directory: `--lake`, or `lake` beside the project directory; it must exist.
pub fn lake_dir(project: &ProjectDir, lake: Option<PathBuf>) -> Result<PathBuf, CliError> {
    let lake = lake.unwrap_or_else(|| project.default_lake());
    output::detail(format!("lake {}", shown(&lake).display()));
    if lake.is_dir() {
        Ok(lake)
    } else {
        let at = shown(&lake);
        Err(CliError::usage(format!(
            "no lake at {}: pass --lake DIR, or make a sample one with `kpi sample-data --out {}`",
            at.display(),
            at.display()
        )))
    }
}

/// The days asked for: `--day`, `--from`/`--to`, or by default every day from the project's
/// `history_start` to the newest day every day-partitioned source of the lake has.
fn days(args: &Args, manifest: &Manifest, lake: &Path) -> Result<Vec<Day>, String> {
    let parse = |d: &str| Day::parse(d).ok_or_else(|| format!("`{d}` is not a day YYYY-MM-DD"));
    let start = manifest.project.history_start;
    let (from, to) = match (&args.day, &args.from, &args.to) {
        (Some(d), None, None) => (parse(d)?, parse(d)?),
        (Some(_), _, _) => return Err("give either --day or --from/--to, not both".into()),
        (None, Some(f), Some(t)) => (parse(f)?, parse(t)?),
        (None, Some(f), None) => (
            parse(f)?,
            newest_day(manifest, lake)
                .ok_or("--from needs --to: the lake has no source partitions")?,
        ),
        (None, None, Some(t)) => (start, parse(t)?),
        (None, None, None) => (
            start,
            newest_day(manifest, lake).ok_or_else(|| {
                format!(
                    "the lake {} has no source partitions; pass --day or --from/--to",
                    lake.display()
                )
            })?,
        ),
    };
    let range =
        DayRange::new(from, to).ok_or_else(|| format!("--from {from} is after --to {to}"))?;
    Ok(range.days().collect())
}

/// The range a run covers by default: `history_start` to the newest day every
/// day-partitioned source of the lake has; `None` when the lake has no source partitions.
pub fn default_days(manifest: &Manifest, lake: &Path) -> Option<Vec<Day>> {
    let range = DayRange::new(manifest.project.history_start, newest_day(manifest, lake)?)?;
    Some(range.days().collect())
}

/// The newest day every day-partitioned source has in the lake.
pub fn newest_day(manifest: &Manifest, lake: &Path) -> Option<Day> {
    let root = kpi_runtime::lake::Lake::open(lake).ok()?;
    manifest
        .sources
        .iter()
        .filter_map(|s| {
            let prefix = format!("{}=", s.partition.as_deref()?);
            std::fs::read_dir(root.path_of(s.location.as_deref()?).ok()?)
                .ok()?
                .flatten()
                .filter_map(|e| {
                    let name = e.file_name().to_string_lossy().to_string();
                    Day::parse(name.strip_prefix(&prefix)?)
                })
                .max()
        })
        .min()
}

/// The plan and the Athena estimate of a dry run.
fn dry_run_text(d: &kpi_runtime::run::DryRun) -> String {
    use kpi_runtime::cost::bytes_text;
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} KPI-days due in {} execution(s), {} up to date, {} waiting for inputs.",
        d.plan.kpi_days(),
        d.plan.executions.len(),
        d.plan.up_to_date,
        d.plan.waiting.len()
    );
    let width = d
        .kpis
        .iter()
        .map(|(k, _, _)| k.len())
        .max()
        .unwrap_or(3)
        .max(3);
    let _ = writeln!(
        out,
        "{:width$}  {:>6}  {:>7}  {:>9}  {:>9}",
        "KPI", "chunks", "queries", "scans", "Athena $"
    );
    for (kpi, chunks, e) in &d.kpis {
        let _ = writeln!(
            out,
            "{kpi:width$}  {chunks:>6}  {:>7}  {:>9}  {:>9.4}",
            e.queries,
            bytes_text(e.bytes),
            e.dollars
        );
    }
    let _ = writeln!(out, "{}", d.total().sentence());
    for w in d.plan.waiting.iter().take(20) {
        let _ = writeln!(out, "waiting: {} {}: {}", w.kpi, w.day, w.why);
    }
    out
}
