//! `kpi build`: check, then write every artifact under `--out` (default `<project>/target/kpi`).

use crate::load::{self, LoadError};
use crate::{Format, output};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub fn run(project: Option<PathBuf>, out: Option<PathBuf>) -> Result<ExitCode, LoadError> {
    let dir = load::find_project(project)?;
    Ok(match build_project(&dir, out)? {
        Some(_) => ExitCode::SUCCESS,
        None => ExitCode::from(1),
    })
}

/// Checks and builds the project in `dir`, prints the diagnostics and writes the artifacts to
/// `out` (default `<dir>/target/kpi`). `None` when there were errors.
pub fn build_project(
    dir: &Path,
    out: Option<PathBuf>,
) -> Result<Option<kpi_compiler::build::Artifacts>, LoadError> {
    let Some(checked) = super::checked(dir, Format::Human)? else {
        return Ok(None);
    };
    let (artifacts, diagnostics) = kpi_compiler::build::build(
        &checked.loaded.sources,
        &checked.project,
        &checked.catalog,
        &checked.program,
    );
    let diagnostics = kpi_compiler::diagnostic::sorted(diagnostics);
    output::diagnostics(&diagnostics, &checked.loaded.sources, Format::Human);
    if diagnostics.iter().any(|d| d.is_error()) {
        return Ok(None);
    }
    let out = out.unwrap_or_else(|| dir.join("target/kpi"));
    write_atomically(&out, &artifacts.files)?;
    eprintln!(
        "built {} KPIs: {} files in {}",
        artifacts.plan.kpis.len(),
        artifacts.files.len(),
        out.display()
    );
    Ok(Some(artifacts))
}

/// Writes the whole tree beside `out`, then swaps it in, so `out` is never half-written.
fn write_atomically(
    out: &Path,
    files: &std::collections::BTreeMap<String, String>,
) -> Result<(), LoadError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |error| LoadError::Io { path, error }
    };
    let name = out
        .file_name()
        .map_or("kpi".into(), |n| n.to_string_lossy().into_owned());
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(io(parent))?;
    let fresh = parent.join(format!(".{name}.new-{}", std::process::id()));
    let old = parent.join(format!(".{name}.old-{}", std::process::id()));
    if fresh.exists() {
        std::fs::remove_dir_all(&fresh).map_err(io(&fresh))?;
    }
    for (relative, text) in files {
        let path = fresh.join(relative);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io(dir))?;
        }
        std::fs::write(&path, text).map_err(io(&path))?;
    }
    if out.exists() {
        std::fs::rename(out, &old).map_err(io(out))?;
    }
    std::fs::rename(&fresh, out).map_err(io(out))?;
    if old.exists() {
        std::fs::remove_dir_all(&old).map_err(io(&old))?;
    }
    Ok(())
}
