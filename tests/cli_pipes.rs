//! Every command that prints, with its reader gone (`kpi … | head` after head exits): it ends
//! quietly with exit 0 (or 141, killed by SIGPIPE, as other CLIs do), never a panic.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod cli_support;

use cli_support::{kpi, kpi_in, pipelines_in, small_lake};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::Stdio;

/// Runs `kpi ARGS` in `dir` with a stdout whose reader is already closed (and, with
/// `close_stderr`, a stderr like it); returns the exit code (141 for SIGPIPE) and stderr.
fn closed(dir: &Path, args: &[&str], close_stderr: bool) -> (i32, String) {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let mut cmd = kpi();
    cmd.args(args).current_dir(dir).stdout(writer);
    if close_stderr {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        cmd.stderr(writer);
    } else {
        cmd.stderr(Stdio::piped());
    }
    let out = cmd.output().unwrap();
    let code = out
        .status
        .code()
        .unwrap_or_else(|| 128 + out.status.signal().unwrap_or(0));
    (code, String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn every_printing_command_ends_quietly_when_its_reader_is_gone() {
    let work = tempfile::tempdir().unwrap();
    let project = pipelines_in(work.path());
    small_lake(work.path());
    let run = kpi_in(&project, &["run"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let machine = project.join("target/kpi/statemachine.asl.json");
    let machine = machine.to_str().unwrap();
    let lake_out = work.path().join("fresh-lake");
    let commands: Vec<Vec<&str>> = vec![
        vec!["check", "--format", "json"],
        vec!["graph"],
        vec!["graph", "--format", "dot"],
        vec!["debug", "ast"],
        vec!["debug", "ir"],
        vec!["explain", "--list"],
        vec!["explain", "E0202"],
        vec!["completions", "bash"],
        vec!["query", "SELECT * FROM app_logs.events"],
        vec![
            "query",
            "--format",
            "json",
            "SELECT * FROM engagement_kpi.daily_active_members",
        ],
        vec!["run", "--force", "--day", "2024-01-02"],
        vec!["run", "--format", "json"],
        vec![
            "sfn",
            "run",
            machine,
            "--input",
            r#"{"dates": ["2024-01-03"], "kpis": ["daily_active_members"]}"#,
            "--history",
        ],
        vec![
            "sample-data",
            "--out",
            lake_out.to_str().unwrap(),
            "--days",
            "1",
            "--companies",
            "1",
        ],
    ];
    for args in &commands {
        let (code, stderr) = closed(&project, args, false);
        assert!(
            code == 0 || code == 141,
            "kpi {args:?} exited {code}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "kpi {args:?}: {stderr}");
        assert!(!stderr.contains("Broken pipe"), "kpi {args:?}: {stderr}");
    }
    // Both streams gone, and diagnostics to print on stderr.
    std::fs::write(
        project.join("typo.kpi"),
        "kpi typo {\n  from events e\n  measure n = count(e.nope)\n}\n",
    )
    .unwrap();
    let (code, _) = closed(&project, &["check"], true);
    assert_eq!(
        code, 1,
        "the typo is still an error when nobody reads about it"
    );
    // `debug ir` prints the IR first, finds stdout closed and stops there.
    let (code, _) = closed(&project, &["debug", "ir"], true);
    assert!(code == 0 || code == 141, "kpi debug ir exited {code}");
}
