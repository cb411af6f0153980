//! The CLI as a black box, on the conventions users expect: every flag described, shell
//! completions that complete, `--quiet`, `--verbose`, `--color` and NO_COLOR.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod cli_support;

use cli_support::{kpi, kpi_in, root, run};

/// Every command path of the CLI, as `kpi help` lists them.
const COMMANDS: &[&[&str]] = &[
    &[],
    &["init"],
    &["check"],
    &["fmt"],
    &["build"],
    &["graph"],
    &["diff"],
    &["sample-data"],
    &["run"],
    &["query"],
    &["sfn"],
    &["sfn", "run"],
    &["explain"],
    &["debug"],
    &["debug", "ast"],
    &["debug", "ir"],
    &["completions"],
];

/// The entries of the `Arguments:` and `Options:` sections of a help text that have no
/// description: clap prints the flag alone on its line.
fn undescribed(help: &str) -> Vec<String> {
    let mut missing = Vec::new();
    let mut in_section = false;
    let mut pending: Option<String> = None;
    for line in help.lines() {
        if line == "Arguments:" || line == "Options:" {
            in_section = true;
            continue;
        }
        if !line.starts_with(' ') {
            in_section = false;
        }
        if !in_section || line.trim().is_empty() {
            continue;
        }
        let text = line.trim_start();
        let indent = line.len() - text.len();
        let is_entry = indent <= 6
            && (text.starts_with('-') || text.starts_with('<') || text.starts_with('['));
        if is_entry {
            if let Some(p) = pending.take() {
                missing.push(p);
            }
            // The flag and its value name, then two spaces, then the description.
            match text.split_once("  ") {
                Some((_, description)) if !description.trim().is_empty() => {}
                _ => pending = Some(text.to_string()),
            }
        } else {
            pending = None;
        }
    }
    missing.extend(pending);
    missing
}

#[test]
fn every_argument_and_flag_of_every_command_has_a_description() {
    for path in COMMANDS {
        let mut args: Vec<&str> = path.to_vec();
        args.push("--help");
        let out = kpi_in(&root(), &args);
        assert_eq!(out.code, 0, "kpi {args:?}: {}", out.stderr);
        assert!(
            out.stdout.contains("Options:"),
            "kpi {args:?}:\n{}",
            out.stdout
        );
        let missing = undescribed(&out.stdout);
        assert!(
            missing.is_empty(),
            "kpi {}: {missing:?} without a description\n{}",
            path.join(" "),
            out.stdout
        );
        if !path.is_empty() && !matches!(*path, ["sfn"] | ["debug"]) {
            assert!(
                out.stdout.contains("Example: `kpi"),
                "kpi {} has no example:\n{}",
                path.join(" "),
                out.stdout
            );
        }
    }
    let debug = kpi_in(&root(), &["debug", "ast", "--help"]);
    assert!(
        debug.stdout.contains("[FILE]")
            && debug
                .stdout
                .contains("A .kpi file; default: every .kpi file of the project"),
        "{}",
        debug.stdout
    );
}

#[test]
fn the_check_of_descriptions_can_fail() {
    let help = "Options:\n      --project <DIR>\n      --format <FORMAT>  How to print\n";
    assert_eq!(undescribed(help), ["--project <DIR>"]);
}

#[test]
fn completions_are_generated_for_each_shell_and_bash_completes_subcommands() {
    for (shell, marker) in [
        ("bash", "complete -F _kpi"),
        ("zsh", "#compdef kpi"),
        ("fish", "complete -c kpi"),
        ("elvish", "edit:completion:arg-completer[kpi]"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let out = kpi_in(&root(), &["completions", shell]);
        assert_eq!(out.code, 0, "{shell}: {}", out.stderr);
        assert!(out.stdout.contains(marker), "{shell}: no {marker:?}");
        assert!(out.stdout.contains("sample-data"), "{shell}");
    }
    let script = kpi_in(&root(), &["completions", "bash"]).stdout;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("kpi.bash");
    std::fs::write(&file, script).unwrap();
    // As bash calls it: the words so far, then `_kpi COMMAND CURRENT PREVIOUS`.
    let complete = |words: &[&str]| {
        let cword = words.len() - 1;
        let program = format!(
            "source {}; COMP_WORDS=({}); COMP_CWORD={cword}; _kpi kpi '{}' '{}'; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            file.display(),
            words.join(" "),
            words[cword],
            words[cword - 1],
        );
        let out = std::process::Command::new("bash")
            .args(["-c", &program])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let subcommands: Vec<String> = complete(&["kpi", "sa"])
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(subcommands, ["sample-data"]);
    let flags = complete(&["kpi", "run", "--fo"]);
    assert!(
        flags.lines().any(|l| l == "--force") && flags.lines().any(|l| l == "--format"),
        "{flags}"
    );
}

#[test]
fn quiet_keeps_results_and_errors_and_verbose_tells_what_was_read() {
    let quiet = kpi_in(&root(), &["check", "--project", "pipelines", "--quiet"]);
    assert_eq!((quiet.code, quiet.stderr.as_str()), (0, ""));
    let normal = kpi_in(&root(), &["check", "--project", "pipelines"]);
    assert_eq!(normal.stderr, "checked 16 KPIs in 4 files: no errors\n");
    let verbose = kpi_in(&root(), &["-v", "check", "--project", "pipelines"]);
    assert!(
        verbose
            .stderr
            .starts_with("project pipelines\n  read pipelines/kpi.yaml ("),
        "{}",
        verbose.stderr
    );
    assert!(
        verbose.stderr.contains("  read pipelines/activity.kpi ("),
        "{}",
        verbose.stderr
    );
    let explained = kpi_in(&root(), &["explain", "E0202", "-q"]);
    assert!(
        explained.stdout.starts_with("# E0202"),
        "results stay with --quiet"
    );
    let both = kpi_in(&root(), &["check", "-q", "-v"]);
    assert_eq!(both.code, 2, "{}", both.stderr);
    let broken = tempfile::tempdir().unwrap();
    let errors = kpi_in(broken.path(), &["check", "-q"]);
    assert_eq!(errors.code, 2);
    assert!(
        errors.stderr.starts_with("error: no kpi.yaml in"),
        "errors stay with --quiet: {}",
        errors.stderr
    );
}

#[test]
fn colour_follows_the_flag_then_no_color() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("kpi.yaml"), "name: x\n").unwrap();
    let escapes = |args: &[&str], no_color: Option<&str>| {
        let mut cmd = kpi();
        cmd.args(args)
            .current_dir(dir.path())
            .env_remove("NO_COLOR");
        if let Some(v) = no_color {
            cmd.env("NO_COLOR", v);
        }
        let out = run(&mut cmd);
        assert_eq!(out.code, 1, "{}", out.stderr);
        out.stderr.contains('\u{1b}')
    };
    assert!(
        escapes(&["check", "--color", "always"], Some("1")),
        "--color always wins over NO_COLOR"
    );
    assert!(!escapes(&["check", "--color", "never"], None));
    assert!(
        !escapes(&["check", "--color", "auto"], None),
        "auto: stderr is not a terminal here"
    );
    assert!(!escapes(&["check"], Some("1")));
}
