//! A git revision → the compiler driver: [`GitRevision`], the `FileSource` that reads a
//! project's files as a commit has them, from git's objects, without touching the working
//! tree or the index. It runs the `git` binary: `rev-parse` to find the repository and the
//! commit, `ls-tree -r -z` once for the commit's tree, and one `cat-file --batch` process for
//! every blob read.

use crate::error::CliError;
use kpi_compiler::driver::{Entry, EntryKind, FileSource, SourceError, normalize};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

/// The project's files at one commit. Paths the driver asks for are relative to the project
/// directory, which may lie below the repository's top level.
pub struct GitRevision {
    repo: PathBuf,
    /// The commit, as 40 (or 64) hex digits.
    pub commit: String,
    /// The project directory inside the repository (`""` at the top, else `a/b`).
    prefix: String,
    /// Every blob of the commit, by its path from the repository's top level.
    blobs: BTreeMap<String, String>,
    /// Every directory of the commit (`""` is the top level).
    dirs: BTreeSet<String>,
    batch: RefCell<Option<Batch>>,
}

impl std::fmt::Debug for GitRevision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitRevision")
            .field("repo", &self.repo)
            .field("commit", &self.commit)
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

/// A running `git cat-file --batch`.
struct Batch {
    child: Child,
    input: ChildStdin,
    output: BufReader<ChildStdout>,
}

impl Drop for Batch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `git -C dir args…`, its standard output, or what it said on standard error.
fn git(dir: &Path, args: &[&str]) -> Result<Vec<u8>, String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    }
}

fn line(bytes: Vec<u8>) -> String {
    String::from_utf8_lossy(&bytes)
        .trim_end_matches('\n')
        .to_string()
}

impl GitRevision {
    /// The files of `project` (a directory on disk inside a git work tree) at `revision`.
    pub fn open(project: &Path, revision: &str) -> Result<GitRevision, CliError> {
        let shown = project.display();
        let prefix = git(project, &["rev-parse", "--show-prefix"]).map_err(|e| {
            CliError::usage(format!(
                "{shown} is not inside a git repository, so --base cannot be read ({e})"
            ))
        })?;
        let prefix = line(prefix).trim_end_matches('/').to_string();
        let spec = format!("{revision}^{{commit}}");
        let commit = git(project, &["rev-parse", "--verify", "--quiet", "--end-of-options", &spec])
            .map_err(|_| {
                CliError::usage(format!(
                    "unknown revision `{revision}` in the repository of {shown}; name a commit, branch or tag (fetch it first if it lives on a remote)"
                ))
            })?;
        let commit = line(commit);
        let listing = git(project, &["ls-tree", "-r", "-z", "--full-tree", &commit])
            .map_err(|e| CliError::usage(format!("cannot list {revision} ({commit}): {e}")))?;
        let mut blobs = BTreeMap::new();
        let mut dirs = BTreeSet::from([String::new()]);
        for record in listing.split(|b| *b == 0).filter(|r| !r.is_empty()) {
            let record = String::from_utf8_lossy(record);
            // `<mode> <type> <object>\t<path>`; links and submodules are not project files.
            let Some((meta, path)) = record.split_once('\t') else {
                continue;
            };
            let mut fields = meta.split(' ');
            let (Some(mode), Some("blob"), Some(object)) =
                (fields.next(), fields.next(), fields.next())
            else {
                continue;
            };
            if mode == "120000" {
                continue;
            }
            let mut parent = path;
            while let Some((dir, _)) = parent.rsplit_once('/') {
                dirs.insert(dir.to_string());
                parent = dir;
            }
            blobs.insert(path.to_string(), object.to_string());
        }
        Ok(GitRevision {
            repo: project.to_path_buf(),
            commit,
            prefix,
            blobs,
            dirs,
            batch: RefCell::new(None),
        })
    }

    /// The path from the repository's top level of a path the driver names.
    fn in_repo(&self, path: &str) -> Result<String, SourceError> {
        let full = normalize(&self.prefix, path);
        if full.starts_with("../") || full == ".." || full.starts_with('/') {
            return Err(SourceError::Unreadable {
                path: path.to_string(),
                reason: "outside the git repository, so not part of a revision".into(),
            });
        }
        Ok(full)
    }

    fn read_object(&self, object: &str) -> Result<Vec<u8>, String> {
        let mut slot = self.batch.borrow_mut();
        if slot.is_none() {
            let mut child = Command::new("git")
                .arg("-C")
                .arg(&self.repo)
                .args(["cat-file", "--batch"])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .map_err(|e| format!("cannot run git cat-file: {e}"))?;
            let (Some(input), Some(output)) = (child.stdin.take(), child.stdout.take()) else {
                let _ = child.kill();
                let _ = child.wait();
                return Err("git cat-file gave no pipes".into());
            };
            *slot = Some(Batch {
                child,
                input,
                output: BufReader::new(output),
            });
        }
        let Some(batch) = slot.as_mut() else {
            return Err("git cat-file is not running".into());
        };
        let broken = |e: std::io::Error| format!("git cat-file: {e}");
        writeln!(batch.input, "{object}").map_err(broken)?;
        batch.input.flush().map_err(broken)?;
        let mut header = String::new();
        batch.output.read_line(&mut header).map_err(broken)?;
        // `<object> blob <size>`, or `<object> missing`.
        let size: usize = header
            .split_whitespace()
            .nth(2)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("git cat-file: {}", header.trim()))?;
        let mut bytes = vec![0; size + 1];
        batch.output.read_exact(&mut bytes).map_err(broken)?;
        bytes.pop();
        Ok(bytes)
    }
}

impl FileSource for GitRevision {
    fn kind(&self, path: &str) -> Result<Option<EntryKind>, SourceError> {
        let Ok(full) = self.in_repo(path) else {
            return Ok(None);
        };
        Ok(if self.blobs.contains_key(&full) {
            Some(EntryKind::File)
        } else if self.dirs.contains(&full) {
            Some(EntryKind::Dir)
        } else {
            None
        })
    }

    fn list(&self, dir: &str) -> Result<Vec<Entry>, SourceError> {
        let full = self.in_repo(dir)?;
        let below = if full.is_empty() {
            String::new()
        } else {
            format!("{full}/")
        };
        let direct = |path: &String| -> Option<String> {
            let rest = path.strip_prefix(&below)?;
            (!rest.is_empty() && !rest.contains('/')).then(|| rest.to_string())
        };
        let mut out: Vec<Entry> = self
            .blobs
            .keys()
            .filter_map(direct)
            .map(|name| Entry {
                name,
                kind: EntryKind::File,
            })
            .collect();
        out.extend(self.dirs.iter().filter_map(direct).map(|name| Entry {
            name,
            kind: EntryKind::Dir,
        }));
        Ok(out)
    }

    fn read(&self, path: &str) -> Result<Vec<u8>, SourceError> {
        let full = self.in_repo(path)?;
        let object = self
            .blobs
            .get(&full)
            .ok_or_else(|| SourceError::Unreadable {
                path: path.to_string(),
                reason: format!("no such file at {}", self.commit),
            })?;
        self.read_object(object)
            .map_err(|reason| SourceError::Unreadable {
                path: path.to_string(),
                reason,
            })
    }
}
