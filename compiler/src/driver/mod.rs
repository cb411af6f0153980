//! The compiler driver: a project's files, read through a [`FileSource`] (the disk, a git
//! revision, an in-memory [`Overlay`]), → its sources, diagnostics, checked program and, when
//! asked, its build artifacts. Every caller goes through here, so every caller compiles alike.
//!
//! Pure: every byte comes from the caller's `FileSource`. Files are named relative to the
//! project root (`kpi.yaml`, `catalog/app_logs.json`, `activity.kpi`), so nothing the driver
//! returns depends on where the project lies or how its path was spelt.

use crate::build::Artifacts;
use crate::catalog::Catalog;
use crate::diagnostic::Diagnostic;
use crate::ir::Program;
use crate::project::{Project, parse_project};
use crate::span::{FileId, Sources, Span};

mod overlay;
pub mod parallel;
#[cfg(test)]
mod tests;

pub use overlay::Overlay;

/// What a [`FileSource`] finds at a path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryKind {
    File,
    Dir,
}

/// One entry of a directory listing: its name (no `/`) and kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub kind: EntryKind,
}

/// A failure of the file source, not of the user's input: the caller reports it (exit 2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceError {
    /// The project root holds no kpi.yaml.
    NoProject,
    /// The source could not list or read `path` (permissions, a damaged disk, a missing object).
    Unreadable { path: String, reason: String },
}

/// Where the project's files come from. Paths are relative to the project root and use `/`;
/// `""` is the root itself. A path may start with `../` when kpi.yaml points outside the root.
pub trait FileSource {
    /// What `path` is, or `None` when nothing is there.
    fn kind(&self, path: &str) -> Result<Option<EntryKind>, SourceError>;
    /// The entries of the directory `dir`, in any order.
    fn list(&self, dir: &str) -> Result<Vec<Entry>, SourceError>;
    /// The bytes of the file `path`.
    fn read(&self, path: &str) -> Result<Vec<u8>, SourceError>;
    /// The bytes of each of `paths`, in order: one by one unless the source can do better
    /// (the disk reads on every core).
    fn read_all(&self, paths: &[String]) -> Vec<Result<Vec<u8>, SourceError>> {
        paths.iter().map(|p| self.read(p)).collect()
    }
}

/// How far to go.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Also lower and emit every artifact (when the front end found no error).
    pub build: bool,
    /// Leave the `.kpi` files out: the project's settings and sources alone. `kpi query` reads
    /// a lake this way while a KPI definition does not check.
    pub sources_only: bool,
    /// The caller's process ends once it has the result (`kpi check`): what the compiler is
    /// done with is left to the operating system instead of being freed.
    pub process_exits: bool,
}

/// Everything one compilation found.
#[derive(Debug)]
pub struct Compiled {
    /// Every file read, named relative to the project root.
    pub sources: Sources,
    pub project: Option<Project>,
    pub catalog: Catalog,
    pub catalog_files: Vec<FileId>,
    pub kpi_files: Vec<FileId>,
    /// `None` when kpi.yaml could not be read as a project.
    pub program: Option<Program>,
    /// With [`Options::build`], when the front end found no error.
    pub artifacts: Option<Artifacts>,
    /// Every diagnostic of every stage, sorted by place.
    pub diagnostics: Vec<Diagnostic>,
}

impl Compiled {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// A problem the driver itself finds in the user's files. Worded here, once.
#[derive(Clone, Debug, PartialEq, Eq)]
enum LoadProblem {
    /// The file is not UTF-8; `offset` is the first invalid byte.
    InvalidUtf8 {
        file: FileId,
        offset: usize,
        byte: u8,
    },
    /// A `catalog:` entry names nothing.
    CatalogMissing { span: Span, path: String },
    /// A `catalog:` directory holds no snapshot file.
    CatalogEmpty { span: Span, path: String },
}

impl LoadProblem {
    fn to_diagnostic(&self, sources: &Sources) -> Diagnostic {
        match self {
            LoadProblem::InvalidUtf8 { file, offset, byte } => {
                let at = sources.line_col(*file, *offset as u32);
                Diagnostic::error(
                    "E0007",
                    format!(
                        "{} is not valid UTF-8: byte 0x{byte:02X} at line {}, column {} (byte offset {offset})",
                        sources.name(*file), at.line, at.column
                    ),
                )
                .label(Span::new(*file, *offset, *offset + 1), "this byte is not UTF-8")
                .help("Save the file as UTF-8 (most editors offer it under \"Save with encoding\").")
            }
            LoadProblem::CatalogMissing { span, path } => {
                Diagnostic::error("E0118", "catalog snapshot not found")
                    .label(*span, format!("there is no file or directory {path}"))
                    .help("Point `catalog:` at the snapshot printed by `aws glue get-tables`, relative to kpi.yaml.")
            }
            LoadProblem::CatalogEmpty { span, path } => {
                Diagnostic::error("E0118", "catalog snapshot not found")
                    .label(*span, format!("{path} holds no .json or .yaml file"))
                    .help("Save the output of `aws glue get-tables --database-name DB` in this directory.")
            }
        }
    }
}

/// `rel` joined to the directory `base` (both relative to the root), with `.` and `..`
/// resolved in the text; `..` above the root is kept.
pub fn normalize(base: &str, rel: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    let joined = if rel.starts_with('/') {
        rel.to_string()
    } else {
        format!("{base}/{rel}")
    };
    for part in joined.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|p| *p != "..") => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    let text = parts.join("/");
    if rel.starts_with('/') {
        format!("/{text}")
    } else {
        text
    }
}

/// Compiles the project `files` holds.
pub fn compile(files: &dyn FileSource, options: &Options) -> Result<Compiled, SourceError> {
    if files.kind("kpi.yaml")? != Some(EntryKind::File) {
        return Err(SourceError::NoProject);
    }
    let mut sources = Sources::new();
    let mut problems = Vec::new();
    let project_file = read(&mut sources, &mut problems, files, "kpi.yaml")?;
    let (project, mut diagnostics) = parse_project(&sources, project_file);
    let mut catalog_files = Vec::new();
    for entry in project.iter().flat_map(|p| &p.catalog) {
        let path = normalize("", &entry.value);
        let found = match files.kind(&path)? {
            Some(EntryKind::Dir) => {
                let found = walk(files, &path, &["json", "yaml", "yml"])?;
                if found.is_empty() {
                    problems.push(LoadProblem::CatalogEmpty {
                        span: entry.span,
                        path: entry.value.clone(),
                    });
                }
                found
            }
            Some(EntryKind::File) => vec![path],
            None => {
                problems.push(LoadProblem::CatalogMissing {
                    span: entry.span,
                    path: entry.value.clone(),
                });
                Vec::new()
            }
        };
        for file in found {
            catalog_files.push(read(&mut sources, &mut problems, files, &file)?);
        }
    }
    let mut kpi_files = Vec::new();
    if !options.sources_only {
        let paths = walk(files, "", &["kpi"])?;
        for (path, bytes) in paths.iter().zip(files.read_all(&paths)) {
            kpi_files.push(add(&mut sources, &mut problems, path, bytes?));
        }
    }
    diagnostics.extend(problems.iter().map(|p| p.to_diagnostic(&sources)));
    let after = if options.process_exits {
        crate::AfterCheck::Leak
    } else {
        crate::AfterCheck::Free
    };
    let mut checked = crate::check_project_then(
        &sources,
        project.as_ref(),
        &catalog_files,
        &kpi_files,
        after,
    );
    diagnostics.append(&mut checked.diagnostics);
    let mut artifacts = None;
    let front_end_clean = !diagnostics.iter().any(Diagnostic::is_error);
    if let (true, true, Some(project), Some(program)) =
        (options.build, front_end_clean, &project, &checked.program)
    {
        let (built, mut found) = crate::build::build(&sources, project, &checked.catalog, program);
        diagnostics.append(&mut found);
        artifacts = Some(built);
    }
    Ok(Compiled {
        sources,
        project,
        catalog: checked.catalog,
        catalog_files,
        kpi_files,
        program: checked.program,
        artifacts,
        diagnostics: crate::diagnostic::sorted(diagnostics),
    })
}

/// Reads one file into `sources`.
fn read(
    sources: &mut Sources,
    problems: &mut Vec<LoadProblem>,
    files: &dyn FileSource,
    path: &str,
) -> Result<FileId, SourceError> {
    Ok(add(sources, problems, path, files.read(path)?))
}

/// One file's bytes into `sources`. Bytes that are not UTF-8 are the user's input, not a
/// failure of the source: the file is kept (invalid bytes replaced) and a problem recorded.
fn add(
    sources: &mut Sources,
    problems: &mut Vec<LoadProblem>,
    path: &str,
    bytes: Vec<u8>,
) -> FileId {
    match String::from_utf8(bytes) {
        Ok(text) => sources.add(path, text),
        Err(e) => {
            let offset = e.utf8_error().valid_up_to();
            let byte = e.as_bytes().get(offset).copied().unwrap_or(0);
            let file = sources.add(path, String::from_utf8_lossy(e.as_bytes()).into_owned());
            problems.push(LoadProblem::InvalidUtf8 { file, offset, byte });
            file
        }
    }
}

/// Files with one of `extensions` under `dir`, recursively, sorted; hidden directories and
/// `target` (build output) are skipped.
fn walk(
    files: &dyn FileSource,
    dir: &str,
    extensions: &[&str],
) -> Result<Vec<String>, SourceError> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_string()];
    while let Some(current) = pending.pop() {
        for entry in files.list(&current)? {
            let path = normalize(&current, &entry.name);
            match entry.kind {
                EntryKind::Dir => {
                    if !entry.name.starts_with('.') && entry.name != "target" {
                        pending.push(path);
                    }
                }
                EntryKind::File => {
                    let extension = entry.name.rsplit_once('.').map(|(_, e)| e);
                    if extension.is_some_and(|e| extensions.contains(&e)) {
                        out.push(path);
                    }
                }
            }
        }
    }
    // By path component, as a directory listing reads (`a/b.kpi` before `a.kpi` would not).
    out.sort_by(|a, b| a.split('/').cmp(b.split('/')));
    Ok(out)
}
