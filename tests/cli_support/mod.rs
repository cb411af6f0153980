//! Helpers of the CLI black-box tests: copies of `pipelines/`, small lakes, whole-tree
//! snapshots to compare byte for byte.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn kpi() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kpi"));
    cmd.env("NO_COLOR", "1");
    cmd
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `kpi ARGS` in `dir`.
pub fn kpi_in(dir: &Path, args: &[&str]) -> Run {
    run(kpi().args(args).current_dir(dir))
}

pub fn run(cmd: &mut Command) -> Run {
    let out = cmd.output().expect("kpi runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Copies a tree, leaving out `target/` (build output).
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_name() == "target" {
            continue;
        }
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// `pipelines/` copied to `<dir>/pipelines`; returns that path.
pub fn pipelines_in(dir: &Path) -> PathBuf {
    let to = dir.join("pipelines");
    copy_tree(&root().join("pipelines"), &to);
    to
}

/// Every file under `dir`: relative path → bytes.
pub fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in std::fs::read_dir(&current).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let name = path
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(name, std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

/// A small sample lake at `<dir>/lake` (3 days, 3 companies); returns its event count.
pub fn small_lake(dir: &Path) -> u64 {
    let lake = dir.join("lake");
    let out = kpi_in(
        dir,
        &[
            "sample-data",
            "--out",
            lake.to_str().unwrap(),
            "--days",
            "3",
            "--companies",
            "3",
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let line = out
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("events"))
        .unwrap();
    line.split_whitespace()
        .nth(1)
        .unwrap()
        .replace(',', "")
        .parse()
        .unwrap()
}
