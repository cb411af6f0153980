//! A seed → a small lake for the tables of `tests/catalog/lake.yaml` (gzip JSON lines of
//! events, daily Parquet snapshots, an unpartitioned Parquet table), with every column type of
//! that catalog and NULLs in each nullable place, plus the catalog itself with the locations
//! the local engine reads. Shapes the value tests rely on are placed on purpose, not left to
//! chance: a company without events on a day, comments on a day without posts, a company-day
//! whose durations are all missing, members who move, join and leave mid-range.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{Duration, NaiveDate};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use std::io::Write;
use std::path::Path;

pub const FIRST: &str = "2024-01-01";
pub const DAYS: i64 = 10;
pub const COMPANIES: i64 = 4;
pub const MEMBERS: i64 = 40;
/// No events at all for this company on the second day.
pub const QUIET: (i64, i64) = (4, 1);
/// Comments and reactions but no posts for this company on the third day.
pub const NO_POSTS: (i64, i64) = (4, 2);
/// Every duration missing for this company on the fifth day.
pub const NO_DURATIONS: (i64, i64) = (3, 4);

pub fn day(i: i64) -> NaiveDate {
    NaiveDate::parse_from_str(FIRST, "%Y-%m-%d").unwrap() + Duration::days(i)
}

pub fn company_of(member: i64) -> i64 {
    (member - 1) % COMPANIES + 1
}

/// A member's department on day `i`: two members move, on the 4th and the 7th day.
pub fn department_of(member: i64, i: i64) -> i64 {
    let moved = (member == 5 && i >= 3) || (member == 18 && i >= 6);
    company_of(member) * 10 + (member + i64::from(moved)) % 3
}

/// Members 1–30 joined in 2023; members 31–40 join on the 1st to the 4th.
pub fn joined_on(member: i64) -> NaiveDate {
    if member > 30 {
        day((member - 31) % 4)
    } else {
        day(-200 + member * 6)
    }
}

/// Member 7 leaves on the 5th day; member 12 left before the lake starts.
pub fn left_on(member: i64) -> Option<NaiveDate> {
    match member {
        7 => Some(day(4)),
        12 => Some(day(-31)),
        _ => None,
    }
}

const KINDS: [&str; 7] = [
    "login",
    "view",
    "post",
    "comment",
    "reaction",
    "thanks",
    "profile_update",
];
const CLIENTS: [&str; 3] = ["web", "ios", "android"];
const TAGS: [&str; 5] = ["beta", "news", "team", "beta-2", "x"];
const OSES: [&str; 3] = ["linux", "ios", "android"];

/// Writes the lake: `<out>/test-lake/…`.
pub fn generate(out: &Path, seed: u64) {
    let root = out.join("test-lake");
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut posts: Vec<String> = Vec::new();
    let mut n = 0;
    for i in 0..DAYS {
        let mut lines = Vec::new();
        for member in 1..=MEMBERS {
            let company = company_of(member);
            if joined_on(member) > day(i) || left_on(member).is_some_and(|l| l <= day(i)) {
                continue;
            }
            if (company, i) == QUIET {
                continue;
            }
            // Two members are busy every day; the others do a few things, or nothing.
            let busy = member == 2 || member == 6;
            let count = if busy {
                rng.random_range(10..15)
            } else {
                rng.random_range(0..5)
            };
            for _ in 0..count {
                n += 1;
                let mut kind = KINDS[rng.random_range(0..KINDS.len())];
                if kind == "post" && (company, i) == NO_POSTS {
                    kind = "comment";
                }
                let id = if n % 13 == 0 {
                    format!("xx{n:05}")
                } else {
                    format!("e{i:02}-{n:05}")
                };
                lines.push(event(&mut rng, &id, i, member, kind, &posts));
                if kind == "post" {
                    posts.push(id);
                }
            }
        }
        // Rows with a missing member or company, and a line no reader accepts.
        lines.push(
            json!({"event_id": format!("anon{i}"), "ts": ts(i, 43_200_000),
            "member_id": null, "company_id": 1, "kind": "view", "client": "web",
            "duration_ms": 1200}),
        );
        lines.push(
            json!({"event_id": format!("orphan{i}"), "ts": ts(i, 43_300_000),
            "member_id": 3, "company_id": null, "kind": "post", "client": "ios",
            "duration_ms": 800, "context": {"tags": ["beta"]}}),
        );
        let mut text: String = lines.iter().map(|l| format!("{l}\n")).collect();
        text.push_str("{\"event_id\": \"cut\", \"ts\": \n");
        let dir = root.join(format!("app_logs/events/dt={}", day(i)));
        std::fs::create_dir_all(&dir).unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(text.as_bytes()).unwrap();
        std::fs::write(dir.join("part-0.json.gz"), gz.finish().unwrap()).unwrap();
    }
    write_master(&root);
}

/// Milliseconds into day `i` as a timestamp text, as Hive writes them.
fn ts(i: i64, ms: i64) -> String {
    let t = day(i).and_hms_opt(0, 0, 0).unwrap() + Duration::milliseconds(ms);
    if ms % 1000 == 0 {
        t.format("%Y-%m-%d %H:%M:%S").to_string()
    } else {
        t.format("%Y-%m-%d %H:%M:%S%.3f").to_string()
    }
}

fn event(rng: &mut SmallRng, id: &str, i: i64, member: i64, kind: &str, posts: &[String]) -> Value {
    let company = company_of(member);
    // One event in 15 was logged just before midnight of the day before.
    let stamp = if rng.random_range(0..15) == 0 {
        json!(ts(i - 1, 86_340_000 + rng.random_range(0..59_000)))
    } else if rng.random_range(0..30) == 0 {
        Value::Null
    } else {
        json!(ts(i, rng.random_range(0..86_400_000)))
    };
    let target_post = match kind {
        "comment" | "reaction" if !posts.is_empty() && rng.random_range(0..5) > 0 => {
            json!(posts[posts.len() - 1 - rng.random_range(0..posts.len().min(12))])
        }
        "comment" | "reaction" => json!("gone"),
        _ => Value::Null,
    };
    let colleague = company + COMPANIES * rng.random_range(0..MEMBERS / COMPANIES);
    let target_member = match kind {
        "thanks" if rng.random_range(0..10) == 0 => json!(999),
        "thanks" => json!(colleague),
        "view" if rng.random_range(0..3) == 0 => json!(colleague),
        _ => Value::Null,
    };
    let client = match rng.random_range(0..20) {
        0 if kind != "login" => Value::Null,
        1 if kind == "post" => json!(" BOT "),
        _ => json!(CLIENTS[(member as usize + rng.random_range(0..2)) % 3]),
    };
    let duration = if (company, i) == NO_DURATIONS || rng.random_range(0..10) == 0 {
        Value::Null
    } else {
        json!(rng.random_range(1..40_000))
    };
    let mut o = json!({"event_id": id, "ts": stamp, "member_id": member, "company_id": company,
        "kind": kind, "target_post_id": target_post, "target_member_id": target_member,
        "client": client, "duration_ms": duration});
    if rng.random_range(0..25) > 0 {
        let tags: Vec<&str> = (0..rng.random_range(0..4))
            .map(|_| TAGS[rng.random_range(0..TAGS.len())])
            .collect();
        let mut context = json!({"session_id": format!("s{member}-{i}"),
            "ip": format!("10.0.{company}.{member}"),
            "referrer": if rng.random_range(0..3) == 0 { Value::Null } else { json!("https://intra/") },
            "tags": if rng.random_range(0..8) == 0 { Value::Null } else { json!(tags) }});
        if rng.random_range(0..6) > 0 {
            context["device"] = json!({"os": OSES[member as usize % 3],
                "version": rng.random_range(0..5)});
        }
        o["context"] = context;
    }
    match rng.random_range(0..4) {
        0 => o["attributes"] = json!({"campaign": "spring", "ab": "b"}),
        1 => o["attributes"] = json!({"ab": "a"}),
        2 => o["attributes"] = json!({}),
        _ => {}
    }
    o
}

/// SQL literal of a text, or NULL.
fn text(value: Option<&str>) -> String {
    value.map_or("NULL".into(), |t| format!("'{}'", t.replace('\'', "''")))
}

fn write_master(root: &Path) {
    let conn = duckdb::Connection::open_in_memory().unwrap();
    let copy = |sql: &str, dir: &Path| {
        std::fs::create_dir_all(dir).unwrap();
        let file = dir.join("part-0.parquet");
        conn.execute_batch(&format!(
            "COPY ({sql}) TO '{}' (FORMAT parquet)",
            file.display()
        ))
        .unwrap();
    };
    for i in 0..DAYS {
        let dt = format!("dt={}", day(i));
        let mut rows = Vec::new();
        for m in (1..=MEMBERS).filter(|m| joined_on(*m) <= day(i)) {
            let left = left_on(m).filter(|l| *l <= day(i));
            let score = if m % 9 == 0 {
                "NULL".to_string()
            } else {
                let sign = if m % 11 == 0 { -1.0 } else { 1.0 };
                format!("{:?}", sign * ((m * 37) % 101) as f64 / 7.0)
            };
            let flags = match m % 5 {
                0 => "NULL".to_string(),
                1 => "[]".to_string(),
                _ => format!("[{}, 2, {}]", m % 4, m % 3),
            };
            let role = match m % 7 {
                0 => "manager",
                1 if m < 5 => "admin",
                _ => "member",
            };
            let joined_text = (m % 8 != 0).then(|| joined_on(m).to_string());
            rows.push(format!(
                "({m}, {}, {}, '{role}', DATE '{}', {}, {}, {score}, {flags}::INTEGER[])",
                company_of(m),
                department_of(m, i),
                joined_on(m),
                left.map_or("NULL".into(), |l| format!("DATE '{l}'")),
                text(joined_text.as_deref()),
            ));
        }
        copy(
            &format!(
                "SELECT member_id::BIGINT AS member_id, company_id::BIGINT AS company_id, \
                 department_id::BIGINT AS department_id, role, joined_on, left_on, joined_text, \
                 score::DOUBLE AS score, flags FROM (VALUES {}) AS t(member_id, company_id, \
                 department_id, role, joined_on, left_on, joined_text, score, flags)",
                rows.join(", ")
            ),
            &root.join("master/members").join(&dt),
        );
        let names = ["Sales", "Zoë's team", " Ops "];
        let departments: Vec<String> = (1..=COMPANIES)
            .flat_map(|c| {
                (0..3).map(move |k| {
                    format!("({}, {c}, {})", c * 10 + k, text(Some(names[k as usize])))
                })
            })
            .collect();
        copy(
            &format!(
                "SELECT department_id::BIGINT AS department_id, company_id::BIGINT AS \
                 company_id, name FROM (VALUES {}) AS t(department_id, company_id, name)",
                departments.join(", ")
            ),
            &root.join("master/departments").join(&dt),
        );
        // Company 3's contract value is unknown; company 2 is inactive, company 4's status
        // unknown; companies 1 and 4 share an industry.
        let companies = [
            "(1, 'Acme', 'software', 12345.67, true)",
            "(2, 'Bolt', 'textiles', 800.05, false)",
            "(3, 'Cara', 'chemical', NULL, true)",
            "(4, 'Dune', 'software', 99.99, NULL)",
        ];
        copy(
            &format!(
                "SELECT company_id::BIGINT AS company_id, name, industry, CAST(contract_value AS DECIMAL(12,2)) AS \
                 contract_value, active FROM (VALUES {}) AS t(company_id, name, industry, \
                 contract_value, active)",
                companies.join(", ")
            ),
            &root.join("master/companies").join(&dt),
        );
    }
    copy(
        "SELECT * FROM (VALUES ('software', ' Software '), ('aviation', 'Aviation'), \
         ('FR', 'France')) AS t(code, name)",
        &root.join("master/countries"),
    );
}

/// Writes `<project>/catalog/lake.yaml`: `tests/catalog/lake.yaml` with a location for each
/// table that has none.
pub fn write_catalog(project: &Path) {
    let text =
        std::fs::read_to_string(crate::common::root().join("tests/catalog/lake.yaml")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mut out = String::new();
    let mut database = "";
    for (i, line) in lines.iter().enumerate() {
        out.push_str(line);
        out.push('\n');
        let indent = line.len() - line.trim_start().len();
        let name = line.trim().trim_end_matches(':');
        if indent == 2 && line.ends_with(':') {
            database = name;
        }
        if indent == 4 && line.ends_with(':') {
            let block = lines[i + 1..]
                .iter()
                .take_while(|l| l.len() - l.trim_start().len() > 4 || l.trim().is_empty());
            if !block
                .clone()
                .any(|l| l.trim_start().starts_with("location:"))
            {
                out.push_str(&format!(
                    "      location: s3://test-lake/{database}/{name}/\n"
                ));
            }
        }
    }
    let dir = project.join("catalog");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("lake.yaml"), out).unwrap();
}
