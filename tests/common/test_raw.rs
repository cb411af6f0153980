//! The test lake's raw files → typed rows in plain Rust, for the value tests' oracles: events
//! from the gzip JSON lines (flate2 and serde_json; lines that are not JSON objects left out,
//! a missing field is NULL), snapshots and tables from their Parquet files (DuckDB's
//! `read_parquet` on each file, not kpi's views).

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{Duration, NaiveDate, NaiveDateTime};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;

#[derive(Debug, Clone)]
pub struct Device {
    pub os: Option<String>,
    pub version: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct Context {
    pub session_id: Option<String>,
    pub ip: Option<String>,
    pub referrer: Option<String>,
    pub tags: Option<Vec<String>>,
    pub device: Option<Device>,
}

#[derive(Debug, Clone)]
pub struct Event {
    pub dt: NaiveDate,
    pub event_id: Option<String>,
    pub ts: Option<NaiveDateTime>,
    pub member_id: Option<i64>,
    pub company_id: Option<i64>,
    pub kind: Option<String>,
    pub target_post_id: Option<String>,
    pub target_member_id: Option<i64>,
    pub client: Option<String>,
    pub duration_ms: Option<i64>,
    pub context: Option<Context>,
    pub attributes: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Clone)]
pub struct Member {
    pub dt: NaiveDate,
    pub member_id: Option<i64>,
    pub company_id: Option<i64>,
    pub department_id: Option<i64>,
    pub role: Option<String>,
    pub joined_on: Option<NaiveDate>,
    pub left_on: Option<NaiveDate>,
    pub joined_text: Option<String>,
    pub score: Option<f64>,
    pub flags: Option<Vec<Option<i64>>>,
}

#[derive(Debug, Clone)]
pub struct Department {
    pub department_id: Option<i64>,
    pub company_id: Option<i64>,
    pub name: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Company {
    pub company_id: Option<i64>,
    pub name: Option<String>,
    pub industry: Option<String>,
    /// In cents: `decimal(12,2)` read exactly.
    pub contract_value: Option<i128>,
    pub active: Option<bool>,
}

#[derive(Debug, Clone)]
pub struct Country {
    pub code: Option<String>,
    pub name: Option<String>,
}

pub struct RawLake {
    pub events: BTreeMap<NaiveDate, Vec<Event>>,
    pub members: BTreeMap<NaiveDate, Vec<Member>>,
    pub departments: BTreeMap<NaiveDate, Vec<Department>>,
    pub companies: BTreeMap<NaiveDate, Vec<Company>>,
    pub countries: Vec<Country>,
}

fn text(v: &Value) -> Option<String> {
    v.as_str().map(String::from)
}

fn timestamp(v: &Value) -> Option<NaiveDateTime> {
    let t = v.as_str()?;
    Some(NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S%.f").unwrap())
}

fn date(v: &Value) -> Option<NaiveDate> {
    v.as_str()
        .map(|t| NaiveDate::parse_from_str(t, "%Y-%m-%d").unwrap())
}

fn event(dt: NaiveDate, o: &Value) -> Event {
    let c = &o["context"];
    let context = c.is_object().then(|| Context {
        session_id: text(&c["session_id"]),
        ip: text(&c["ip"]),
        referrer: text(&c["referrer"]),
        tags: c["tags"]
            .as_array()
            .map(|t| t.iter().map(|x| x.as_str().unwrap().to_string()).collect()),
        device: c["device"].is_object().then(|| Device {
            os: text(&c["device"]["os"]),
            version: c["device"]["version"].as_i64(),
        }),
    });
    Event {
        dt,
        event_id: text(&o["event_id"]),
        ts: timestamp(&o["ts"]),
        member_id: o["member_id"].as_i64(),
        company_id: o["company_id"].as_i64(),
        kind: text(&o["kind"]),
        target_post_id: text(&o["target_post_id"]),
        target_member_id: o["target_member_id"].as_i64(),
        client: text(&o["client"]),
        duration_ms: o["duration_ms"].as_i64(),
        context,
        attributes: o["attributes"].as_object().map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                .collect()
        }),
    }
}

/// Each row of a Parquet file as a JSON object; the `exact` columns as text (decimals).
fn parquet_rows(conn: &duckdb::Connection, file: &Path, exact: &[&str]) -> Vec<Value> {
    let replace = if exact.is_empty() {
        String::new()
    } else {
        let casts: Vec<String> = exact
            .iter()
            .map(|c| format!("CAST({c} AS VARCHAR) AS {c}"))
            .collect();
        format!(" REPLACE ({})", casts.join(", "))
    };
    let mut stmt = conn
        .prepare(&format!(
            "SELECT to_json(t)::VARCHAR FROM (SELECT *{replace} FROM read_parquet('{}')) t",
            file.display()
        ))
        .unwrap();
    stmt.query_map([], |r| r.get::<_, String>(0))
        .unwrap()
        .map(|r| serde_json::from_str(&r.unwrap()).unwrap())
        .collect()
}

/// Day → the rows of each `dt=` partition of a table.
fn daily(conn: &duckdb::Connection, dir: &Path, exact: &[&str]) -> BTreeMap<NaiveDate, Vec<Value>> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let day = NaiveDate::parse_from_str(&name[3..], "%Y-%m-%d").unwrap();
        out.insert(day, parquet_rows(conn, &path.join("part-0.parquet"), exact));
    }
    out
}

fn cents(v: &Value) -> Option<i128> {
    let t = v.as_str()?;
    let (whole, fraction) = t.split_once('.').unwrap_or((t, ""));
    Some(format!("{whole}{fraction:0<2}").parse().unwrap())
}

impl RawLake {
    pub fn read(lake: &Path) -> RawLake {
        let root = lake.join("test-lake");
        let mut events = BTreeMap::new();
        for entry in std::fs::read_dir(root.join("app_logs/events")).unwrap() {
            let dir = entry.unwrap().path();
            let name = dir.file_name().unwrap().to_string_lossy().to_string();
            let dt = NaiveDate::parse_from_str(&name[3..], "%Y-%m-%d").unwrap();
            let file = std::fs::File::open(dir.join("part-0.json.gz")).unwrap();
            let list: Vec<Event> = BufReader::new(flate2::read::GzDecoder::new(file))
                .lines()
                .filter_map(|l| serde_json::from_str::<Value>(&l.unwrap()).ok())
                .filter(Value::is_object)
                .map(|o| event(dt, &o))
                .collect();
            events.insert(dt, list);
        }
        let conn = duckdb::Connection::open_in_memory().unwrap();
        let members = daily(&conn, &root.join("master/members"), &[])
            .into_iter()
            .map(|(dt, rows)| {
                let list = rows
                    .iter()
                    .map(|r| Member {
                        dt,
                        member_id: r["member_id"].as_i64(),
                        company_id: r["company_id"].as_i64(),
                        department_id: r["department_id"].as_i64(),
                        role: text(&r["role"]),
                        joined_on: date(&r["joined_on"]),
                        left_on: date(&r["left_on"]),
                        joined_text: text(&r["joined_text"]),
                        score: r["score"].as_f64(),
                        flags: r["flags"]
                            .as_array()
                            .map(|a| a.iter().map(Value::as_i64).collect()),
                    })
                    .collect();
                (dt, list)
            })
            .collect();
        let departments = daily(&conn, &root.join("master/departments"), &[])
            .into_iter()
            .map(|(dt, rows)| {
                let list = rows
                    .iter()
                    .map(|r| Department {
                        department_id: r["department_id"].as_i64(),
                        company_id: r["company_id"].as_i64(),
                        name: text(&r["name"]),
                    })
                    .collect();
                (dt, list)
            })
            .collect();
        let companies = daily(&conn, &root.join("master/companies"), &["contract_value"])
            .into_iter()
            .map(|(dt, rows)| {
                let list = rows
                    .iter()
                    .map(|r| Company {
                        company_id: r["company_id"].as_i64(),
                        name: text(&r["name"]),
                        industry: text(&r["industry"]),
                        contract_value: cents(&r["contract_value"]),
                        active: r["active"].as_bool(),
                    })
                    .collect();
                (dt, list)
            })
            .collect();
        let countries = parquet_rows(&conn, &root.join("master/countries/part-0.parquet"), &[])
            .iter()
            .map(|r| Country {
                code: text(&r["code"]),
                name: text(&r["name"]),
            })
            .collect();
        RawLake {
            events,
            members,
            departments,
            companies,
            countries,
        }
    }

    pub fn days(&self) -> Vec<NaiveDate> {
        self.events.keys().copied().collect()
    }

    /// The events of day D.
    pub fn events_of(&self, day: NaiveDate) -> &[Event] {
        self.events.get(&day).map(Vec::as_slice).unwrap_or_default()
    }

    /// The events of the `days` days ending `ending` days before D.
    pub fn window(&self, day: NaiveDate, days: i64, ending: i64) -> Vec<&Event> {
        (0..days)
            .flat_map(|i| self.events_of(day - Duration::days(ending + i)))
            .collect()
    }

    /// The members snapshot of D.
    pub fn members_of(&self, day: NaiveDate) -> &[Member] {
        self.members
            .get(&day)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }
}
