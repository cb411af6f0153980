//! A lake's published KPI-days → their rows as text, read the way Athena would (the local
//! catalog's partition locations, each partition's Parquet files read directly), and their
//! comparison with values computed independently: integers, text, dates and decimals exact,
//! doubles within 1e-12 relative, approximate counts within Athena's documented error.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{NaiveDate, NaiveDateTime};
use duckdb::Connection;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// One published KPI-day: its columns (the partition's own, `dt` and `attempt` left out) and
/// its rows, every value cast to text by DuckDB (`None` for NULL), sorted.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Option<String>>>,
}

/// (KPI, day) → its published rows.
pub type Published = BTreeMap<(String, String), Table>;

/// The local catalog: which attempt each KPI partition points at.
pub fn catalog(lake: &Path) -> Value {
    let text = std::fs::read_to_string(lake.join(".kpi/catalog.json")).unwrap_or_default();
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// Every published KPI-day of the lake, each checked against the catalog's row count.
pub fn published(lake: &Path) -> Published {
    let catalog = catalog(lake);
    let conn = Connection::open_in_memory().unwrap();
    let mut out = Published::new();
    let Some(tables) = catalog["tables"].as_object() else {
        return out;
    };
    for (table, t) in tables {
        let kpi = table.split('.').nth(1).unwrap().to_string();
        for (day, p) in t["partitions"].as_object().unwrap() {
            let location = p["location"].as_str().unwrap().trim_start_matches("s3://");
            let files = parquet_files(&lake.join(location));
            assert!(!files.is_empty(), "{kpi} {day}: no file at {location}");
            let table = read(&conn, &files);
            assert_eq!(
                table.rows.len() as u64,
                p["rows"].as_u64().unwrap(),
                "{kpi} {day}: the catalog's row count"
            );
            out.insert((kpi.clone(), day.clone()), table);
        }
    }
    out
}

/// The data files directly under a partition's prefix (not below it, as Hive reads them).
fn parquet_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.is_file()
                && p.file_name()
                    .is_some_and(|n| !n.to_string_lossy().starts_with(['.', '_']))
        })
        .collect();
    files.sort();
    files
}

fn read(conn: &Connection, files: &[PathBuf]) -> Table {
    let list: Vec<String> = files
        .iter()
        .map(|f| format!("'{}'", f.display().to_string().replace('\'', "''")))
        .collect();
    let source = format!(
        "read_parquet([{}], hive_partitioning = false)",
        list.join(", ")
    );
    let mut stmt = conn
        .prepare(&format!(
            "SELECT column_name FROM (DESCRIBE SELECT * FROM {source})"
        ))
        .unwrap();
    let columns: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .filter(|c: &String| c != "dt" && c != "attempt")
        .collect();
    let select: Vec<String> = columns
        .iter()
        .map(|c| format!("CAST(\"{c}\" AS VARCHAR)"))
        .collect();
    let mut stmt = conn
        .prepare(&format!("SELECT {} FROM {source}", select.join(", ")))
        .unwrap();
    let n = columns.len();
    let mut rows: Vec<Vec<Option<String>>> = stmt
        .query_map([], |r| (0..n).map(|i| r.get(i)).collect())
        .unwrap()
        .map(Result::unwrap)
        .collect();
    rows.sort();
    Table { columns, rows }
}

/// A value computed independently, in the type the KPI's column should have.
#[derive(Debug, Clone, PartialEq)]
pub enum V {
    Null,
    Int(i64),
    Float(f64),
    /// An exact decimal: the unscaled integer and the scale.
    Decimal(i128, u32),
    Text(String),
    Bool(bool),
    Date(NaiveDate),
    Timestamp(NaiveDateTime),
    /// `approx_distinct` of a set whose exact size is this: Athena documents a standard error
    /// of 2.3%, and the value must be within four standard errors (at least 1) of it.
    Approx(i64),
    /// An estimate (`approx_percentile`) that must lie within these bounds, both included.
    Within(f64, f64),
}

impl V {
    /// A value or NULL.
    pub fn opt<T: Into<V>>(value: Option<T>) -> V {
        value.map_or(V::Null, Into::into)
    }

    /// The text a dimension's value has in the published partition, to key rows by.
    fn key_text(&self) -> String {
        match self {
            V::Null => "NULL".into(),
            V::Int(n) | V::Approx(n) => n.to_string(),
            V::Text(s) => s.clone(),
            V::Bool(b) => b.to_string(),
            V::Date(d) => d.to_string(),
            // As DuckDB writes a timestamp: the fraction of a second only when there is one.
            V::Timestamp(t) => {
                let text = t.format("%Y-%m-%d %H:%M:%S%.6f").to_string();
                text.trim_end_matches('0').trim_end_matches('.').to_string()
            }
            other => panic!("{other:?} cannot key a row"),
        }
    }

    /// Whether DuckDB's text of a published value is this value.
    fn matches(&self, got: Option<&str>) -> bool {
        let Some(got) = got else {
            return *self == V::Null;
        };
        match self {
            V::Null => false,
            V::Int(n) => got.parse::<i64>() == Ok(*n),
            V::Float(want) => got.parse::<f64>().is_ok_and(|g| close(g, *want)),
            V::Decimal(unscaled, scale) => parse_decimal(got, *scale) == Some(*unscaled),
            V::Text(s) => got == s,
            V::Bool(b) => got == b.to_string(),
            V::Date(d) => NaiveDate::parse_from_str(got, "%Y-%m-%d").ok() == Some(*d),
            V::Timestamp(t) => {
                NaiveDateTime::parse_from_str(got, "%Y-%m-%d %H:%M:%S%.f").ok() == Some(*t)
            }
            V::Within(low, high) => got.parse::<f64>().is_ok_and(|g| *low <= g && g <= *high),
            V::Approx(exact) => got.parse::<i64>().is_ok_and(|g| {
                let bound = ((4.0 * 0.023 * *exact as f64).ceil() as i64).max(1);
                (g - exact).abs() <= bound
            }),
        }
    }
}

impl From<i64> for V {
    fn from(n: i64) -> V {
        V::Int(n)
    }
}
impl From<usize> for V {
    fn from(n: usize) -> V {
        V::Int(n as i64)
    }
}
impl From<i32> for V {
    fn from(n: i32) -> V {
        V::Int(i64::from(n))
    }
}
impl From<f64> for V {
    fn from(x: f64) -> V {
        V::Float(x)
    }
}
impl From<&str> for V {
    fn from(s: &str) -> V {
        V::Text(s.into())
    }
}
impl From<String> for V {
    fn from(s: String) -> V {
        V::Text(s)
    }
}
impl From<bool> for V {
    fn from(b: bool) -> V {
        V::Bool(b)
    }
}
impl From<NaiveDate> for V {
    fn from(d: NaiveDate) -> V {
        V::Date(d)
    }
}
impl From<NaiveDateTime> for V {
    fn from(t: NaiveDateTime) -> V {
        V::Timestamp(t)
    }
}

/// Equal within 1e-12 relative (exactly, for zero).
pub fn close(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() <= 1e-12 * a.abs().max(b.abs())
}

/// `123.4` at scale 2 → 12340; `None` when the text is not a decimal of at most that scale.
fn parse_decimal(text: &str, scale: u32) -> Option<i128> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    if fraction.len() > scale as usize {
        return None;
    }
    let padded = format!("{whole}{fraction:0<width$}", width = scale as usize);
    let value: i128 = padded.parse().ok()?;
    Some(if negative { -value } else { value })
}

/// The rows one KPI-day should have: its dimensions (which key the rows) and every column.
#[derive(Debug, Clone, Default)]
pub struct Expected {
    pub dimensions: Vec<String>,
    pub rows: Vec<BTreeMap<String, V>>,
}

impl Expected {
    pub fn new(dimensions: &[&str]) -> Expected {
        Expected {
            dimensions: dimensions.iter().map(|d| d.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row from (column, value) pairs.
    pub fn row<const N: usize>(&mut self, values: [(&str, V); N]) {
        self.rows.push(
            values
                .into_iter()
                .map(|(c, v)| (c.to_string(), v))
                .collect(),
        );
    }
}

/// Compares one published KPI-day with what it should hold: the same columns, the same rows
/// (by their dimensions, so a missing or extra row is named), every value; returns the
/// number of values compared.
pub fn compare(what: &str, got: &Table, want: &Expected) -> usize {
    let want_columns: BTreeSet<&String> = want
        .rows
        .first()
        .map(|r| r.keys().collect())
        .unwrap_or_default();
    if !want.rows.is_empty() {
        let got_columns: BTreeSet<&String> = got.columns.iter().collect();
        assert_eq!(got_columns, want_columns, "{what}: the columns");
    }
    let position = |c: &str| got.columns.iter().position(|g| g == c).unwrap();
    let got_keyed: BTreeMap<Vec<String>, &Vec<Option<String>>> = got
        .rows
        .iter()
        .map(|r| {
            let key = want
                .dimensions
                .iter()
                .map(|d| r[position(d)].clone().unwrap_or_else(|| "NULL".into()))
                .collect();
            (key, r)
        })
        .collect();
    assert_eq!(got_keyed.len(), got.rows.len(), "{what}: rows share a key");
    let want_keyed: BTreeMap<Vec<String>, &BTreeMap<String, V>> = want
        .rows
        .iter()
        .map(|r| {
            let key = want.dimensions.iter().map(|d| r[d].key_text()).collect();
            (key, r)
        })
        .collect();
    assert_eq!(
        want_keyed.len(),
        want.rows.len(),
        "{what}: expected rows share a key"
    );
    let missing: Vec<_> = want_keyed
        .keys()
        .filter(|k| !got_keyed.contains_key(*k))
        .collect();
    let extra: Vec<_> = got_keyed
        .keys()
        .filter(|k| !want_keyed.contains_key(*k))
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{what}: {} rows missing, such as {:?}; {} rows not expected, such as {:?}",
        missing.len(),
        &missing[..missing.len().min(5)],
        extra.len(),
        &extra[..extra.len().min(5)]
    );
    let mut compared = 0;
    for (key, row) in &want_keyed {
        let published = got_keyed[key];
        for (column, value) in *row {
            let text = published[position(column)].as_deref();
            assert!(
                value.matches(text),
                "{what} {key:?}: {column} is {text:?}, expected {value:?}"
            );
            compared += 1;
        }
    }
    compared
}
