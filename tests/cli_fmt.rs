//! `kpi fmt` as a black box: `--check` lists what would change and writes nothing; a plain
//! run rewrites only those files; `-` is standard input; a file that does not parse is
//! reported as `kpi check` reports it and never written.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod cli_support;

use cli_support::{kpi, kpi_in, pipelines_in, root, run, snapshot};
use std::io::Write as _;
use std::process::Stdio;

const MESSY: &str = "kpi messy {   from events e\n measure n=count(*) // how many\n}\n";
const CANONICAL: &str = "kpi messy {\n  from events e\n  measure n = count(*) // how many\n}\n";

#[test]
fn the_pipelines_are_formatted() {
    let out = kpi_in(&root(), &["fmt", "--check", "pipelines"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(out.stdout, "");
    assert!(
        out.stderr.contains("4 files already formatted"),
        "{}",
        out.stderr
    );
}

#[test]
fn check_lists_the_files_that_would_change_and_a_run_rewrites_only_them() {
    let dir = tempfile::tempdir().unwrap();
    let project = pipelines_in(dir.path());
    std::fs::write(project.join("messy.kpi"), MESSY).unwrap();
    let activity = project.join("activity.kpi");
    let untouched = std::fs::metadata(&activity).unwrap().modified().unwrap();
    let before = snapshot(&project);

    let check = kpi_in(&project, &["fmt", "--check"]);
    assert_eq!(check.code, 1, "{}", check.stderr);
    assert_eq!(check.stdout, "messy.kpi\n");
    assert!(
        check
            .stderr
            .contains("1 file would change, 4 files already formatted")
    );
    assert_eq!(snapshot(&project), before, "--check wrote a file");

    let format = kpi_in(
        dir.path(),
        &["fmt", "pipelines/messy.kpi", "pipelines/activity.kpi"],
    );
    assert_eq!(format.code, 0, "{}", format.stderr);
    assert_eq!(format.stdout, "");
    assert_eq!(
        std::fs::read_to_string(project.join("messy.kpi")).unwrap(),
        CANONICAL
    );
    assert_eq!(
        std::fs::metadata(&activity).unwrap().modified().unwrap(),
        untouched
    );
    let leftovers: Vec<_> = std::fs::read_dir(&project)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");

    let again = kpi_in(dir.path(), &["fmt", "--check", "pipelines"]);
    assert_eq!(
        (again.code, again.stdout.as_str()),
        (0, ""),
        "{}",
        again.stderr
    );
}

#[test]
fn a_file_that_does_not_parse_is_reported_as_check_reports_it_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let project = pipelines_in(dir.path());
    let broken = "kpi broken {\n  from events e\n  measure n = count(*) +\n}\n";
    std::fs::write(project.join("broken.kpi"), broken).unwrap();
    std::fs::write(project.join("messy.kpi"), MESSY).unwrap();

    let check = kpi_in(&project, &["check"]);
    let format = kpi_in(&project, &["fmt"]);
    assert_eq!((check.code, format.code), (1, 1), "{}", format.stderr);
    let diagnostic = |stderr: &str| -> String {
        stderr
            .lines()
            .take_while(|l| !l.starts_with("found") && !l.contains("not formatted"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert!(
        format.stderr.contains("broken.kpi:4:1"),
        "{}",
        format.stderr
    );
    assert_eq!(diagnostic(&format.stderr), diagnostic(&check.stderr));
    assert!(
        format
            .stderr
            .contains("1 file not formatted: syntax errors")
    );
    assert_eq!(
        std::fs::read_to_string(project.join("broken.kpi")).unwrap(),
        broken
    );
    // The other files are still formatted.
    assert_eq!(
        std::fs::read_to_string(project.join("messy.kpi")).unwrap(),
        CANONICAL
    );
}

fn with_stdin(args: &[&str], input: &str) -> cli_support::Run {
    let mut cmd = kpi();
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    cli_support::Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn a_dash_formats_standard_input_to_standard_output() {
    let out = with_stdin(&["fmt", "-"], MESSY);
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, CANONICAL),
        "{}",
        out.stderr
    );

    let check = with_stdin(&["fmt", "--check", "-"], MESSY);
    assert_eq!((check.code, check.stdout.as_str()), (1, "<stdin>\n"));
    let clean = with_stdin(&["fmt", "--check", "-"], CANONICAL);
    assert_eq!((clean.code, clean.stdout.as_str()), (0, ""));

    let broken = with_stdin(&["fmt", "-"], "kpi a { from }");
    assert_eq!((broken.code, broken.stdout.as_str()), (1, ""));
    assert!(broken.stderr.contains("<stdin>:1:14"), "{}", broken.stderr);
}

#[test]
fn a_directory_is_formatted_whole_and_a_missing_path_is_an_environment_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("a/target")).unwrap();
    std::fs::write(dir.path().join("a/one.kpi"), MESSY).unwrap();
    std::fs::write(dir.path().join("a/target/built.kpi"), MESSY).unwrap();
    let out = run(kpi().args(["fmt", "a"]).current_dir(dir.path()));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("a/one.kpi")).unwrap(),
        CANONICAL
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("a/target/built.kpi")).unwrap(),
        MESSY
    );

    let missing = run(kpi().args(["fmt", "nowhere.kpi"]).current_dir(dir.path()));
    assert_eq!(missing.code, 2, "{}", missing.stderr);
}
