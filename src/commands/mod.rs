//! One module per subcommand, and the one way they all compile a project: the compiler
//! driver over the disk.

pub mod aws;
pub mod build;
pub mod check;
pub mod completions;
pub mod debug;
pub mod diff;
pub mod diff_data;
pub mod explain;
pub mod fmt;
pub mod graph;
pub mod init;
pub mod lsp;
pub mod progress;
pub mod query;
pub mod run;
pub mod sample_data;
pub mod sfn;

use crate::error::CliError;
use crate::load::{Disk, ProjectDir};
use crate::output::{self, Format};
use kpi_compiler::driver::{self, Compiled, Options};
use std::process::ExitCode;

/// Compiles the project in `dir` through the driver; prints nothing but `--verbose` details.
pub fn compile(dir: &ProjectDir, options: Options) -> Result<Compiled, CliError> {
    output::detail(format!("project {}", dir.shown_root()));
    let compiled = driver::compile(&Disk { root: &dir.root }, &options)
        .map_err(|e| CliError::from_source(e, &dir.root))?;
    for (_, file) in compiled.sources.iter() {
        output::detail(format!(
            "  read {} ({} bytes)",
            dir.show(&file.name),
            file.text.len()
        ));
    }
    Ok(compiled)
}

/// Compiles and prints the diagnostics; `None` when any is an error.
pub fn compile_clean(
    dir: &ProjectDir,
    options: Options,
    format: Format,
) -> Result<Option<Compiled>, CliError> {
    let compiled = compile(dir, options)?;
    output::diagnostics(&compiled.diagnostics, &compiled.sources, dir, format)?;
    Ok((!compiled.has_errors() && compiled.program.is_some()).then_some(compiled))
}

/// 0 when `ok`, else 1: the user's input has errors.
pub fn exit(ok: bool) -> ExitCode {
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
