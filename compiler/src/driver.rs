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
use std::collections::BTreeMap;

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
}

/// Files held in memory, shown over an optional base source: the editor's unsaved buffers over
/// the disk, or a whole project in a test.
#[derive(Default)]
pub struct Overlay<'a> {
    base: Option<&'a dyn FileSource>,
    files: BTreeMap<String, Vec<u8>>,
}

impl<'a> Overlay<'a> {
    /// Only the files added.
    pub fn new() -> Overlay<'a> {
        Overlay::default()
    }

    /// The files added, over `base`.
    pub fn over(base: &'a dyn FileSource) -> Overlay<'a> {
        Overlay {
            base: Some(base),
            files: BTreeMap::new(),
        }
    }

    /// Adds (or replaces) a file.
    pub fn file(mut self, path: &str, bytes: impl Into<Vec<u8>>) -> Overlay<'a> {
        self.files.insert(normalize("", path), bytes.into());
        self
    }

    /// The names directly under `dir` of the files held in memory, with their kinds.
    fn own_entries(&self, dir: &str) -> BTreeMap<String, EntryKind> {
        let prefix = if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        };
        let mut out = BTreeMap::new();
        for path in self.files.keys() {
            if let Some(rest) = path.strip_prefix(&prefix) {
                match rest.split_once('/') {
                    Some((d, _)) => out.insert(d.to_string(), EntryKind::Dir),
                    None => out.insert(rest.to_string(), EntryKind::File),
                };
            }
        }
        out
    }
}

impl FileSource for Overlay<'_> {
    fn kind(&self, path: &str) -> Result<Option<EntryKind>, SourceError> {
        if self.files.contains_key(path) {
            return Ok(Some(EntryKind::File));
        }
        let below = format!("{path}/");
        if path.is_empty() || self.files.keys().any(|p| p.starts_with(&below)) {
            return Ok(Some(EntryKind::Dir));
        }
        self.base.map_or(Ok(None), |b| b.kind(path))
    }

    fn list(&self, dir: &str) -> Result<Vec<Entry>, SourceError> {
        let mut entries = self.own_entries(dir);
        if let Some(base) = self.base
            && base.kind(dir)? == Some(EntryKind::Dir)
        {
            for e in base.list(dir)? {
                entries.entry(e.name).or_insert(e.kind);
            }
        }
        Ok(entries
            .into_iter()
            .map(|(name, kind)| Entry { name, kind })
            .collect())
    }

    fn read(&self, path: &str) -> Result<Vec<u8>, SourceError> {
        match (self.files.get(path), self.base) {
            (Some(bytes), _) => Ok(bytes.clone()),
            (None, Some(base)) => base.read(path),
            (None, None) => Err(SourceError::Unreadable {
                path: path.to_string(),
                reason: "no such file".into(),
            }),
        }
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
    let project_file = add(&mut sources, &mut problems, files, "kpi.yaml")?;
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
            catalog_files.push(add(&mut sources, &mut problems, files, &file)?);
        }
    }
    let mut kpi_files = Vec::new();
    if !options.sources_only {
        for file in walk(files, "", &["kpi"])? {
            kpi_files.push(add(&mut sources, &mut problems, files, &file)?);
        }
    }
    diagnostics.extend(problems.iter().map(|p| p.to_diagnostic(&sources)));
    let mut checked = crate::check_project(&sources, project.as_ref(), &catalog_files, &kpi_files);
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

/// Reads one file into `sources`. Bytes that are not UTF-8 are the user's input, not a
/// failure of the source: the file is kept (invalid bytes replaced) and a problem recorded.
fn add(
    sources: &mut Sources,
    problems: &mut Vec<LoadProblem>,
    files: &dyn FileSource,
    path: &str,
) -> Result<FileId, SourceError> {
    let bytes = files.read(path)?;
    Ok(match String::from_utf8(bytes) {
        Ok(text) => sources.add(path, text),
        Err(e) => {
            let offset = e.utf8_error().valid_up_to();
            let byte = e.as_bytes().get(offset).copied().unwrap_or(0);
            let file = sources.add(path, String::from_utf8_lossy(e.as_bytes()).into_owned());
            problems.push(LoadProblem::InvalidUtf8 { file, offset, byte });
            file
        }
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    const PROJECT: &str = "name: t\ncatalog: catalog/\nsources:\n  events:\n    table: app_logs.events\n    kind: events\n    partition: dt\ntarget:\n  database: t_kpi\n  location: s3://lake/kpi/\n  workgroup: kpi\n  concurrency: 2\n  history_start: 2024-01-01\n";
    const CATALOG: &str = "databases:\n  app_logs:\n    events:\n      location: s3://lake/app_logs/events/\n      format: json\n      columns:\n        member_id: bigint\n        kind: string\n      partition_keys:\n        dt: string\n";
    const POSTS: &str =
        "kpi posts {\n  from events e\n  where e.kind = 'post'\n  measure posts = count(*)\n}\n";

    fn project() -> Overlay<'static> {
        Overlay::new()
            .file("kpi.yaml", PROJECT)
            .file("catalog/app_logs.yaml", CATALOG)
            .file("posts.kpi", POSTS)
    }

    fn codes(compiled: &Compiled) -> Vec<&'static str> {
        compiled.diagnostics.iter().map(|d| d.code.0).collect()
    }

    #[test]
    fn an_in_memory_project_builds_with_root_relative_names() {
        let compiled = compile(
            &project(),
            &Options {
                build: true,
                ..Options::default()
            },
        )
        .unwrap();
        assert_eq!(codes(&compiled), Vec::<&str>::new());
        let names: Vec<&str> = compiled
            .sources
            .iter()
            .map(|(_, f)| f.name.as_str())
            .collect();
        assert_eq!(names, ["kpi.yaml", "catalog/app_logs.yaml", "posts.kpi"]);
        let program = compiled.program.as_ref().unwrap();
        assert_eq!(
            program
                .kpis
                .iter()
                .map(|k| k.name.as_str())
                .collect::<Vec<_>>(),
            ["posts"]
        );
        let artifacts = compiled.artifacts.as_ref().unwrap();
        assert!(artifacts.files.contains_key("manifest.json"));
        assert!(
            artifacts
                .files
                .contains_key(crate::build::STATE_MACHINE_FILE)
        );
        assert!(
            artifacts
                .files
                .keys()
                .any(|k| k.starts_with("athena/posts/"))
        );
    }

    #[test]
    fn checking_alone_builds_nothing_and_sources_only_reads_no_kpi_file() {
        let checked = compile(&project(), &Options::default()).unwrap();
        assert!(checked.artifacts.is_none() && !checked.has_errors());
        let only = compile(
            &project().file("broken.kpi", "kpi {"),
            &Options {
                sources_only: true,
                build: true,
            },
        )
        .unwrap();
        assert_eq!(codes(&only), Vec::<&str>::new());
        assert!(only.kpi_files.is_empty());
        let artifacts = only.artifacts.unwrap();
        assert!(artifacts.plan.kpis.is_empty());
        assert_eq!(
            artifacts
                .plan
                .sources
                .iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>(),
            ["events"]
        );
    }

    #[test]
    fn a_file_that_is_not_utf8_is_one_diagnostic_and_the_others_are_still_checked() {
        let mut bytes = b"kpi naive {\n  // na\xEFve\n".to_vec();
        bytes.extend_from_slice(b"  from events e\n  measure n = count(*)\n}\n");
        let files = project().file("latin1.kpi", bytes).file(
            "typo.kpi",
            "kpi typo {\n  from events e\n  measure n = count(distinct e.membr_id)\n}\n",
        );
        let compiled = compile(
            &files,
            &Options {
                build: true,
                ..Options::default()
            },
        )
        .unwrap();
        assert!(
            compiled.artifacts.is_none(),
            "nothing is built from a file that is not UTF-8"
        );
        let utf8: Vec<&Diagnostic> = compiled
            .diagnostics
            .iter()
            .filter(|d| d.code.0 == "E0007")
            .collect();
        assert_eq!(utf8.len(), 1, "{:?}", compiled.diagnostics);
        // `ï` in Latin-1 is 0xEF: line 2, after `  // na` (7 characters), byte offset 12 + 7.
        assert_eq!(
            utf8[0].message,
            "latin1.kpi is not valid UTF-8: byte 0xEF at line 2, column 8 (byte offset 19)"
        );
        let span = utf8[0].primary.as_ref().unwrap().span;
        assert_eq!(
            (compiled.sources.name(span.file), span.start, span.end),
            ("latin1.kpi", 19, 20)
        );
        assert!(
            codes(&compiled).contains(&"E0202"),
            "typo.kpi is still checked: {:?}",
            codes(&compiled)
        );
    }

    #[test]
    fn kpi_yaml_and_catalog_files_that_are_not_utf8_are_diagnostics_too() {
        let files = project().file("catalog/app_logs.yaml", b"databases: {}\n# \xFF\n".to_vec());
        let compiled = compile(&files, &Options::default()).unwrap();
        let first = compiled
            .diagnostics
            .iter()
            .find(|d| d.code.0 == "E0007")
            .unwrap();
        assert!(
            first.message.starts_with(
                "catalog/app_logs.yaml is not valid UTF-8: byte 0xFF at line 2, column 3"
            ),
            "{}",
            first.message
        );
        let files = project().file("kpi.yaml", [PROJECT.as_bytes(), b"# \xC3\n"].concat());
        let compiled = compile(&files, &Options::default()).unwrap();
        assert!(
            codes(&compiled).contains(&"E0007"),
            "{:?}",
            codes(&compiled)
        );
    }

    #[test]
    fn a_missing_or_empty_catalog_is_e0118_and_a_missing_kpi_yaml_is_no_project() {
        let files = Overlay::new()
            .file("kpi.yaml", PROJECT)
            .file("posts.kpi", POSTS);
        let compiled = compile(&files, &Options::default()).unwrap();
        let e = compiled
            .diagnostics
            .iter()
            .find(|d| d.code.0 == "E0118")
            .unwrap();
        assert_eq!(
            e.primary.as_ref().unwrap().message,
            "there is no file or directory catalog/"
        );
        let files = Overlay::new()
            .file("kpi.yaml", PROJECT)
            .file("catalog/README.md", "x");
        let compiled = compile(&files, &Options::default()).unwrap();
        let e = compiled
            .diagnostics
            .iter()
            .find(|d| d.code.0 == "E0118")
            .unwrap();
        assert_eq!(
            e.primary.as_ref().unwrap().message,
            "catalog/ holds no .json or .yaml file"
        );
        let err = compile(
            &Overlay::new().file("posts.kpi", POSTS),
            &Options::default(),
        )
        .unwrap_err();
        assert_eq!(err, SourceError::NoProject);
    }

    #[test]
    fn an_overlay_shows_its_files_over_the_base() {
        let base = project();
        let edited = Overlay::over(&base).file(
            "posts.kpi",
            "kpi posts {\n  from events e\n  measure n = count(e.nope)\n}\n",
        );
        assert_eq!(
            codes(&compile(&base, &Options::default()).unwrap()),
            Vec::<&str>::new()
        );
        assert_eq!(
            codes(&compile(&edited, &Options::default()).unwrap()),
            ["E0202"]
        );
        let added = Overlay::over(&base).file(
            "more/other.kpi",
            "kpi other {\n  from posts p\n  measure n = sum(p.posts)\n}\n",
        );
        let compiled = compile(&added, &Options::default()).unwrap();
        assert_eq!(codes(&compiled), Vec::<&str>::new());
        let names: Vec<&str> = compiled
            .kpi_files
            .iter()
            .map(|f| compiled.sources.name(*f))
            .collect();
        assert_eq!(names, ["more/other.kpi", "posts.kpi"]);
    }

    #[test]
    fn paths_are_normalised_in_the_text() {
        assert_eq!(normalize("", "./catalog/"), "catalog");
        assert_eq!(normalize("a/b", "../c.kpi"), "a/c.kpi");
        assert_eq!(
            normalize("", "../shared/catalog.json"),
            "../shared/catalog.json"
        );
        assert_eq!(normalize("", "x\\y.json"), "x/y.json");
        assert_eq!(normalize("", "/abs/cat.json"), "/abs/cat.json");
    }
}
