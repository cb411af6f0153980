//! The Athena integration bound to the local engine: the interpreter runs the compiled state
//! machine unchanged, and each `athena:startQueryExecution.sync` Task runs the DuckDB form of
//! the statement the manifest gives for that state, KPI, day and attempt.

use super::engine::{self, Engine};
use super::lake::{Lake, LocalCatalog, LocalPartition};
use super::manifest::{self, Binding, Kpi, Local, Manifest, Values};
use kpi_asl::{TaskContext, TaskError, TaskHandler};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Instant;

pub const ATHENA_SYNC: &str = "arn:aws:states:::athena:startQueryExecution.sync";

/// One query the engine ran, for the report.
#[derive(Debug, Clone, serde::Serialize)]
pub struct QueryRecord {
    pub id: String,
    pub kpi: String,
    pub day: String,
    pub statement: String,
    /// `setup`, `write`, `check` or `publish`.
    pub role: String,
    /// Milliseconds since the run started.
    pub start_ms: f64,
    pub duration_ms: f64,
    pub rows: u64,
    pub error: Option<String>,
}

/// What an attempt wrote: its rows, and the digest of the source files it read.
#[derive(Debug, Clone, Default)]
struct Written {
    rows: u64,
    inputs: Option<String>,
}

/// A source file read by the run: its source, and its malformed lines or why it is unreadable.
type CheckedFile = (String, Result<u64, String>);

/// What happened to a KPI-day, as it happens.
#[derive(Debug, Clone)]
pub enum Event<'a> {
    Published { kpi: &'a str, day: &'a str },
    Failed { kpi: &'a str, day: &'a str },
}

pub struct LocalAthena<'a> {
    manifest: &'a Manifest,
    lake: &'a Lake,
    engine: Mutex<Engine>,
    /// Connections for the queries of KPI-days that run at once: one per Map worker.
    workers: Vec<Mutex<duckdb::Connection>>,
    lake_text: String,
    catalog: Mutex<LocalCatalog>,
    bindings: HashMap<&'a str, &'a Binding>,
    started: Instant,
    queries: Mutex<Vec<QueryRecord>>,
    /// Query ids handed out so far.
    issued: std::sync::atomic::AtomicUsize,
    /// What each (KPI, day, attempt) wrote, until the attempt is published.
    written: Mutex<BTreeMap<(String, String, String), Written>>,
    /// When the catalog was last saved, and whether it has changed since.
    saved: Mutex<(Instant, bool)>,
    /// Source files read so far → the malformed lines they hold, or why they are unreadable.
    checked_files: Mutex<BTreeMap<std::path::PathBuf, CheckedFile>>,
    /// Source name → `json` or `parquet`.
    formats: BTreeMap<String, &'static str>,
    /// KPIs whose view lags behind the catalog: refreshed when a query reads them.
    stale_views: Mutex<std::collections::BTreeSet<String>>,
    on_event: &'a (dyn Fn(Event<'_>) + Sync),
}

impl std::fmt::Debug for LocalAthena<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalAthena").finish_non_exhaustive()
    }
}

fn failure(id: &str, reason: &str) -> TaskError {
    let cause = json!({"QueryExecution": {"QueryExecutionId": id,
        "Status": {"State": "FAILED", "StateChangeReason": reason}}});
    TaskError {
        error: "Athena.AmazonAthenaException".into(),
        cause: cause.to_string(),
    }
}

impl<'a> LocalAthena<'a> {
    pub fn new(
        manifest: &'a Manifest,
        lake: &'a Lake,
        engine: Engine,
        catalog: LocalCatalog,
        workers: usize,
        on_event: &'a (dyn Fn(Event<'_>) + Sync),
    ) -> Result<LocalAthena<'a>, engine::EngineError> {
        for kpi in &manifest.kpis {
            engine.refresh_kpi_view(lake, kpi, &catalog)?;
        }
        let pool = (0..workers.max(1))
            .map(|_| engine.connect().map(Mutex::new))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(LocalAthena {
            manifest,
            lake,
            lake_text: engine.lake_text().to_string(),
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
            written: Mutex::new(BTreeMap::new()),
            saved: Mutex::new((Instant::now(), false)),
            stale_views: Mutex::new(std::collections::BTreeSet::new()),
            checked_files: Mutex::new(BTreeMap::new()),
            formats: manifest
                .sources
                .iter()
                .map(|s| {
                    let format = match engine::file_format(s) {
                        Ok(engine::FileFormat::Json) => "json",
                        Ok(engine::FileFormat::Parquet) => "parquet",
                        Err(_) => "other",
                    };
                    (s.name.clone(), format)
                })
                .collect(),
            on_event,
        })
    }

    pub fn queries(&self) -> Vec<QueryRecord> {
        self.queries.lock().map(|q| q.clone()).unwrap_or_default()
    }

    pub fn catalog(&self) -> LocalCatalog {
        self.catalog.lock().map(|c| c.clone()).unwrap_or_default()
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

    /// The source files a KPI-day reads must be whole: DuckDB skips JSON it cannot parse, but
    /// a truncated or damaged file must fail the KPI-day, naming the file, as it fails the
    /// query on Athena. Each file is checked once per run (JSON lines decompressed whole, their
    /// malformed lines counted on the way; Parquet by its footer).
    fn check_inputs(
        &self,
        engine: &Engine,
        files: &[(&manifest::Source, PathBuf)],
    ) -> Result<(), String> {
        for (source, file) in files {
            let Ok(format) = engine::file_format(source) else {
                continue;
            };
            let mut checked = self.checked_files.lock().map_err(|_| "poisoned")?;
            let (_, outcome) = checked.entry(file.clone()).or_insert_with(|| {
                let outcome = match format {
                    engine::FileFormat::Json => match engine.known_malformed(file) {
                        Some(n) => Ok(n),
                        None => engine::malformed_lines(file),
                    },
                    engine::FileFormat::Parquet => {
                        engine::probe_file(engine, source, file).map(|()| 0)
                    }
                };
                (source.name.clone(), outcome.map_err(|e| e.0))
            });
            if let Err(e) = outcome {
                return Err(e.clone());
            }
        }
        Ok(())
    }

    /// Per source: the files this run read, their malformed lines, the unreadable ones.
    pub fn source_report(&self) -> Vec<super::report::SourceReport> {
        let mut out: BTreeMap<String, super::report::SourceReport> = BTreeMap::new();
        if let Ok(checked) = self.checked_files.lock() {
            for (source, outcome) in checked.values() {
                let entry =
                    out.entry(source.clone())
                        .or_insert_with(|| super::report::SourceReport {
                            source: source.clone(),
                            format: self.formats.get(source).copied().unwrap_or("other").into(),
                            files: 0,
                            malformed_lines: 0,
                            unreadable: Vec::new(),
                        });
                entry.files += 1;
                match outcome {
                    Ok(n) => entry.malformed_lines += n,
                    Err(e) => entry.unreadable.push(e.clone()),
                }
            }
        }
        out.into_values().collect()
    }

    /// Brings the views of the KPIs that `kpi` reads up to date with the catalog.
    fn refresh_views(&self, engine: &Engine, kpi: &Kpi) -> Result<(), String> {
        let mut stale = self
            .stale_views
            .lock()
            .map_err(|_| "the catalog is poisoned")?;
        let catalog = self.catalog.lock().map_err(|_| "the catalog is poisoned")?;
        for read in kpi.reads.iter().filter(|r| r.target.kind == "kpi") {
            if stale.remove(&read.target.name)
                && let Some(upstream) = self.manifest.kpi(&read.target.name)
            {
                engine
                    .refresh_kpi_view(self.lake, upstream, &catalog)
                    .map_err(|e| e.0)?;
            }
        }
        Ok(())
    }

    /// Saves the catalog when it changed and the last save is older than a second (or now,
    /// with `now`). A partition switched but not yet saved is merely computed again by the
    /// next run if this one is killed: the saved catalog is always a consistent state.
    fn save(&self, catalog: &LocalCatalog, now: bool) -> Result<(), String> {
        let mut saved = self.saved.lock().map_err(|_| "the catalog is poisoned")?;
        saved.1 = true;
        if now || saved.0.elapsed().as_millis() >= 1000 {
            self.lake.write_catalog(catalog).map_err(|e| e.0)?;
            *saved = (Instant::now(), false);
        }
        Ok(())
    }

    /// Saves the catalog if it changed since the last save.
    pub fn flush(&self) -> Result<(), String> {
        let dirty = self.saved.lock().map(|s| s.1).unwrap_or(true);
        if dirty {
            let catalog = self.catalog();
            self.save(&catalog, true)?;
        }
        Ok(())
    }

    /// The KPI, day and attempt whose statement renders to exactly `query`.
    fn identify(
        &self,
        binding: &Binding,
        query: &str,
    ) -> Option<(&'a Kpi, Option<String>, Option<String>)> {
        binding.kpis.iter().find_map(|name| {
            let kpi = self.manifest.kpi(name)?;
            let statement = kpi.statement(&binding.statement)?;
            let (day, attempt) = manifest::match_text(&statement.athena, query)?;
            Some((kpi, day, attempt))
        })
    }

    fn record(&self, record: QueryRecord) {
        if let Ok(mut q) = self.queries.lock() {
            q.push(record);
        }
    }

    fn next_id(&self) -> String {
        let n = self
            .issued
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
            + 1;
        format!("local-{n:06}")
    }

    /// Runs the statement; the rows it wrote.
    fn execute(
        &self,
        kpi: &Kpi,
        statement: &manifest::Statement,
        day: &str,
        attempt: &str,
    ) -> Result<u64, String> {
        let location = format!("{}dt={day}/attempt={attempt}/", kpi.attempts_location);
        if let Local::Sql { sql } = &statement.local {
            let values = Values {
                day,
                attempt,
                lake: &self.lake_text,
            };
            let text = manifest::render(sql, &values);
            {
                let engine = self.engine.lock().map_err(|_| "the engine is poisoned")?;
                self.refresh_views(&engine, kpi)?;
                if statement.role == "write" {
                    let files = source_files(self.lake, self.manifest, kpi, day);
                    self.check_inputs(&engine, &files)?;
                    if let Ok(mut written) = self.written.lock() {
                        written.insert(
                            (kpi.name.clone(), day.into(), attempt.into()),
                            Written {
                                rows: 0,
                                inputs: digest(self.lake, &files),
                            },
                        );
                    }
                }
            }
            if statement.role == "write" {
                let dir = self.lake.path_of(&location);
                // A fresh prefix: what an earlier try of this attempt left goes first.
                let _ = std::fs::remove_dir_all(&dir);
                std::fs::create_dir_all(&dir)
                    .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            }
            let rows = self
                .with_connection(|conn| engine::run_on(conn, &text))?
                .map_err(|e| e.0)?;
            if statement.role == "write"
                && let Ok(mut written) = self.written.lock()
                && let Some(w) = written.get_mut(&(kpi.name.clone(), day.into(), attempt.into()))
            {
                w.rows = rows;
            }
            return Ok(rows);
        }
        let engine = self.engine.lock().map_err(|_| "the engine is poisoned")?;
        match &statement.local {
            Local::Sql { .. } => Ok(0),
            Local::CreateTable => {
                let mut catalog = self.catalog.lock().map_err(|_| "the catalog is poisoned")?;
                if statement.name.contains("attempts") {
                    return Ok(0);
                }
                catalog.create_table(&self.manifest.project.database, &kpi.name, &kpi.fingerprint);
                self.lake.write_catalog(&catalog).map_err(|e| e.0)?;
                engine
                    .refresh_kpi_view(self.lake, kpi, &catalog)
                    .map_err(|e| e.0)?;
                Ok(0)
            }
            Local::SwitchPartition => {
                let written = self
                    .written
                    .lock()
                    .ok()
                    .and_then(|w| {
                        w.get(&(kpi.name.clone(), day.into(), attempt.into()))
                            .cloned()
                    })
                    .unwrap_or_default();
                let mut catalog = self.catalog.lock().map_err(|_| "the catalog is poisoned")?;
                let changed = catalog.switch(
                    &self.manifest.project.database,
                    &kpi.name,
                    day,
                    LocalPartition {
                        location,
                        fingerprint: kpi.fingerprint.clone(),
                        sequence: 0,
                        rows: written.rows,
                        inputs: written.inputs,
                    },
                );
                if changed {
                    self.save(&catalog, false)?;
                    if let Ok(mut stale) = self.stale_views.lock() {
                        stale.insert(kpi.name.clone());
                    }
                }
                (self.on_event)(Event::Published {
                    kpi: &kpi.name,
                    day,
                });
                Ok(written.rows)
            }
        }
    }
}

/// The directories of a source that a read covers for day number `day`.
fn source_dirs(
    lake: &Lake,
    source: &manifest::Source,
    read: &manifest::Read,
    day: i64,
) -> Vec<std::path::PathBuf> {
    let Some(location) = source.location.as_deref() else {
        return Vec::new();
    };
    let root = lake.path_of(location);
    match (&source.partition, read.partitioned) {
        (Some(p), true) => read
            .window
            .days_for(day)
            .map(|n| root.join(format!("{p}={}", day_text(n))))
            .collect(),
        _ => vec![root],
    }
}

/// The source files a KPI-day reads, with the source of each, in the order of its reads.
pub fn source_files<'m>(
    lake: &Lake,
    manifest: &'m Manifest,
    kpi: &Kpi,
    day: &str,
) -> Vec<(&'m manifest::Source, PathBuf)> {
    let Some(n) = day_number(day) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for read in kpi.reads.iter().filter(|r| r.target.kind == "source") {
        let Some(source) = manifest.sources.iter().find(|s| s.name == read.target.name) else {
            continue;
        };
        for dir in source_dirs(lake, source, read, n) {
            out.extend(engine::data_files(&dir).into_iter().map(|f| (source, f)));
        }
    }
    out
}

/// A digest of source files: each file's path (relative to the lake), size and modification
/// time, in order. When it changes, the KPI-day that read them is stale.
pub fn digest(lake: &Lake, files: &[(&manifest::Source, PathBuf)]) -> Option<String> {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    for (_, file) in files {
        let (len, modified) = engine::file_stamp(file).unwrap_or((0, 0));
        let relative = file.strip_prefix(lake.root()).unwrap_or(file);
        hasher.update(format!("{}\t{len}\t{modified}\n", relative.display()));
    }
    Some(
        hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
    )
}

/// The digest of the source files a KPI-day reads now.
pub fn inputs_digest(lake: &Lake, manifest: &Manifest, kpi: &Kpi, day: &str) -> Option<String> {
    day_number(day)?;
    digest(lake, &source_files(lake, manifest, kpi, day))
}

/// Days since 1970-01-01 of `YYYY-MM-DD`.
pub fn day_number(day: &str) -> Option<i64> {
    let date = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()?;
    Some(
        date.signed_duration_since(chrono::NaiveDate::default())
            .num_days(),
    )
}

/// `YYYY-MM-DD` of a day number.
pub fn day_text(n: i64) -> String {
    (chrono::NaiveDate::default() + chrono::Duration::days(n))
        .format("%Y-%m-%d")
        .to_string()
}

impl TaskHandler for LocalAthena<'_> {
    fn handles(&self, resource: &str) -> bool {
        resource == ATHENA_SYNC
    }

    fn call(
        &self,
        resource: &str,
        parameters: &Value,
        context: &TaskContext,
    ) -> Result<Value, TaskError> {
        if resource != ATHENA_SYNC {
            return Err(TaskError {
                error: "States.Runtime".into(),
                cause: format!(
                    "unsupported resource {resource}: locally, Task states run only {ATHENA_SYNC}"
                ),
            });
        }
        let id = self.next_id();
        let Some(binding) = self.bindings.get(context.state_name.as_str()) else {
            return Err(failure(
                &id,
                &format!(
                    "state `{}` is not an Athena task of this build (see manifest.json)",
                    context.state_name
                ),
            ));
        };
        let query = parameters["QueryString"].as_str().unwrap_or("");
        let Some((kpi, day, attempt)) = self.identify(binding, query) else {
            return Err(failure(
                &id,
                &format!(
                    "the query of state `{}` is not statement {} of any KPI of this build",
                    context.state_name, binding.statement
                ),
            ));
        };
        let Some(statement) = kpi.statement(&binding.statement) else {
            return Err(failure(&id, "statement missing from the manifest"));
        };
        let day = day.unwrap_or_default();
        let attempt = attempt.unwrap_or_default();
        let start = Instant::now();
        let start_ms = start.duration_since(self.started).as_secs_f64() * 1000.0;
        let outcome = self.execute(kpi, statement, &day, &attempt);
        let duration_ms = start.elapsed().as_secs_f64() * 1000.0;
        self.record(QueryRecord {
            id: id.clone(),
            kpi: kpi.name.clone(),
            day: day.clone(),
            statement: statement.name.clone(),
            role: statement.role.clone(),
            start_ms,
            duration_ms,
            rows: *outcome.as_ref().unwrap_or(&0),
            error: outcome.as_ref().err().cloned(),
        });
        match outcome {
            Ok(_) => Ok(json!({"QueryExecution": {
                "QueryExecutionId": id,
                "Query": query,
                "StatementType": if statement.role == "write" || statement.role == "check" { "DML" } else { "DDL" },
                "Status": {"State": "SUCCEEDED"},
                "Statistics": {
                    "EngineExecutionTimeInMillis": duration_ms.round() as u64,
                    "TotalExecutionTimeInMillis": duration_ms.round() as u64,
                    "DataScannedInBytes": 0
                },
                "WorkGroup": parameters["WorkGroup"].clone()
            }})),
            Err(reason) => {
                if statement.role != "setup" {
                    (self.on_event)(Event::Failed {
                        kpi: &kpi.name,
                        day: &day,
                    });
                }
                Err(failure(&id, &reason))
            }
        }
    }
}
