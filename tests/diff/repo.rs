//! The git repositories of the `kpi diff` tests: a copy of `pipelines/` below the
//! repository's top (as in a real repository), committed, then changed.

#![allow(dead_code)]

use crate::cli_support::{Run, kpi_in, pipelines_in};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Repo {
    pub dir: tempfile::TempDir,
    pub project: PathBuf,
}

pub fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(["-c", "user.name=kpi", "-c", "user.email=kpi@example.com"])
        .args([
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Repo {
    /// `pipelines/` committed as the base.
    pub fn new() -> Repo {
        let dir = tempfile::tempdir().unwrap();
        let project = pipelines_in(dir.path());
        git(dir.path(), &["init", "-q"]);
        git(dir.path(), &["add", "."]);
        git(dir.path(), &["commit", "-qm", "base"]);
        Repo { dir, project }
    }

    /// Replaces `from` (which must be there) by `to` in a file of the project.
    pub fn edit(&self, file: &str, from: &str, to: &str) -> &Repo {
        let path = self.project.join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{file} has no {from:?}");
        std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
        self
    }

    /// Rewrites the block of one KPI (`kpi NAME {` to its closing `}`).
    pub fn edit_kpi(&self, file: &str, kpi: &str, f: impl Fn(&str) -> String) -> &Repo {
        let path = self.project.join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        let start = text.find(&format!("kpi {kpi} {{")).unwrap();
        let end = start + text[start..].find("\n}\n").unwrap() + 3;
        let block = f(&text[start..end]);
        std::fs::write(&path, format!("{}{block}{}", &text[..start], &text[end..])).unwrap();
        self
    }

    /// Removes one KPI, its doc comment included.
    pub fn remove_kpi(&self, file: &str, kpi: &str) -> &Repo {
        let path = self.project.join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        let at = text.find(&format!("kpi {kpi} {{")).unwrap();
        let mut start = at;
        while let Some(line_start) = text[..start.saturating_sub(1)].rfind('\n').map(|i| i + 1) {
            if !text[line_start..start].starts_with("///") {
                break;
            }
            start = line_start;
        }
        let end = at + text[at..].find("\n}\n").unwrap() + 3;
        std::fs::write(&path, format!("{}{}", &text[..start], &text[end..])).unwrap();
        self
    }

    pub fn commit(&self) {
        git(self.dir.path(), &["commit", "-qam", "head"]);
    }

    pub fn diff(&self, args: &[&str]) -> Run {
        let mut all = vec!["diff", "--project", "pipelines"];
        all.extend(args);
        kpi_in(self.dir.path(), &all)
    }

    /// The JSON diff of the working tree against the base commit.
    pub fn json(&self) -> Value {
        let run = self.diff(&["--base", "HEAD", "--format", "json"]);
        assert!(run.code == 0 || run.code == 1, "{}", run.stderr);
        serde_json::from_str(&run.stdout).unwrap()
    }
}

pub fn kpi<'a>(diff: &'a Value, name: &str) -> &'a Value {
    diff["kpis"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == name)
        .unwrap_or_else(|| panic!("{name} is not in the diff: {diff:#}"))
}

pub fn names(items: &Value, field: &str) -> Vec<String> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i[field].as_str().unwrap().to_string())
        .collect()
}
