//! The sample generator's lake → assertions on its values: determinism, layout, counts,
//! malformed lines, realistic shape (weekly rhythm, growth, heavy tails, threads) and the
//! members snapshots' consistency, all read back from the files themselves.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use duckdb::Connection;
use flate2::read::GzDecoder;
use kpi_runtime::parquet::DuckDbParquet;
use kpi_sample::{
    NaiveDate, SampleOptions, SampleReport, app_logs_catalog, generate, master_catalog,
};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

fn options(days: u32, companies: u32) -> SampleOptions {
    SampleOptions {
        days,
        companies,
        ..SampleOptions::default()
    }
}

/// Every file under `dir`, relative path → bytes.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let name = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.insert(name, std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

#[test]
fn same_options_give_byte_identical_lakes_and_reruns_replace_the_lake() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    // A longer run first: the rerun must remove the partitions it no longer produces.
    generate(a.path(), &options(12, 6), &DuckDbParquet).unwrap();
    let first = generate(a.path(), &options(9, 6), &DuckDbParquet).unwrap();
    let second = generate(b.path(), &options(9, 6), &DuckDbParquet).unwrap();
    let (ta, tb) = (tree(a.path()), tree(b.path()));
    assert_eq!(ta.keys().collect::<Vec<_>>(), tb.keys().collect::<Vec<_>>());
    for (name, bytes) in &ta {
        assert!(bytes == &tb[name], "{name} differs between two runs");
        assert!(!name.ends_with(".tmp"), "{name} left behind");
    }
    // 9 days × 4 tables + 2 catalog files.
    assert_eq!(ta.len(), 9 * 4 + 2);
    assert_eq!(first.events, second.events);
    assert_eq!(first.bytes, second.bytes);
    assert_eq!(
        first.bytes,
        ta.values().map(|v| v.len() as u64).sum::<u64>()
    );
    // Another seed gives another lake.
    let c = tempfile::tempdir().unwrap();
    let other = SampleOptions {
        seed: 7,
        ..options(9, 6)
    };
    generate(c.path(), &other, &DuckDbParquet).unwrap();
    let tc = tree(c.path());
    let key = "engagement-lake/app_logs/events/dt=2024-01-01/part-0.json.gz";
    assert_ne!(ta[key], tc[key]);
}

#[test]
fn the_catalog_is_the_projects_snapshot() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../pipelines/catalog");
    let app_logs = std::fs::read_to_string(dir.join("app_logs.json")).unwrap();
    let master = std::fs::read_to_string(dir.join("master.json")).unwrap();
    assert_eq!(app_logs_catalog(), app_logs);
    assert_eq!(master_catalog(), master);
}

#[test]
fn bad_options_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    assert!(generate(dir.path(), &options(0, 3), &DuckDbParquet).is_err());
    assert!(generate(dir.path(), &options(3, 0), &DuckDbParquet).is_err());
    assert!(SampleOptions::parse_start("2024-02-30").is_err());
    assert!(SampleOptions::parse_start("24-1-1").is_err());
    assert_eq!(
        SampleOptions::parse_start("2024-02-29").unwrap(),
        NaiveDate::from_ymd_opt(2024, 2, 29).unwrap()
    );
}

/// An event time in any shape the servers write (`Z`, `+09:00`, `+0900`, no zone, with or
/// without milliseconds) → the UTC instant as `2024-01-04T00:38:29.642Z`.
fn utc(text: &str) -> String {
    let zoned = [
        "%Y-%m-%dT%H:%M:%S%.fZ",
        "%Y-%m-%dT%H:%M:%S%.f%:z",
        "%Y-%m-%dT%H:%M:%S%z",
    ]
    .iter()
    .find_map(|f| {
        chrono::DateTime::parse_from_str(&text.replace('Z', "+00:00"), &f.replace('Z', "%:z")).ok()
    })
    .map(|t| t.naive_utc());
    let naive = ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S"]
        .iter()
        .find_map(|f| chrono::NaiveDateTime::parse_from_str(text, f).ok());
    let at = zoned
        .or(naive)
        .unwrap_or_else(|| panic!("unreadable time {text}"));
    at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// One parsed event line.
#[derive(Debug, Clone)]
struct Ev {
    dt: String,
    id: String,
    ts: String,
    member: i64,
    company: i64,
    kind: String,
    post: Option<String>,
    target_member: Option<i64>,
}

struct Lake {
    root: PathBuf,
    report: SampleReport,
    days: Vec<String>,
    events: Vec<Ev>,
    malformed: u64,
}

const DAYS: u32 = 56;

/// A default-shaped lake over 8 weeks, generated once and read back whole.
fn lake() -> &'static Lake {
    static LAKE: OnceLock<Lake> = OnceLock::new();
    LAKE.get_or_init(|| {
        let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("sample-lake");
        let report = generate(&root, &options(DAYS, 20), &DuckDbParquet).unwrap();
        let start = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        let days: Vec<String> = (0..DAYS)
            .map(|i| (start + chrono_days(i)).format("%Y-%m-%d").to_string())
            .collect();
        let mut events = Vec::new();
        let mut malformed = 0;
        for dt in &days {
            let path = root.join(format!(
                "engagement-lake/app_logs/events/dt={dt}/part-0.json.gz"
            ));
            let mut text = String::new();
            GzDecoder::new(std::fs::File::open(path).unwrap())
                .read_to_string(&mut text)
                .unwrap();
            for line in text.lines() {
                let Ok(v) = serde_json::from_str::<Value>(line) else {
                    malformed += 1;
                    continue;
                };
                events.push(Ev {
                    dt: dt.clone(),
                    id: v["event_id"].as_str().unwrap().to_string(),
                    ts: utc(v["ts"].as_str().unwrap()),
                    member: v["member_id"].as_i64().unwrap(),
                    company: v["company_id"].as_i64().unwrap(),
                    kind: v["kind"].as_str().unwrap().to_string(),
                    post: v["target_post_id"].as_str().map(str::to_string),
                    target_member: v["target_member_id"].as_i64(),
                });
                let context = &v["context"];
                assert!(context["session_id"].is_string() && context["ip"].is_string());
                assert!(context["user_agent"].is_string() && context["tags"].is_array());
                assert!(["web", "ios", "android"].contains(&v["client"].as_str().unwrap()));
            }
        }
        Lake {
            root,
            report,
            days,
            events,
            malformed,
        }
    })
}

fn chrono_days(i: u32) -> chrono::Days {
    chrono::Days::new(u64::from(i))
}

fn duck(lake: &Lake) -> Connection {
    let conn = Connection::open_in_memory().unwrap();
    let master = lake.root.join("engagement-lake/master");
    for table in ["companies", "departments", "members"] {
        let glob = master.join(table).join("*/*.parquet");
        conn.execute_batch(&format!(
            "CREATE VIEW {table} AS SELECT * REPLACE (CAST(dt AS VARCHAR) AS dt) \
             FROM read_parquet('{}', hive_partitioning = true)",
            glob.display()
        ))
        .unwrap();
    }
    conn
}

fn query_i64(conn: &Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap()
}

#[test]
fn every_partition_is_present_and_counts_match_the_report() {
    let lake = lake();
    assert_eq!(lake.report.days, DAYS);
    for table in [
        "app_logs/events",
        "master/companies",
        "master/departments",
        "master/members",
    ] {
        let dir = lake.root.join("engagement-lake").join(table);
        let names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), DAYS as usize, "{table}");
        for dt in &lake.days {
            let files: Vec<_> = std::fs::read_dir(dir.join(format!("dt={dt}")))
                .unwrap()
                .collect();
            assert_eq!(files.len(), 1, "{table} {dt}");
        }
    }
    assert_eq!(lake.events.len() as u64, lake.report.events);
    assert_eq!(lake.malformed, lake.report.malformed_lines);
    assert!(
        lake.malformed >= u64::from(DAYS),
        "at least one malformed line a day"
    );
    assert!(lake.report.events > 50_000, "{}", lake.report.events);
    let ids: HashSet<&str> = lake.events.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids.len(), lake.events.len(), "event ids are unique");
    for e in &lake.events {
        assert!(
            e.ts.starts_with(&e.dt) && e.ts.len() == 24 && e.ts.ends_with('Z'),
            "{e:?}"
        );
    }
    let kinds: HashSet<&str> = lake.events.iter().map(|e| e.kind.as_str()).collect();
    let all = [
        "login",
        "view",
        "post",
        "comment",
        "reaction",
        "thanks",
        "profile_update",
    ];
    assert_eq!(kinds, all.into_iter().collect());

    let conn = duck(lake);
    let last = lake.days.last().unwrap();
    let members = query_i64(
        &conn,
        &format!("SELECT count(*) FROM members WHERE dt = '{last}'"),
    );
    assert_eq!(members as u64, lake.report.members);
    let companies = query_i64(
        &conn,
        &format!("SELECT count(*) FROM companies WHERE dt = '{last}'"),
    );
    assert_eq!(companies, 20);
    // Every event's member is in that day's snapshot, active and in the event's company.
    let mut active: HashSet<(String, i64, i64)> = HashSet::new();
    let mut stmt = conn
        .prepare(
            "SELECT dt, member_id, company_id FROM members \
             WHERE left_on IS NULL OR left_on > CAST(dt AS DATE)",
        )
        .unwrap();
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap();
    for row in rows {
        active.insert(row.unwrap());
    }
    for e in &lake.events {
        assert!(
            active.contains(&(e.dt.clone(), e.member, e.company)),
            "{e:?}"
        );
    }
}

fn daily_totals(lake: &Lake) -> Vec<f64> {
    let mut per_day: HashMap<&str, f64> = HashMap::new();
    for e in &lake.events {
        *per_day.entry(e.dt.as_str()).or_default() += 1.0;
    }
    lake.days.iter().map(|d| per_day[d.as_str()]).collect()
}

#[test]
fn weekdays_are_busier_than_weekends_and_volume_grows_about_20_percent_a_month() {
    let lake = lake();
    let totals = daily_totals(lake);
    // 2024-01-01 was a Monday: days 5 and 6 of every week are the weekend.
    let (mut weekday, mut weekend) = (vec![], vec![]);
    for (i, t) in totals.iter().enumerate() {
        if i % 7 >= 5 {
            &mut weekend
        } else {
            &mut weekday
        }
        .push(*t);
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let ratio = mean(&weekday) / mean(&weekend);
    assert!(ratio > 3.0, "weekday/weekend volume {ratio}");
    let first: f64 = totals[..7].iter().sum();
    let last: f64 = totals[totals.len() - 7..].iter().sum();
    let expected = 1.2f64.powf(f64::from(DAYS - 7) / 30.0);
    let growth = last / first;
    assert!(
        (growth - expected).abs() < 0.15,
        "last week / first week = {growth}, expected about {expected}"
    );
}

#[test]
fn activity_is_heavy_tailed() {
    let lake = lake();
    let mut per_member: HashMap<i64, u64> = HashMap::new();
    for e in &lake.events {
        *per_member.entry(e.member).or_default() += 1;
    }
    let mut counts: Vec<u64> = per_member.into_values().collect();
    counts.sort_unstable_by(|a, b| b.cmp(a));
    let total: u64 = counts.iter().sum();
    let top: u64 = counts[..counts.len() / 10].iter().sum();
    let share = top as f64 / total as f64;
    assert!(
        share > 0.4,
        "the top 10% of members produce {share} of events"
    );
    let median = counts[counts.len() / 2] as f64;
    let mean = total as f64 / counts.len() as f64;
    assert!(mean > 1.5 * median, "mean {mean}, median {median}");
    assert!(
        counts[0] as f64 > 20.0 * median,
        "most active {}",
        counts[0]
    );
}

#[test]
fn comments_and_reactions_target_earlier_posts_of_the_same_company() {
    let lake = lake();
    let posts: HashMap<&str, &Ev> = lake
        .events
        .iter()
        .filter(|e| e.kind == "post")
        .map(|e| (e.id.as_str(), e))
        .collect();
    let day_index: HashMap<&str, usize> = lake
        .days
        .iter()
        .enumerate()
        .map(|(i, d)| (d.as_str(), i))
        .collect();
    let (mut threaded, mut same_day) = (0, 0);
    for e in lake
        .events
        .iter()
        .filter(|e| e.kind == "comment" || e.kind == "reaction")
    {
        let id = e
            .post
            .as_deref()
            .unwrap_or_else(|| panic!("no target: {e:?}"));
        let post = posts
            .get(id)
            .unwrap_or_else(|| panic!("no such post: {e:?}"));
        assert_eq!(post.company, e.company);
        assert!(post.ts <= e.ts, "{post:?} after {e:?}");
        let gap = day_index[e.dt.as_str()] - day_index[post.dt.as_str()];
        assert!(gap <= 1, "{e:?} targets a post {gap} days old");
        threaded += 1;
        same_day += usize::from(gap == 0);
    }
    assert!(threaded > 1000);
    assert!(
        same_day * 2 > threaded,
        "most replies are to the same day's posts"
    );
    for e in &lake.events {
        let needs_post = e.kind == "comment" || e.kind == "reaction";
        assert_eq!(e.post.is_some(), needs_post, "{e:?}");
        if e.kind == "thanks" {
            assert!(e.target_member.is_some_and(|t| t != e.member), "{e:?}");
        }
    }
}

#[test]
fn thanks_stay_within_the_company_and_often_cross_departments() {
    let lake = lake();
    let conn = duck(lake);
    let mut stmt = conn
        .prepare("SELECT dt, member_id, company_id, department_id FROM members")
        .unwrap();
    let rows = stmt
        .query_map([], |r| Ok(((r.get(0)?, r.get(1)?), (r.get(2)?, r.get(3)?))))
        .unwrap();
    let members: HashMap<(String, i64), (i64, i64)> = rows.map(Result::unwrap).collect();
    let (mut thanks, mut across) = (0, 0);
    for e in lake.events.iter().filter(|e| e.kind == "thanks") {
        let from = members[&(e.dt.clone(), e.member)];
        let to = members[&(e.dt.clone(), e.target_member.unwrap())];
        assert_eq!(from.0, to.0, "{e:?} thanks someone in another company");
        thanks += 1;
        across += usize::from(from.1 != to.1);
    }
    let share = across as f64 / thanks as f64;
    assert!(
        thanks > 200 && share > 0.3 && share < 0.9,
        "{across} of {thanks}"
    );
}

#[test]
fn members_appear_from_their_join_day_and_keep_their_left_day() {
    let lake = lake();
    let conn = duck(lake);
    let start = &lake.days[0];
    let bad = |sql: &str| query_i64(&conn, sql);
    // Never before joining; left_on only once it has passed.
    assert_eq!(
        bad("SELECT count(*) FROM members WHERE joined_on > CAST(dt AS DATE)"),
        0
    );
    assert_eq!(
        bad("SELECT count(*) FROM members WHERE left_on > CAST(dt AS DATE)"),
        0
    );
    assert_eq!(
        bad("SELECT count(*) FROM members WHERE left_on <= joined_on"),
        0
    );
    // Present every day from max(joined_on, start) on.
    let sql = format!(
        "SELECT count(*) FROM (SELECT member_id, count(*) AS n, min(joined_on) AS j \
         FROM members GROUP BY member_id) \
         WHERE n <> {DAYS} - greatest(0, date_diff('day', DATE '{start}', j))"
    );
    assert_eq!(bad(&sql), 0);
    // Once left, always left, on the same day.
    let sql = "SELECT count(*) FROM (SELECT member_id FROM members \
               GROUP BY member_id HAVING count(DISTINCT left_on) > 1 \
               OR max(dt) FILTER (WHERE left_on IS NULL) > min(dt) FILTER (WHERE left_on IS NOT NULL))";
    assert_eq!(bad(sql), 0);
    let left = bad("SELECT count(DISTINCT member_id) FROM members WHERE left_on IS NOT NULL");
    let joined = bad(&format!(
        "SELECT count(DISTINCT member_id) FROM members WHERE joined_on >= DATE '{start}'"
    ));
    assert!(left > 20 && joined > 50, "{left} left, {joined} joined");
    assert_eq!(
        bad("SELECT count(*) FROM members WHERE role NOT IN ('member', 'manager', 'admin')"),
        0
    );
    let without_admin = bad(&format!(
        "SELECT count(*) FROM companies c WHERE dt = '{start}' AND NOT EXISTS \
         (SELECT 1 FROM members m WHERE m.dt = c.dt AND m.company_id = c.company_id \
          AND m.role = 'admin')"
    ));
    assert_eq!(without_admin, 0);
    // Heavy-tailed company sizes.
    let mut stmt = conn
        .prepare(&format!(
            "SELECT count(*) FROM members WHERE dt = '{start}' GROUP BY company_id ORDER BY 1 DESC"
        ))
        .unwrap();
    let sizes: Vec<i64> = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(sizes[0] > 5 * sizes[sizes.len() / 2], "{sizes:?}");
}

/// Throughput of the default preset; run with
/// `cargo test --release -p kpi-runtime --no-default-features --test sample -- --ignored`.
#[test]
#[ignore]
fn throughput_of_the_presets() {
    let dir = tempfile::tempdir().unwrap();
    let report = generate(dir.path(), &SampleOptions::default(), &DuckDbParquet).unwrap();
    println!(
        "default: {report:?}, {:.0} events/s",
        report.events_per_second()
    );
    if std::env::var_os("KPI_SAMPLE_LARGE").is_some() {
        let report = generate(dir.path(), &SampleOptions::large(), &DuckDbParquet).unwrap();
        println!(
            "large: {report:?}, {:.0} events/s",
            report.events_per_second()
        );
    }
}
