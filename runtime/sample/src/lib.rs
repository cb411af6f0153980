//! Sample options → a realistic, deterministic engagement lake on disk (events, master
//! snapshots and the Glue catalog snapshot).
//!
//! The lake is what the `pipelines/` project reads:
//!
//! ```text
//! <out>/engagement-lake/app_logs/events/dt=YYYY-MM-DD/part-0.json.gz
//! <out>/engagement-lake/master/{companies,departments,members}/dt=YYYY-MM-DD/part-0.parquet
//! <out>/catalog/{app_logs,master}.json      (as `aws glue get-tables` prints them)
//! ```
//!
//! Everything derives from the seed: the same options give byte-identical files. Every file
//! is written to `*.tmp` and renamed, and partitions of an earlier run that this run does not
//! produce are removed, so re-running over an existing lake replaces it consistently.

mod catalog;
mod dist;
mod events;
mod jsonl;
mod master;
mod world;

pub use catalog::{app_logs_catalog, master_catalog};
pub use chrono::NaiveDate;
pub use master::{Cell, ColumnType, ParquetWriter, Table};

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// What to generate. `SampleOptions::default()` is the quick preset (seconds);
/// `SampleOptions::large()` the benchmark preset (tens of millions of events).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleOptions {
    /// Number of days, one partition each, starting at `start`.
    pub days: u32,
    /// Number of client companies.
    pub companies: u32,
    /// Everything random derives from this seed.
    pub seed: u64,
    /// The first day of data.
    pub start: NaiveDate,
    /// The benchmark shape: companies four times as large as in the default preset.
    pub large: bool,
}

impl Default for SampleOptions {
    fn default() -> Self {
        SampleOptions {
            days: 60,
            companies: 30,
            seed: 42,
            start: NaiveDate::from_ymd_opt(2024, 1, 1).unwrap_or_default(),
            large: false,
        }
    }
}

impl SampleOptions {
    /// The benchmark preset: 90 days of 330 large companies, about 22 million events.
    pub fn large() -> Self {
        SampleOptions {
            days: 90,
            companies: 330,
            large: true,
            ..SampleOptions::default()
        }
    }

    /// Parses a `YYYY-MM-DD` start day.
    pub fn parse_start(text: &str) -> Result<NaiveDate, SampleError> {
        NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .ok()
            .filter(|_| text.len() == 10)
            .ok_or_else(|| {
                SampleError::Invalid(format!("invalid date {text:?}: expected YYYY-MM-DD"))
            })
    }
}

/// What `generate` wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct SampleReport {
    pub days: u32,
    /// Valid event lines over all days (malformed lines not included).
    pub events: u64,
    /// Lines a JSON reader must skip (truncated writes, garbage).
    pub malformed_lines: u64,
    /// Members in the last day's snapshot (including those who left).
    pub members: u64,
    pub companies: u32,
    /// Bytes of all files written.
    pub bytes: u64,
    pub seconds: f64,
}

impl SampleReport {
    /// Events generated per second of wall time.
    pub fn events_per_second(&self) -> f64 {
        if self.seconds > 0.0 {
            self.events as f64 / self.seconds
        } else {
            0.0
        }
    }
}

#[derive(Debug)]
pub enum SampleError {
    /// Options that cannot describe a lake.
    Invalid(String),
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    /// The Parquet writer failed.
    Write(String),
}

impl fmt::Display for SampleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SampleError::Invalid(message) => f.write_str(message),
            SampleError::Io { path, error } => {
                write!(f, "cannot write {}: {error}", path.display())
            }
            SampleError::Write(message) => write!(f, "cannot write Parquet {message}"),
        }
    }
}

impl std::error::Error for SampleError {}

pub(crate) fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> SampleError + '_ {
    move |error| SampleError::Io {
        path: path.to_path_buf(),
        error,
    }
}

/// Writes `bytes` to `path` atomically (a `.tmp` sibling, then a rename); returns the size.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<u64, SampleError> {
    let tmp = tmp_path(path);
    std::fs::write(&tmp, bytes).map_err(io_error(&tmp))?;
    std::fs::rename(&tmp, path).map_err(io_error(path))?;
    Ok(bytes.len() as u64)
}

/// `part-0.parquet` → `part-0.parquet.tmp`.
pub(crate) fn tmp_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".tmp");
    PathBuf::from(name)
}

/// The directory of one day's partition of a table.
pub(crate) fn partition_dir(table_dir: &Path, day: NaiveDate) -> PathBuf {
    table_dir.join(format!("dt={}", day.format("%Y-%m-%d")))
}

/// The lake root inside `out` (the `s3://engagement-lake/` bucket).
pub fn lake_root(out: &Path) -> PathBuf {
    out.join("engagement-lake")
}

/// Generates the lake into `out`, replacing whatever an earlier run left there.
/// `parquet` writes the master snapshots' files.
pub fn generate(
    out: &Path,
    options: &SampleOptions,
    parquet: &dyn ParquetWriter,
) -> Result<SampleReport, SampleError> {
    let started = Instant::now();
    if options.days == 0 || options.days > 3660 {
        return Err(SampleError::Invalid(format!(
            "--days must be between 1 and 3660, not {}",
            options.days
        )));
    }
    if options.companies == 0 || options.companies > 100_000 {
        return Err(SampleError::Invalid(format!(
            "--companies must be between 1 and 100000, not {}",
            options.companies
        )));
    }
    let days: Vec<NaiveDate> = (0..options.days)
        .map(|i| {
            options
                .start
                .checked_add_days(chrono::Days::new(u64::from(i)))
        })
        .collect::<Option<_>>()
        .ok_or_else(|| SampleError::Invalid("the days run past the calendar's end".into()))?;

    let world = world::World::build(options);
    let lake = lake_root(out);
    let events_dir = lake.join("app_logs").join("events");
    let master_dir = lake.join("master");
    let tables = [
        events_dir.clone(),
        master_dir.join("companies"),
        master_dir.join("departments"),
        master_dir.join("members"),
    ];
    for table in &tables {
        for day in &days {
            let dir = partition_dir(table, *day);
            std::fs::create_dir_all(&dir).map_err(io_error(&dir))?;
        }
    }

    // The master snapshots (one thread) are written beside the event pipeline.
    let (master_bytes, (events, malformed, event_bytes)) = std::thread::scope(|scope| {
        let master = scope.spawn(|| master::write_snapshots(&master_dir, &world, &days, parquet));
        let events = jsonl::write_days(&events_dir, &world, &days, options.seed);
        let master = master.join().unwrap_or_else(|_| {
            Err(SampleError::Write(
                "of the snapshots: the writer crashed".into(),
            ))
        });
        Ok::<_, SampleError>((master?, events?))
    })?;

    let catalog_dir = out.join("catalog");
    std::fs::create_dir_all(&catalog_dir).map_err(io_error(&catalog_dir))?;
    let mut bytes = master_bytes + event_bytes;
    bytes += write_atomic(
        &catalog_dir.join("app_logs.json"),
        app_logs_catalog().as_bytes(),
    )?;
    bytes += write_atomic(
        &catalog_dir.join("master.json"),
        master_catalog().as_bytes(),
    )?;

    let wanted: BTreeSet<String> = days
        .iter()
        .map(|d| format!("dt={}", d.format("%Y-%m-%d")))
        .collect();
    for table in &tables {
        remove_stale_partitions(table, &wanted)?;
    }

    let last = days.last().copied().unwrap_or(options.start);
    Ok(SampleReport {
        days: options.days,
        events,
        malformed_lines: malformed,
        members: world.members_on(world::day_number(last)) as u64,
        companies: options.companies,
        bytes,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Removes `dt=` partitions an earlier run wrote that this run did not.
fn remove_stale_partitions(table: &Path, wanted: &BTreeSet<String>) -> Result<(), SampleError> {
    let entries = std::fs::read_dir(table).map_err(io_error(table))?;
    for entry in entries {
        let entry = entry.map_err(io_error(table))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with("dt=") && !wanted.contains(&name) {
            let path = entry.path();
            std::fs::remove_dir_all(&path).map_err(io_error(&path))?;
        }
    }
    Ok(())
}
