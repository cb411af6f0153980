//! A local run: lock the lake, work out what is due, run the compiled state machine with its
//! AWS services bound to the local engine once per planned execution, and report.

use crate::cost::Estimate;
use crate::engine::Engine;
use crate::health::Health;
use crate::inputs;
use crate::lake::{Lake, LocalCatalog};
use crate::plan::{RunPlan, chunks, plan, select};
use crate::report::{ExecutionReport, Failure, KpiReport, Report};
use crate::store::LakeStore;
use crate::tasks::{Event, LocalAws, QueryRecord};
use kpi_asl::{self as asl, Options, RealClock, StateMachine, Status};
use kpi_contract::manifest::{Manifest, Target};
use kpi_contract::{Day, DayRange};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Mutex;
use std::time::Instant;

#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// The days to compute.
    pub days: Vec<Day>,
    /// The KPIs asked for (`name`, or `name+` with what reads it); empty for all. Upstream
    /// KPIs come along.
    pub kpis: Vec<String>,
    pub force: bool,
    /// Wait for another run holding the lake instead of refusing.
    pub wait: bool,
    /// How the run describes itself in the lock file.
    pub command: String,
    /// KPI chunks run at once (at most the state machine's MaxConcurrency); 0 or 1: one at a
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
    /// The plan: its KPI-days in all, in how many executions, and per DAG level.
    Planned {
        kpi_days: usize,
        executions: usize,
        per_level: BTreeMap<usize, usize>,
    },
    Published {
        kpi: &'a str,
        day: Day,
    },
    Failed {
        kpi: &'a str,
        day: Day,
    },
}

fn validate(manifest: &Manifest, options: &RunOptions) -> Result<BTreeSet<String>, RunError> {
    for d in &options.days {
        if *d < manifest.project.history_start {
            return Err(RunError(format!(
                "day {d} is before the project's history_start {}",
                manifest.project.history_start
            )));
        }
    }
    select(manifest, &options.kpis).map_err(RunError)
}

pub fn run(
    machine: &StateMachine,
    manifest: &Manifest,
    lake_dir: &Path,
    options: &RunOptions,
    progress: &(dyn Fn(Progress<'_>) + Sync),
) -> Result<Report, RunError> {
    let started = Instant::now();
    let selected = validate(manifest, options)?;
    let lake = Lake::open(lake_dir).map_err(|e| RunError(e.0))?;
    let _lock = lake
        .lock(&options.command, options.wait)
        .map_err(|e| RunError(e.0))?;
    let catalog = lake.read_catalog().map_err(|e| RunError(e.0))?;
    let removed = remove_orphan_attempts(&lake, manifest, &catalog);
    let store = LakeStore {
        manifest,
        catalog: &catalog,
        lake: Some(&lake),
    };
    let mut planned = plan(manifest, &store, &options.days, &selected, options.force);
    let engine = Engine::open(&lake, manifest).map_err(|e| RunError(e.0))?;
    // A damaged source file fails exactly the KPI-days whose windows read it (and what reads
    // them) before anything runs; the rest of their chunks runs without them.
    let health = Health::default();
    let damaged_inputs = planned.leave_out(manifest, |kpi, day| {
        let files = inputs::source_files(&lake, manifest, kpi, DayRange::one(day));
        health.first_damaged(&engine, &files)
    });
    let mut per_level = BTreeMap::new();
    for (kpi, days) in &planned.due {
        let level = manifest.kpi(kpi).map_or(0, |k| k.level);
        *per_level.entry(level).or_insert(0) += days.len();
    }
    progress(Progress::Planned {
        kpi_days: planned.kpi_days(),
        executions: planned.executions.len(),
        per_level,
    });
    let published: Mutex<BTreeSet<(String, Day)>> = Mutex::new(BTreeSet::new());
    let on_event = |e: Event<'_>| match e {
        Event::Published { kpi, day } => {
            if let Ok(mut p) = published.lock() {
                p.insert((kpi.to_string(), day));
            }
            progress(Progress::Published { kpi, day });
        }
        Event::Failed { kpi, day } => progress(Progress::Failed { kpi, day }),
    };
    let workers = options.concurrency.max(1);
    let aws = LocalAws::new(
        manifest, &lake, engine, catalog, workers, &health, &on_event,
    )
    .map_err(|e| RunError(e.0))?;
    let clock = RealClock;
    let jsonata = kpi_asl::jsonata::Engine;
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ").to_string();
    let mut executions = Vec::new();
    for (i, planned_execution) in planned.executions.iter().enumerate() {
        let name = format!("kpi-run-{stamp}-{}", i + 1);
        let began = Instant::now();
        let exec = asl::execute(
            machine,
            planned_execution.input(),
            &Options {
                tasks: Some(&aws),
                jsonata: Some(&jsonata),
                execution_name: &name,
                state_machine_name: &manifest.project.project,
                map_workers: workers,
                ..Options::new(&clock)
            },
        );
        let ended = Instant::now();
        aws.clear_read_log();
        executions.push(ExecutionReport {
            name,
            start_ms: began.duration_since(started).as_secs_f64() * 1000.0,
            duration_ms: ended.duration_since(began).as_secs_f64() * 1000.0,
            input: planned_execution.input(),
            status: match exec.status {
                Status::Succeeded => "SUCCEEDED".into(),
                Status::Failed => "FAILED".into(),
            },
            error: exec.error.clone(),
            cause: exec.cause.clone(),
        });
    }
    let published = published.lock().map(|p| p.clone()).unwrap_or_default();
    let mut report = build_report(
        manifest,
        &lake,
        &planned,
        &aws,
        &published,
        executions,
        removed,
        started.elapsed().as_secs_f64(),
    );
    report.queries_started_ms = aws.started().duration_since(started).as_secs_f64() * 1000.0;
    report.add_failures_before_run(manifest, damaged_inputs);
    report.sources = health.report(manifest);
    drop(aws);
    lake.record_failures(
        published.iter().map(|(kpi, day)| (kpi.as_str(), *day)),
        report
            .failures
            .iter()
            .map(|f| (f.kpi.as_str(), f.day, f.error.as_str())),
    )
    .map_err(|e| RunError(format!("the KPI-days are published, but {}", e.0)))?;
    publish_for_readers(&lake, manifest)?;
    Ok(report)
}

/// Rewrites `<lake>/kpi.duckdb` from the catalog as the run left it, still under the lock.
fn publish_for_readers(lake: &Lake, manifest: &Manifest) -> Result<(), RunError> {
    let catalog = lake.read_catalog().map_err(|e| RunError(e.0))?;
    crate::readers::write_readers_database(lake, manifest, &catalog)
        .map(|_| ())
        .map_err(|e| RunError(format!("the KPI-days are published, but {}", e.0)))
}

/// Runs `f` with the AWS services bound to the local engine over the lake, holding the lake's
/// lock. For running a built state machine by hand.
pub fn with_local_aws<R>(
    manifest: &Manifest,
    lake_dir: &Path,
    command: &str,
    f: impl FnOnce(&LocalAws<'_>) -> R,
) -> Result<R, RunError> {
    let lake = Lake::open(lake_dir).map_err(|e| RunError(e.0))?;
    let _lock = lake.lock(command, false).map_err(|e| RunError(e.0))?;
    let catalog = lake.read_catalog().map_err(|e| RunError(e.0))?;
    let engine = Engine::open(&lake, manifest).map_err(|e| RunError(e.0))?;
    let health = Health::default();
    let aws = LocalAws::new(manifest, &lake, engine, catalog, 1, &health, &|_| {})
        .map_err(|e| RunError(e.0))?;
    let result = f(&aws);
    drop(aws);
    publish_for_readers(&lake, manifest)?;
    Ok(result)
}

/// What a run would do, without doing it: the plan and its Athena estimate.
#[derive(Debug, Clone)]
pub struct DryRun {
    pub plan: RunPlan,
    /// Per KPI: its chunks and their estimate.
    pub kpis: Vec<(String, usize, Estimate)>,
}

impl DryRun {
    pub fn total(&self) -> Estimate {
        self.kpis.iter().map(|(_, _, e)| *e).sum()
    }

    /// What `--format json` prints: the KPI-days due (per KPI, with its chunks and Athena
    /// estimate), the executions, what waits, and the total estimate.
    pub fn to_json(&self) -> String {
        let kpis: Vec<serde_json::Value> = self
            .kpis
            .iter()
            .map(|(kpi, chunks, estimate)| {
                serde_json::json!({
                    "kpi": kpi,
                    "days": self.plan.due.get(kpi).map_or(0, BTreeSet::len),
                    "chunks": chunks,
                    "estimate": estimate,
                })
            })
            .collect();
        let executions: Vec<serde_json::Value> =
            self.plan.executions.iter().map(|e| e.input()).collect();
        let out = serde_json::json!({
            "kpi_days": self.plan.kpi_days(),
            "up_to_date": self.plan.up_to_date,
            "waiting": self.plan.waiting,
            "executions": executions,
            "kpis": kpis,
            "estimate": self.total(),
        });
        serde_json::to_string_pretty(&out).unwrap_or_default()
    }
}

pub fn dry_run(
    manifest: &Manifest,
    lake_dir: &Path,
    options: &RunOptions,
) -> Result<DryRun, RunError> {
    let selected = validate(manifest, options)?;
    let lake = Lake::open(lake_dir).map_err(|e| RunError(e.0))?;
    let catalog = lake.read_catalog().map_err(|e| RunError(e.0))?;
    let store = LakeStore {
        manifest,
        catalog: &catalog,
        lake: Some(&lake),
    };
    let planned = plan(manifest, &store, &options.days, &selected, options.force);
    let mut kpis = Vec::new();
    for kpi in &manifest.kpis {
        let mut estimate = Estimate::default();
        let mut count = 0;
        for execution in planned
            .executions
            .iter()
            .filter(|e| e.kpis.contains(&kpi.name))
        {
            let Some(due) = planned.due.get(&kpi.name) else {
                continue;
            };
            let days: Vec<Day> = execution
                .days
                .iter()
                .copied()
                .filter(|d| due.contains(d))
                .collect();
            for chunk in chunks(&days, manifest.project.chunk_days) {
                count += 1;
                estimate = estimate
                    + Estimate::query(reach_bytes(&lake, manifest, &catalog, kpi, chunk))
                    + Estimate::query(0);
            }
        }
        if count > 0 {
            kpis.push((kpi.name.clone(), count, estimate));
        }
    }
    Ok(DryRun {
        plan: planned,
        kpis,
    })
}

/// The lake's files as they are now, for sizing the chunks of a backfill that has not been
/// planned by a run (`kpi diff`): what each chunk's write would read.
#[derive(Debug)]
pub struct LakeSizes {
    lake: Lake,
    catalog: LocalCatalog,
}

impl LakeSizes {
    pub fn open(lake_dir: &Path) -> Result<LakeSizes, RunError> {
        let lake = Lake::open(lake_dir).map_err(|e| RunError(e.0))?;
        let catalog = lake.read_catalog().map_err(|e| RunError(e.0))?;
        Ok(LakeSizes { lake, catalog })
    }

    /// The bytes one chunk of the KPI `kpi` reads (its source files and the published files
    /// of the upstream KPI-days), or `None` when the manifest has no such KPI.
    pub fn chunk_bytes(&self, manifest: &Manifest, kpi: &str, chunk: DayRange) -> Option<u64> {
        let kpi = manifest.kpi(kpi)?;
        Some(reach_bytes(&self.lake, manifest, &self.catalog, kpi, chunk))
    }

    /// What one chunk costs on Athena, as `dry_run` prices it: its write over `bytes` and
    /// its check (which pays the minimum).
    pub fn chunk_estimate(bytes: u64) -> Estimate {
        Estimate::query(bytes) + Estimate::query(0)
    }
}

/// The bytes of every file a chunk's write reads: its source files and the published files
/// of the upstream KPI-days (as they are now).
fn reach_bytes(
    lake: &Lake,
    manifest: &Manifest,
    catalog: &LocalCatalog,
    kpi: &kpi_contract::manifest::Kpi,
    chunk: DayRange,
) -> u64 {
    let mut bytes: u64 = inputs::source_files(lake, manifest, kpi, chunk)
        .iter()
        .filter_map(|(_, f)| f.metadata().ok())
        .map(|m| m.len())
        .sum();
    for read in &kpi.reads {
        if let (Target::Kpi(u), Some(reach)) = (&read.target, read.window.of_range(chunk)) {
            for d in reach.days() {
                if let Some(p) = catalog.partition(&manifest.project.database, u, d) {
                    bytes += p.files.iter().map(|f| f.size).sum::<u64>();
                }
            }
        }
    }
    bytes
}

/// Attempt prefixes no partition points at: what killed or failed runs left behind. Nobody
/// can read them (only the catalog makes an attempt visible), so they go.
fn remove_orphan_attempts(lake: &Lake, manifest: &Manifest, catalog: &LocalCatalog) -> usize {
    let mut removed = 0;
    let live: BTreeSet<std::path::PathBuf> = catalog
        .published()
        .into_iter()
        .filter_map(|l| lake.path_of(l).ok())
        .collect();
    for kpi in &manifest.kpis {
        let Ok(root) = lake.path_of(&kpi.attempts_location) else {
            continue;
        };
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
    aws: &LocalAws<'_>,
    published: &BTreeSet<(String, Day)>,
    executions: Vec<ExecutionReport>,
    removed_attempts: usize,
    seconds: f64,
) -> Report {
    let database = &manifest.project.database;
    let catalog = aws.catalog();
    let queries = aws.queries();
    let reasons = aws.failures();
    let mut by_kpi: BTreeMap<&str, Vec<&QueryRecord>> = BTreeMap::new();
    for q in &queries {
        by_kpi.entry(q.kpi.as_str()).or_default().push(q);
    }
    let mut kpis = Vec::new();
    let mut failures = Vec::new();
    for kpi in &manifest.kpis {
        let Some(due) = planned.due.get(&kpi.name) else {
            continue;
        };
        let mut report = KpiReport {
            kpi: kpi.name.clone(),
            level: kpi.level,
            days: due.len(),
            ..KpiReport::default()
        };
        for &day in due {
            if published.contains(&(kpi.name.clone(), day)) {
                report.succeeded += 1;
                if let Some(p) = catalog.partition(database, &kpi.name, day) {
                    report.rows += p.rows;
                    report.partial += usize::from(p.partial);
                }
                continue;
            }
            report.failed += 1;
            let error = reasons
                .get(&(kpi.name.clone(), day))
                .cloned()
                .unwrap_or_else(|| upstream_cause(manifest, planned, published, &kpi.name, day));
            failures.push(Failure {
                kpi: kpi.name.clone(),
                day,
                error,
            });
        }
        for q in by_kpi.get(kpi.name.as_str()).into_iter().flatten() {
            if q.role == "publish" {
                continue;
            }
            report.seconds += q.duration_ms / 1000.0;
            if q.role == "write" || q.role == "check" {
                report.files_read += q.files_read.len();
                report.bytes_read += q.files_read.iter().map(|f| f.bytes).sum::<u64>();
                if q.error.is_none() {
                    report.estimate = report.estimate + Estimate::query(q.file_bytes);
                }
            }
        }
        kpis.push(report);
    }
    Report {
        project: manifest.project.project.clone(),
        lake: lake.root().to_string_lossy().to_string(),
        seconds,
        kpi_days: planned.kpi_days(),
        up_to_date: planned.up_to_date,
        removed_attempts,
        waiting: planned.waiting.clone(),
        damaged: planned
            .damaged
            .iter()
            .map(|(k, d, why)| Failure {
                kpi: k.clone(),
                day: *d,
                error: why.clone(),
            })
            .collect(),
        kpis,
        failures,
        sources: Vec::new(),
        executions,
        queries,
        queries_started_ms: 0.0,
    }
}

/// Why a KPI-day that never ran its own queries failed: the upstream KPI-day that failed.
fn upstream_cause(
    manifest: &Manifest,
    planned: &RunPlan,
    published: &BTreeSet<(String, Day)>,
    kpi: &str,
    day: Day,
) -> String {
    let Some(k) = manifest.kpi(kpi) else {
        return "not run".into();
    };
    for read in &k.reads {
        let (Target::Kpi(u), Some(reach)) = (&read.target, read.window.of_day(day)) else {
            continue;
        };
        for d in reach.days() {
            let was_due = planned.due.get(u).is_some_and(|s| s.contains(&d));
            if was_due && !published.contains(&(u.clone(), d)) {
                return format!("upstream {u} {d} failed");
            }
        }
    }
    "not run: the execution stopped before it".into()
}
