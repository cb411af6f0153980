//! `kpi graph` on `pipelines/` as a black box: levels and windows in every format, and each
//! KPI's status over a lake as runs and edits change it (never run, up to date, stale).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{copy_tree, kpi, root, run};
use std::collections::BTreeMap;
use std::path::Path;

fn graph(project: &Path, lake: &Path, format: &str) -> String {
    let out = run(kpi()
        .args(["graph", "--format", format, "--project"])
        .arg(project)
        .arg("--lake")
        .arg(lake));
    assert_eq!(out.code, 0, "{}", out.stderr);
    out.stdout
}

/// KPI → its marker, from the text format's `  name  [marker]` lines.
fn statuses(project: &Path, lake: &Path) -> BTreeMap<String, String> {
    graph(project, lake, "text")
        .lines()
        .filter(|l| l.starts_with("  ") && !l.starts_with("    "))
        .map(|l| {
            let (name, marker) = l.trim().split_once("  [").unwrap();
            (name.to_string(), marker.trim_end_matches(']').to_string())
        })
        .collect()
}

#[test]
fn graph_shows_levels_windows_and_status_over_the_lake() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("pipelines");
    copy_tree(&root().join("pipelines"), &project);
    let lake = dir.path().join("lake");
    let out = run(kpi()
        .args(["sample-data", "--days", "8", "--companies", "3", "--out"])
        .arg(&lake));
    assert_eq!(out.code, 0, "{}", out.stderr);

    let text = graph(&project, &lake, "text");
    assert!(
        text.starts_with("sources: events, members\nlevel 0\n"),
        "{text}"
    );
    assert!(text.contains("\nlevel 1\n"), "{text}");
    assert!(
        text.contains("  stickiness  [never run]\n    <- daily_active_members\n    <- monthly_active_members\n"),
        "{text}"
    );
    assert!(text.contains("(over 30 days)"), "{text}");
    let mermaid = graph(&project, &lake, "mermaid");
    assert!(
        mermaid.contains("subgraph level_1 [\"level 1\"]"),
        "{mermaid}"
    );
    assert!(mermaid.contains("-->|\"over 30 days\"|"), "{mermaid}");
    assert!(
        mermaid.contains("stickiness[\"stickiness<br/>never run\"]"),
        "{mermaid}"
    );
    assert!(
        !mermaid.contains("classDef"),
        "no colour when not asked: {mermaid}"
    );
    let dot = graph(&project, &lake, "dot");
    assert!(dot.contains("label=\"level 1\""), "{dot}");
    assert!(dot.contains("[label=\"over 30 days\"]"), "{dot}");
    assert!(
        dot.contains("\"stickiness\" [shape=box, label=\"stickiness\\nnever run\"]"),
        "{dot}"
    );
    assert_eq!(graph(&project, &lake, "dot"), dot, "deterministic");

    let before = statuses(&project, &lake);
    assert!(before.len() > 10, "{before:?}");
    assert!(before.values().all(|s| s == "never run"), "{before:?}");

    let out = run(kpi()
        .args(["run", "--quiet", "--project"])
        .arg(&project)
        .arg("--lake")
        .arg(&lake));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let after = statuses(&project, &lake);
    assert_eq!(
        after.keys().collect::<Vec<_>>(),
        before.keys().collect::<Vec<_>>()
    );
    assert!(after.values().all(|s| s == "up to date"), "{after:?}");
    let coloured = run(kpi()
        .args([
            "graph",
            "--color",
            "always",
            "--format",
            "mermaid",
            "--project",
        ])
        .arg(&project)
        .arg("--lake")
        .arg(&lake));
    assert!(
        coloured.stdout.contains("classDef up_to_date fill:"),
        "{}",
        coloured.stdout
    );

    // A changed filter: the KPI and what reads it are stale, the rest stays up to date.
    let file = project.join("activity.kpi");
    let source = std::fs::read_to_string(&file).unwrap();
    let edited = source.replacen(
        "where e.kind in ('post', 'comment', 'reaction', 'thanks')",
        "where e.kind in ('post', 'comment', 'reaction')",
        1,
    );
    assert_ne!(edited, source);
    std::fs::write(&file, edited).unwrap();
    let edited = statuses(&project, &lake);
    for stale in ["daily_active_members", "stickiness"] {
        assert_eq!(
            edited[stale], "stale: 8 of 8 days due",
            "{stale}: {edited:?}"
        );
    }
    assert_eq!(edited["activation"], "up to date", "{edited:?}");

    // A check that fails every day: the KPI is marked failed until a run publishes its days.
    let source = std::fs::read_to_string(&file).unwrap();
    let start = source.find("kpi daily_active_members {").unwrap();
    let end = start + source[start..].find("\n}\n").unwrap();
    let failing = format!(
        "{}\n  check active > 1000000{}",
        &source[..end],
        &source[end..]
    );
    std::fs::write(&file, &failing).unwrap();
    let out = run(kpi()
        .arg("run")
        .arg("--project")
        .arg(&project)
        .arg("--lake")
        .arg(&lake));
    assert_ne!(out.code, 0, "{}", out.stdout);
    let failed = statuses(&project, &lake);
    assert_eq!(
        failed["daily_active_members"], "failed: 8 of 8 days due",
        "{failed:?}"
    );
    assert_eq!(
        failed["stickiness"], "failed: 8 of 8 days due",
        "{failed:?}"
    );
    assert_eq!(failed["activation"], "up to date", "{failed:?}");
    // Fixed and run again: nothing is failed or due.
    std::fs::write(&file, &source).unwrap();
    let out = run(kpi()
        .arg("run")
        .arg("--project")
        .arg(&project)
        .arg("--lake")
        .arg(&lake));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let fixed = statuses(&project, &lake);
    assert!(fixed.values().all(|s| s == "up to date"), "{fixed:?}");
    let record = std::fs::read_to_string(lake.join(".kpi/failures.json")).unwrap();
    assert_eq!(record, "{\n  \"kpis\": {}\n}\n");
}
