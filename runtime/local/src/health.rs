//! Whether the source files a KPI-day reads are whole: a truncated or damaged file must fail
//! the KPI-days whose windows read it, naming the file, as it fails the query on Athena, and
//! nothing else. Each file is checked once per run: JSON lines decompressed whole (their
//! malformed lines counted on the way, or known from staging), Parquet by its footer.

use crate::engine::{self, Engine, FileFormat};
use crate::report::SourceReport;
use kpi_contract::manifest::{Manifest, Source};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// A checked file's source, and its malformed lines or why it is unreadable.
type Checked = (String, Result<u64, String>);

#[derive(Debug, Default)]
pub struct Health {
    /// Source files checked so far → their source, and their malformed lines or why they are
    /// unreadable.
    checked: Mutex<BTreeMap<PathBuf, Checked>>,
}

impl Health {
    /// The file's malformed lines, or why it cannot be read (the error names it).
    pub fn check(&self, engine: &Engine, source: &Source, file: &Path) -> Result<u64, String> {
        let Ok(format) = engine::file_format(source) else {
            return Ok(0);
        };
        if let Some((_, outcome)) = self.checked.lock().ok().and_then(|c| c.get(file).cloned()) {
            return outcome;
        }
        let outcome = match format {
            FileFormat::Json => match engine.known_malformed(file) {
                Some(n) => Ok(n),
                None => engine::malformed_lines(file),
            },
            FileFormat::Parquet => engine::probe_file(engine, source, file).map(|()| 0),
        }
        .map_err(|e| e.0);
        if let Ok(mut checked) = self.checked.lock() {
            checked.insert(file.to_path_buf(), (source.name.clone(), outcome.clone()));
        }
        outcome
    }

    /// The first damaged file of a list, with why.
    pub fn first_damaged(&self, engine: &Engine, files: &[(&Source, PathBuf)]) -> Option<String> {
        files
            .iter()
            .find_map(|(source, file)| self.check(engine, source, file).err())
    }

    /// Per source: the files checked, their malformed lines, the unreadable ones.
    pub fn report(&self, manifest: &Manifest) -> Vec<SourceReport> {
        let mut out: BTreeMap<String, SourceReport> = BTreeMap::new();
        if let Ok(checked) = self.checked.lock() {
            for (source, outcome) in checked.values() {
                let format = manifest
                    .source(source)
                    .and_then(|s| engine::file_format(s).ok());
                let entry = out.entry(source.clone()).or_insert_with(|| SourceReport {
                    source: source.clone(),
                    format: match format {
                        Some(FileFormat::Json) => "json",
                        Some(FileFormat::Parquet) => "parquet",
                        None => "other",
                    }
                    .into(),
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
}
