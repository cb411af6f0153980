//! `kpi diff`: compile the project at a base revision and at the head (a revision or the
//! working tree), compare them (`kpi_compiler::diff`), size the backfill from the lake when
//! one is given (`kpi_runtime::run::LakeSizes`), with `--data` compare the changed KPIs'
//! rows (`super::diff_data`), and print the result.
//!
//! Exit codes: 0 the diff was printed (with `--exit-code`: and no change is semantic), 1 the
//! head has errors (or, with `--exit-code`, a change is semantic), 2 a revision, the
//! repository or the lake cannot be read.

use crate::error::CliError;
use crate::git::GitRevision;
use crate::load::{Disk, ProjectDir, find_project};
use crate::output;
use kpi_compiler::diff::{self, Cost};
use kpi_compiler::driver::{self, Compiled, FileSource, Options, SourceError};
use kpi_runtime::manifest::Manifest;
use kpi_runtime::run::LakeSizes;
use std::path::PathBuf;
use std::process::ExitCode;

/// Compare the project at a base revision with the head: per KPI what changed (semantic,
/// metadata or cosmetic), its output schema (breaking or not), the KPIs downstream, the
/// kpi.yaml settings and catalog snapshot drift, the backfill it needs and, with --data, the
/// rows that change on some days of a lake.
///
/// Example: `kpi diff --base origin/main --format markdown > comment.md`, or
/// `kpi diff --base origin/main --lake lake --data 2024-01-10`
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The revision to compare with: a commit, branch or tag (`git rev-parse` names).
    #[arg(long, value_name = "REV")]
    pub base: String,
    /// The revision to compare; default: the working tree as it is on disk.
    #[arg(long, value_name = "REV")]
    pub head: Option<String>,
    /// The project directory (holding kpi.yaml), inside a git work tree. Default: the
    /// nearest one at or above the current directory.
    #[arg(long, value_name = "DIR")]
    pub project: Option<PathBuf>,
    /// A lake to size the backfill from: it runs to the newest source day there, and its
    /// files give the bytes and dollars. Without it, the backfill covers history_start and
    /// the `max_backfill_days − 1` days after it, and bytes are unknown.
    #[arg(long, value_name = "DIR")]
    pub lake: Option<PathBuf>,
    /// Also compare the rows of the KPIs whose values can change, for one day or a range
    /// `FROM..TO`: each side computes them (and what they read) in a scratch lake over
    /// `--lake`'s sources, which is neither written to nor locked.
    #[arg(long, value_name = "DAY|FROM..TO", requires = "lake")]
    pub data: Option<String>,
    /// Also show the unified diffs of the generated Athena SQL, state machine and template
    /// (in markdown, cut to fit a pull request comment).
    #[arg(long)]
    pub artifacts: bool,
    /// How to print the diff.
    #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
    pub format: DiffFormat,
    /// Exit 1 when any change is semantic (what a KPI computes changes).
    #[arg(long)]
    pub exit_code: bool,
}

/// `kpi diff --format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum DiffFormat {
    /// For a terminal.
    Text,
    /// GitHub-flavoured markdown, for a pull request comment.
    Markdown,
    /// The diff as JSON (documented in the README).
    Json,
}

/// Compiles one side, naming a revision that cannot be read as such.
fn compile_side(
    files: &dyn FileSource,
    revision: &str,
    dir: &ProjectDir,
) -> Result<Compiled, CliError> {
    let options = Options {
        build: true,
        ..Options::default()
    };
    driver::compile(files, &options).map_err(|e| match e {
        SourceError::NoProject => CliError::usage(format!(
            "{revision} has no kpi.yaml in {}",
            dir.shown_root()
        )),
        SourceError::Unreadable { path, reason } => CliError::usage(format!(
            "cannot read {} at {revision}: {reason}",
            dir.show(&path)
        )),
    })
}

pub fn run(args: Args) -> Result<ExitCode, CliError> {
    let dir = find_project(args.project.as_deref(), None)?;
    let base_tree = GitRevision::open(&dir.root, &args.base)?;
    output::detail(format!("base {} is {}", args.base, base_tree.commit));
    let base = compile_side(&base_tree, &args.base, &dir)?;
    let (head, head_name) = match &args.head {
        Some(rev) => {
            let tree = GitRevision::open(&dir.root, rev)?;
            output::detail(format!("head {rev} is {}", tree.commit));
            (compile_side(&tree, rev, &dir)?, rev.clone())
        }
        None => (
            compile_side(&Disk { root: &dir.root }, "the working tree", &dir)?,
            "working tree".to_string(),
        ),
    };
    if base.artifacts.is_none() {
        output::note(format!(
            "the base {} does not check, so its KPIs cannot be compared",
            args.base
        ));
    }
    let mut result = diff::diff(&base, &head, &args.base, &head_name);
    if args.artifacts {
        result.artifacts = Some(diff::artifacts(&base, &head));
    }
    if let Some(artifacts) = &head.artifacts {
        let manifest = artifacts
            .files
            .get("manifest.json")
            .map(|m| Manifest::parse(m))
            .transpose()
            .map_err(CliError::usage)?;
        let plan = &artifacts.plan;
        let (last, last_from, sizes) = match (&args.lake, &manifest) {
            (Some(lake), Some(manifest)) => {
                if !lake.is_dir() {
                    return Err(CliError::usage(format!("no lake at {}", lake.display())));
                }
                let last = super::run::newest_day(manifest, lake).ok_or_else(|| {
                    CliError::usage(format!(
                        "the lake {} has no source partitions",
                        lake.display()
                    ))
                })?;
                let sizes = LakeSizes::open(lake).map_err(CliError::usage)?;
                (
                    last,
                    "the newest source day in the lake".to_string(),
                    Some(sizes),
                )
            }
            _ => {
                let settings = &plan.settings;
                let last = settings
                    .history_start
                    .add_days(i64::from(settings.max_backfill_days.max(1)) - 1)
                    .unwrap_or(settings.history_start);
                (
                    last,
                    "history_start + max_backfill_days − 1, without --lake".to_string(),
                    None,
                )
            }
        };
        let price = |kpi: &str, chunk| -> Option<Cost> {
            let bytes = sizes
                .as_ref()?
                .chunk_bytes(manifest.as_ref()?, kpi, chunk)?;
            let e = LakeSizes::chunk_estimate(bytes);
            Some(Cost {
                bytes: e.bytes,
                billed_bytes: e.billed_bytes,
                dollars: e.dollars,
            })
        };
        result.backfill = Some(diff::backfill(&result, plan, last, &last_from, &price));
    }
    if let (Some(days), Some(lake)) = (&args.data, &args.lake) {
        let days = super::diff_data::parse_days(days)?;
        result.data = Some(super::diff_data::data(&result, &base, &head, lake, days)?);
    }
    let text = match args.format {
        DiffFormat::Text => diff::render_text(&result),
        DiffFormat::Markdown => diff::render_markdown(&result),
        DiffFormat::Json => {
            let json = serde_json::to_string_pretty(&result)
                .map_err(|e| CliError::usage(format!("cannot print JSON: {e}")))?;
            format!("{json}\n")
        }
    };
    output::print(&text)?;
    let failed = !result.errors.is_empty() || (args.exit_code && result.semantic);
    Ok(super::exit(!failed))
}
