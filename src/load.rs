//! Disk → the compiler driver: which directory is the project (and how to show its paths to
//! the user), and [`Disk`], the `FileSource` that reads it. The only place the CLI reads
//! project files.

use crate::error::CliError;
use kpi_compiler::driver::{Entry, EntryKind, FileSource, SourceError};
use std::path::{Component, Path, PathBuf};

/// A project directory found on disk.
#[derive(Debug, Clone)]
pub struct ProjectDir {
    /// Absolute and canonical: what the driver reads, whatever the working directory.
    pub root: PathBuf,
    /// The root as the user sees it: relative to the working directory when they share more
    /// than the file-system root (empty when it is the working directory), else absolute.
    pub shown: PathBuf,
}

impl ProjectDir {
    /// How a file named `inner` (relative to the root, as the driver names it) is shown.
    pub fn show(&self, inner: &str) -> String {
        if self.shown.as_os_str().is_empty() {
            return inner.to_string();
        }
        let joined = if inner.is_empty() {
            self.shown.clone()
        } else {
            self.shown.join(inner)
        };
        joined.to_string_lossy().replace('\\', "/")
    }

    /// The name the driver gives `file` (a path as the shell sees it): relative to the root.
    pub fn name_of(&self, file: &Path) -> Result<String, CliError> {
        let absolute = file
            .canonicalize()
            .map_err(CliError::io("read", file.to_path_buf()))?;
        let relative = absolute.strip_prefix(&self.root).map_err(|_| {
            CliError::usage(format!(
                "{} is not inside the project {}",
                file.display(),
                self.shown_root()
            ))
        })?;
        Ok(relative.to_string_lossy().replace('\\', "/"))
    }

    /// The project directory as the user sees it (`.` for the working directory).
    pub fn shown_root(&self) -> String {
        match self.show("") {
            s if s.is_empty() => ".".into(),
            s => s,
        }
    }

    /// The lake used when `--lake` is not given: `lake` beside the project directory.
    pub fn default_lake(&self) -> PathBuf {
        self.root.parent().unwrap_or(&self.root).join("lake")
    }
}

fn cwd() -> Result<PathBuf, CliError> {
    std::env::current_dir()
        .and_then(|d| d.canonicalize())
        .map_err(CliError::io("read", "the working directory"))
}

/// `path` relative to the working directory, for messages; absolute when they share nothing
/// but the file-system root.
pub fn shown(path: &Path) -> PathBuf {
    // A path that does not exist (yet) is shown by its parent's place.
    let canonical = path.canonicalize().ok().or_else(|| {
        let parent = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        Some(parent.canonicalize().ok()?.join(path.file_name()?))
    });
    let (Ok(cwd), Some(path)) = (cwd(), canonical) else {
        return path.to_path_buf();
    };
    relative(&path, &cwd).unwrap_or(path)
}

fn relative(path: &Path, base: &Path) -> Option<PathBuf> {
    let ours: Vec<Component<'_>> = path.components().collect();
    let theirs: Vec<Component<'_>> = base.components().collect();
    let common = ours.iter().zip(&theirs).take_while(|(a, b)| a == b).count();
    // Only the root (and a Windows prefix) in common: an absolute path reads better.
    if common <= 1 && ours.len() > 1 {
        return None;
    }
    let mut out = PathBuf::new();
    for _ in common..theirs.len() {
        out.push("..");
    }
    for part in &ours[common..] {
        out.push(part);
    }
    Some(out)
}

fn project_at(dir: &Path) -> Result<ProjectDir, CliError> {
    let root = dir.canonicalize().map_err(|_| CliError::NoProject {
        dir: dir.to_path_buf(),
        searched_up: false,
    })?;
    if !root.join("kpi.yaml").is_file() {
        return Err(CliError::NoProject {
            dir: dir.to_path_buf(),
            searched_up: false,
        });
    }
    let shown = relative(&root, &cwd()?).unwrap_or_else(|| root.clone());
    Ok(ProjectDir { root, shown })
}

/// The nearest directory at or above `start` holding kpi.yaml.
fn search_up(start: &Path) -> Option<PathBuf> {
    let start = start.canonicalize().ok()?;
    start
        .ancestors()
        .find(|d| d.join("kpi.yaml").is_file())
        .map(Path::to_path_buf)
}

/// `--project`, else the nearest directory holding kpi.yaml at or above `near` (a file the
/// command was given), else at or above the working directory.
pub fn find_project(explicit: Option<&Path>, near: Option<&Path>) -> Result<ProjectDir, CliError> {
    if let Some(dir) = explicit {
        return project_at(dir);
    }
    let near_dir = near.map(|f| {
        f.parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf()
    });
    if let Some(found) = near_dir.as_deref().and_then(search_up) {
        return project_at(&found);
    }
    let cwd = cwd()?;
    match search_up(&cwd) {
        Some(found) => project_at(&found),
        None => Err(CliError::NoProject {
            dir: cwd,
            searched_up: true,
        }),
    }
}

/// The project's files on disk. Paths are relative to `root`; `../` and absolute paths
/// (from a `catalog:` entry) reach outside it, as the user wrote.
#[derive(Debug)]
pub struct Disk<'a> {
    pub root: &'a Path,
}

impl Disk<'_> {
    fn path(&self, path: &str) -> PathBuf {
        if path.is_empty() {
            self.root.to_path_buf()
        } else {
            self.root.join(path)
        }
    }
}

fn unreadable(path: &str, e: &std::io::Error) -> SourceError {
    SourceError::Unreadable {
        path: path.to_string(),
        reason: e.to_string(),
    }
}

impl FileSource for Disk<'_> {
    fn kind(&self, path: &str) -> Result<Option<EntryKind>, SourceError> {
        match std::fs::metadata(self.path(path)) {
            Ok(m) if m.is_dir() => Ok(Some(EntryKind::Dir)),
            Ok(_) => Ok(Some(EntryKind::File)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(unreadable(path, &e)),
        }
    }

    fn list(&self, dir: &str) -> Result<Vec<Entry>, SourceError> {
        let entries = std::fs::read_dir(self.path(dir)).map_err(|e| unreadable(dir, &e))?;
        let mut out = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| unreadable(dir, &e))?;
            // Followed like any path: a link to a directory is a directory. Only links cost a
            // second look; the listing tells files and directories apart.
            let file_type = entry.file_type().map_err(|e| unreadable(dir, &e))?;
            let is_dir = if file_type.is_symlink() {
                match std::fs::metadata(entry.path()) {
                    Ok(m) => m.is_dir(),
                    // A dangling link is nothing the project holds.
                    Err(_) => continue,
                }
            } else {
                file_type.is_dir()
            };
            let kind = if is_dir {
                EntryKind::Dir
            } else {
                EntryKind::File
            };
            out.push(Entry {
                name: entry.file_name().to_string_lossy().into_owned(),
                kind,
            });
        }
        Ok(out)
    }

    fn read(&self, path: &str) -> Result<Vec<u8>, SourceError> {
        std::fs::read(self.path(path)).map_err(|e| unreadable(path, &e))
    }

    /// On every core: ten thousand small files read one by one were a tenth of a check.
    fn read_all(&self, paths: &[String]) -> Vec<Result<Vec<u8>, SourceError>> {
        kpi_compiler::driver::parallel::map(paths, |p| self.read(p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_shown_relative_when_they_share_a_directory() {
        let at = |p: &str, b: &str| relative(Path::new(p), Path::new(b));
        assert_eq!(at("/w/p", "/w/p"), Some(PathBuf::new()));
        assert_eq!(at("/w/p", "/w"), Some(PathBuf::from("p")));
        assert_eq!(at("/w/p", "/w/p/catalog"), Some(PathBuf::from("..")));
        assert_eq!(at("/w/p", "/w/q/r"), Some(PathBuf::from("../../p")));
        assert_eq!(at("/w/p", "/tmp/x"), None);
    }
}
