//! Disk → compiler input: finds the project, reads kpi.yaml, the catalog snapshot and every
//! `.kpi` file into one `Sources` table. The only place the CLI touches project files.

use kpi_compiler::diagnostic::Diagnostic;
use kpi_compiler::project::{Project, parse_project};
use kpi_compiler::span::{FileId, Sources};
use std::fmt;
use std::path::{Path, PathBuf};

/// A failure of the environment, not of the user's input: exit code 2.
#[derive(Debug)]
pub enum LoadError {
    NoProject {
        from: PathBuf,
    },
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::NoProject { from } => write!(
                f,
                "no kpi.yaml in {} or any directory above it; pass --project DIR",
                from.display()
            ),
            LoadError::Io { path, error } => write!(f, "cannot read {}: {error}", path.display()),
        }
    }
}

pub struct Loaded {
    pub sources: Sources,
    pub project: Option<Project>,
    pub catalog_files: Vec<FileId>,
    pub kpi_files: Vec<FileId>,
    /// Problems found while loading (kpi.yaml errors, missing catalog files).
    pub diagnostics: Vec<Diagnostic>,
}

/// `--project`, or the nearest directory at or above the current one holding kpi.yaml.
pub fn find_project(explicit: Option<PathBuf>) -> Result<PathBuf, LoadError> {
    if let Some(dir) = explicit {
        return Ok(dir);
    }
    let cwd = std::env::current_dir().map_err(|error| LoadError::Io {
        path: ".".into(),
        error,
    })?;
    let mut dir: &Path = &cwd;
    let mut relative = PathBuf::from(".");
    loop {
        if dir.join("kpi.yaml").is_file() {
            return Ok(relative);
        }
        match dir.parent() {
            Some(parent) => {
                dir = parent;
                relative.push("..");
            }
            None => return Err(LoadError::NoProject { from: cwd }),
        }
    }
}

/// The name a file is shown under: the project path as given, then the path inside it.
fn display_name(project: &Path, inner: &Path) -> String {
    let joined = if project == Path::new(".") {
        inner.to_path_buf()
    } else {
        project.join(inner)
    };
    joined.to_string_lossy().replace('\\', "/")
}

fn read(path: &Path) -> Result<String, LoadError> {
    std::fs::read_to_string(path).map_err(|error| LoadError::Io {
        path: path.to_path_buf(),
        error,
    })
}

pub fn load(dir: &Path) -> Result<Loaded, LoadError> {
    let mut sources = Sources::new();
    let yaml_path = dir.join("kpi.yaml");
    if !yaml_path.is_file() {
        return Err(LoadError::NoProject {
            from: dir.to_path_buf(),
        });
    }
    let project_file = sources.add(display_name(dir, Path::new("kpi.yaml")), read(&yaml_path)?);
    let (project, mut diagnostics) = parse_project(&sources, project_file);
    let mut catalog_files = Vec::new();
    if let Some(project) = &project {
        for entry in &project.catalog {
            let path = dir.join(&entry.value);
            let files = if path.is_dir() {
                list_files(&path, &["json", "yaml", "yml"])?
            } else {
                vec![path.clone()]
            };
            if files.is_empty() {
                diagnostics.push(
                    Diagnostic::error("E0118", "catalog snapshot not found")
                        .label(entry.span, format!("{} holds no .json or .yaml file", display_name(dir, Path::new(&entry.value))))
                        .help("Save the output of `aws glue get-tables --database-name DB` in this directory."),
                );
            }
            for file in files {
                if !file.is_file() {
                    diagnostics.push(
                        Diagnostic::error("E0118", "catalog snapshot not found")
                            .label(entry.span, format!("there is no file or directory {}", display_name(dir, Path::new(&entry.value))))
                            .help("Point `catalog:` at the snapshot printed by `aws glue get-tables`, relative to kpi.yaml."),
                    );
                    continue;
                }
                let inner = file.strip_prefix(dir).unwrap_or(&file);
                catalog_files.push(sources.add(display_name(dir, inner), read(&file)?));
            }
        }
    }
    let mut kpi_files = Vec::new();
    for file in list_files(dir, &["kpi"])? {
        let inner = file.strip_prefix(dir).unwrap_or(&file);
        kpi_files.push(sources.add(display_name(dir, inner), read(&file)?));
    }
    Ok(Loaded {
        sources,
        project,
        catalog_files,
        kpi_files,
        diagnostics,
    })
}

/// Files with one of `extensions` under `dir`, recursively, sorted; hidden directories and
/// `target` are skipped.
fn list_files(dir: &Path, extensions: &[&str]) -> Result<Vec<PathBuf>, LoadError> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        let entries = std::fs::read_dir(&current).map_err(|error| LoadError::Io {
            path: current.clone(),
            error,
        })?;
        for entry in entries {
            let entry = entry.map_err(|error| LoadError::Io {
                path: current.clone(),
                error,
            })?;
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().to_string();
            if path.is_dir() {
                if !name.starts_with('.') && name != "target" {
                    pending.push(path);
                }
            } else if path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| extensions.contains(&e))
            {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}
