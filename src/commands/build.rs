//! `kpi build`: compile through the driver, then bring `--out` (default `<project>/target/kpi`)
//! to exactly the artifacts, writing only the files whose bytes changed.

use super::{compile_clean, exit};
use crate::error::CliError;
use crate::load::{ProjectDir, find_project, shown};
use crate::output::{self, Format};
use kpi_compiler::driver::{Compiled, Options};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Check the project, then write its artifacts: Athena and DuckDB SQL per KPI, the state
/// machine, the SAM template and the manifest.
///
/// The same project gives byte-identical files from any working directory.
///
/// Example: `kpi build --project pipelines --out target/kpi`
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The project directory (holding kpi.yaml). Default: the nearest one at or above the
    /// current directory.
    #[arg(long, value_name = "DIR")]
    pub project: Option<PathBuf>,
    /// Where to write the artifacts. Default: `target/kpi` inside the project.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

pub fn run(args: Args) -> Result<ExitCode, CliError> {
    let dir = find_project(args.project.as_deref(), None)?;
    Ok(exit(build_project(&dir, args.out)?.is_some()))
}

/// Compiles and builds the project in `dir`, prints the diagnostics and writes the artifacts
/// to `out` (default `<dir>/target/kpi`). `None` when there were errors.
pub fn build_project(dir: &ProjectDir, out: Option<PathBuf>) -> Result<Option<Compiled>, CliError> {
    let options = Options {
        build: true,
        ..Options::default()
    };
    let Some(compiled) = compile_clean(dir, options, Format::Human)? else {
        return Ok(None);
    };
    let Some(artifacts) = &compiled.artifacts else {
        return Ok(None);
    };
    let out = out.unwrap_or_else(|| dir.root.join("target/kpi"));
    let changes = write_incremental(&out, &artifacts.files)?;
    output::note(format!(
        "built {} KPIs: {} files in {} ({} written, {} removed)",
        artifacts.plan.kpis.len(),
        artifacts.files.len(),
        shown(&out).display(),
        changes.written,
        changes.removed
    ));
    Ok(Some(compiled))
}

/// What an incremental write did to the output tree.
#[derive(Debug, Default, PartialEq, Eq)]
struct Changes {
    written: usize,
    removed: usize,
}

/// Makes `out` hold exactly `files`, touching only what differs: a file whose bytes on disk
/// are already the same is left alone (its mtime too); another is written to a temporary
/// file beside it and renamed over it, so it is never half-written; a file under `out` that
/// is not an artifact is removed, and so is a directory left empty. `out` is kpi's, as it
/// always was (a build used to replace it whole).
fn write_incremental(out: &Path, files: &BTreeMap<String, String>) -> Result<Changes, CliError> {
    let mut changes = Changes::default();
    std::fs::create_dir_all(out).map_err(CliError::io("create", out))?;
    for (relative, text) in files {
        let path = out.join(relative);
        if std::fs::read(&path).is_ok_and(|old| old == text.as_bytes()) {
            continue;
        }
        let dir = path.parent().unwrap_or(out);
        // An old directory where a file now goes, or an old file where a directory now goes.
        if path.is_dir() {
            std::fs::remove_dir_all(&path).map_err(CliError::io("remove", &path))?;
        }
        for ancestor in dir.ancestors().take_while(|a| *a != out) {
            if ancestor.is_file() {
                std::fs::remove_file(ancestor).map_err(CliError::io("remove", ancestor))?;
            }
        }
        std::fs::create_dir_all(dir).map_err(CliError::io("create", dir))?;
        let name = path
            .file_name()
            .map_or("artifact".into(), |n| n.to_string_lossy().into_owned());
        let temporary = dir.join(format!(".{name}{TEMPORARY}{}", std::process::id()));
        std::fs::write(&temporary, text).map_err(CliError::io("write", &temporary))?;
        std::fs::rename(&temporary, &path).map_err(CliError::io("write", &path))?;
        changes.written += 1;
    }
    let wanted: BTreeSet<PathBuf> = files.keys().map(|f| out.join(f)).collect();
    changes.removed = remove_others(out, &wanted)?;
    Ok(changes)
}

/// Marks a file being written: `.<name><TEMPORARY><pid>` beside it.
const TEMPORARY: &str = ".kpi-new-";

/// Removes every file under `dir` that is not in `wanted`, then `dir`'s subdirectories that
/// are left empty; the number of files removed.
fn remove_others(dir: &Path, wanted: &BTreeSet<PathBuf>) -> Result<usize, CliError> {
    let mut removed = 0;
    let entries = std::fs::read_dir(dir).map_err(CliError::io("read", dir))?;
    for entry in entries {
        let path = entry.map_err(CliError::io("read", dir))?.path();
        // Links are never followed: a link is removed like a file.
        let metadata = std::fs::symlink_metadata(&path).map_err(CliError::io("read", &path))?;
        if metadata.is_dir() {
            removed += remove_others(&path, wanted)?;
            if std::fs::read_dir(&path)
                .map_err(CliError::io("read", &path))?
                .next()
                .is_none()
            {
                std::fs::remove_dir(&path).map_err(CliError::io("remove", &path))?;
            }
        } else if !wanted.contains(&path) {
            std::fs::remove_file(&path).map_err(CliError::io("remove", &path))?;
            removed += 1;
        }
    }
    Ok(removed)
}
