//! How the CLI prints: colours only on a terminal without NO_COLOR, diagnostics to stderr.

use kpi_compiler::diagnostic::{Diagnostic, RenderOptions, render_human, render_json};
use kpi_compiler::span::Sources;
use std::io::IsTerminal;

use crate::Format;

pub fn color() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Prints diagnostics in the chosen format; JSON goes to stdout as one array.
pub fn diagnostics(diagnostics: &[Diagnostic], sources: &Sources, format: Format) {
    match format {
        Format::Human => {
            let options = RenderOptions {
                color: color(),
                width: 100,
            };
            eprint!("{}", render_human(diagnostics, sources, options));
        }
        Format::Json => {
            let json = render_json(diagnostics, sources);
            println!(
                "{}",
                serde_json::to_string_pretty(&json).unwrap_or_else(|_| "[]".into())
            );
        }
    }
}

pub fn environment_error(e: &crate::load::LoadError) {
    eprintln!("error: {e}");
}
