//! The diff over in-memory projects: what each kind of change is classified as, the
//! downstream KPIs, the time zone, and the backfill's cut.

use super::*;
use crate::driver::{Options, Overlay, compile};

const PROJECT: &str = "name: t\ncatalog: catalog/\nsources:\n  events:\n    table: app_logs.events\n    kind: events\n    partition: dt\ntarget:\n  database: t_kpi\n  location: s3://lake/kpi/\n  workgroup: kpi\n  concurrency: 2\n  history_start: 2024-01-01\n  chunk_days: 10\n  max_backfill_days: 25\n";
const CATALOG: &str = "databases:\n  app_logs:\n    events:\n      location: s3://lake/app_logs/events/\n      format: json\n      columns:\n        member_id: bigint\n        kind: string\n      partition_keys:\n        dt: string\n";
const POSTS: &str = "/// Posts.\nkpi posts {\n  from events e\n  where e.kind = 'post'\n  measure posts = count(*)\n  measure members = count(e.member_id)\n}\n";
const WEEKLY: &str = "kpi weekly {\n  from posts p over 7 days\n  measure posts = sum(p.posts)\n}\nkpi members_weekly {\n  from posts p over 7 days\n  measure members = sum(p.members)\n}\n";

fn compiled(project: &str, posts: &str) -> Compiled {
    let files = Overlay::new()
        .file("kpi.yaml", project)
        .file("catalog/app_logs.yaml", CATALOG)
        .file("posts.kpi", posts)
        .file("weekly.kpi", WEEKLY);
    let options = Options {
        build: true,
        ..Options::default()
    };
    let c = compile(&files, &options).unwrap();
    assert!(!c.has_errors(), "{:?}", c.diagnostics);
    c
}

fn between(posts: &str) -> Diff {
    diff(
        &compiled(PROJECT, POSTS),
        &compiled(PROJECT, posts),
        "base",
        "head",
    )
}

fn natures(d: &Diff) -> Vec<(&str, Nature)> {
    d.kpis.iter().map(|k| (k.name.as_str(), k.nature)).collect()
}

#[test]
fn the_same_project_has_no_change() {
    let d = between(POSTS);
    assert!(d.kpis.is_empty() && !d.semantic && !d.breaking);
}

#[test]
fn a_changed_measure_reaches_only_the_kpis_that_read_it() {
    let d = between(&POSTS.replace("count(e.member_id)", "count(e.kind)"));
    assert_eq!(
        natures(&d),
        [
            ("posts", Nature::Semantic),
            ("members_weekly", Nature::Semantic)
        ]
    );
    let posts = &d.kpis[0];
    assert!(posts.breaking);
    assert_eq!(posts.schema.len(), 1);
    assert_eq!(posts.schema[0].change, ColumnChangeKind::Meaning);
    let downstream: Vec<(&str, bool)> = posts
        .downstream
        .iter()
        .map(|x| (x.kpi.as_str(), x.must_recompute))
        .collect();
    assert_eq!(downstream, [("members_weekly", true), ("weekly", false)]);
    assert_eq!(d.fingerprint_only, ["weekly"]);
}

#[test]
fn a_measure_added_before_another_leaves_the_other_alone() {
    let d = between(&POSTS.replace(
        "  measure posts = count(*)\n",
        "  measure first = min(e.member_id)\n  measure posts = count(*)\n",
    ));
    let posts = &d.kpis[0];
    assert!(!posts.breaking, "{posts:?}");
    assert_eq!(posts.schema.len(), 1);
    assert_eq!(posts.schema[0].column, "first");
}

#[test]
fn a_retyped_measure_is_breaking() {
    let d = between(&POSTS.replace("count(*)", "sum(e.member_id * 1.5)"));
    let posts = &d.kpis[0];
    assert!(posts.breaking);
    assert_eq!(posts.schema[0].change, ColumnChangeKind::Retyped);
}

#[test]
fn a_changed_time_zone_is_semantic_for_every_kpi() {
    let head = PROJECT.replace("  chunk_days", "  time_zone: Asia/Tokyo\n  chunk_days");
    let d = diff(
        &compiled(PROJECT, POSTS),
        &compiled(&head, POSTS),
        "base",
        "head",
    );
    assert!(d.semantic);
    assert_eq!(d.settings.len(), 1);
    assert_eq!(d.settings[0].setting, "time_zone");
    assert_eq!(d.kpis.len(), 3);
    assert!(
        d.kpis
            .iter()
            .all(|k| k.nature == Nature::Semantic && k.recompute)
    );
}

#[test]
fn the_backfill_is_cut_into_executions_then_chunks() {
    let base = compiled(PROJECT, POSTS);
    let head = compiled(PROJECT, &POSTS.replace("'post'", "'comment'"));
    let d = diff(&base, &head, "base", "head");
    let plan = &head.artifacts.as_ref().unwrap().plan;
    let last = Day::parse("2024-02-09").unwrap(); // 40 days
    let price = |_: &str, c: DayRange| {
        Some(Cost {
            bytes: u64::from(c.len()),
            billed_bytes: 0,
            dollars: 0.0,
        })
    };
    let b = backfill(&d, plan, last, "test", &price);
    // Executions of 25 days (25 + 15), each cut at 10: 10, 10, 5, 10, 5.
    let posts = &b.kpis[0];
    let lens: Vec<u32> = posts.chunks.iter().map(|c| c.len()).collect();
    assert_eq!(lens, [10, 10, 5, 10, 5]);
    assert_eq!(posts.queries, 10);
    assert_eq!(b.kpis.len(), 3);
    assert_eq!(b.kpi_days, 3 * 40);
    assert_eq!(b.cost.map(|c| c.bytes), Some(3 * 40));
    // Levels 0 and 1, 5 chunks and 10 chunks at concurrency 2: 3 + 5 waves.
    assert_eq!(
        b.wall.seconds,
        8 * (backfill::WRITE_SECONDS + backfill::CHECK_SECONDS)
    );
}

#[test]
fn reordered_measures_are_semantic_but_change_no_column() {
    let d = between(&POSTS.replace(
        "  measure posts = count(*)\n  measure members = count(e.member_id)\n",
        "  measure members = count(e.member_id)\n  measure posts = count(*)\n",
    ));
    let posts = &d.kpis[0];
    assert_eq!(posts.nature, Nature::Semantic);
    assert!(posts.schema.is_empty() && !posts.breaking, "{posts:?}");
    assert!(posts.reasons[0].contains("order"), "{posts:?}");
    // Its readers read columns whose values stay.
    assert!(posts.downstream.iter().all(|x| !x.must_recompute));
}
