//! `kpi run --target aws`, `kpi status`, `kpi redrive`: executions of the deployed machine.
//! `plan_from_glue` is shared with `--target athena`.
//!
//! The due KPI-days come from Glue's partitions by the same rules as a local run
//! (`kpi-plan`); executions start in dependency order, each after the one before it
//! succeeded, since a later one may read what an earlier one publishes.

use super::deploy::built;
use super::{AwsArgs, aws_error};
use crate::error::CliError;
use crate::output;
use kpi_aws::machine::{self, Execution};
use kpi_aws::{Aws, partitions};
use kpi_contract::Day;
use kpi_plan::RunPlan;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// What `kpi run --target aws` is given besides the local run's options.
pub struct RemoteRun<'a> {
    pub project: Option<&'a std::path::Path>,
    pub name: Option<&'a str>,
    pub days: &'a dyn Fn(&kpi_contract::manifest::Manifest) -> Result<Vec<Day>, String>,
    pub kpis: &'a [String],
    pub force: bool,
    pub dry_run: bool,
    pub no_wait: bool,
    pub aws: &'a AwsArgs,
}

pub fn run(args: RemoteRun<'_>) -> Result<ExitCode, CliError> {
    let Some(built) = built(args.project, args.name)? else {
        return Ok(ExitCode::from(1));
    };
    let manifest = &built.manifest;
    let days = (args.days)(manifest).map_err(CliError::usage)?;
    let selected = kpi_plan::select(manifest, args.kpis).map_err(CliError::usage)?;
    let aws = args.aws.connect()?;
    let deployed = deployed_as_built(&aws, &built)?;
    let plan = plan_from_glue(&aws, manifest, &days, &selected, args.force)?;
    if args.dry_run || plan.executions.is_empty() {
        for e in &plan.executions {
            output::print(&format!("{}\n", e.input()))?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    // Execution names are unique for 90 days: the time to the millisecond and a digest of
    // the input, so two runs started within the same second never collide.
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%3fZ").to_string();
    let mut failed = false;
    for (i, planned) in plan.executions.iter().enumerate() {
        let digest = machine::digest(&planned.input().to_string());
        let name = format!("kpi-{stamp}-{}-{}", i + 1, &digest[..8]);
        let arn =
            machine::start(&aws, &deployed.arn, &name, &planned.input()).map_err(aws_error)?;
        output::print(&format!(
            "started {arn} ({} KPIs × {} days)\n",
            planned.kpis.len(),
            planned.days.len()
        ))?;
        if args.no_wait {
            let rest = plan.executions.len() - i - 1;
            if rest > 0 {
                output::note(format!(
                    "{rest} more execution(s) read what this one publishes: run again once it has succeeded"
                ));
            }
            return Ok(ExitCode::SUCCESS);
        }
        let done = follow(&aws, &arn)?;
        if done.status != "SUCCEEDED" {
            failed = true;
            print_failure(&aws, &done)?;
            break;
        }
    }
    Ok(super::super::exit(!failed))
}

/// The deployed top-level machine, once every machine of the build is found deployed with
/// its built definition.
fn deployed_as_built(
    aws: &Aws,
    built: &super::deploy::Built,
) -> Result<machine::Deployed, CliError> {
    let mut arns = std::collections::BTreeMap::new();
    let mut top = None;
    for m in &built.machines {
        let deployed = machine::find(aws, &m.name)
            .map_err(aws_error)?
            .ok_or_else(|| {
                CliError::usage(format!(
                    "no state machine {} is deployed in {}; deploy it first with `kpi deploy`",
                    m.name,
                    aws.region()
                ))
            })?;
        if !machine::same_definition(&deployed.definition, &built.definition(m, &arns)) {
            return Err(CliError::usage(format!(
                "the deployed {} is not the built project (its definition differs); \
                 run `kpi deploy` first (`kpi deploy --dry-run` shows the difference)",
                m.name
            )));
        }
        match &m.substitution {
            Some(sub) => {
                arns.insert(sub.clone(), deployed.arn.clone());
            }
            None => top = Some(deployed),
        }
    }
    top.ok_or_else(|| CliError::usage("the build has no top-level state machine"))
}

/// The due KPI-days of `days`, planned from Glue's partitions by the rules of a local run;
/// the plan's sentence and the first KPI-days that wait go to stderr.
pub fn plan_from_glue(
    aws: &Aws,
    manifest: &kpi_contract::manifest::Manifest,
    days: &[Day],
    selected: &std::collections::BTreeSet<String>,
    force: bool,
) -> Result<RunPlan, CliError> {
    let Some(range) = partitions::reach(manifest, days) else {
        return Err(CliError::usage("no days to run"));
    };
    let store = partitions::read(aws, manifest, range).map_err(aws_error)?;
    let plan = kpi_plan::plan(manifest, &store, days, selected, force);
    output::note(plan_sentence(&plan));
    for w in plan.waiting.iter().take(20) {
        output::note(format!("waiting: {} {}: {}", w.kpi, w.day, w.why));
    }
    Ok(plan)
}

fn plan_sentence(plan: &RunPlan) -> String {
    format!(
        "{} KPI-days due in {} execution(s), {} up to date, {} waiting for inputs",
        plan.kpi_days(),
        plan.executions.len(),
        plan.up_to_date,
        plan.waiting.len()
    )
}

/// Polls an execution until it stops: DescribeExecution every second at first, backing off
/// to every 30 seconds, with a spinner on a terminal.
pub fn follow(aws: &Aws, arn: &str) -> Result<Execution, CliError> {
    use std::io::IsTerminal;
    let bar = if std::io::stderr().is_terminal() && !output::quiet() {
        indicatif::ProgressBar::new_spinner()
    } else {
        indicatif::ProgressBar::hidden()
    };
    let mut wait = Duration::from_secs(1);
    loop {
        let e = machine::describe(aws, arn).map_err(aws_error)?;
        bar.set_message(format!("{} {}", e.name, e.status));
        bar.tick();
        if !e.is_running() {
            bar.finish_and_clear();
            return Ok(e);
        }
        std::thread::sleep(wait);
        wait = (wait * 2).min(Duration::from_secs(30));
    }
}

fn print_failure(aws: &Aws, e: &Execution) -> Result<(), CliError> {
    let mut text = format!("{} {}", e.name, e.status);
    if let Some(error) = &e.error {
        text.push_str(&format!(": {error}"));
    }
    if let Some(cause) = &e.cause {
        text.push_str(&format!("\n  {cause}"));
    }
    if let Some(f) = machine::last_failure(aws, &e.arn).map_err(aws_error)? {
        text.push_str(&format!(
            "\n  last failed task: {} ({}): {}{}",
            f.state.as_deref().unwrap_or("?"),
            f.resource,
            f.error.as_deref().unwrap_or(""),
            f.cause.map_or_else(String::new, |c| format!(": {c}"))
        ));
    }
    text.push_str(&format!("\n  redrive it with `kpi redrive {}`\n", e.arn));
    output::print(&text)
}

/// Show one execution, or the latest ones of the project's state machine.
///
/// Example: `kpi status` or `kpi status arn:aws:states:…:execution:kpi-engagement:kpi-…`
#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// The execution to show; default: the latest executions of the project's machine.
    pub execution_arn: Option<String>,
    /// The project directory (for its machine's name). Default: the nearest one at or above
    /// the current directory.
    #[arg(long, value_name = "DIR")]
    pub project: Option<PathBuf>,
    /// The state machine's name (default: `kpi-<project>`).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// How many executions to list.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub limit: i32,
    #[command(flatten)]
    pub aws: AwsArgs,
}

pub fn status(args: StatusArgs) -> Result<ExitCode, CliError> {
    if let Some(arn) = &args.execution_arn {
        let aws = args.aws.connect()?;
        let e = machine::describe(&aws, arn).map_err(aws_error)?;
        output::print(&format!(
            "{} {}\n  started {}{}\n  redriven {} time(s)\n",
            e.name,
            e.status,
            e.started,
            e.stopped
                .as_ref()
                .map_or_else(String::new, |s| format!(", stopped {s}")),
            e.redrive_count
        ))?;
        if let Some(input) = &e.input {
            output::print(&format!("  input {input}\n"))?;
        }
        if e.status == "FAILED" {
            print_failure(&aws, &e)?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let name = match &args.name {
        Some(n) => n.clone(),
        None => match built(args.project.as_deref(), None)? {
            Some(b) => b.name,
            None => return Ok(ExitCode::from(1)),
        },
    };
    let aws = args.aws.connect()?;
    let deployed = machine::find(&aws, &name)
        .map_err(aws_error)?
        .ok_or_else(|| CliError::usage(format!("no state machine {name} is deployed")))?;
    let executions = machine::list(&aws, &deployed.arn, args.limit).map_err(aws_error)?;
    if executions.is_empty() {
        output::print(&format!("{name} has no executions\n"))?;
    }
    for e in executions {
        output::print(&format!("{:<10} {}  {}\n", e.status, e.started, e.arn))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Redrive a failed execution from the states that failed (RedriveExecution). It keeps its
/// ARN; its attempt ids and query tokens carry the redrive count, so it writes fresh
/// attempts rather than repeating the failed ones.
///
/// Example: `kpi redrive arn:aws:states:…:execution:kpi-engagement:kpi-20240102T000000Z-1`
#[derive(Debug, clap::Args)]
pub struct RedriveArgs {
    pub execution_arn: String,
    /// Return once the redrive has started instead of following it.
    #[arg(long)]
    pub no_wait: bool,
    #[command(flatten)]
    pub aws: AwsArgs,
}

pub fn redrive(args: RedriveArgs) -> Result<ExitCode, CliError> {
    let aws = args.aws.connect()?;
    let at = machine::redrive(&aws, &args.execution_arn).map_err(aws_error)?;
    output::print(&format!("redriven {} at {at}\n", args.execution_arn))?;
    if args.no_wait {
        return Ok(ExitCode::SUCCESS);
    }
    let done = follow(&aws, &args.execution_arn)?;
    if done.status == "SUCCEEDED" {
        output::print(&format!("{} SUCCEEDED\n", done.name))?;
        Ok(ExitCode::SUCCESS)
    } else {
        print_failure(&aws, &done)?;
        Ok(ExitCode::from(1))
    }
}
