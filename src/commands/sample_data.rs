//! `kpi sample-data`: command-line options → a generated sample lake in an empty (or, with
//! `--force`, cleared) directory, and a printed report (events, events per second, malformed
//! lines, bytes).

use crate::error::CliError;
use crate::output;
use kpi_runtime::report::group_digits;
use kpi_sample::{SampleError, SampleOptions, SampleReport, generate};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Generate a realistic sample lake: daily Parquet snapshots of companies, departments and
/// members, gzip JSON lines of application events (with a few malformed lines), and the
/// matching Glue catalog snapshot. Deterministic: the same options give the same bytes.
///
/// The directory must be empty (or not exist); `--force` clears it first.
///
/// Example: `kpi sample-data --out lake --days 30 --companies 10 --seed 7`
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The lake directory (`s3://bucket/prefix/` is `<out>/bucket/prefix/`).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Number of days (default 60; 90 with --large).
    #[arg(long, value_name = "N")]
    pub days: Option<u32>,
    /// Number of client companies (default 30; 330 with --large).
    #[arg(long, value_name = "N")]
    pub companies: Option<u32>,
    /// Random seed (default 42).
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
    /// First day, YYYY-MM-DD (default 2024-01-01).
    #[arg(long, value_name = "DAY")]
    pub start: Option<String>,
    /// The benchmark preset: over 20 million events.
    #[arg(long)]
    pub large: bool,
    /// Clear a non-empty --out directory first (its KPI partitions and local catalog too).
    #[arg(long)]
    pub force: bool,
}

/// Flags given override the preset (`--large` picks the benchmark preset).
pub fn run(args: Args) -> Result<ExitCode, CliError> {
    let mut options = if args.large {
        SampleOptions::large()
    } else {
        SampleOptions::default()
    };
    if let Some(days) = args.days {
        options.days = days;
    }
    if let Some(companies) = args.companies {
        options.companies = companies;
    }
    if let Some(seed) = args.seed {
        options.seed = seed;
    }
    if let Some(start) = &args.start {
        options.start = SampleOptions::parse_start(start).map_err(CliError::usage)?;
    }
    make_room(&args.out, args.force)?;
    match generate(&args.out, &options, &kpi_runtime::parquet::DuckDbParquet) {
        Ok(report) => {
            if !output::quiet() {
                output::print(&report_text(&args.out, &options, &report))?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(SampleError::Io { path, error }) => Err(CliError::Io {
            action: "write",
            path,
            error,
        }),
        Err(e @ SampleError::Write(_)) => Err(CliError::Io {
            action: "write",
            path: args.out,
            error: std::io::Error::other(e.to_string()),
        }),
        Err(e @ SampleError::Invalid(_)) => Err(CliError::usage(e)),
    }
}

/// An empty or missing `out` is used as it is; a non-empty one only with `force`, cleared.
/// A lake generated over an older one would mix the two (and keep its KPI partitions).
fn make_room(out: &Path, force: bool) -> Result<(), CliError> {
    let Ok(entries) = std::fs::read_dir(out) else {
        return Ok(());
    };
    let mut names: Vec<String> = entries
        .flatten()
        .map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            if e.path().is_dir() {
                format!("{name}/")
            } else {
                name
            }
        })
        .collect();
    if names.is_empty() {
        return Ok(());
    }
    names.sort();
    let shown = crate::load::shown(out);
    if !force {
        let more = names.len().saturating_sub(5);
        names.truncate(5);
        return Err(CliError::usage(format!(
            "{} is not empty (it holds {}{}): pass --force to clear it first, or choose another --out",
            shown.display(),
            names.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        )));
    }
    // Never a directory the user is working in, nor one that is a project or a repository.
    let canonical = out.canonicalize().map_err(CliError::io("read", out))?;
    let cwd = std::env::current_dir().and_then(|d| d.canonicalize()).ok();
    let guarded = names.iter().any(|n| n == "kpi.yaml" || n == ".git/")
        || cwd.as_ref().is_some_and(|c| c.starts_with(&canonical));
    if guarded {
        return Err(CliError::usage(format!(
            "{} holds a project, a repository or the current directory; --force clears only a lake",
            shown.display()
        )));
    }
    for entry in std::fs::read_dir(out)
        .map_err(CliError::io("read", out))?
        .flatten()
    {
        let path = entry.path();
        let removed = if path.is_dir() && !path.is_symlink() {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
        removed.map_err(CliError::io("remove", &path))?;
    }
    output::note(format!("cleared {}", shown.display()));
    Ok(())
}

fn report_text(out: &Path, options: &SampleOptions, report: &SampleReport) -> String {
    let mut text = format!(
        "Sample lake in {} ({} days from {}, seed {}{})\n",
        crate::load::shown(out).display(),
        report.days,
        options.start.format("%Y-%m-%d"),
        options.seed,
        if options.large { ", large preset" } else { "" }
    );
    text.push_str(&format!(
        "  companies        {:>14}\n",
        group_digits(u64::from(report.companies))
    ));
    text.push_str(&format!(
        "  members          {:>14}\n",
        group_digits(report.members)
    ));
    text.push_str(&format!(
        "  events           {:>14}   {} events/s over {:.2} s\n",
        group_digits(report.events),
        group_digits(report.events_per_second().round() as u64),
        report.seconds
    ));
    text.push_str(&format!(
        "  malformed lines  {:>14}\n",
        group_digits(report.malformed_lines)
    ));
    text.push_str(&format!(
        "  bytes            {:>14}   {:.1} MiB\n",
        group_digits(report.bytes),
        report.bytes as f64 / (1024.0 * 1024.0)
    ));
    text
}
