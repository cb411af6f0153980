//! `kpi run`: build the project, then run its state machine on the local engine over a lake
//! directory, computing the KPI-days that are missing or stale; print the report.
//!
//! Exit codes: 0 every KPI-day succeeded, 1 some failed (or the project has errors), 2 the
//! lake or the options are unusable.

use crate::load::{self, LoadError};
use kpi_compiler::build::STATE_MACHINE_FILE;
use kpi_contract::{Day, DayRange};
use kpi_runtime::manifest::Manifest;
use kpi_runtime::run::{Progress, RunOptions, run as run_locally};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;

/// The options of `kpi run`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(long)]
    pub project: Option<PathBuf>,
    /// One day, YYYY-MM-DD.
    #[arg(long, conflicts_with_all = ["from", "to"])]
    pub day: Option<String>,
    /// First day of a range (default: the project's history_start).
    #[arg(long)]
    pub from: Option<String>,
    /// Last day of a range (default: the newest day of the lake's sources).
    #[arg(long)]
    pub to: Option<String>,
    /// Only this KPI (and what it reads); repeatable.
    #[arg(long = "kpi")]
    pub kpis: Vec<String>,
    /// The lake directory: `s3://bucket/prefix/` is `<lake>/bucket/prefix/`. Default: `lake`
    /// beside the project directory.
    #[arg(long)]
    pub lake: Option<PathBuf>,
    /// KPI-days run at once, within the state machine's MaxConcurrency (default: the
    /// number of cores; 1 runs them one after another).
    #[arg(long)]
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
    #[arg(long, value_enum, default_value_t = crate::Format::Human)]
    pub format: crate::Format,
}

pub fn usage(message: impl std::fmt::Display) -> Result<ExitCode, LoadError> {
    eprintln!("error: {message}");
    Ok(ExitCode::from(2))
}

pub fn run(args: Args) -> Result<ExitCode, LoadError> {
    let dir = load::find_project(args.project.clone())?;
    let Some(artifacts) = super::build::build_project(&dir, None)? else {
        return Ok(ExitCode::from(1));
    };
    let text = |name: &str| artifacts.files.get(name).map_or("", String::as_str);
    let manifest = match Manifest::parse(text("manifest.json")) {
        Ok(m) => m,
        Err(e) => return usage(e),
    };
    // Run what would be deployed: the definition with the template's substitutions.
    let machine =
        match kpi_asl::parse_definition_text(&manifest.substitute(text(STATE_MACHINE_FILE))) {
            Ok(m) => m,
            Err(e) => return usage(format!("the built state machine does not parse: {e}")),
        };
    let lake = match lake_dir(&dir, args.lake.clone()) {
        Ok(l) => l,
        Err(e) => return usage(e),
    };
    let days = match days(&args, &manifest, &lake) {
        Ok(d) => d,
        Err(e) => return usage(e),
    };
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
        return match kpi_runtime::run::dry_run(&manifest, &lake, &options) {
            Ok(d) => {
                print!("{}", dry_run_text(&d));
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => usage(e),
        };
    }
    let bar = Bar::new(std::io::stderr().is_terminal());
    let progress = |p: Progress<'_>| bar.update(p);
    let report = match run_locally(&machine, &manifest, &lake, &options, &progress) {
        Ok(r) => r,
        Err(e) => return usage(e),
    };
    bar.finish();
    if let Some(path) = &args.report {
        if let Err(e) = kpi_runtime::lake::write_atomically(path, report.to_html().as_bytes()) {
            return usage(e);
        }
        eprintln!("report written to {}", path.display());
    }
    match args.format {
        crate::Format::Human => print!("{}", report.to_text()),
        crate::Format::Json => println!("{}", report.to_json()),
    }
    Ok(if report.succeeded() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The lake directory: `--lake`, or `lake` beside the project directory; it must exist.
pub fn lake_dir(project: &Path, lake: Option<PathBuf>) -> Result<PathBuf, String> {
    let lake = lake.unwrap_or_else(|| {
        project
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .join("lake")
    });
    if lake.is_dir() {
        Ok(lake)
    } else {
        Err(format!(
            "no lake at {}: pass --lake DIR, or make a sample one with `kpi sample-data --out {}`",
            lake.display(),
            lake.display()
        ))
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

/// The newest day every day-partitioned source has in the lake.
fn newest_day(manifest: &Manifest, lake: &Path) -> Option<Day> {
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
    let mut out = format!(
        "{} KPI-days due in {} execution(s), {} up to date, {} waiting for inputs.\n",
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
    out.push_str(&format!(
        "{:width$}  {:>6}  {:>7}  {:>9}  {:>9}\n",
        "KPI", "chunks", "queries", "scans", "Athena $"
    ));
    for (kpi, chunks, e) in &d.kpis {
        out.push_str(&format!(
            "{kpi:width$}  {chunks:>6}  {:>7}  {:>9}  {:>9.4}\n",
            e.queries,
            bytes_text(e.bytes),
            e.dollars
        ));
    }
    let t = d.total();
    out.push_str(&format!(
        "On Athena: {} DML queries scanning at most {} ({} billed): ${:.4}.\n",
        t.queries,
        bytes_text(t.bytes),
        bytes_text(t.billed_bytes),
        t.dollars
    ));
    for w in d.plan.waiting.iter().take(20) {
        out.push_str(&format!("waiting: {} {}: {}\n", w.kpi, w.day, w.why));
    }
    out
}

/// A progress line on a terminal: KPI-days done of those planned.
struct Bar {
    on: bool,
    state: Mutex<(usize, usize, usize)>,
}

impl Bar {
    fn new(on: bool) -> Bar {
        Bar {
            on,
            state: Mutex::new((0, 0, 0)),
        }
    }

    fn update(&self, p: Progress<'_>) {
        let Ok(mut s) = self.state.lock() else {
            return;
        };
        let last = match p {
            Progress::Planned { kpi_days, .. } => {
                s.0 = kpi_days;
                String::new()
            }
            Progress::Published { kpi, day } => {
                s.1 += 1;
                format!("{kpi} {day}")
            }
            Progress::Failed { kpi, day } => {
                s.2 += 1;
                format!("{kpi} {day} failed")
            }
        };
        if !self.on || s.0 == 0 {
            return;
        }
        let (total, done, failed) = *s;
        let width = 30;
        let filled = (done + failed) * width / total.max(1);
        eprint!(
            "\r\x1b[2K[{}{}] {}/{} KPI-days{}  {last}",
            "#".repeat(filled.min(width)),
            " ".repeat(width - filled.min(width)),
            done,
            total,
            if failed > 0 {
                format!(", {failed} failed")
            } else {
                String::new()
            }
        );
    }

    fn finish(&self) {
        if self.on {
            eprintln!();
        }
    }
}
