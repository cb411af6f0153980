//! `kpi fmt [--check] [PATH]...`: .kpi files → the canonical layout. Writes only the files
//! that change, each atomically (a temporary file renamed over it); with `--check`, writes
//! nothing and lists them. A file that does not parse is reported as `kpi check` reports it,
//! and left alone.

use super::exit;
use crate::error::CliError;
use crate::load::{ProjectDir, find_project};
use crate::output::{self, Format};
use kpi_compiler::span::Sources;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Format .kpi files in the one canonical layout, comments kept.
///
/// Formatting changes no meaning: the KPIs parse to the same definitions and keep their
/// fingerprints. Without PATH, formats every .kpi file of the project.
///
/// Example: `kpi fmt --check pipelines`
#[derive(Debug, clap::Args)]
pub struct Args {
    /// .kpi files, or directories whose .kpi files are formatted (hidden directories and
    /// `target` left out, as a project's files are found); `-` reads standard input and prints
    /// the result on standard output.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Write nothing: list the files that would change, and exit 1 when there is one.
    #[arg(long)]
    pub check: bool,
    /// The project whose .kpi files are formatted when no PATH is given. Default: the nearest
    /// directory at or above the current one holding kpi.yaml.
    #[arg(long, value_name = "DIR")]
    pub project: Option<PathBuf>,
}

/// What happened to the files, for the exit code and the summary.
#[derive(Default)]
struct Tally {
    changed: usize,
    unchanged: usize,
    failed: usize,
}

pub fn run(args: Args) -> Result<ExitCode, CliError> {
    // Each file to read, and its name as the user sees it.
    let mut files: Vec<(PathBuf, String)> = Vec::new();
    let mut stdin = false;
    let shown = |p: &Path| p.to_string_lossy().replace('\\', "/");
    if args.paths.is_empty() {
        let dir = find_project(args.project.as_deref(), None)?;
        for f in kpi_files(&dir.root)? {
            files.push((dir.root.join(&f), dir.show(&shown(&f))));
        }
    }
    for path in &args.paths {
        if path.as_os_str() == "-" {
            stdin = true;
        } else if path.is_dir() {
            for f in kpi_files(path)? {
                let file = path.join(f);
                files.push((file.clone(), shown(&file)));
            }
        } else {
            files.push((path.clone(), shown(path)));
        }
    }
    let mut tally = Tally::default();
    if stdin {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(CliError::io("read", "standard input"))?;
        match formatted("<stdin>", text.clone())? {
            Some(out) if args.check => {
                if out != text {
                    tally.changed += 1;
                    output::print("<stdin>\n")?;
                }
            }
            Some(out) => output::print(&out)?,
            None => tally.failed += 1,
        }
    }
    for (file, shown) in &files {
        let bytes = std::fs::read(file).map_err(CliError::io("read", file.clone()))?;
        let text = match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(e) => {
                output::error(format!(
                    "{shown} is not valid UTF-8 (byte offset {})",
                    e.utf8_error().valid_up_to()
                ));
                tally.failed += 1;
                continue;
            }
        };
        match formatted(shown, text.clone())? {
            None => tally.failed += 1,
            Some(out) if out == text => tally.unchanged += 1,
            Some(out) => {
                tally.changed += 1;
                if args.check {
                    output::print(&format!("{shown}\n"))?;
                } else {
                    replace(file, &out)?;
                    output::detail(format!("formatted {shown}"));
                }
            }
        }
    }
    if !files.is_empty() {
        summary(&tally, args.check);
    }
    Ok(exit(
        tally.failed == 0 && !(args.check && tally.changed > 0),
    ))
}

/// The canonical text, or `None` after printing the syntax errors.
fn formatted(name: &str, text: String) -> Result<Option<String>, CliError> {
    let mut sources = Sources::new();
    let id = sources.add(name, text);
    match kpi_compiler::format::format(&sources, id) {
        Ok(out) => Ok(Some(out)),
        Err(errors) => {
            let diagnostics: Vec<_> = errors.iter().map(|e| e.to_diagnostic()).collect();
            let here = ProjectDir {
                root: PathBuf::new(),
                shown: PathBuf::new(),
            };
            output::diagnostics(&diagnostics, &sources, &here, Format::Human)?;
            Ok(None)
        }
    }
}

/// One line on stderr: what changed (or would), what was already formatted, what failed.
fn summary(tally: &Tally, check: bool) {
    let files = |n: usize| format!("{n} file{}", if n == 1 { "" } else { "s" });
    let mut parts = Vec::new();
    if tally.changed > 0 || tally.unchanged == 0 {
        parts.push(if check {
            format!("{} would change", files(tally.changed))
        } else {
            format!("formatted {}", files(tally.changed))
        });
    }
    if tally.unchanged > 0 {
        parts.push(format!("{} already formatted", files(tally.unchanged)));
    }
    if tally.failed > 0 {
        parts.push(format!(
            "{} not formatted: syntax errors",
            files(tally.failed)
        ));
    }
    output::note(parts.join(", "));
}

/// Writes `text` beside `file`, then renames it over `file`: a reader (or a crash) sees the
/// old file or the new one, never half of one. The file keeps its permissions.
fn replace(file: &Path, text: &str) -> Result<(), CliError> {
    let name = file.file_name().map(|n| n.to_string_lossy().into_owned());
    let temp = file.with_file_name(format!(
        ".{}.fmt-{}",
        name.unwrap_or_default(),
        std::process::id()
    ));
    let write = || -> std::io::Result<()> {
        std::fs::write(&temp, text)?;
        std::fs::set_permissions(&temp, std::fs::metadata(file)?.permissions())?;
        std::fs::rename(&temp, file)
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        CliError::Io {
            action: "write",
            path: file.to_path_buf(),
            error: e,
        }
    })
}

/// The .kpi files below `dir`, relative to it, sorted; hidden directories and `target` are
/// left out, as the compiler driver leaves them out of a project.
fn kpi_files(dir: &Path) -> Result<Vec<PathBuf>, CliError> {
    let mut out = Vec::new();
    let mut pending = vec![PathBuf::new()];
    while let Some(rel) = pending.pop() {
        let at = dir.join(&rel);
        let entries = std::fs::read_dir(&at).map_err(CliError::io("read", at.clone()))?;
        for entry in entries {
            let entry = entry.map_err(CliError::io("read", at.clone()))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = rel.join(&name);
            if entry.path().is_dir() {
                if !name.starts_with('.') && name != "target" {
                    pending.push(path);
                }
            } else if name.ends_with(".kpi") {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}
