//! A project of 2,000 KPIs builds within every Step Functions limit: `kpi build` reports no
//! diagnostic (every limit of a 366-day backfill is proven at build time: payloads, Map
//! inputs, history events of every execution, children's included), every definition is under
//! 1 MB, the top-level one grows by at most [`BUDGET`] bytes per KPI (1,000 against 2,000
//! KPIs), the manifest lists every machine children first, and asl-validator accepts them all.
//! A project of 500 KPIs runs locally over a 7-day lake, and every KPI it shares with a
//! project of 15 gives the same rows.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
#[path = "support/generated.rs"]
mod generated;
#[path = "support/tools.rs"]
mod tools;

use common::{root, run_in};
use kpi_contract::manifest::Manifest;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Bytes the top-level definition may grow by per KPI.
const BUDGET: usize = 300;

fn build(dir: &Path, kpis: usize) -> PathBuf {
    generated::project(dir, 0..kpis);
    let out = dir.join("out");
    let run = run_in(dir, &["build", "--out", out.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        !run.stderr.contains("[E07"),
        "a limit diagnostic: {}",
        run.stderr
    );
    out
}

#[test]
fn two_thousand_kpis_build_within_every_limit_and_the_top_grows_little_per_kpi() {
    let scratch = tempfile::tempdir().unwrap();
    let small = build(&scratch.path().join("n"), 1000);
    let large = build(&scratch.path().join("2n"), 2000);
    let top = |out: &Path| {
        std::fs::metadata(out.join("statemachine.asl.json"))
            .unwrap()
            .len() as usize
    };
    let growth = (top(&large) - top(&small)) / 1000;
    println!(
        "top-level definition: {} bytes for 1,000 KPIs, {} for 2,000: {growth} bytes per KPI",
        top(&small),
        top(&large)
    );
    assert!(growth <= BUDGET, "{growth} bytes per KPI");

    let manifest = Manifest::read(&large.join("manifest.json")).unwrap();
    let (last, children) = manifest.machines.split_last().unwrap();
    assert_eq!(last.file, "statemachine.asl.json");
    assert!(last.substitution.is_none() && last.suffix.is_empty());
    assert!(children.len() >= 2, "{} children", children.len());
    let parent = std::fs::read_to_string(large.join(&last.file)).unwrap();
    let mut files = vec![large.join(&last.file)];
    for child in children {
        let name = child.substitution.as_deref().unwrap();
        assert!(parent.contains(&format!("${{{name}}}")), "{name}");
        assert!(manifest.substitutions.contains_key(name));
        files.push(large.join(&child.file));
    }
    for file in &files {
        let len = std::fs::metadata(file).unwrap().len();
        assert!(len < 1_048_576, "{}: {len} bytes", file.display());
    }
    // Every KPI's statements are in exactly one child, none in the parent.
    let texts: Vec<String> = children
        .iter()
        .map(|c| std::fs::read_to_string(large.join(&c.file)).unwrap())
        .collect();
    for kpi in ["k0_active", "k1999_score", "k1231_by_department"] {
        let needle = format!("\"{kpi}.Chunk\"");
        assert_eq!(
            texts.iter().filter(|t| t.contains(&needle)).count(),
            1,
            "{kpi}"
        );
        assert!(!parent.contains(&needle));
    }
    let template = std::fs::read_to_string(large.join("template.yaml")).unwrap();
    for (i, _) in children.iter().enumerate() {
        assert!(
            template.contains(&format!("Group{i}StateMachine:")),
            "group {i}"
        );
    }
    assert!(template.contains("StepFunctionsGetEventsForStepFunctionsExecutionRule"));

    if tools::require("asl-validator on 2,000 KPIs", tools::for_validator("asl")) {
        let out = Command::new(root().join("scripts/validate/run"))
            .arg("asl")
            .args(&files)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// The rows of `kpi` in `lake`, as CSV in a fixed order.
fn rows(project: &Path, lake: &Path, kpi: &str) -> String {
    let run = run_in(
        project,
        &[
            "query",
            "--lake",
            lake.to_str().unwrap(),
            "--format",
            "csv",
            &format!("SELECT * FROM engagement_kpi.{kpi} ORDER BY ALL"),
        ],
    );
    assert_eq!(run.code, 0, "{kpi}: {}{}", run.stdout, run.stderr);
    run.stdout
}

#[test]
fn five_hundred_kpis_run_locally_and_match_the_same_kpis_in_a_small_project() {
    let scratch = tempfile::tempdir().unwrap();
    let lake = scratch.path().join("lake");
    let sample = run_in(
        scratch.path(),
        &[
            "sample-data",
            "--out",
            "lake",
            "--days",
            "7",
            "--companies",
            "4",
            "--seed",
            "3",
            "-q",
        ],
    );
    assert_eq!(sample.code, 0, "{}", sample.stderr);
    let small_lake = scratch.path().join("small-lake");
    common::copy_tree(&lake, &small_lake);

    // Every template at the start, the middle and the end of the large project (a score reads
    // the two KPIs before it, so each group of five is whole).
    let shared: Vec<usize> = (0..5).chain(245..250).chain(495..500).collect();
    let (large, small) = (scratch.path().join("large"), scratch.path().join("small"));
    generated::project(&large, 0..500);
    generated::project(&small, shared.iter().copied());
    for (project, lake, kpi_days) in [(&large, &lake, 3500), (&small, &small_lake, 105)] {
        let run = run_in(
            project,
            &[
                "run",
                "--lake",
                lake.to_str().unwrap(),
                "--from",
                "2024-01-01",
                "--to",
                "2024-01-07",
                "-q",
            ],
        );
        assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
        let done = format!("{kpi_days} KPI-days computed");
        assert!(run.stdout.contains(&done), "{}", run.stdout);
    }
    for i in shared {
        let kpi = generated::name(i);
        let (a, b) = (rows(&large, &lake, &kpi), rows(&small, &small_lake, &kpi));
        // A header and at least one row a day: nothing empty is compared.
        assert!(a.lines().count() > 7, "{kpi}: {a}");
        assert_eq!(a, b, "{kpi}");
    }
}
