//! The AWS services the compiled state machine calls, bound to the local lake: the
//! interpreter runs the machine unchanged, and each Task resource it uses
//! ([`kpi_contract::aws::RESOURCES`]) is answered here as AWS would answer it.
//!
//! - `athena`: `startQueryExecution.sync` runs the DuckDB form of the statement the manifest
//!   gives for the state, KPI, chunk and attempt (recognised by matching the query text against
//!   the Athena template: a query that is not exactly a compiled one is refused);
//!   `getQueryResults` returns a check's rows.
//! - `glue`: `getTable`, `batchCreatePartition`, `batchUpdatePartition` and
//!   `batchGetPartition` over the local catalog, each batch one atomic replace of it.

mod athena;
mod glue;

use crate::engine::{self, Engine};
use crate::lake::{Lake, LocalCatalog};
use crate::reads::{FileRead, Rows};
use kpi_asl::{TaskContext, TaskError, TaskHandler};
use kpi_contract::manifest::{Kpi, Manifest, TaskBinding};
use kpi_contract::{Day, DayRange, aws};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::Instant;

/// One query or call the services answered, for the report.
#[derive(Debug, Clone, serde::Serialize)]
pub struct QueryRecord {
    pub id: String,
    pub kpi: String,
    /// The chunk the statement ran for (`None` for setup statements).
    pub days: Option<DayRange>,
    pub statement: String,
    /// `setup`, `write`, `check` or `publish` (a Glue batch that switches partitions).
    pub role: String,
    /// Milliseconds since the services started.
    pub start_ms: f64,
    pub duration_ms: f64,
    /// Rows written or checked; for `publish`, the partitions switched.
    pub rows: u64,
    /// The files the query read, as DuckDB recorded them, and the bytes it read from each.
    pub files_read: Vec<FileRead>,
    /// The files' whole sizes: what Athena would scan at most (before column pruning).
    pub file_bytes: u64,
    pub error: Option<String>,
    /// The SQL the engine ran (DuckDB's dialect, values filled in); `None` for setup
    /// statements, which only register a table, and for catalog writes.
    pub sql: Option<String>,
}

/// What happened to a KPI-day, as it happens.
#[derive(Debug, Clone)]
pub enum Event<'a> {
    Published { kpi: &'a str, day: Day },
    Failed { kpi: &'a str, day: Day },
}

/// What an attempt's write left for its publication: per day, the digest of the source files
/// the day reads.
#[derive(Debug, Clone, Default)]
struct Written {
    inputs: BTreeMap<Day, String>,
}

pub struct LocalAws<'a> {
    manifest: &'a Manifest,
    lake: &'a Lake,
    engine: Mutex<Engine>,
    /// Connections for the queries that run at once: one per Map worker.
    workers: Vec<Mutex<duckdb::Connection>>,
    sql_lake: kpi_contract::sql::Lake,
    catalog: Mutex<LocalCatalog>,
    bindings: HashMap<&'a str, &'a TaskBinding>,
    started: Instant,
    queries: Mutex<Vec<QueryRecord>>,
    issued: std::sync::atomic::AtomicUsize,
    /// Results of check queries, by query id, until `getQueryResults` reads them.
    results: Mutex<HashMap<String, Rows>>,
    /// What each (KPI, attempt) wrote, until it is published.
    written: Mutex<BTreeMap<(String, String), Written>>,
    /// Why a KPI-day failed, as the services saw it (a check, a query, a Glue entry).
    failures: Mutex<BTreeMap<(String, Day), String>>,
    /// KPIs whose view lags behind the catalog: refreshed when a query reads them.
    stale_views: Mutex<std::collections::BTreeSet<String>>,
    /// Which source files are whole, shared with the planner.
    health: &'a crate::health::Health,
    on_event: &'a (dyn Fn(Event<'_>) + Sync),
    /// Held (shared) by every query whose reads are taken from the engine's log, from before
    /// it runs until its reads are read; held alone to empty the log.
    read_log: std::sync::RwLock<()>,
    /// Queries logged since the log was last emptied.
    logged: std::sync::atomic::AtomicUsize,
}

/// Queries after which the read log is emptied, once none is in flight: finding a query's
/// reads scans the whole log, so a log that only grows makes a run's cost quadratic in its
/// queries.
const READ_LOG_QUERIES: usize = 64;

impl std::fmt::Debug for LocalAws<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalAws").finish_non_exhaustive()
    }
}

/// An error as the AWS SDK integration raises it: `<Service>.<Exception>`.
fn service_error(service: &str, exception: &str, message: impl Into<String>) -> TaskError {
    TaskError {
        error: format!("{service}.{exception}"),
        cause: message.into(),
    }
}

impl<'a> LocalAws<'a> {
    pub fn new(
        manifest: &'a Manifest,
        lake: &'a Lake,
        engine: Engine,
        catalog: LocalCatalog,
        workers: usize,
        health: &'a crate::health::Health,
        on_event: &'a (dyn Fn(Event<'_>) + Sync),
    ) -> Result<LocalAws<'a>, engine::EngineError> {
        for kpi in &manifest.kpis {
            engine.refresh_kpi_view(lake, kpi, &catalog)?;
        }
        crate::reads::enable(engine.connection())?;
        let pool = (0..workers.max(1))
            .map(|_| engine.connect().map(Mutex::new))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(LocalAws {
            manifest,
            lake,
            sql_lake: lake.sql_root().map_err(|e| engine::EngineError(e.0))?,
            workers: pool,
            engine: Mutex::new(engine),
            catalog: Mutex::new(catalog),
            bindings: manifest
                .states
                .iter()
                .map(|b| (b.state.as_str(), b))
                .collect(),
            started: Instant::now(),
            queries: Mutex::new(Vec::new()),
            issued: std::sync::atomic::AtomicUsize::new(0),
            results: Mutex::new(HashMap::new()),
            written: Mutex::new(BTreeMap::new()),
            failures: Mutex::new(BTreeMap::new()),
            stale_views: Mutex::new(std::collections::BTreeSet::new()),
            health,
            on_event,
            read_log: std::sync::RwLock::new(()),
            logged: std::sync::atomic::AtomicUsize::new(0),
        })
    }

    /// Runs a query whose reads come from the engine's log (`reads::execute`, `reads::query`)
    /// on a free worker connection, then empties the log every [`READ_LOG_QUERIES`] queries:
    /// when none is in flight, or, past twice as many, waiting for those in flight.
    fn with_logged_connection<R>(
        &self,
        f: impl FnOnce(&duckdb::Connection) -> R,
    ) -> Result<R, String> {
        use std::sync::atomic::Ordering;
        let result = {
            let _reading = self
                .read_log
                .read()
                .map_err(|_| "the read log is poisoned")?;
            self.with_connection(f)?
        };
        let logged = self.logged.fetch_add(1, Ordering::Relaxed) + 1;
        if logged >= READ_LOG_QUERIES {
            let alone = match self.read_log.try_write() {
                Ok(guard) => Some(guard),
                Err(_) if logged >= 2 * READ_LOG_QUERIES => self.read_log.write().ok(),
                Err(_) => None,
            };
            if let Some(_alone) = alone {
                self.logged.store(0, Ordering::Relaxed);
                self.clear_read_log();
            }
        }
        Ok(result)
    }

    pub fn queries(&self) -> Vec<QueryRecord> {
        self.queries.lock().map(|q| q.clone()).unwrap_or_default()
    }

    pub fn catalog(&self) -> LocalCatalog {
        self.catalog.lock().map(|c| c.clone()).unwrap_or_default()
    }

    /// Why each KPI-day the services saw fail failed.
    pub fn failures(&self) -> BTreeMap<(String, Day), String> {
        self.failures.lock().map(|f| f.clone()).unwrap_or_default()
    }

    /// Forgets the engine's read log between executions (no query runs then).
    pub fn clear_read_log(&self) {
        if let Ok(engine) = self.engine.lock() {
            let _ = crate::reads::clear(engine.connection());
        }
    }

    /// Runs `f` on a free worker connection (waiting for one when all are busy).
    fn with_connection<R>(&self, f: impl FnOnce(&duckdb::Connection) -> R) -> Result<R, String> {
        for conn in &self.workers {
            if let Ok(conn) = conn.try_lock() {
                return Ok(f(&conn));
            }
        }
        let conn = self.workers[0]
            .lock()
            .map_err(|_| "the engine is poisoned")?;
        Ok(f(&conn))
    }

    fn next_id(&self) -> String {
        let n = self
            .issued
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
            + 1;
        format!("local-{n:06}")
    }

    fn record(&self, record: QueryRecord) {
        if let Ok(mut q) = self.queries.lock() {
            q.push(record);
        }
    }

    fn fail_days(&self, kpi: &Kpi, days: impl IntoIterator<Item = Day>, why: &str) {
        for day in days {
            if let Ok(mut f) = self.failures.lock() {
                f.entry((kpi.name.clone(), day))
                    .or_insert_with(|| why.to_string());
            }
            (self.on_event)(Event::Failed {
                kpi: &kpi.name,
                day,
            });
        }
    }

    fn kpi_of_table(&self, database: &str, table: &str) -> Option<&'a Kpi> {
        if database != self.manifest.project.database {
            return None;
        }
        self.manifest.kpi(table)
    }

    fn elapsed_ms(&self, at: Instant) -> f64 {
        at.duration_since(self.started).as_secs_f64() * 1000.0
    }

    /// When the services started: the zero of every record's `start_ms`.
    pub fn started(&self) -> Instant {
        self.started
    }

    /// Saves the catalog (atomically).
    fn save(&self, catalog: &LocalCatalog) -> Result<(), String> {
        self.lake.write_catalog(catalog).map_err(|e| e.0)
    }
}

/// The state machine a build deploys, as deploying makes it: the top-level definition with
/// the manifest's substitutions, and every child it starts (`startExecution.sync:2`) found by
/// the ARN the substitutions give it. `read` gives a file of the build by its relative path.
pub fn deployed_machine(
    manifest: &Manifest,
    top_file: &str,
    read: impl Fn(&str) -> Option<String>,
) -> Result<kpi_asl::StateMachine, String> {
    let parse = |file: &str| {
        let text = read(file).ok_or_else(|| format!("the build has no {file}"))?;
        kpi_asl::parse_definition_text(&manifest.substitute(&text))
            .map_err(|e| format!("the built state machine {file} does not parse: {e}"))
    };
    let mut children = HashMap::new();
    for (arn, machine) in manifest.children() {
        children.insert(arn.to_string(), parse(&machine.file)?);
    }
    Ok(parse(top_file)?.with_children(children))
}

impl TaskHandler for LocalAws<'_> {
    fn handles(&self, resource: &str) -> bool {
        aws::RESOURCES.contains(&resource)
    }

    fn call(
        &self,
        resource: &str,
        parameters: &Value,
        context: &TaskContext,
    ) -> Result<Value, TaskError> {
        match resource {
            aws::ATHENA_START_QUERY_SYNC => self.start_query(parameters, context),
            aws::ATHENA_GET_QUERY_RESULTS => self.query_results(parameters),
            aws::GLUE_GET_TABLE => self.get_table(parameters),
            aws::GLUE_BATCH_CREATE_PARTITION => self.batch_create_partition(parameters),
            aws::GLUE_BATCH_UPDATE_PARTITION => self.batch_update_partition(parameters),
            aws::GLUE_BATCH_GET_PARTITION => self.batch_get_partition(parameters),
            other => Err(TaskError {
                error: "States.Runtime".into(),
                cause: format!(
                    "unsupported resource {other}: locally, Task states run only {}",
                    aws::RESOURCES.join(", ")
                ),
            }),
        }
    }
}
