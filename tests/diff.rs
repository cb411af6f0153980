//! `kpi diff` as a black box, one scenario a test: a git repository holding a copy of
//! `pipelines/` (below the repository's top, as in a real repository), committed, changed
//! once, then compared with the base.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod cli_support;
#[path = "diff/repo.rs"]
mod repo;

use cli_support::{kpi_in, pipelines_in};
use repo::{Repo, git, kpi, names};
use serde_json::Value;

#[test]
fn formatting_and_comment_only_changes_are_cosmetic_and_exit_0() {
    let repo = Repo::new();
    repo.edit_kpi("activity.kpi", "daily_active_members", |b| {
        b.replace(
            "  from events e\n",
            "  // every event of the day\n  from   events   e\n",
        )
        .replace("  group by", "\n\n      group by")
    });
    let diff = repo.json();
    assert_eq!(diff["semantic"], false, "{diff:#}");
    let k = kpi(&diff, "daily_active_members");
    assert_eq!(k["nature"], "cosmetic");
    assert_eq!(k["recompute"], false);
    assert_eq!(diff["kpis"].as_array().unwrap().len(), 1, "{diff:#}");
    assert!(diff["backfill"]["kpis"].as_array().unwrap().is_empty());
    let run = repo.diff(&["--base", "HEAD", "--exit-code"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("No semantic change"), "{}", run.stdout);
}

#[test]
fn a_renamed_alias_is_cosmetic() {
    let repo = Repo::new();
    repo.edit_kpi("activity.kpi", "daily_active_members", |b| {
        b.replace("from events e\n", "from events ev\n")
            .replace(" e.", " ev.")
    });
    repo.commit();
    let run = repo.diff(&[
        "--base",
        "HEAD~1",
        "--head",
        "HEAD",
        "--format",
        "json",
        "--exit-code",
    ]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let diff: Value = serde_json::from_str(&run.stdout).unwrap();
    let k = kpi(&diff, "daily_active_members");
    assert_eq!(k["nature"], "cosmetic");
    assert_eq!(k["reasons"][0], "alias `e` renamed to `ev`");
    assert_eq!(diff["semantic"], false);
}

#[test]
fn an_added_filter_is_semantic_and_breaking_and_lists_every_downstream_kpi() {
    let repo = Repo::new();
    repo.edit(
        "activity.kpi",
        "  join monthly_active_members mo on mo.company_id = d.company_id\n",
        "  join monthly_active_members mo on mo.company_id = d.company_id\n  where mo.active > 1\n",
    );
    repo.commit();
    let run = repo.diff(&[
        "--base",
        "HEAD~1",
        "--head",
        "HEAD",
        "--format",
        "json",
        "--exit-code",
    ]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let diff: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(diff["semantic"], true);
    assert_eq!(diff["breaking"], true);
    let k = kpi(&diff, "stickiness");
    assert_eq!(k["nature"], "semantic");
    assert_eq!(k["breaking"], true);
    assert!(
        k["reasons"]
            .as_array()
            .unwrap()
            .contains(&"a filter was added".into()),
        "{k:#}"
    );
    // engagement_score is the only KPI that reads stickiness, and nothing reads it.
    assert_eq!(names(&k["downstream"], "kpi"), ["engagement_score"]);
    assert_eq!(k["downstream"][0]["must_recompute"], true);
    let score = kpi(&diff, "engagement_score");
    assert_eq!(score["nature"], "semantic");
    assert_eq!(score["breaking"], false);
    // Both recompute every day, in chunks of 100: 366 days without a lake is 4 chunks each.
    let backfill = &diff["backfill"];
    assert_eq!(
        names(&backfill["kpis"], "name"),
        ["stickiness", "engagement_score"]
    );
    assert_eq!(backfill["kpi_days"], 2 * 366);
    assert_eq!(backfill["queries"], 2 * 4 * 2);
    assert_eq!(backfill["cost"], Value::Null);
    assert_eq!(diff["artifacts"], Value::Null, "only with --artifacts");

    // The generated files behind it: the filter in stickiness's write, the fingerprints of
    // both tables and the machine, and the checks of KPIs below the edit, whose labels name
    // their lines; never the DuckDB forms nor the manifest.
    let with = repo.diff(&[
        "--base",
        "HEAD~1",
        "--head",
        "HEAD",
        "--artifacts",
        "--format",
        "json",
    ]);
    let with: Value = serde_json::from_str(&with.stdout).unwrap();
    let files = with["artifacts"].as_array().unwrap();
    let paths: Vec<&str> = files.iter().map(|f| f["path"].as_str().unwrap()).collect();
    assert!(
        paths.iter().all(|p| p.starts_with("athena/stickiness/")
            || p.starts_with("athena/engagement_score/")
            || *p == "statemachine.asl.json"
            || *p == "template.yaml"
            || p.ends_with("/04_check.sql")),
        "{paths:?}"
    );
    let write = files
        .iter()
        .find(|f| f["path"] == "athena/stickiness/03_write.sql")
        .unwrap();
    assert_eq!(write["change"], "changed");
    let unified = write["unified"].as_str().unwrap();
    assert!(unified.starts_with("--- base/athena/stickiness/03_write.sql\n+++ head/"));
    let added: Vec<&str> = unified
        .lines()
        .filter(|l| l.starts_with('+') && !l.starts_with("+++"))
        .collect();
    assert_eq!(write["added_lines"], added.len());
    assert!(
        added.iter().any(|l| l.contains("mo.active > 1")),
        "{unified}"
    );

    let markdown = repo.diff(&["--base", "HEAD~1", "--head", "HEAD", "--format", "markdown"]);
    assert_eq!(markdown.code, 0, "{}", markdown.stderr);
    assert!(markdown.stdout.contains("unknown without --lake"));
    insta::with_settings!({snapshot_path => "diff/snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("added_filter.md", markdown.stdout);
        insta::assert_snapshot!("added_filter.json", run.stdout);
    });
}

#[test]
fn an_added_measure_is_non_breaking() {
    let repo = Repo::new();
    repo.edit(
        "activity.kpi",
        "  /// Social actions.\n  measure actions = count(*)\n",
        "  /// Social actions.\n  measure actions = count(*)\n  /// Posts.\n  measure posts = count(* where e.kind = 'post')\n",
    );
    let diff = repo.json();
    let k = kpi(&diff, "daily_active_members");
    assert_eq!(k["nature"], "semantic");
    assert_eq!(k["breaking"], false, "{k:#}");
    assert_eq!(k["schema"].as_array().unwrap().len(), 1);
    assert_eq!(k["schema"][0]["column"], "posts");
    assert_eq!(k["schema"][0]["change"], "added");
    assert_eq!(k["schema"][0]["breaking"], false);
    // stickiness reads only `active`, which does not change; its fingerprint does.
    let downstream = &k["downstream"];
    assert_eq!(names(downstream, "kpi"), ["stickiness", "engagement_score"]);
    assert_eq!(downstream[0]["must_recompute"], false);
    assert_eq!(diff["breaking"], false);
    assert_eq!(
        diff["fingerprint_only"],
        serde_json::json!(["stickiness", "engagement_score"])
    );
}

#[test]
fn a_removed_kpi_is_breaking() {
    let repo = Repo::new();
    repo.remove_kpi("activity.kpi", "actions_per_active_member");
    let diff = repo.json();
    let k = kpi(&diff, "actions_per_active_member");
    assert_eq!(k["change"], "removed");
    assert_eq!(k["breaking"], true);
    assert_eq!(diff["breaking"], true);
    assert_eq!(diff["kpis"].as_array().unwrap().len(), 1, "{diff:#}");
}

#[test]
fn a_renamed_source_column_shows_as_drift_and_as_the_type_errors_of_the_kpis_that_use_it() {
    let repo = Repo::new();
    repo.edit(
        "catalog/app_logs.json",
        "\"Name\": \"target_post_id\"",
        "\"Name\": \"reply_to_id\"",
    );
    let run = repo.diff(&["--base", "HEAD", "--format", "json"]);
    assert_eq!(run.code, 1, "the head does not check: {}", run.stderr);
    let diff: Value = serde_json::from_str(&run.stdout).unwrap();
    let drift = &diff["drift"][0];
    assert_eq!(drift["table"], "app_logs.events");
    let columns: Vec<(String, String)> = drift["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["column"].as_str().unwrap().into(),
                c["change"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        columns,
        [
            ("reply_to_id".into(), "added".into()),
            ("target_post_id".into(), "removed".into())
        ]
    );
    let errors = diff["errors"].as_array().unwrap();
    assert!(!errors.is_empty());
    assert!(errors.iter().all(|e| e["code"] == "E0202"), "{errors:#?}");
    let mut kpis: Vec<&str> = errors.iter().map(|e| e["kpi"].as_str().unwrap()).collect();
    kpis.dedup();
    assert_eq!(kpis, ["reply_rate", "cross_department_interactions"]);
    assert_eq!(errors[0]["file"], "conversations.kpi");
    let text = repo.diff(&["--base", "HEAD"]);
    assert!(
        text.stdout.contains("`target_post_id` removed"),
        "{}",
        text.stdout
    );
}

#[test]
fn a_moved_history_start_lists_exactly_the_days_it_adds() {
    let repo = Repo::new();
    repo.edit(
        "kpi.yaml",
        "history_start: 2024-01-01",
        "history_start: 2023-12-25",
    );
    let diff = repo.json();
    let history = &diff["history"];
    assert_eq!(
        history["added"],
        serde_json::json!({"first": "2023-12-25", "last": "2023-12-31"})
    );
    assert_eq!(history["removed"], Value::Null);
    let cut = history["cut"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kpi"] == "weekly_active_members")
        .unwrap();
    assert_eq!(
        cut["days"],
        serde_json::json!({"first": "2024-01-01", "last": "2024-01-06"})
    );
    assert!(diff["kpis"].as_array().unwrap().is_empty(), "{diff:#}");
    // A KPI without windows gets exactly the 7 days added; a weekly one those and its cut.
    let backfill = |name: &str| {
        diff["backfill"]["kpis"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["name"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(backfill("daily_active_members")["days"], 7);
    assert_eq!(
        backfill("daily_active_members")["ranges"],
        serde_json::json!([{"first": "2023-12-25", "last": "2023-12-31"}])
    );
    assert_eq!(backfill("weekly_active_members")["days"], 7 + 6);
}

#[test]
fn a_changed_doc_comment_is_metadata_only() {
    let repo = Repo::new();
    repo.edit(
        "activity.kpi",
        "  /// Social actions.\n",
        "  /// Every social action.\n",
    );
    repo.edit(
        "activity.kpi",
        "the network's daily reach.",
        "the daily reach of the network.",
    );
    let run = repo.diff(&["--base", "HEAD", "--format", "json", "--exit-code"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let diff: Value = serde_json::from_str(&run.stdout).unwrap();
    let k = kpi(&diff, "daily_active_members");
    assert_eq!(k["nature"], "metadata");
    assert_eq!(
        k["reasons"],
        serde_json::json!([
            "the KPI's doc comment changed",
            "the doc comment of `actions` changed"
        ])
    );
    assert_eq!(diff["kpis"].as_array().unwrap().len(), 1);
    assert!(diff["backfill"]["kpis"].as_array().unwrap().is_empty());
}

#[test]
fn an_unknown_revision_or_a_directory_outside_git_exits_2() {
    let repo = Repo::new();
    let run = repo.diff(&["--base", "no-such-branch"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("unknown revision `no-such-branch`"),
        "{}",
        run.stderr
    );

    let outside = tempfile::tempdir().unwrap();
    pipelines_in(outside.path());
    let run = kpi_in(
        outside.path(),
        &["diff", "--project", "pipelines", "--base", "HEAD"],
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("not inside a git repository"),
        "{}",
        run.stderr
    );
}

#[test]
fn the_base_is_read_from_git_not_from_the_working_tree() {
    let repo = Repo::new();
    // A file only on disk, and a KPI only on disk: neither is part of the base.
    repo.remove_kpi("activity.kpi", "actions_per_active_member");
    std::fs::write(
        repo.project.join("extra.kpi"),
        "kpi extra_count {\n  from events e\n  group by e.company_id\n  measure n = count(*)\n}\n",
    )
    .unwrap();
    let diff = repo.json();
    assert_eq!(kpi(&diff, "extra_count")["change"], "added");
    assert_eq!(kpi(&diff, "actions_per_active_member")["change"], "removed");
    assert_eq!(diff["base"]["kpis"], 16);
    assert_eq!(diff["head"]["kpis"], 16);
}

#[test]
fn the_backfill_estimate_matches_a_real_run_on_a_generated_lake() {
    let repo = Repo::new();
    let lake = repo.dir.path().join("lake");
    let lake_arg = lake.to_str().unwrap();
    let made = kpi_in(
        repo.dir.path(),
        &[
            "sample-data",
            "--days",
            "20",
            "--companies",
            "2",
            "--out",
            lake_arg,
        ],
    );
    assert_eq!(made.code, 0, "{}", made.stderr);
    let base_run = kpi_in(
        repo.dir.path(),
        &[
            "run",
            "--project",
            "pipelines",
            "--lake",
            lake_arg,
            "--quiet",
        ],
    );
    assert_eq!(base_run.code, 0, "{}", base_run.stderr);
    repo.edit(
        "activity.kpi",
        "  join monthly_active_members mo on mo.company_id = d.company_id\n",
        "  join monthly_active_members mo on mo.company_id = d.company_id\n  where mo.active > 1\n",
    );
    let predicted = repo.diff(&["--base", "HEAD", "--lake", lake_arg, "--format", "json"]);
    assert_eq!(predicted.code, 0, "{}", predicted.stderr);
    let predicted: Value = serde_json::from_str(&predicted.stdout).unwrap();
    let backfill = &predicted["backfill"];
    assert_eq!(backfill["range"]["last"], "2024-01-20", "{backfill:#}");
    assert_eq!(backfill["kpi_days"], 2 * 20);

    let run = kpi_in(
        repo.dir.path(),
        &[
            "run",
            "--project",
            "pipelines",
            "--lake",
            lake_arg,
            "--format",
            "json",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["kpi_days"], backfill["kpi_days"]);
    let queries = report["queries"].as_array().unwrap();
    let dml = queries
        .iter()
        .filter(|q| q["role"] == "write" || q["role"] == "check")
        .count();
    assert_eq!(backfill["queries"], dml as u64);
    for k in backfill["kpis"].as_array().unwrap() {
        let name = k["name"].as_str().unwrap();
        let written: u64 = queries
            .iter()
            .filter(|q| q["kpi"] == name && q["role"] == "write")
            .map(|q| q["file_bytes"].as_u64().unwrap())
            .sum();
        let estimate = k["cost"]["bytes"].as_u64().unwrap();
        let off = (estimate as f64 - written as f64).abs() / written as f64;
        assert!(
            off <= 0.05,
            "{name}: predicted {estimate} bytes, the run's writes read {written}"
        );
    }
}

#[test]
fn a_project_at_the_top_of_its_repository_and_a_head_without_one() {
    let dir = tempfile::tempdir().unwrap();
    let project = pipelines_in(dir.path());
    git(&project, &["init", "-q"]);
    git(&project, &["add", "."]);
    git(&project, &["commit", "-qm", "base"]);
    let text = std::fs::read_to_string(cli_support::root().join("pipelines/kpi.yaml")).unwrap();
    std::fs::write(
        project.join("kpi.yaml"),
        text.replace("time_zone: UTC", "time_zone: Europe/Paris"),
    )
    .unwrap();
    let run = kpi_in(
        &project,
        &["diff", "--base", "HEAD", "--format", "json", "--exit-code"],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let diff: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(diff["settings"][0]["setting"], "time_zone");
    assert_eq!(diff["kpis"].as_array().unwrap().len(), 16);
    assert_eq!(diff["backfill"]["kpi_days"], 16 * 366);

    // An orphan commit holding no project: the head cannot be read.
    git(&project, &["checkout", "-q", "--orphan", "empty"]);
    git(&project, &["rm", "-rqf", "--cached", "."]);
    git(&project, &["commit", "-q", "--allow-empty", "-m", "empty"]);
    let run = kpi_in(&project, &["diff", "--base", "main", "--head", "empty"]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("empty has no kpi.yaml"),
        "{}",
        run.stderr
    );
}
