//! `kpi check`: load, check, print diagnostics; exit 1 when any is an error.

use crate::load::{self, LoadError};
use crate::{Format, output};
use std::path::PathBuf;
use std::process::ExitCode;

pub fn run(project: Option<PathBuf>, format: Format) -> Result<ExitCode, LoadError> {
    let dir = load::find_project(project)?;
    let (loaded, checked) = super::load_and_check(&dir)?;
    let diagnostics = &checked.diagnostics;
    output::diagnostics(diagnostics, &loaded.sources, format);
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    if format == Format::Human {
        let kpis = checked.program.as_ref().map_or(0, |p| p.kpis.len());
        if errors == 0 {
            eprintln!(
                "checked {kpis} KPIs in {} files: no errors{}",
                loaded.kpi_files.len(),
                plural_warnings(warnings)
            );
        } else {
            eprintln!(
                "found {errors} error{}{}",
                if errors == 1 { "" } else { "s" },
                plural_warnings(warnings)
            );
        }
    }
    Ok(if errors == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn plural_warnings(n: usize) -> String {
    match n {
        0 => String::new(),
        1 => ", 1 warning".into(),
        n => format!(", {n} warnings"),
    }
}
