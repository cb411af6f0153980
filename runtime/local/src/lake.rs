//! The lake on disk: `s3://bucket/prefix/…` is `<root>/bucket/prefix/…`, with the same Hive
//! layout. Beside the buckets, `<root>/.kpi/` holds the local catalog (which attempt each KPI
//! partition points at, as Glue does on AWS) and the lock that keeps two runs apart.

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

    /// The root as text, for SQL; the lake's path must be valid UTF-8 without quotes.
    pub fn root_text(&self) -> Result<String, LakeError> {
        match self.root.to_str() {
            Some(s) if !s.contains('\'') => Ok(s.to_string()),
            _ => Err(LakeError(format!(
                "the lake path {} must be UTF-8 without quote characters",
                self.root.display()
            ))),
        }
    }

    /// The local path of an `s3://` location.
    pub fn path_of(&self, location: &str) -> PathBuf {
        let rest = location.strip_prefix("s3://").unwrap_or(location);
        self.root.join(rest.trim_end_matches('/'))
    }

    fn state_dir(&self) -> PathBuf {
        self.root.join(".kpi")
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

    /// Replaces the local catalog atomically: a reader sees the old one or the new one.
    pub fn write_catalog(&self, catalog: &LocalCatalog) -> Result<(), LakeError> {
        let path = self.catalog_path();
        let mut text = serde_json::to_string_pretty(catalog)
            .map_err(|e| LakeError(format!("cannot serialise the local catalog: {e}")))?;
        text.push('\n');
        write_atomically(&path, text.as_bytes())
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
    pub partitions: BTreeMap<String, LocalPartition>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LocalPartition {
    /// The attempt's `s3://` prefix.
    pub location: String,
    pub fingerprint: String,
    pub sequence: u64,
    pub rows: u64,
    /// A digest of the source files the KPI-day read (paths, sizes, modification times):
    /// when they change, the KPI-day is stale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inputs: Option<String>,
}

impl LocalCatalog {
    pub fn table(&self, database: &str, table: &str) -> Option<&LocalTable> {
        self.tables.get(&format!("{database}.{table}"))
    }

    pub fn partition(&self, database: &str, table: &str, day: &str) -> Option<&LocalPartition> {
        self.table(database, table)?.partitions.get(day)
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
        day: &str,
        partition: LocalPartition,
    ) -> bool {
        let entry = self
            .tables
            .entry(format!("{database}.{table}"))
            .or_default();
        if entry
            .partitions
            .get(day)
            .is_some_and(|p| p.location == partition.location)
        {
            return false;
        }
        self.sequence += 1;
        let sequence = self.sequence;
        entry.partitions.insert(
            day.to_string(),
            LocalPartition {
                sequence,
                ..partition
            },
        );
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_locations_map_into_the_lake() {
        let dir = tempfile::tempdir().unwrap();
        let lake = Lake::open(dir.path()).unwrap();
        assert_eq!(
            lake.path_of("s3://bucket/kpi/x/attempts/dt=2024-01-01/attempt=a/"),
            lake.root()
                .join("bucket/kpi/x/attempts/dt=2024-01-01/attempt=a")
        );
    }

    #[test]
    fn the_catalog_round_trips_and_switching_twice_is_a_no_op() {
        let dir = tempfile::tempdir().unwrap();
        let lake = Lake::open(dir.path()).unwrap();
        let mut catalog = lake.read_catalog().unwrap();
        assert!(catalog.create_table("db", "t", "f1"));
        let p = LocalPartition {
            location: "s3://b/t/attempts/dt=2024-01-01/attempt=a/".into(),
            fingerprint: "f1".into(),
            sequence: 0,
            rows: 3,
            inputs: None,
        };
        assert!(catalog.switch("db", "t", "2024-01-01", p.clone()));
        assert!(!catalog.switch("db", "t", "2024-01-01", p));
        lake.write_catalog(&catalog).unwrap();
        let back = lake.read_catalog().unwrap();
        let part = back.partition("db", "t", "2024-01-01").unwrap();
        assert_eq!((part.sequence, part.rows), (1, 3));
        assert!(!back.clone().create_table("db", "t", "f1"));
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
}
