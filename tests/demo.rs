//! `scripts/demo --dry-run`: which way it obtains DuckDB (the prebuilt library from npm for
//! this platform, or the 35-minute bundled build) and why, on faked machines. The builds
//! themselves are not run here.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// A machine: what `uname -s`, `uname -m` and `ldd --version` say, and whether npm exists.
struct Machine {
    os: &'static str,
    arch: &'static str,
    libc: &'static str,
    npm: bool,
}

fn fake(dir: &Path, name: &str, body: &str) {
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(&path)
        .status()
        .unwrap();
}

/// The dry run's output on `machine`, with only the tools the dry run needs on PATH.
fn dry_run(machine: &Machine, env: &[(&str, &str)]) -> String {
    let bin = tempfile::tempdir().unwrap();
    for tool in ["dirname", "grep"] {
        let real = ["/usr/bin", "/bin"]
            .iter()
            .map(|d| PathBuf::from(d).join(tool))
            .find(|p| p.exists())
            .unwrap();
        std::os::unix::fs::symlink(real, bin.path().join(tool)).unwrap();
    }
    fake(
        bin.path(),
        "uname",
        &format!(
            "case \"$1\" in -s) echo {};; -m) echo {};; esac",
            machine.os, machine.arch
        ),
    );
    fake(bin.path(), "ldd", &format!("echo '{}'", machine.libc));
    if machine.npm {
        fake(bin.path(), "npm", "exit 0");
    }
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/demo");
    let mut cmd = Command::new("/bin/bash");
    cmd.arg(&script)
        .arg("--dry-run")
        .env_clear()
        .env("PATH", bin.path());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

const GLIBC: &str = "ldd (Debian GLIBC 2.36-9) 2.36";
const MUSL: &str = "musl libc (x86_64)";

#[test]
fn with_npm_each_platform_takes_its_prebuilt_package() {
    for (os, arch, libc, package) in [
        (
            "Linux",
            "x86_64",
            GLIBC,
            "@duckdb/node-bindings-linux-x64@1.5.6-r.1",
        ),
        (
            "Linux",
            "x86_64",
            MUSL,
            "@duckdb/node-bindings-linux-x64-musl@1.5.6-r.1",
        ),
        (
            "Linux",
            "aarch64",
            GLIBC,
            "@duckdb/node-bindings-linux-arm64@1.5.6-r.1",
        ),
        (
            "Darwin",
            "arm64",
            "",
            "@duckdb/node-bindings-darwin-arm64@1.5.6-r.1",
        ),
        (
            "Darwin",
            "x86_64",
            "",
            "@duckdb/node-bindings-darwin-x64@1.5.6-r.1",
        ),
    ] {
        let said = dry_run(
            &Machine {
                os,
                arch,
                libc,
                npm: true,
            },
            &[],
        );
        assert!(
            said.starts_with(&format!("DuckDB: prebuilt, {package} from npm into ")),
            "{os}/{arch}: {said}"
        );
        assert!(said.contains("linked with --no-default-features"), "{said}");
    }
}

#[test]
fn without_npm_or_without_a_package_it_says_it_compiles_duckdb_and_how_long_that_takes() {
    let cases = [
        (
            Machine {
                os: "Linux",
                arch: "x86_64",
                libc: GLIBC,
                npm: false,
            },
            "npm is not installed",
        ),
        (
            Machine {
                os: "FreeBSD",
                arch: "amd64",
                libc: "",
                npm: true,
            },
            "DuckDB publishes no prebuilt library for FreeBSD on amd64",
        ),
        (
            Machine {
                os: "Linux",
                arch: "aarch64",
                libc: MUSL,
                npm: true,
            },
            "no prebuilt library for musl on arm64",
        ),
        (
            Machine {
                os: "MINGW64_NT-10.0",
                arch: "x86_64",
                libc: "",
                npm: true,
            },
            "without the import library (duckdb.lib)",
        ),
    ];
    for (machine, why) in cases {
        let said = dry_run(&machine, &[]);
        assert!(
            said.starts_with(
                "DuckDB: compiled from C++ (the bundled feature), about 35 minutes on two cores"
            ),
            "{said}"
        );
        assert!(
            said.contains(why),
            "{} {}: {said}",
            machine.os,
            machine.arch
        );
    }
}

#[test]
fn a_library_given_in_duckdb_lib_dir_wins() {
    let machine = Machine {
        os: "Linux",
        arch: "x86_64",
        libc: GLIBC,
        npm: false,
    };
    let said = dry_run(&machine, &[("DUCKDB_LIB_DIR", "/opt/duckdb")]);
    assert_eq!(
        said,
        "DuckDB: the library in DUCKDB_LIB_DIR (/opt/duckdb), linked with --no-default-features.\n"
    );
}

/// The binary linked to the prebuilt library finds it by its rpath: it runs, and opens the
/// embedded engine, with no library path in the environment.
#[test]
fn the_binary_runs_without_a_library_path() {
    let lake = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_kpi"))
        .args([
            "sample-data",
            "--quiet",
            "--days",
            "1",
            "--companies",
            "1",
            "--out",
        ])
        .arg(lake.path().join("lake"))
        .env_remove("LD_LIBRARY_PATH")
        .env_remove("DYLD_LIBRARY_PATH")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let project = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("pipelines");
    let out = Command::new(env!("CARGO_BIN_EXE_kpi"))
        .arg("query")
        .arg("--project")
        .arg(&project)
        .arg("--lake")
        .arg(lake.path().join("lake"))
        .arg("SELECT count(*) AS n FROM master.companies")
        .env_remove("LD_LIBRARY_PATH")
        .env_remove("DYLD_LIBRARY_PATH")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.lines().last().is_some_and(|l| l.trim() == "1"),
        "{text}"
    );
}
