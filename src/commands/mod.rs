//! One module per subcommand.

pub mod build;
pub mod check;
pub mod debug;
pub mod explain;
pub mod graph;
pub mod query;
pub mod run;
pub mod sample_data;
pub mod sfn;

use crate::load::{self, LoadError, Loaded};
use crate::{Format, output};
use kpi_compiler::CheckedProject;
use kpi_compiler::catalog::Catalog;
use kpi_compiler::ir::Program;
use kpi_compiler::project::Project;
use std::path::Path;

/// A project that checked clean (warnings allowed).
pub struct Checked {
    pub loaded: Loaded,
    pub project: Project,
    pub catalog: Catalog,
    pub program: Program,
}

/// Loads the project and runs the front end. The result holds every diagnostic, those of
/// loading included, sorted by place.
pub fn load_and_check(dir: &Path) -> Result<(Loaded, CheckedProject), LoadError> {
    let mut loaded = load::load(dir)?;
    let mut result = kpi_compiler::check_project(
        &loaded.sources,
        loaded.project.as_ref(),
        &loaded.catalog_files,
        &loaded.kpi_files,
    );
    let mut diagnostics = std::mem::take(&mut loaded.diagnostics);
    diagnostics.append(&mut result.diagnostics);
    result.diagnostics = kpi_compiler::diagnostic::sorted(diagnostics);
    Ok((loaded, result))
}

/// Loads and checks; prints the diagnostics. `None` when there were errors (exit code 1).
pub fn checked(dir: &Path, format: Format) -> Result<Option<Checked>, LoadError> {
    let (mut loaded, result) = load_and_check(dir)?;
    output::diagnostics(&result.diagnostics, &loaded.sources, format);
    if result.has_errors() {
        return Ok(None);
    }
    match (loaded.project.take(), result.program) {
        (Some(project), Some(program)) => Ok(Some(Checked {
            loaded,
            project,
            catalog: result.catalog,
            program,
        })),
        _ => Ok(None),
    }
}
