//! The lake on disk: `s3://bucket/prefix/…` is `<root>/bucket/prefix/…`, with the same Hive
//! layout. Beside the buckets, `<root>/.kpi/` holds the local catalog (which attempt each KPI
//! partition points at, as Glue does on AWS) and the lock that keeps two runs apart.
//!
//! No path ever leaves the lake: a location with `..`, `.`, empty or hidden segments,
//! backslashes or control characters is refused, not mapped.

use kpi_contract::Day;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct Lake {
    root: PathBuf,
}

#[derive(Debug)]
pub struct LakeError(pub String);

impl std::fmt::Display for LakeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LakeError {}

fn io(path: &Path, what: &str, e: std::io::Error) -> LakeError {
    LakeError(format!("cannot {what} {}: {e}", path.display()))
}

/// The directory of the state kpi keeps beside the lake's buckets.
pub const STATE_DIR: &str = ".kpi";

impl Lake {
    /// The lake at `root`, which must exist.
    pub fn open(root: &Path) -> Result<Lake, LakeError> {
        let root = root
            .canonicalize()
            .map_err(|e| io(root, "open the lake directory", e))?;
        Ok(Lake { root })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The root as SQL may see it (see [`kpi_contract::sql::Lake`]).
    pub fn sql_root(&self) -> Result<kpi_contract::sql::Lake, LakeError> {
        let text = self.root.to_str().ok_or_else(|| {
            LakeError(format!(
                "the lake path {} is not valid UTF-8",
                self.root.display()
            ))
        })?;
        kpi_contract::sql::Lake::new(text).map_err(LakeError)
    }

    /// The local path of an `s3://` location, or why it has none inside the lake.
    pub fn path_of(&self, location: &str) -> Result<PathBuf, LakeError> {
        let refuse = |why: &str| {
            Err(LakeError(format!(
                "the location `{}` {why}; it has no place in the lake",
                location.escape_debug()
            )))
        };
        let Some(rest) = location.strip_prefix("s3://") else {
            return refuse("is not an s3:// location");
        };
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        let mut path = self.root.clone();
        for (i, segment) in rest.split('/').enumerate() {
            if segment.is_empty() {
                return refuse("has an empty path segment");
            }
            if segment == "." || segment == ".." {
                return refuse("has a `.` or `..` segment");
            }
            if i == 0 && segment.starts_with('.') {
                return refuse("names a bucket starting with `.`");
            }
            if segment.contains('\\') || segment.chars().any(char::is_control) {
                return refuse("holds a backslash or a control character");
            }
            path.push(segment);
        }
        Ok(path)
    }

    /// The `s3://` location of a path inside the lake.
    pub fn location_of(&self, path: &Path) -> Option<String> {
        let relative = path.strip_prefix(&self.root).ok()?;
        Some(format!("s3://{}", relative.to_str()?))
    }

    pub fn state_dir(&self) -> PathBuf {
        self.root.join(STATE_DIR)
    }

    /// Takes the lake's lock, or says which run holds it. The kernel releases the lock when
    /// its holder exits, however it exits, so a killed run never leaves the lake locked.
    pub fn lock(&self, what: &str, wait: bool) -> Result<LakeLock, LakeError> {
        let dir = self.state_dir();
        std::fs::create_dir_all(&dir).map_err(|e| io(&dir, "create", e))?;
        let path = dir.join("lock");
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| io(&path, "open", e))?;
        let locked = if wait {
            file.lock().map(|()| true)
        } else {
            match file.try_lock() {
                Ok(()) => Ok(true),
                Err(std::fs::TryLockError::WouldBlock) => Ok(false),
                Err(std::fs::TryLockError::Error(e)) => Err(e),
            }
        }
        .map_err(|e| io(&path, "lock", e))?;
        if !locked {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = holder.trim();
            return Err(LakeError(format!(
                "the lake {} is in use by another run ({}); wait for it to finish, or pass --wait",
                self.root.display(),
                if holder.is_empty() { "unknown" } else { holder }
            )));
        }
        let note = format!(
            "pid {}, {what}, since {}",
            std::process::id(),
            chrono::Utc::now().format("%Y-%m-%d %H:%M:%S UTC")
        );
        file.set_len(0).map_err(|e| io(&path, "write", e))?;
        file.rewind().map_err(|e| io(&path, "write", e))?;
        file.write_all(note.as_bytes())
            .map_err(|e| io(&path, "write", e))?;
        // Holding the lock, nobody else writes here: what a killed run left half-written goes.
        remove_temporaries(&dir);
        Ok(LakeLock { _file: file })
    }

    fn catalog_path(&self) -> PathBuf {
        self.state_dir().join("catalog.json")
    }

    /// The local catalog; empty when the lake has none yet.
    pub fn read_catalog(&self) -> Result<LocalCatalog, LakeError> {
        let path = self.catalog_path();
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| {
                LakeError(format!(
                    "the local catalog {} is damaged ({e}); delete it to recompute every KPI",
                    path.display()
                ))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(LocalCatalog::default()),
            Err(e) => Err(io(&path, "read", e)),
        }
    }

    fn failures_path(&self) -> PathBuf {
        self.state_dir().join("failures.json")
    }

    /// The KPI-days whose last computation failed, and why; empty when none is recorded.
    pub fn read_failures(&self) -> Result<FailedDays, LakeError> {
        let path = self.failures_path();
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| {
                LakeError(format!(
                    "the record of failed KPI-days {} is damaged ({e}); delete it: the next run \
                     records them again",
                    path.display()
                ))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(FailedDays::default()),
            Err(e) => Err(io(&path, "read", e)),
        }
    }

    /// Records what a run left failed: each day it published is no longer failed, each day it
    /// failed is, with its error. Atomic, as the catalog; a run that changes nothing in the
    /// record does not rewrite it.
    pub fn record_failures<'a>(
        &self,
        published: impl IntoIterator<Item = (&'a str, Day)>,
        failed: impl IntoIterator<Item = (&'a str, Day, &'a str)>,
    ) -> Result<(), LakeError> {
        let before = self.read_failures()?;
        let mut record = before.clone();
        for (kpi, day) in published {
            if let Some(days) = record.kpis.get_mut(kpi) {
                days.remove(&day);
            }
        }
        for (kpi, day, error) in failed {
            record
                .kpis
                .entry(kpi.to_string())
                .or_default()
                .insert(day, error.to_string());
        }
        record.kpis.retain(|_, days| !days.is_empty());
        if record == before {
            return Ok(());
        }
        let mut text = serde_json::to_string_pretty(&record)
            .map_err(|e| LakeError(format!("cannot serialise the failed KPI-days: {e}")))?;
        text.push('\n');
        write_atomically(&self.failures_path(), text.as_bytes())
    }

    /// Replaces the local catalog atomically: a reader sees the old one or the new one.
    pub fn write_catalog(&self, catalog: &LocalCatalog) -> Result<(), LakeError> {
        let path = self.catalog_path();
        let mut text = serde_json::to_string_pretty(catalog)
            .map_err(|e| LakeError(format!("cannot serialise the local catalog: {e}")))?;
        text.push('\n');
        write_atomically(&path, text.as_bytes())
    }

    /// The data files of a partition's directory as they are now, or why they cannot be read.
    pub fn partition_files(&self, location: &str) -> Result<Vec<FileStamp>, LakeError> {
        let dir = self.path_of(location)?;
        Ok(data_files(&dir)
            .into_iter()
            .filter_map(|path| {
                let size = path.metadata().ok()?.len();
                Some(FileStamp {
                    name: path.file_name()?.to_str()?.to_string(),
                    size,
                })
            })
            .collect())
    }

    /// Whether a published partition still holds exactly the files it was published with:
    /// the same names and sizes, none missing, none added (a cheap check, not a full read).
    pub fn verify(&self, partition: &LocalPartition) -> Result<(), String> {
        let now = self.partition_files(&partition.location).map_err(|e| e.0)?;
        if now == partition.files {
            return Ok(());
        }
        let missing = partition.files.iter().find(|f| !now.contains(f));
        let added = now.iter().find(|f| !partition.files.contains(f));
        Err(match (missing, added) {
            (Some(f), _) => format!(
                "{} lost or changed {} (published with {} bytes)",
                partition.location, f.name, f.size
            ),
            (None, Some(f)) => format!("{} gained {}", partition.location, f.name),
            (None, None) => format!("{} changed", partition.location),
        })
    }
}

/// The data files of a directory, sorted; hidden files and Hive's `_` files are left out, as
/// Athena does.
pub fn data_files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            !name.starts_with('.') && !name.starts_with('_') && e.path().is_file()
        })
        .map(|e| e.path())
        .collect();
    out.sort();
    out
}

/// Removes the `.name.<pid>.tmp` files [`write_atomically`] leaves when killed mid-write.
fn remove_temporaries(dir: &Path) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        if name.starts_with('.') && name.ends_with(".tmp") && entry.path().is_file() {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Writes `bytes` to a temporary file beside `path`, flushes it to disk, then renames it over
/// `path`.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), LakeError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| io(dir, "create", e))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let mut file = File::create(&tmp).map_err(|e| io(&tmp, "create", e))?;
    file.write_all(bytes).map_err(|e| io(&tmp, "write", e))?;
    file.sync_all().map_err(|e| io(&tmp, "write", e))?;
    drop(file);
    std::fs::rename(&tmp, path).map_err(|e| io(path, "replace", e))?;
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Held while a run uses the lake.
#[derive(Debug)]
pub struct LakeLock {
    _file: File,
}

/// KPI → day → the error of its last computation, for the KPI-days that failed and have not
/// been published since (`<lake>/.kpi/failures.json`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FailedDays {
    pub kpis: BTreeMap<String, BTreeMap<Day, String>>,
}

/// Which attempt each KPI partition points at: the part Glue plays on AWS.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct LocalCatalog {
    /// Bumped on every switch: a partition written after another has a higher sequence.
    pub sequence: u64,
    /// `database.table` → table.
    pub tables: BTreeMap<String, LocalTable>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct LocalTable {
    pub fingerprint: String,
    /// Day → partition.
    pub partitions: BTreeMap<Day, LocalPartition>,
}

/// A data file of a partition: its name in the partition's directory and its size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileStamp {
    pub name: String,
    pub size: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LocalPartition {
    /// The attempt's `s3://` prefix.
    pub location: String,
    pub attempt: String,
    pub fingerprint: String,
    pub sequence: u64,
    pub rows: u64,
    /// A digest of the source files the KPI-day read (paths, sizes, modification times):
    /// when they change, the KPI-day is stale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inputs: Option<String>,
    /// Its window reaches before the project's `history_start`: computed from fewer days.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub partial: bool,
    /// The files it was published with.
    pub files: Vec<FileStamp>,
}

impl LocalCatalog {
    pub fn table(&self, database: &str, table: &str) -> Option<&LocalTable> {
        self.tables.get(&format!("{database}.{table}"))
    }

    pub fn partition(&self, database: &str, table: &str, day: Day) -> Option<&LocalPartition> {
        self.table(database, table)?.partitions.get(&day)
    }

    /// Registers a table; a changed fingerprint is recorded (its old partitions are stale).
    pub fn create_table(&mut self, database: &str, table: &str, fingerprint: &str) -> bool {
        let entry = self
            .tables
            .entry(format!("{database}.{table}"))
            .or_default();
        let changed = entry.fingerprint != fingerprint;
        entry.fingerprint = fingerprint.to_string();
        changed
    }

    /// Points a day's partition at an attempt. Idempotent: switching to the location the
    /// partition already has changes nothing.
    pub fn switch(
        &mut self,
        database: &str,
        table: &str,
        day: Day,
        partition: LocalPartition,
    ) -> bool {
        let entry = self
            .tables
            .entry(format!("{database}.{table}"))
            .or_default();
        if entry
            .partitions
            .get(&day)
            .is_some_and(|p| p.location == partition.location)
        {
            return false;
        }
        self.sequence += 1;
        let sequence = self.sequence;
        entry.partitions.insert(
            day,
            LocalPartition {
                sequence,
                ..partition
            },
        );
        true
    }

    /// Every location a partition points at: what no write may touch.
    pub fn published(&self) -> std::collections::BTreeSet<&str> {
        self.tables
            .values()
            .flat_map(|t| t.partitions.values().map(|p| p.location.as_str()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> Day {
        Day::parse(s).unwrap()
    }

    #[test]
    fn s3_locations_map_into_the_lake_and_nothing_leaves_it() {
        let dir = tempfile::tempdir().unwrap();
        let lake = Lake::open(dir.path()).unwrap();
        assert_eq!(
            lake.path_of("s3://bucket/kpi/x/attempts/dt=2024-01-01/attempt=a/")
                .unwrap(),
            lake.root()
                .join("bucket/kpi/x/attempts/dt=2024-01-01/attempt=a")
        );
        for bad in [
            "s3://bucket/../../etc/",
            "s3://bucket/a/../../../x",
            "s3://bucket/./a/",
            "s3://bucket//a/",
            "s3://.kpi/catalog.json",
            "s3://bucket/a\\..\\b/",
            "s3://bucket/a\nb/",
            "/etc/passwd",
            "file:///etc/",
            "s3://",
        ] {
            assert!(lake.path_of(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_catalog_round_trips_and_switching_twice_is_a_no_op() {
        let dir = tempfile::tempdir().unwrap();
        let lake = Lake::open(dir.path()).unwrap();
        let mut catalog = lake.read_catalog().unwrap();
        assert!(catalog.create_table("db", "t", "f1"));
        let p = LocalPartition {
            location: "s3://b/t/attempts/dt=2024-01-01/attempt=a/".into(),
            attempt: "a".into(),
            fingerprint: "f1".into(),
            sequence: 0,
            rows: 3,
            inputs: None,
            partial: false,
            files: vec![FileStamp {
                name: "data_0.parquet".into(),
                size: 10,
            }],
        };
        assert!(catalog.switch("db", "t", day("2024-01-01"), p.clone()));
        assert!(!catalog.switch("db", "t", day("2024-01-01"), p));
        lake.write_catalog(&catalog).unwrap();
        let back = lake.read_catalog().unwrap();
        let part = back.partition("db", "t", day("2024-01-01")).unwrap();
        assert_eq!((part.sequence, part.rows), (1, 3));
        assert!(!back.clone().create_table("db", "t", "f1"));
    }

    #[test]
    fn a_partition_whose_files_changed_fails_verification() {
        let dir = tempfile::tempdir().unwrap();
        let lake = Lake::open(dir.path()).unwrap();
        let location = "s3://b/t/attempts/dt=2024-01-01/attempt=a/";
        let path = lake.path_of(location).unwrap();
        std::fs::create_dir_all(&path).unwrap();
        std::fs::write(path.join("data_0.parquet"), b"0123456789").unwrap();
        let partition = LocalPartition {
            location: location.into(),
            attempt: "a".into(),
            fingerprint: "f".into(),
            sequence: 1,
            rows: 1,
            inputs: None,
            partial: false,
            files: lake.partition_files(location).unwrap(),
        };
        lake.verify(&partition).unwrap();
        std::fs::write(path.join("data_0.parquet"), b"01234").unwrap();
        assert!(
            lake.verify(&partition)
                .unwrap_err()
                .contains("data_0.parquet")
        );
        std::fs::remove_file(path.join("data_0.parquet")).unwrap();
        assert!(lake.verify(&partition).is_err());
        std::fs::write(path.join("data_0.parquet"), b"0123456789").unwrap();
        std::fs::write(path.join("data_1.parquet"), b"x").unwrap();
        assert!(
            lake.verify(&partition)
                .unwrap_err()
                .contains("gained data_1.parquet")
        );
    }

    #[test]
    fn a_second_lock_on_the_lake_is_refused_naming_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let lake = Lake::open(dir.path()).unwrap();
        let held = lake.lock("kpi run --project p", false).unwrap();
        let err = lake.lock("kpi run", false).unwrap_err().0;
        assert!(
            err.contains("in use") && err.contains(&format!("pid {}", std::process::id())),
            "{err}"
        );
        drop(held);
        lake.lock("kpi run", false).unwrap();
    }

    #[test]
    fn temporaries_a_killed_run_left_are_removed_by_the_next_lock() {
        let dir = tempfile::tempdir().unwrap();
        let lake = Lake::open(dir.path()).unwrap();
        std::fs::create_dir_all(lake.state_dir()).unwrap();
        let tmp = lake.state_dir().join(".catalog.json.4242.tmp");
        std::fs::write(&tmp, b"{").unwrap();
        let _held = lake.lock("kpi run", false).unwrap();
        assert!(!tmp.exists());
    }
}
