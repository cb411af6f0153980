//! The generated sample lake read through the engine's own source views, against the raw
//! files read another way (gzip JSON with flate2 and serde_json, times parsed with chrono;
//! Parquet with DuckDB's `read_parquet` on the files themselves): the count, minimum and
//! maximum of every column of every source, and whole rows.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use flate2::read::MultiGzDecoder;
use kpi_runtime::engine::Engine;
use kpi_sample::SampleOptions;
use serde_json::Value;
use std::io::Read;
use std::path::Path;
use std::sync::OnceLock;

struct Sample {
    _dir: tempfile::TempDir,
    root: std::path::PathBuf,
    engine: std::sync::Mutex<Engine>,
    /// (dt, the valid event lines).
    events: Vec<(String, Value)>,
}

/// The rows of a query through the engine's views.
fn query(sql: &str) -> Vec<Vec<String>> {
    let engine = sample().engine.lock().unwrap();
    support::rows(engine.connection(), sql).unwrap()
}

fn sample() -> &'static Sample {
    static SAMPLE: OnceLock<Sample> = OnceLock::new();
    SAMPLE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let options = SampleOptions {
            days: 4,
            companies: 6,
            ..SampleOptions::default()
        };
        let lake = support::sample_lake(dir.path(), &options);
        let engine = Engine::open(&lake, &support::sample_manifest()).unwrap();
        let root = dir.path().join("engagement-lake");
        let mut events = Vec::new();
        let mut days: Vec<_> = std::fs::read_dir(root.join("app_logs/events"))
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        days.sort();
        for day in days {
            let dt = day
                .file_name()
                .unwrap()
                .to_string_lossy()
                .trim_start_matches("dt=")
                .to_string();
            let mut text = String::new();
            MultiGzDecoder::new(std::fs::File::open(day.join("part-0.json.gz")).unwrap())
                .read_to_string(&mut text)
                .unwrap();
            for line in text.lines() {
                if let Ok(v @ Value::Object(_)) = serde_json::from_str::<Value>(line) {
                    events.push((dt.clone(), v));
                }
            }
        }
        Sample {
            _dir: dir,
            root,
            engine: std::sync::Mutex::new(engine),
            events,
        }
    })
}

/// An event time as the servers write it → UTC, to the millisecond.
fn utc(text: &str) -> String {
    let zoned = ["%Y-%m-%dT%H:%M:%S%.f%:z", "%Y-%m-%dT%H:%M:%S%.f%z"]
        .iter()
        .find_map(|f| chrono::DateTime::parse_from_str(&text.replace('Z', "+00:00"), f).ok())
        .map(|t| t.naive_utc());
    let naive = ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"]
        .iter()
        .find_map(|f| chrono::NaiveDateTime::parse_from_str(text, f).ok());
    let at = zoned
        .or(naive)
        .unwrap_or_else(|| panic!("unreadable time {text}"));
    at.format("%Y-%m-%d %H:%M:%S%.3f").to_string()
}

/// (count, min, max) as text.
type Stats = [String; 3];

fn stats<T: Ord + ToString>(values: impl Iterator<Item = Option<T>>) -> Stats {
    let present: Vec<T> = values.flatten().collect();
    let text = |v: Option<&T>| v.map_or("NULL".to_string(), ToString::to_string);
    [
        present.len().to_string(),
        text(present.iter().min()),
        text(present.iter().max()),
    ]
}

fn engine_stats(sql_expr: &str, table: &str) -> Stats {
    let sql = format!(
        "SELECT CAST(count({sql_expr}) AS VARCHAR), CAST(min({sql_expr}) AS VARCHAR), CAST(max({sql_expr}) AS VARCHAR) FROM {table}"
    );
    let row = query(&sql).remove(0);
    [row[0].clone(), row[1].clone(), row[2].clone()]
}

#[test]
fn every_event_column_has_the_count_min_and_max_of_the_raw_lines() {
    let s = sample();
    let at = |v: &Value, path: &str| -> Value {
        path.split('.')
            .fold(v.clone(), |v, k| v.get(k).cloned().unwrap_or(Value::Null))
    };
    let text = |path: &'static str| {
        move |(_, v): &(String, Value)| at(v, path).as_str().map(str::to_string)
    };
    let number = |path: &'static str| move |(_, v): &(String, Value)| at(v, path).as_i64();
    let strings = [
        "event_id",
        "kind",
        "target_post_id",
        "client",
        "context.session_id",
        "context.ip",
        "context.user_agent",
        "context.referrer",
    ];
    for path in strings {
        let want = stats(s.events.iter().map(text(path)));
        assert_eq!(engine_stats(path, "app_logs.events"), want, "{path}");
    }
    for path in ["member_id", "company_id", "target_member_id"] {
        let want = stats(s.events.iter().map(number(path)));
        assert_eq!(engine_stats(path, "app_logs.events"), want, "{path}");
    }
    let ts = stats(s.events.iter().map(|(_, v)| v["ts"].as_str().map(utc)));
    assert_eq!(ts[0], s.events.len().to_string(), "every event has a time");
    assert_eq!(
        engine_stats("strftime(ts, '%Y-%m-%d %H:%M:%S.%g')", "app_logs.events"),
        ts,
        "ts"
    );
    let dt = stats(s.events.iter().map(|(dt, _)| Some(dt.clone())));
    assert_eq!(engine_stats("dt", "app_logs.events"), dt, "dt");
    // context.tags: the arrays, then their elements.
    let arrays = stats(
        s.events
            .iter()
            .map(|(_, v)| v["context"]["tags"].as_array().map(|a| a.len())),
    );
    assert_eq!(
        engine_stats("len(context.tags)", "app_logs.events"),
        arrays,
        "context.tags"
    );
    let tags = stats(s.events.iter().flat_map(|(_, v)| {
        v["context"]["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().map(str::to_string))
            .collect::<Vec<_>>()
    }));
    assert_eq!(
        engine_stats(
            "tag",
            "(SELECT unnest(context.tags) AS tag FROM app_logs.events)"
        ),
        tags,
        "context.tags[]"
    );
}

#[test]
fn the_events_carry_every_timestamp_shape_athena_reads() {
    let mut shapes = std::collections::BTreeMap::new();
    for (_, v) in &sample().events {
        let t = v["ts"].as_str().unwrap();
        let shape = match (
            t.contains(' '),
            t.contains('.'),
            t.ends_with('Z'),
            t.rfind(['+', '-']).filter(|&i| i > 10),
        ) {
            (true, true, false, None) => "space, fraction, no zone",
            (false, true, true, None) => "fraction, Z",
            (false, true, false, Some(i)) if t[i..].contains(':') => "fraction, +HH:MM",
            (false, false, false, Some(i)) if !t[i..].contains(':') => "no fraction, +HHMM",
            (false, false, false, None) => "no fraction, no zone",
            _ => panic!("unexpected shape {t}"),
        };
        *shapes.entry(shape).or_insert(0) += 1;
    }
    assert_eq!(shapes.len(), 5, "{shapes:?}");
}

#[test]
fn one_event_reads_back_whole() {
    let s = sample();
    let (dt, event) = s
        .events
        .iter()
        .find(|(_, v)| {
            v["target_member_id"].is_i64()
                && v["context"]["tags"]
                    .as_array()
                    .is_some_and(|t| !t.is_empty())
                && v["ts"]
                    .as_str()
                    .is_some_and(|t| t.contains(":00") && t.contains('+'))
        })
        .expect("an event with every kind of value");
    let sql = format!(
        "SELECT event_id, strftime(ts, '%Y-%m-%d %H:%M:%S.%g'), CAST(member_id AS VARCHAR), CAST(company_id AS VARCHAR), kind, \
         target_post_id, CAST(target_member_id AS VARCHAR), client, context.session_id, context.ip, context.user_agent, \
         context.referrer, CAST(context.tags AS VARCHAR), dt FROM app_logs.events WHERE event_id = '{}'",
        event["event_id"].as_str().unwrap()
    );
    let got = query(&sql);
    let text = |v: &Value| match v {
        Value::Null => "NULL".to_string(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let c = &event["context"];
    let tags: Vec<String> = c["tags"].as_array().unwrap().iter().map(text).collect();
    let want = vec![
        text(&event["event_id"]),
        utc(event["ts"].as_str().unwrap()),
        text(&event["member_id"]),
        text(&event["company_id"]),
        text(&event["kind"]),
        text(&event["target_post_id"]),
        text(&event["target_member_id"]),
        text(&event["client"]),
        text(&c["session_id"]),
        text(&c["ip"]),
        text(&c["user_agent"]),
        text(&c["referrer"]),
        format!("[{}]", tags.join(", ")),
        dt.clone(),
    ];
    assert_eq!(got, vec![want]);
}

/// The columns of a master table, read by DuckDB from the raw files (no view, no cast).
fn raw_parquet(root: &Path, table: &str, expr: &str) -> Stats {
    let files = root.join(format!("master/{table}/dt=*/part-0.parquet"));
    let conn = duckdb::Connection::open_in_memory().unwrap();
    let sql = format!(
        "SELECT CAST(count({expr}) AS VARCHAR), CAST(min({expr}) AS VARCHAR), CAST(max({expr}) AS VARCHAR) \
         FROM read_parquet('{}', hive_partitioning = false)",
        files.display()
    );
    let row = support::rows(&conn, &sql).unwrap().remove(0);
    [row[0].clone(), row[1].clone(), row[2].clone()]
}

#[test]
fn every_master_column_has_the_count_min_and_max_of_the_raw_files() {
    let s = sample();
    let tables: [(&str, &[&str]); 3] = [
        (
            "companies",
            &[
                "company_id",
                "name",
                "industry",
                "size_band",
                "contract_value",
            ],
        ),
        ("departments", &["department_id", "company_id", "name"]),
        (
            "members",
            &[
                "member_id",
                "company_id",
                "department_id",
                "role",
                "joined_on",
                "left_on",
            ],
        ),
    ];
    for (table, columns) in tables {
        for column in columns {
            let want = raw_parquet(&s.root, table, column);
            assert_eq!(
                engine_stats(column, &format!("master.{table}")),
                want,
                "master.{table}.{column}"
            );
        }
        let rows: u64 = raw_parquet(&s.root, table, "1")[0].parse().unwrap();
        let days = std::fs::read_dir(s.root.join(format!("master/{table}")))
            .unwrap()
            .count() as u64;
        let dt = engine_stats("dt", &format!("master.{table}"));
        assert_eq!(
            dt,
            [
                rows.to_string(),
                "2024-01-01".into(),
                format!("2024-01-{days:02}")
            ],
            "master.{table}.dt"
        );
    }
    // The decimal keeps its two places.
    let value = engine_stats("contract_value", "master.companies");
    assert!(
        value[1].contains('.') && value[1].split('.').nth(1).unwrap().len() == 2,
        "{value:?}"
    );
}

#[test]
fn one_member_reads_back_whole() {
    let s = sample();
    let file = s.root.join("master/members/dt=2024-01-04/part-0.parquet");
    let conn = duckdb::Connection::open_in_memory().unwrap();
    let columns = "CAST(member_id AS VARCHAR), CAST(company_id AS VARCHAR), CAST(department_id AS VARCHAR), role, \
                   CAST(joined_on AS VARCHAR), CAST(left_on AS VARCHAR)";
    let raw = support::rows(
        &conn,
        &format!("SELECT {columns} FROM read_parquet('{}') ORDER BY left_on NULLS LAST, member_id LIMIT 1", file.display()),
    )
    .unwrap()
    .remove(0);
    let got = query(&format!(
        "SELECT {columns}, dt FROM master.members WHERE dt = '2024-01-04' AND member_id = {}",
        raw[0]
    ));
    let mut want = raw.clone();
    want.push("2024-01-04".into());
    assert_eq!(got, vec![want]);
}
