//! Helpers of the CLI black-box tests: copies of `pipelines/`, small lakes, whole-tree
//! snapshots to compare byte for byte.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[path = "../common/mod.rs"]
mod common;

// Each test crate uses some of them.
#[allow(unused_imports)]
pub use common::{Run, copy_tree, kpi, root, run};

pub fn kpi_in(dir: &Path, args: &[&str]) -> Run {
    common::run_in(dir, args)
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
