//! Shared test helpers: run the `kpi` binary on a project laid out in a fresh directory.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

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

pub fn run_in(dir: &Path, args: &[&str]) -> Run {
    run(kpi().args(args).current_dir(dir))
}

/// Runs a command to its end: its exit code (-1 when a signal ended it) and its output.
pub fn run(cmd: &mut Command) -> Run {
    let out: Output = cmd.output().expect("kpi runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Lays a case out as a project in a fresh directory: the case's own files, plus (when it
/// has no kpi.yaml) the shared `tests/project.yaml` and the test catalog.
pub fn project_from(case: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let files: Vec<PathBuf> = if case.is_dir() {
        copy_tree(case, dir.path());
        Vec::new()
    } else {
        vec![case.to_path_buf()]
    };
    for file in files {
        let name = file.file_name().expect("file name");
        std::fs::copy(&file, dir.path().join(name)).expect("copy case");
    }
    if !dir.path().join("kpi.yaml").exists() {
        let shared =
            std::fs::read_to_string(root().join("tests/project.yaml")).expect("project.yaml");
        std::fs::write(
            dir.path().join("kpi.yaml"),
            format!("catalog: catalog/\n{shared}"),
        )
        .expect("write kpi.yaml");
        std::fs::create_dir_all(dir.path().join("catalog")).expect("catalog dir");
        std::fs::copy(
            root().join("tests/catalog/lake.yaml"),
            dir.path().join("catalog/lake.yaml"),
        )
        .expect("copy catalog");
    }
    dir
}

/// Copies a directory tree into `to`, creating it, leaving out `target/` (build output).
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read case") {
        let entry = entry.expect("entry");
        if entry.file_name() == "target" {
            continue;
        }
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// Entries of a corpus folder, sorted, skipping the snapshot folders.
pub fn corpus(folder: &str) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(root().join(folder))
        .expect("corpus folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.file_name().is_some_and(|n| n != "snapshots"))
        .collect();
    entries.sort();
    entries
}

pub fn case_name(path: &Path) -> String {
    path.file_stem()
        .expect("stem")
        .to_string_lossy()
        .into_owned()
}
