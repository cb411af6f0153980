//! The CLI as a black box, on projects: builds that do not depend on where they are run from,
//! files that are not UTF-8, `check FILE...`, `init`, `graph`, "did you mean" for `--kpi`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod cli_support;

use cli_support::{kpi_in, pipelines_in, root, snapshot};
use std::path::Path;

#[test]
fn builds_are_byte_identical_from_any_directory_and_however_the_project_is_spelt() {
    let work = tempfile::tempdir().unwrap();
    let project = pipelines_in(work.path());
    let absolute = project.to_str().unwrap().to_string();
    let out = |n: u32| work.path().join(format!("out{n}"));
    let o = |n: u32| out(n).to_str().unwrap().to_string();
    let runs: [(&Path, Vec<String>); 6] = [
        (
            work.path(),
            vec!["--project".into(), "pipelines".into(), "--out".into(), o(1)],
        ),
        (
            Path::new("/"),
            vec!["--project".into(), absolute.clone(), "--out".into(), o(2)],
        ),
        (
            work.path(),
            vec![
                "--project".into(),
                "./pipelines/".into(),
                "--out".into(),
                o(3),
            ],
        ),
        (&project, vec!["--out".into(), o(4)]),
        (&project.join("catalog"), vec!["--out".into(), o(5)]),
        (
            &project.join("catalog"),
            vec!["--project".into(), "..".into(), "--out".into(), o(6)],
        ),
    ];
    for (cwd, args) in &runs {
        let mut all = vec!["build"];
        all.extend(args.iter().map(String::as_str));
        let run = kpi_in(cwd, &all);
        assert_eq!(
            run.code,
            0,
            "kpi {all:?} in {}: {}",
            cwd.display(),
            run.stderr
        );
    }
    let first = snapshot(&out(1));
    // 16 KPIs × (4 Athena + 2 DuckDB statements), the machine, the template, the manifest.
    assert_eq!(first.len(), 16 * 6 + 3, "{:?}", first.keys());
    let manifest = String::from_utf8(first["manifest.json"].clone()).unwrap();
    assert!(
        manifest.contains("(activity.kpi:") && !manifest.contains("pipelines/activity.kpi"),
        "check labels name files inside the project"
    );
    assert!(!manifest.contains(work.path().to_str().unwrap()));
    for n in 2..=6 {
        let other = snapshot(&out(n));
        assert_eq!(
            first.keys().collect::<Vec<_>>(),
            other.keys().collect::<Vec<_>>(),
            "out{n}"
        );
        for (name, bytes) in &first {
            assert!(
                other[name] == *bytes,
                "out{n}/{name} differs from out1/{name}"
            );
        }
    }
}

/// A project whose `latin1.kpi` has a Latin-1 `é` (0xE9) in a comment on line 2, and whose
/// `typo.kpi` misspells a column.
fn project_with_latin1() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("latin1.kpi"),
        b"kpi posts {\n  // caf\xE9 posts\n  from events e\n  measure n = count(*)\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("typo.kpi"),
        "kpi members {\n  from events e\n  measure n = count(distinct e.membr_id)\n}\n",
    )
    .unwrap();
    let shared = std::fs::read_to_string(root().join("tests/project.yaml")).unwrap();
    std::fs::write(
        dir.path().join("kpi.yaml"),
        format!("catalog: catalog/\n{shared}"),
    )
    .unwrap();
    std::fs::create_dir_all(dir.path().join("catalog")).unwrap();
    std::fs::copy(
        root().join("tests/catalog/lake.yaml"),
        dir.path().join("catalog/lake.yaml"),
    )
    .unwrap();
    dir
}

#[test]
fn a_file_that_is_not_utf8_is_an_input_error_at_its_byte_and_the_others_are_checked() {
    let project = project_with_latin1();
    let human = kpi_in(project.path(), &["check"]);
    assert_eq!(human.code, 1, "{}", human.stderr);
    assert!(
        human.stderr.contains(
            "[E0007] latin1.kpi is not valid UTF-8: byte 0xE9 at line 2, column 9 (byte offset 20)"
        ),
        "{}",
        human.stderr
    );
    assert!(human.stderr.contains("latin1.kpi:2:9"), "{}", human.stderr);
    assert!(
        human.stderr.contains("[E0202]"),
        "typo.kpi is still checked: {}",
        human.stderr
    );
    let json = kpi_in(project.path(), &["check", "--format", "json"]);
    let diagnostics: Vec<serde_json::Value> = serde_json::from_str(&json.stdout).unwrap();
    let e0007 = diagnostics.iter().find(|d| d["code"] == "E0007").unwrap();
    assert_eq!(
        (
            e0007["file"].as_str(),
            e0007["line"].as_u64(),
            e0007["column"].as_u64()
        ),
        (Some("latin1.kpi"), Some(2), Some(9))
    );
    let build = kpi_in(project.path(), &["build"]);
    assert_eq!(build.code, 1);
    assert!(!project.path().join("target").exists());
    let explained = kpi_in(project.path(), &["explain", "E0007"]);
    assert!(
        explained
            .stdout
            .starts_with("# E0007: file is not valid UTF-8"),
        "{}",
        explained.stdout
    );
}

#[test]
fn check_files_reports_only_them_and_still_resolves_what_they_read() {
    let work = tempfile::tempdir().unwrap();
    let project = pipelines_in(work.path());
    // engagement_score (engagement.kpi) reads reply_rate of conversations.kpi, which breaks.
    let conversations = project.join("conversations.kpi");
    let text = std::fs::read_to_string(&conversations).unwrap();
    std::fs::write(
        &conversations,
        format!("{text}\nkpi broken {{ from nowhere n measure x = count(*) }}\n"),
    )
    .unwrap();
    let whole = kpi_in(work.path(), &["check", "--project", "pipelines"]);
    assert_eq!(whole.code, 1, "{}", whole.stderr);
    assert!(
        whole.stderr.contains("conversations.kpi"),
        "{}",
        whole.stderr
    );
    let one = kpi_in(work.path(), &["check", "pipelines/engagement.kpi"]);
    assert_eq!(one.code, 0, "{}", one.stderr);
    assert!(
        one.stderr.contains("checked 1 KPI in 1 file: no errors"),
        "{}",
        one.stderr
    );
    let both = kpi_in(
        work.path(),
        &[
            "check",
            "pipelines/engagement.kpi",
            "pipelines/conversations.kpi",
        ],
    );
    assert_eq!(both.code, 1);
    assert!(
        both.stderr.contains("pipelines/conversations.kpi:"),
        "{}",
        both.stderr
    );
    let outside = kpi_in(
        work.path(),
        &[
            "check",
            "--project",
            "pipelines",
            "pipelines/catalog/app_logs.json",
        ],
    );
    assert_eq!(outside.code, 2);
    assert!(
        outside
            .stderr
            .contains("is not a .kpi file of the project pipelines"),
        "{}",
        outside.stderr
    );
}

#[test]
fn init_scaffolds_a_project_from_a_catalog_snapshot_that_checks() {
    let work = tempfile::tempdir().unwrap();
    let catalog = root().join("pipelines/catalog");
    let app_logs = catalog.join("app_logs.json");
    let master = catalog.join("master.json");
    let args = [
        "init",
        "engagement",
        "--catalog",
        app_logs.to_str().unwrap(),
        "--catalog",
        master.to_str().unwrap(),
    ];
    let init = kpi_in(work.path(), &args);
    assert_eq!(init.code, 0, "{}", init.stderr);
    assert!(
        init.stderr
            .contains("created engagement with 4 sources and 1 KPI"),
        "{}",
        init.stderr
    );
    let project = work.path().join("engagement");
    let yaml = std::fs::read_to_string(project.join("kpi.yaml")).unwrap();
    for wanted in [
        "name: engagement",
        "  events:\n    table: app_logs.events\n    kind: events\n    partition: dt",
        "  members:\n    table: master.members\n    kind: snapshot\n    partition: dt",
        "database: engagement_kpi",
        "location: s3://engagement-lake/kpi/",
    ] {
        assert!(yaml.contains(wanted), "{wanted:?} in\n{yaml}");
    }
    assert_eq!(
        std::fs::read(project.join("catalog/app_logs.json")).unwrap(),
        std::fs::read(&app_logs).unwrap()
    );
    let check = kpi_in(&project, &["check"]);
    assert_eq!(check.code, 0, "{}", check.stderr);
    assert!(
        check.stderr.contains("checked 1 KPI in 1 file: no errors"),
        "{}",
        check.stderr
    );
    let again = kpi_in(work.path(), &args);
    assert_eq!(again.code, 2);
    assert!(
        again.stderr.contains("already holds a kpi.yaml"),
        "{}",
        again.stderr
    );
}

#[test]
fn graph_shows_levels_and_windows_in_both_formats() {
    // A copy with no lake beside it, so no status marks the KPIs.
    let dir = tempfile::tempdir().unwrap();
    pipelines_in(dir.path());
    let mermaid = kpi_in(dir.path(), &["graph", "--project", "pipelines"]);
    assert_eq!(mermaid.code, 0, "{}", mermaid.stderr);
    let m = &mermaid.stdout;
    assert!(
        m.starts_with("flowchart LR\n  subgraph sources [\"sources\"]\n"),
        "{m}"
    );
    for wanted in [
        "  subgraph level_0 [\"level 0\"]\n",
        "  subgraph level_1 [\"level 1\"]\n    stickiness[stickiness]\n  end\n",
        "  subgraph level_2 [\"level 2\"]\n    engagement_score[engagement_score]\n  end\n",
        "  events -->|\"over 30 days\"| monthly_active_members\n",
        "  events -->|\"over 7 days\"| weekly_active_members\n",
        "  daily_active_members --> stickiness\n",
    ] {
        assert!(m.contains(wanted), "{wanted:?} in\n{m}");
    }
    let dot = kpi_in(
        dir.path(),
        &["graph", "--project", "pipelines", "--format", "dot"],
    );
    let d = &dot.stdout;
    for wanted in [
        "  subgraph cluster_level_2 {\n    label=\"level 2\";\n    \"engagement_score\" [shape=box];\n  }\n",
        "  \"events\" -> \"monthly_active_members\" [label=\"over 30 days\"];\n",
        "  \"daily_active_members\" -> \"stickiness\";\n",
    ] {
        assert!(d.contains(wanted), "{wanted:?} in\n{d}");
    }
}

#[test]
fn a_window_ending_before_the_day_is_labelled_on_its_edge() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("lagged.kpi"),
        "kpi lagged {\n  from events e over 7 days ending day - 28\n  measure n = count(*)\n}\n",
    )
    .unwrap();
    let shared = std::fs::read_to_string(root().join("tests/project.yaml")).unwrap();
    std::fs::write(
        dir.path().join("kpi.yaml"),
        format!("catalog: catalog/\n{shared}"),
    )
    .unwrap();
    std::fs::create_dir_all(dir.path().join("catalog")).unwrap();
    std::fs::copy(
        root().join("tests/catalog/lake.yaml"),
        dir.path().join("catalog/lake.yaml"),
    )
    .unwrap();
    let out = kpi_in(dir.path(), &["graph"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout
            .contains("  events -->|\"over 7 days ending day - 28\"| lagged\n"),
        "{}",
        out.stdout
    );
}

#[test]
fn an_unknown_kpi_name_is_refused_with_the_closest_one() {
    let work = tempfile::tempdir().unwrap();
    let project = pipelines_in(work.path());
    let out = kpi_in(
        &project,
        &["run", "--kpi", "stickness", "--day", "2024-01-01"],
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("error: --kpi stickness: the project has no KPI of this name; did you mean `stickiness`?"),
        "{}",
        out.stderr
    );
    let far = kpi_in(&project, &["run", "--kpi", "zzz", "--day", "2024-01-01"]);
    assert!(
        far.stderr.contains("no KPI of this name\n"),
        "{}",
        far.stderr
    );
}
