//! `kpi build`: compile through the driver, then write every artifact under `--out` (default
//! `<project>/target/kpi`), replacing the old tree whole.

use super::{compile_clean, exit};
use crate::error::CliError;
use crate::load::{ProjectDir, find_project, shown};
use crate::output::{self, Format};
use kpi_compiler::driver::{Compiled, Options};
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
    write_atomically(&out, &artifacts.files)?;
    output::note(format!(
        "built {} KPIs: {} files in {}",
        artifacts.plan.kpis.len(),
        artifacts.files.len(),
        shown(&out).display()
    ));
    Ok(Some(compiled))
}

/// Writes the whole tree beside `out`, then swaps it in, so `out` is never half-written.
fn write_atomically(
    out: &Path,
    files: &std::collections::BTreeMap<String, String>,
) -> Result<(), CliError> {
    let name = out
        .file_name()
        .map_or("kpi".into(), |n| n.to_string_lossy().into_owned());
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(CliError::io("create", parent))?;
    let fresh = parent.join(format!(".{name}.new-{}", std::process::id()));
    let old = parent.join(format!(".{name}.old-{}", std::process::id()));
    if fresh.exists() {
        std::fs::remove_dir_all(&fresh).map_err(CliError::io("remove", &fresh))?;
    }
    for (relative, text) in files {
        let path = fresh.join(relative);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(CliError::io("create", dir))?;
        }
        std::fs::write(&path, text).map_err(CliError::io("write", &path))?;
    }
    if out.exists() {
        std::fs::rename(out, &old).map_err(CliError::io("replace", out))?;
    }
    std::fs::rename(&fresh, out).map_err(CliError::io("write", out))?;
    if old.exists() {
        std::fs::remove_dir_all(&old).map_err(CliError::io("remove", &old))?;
    }
    Ok(())
}
