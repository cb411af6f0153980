//! `kpi diff` as a black box, one scenario a test: a git repository holding a copy of
//! `pipelines/` (below the repository's top, as in a real repository), committed, changed
//! once, then compared with the base.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod cli_support;

use cli_support::{Run, kpi_in, pipelines_in};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

struct Repo {
    dir: tempfile::TempDir,
    project: PathBuf,
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(["-c", "user.name=kpi", "-c", "user.email=kpi@example.com"])
        .args([
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Repo {
    /// `pipelines/` committed as the base.
    fn new() -> Repo {
        let dir = tempfile::tempdir().unwrap();
        let project = pipelines_in(dir.path());
        git(dir.path(), &["init", "-q"]);
        git(dir.path(), &["add", "."]);
        git(dir.path(), &["commit", "-qm", "base"]);
        Repo { dir, project }
    }

    /// Replaces `from` (which must be there) by `to` in a file of the project.
    fn edit(&self, file: &str, from: &str, to: &str) -> &Repo {
        let path = self.project.join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{file} has no {from:?}");
        std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
        self
    }

    /// Rewrites the block of one KPI (`kpi NAME {` to its closing `}`).
    fn edit_kpi(&self, file: &str, kpi: &str, f: impl Fn(&str) -> String) -> &Repo {
        let path = self.project.join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        let start = text.find(&format!("kpi {kpi} {{")).unwrap();
        let end = start + text[start..].find("\n}\n").unwrap() + 3;
        let block = f(&text[start..end]);
        std::fs::write(&path, format!("{}{block}{}", &text[..start], &text[end..])).unwrap();
        self
    }

    /// Removes one KPI, its doc comment included.
    fn remove_kpi(&self, file: &str, kpi: &str) -> &Repo {
        let path = self.project.join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        let at = text.find(&format!("kpi {kpi} {{")).unwrap();
        let mut start = at;
        while let Some(line_start) = text[..start.saturating_sub(1)].rfind('\n').map(|i| i + 1) {
            if !text[line_start..start].starts_with("///") {
                break;
            }
            start = line_start;
        }
        let end = at + text[at..].find("\n}\n").unwrap() + 3;
        std::fs::write(&path, format!("{}{}", &text[..start], &text[end..])).unwrap();
        self
    }

    fn commit(&self) {
        git(self.dir.path(), &["commit", "-qam", "head"]);
    }

    fn diff(&self, args: &[&str]) -> Run {
        let mut all = vec!["diff", "--project", "pipelines"];
        all.extend(args);
        kpi_in(self.dir.path(), &all)
    }

    /// The JSON diff of the working tree against the base commit.
    fn json(&self) -> Value {
        let run = self.diff(&["--base", "HEAD", "--format", "json"]);
        assert!(run.code == 0 || run.code == 1, "{}", run.stderr);
        serde_json::from_str(&run.stdout).unwrap()
    }
}

fn kpi<'a>(diff: &'a Value, name: &str) -> &'a Value {
    diff["kpis"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == name)
        .unwrap_or_else(|| panic!("{name} is not in the diff: {diff:#}"))
}

fn names(items: &Value, field: &str) -> Vec<String> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i[field].as_str().unwrap().to_string())
        .collect()
}

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

/// Every file under `dir` (the `.kpi` state included) with its size, modification time and
/// contents: two equal snapshots mean nothing was written there.
fn snapshot(
    dir: &Path,
) -> std::collections::BTreeMap<PathBuf, (u64, std::time::SystemTime, Vec<u8>)> {
    let mut out = std::collections::BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in std::fs::read_dir(&current).unwrap().flatten() {
            let path = entry.path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            if meta.is_dir() {
                pending.push(path.clone());
            }
            let contents = if meta.is_file() {
                std::fs::read(&path).unwrap()
            } else {
                Vec::new()
            };
            out.insert(path, (meta.len(), meta.modified().unwrap(), contents));
        }
    }
    out
}

/// The `--data` test's lake: 20 days from 2024-01-01, 3 companies.
fn data_lake(repo: &Repo) -> PathBuf {
    let lake = repo.dir.path().join("lake");
    let made = kpi_in(
        repo.dir.path(),
        &[
            "sample-data",
            "--days",
            "20",
            "--companies",
            "3",
            "--seed",
            "5",
            "--out",
            lake.to_str().unwrap(),
        ],
    );
    assert_eq!(made.code, 0, "{}", made.stderr);
    lake
}

/// One company's social events of a day (`post`, `comment`, `reaction`, `thanks`).
#[derive(Debug, Default)]
struct Social {
    actions: u64,
    thanks: u64,
    members: std::collections::BTreeSet<i64>,
    members_without_thanks: std::collections::BTreeSet<i64>,
}

/// Per company, its social events of the day, from the raw gzip JSON lines (malformed lines
/// skipped).
fn social_events(lake: &Path, day: &str) -> std::collections::BTreeMap<i64, Social> {
    use std::io::Read;
    let dir = lake.join(format!("engagement-lake/app_logs/events/dt={day}"));
    let mut out: std::collections::BTreeMap<i64, Social> = std::collections::BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let mut text = String::new();
        flate2::read::MultiGzDecoder::new(std::fs::File::open(entry.path()).unwrap())
            .read_to_string(&mut text)
            .unwrap();
        for line in text.lines() {
            let Ok(event) = serde_json::from_str::<Value>(line) else {
                continue;
            };
            let kind = event["kind"].as_str().unwrap_or("");
            if !["post", "comment", "reaction", "thanks"].contains(&kind) {
                continue;
            }
            let member = event["member_id"].as_i64().unwrap();
            let company = out
                .entry(event["company_id"].as_i64().unwrap())
                .or_default();
            company.actions += 1;
            company.members.insert(member);
            if kind == "thanks" {
                company.thanks += 1;
            } else {
                company.members_without_thanks.insert(member);
            }
        }
    }
    out
}

fn data_kpi<'a>(diff: &'a Value, name: &str) -> &'a Value {
    diff["data"]["kpis"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == name)
        .unwrap_or_else(|| panic!("{name} is not in the data diff: {diff:#}"))
}

fn changed_count(kpi: &Value, column: &str) -> u64 {
    kpi["changed"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["column"] == column)
        .map_or(0, |c| c["count"].as_u64().unwrap())
}

#[test]
fn data_counts_the_rows_a_new_filter_changes_without_touching_the_lake() {
    let repo = Repo::new();
    let lake = data_lake(&repo);
    let lake_arg = lake.to_str().unwrap();
    let before = snapshot(&lake);
    repo.edit(
        "activity.kpi",
        "kpi daily_active_members {\n  from events e\n  where e.kind in ('post', 'comment', 'reaction', 'thanks')\n",
        "kpi daily_active_members {\n  from events e\n  where e.kind in ('post', 'comment', 'reaction', 'thanks') and e.kind != 'thanks'\n",
    );
    repo.commit();
    let run = repo.diff(&[
        "--base",
        "HEAD~1",
        "--head",
        "HEAD",
        "--lake",
        lake_arg,
        "--data",
        "2024-01-10",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let diff: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(diff["data"]["days"]["first"], "2024-01-10");
    assert_eq!(diff["data"]["days"]["last"], "2024-01-10");

    // Independently: a company's `actions` changes when it had thanks and other social
    // actions; one with only thanks loses its row.
    let events = social_events(&lake, "2024-01-10");
    let kept = |s: &&Social| s.actions > s.thanks;
    let changed = events
        .values()
        .filter(kept)
        .filter(|s| s.thanks > 0)
        .count();
    let only_thanks = events.len() - events.values().filter(kept).count();
    assert!(changed > 0, "the day has no thanks: {events:?}");
    let dam = data_kpi(&diff, "daily_active_members");
    assert_eq!(dam["base_rows"], events.len() as u64, "{dam:#}");
    assert_eq!(dam["head_rows"], (events.len() - only_thanks) as u64);
    assert_eq!(dam["only_base"], only_thanks as u64);
    assert_eq!(dam["only_head"], 0);
    assert_eq!(changed_count(dam, "actions"), changed as u64, "{dam:#}");
    let example = &dam["changed"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["column"] == "actions")
        .unwrap()["examples"][0];
    let (company, first) = events
        .iter()
        .find(|(_, s)| s.thanks > 0 && s.actions > s.thanks)
        .unwrap();
    assert_eq!(
        example["key"],
        format!("dt=2024-01-10, company_id={company}")
    );
    assert_eq!(example["base"], first.actions.to_string());
    assert_eq!(example["head"], (first.actions - first.thanks).to_string());

    // Downstream, each side from its own daily_active_members: the ratio DAU / MAU moves
    // exactly where the day's active members do (MAU is the same on both sides).
    let fewer_active = events
        .values()
        .filter(kept)
        .filter(|s| s.members_without_thanks.len() < s.members.len())
        .count();
    assert!(fewer_active > 0, "{events:?}");
    let stickiness = data_kpi(&diff, "stickiness");
    assert_eq!(
        changed_count(stickiness, "ratio"),
        fewer_active as u64,
        "{stickiness:#}"
    );
    assert_eq!(stickiness["only_base"], only_thanks as u64);

    let text = repo.diff(&[
        "--base",
        "HEAD~1",
        "--head",
        "HEAD",
        "--lake",
        lake_arg,
        "--data",
        "2024-01-09..2024-01-10",
        "--format",
        "markdown",
    ]);
    assert_eq!(text.code, 0, "{}", text.stderr);
    assert!(
        text.stdout
            .contains("Data on 2024-01-09 to 2024-01-10: 3 of 3 KPIs give other rows."),
        "{}",
        text.stdout
    );
    assert!(text.stdout.contains("| `actions` |"), "{}", text.stdout);

    // Nothing in the lake was written, not even a lock or a staged copy.
    assert!(!lake.join(".kpi").exists());
    assert!(
        before == snapshot(&lake),
        "kpi diff --data wrote into the lake"
    );
}

#[test]
fn data_of_a_cosmetic_change_is_empty_and_a_run_lake_stays_as_it_was() {
    let repo = Repo::new();
    let lake = data_lake(&repo);
    let lake_arg = lake.to_str().unwrap();
    let run = kpi_in(
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
    assert_eq!(run.code, 0, "{}", run.stderr);
    let before = snapshot(&lake);
    assert!(before.contains_key(&lake.join(".kpi/lock")));
    repo.edit_kpi("activity.kpi", "daily_active_members", |block| {
        block.replace(
            "  from events e\n",
            "  // social actions only\n  from   events e\n",
        )
    });
    let run = repo.diff(&[
        "--base",
        "HEAD",
        "--lake",
        lake_arg,
        "--data",
        "2024-01-10",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let diff: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(diff["semantic"], false);
    assert_eq!(diff["data"]["kpis"], Value::Array(Vec::new()), "{diff:#}");
    assert!(
        before == snapshot(&lake),
        "kpi diff --data wrote into the lake"
    );

    // Without --data, `data` is null; --data without --lake is refused.
    assert_eq!(repo.json()["data"], Value::Null);
    let refused = repo.diff(&["--base", "HEAD", "--data", "2024-01-10"]);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(refused.stderr.contains("--lake"), "{}", refused.stderr);
    let bad = repo.diff(&[
        "--base",
        "HEAD",
        "--lake",
        lake_arg,
        "--data",
        "2024-01-10..2024-01-02",
    ]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
}

#[test]
fn data_of_an_added_kpi_is_every_row_only_in_the_head() {
    let repo = Repo::new();
    let lake = data_lake(&repo);
    let path = repo.project.join("activity.kpi");
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str(
        "\n/// Thanks cards sent on the day, per company.\nkpi thanks_sent {\n  from events e\n  \
         where e.kind = 'thanks'\n  group by e.company_id\n  /// Thanks cards.\n  measure thanks = count(*)\n}\n",
    );
    std::fs::write(&path, text).unwrap();
    let run = repo.diff(&[
        "--base",
        "HEAD",
        "--lake",
        lake.to_str().unwrap(),
        "--data",
        "2024-01-10",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let with_thanks = social_events(&lake, "2024-01-10")
        .values()
        .filter(|s| s.thanks > 0)
        .count();
    assert!(with_thanks > 0);
    assert!(
        run.stdout.contains(&format!(
            "thanks_sent 0 rows in the base, {with_thanks} in the head; {with_thanks} rows only in the head"
        )),
        "{}",
        run.stdout
    );
}
