//! How the CLI prints: a command's result to stdout (a reader that goes away ends the command
//! quietly), notes and diagnostics to stderr; colours by `--color` and `NO_COLOR`; `--quiet`
//! keeps only results and errors, `--verbose` adds what was read and decided.

use crate::error::CliError;
use crate::load::ProjectDir;
use kpi_compiler::diagnostic::{Diagnostic, RenderOptions, render_human, render_json};
use kpi_compiler::span::Sources;
use std::io::{IsTerminal, Write};
use std::sync::OnceLock;

/// `--color`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set.
    Auto,
    Always,
    Never,
}

/// `--format` of the commands that print diagnostics.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Rendered for people, with the source line.
    Human,
    /// One JSON array on stdout, for editors and CI.
    Json,
}

#[derive(Debug, Clone, Copy)]
struct Settings {
    color: bool,
    quiet: bool,
    verbose: bool,
}

static SETTINGS: OnceLock<Settings> = OnceLock::new();

fn settings() -> Settings {
    *SETTINGS.get_or_init(|| Settings {
        color: false,
        quiet: false,
        verbose: false,
    })
}

/// Settles colour and verbosity for the whole run.
pub fn init(color: ColorChoice, quiet: bool, verbose: bool) {
    let color = match color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stderr().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    let _ = SETTINGS.set(Settings {
        color,
        quiet,
        verbose,
    });
}

pub fn color() -> bool {
    settings().color
}

pub fn quiet() -> bool {
    settings().quiet
}

/// Writes a command's result to stdout. A closed stdout (`kpi … | head`) is not an error of
/// ours: the command stops, and exits as the reader expects.
pub fn print(text: &str) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(CliError::ClosedStdout),
        Err(e) => Err(CliError::Io {
            action: "write",
            path: "standard output".into(),
            error: e,
        }),
    }
}

/// Writes to stderr; a closed stderr loses the text, never the command.
fn to_stderr(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes()).and_then(|()| err.flush());
}

/// A summary or progress line on stderr; not with `--quiet`.
pub fn note(text: impl std::fmt::Display) {
    if !quiet() {
        to_stderr(&format!("{text}\n"));
    }
}

/// What was read and decided; only with `--verbose`.
pub fn detail(text: impl std::fmt::Display) {
    if settings().verbose {
        to_stderr(&format!("{text}\n"));
    }
}

/// An error that is not a diagnostic; always printed.
pub fn error(text: impl std::fmt::Display) {
    to_stderr(&format!("error: {text}\n"));
}

/// The sources under the names the user sees (relative to the working directory).
fn shown(sources: &Sources, dir: &ProjectDir) -> Sources {
    let mut out = Sources::new();
    for (_, file) in sources.iter() {
        out.add(dir.show(&file.name), file.text.clone());
    }
    out
}

/// Prints diagnostics: rendered on stderr, or as one JSON array on stdout.
pub fn diagnostics(
    diagnostics: &[Diagnostic],
    sources: &Sources,
    dir: &ProjectDir,
    format: Format,
) -> Result<(), CliError> {
    let sources = shown(sources, dir);
    match format {
        Format::Human => {
            let options = RenderOptions {
                color: color(),
                width: 100,
            };
            to_stderr(&render_human(diagnostics, &sources, options));
            Ok(())
        }
        Format::Json => {
            let json = render_json(diagnostics, &sources);
            let text = serde_json::to_string_pretty(&json).unwrap_or_else(|_| "[]".into());
            print(&format!("{text}\n"))
        }
    }
}
