//! `kpi run --target athena`: the built state machine run by the local interpreter, every
//! Task resource answered by the real services (`kpi_aws::tasks::Services`), without
//! deploying. The due KPI-days are planned from Glue's partitions as `--target aws` plans
//! them, and each execution gets the input `--target aws` would start it with.

use super::deploy::built;
use super::remote::plan_from_glue;
use crate::error::CliError;
use crate::output::{self, Format};
use kpi_asl::{self as asl, Options, RealClock, Status};
use kpi_aws::tasks::{Call, Event, Services, Settings};
use kpi_compiler::build::STATE_MACHINE_FILE;
use kpi_contract::Day;
use kpi_contract::manifest::Manifest;
use kpi_runtime::run::Progress;
use serde_json::{Value, json};
use std::fmt::Write;
use std::process::ExitCode;
use std::time::Instant;

/// What `kpi run --target athena` is given.
pub struct AthenaRun<'a> {
    pub project: Option<&'a std::path::Path>,
    pub days: &'a dyn Fn(&Manifest) -> Result<Vec<Day>, String>,
    pub kpis: &'a [String],
    pub force: bool,
    pub dry_run: bool,
    /// KPI chunks run at once; default: the machine's MaxConcurrency.
    pub concurrency: Option<usize>,
    pub format: Format,
    pub aws: &'a super::AwsArgs,
}

/// One execution of the run, as it ended.
struct Ended {
    name: String,
    input: Value,
    status: &'static str,
    error: Option<String>,
    cause: Option<String>,
    seconds: f64,
}

pub fn run(args: AthenaRun<'_>) -> Result<ExitCode, CliError> {
    let Some(built) = built(args.project, None)? else {
        return Ok(ExitCode::from(1));
    };
    let manifest = &built.manifest;
    let days = (args.days)(manifest).map_err(CliError::usage)?;
    let selected = kpi_plan::select(manifest, args.kpis).map_err(CliError::usage)?;
    // What deploying would make of the build: kpi.yaml's WorkGroup, Database and results
    // location filled in, the children of a split project found by their ARNs.
    let machine = kpi_runtime::tasks::deployed_machine(manifest, STATE_MACHINE_FILE, |f| {
        built.files.get(f).cloned()
    })
    .map_err(CliError::usage)?;
    let aws = args.aws.connect()?;
    let plan = plan_from_glue(&aws, manifest, &days, &selected, args.force)?;
    if args.dry_run || plan.executions.is_empty() {
        for e in &plan.executions {
            output::print(&format!("{}\n", e.input()))?;
        }
        return Ok(super::super::exit(args.dry_run || plan.waiting.is_empty()));
    }
    let bars = super::super::progress::Bars::new(manifest);
    let mut per_level = std::collections::BTreeMap::new();
    for (kpi, days) in &plan.due {
        let level = manifest.kpi(kpi).map_or(0, |k| k.level);
        *per_level.entry(level).or_insert(0) += days.len();
    }
    bars.update(Progress::Planned {
        kpi_days: plan.kpi_days(),
        executions: plan.executions.len(),
        per_level,
    });
    let on_event = |e: Event<'_>| match e {
        Event::Published { kpi, day } => bars.update(Progress::Published { kpi, day }),
        Event::Failed { kpi, day } => bars.update(Progress::Failed { kpi, day }),
    };
    let services = Services::new(&aws, manifest, Settings::default(), &on_event);
    let workers = args
        .concurrency
        .unwrap_or(manifest.project.concurrency as usize)
        .max(1);
    let clock = RealClock;
    let jsonata = kpi_asl::jsonata::Engine;
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%3fZ").to_string();
    let mut ended = Vec::new();
    for (i, planned) in plan.executions.iter().enumerate() {
        // Its own name per execution: the attempt ids and query tokens derive from it, so
        // every run writes fresh prefixes and starts fresh queries.
        let name = format!("kpi-athena-{stamp}-{}", i + 1);
        let began = Instant::now();
        let exec = asl::execute(
            &machine,
            planned.input(),
            &Options {
                tasks: Some(&services),
                jsonata: Some(&jsonata),
                execution_name: &name,
                state_machine_name: &built.name,
                map_workers: workers,
                ..Options::new(&clock)
            },
        );
        let succeeded = exec.status == Status::Succeeded;
        ended.push(Ended {
            name,
            input: planned.input(),
            status: if succeeded { "SUCCEEDED" } else { "FAILED" },
            error: exec.error,
            cause: exec.cause,
            seconds: began.elapsed().as_secs_f64(),
        });
        // A later execution reads what this one publishes: it waits for a run that succeeds.
        if !succeeded {
            let rest = plan.executions.len() - i - 1;
            if rest > 0 {
                output::note(format!(
                    "{rest} more execution(s) read what this one publishes: not started"
                ));
            }
            break;
        }
    }
    bars.finish();
    let calls = services.calls();
    let failures = services.failures();
    let published = services.published();
    let ok = ended.iter().all(|e| e.status == "SUCCEEDED") && plan.waiting.is_empty();
    match args.format {
        Format::Human => output::print(&text(&ended, &calls, &failures, published.len()))?,
        Format::Json => {
            let doc = json!({
                "executions": ended.iter().map(|e| json!({
                    "name": e.name, "input": e.input, "status": e.status,
                    "error": e.error, "cause": e.cause, "seconds": e.seconds,
                })).collect::<Vec<_>>(),
                "published": published.iter().map(|(k, d)| json!({"kpi": k, "day": d})).collect::<Vec<_>>(),
                "failures": failures.iter().map(|((k, d), f)| json!({
                    "kpi": k, "day": d, "state": f.state, "error": f.error,
                })).collect::<Vec<_>>(),
                "waiting": plan.waiting,
                "calls": calls.iter().map(|c| json!({
                    "resource": c.resource, "state": c.state, "kpi": c.kpi,
                    "days": c.days.map(|d| json!({"first": d.first, "last": d.last})),
                    "query_execution_id": c.query_execution_id, "scanned_bytes": c.scanned,
                    "seconds": c.seconds,
                    "error": c.error.as_ref().map(|e| json!({"error": e.error, "cause": e.cause})),
                })).collect::<Vec<_>>(),
            });
            output::print(&format!("{doc:#}\n"))?;
        }
    }
    Ok(super::super::exit(ok))
}

/// The outcome for a terminal: each execution, the KPI-days that failed (state, KPI, day,
/// the service's error), and the Tasks that failed for no particular day.
fn text(
    ended: &[Ended],
    calls: &[Call],
    failures: &std::collections::BTreeMap<(String, Day), kpi_aws::tasks::DayFailure>,
    published: usize,
) -> String {
    let mut out = String::new();
    let queries = calls
        .iter()
        .filter(|c| c.resource == kpi_contract::aws::ATHENA_START_QUERY_SYNC)
        .count();
    let scanned: i64 = calls.iter().filter_map(|c| c.scanned).sum();
    for e in ended {
        let _ = writeln!(
            out,
            "execution {} {} in {:.1}s",
            e.name, e.status, e.seconds
        );
        if e.status != "SUCCEEDED" {
            let error = e.error.as_deref().unwrap_or("?");
            let cause = e.cause.as_deref().unwrap_or("");
            // The machine's own list of failed KPI-days ("N KPI-day(s) failed: a; b; …"),
            // which also has those no Task saw fail (a check without its day's row, an
            // upstream day that failed): one a line.
            match cause.split_once(": ") {
                Some((head, list)) if error == "Kpi.Failed" => {
                    let _ = writeln!(out, "  {error}: {head}:");
                    for entry in list.split("; ") {
                        let _ = writeln!(out, "    {entry}");
                    }
                }
                _ => {
                    let _ = writeln!(out, "  {error}: {cause}");
                }
            }
        }
    }
    let _ = writeln!(
        out,
        "{published} KPI-day(s) published; {queries} Athena queries scanned {}.",
        kpi_runtime::cost::bytes_text(u64::try_from(scanned).unwrap_or(0))
    );
    if !failures.is_empty() {
        let _ = writeln!(
            out,
            "{} KPI-day(s) failed; the next run redoes them:",
            failures.len()
        );
        for ((kpi, day), f) in failures.iter().take(20) {
            let _ = writeln!(out, "  {kpi} {day} at {}: {}", f.state, f.error);
        }
        if failures.len() > 20 {
            let _ = writeln!(out, "  … and {} more", failures.len() - 20);
        }
    }
    // A Task that failed without a day of its own (a table's setup, a GetTable) fails every
    // day of its item: name it once, when an execution failed (else a Retry got past it).
    if ended.iter().all(|e| e.status == "SUCCEEDED") {
        return out;
    }
    let mut seen = std::collections::BTreeSet::new();
    for c in calls.iter().filter(|c| c.days.is_none()) {
        if let Some(e) = &c.error
            && seen.insert((c.state.clone(), c.kpi.clone(), e.error.clone()))
        {
            if seen.len() == 1 {
                let _ = writeln!(out, "Tasks that failed for every day of their item:");
            }
            let _ = writeln!(
                out,
                "  {}{}: {}: {}",
                c.state,
                c.kpi
                    .as_deref()
                    .map_or_else(String::new, |k| format!(" ({k})")),
                e.error,
                e.cause
            );
        }
    }
    out
}
