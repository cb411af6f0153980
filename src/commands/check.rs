//! `kpi check [FILE...]`: compile the project, print its diagnostics (with FILEs, those in
//! them and in kpi.yaml and the catalog); exit 1 when any printed is an error.

use super::{compile, exit};
use crate::error::CliError;
use crate::load::find_project;
use crate::output::{self, Format};
use kpi_compiler::driver::Options;
use kpi_compiler::span::FileId;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::ExitCode;

/// Type-check the project's .kpi files against its catalog snapshot.
///
/// With FILEs, only their diagnostics are shown; the KPIs they read from other files are still
/// resolved from the whole project.
///
/// Example: `kpi check --project pipelines --format json`
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only report these .kpi files of the project (paths as the shell sees them).
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// The project directory (holding kpi.yaml). Default: the nearest one at or above the
    /// first FILE, or else at or above the current directory.
    #[arg(long, value_name = "DIR")]
    pub project: Option<PathBuf>,
    /// How to print diagnostics.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

pub fn run(args: Args) -> Result<ExitCode, CliError> {
    let dir = find_project(
        args.project.as_deref(),
        args.files.first().map(PathBuf::as_path),
    )?;
    let options = Options {
        process_exits: true,
        ..Options::default()
    };
    let compiled = compile(&dir, options)?;
    let wanted = args
        .files
        .iter()
        .map(|f| dir.name_of(f))
        .collect::<Result<Vec<String>, CliError>>()?;
    // Looked up once per diagnostic and per KPI: sets, so a large project is not quadratic.
    let wanted_set: BTreeSet<&str> = wanted.iter().map(String::as_str).collect();
    let kpi_files: BTreeSet<FileId> = compiled.kpi_files.iter().copied().collect();
    let kpi_names: BTreeSet<&str> = kpi_files
        .iter()
        .map(|id| compiled.sources.name(*id))
        .collect();
    for name in &wanted {
        if !kpi_names.contains(name.as_str()) {
            return Err(CliError::usage(format!(
                "{} is not a .kpi file of the project {}",
                dir.show(name),
                dir.shown_root()
            )));
        }
    }
    // Those in the FILEs, and those of kpi.yaml and the catalog, which every file depends on;
    // not those of the other .kpi files.
    let shown = |d: &&kpi_compiler::diagnostic::Diagnostic| {
        let Some(file) = d.primary.as_ref().map(|l| l.span.file) else {
            return true;
        };
        let name = compiled.sources.name(file);
        wanted.is_empty() || wanted_set.contains(name) || !kpi_files.contains(&file)
    };
    let diagnostics: Vec<_> = compiled.diagnostics.iter().filter(shown).cloned().collect();
    // Rendering nothing would still copy every source under its shown name.
    if !diagnostics.is_empty() || args.format == Format::Json {
        output::diagnostics(&diagnostics, &compiled.sources, &dir, args.format)?;
    }
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    if args.format == Format::Human {
        if errors == 0 {
            let (kpis, files) = if wanted.is_empty() {
                let kpis = compiled.program.as_ref().map_or(0, |p| p.kpis.len());
                (kpis, compiled.kpi_files.len())
            } else {
                let kpis = compiled.program.as_ref().map_or(0, |p| {
                    p.kpis
                        .iter()
                        .filter(|k| wanted_set.contains(k.file.as_str()))
                        .count()
                });
                (kpis, wanted.len())
            };
            output::note(format!(
                "checked {kpis} KPI{} in {files} file{}: no errors{}",
                if kpis == 1 { "" } else { "s" },
                if files == 1 { "" } else { "s" },
                plural_warnings(warnings)
            ));
        } else {
            output::note(format!(
                "found {errors} error{}{}",
                if errors == 1 { "" } else { "s" },
                plural_warnings(warnings)
            ));
        }
    }
    // The process ends here: freeing every source, AST and typed KPI would only cost time.
    std::mem::forget(compiled);
    Ok(exit(errors == 0))
}

fn plural_warnings(n: usize) -> String {
    match n {
        0 => String::new(),
        1 => ", 1 warning".into(),
        n => format!(", {n} warnings"),
    }
}
