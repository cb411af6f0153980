//! The source files a KPI-day reads, found in the lake the way the compiled SQL reads them:
//! each partitioned source's `<partition>=<day>/` directories over the day's window, an
//! unpartitioned one's whole location. Their stamps make a KPI-day's inputs digest.

use crate::engine::file_stamp;
use crate::lake::{Lake, data_files};
use kpi_contract::manifest::{Kpi, Manifest, Read, Source};
use kpi_contract::{Day, DayRange};
use std::path::PathBuf;

/// The directory of a source's partition for one day, or of the whole source.
pub fn partition_dir(lake: &Lake, source: &Source, day: Option<Day>) -> Option<PathBuf> {
    let root = lake.path_of(source.location.as_deref()?).ok()?;
    match (&source.partition, day) {
        (Some(p), Some(day)) => Some(root.join(format!("{p}={day}"))),
        _ => Some(root),
    }
}

pub use kpi_plan::source_of;

/// The directories a read covers for the days `range`.
fn dirs(lake: &Lake, source: &Source, read: &Read, range: DayRange) -> Vec<PathBuf> {
    match (read.partitioned, read.window.of_range(range)) {
        (true, Some(reach)) => reach
            .days()
            .filter_map(|d| partition_dir(lake, source, Some(d)))
            .collect(),
        _ => partition_dir(lake, source, None).into_iter().collect(),
    }
}

/// The source files computing `range` of `kpi` reads, each with its source, without repeats,
/// in the order of the KPI's reads.
pub fn source_files<'m>(
    lake: &Lake,
    manifest: &'m Manifest,
    kpi: &Kpi,
    range: DayRange,
) -> Vec<(&'m Source, PathBuf)> {
    let mut out: Vec<(&Source, PathBuf)> = Vec::new();
    for read in &kpi.reads {
        let Some(source) = source_of(manifest, read) else {
            continue;
        };
        for dir in dirs(lake, source, read, range) {
            for file in data_files(&dir) {
                if !out.iter().any(|(_, f)| *f == file) {
                    out.push((source, file));
                }
            }
        }
    }
    out
}

/// A digest of source files: each file's path (relative to the lake), size and modification
/// time, in order. When it changes, the KPI-day that read them is stale.
pub fn digest(lake: &Lake, files: &[(&Source, PathBuf)]) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    for (_, file) in files {
        let (len, modified) = file_stamp(file).unwrap_or((0, 0));
        let relative = file.strip_prefix(lake.root()).unwrap_or(file);
        hasher.update(format!("{}\t{len}\t{modified}\n", relative.display()));
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The digest of the source files a KPI-day reads now.
pub fn inputs_digest(lake: &Lake, manifest: &Manifest, kpi: &Kpi, day: Day) -> String {
    digest(lake, &source_files(lake, manifest, kpi, DayRange::one(day)))
}
