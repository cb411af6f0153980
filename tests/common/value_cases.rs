//! A case folder (`.kpi` files) → a project over the test lake, run whole by `kpi run`, and
//! every published KPI-day compared with an oracle written in plain Rust over the raw files.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::outputs::{Expected, Published, V, compare, published};
use super::runs::{Outcome, run};
use super::test_lake;
use super::test_raw::RawLake;
use chrono::NaiveDate;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

/// The generated test lake (once per test binary) and its raw rows.
pub fn pristine() -> &'static (tempfile::TempDir, RawLake) {
    static PRISTINE: OnceLock<(tempfile::TempDir, RawLake)> = OnceLock::new();
    PRISTINE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        test_lake::generate(dir.path(), 17);
        let raw = RawLake::read(dir.path());
        (dir, raw)
    })
}

/// A case laid out as a project over its own copy of the test lake.
pub struct Case {
    pub project: tempfile::TempDir,
    pub lake: tempfile::TempDir,
}

impl Case {
    /// The case folder `folder` (relative to the repository), or `.kpi` text written by the
    /// test when `folder` is `None`.
    pub fn new(folder: Option<&str>, files: &[(&str, &str)]) -> Case {
        let project = match folder {
            Some(f) => crate::common::project_from(&crate::common::root().join(f)),
            None => {
                let empty = tempfile::tempdir().unwrap();
                let project = crate::common::project_from(empty.path());
                for (name, text) in files {
                    std::fs::write(project.path().join(name), text).unwrap();
                }
                project
            }
        };
        test_lake::write_catalog(project.path());
        let lake = tempfile::tempdir().unwrap();
        crate::common::copy_tree(pristine().0.path(), lake.path());
        Case { project, lake }
    }

    pub fn run(&self, extra: &[&str]) -> Outcome {
        run(self.project.path(), self.lake.path(), extra)
    }

    pub fn published(&self) -> Published {
        published(self.lake.path())
    }
}

/// Runs a case folder over every day of the test lake and compares every KPI-day with
/// `oracle` (KPI → its expected rows for a day); returns the number of values compared.
pub fn check_case(
    folder: &str,
    oracle: impl Fn(&RawLake, NaiveDate) -> BTreeMap<&'static str, Expected>,
) -> usize {
    let case = Case::new(Some(folder), &[]);
    let out = case.run(&[]);
    let failures: Vec<_> = out.failures().into_iter().take(3).collect();
    assert_eq!(out.code, 0, "{folder}: {}\n{failures:#?}", out.stderr);
    check_published(folder, &case.published(), oracle)
}

/// Compares every published KPI-day with `oracle`; every KPI must be published for every day
/// of the lake, and every column must be non-NULL somewhere, so that no comparison is vacuous.
pub fn check_published(
    what: &str,
    published: &Published,
    oracle: impl Fn(&RawLake, NaiveDate) -> BTreeMap<&'static str, Expected>,
) -> usize {
    let raw = &pristine().1;
    let mut compared = 0;
    let mut want_keys = BTreeSet::new();
    let mut seen: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut columns: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for day in raw.days() {
        for (kpi, expected) in oracle(raw, day) {
            let key = (kpi.to_string(), day.to_string());
            want_keys.insert(key.clone());
            let Some(got) = published.get(&key) else {
                continue;
            };
            compared += compare(&format!("{what}: {kpi} {day}"), got, &expected);
            for row in &expected.rows {
                for (column, value) in row {
                    columns
                        .entry(kpi.into())
                        .or_default()
                        .insert(column.clone());
                    if *value != V::Null {
                        seen.entry(kpi.into()).or_default().insert(column.clone());
                    }
                }
            }
        }
    }
    let got_keys: BTreeSet<_> = published.keys().cloned().collect();
    assert_eq!(got_keys, want_keys, "{what}: the KPI-days published");
    for (kpi, all) in &columns {
        let empty: Vec<_> = all
            .difference(seen.get(kpi).unwrap_or(&BTreeSet::new()))
            .cloned()
            .collect();
        assert!(
            empty.is_empty(),
            "{what}: {kpi} never has a value in {empty:?}"
        );
    }
    assert!(!columns.is_empty(), "{what}: no rows at all");
    compared
}

/// An expected table from groups: `row` turns each group into its columns.
pub fn table<K, T>(
    dimensions: &[&str],
    groups: BTreeMap<K, Vec<T>>,
    row: impl Fn(&K, &[T]) -> Vec<(&'static str, V)>,
) -> Expected {
    let mut e = Expected::new(dimensions);
    for (k, rows) in &groups {
        e.rows.push(
            row(k, rows)
                .into_iter()
                .map(|(c, v)| (c.to_string(), v))
                .collect(),
        );
    }
    e
}

/// Rows grouped by a key.
pub fn group<T, K: Ord>(
    rows: impl IntoIterator<Item = T>,
    key: impl Fn(&T) -> K,
) -> BTreeMap<K, Vec<T>> {
    let mut out: BTreeMap<K, Vec<T>> = BTreeMap::new();
    for r in rows {
        out.entry(key(&r)).or_default().push(r);
    }
    out
}

/// `count(distinct x)`: distinct non-NULL values.
pub fn distinct<T: Ord>(values: impl IntoIterator<Item = Option<T>>) -> V {
    V::Int(values.into_iter().flatten().collect::<BTreeSet<_>>().len() as i64)
}

/// `count(x)`: non-NULL values.
pub fn count<T>(values: impl IntoIterator<Item = Option<T>>) -> V {
    V::Int(values.into_iter().flatten().count() as i64)
}

/// `sum(x)` of whole numbers: NULL when every value is.
pub fn sum_int(values: impl IntoIterator<Item = Option<i64>>) -> V {
    let v: Vec<i64> = values.into_iter().flatten().collect();
    if v.is_empty() {
        V::Null
    } else {
        V::Int(v.iter().sum())
    }
}

/// `sum(x)` of doubles: NULL when every value is.
pub fn sum_f64(values: impl IntoIterator<Item = Option<f64>>) -> V {
    let v: Vec<f64> = values.into_iter().flatten().collect();
    if v.is_empty() {
        V::Null
    } else {
        V::Float(v.iter().sum())
    }
}

/// `avg(x)`: a double, NULL when every value is.
pub fn avg(values: impl IntoIterator<Item = Option<f64>>) -> V {
    let v: Vec<f64> = values.into_iter().flatten().collect();
    if v.is_empty() {
        V::Null
    } else {
        V::Float(v.iter().sum::<f64>() / v.len() as f64)
    }
}

/// `min(x)` / `max(x)` of ordered values.
pub fn min<T: Ord + Into<V>>(values: impl IntoIterator<Item = Option<T>>) -> V {
    V::opt(values.into_iter().flatten().min())
}

pub fn max<T: Ord + Into<V>>(values: impl IntoIterator<Item = Option<T>>) -> V {
    V::opt(values.into_iter().flatten().max())
}

/// `a / b` as kpi divides: a double, NULL when either is NULL or `b` is zero.
pub fn div(a: &V, b: &V) -> V {
    let f = |v: &V| match v {
        V::Int(n) => Some(*n as f64),
        V::Float(x) => Some(*x),
        V::Decimal(u, s) => Some(*u as f64 / 10f64.powi(*s as i32)),
        _ => None,
    };
    match (f(a), f(b)) {
        (Some(x), Some(y)) if y != 0.0 => V::Float(x / y),
        _ => V::Null,
    }
}

pub fn days_ago(day: NaiveDate, n: i64) -> NaiveDate {
    day - chrono::Duration::days(n)
}
