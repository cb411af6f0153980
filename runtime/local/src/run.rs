//! A local run: lock the lake, work out what is due, run the compiled state machine on the
//! local engine once per planned execution, and report.

use super::athena::{Event, LocalAthena, QueryRecord, day_number, day_text};
use super::engine::Engine;
use super::lake::{Lake, LocalCatalog};
use super::manifest::Manifest;
use super::plan::{RunPlan, plan};
use super::report::{Failure, KpiReport, Report, SourceReport};
use kpi_asl::{self as asl, Options, RealClock, StateMachine, Status};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Instant;

#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// The days to compute, `YYYY-MM-DD`.
    pub days: Vec<String>,
    /// The KPIs asked for; empty for all. Upstream KPIs come along.
    pub kpis: Vec<String>,
    pub force: bool,
    /// Wait for another run holding the lake instead of refusing.
    pub wait: bool,
    /// How the run describes itself in the lock file.
    pub command: String,
    /// KPI-days run at once (at most the state machine's MaxConcurrency); 0 or 1: one at a
    /// time.
    pub concurrency: usize,
}

#[derive(Debug)]
pub struct RunError(pub String);

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RunError {}

/// Progress as the run goes: the plan, then each KPI-day as it is published or fails.
#[derive(Debug, Clone)]
pub enum Progress<'a> {
    Planned { kpi_days: usize, executions: usize },
    Published { kpi: &'a str, day: &'a str },
    Failed { kpi: &'a str, day: &'a str },
}

pub fn run(
    machine: &StateMachine,
    manifest: &Manifest,
    lake_dir: &Path,
    options: &RunOptions,
    progress: &(dyn Fn(Progress<'_>) + Sync),
) -> Result<Report, RunError> {
    let started = Instant::now();
    for d in &options.days {
        if day_number(d).is_none() {
            return Err(RunError(format!("`{d}` is not a day YYYY-MM-DD")));
        }
        if *d < manifest.project.history_start {
            return Err(RunError(format!(
                "day {d} is before the project's history_start {}",
                manifest.project.history_start
            )));
        }
    }
    for k in &options.kpis {
        if manifest.kpi(k).is_none() {
            return Err(RunError(format!("`{k}` is not a KPI of this project")));
        }
    }
    let lake = Lake::open(lake_dir).map_err(|e| RunError(e.0))?;
    let _lock = lake
        .lock(&options.command, options.wait)
        .map_err(|e| RunError(e.0))?;
    let catalog = lake.read_catalog().map_err(|e| RunError(e.0))?;
    let removed = remove_orphan_attempts(&lake, manifest, &catalog);
    let planned = plan(
        manifest,
        &catalog,
        Some(&lake),
        &options.days,
        &options.kpis,
        options.force,
    );
    progress(Progress::Planned {
        kpi_days: planned.kpi_days(),
        executions: planned.executions.len(),
    });
    let engine = Engine::open(&lake, manifest).map_err(|e| RunError(e.0))?;
    let on_event = |e: Event<'_>| match e {
        Event::Published { kpi, day } => progress(Progress::Published { kpi, day }),
        Event::Failed { kpi, day } => progress(Progress::Failed { kpi, day }),
    };
    let workers = options.concurrency.max(1);
    let athena = LocalAthena::new(manifest, &lake, engine, catalog, workers, &on_event)
        .map_err(|e| RunError(e.0))?;
    let clock = RealClock;
    let jsonata = kpi_asl::jsonata::Engine;
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ").to_string();
    let mut executions = Vec::new();
    for (i, planned_execution) in planned.executions.iter().enumerate() {
        let name = format!("kpi-run-{stamp}-{}", i + 1);
        let exec = asl::execute(
            machine,
            planned_execution.input(),
            &Options {
                tasks: Some(&athena),
                jsonata: Some(&jsonata),
                execution_name: &name,
                state_machine_name: &manifest.project.project,
                map_workers: workers,
                ..Options::new(&clock)
            },
        );
        executions.push(super::report::ExecutionReport {
            name,
            input: planned_execution.input(),
            status: match exec.status {
                Status::Succeeded => "SUCCEEDED".into(),
                Status::Failed => "FAILED".into(),
            },
            error: exec.error.clone(),
            cause: exec.cause.clone(),
        });
    }
    athena.flush().map_err(RunError)?;
    let catalog = athena.catalog();
    let queries = athena.queries();
    let sources = athena.source_report();
    Ok(build_report(
        manifest,
        &lake,
        &planned,
        &catalog,
        queries,
        executions,
        sources,
        removed,
        started.elapsed().as_secs_f64(),
    ))
}

/// Runs `f` with Athena bound to the local engine over the lake, holding the lake's lock;
/// saves the local catalog afterwards. For running a built state machine by hand.
pub fn with_local_athena<R>(
    manifest: &Manifest,
    lake_dir: &Path,
    command: &str,
    f: impl FnOnce(&LocalAthena<'_>) -> R,
) -> Result<R, RunError> {
    let lake = Lake::open(lake_dir).map_err(|e| RunError(e.0))?;
    let _lock = lake.lock(command, false).map_err(|e| RunError(e.0))?;
    let catalog = lake.read_catalog().map_err(|e| RunError(e.0))?;
    let engine = Engine::open(&lake, manifest).map_err(|e| RunError(e.0))?;
    let athena = LocalAthena::new(manifest, &lake, engine, catalog, 1, &|_| {})
        .map_err(|e| RunError(e.0))?;
    let result = f(&athena);
    athena.flush().map_err(RunError)?;
    Ok(result)
}

/// Attempt prefixes no partition points at: what killed or failed runs left behind. Nobody
/// can read them (only the catalog makes an attempt visible), so they go.
fn remove_orphan_attempts(lake: &Lake, manifest: &Manifest, catalog: &LocalCatalog) -> usize {
    let mut removed = 0;
    for kpi in &manifest.kpis {
        let live: BTreeSet<_> = catalog
            .table(&manifest.project.database, &kpi.name)
            .map(|t| {
                t.partitions
                    .values()
                    .map(|p| lake.path_of(&p.location))
                    .collect()
            })
            .unwrap_or_default();
        let root = lake.path_of(&kpi.attempts_location);
        for day_dir in std::fs::read_dir(&root).into_iter().flatten().flatten() {
            for attempt in std::fs::read_dir(day_dir.path())
                .into_iter()
                .flatten()
                .flatten()
            {
                let path = attempt.path();
                if path.is_dir() && !live.contains(&path) && std::fs::remove_dir_all(&path).is_ok()
                {
                    removed += 1;
                }
            }
        }
    }
    removed
}

#[allow(clippy::too_many_arguments)]
fn build_report(
    manifest: &Manifest,
    lake: &Lake,
    planned: &RunPlan,
    catalog: &LocalCatalog,
    queries: Vec<QueryRecord>,
    executions: Vec<super::report::ExecutionReport>,
    sources: Vec<SourceReport>,
    removed_attempts: usize,
    seconds: f64,
) -> Report {
    let database = &manifest.project.database;
    let mut kpis = Vec::new();
    let mut failures = Vec::new();
    let mut own_errors: BTreeMap<(&str, &str), &QueryRecord> = BTreeMap::new();
    // The KPI-days this run published, and query time per KPI: one pass over the queries.
    let mut published: BTreeSet<(&str, &str)> = BTreeSet::new();
    let mut ms: BTreeMap<&str, f64> = BTreeMap::new();
    for q in &queries {
        *ms.entry(q.kpi.as_str()).or_default() += q.duration_ms;
        if q.error.is_some() {
            own_errors
                .entry((q.kpi.as_str(), q.day.as_str()))
                .or_insert(q);
        } else if q.role == "publish" {
            published.insert((q.kpi.as_str(), q.day.as_str()));
        }
    }
    for kpi in &manifest.kpis {
        let Some(due) = planned.due.get(&kpi.name) else {
            continue;
        };
        let mut done = 0;
        let mut rows = 0;
        let mut failed = 0;
        for day in due {
            if published.contains(&(kpi.name.as_str(), day.as_str())) {
                done += 1;
                rows += catalog
                    .partition(database, &kpi.name, day)
                    .map_or(0, |p| p.rows);
                continue;
            }
            failed += 1;
            let (statement, error) = match own_errors.get(&(kpi.name.as_str(), day.as_str())) {
                Some(q) => (q.statement.clone(), q.error.clone().unwrap_or_default()),
                None => (
                    String::new(),
                    upstream_cause(manifest, planned, &published, &kpi.name, day),
                ),
            };
            failures.push(Failure {
                kpi: kpi.name.clone(),
                day: day.clone(),
                statement,
                error,
            });
        }
        let ms = ms.get(kpi.name.as_str()).copied().unwrap_or(0.0);
        kpis.push(KpiReport {
            kpi: kpi.name.clone(),
            level: kpi.level,
            days: due.len(),
            succeeded: done,
            failed,
            rows,
            seconds: ms / 1000.0,
        });
    }
    Report {
        project: manifest.project.project.clone(),
        lake: lake.root().to_string_lossy().to_string(),
        seconds,
        kpi_days: planned.kpi_days(),
        up_to_date: planned.up_to_date,
        removed_attempts,
        kpis,
        failures,
        sources,
        executions,
        queries,
    }
}

/// Why a KPI-day that never ran its own queries failed: the upstream KPI-day that failed.
fn upstream_cause(
    manifest: &Manifest,
    planned: &RunPlan,
    published: &BTreeSet<(&str, &str)>,
    kpi: &str,
    day: &str,
) -> String {
    let Some(k) = manifest.kpi(kpi) else {
        return "not run".into();
    };
    let n = day_number(day).unwrap_or(0);
    for read in k.reads.iter().filter(|r| r.target.kind == "kpi") {
        for d in read.window.days_for(n).map(day_text) {
            let was_due = planned
                .due
                .get(&read.target.name)
                .is_some_and(|s| s.contains(&d));
            if was_due && !published.contains(&(read.target.name.as_str(), d.as_str())) {
                return format!("upstream {} {d} failed", read.target.name);
            }
        }
    }
    "not run: the execution stopped before it".into()
}
