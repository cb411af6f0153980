//! `kpi diff --data` as a black box: a generated lake, a git repository holding a copy of
//! `pipelines/`, one change a test; the rows each side computes compared with values counted
//! from the raw events, and the lake checked untouched.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod cli_support;
#[path = "diff/repo.rs"]
mod repo;

use cli_support::kpi_in;
use repo::Repo;
use serde_json::Value;
use std::path::{Path, PathBuf};

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

    // A semantic change, computed while another process holds the lake's lock (as a
    // running `kpi run` would): --data neither waits for it nor takes it, and the lake's
    // staged copies, linked into the scratch lakes, stay as they were.
    repo.edit(
        "activity.kpi",
        "  where e.kind in ('post', 'comment', 'reaction', 'thanks')\n  group by e.company_id\n",
        "  where e.kind in ('post', 'comment', 'reaction')\n  group by e.company_id\n",
    );
    let lock = lake.join(".kpi/lock");
    let held = cli_support::run(
        std::process::Command::new("flock")
            .arg("--nonblock")
            .arg(&lock)
            .arg(env!("CARGO_BIN_EXE_kpi"))
            .args([
                "diff",
                "--project",
                "pipelines",
                "--base",
                "HEAD",
                "--lake",
                lake_arg,
                "--data",
                "2024-01-10",
                "--format",
                "json",
            ])
            .current_dir(repo.dir.path()),
    );
    assert_eq!(held.code, 0, "{}", held.stderr);
    let diff: Value = serde_json::from_str(&held.stdout).unwrap();
    let dam = data_kpi(&diff, "daily_active_members");
    assert!(changed_count(dam, "actions") > 0, "{dam:#}");
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
