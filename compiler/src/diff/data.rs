//! Data: the rows a changed KPI gives for some days on each side (computed by the runtime,
//! handed in as text) → what differs row by row: rows only in the base, only in the head,
//! and per column the values that changed, with the first few examples in key order.

use kpi_contract::DayRange;
use kpi_contract::hive::HiveType;
use serde::Serialize;
use std::collections::BTreeMap;

/// How many examples a changed column shows.
pub const EXAMPLES: usize = 5;

/// Two doubles closer than this, relative to the larger, are the same value: both sides
/// compute the same sums in another order.
const RELATIVE_TOLERANCE: f64 = 1e-9;

/// The row-level differences of the changed KPIs over `days` (`kpi diff --data`).
#[derive(Clone, Debug, Serialize)]
pub struct DataDiff {
    pub days: DayRange,
    pub kpis: Vec<KpiData>,
}

#[derive(Clone, Debug, Serialize)]
pub struct KpiData {
    pub name: String,
    pub base_rows: usize,
    pub head_rows: usize,
    /// Rows whose key (dimensions and `dt`) only the base has.
    pub only_base: usize,
    pub only_head: usize,
    /// Columns of both sides with values that differ in rows of both, in column order.
    pub changed: Vec<ColumnData>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ColumnData {
    pub column: String,
    pub count: usize,
    /// The first [`EXAMPLES`] rows in key order.
    pub examples: Vec<Example>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Example {
    /// `dt=2024-01-10, company_id=3`.
    pub key: String,
    pub base: Option<String>,
    pub head: Option<String>,
}

/// One side's rows of one KPI: its columns (with their types) and every value as text.
#[derive(Clone, Debug, Default)]
pub struct Rows {
    pub columns: Vec<(String, HiveType)>,
    pub rows: Vec<Vec<Option<String>>>,
}

impl KpiData {
    /// True when both sides gave the same rows.
    pub fn same(&self) -> bool {
        self.only_base == 0 && self.only_head == 0 && self.changed.is_empty()
    }
}

/// Compares one KPI's rows. `key` names the columns that identify a row (its dimensions and
/// `dt`); those a side lacks are left out of the key. Rows with the same key (possible only
/// when the grain changed) pair up in the order given.
pub fn compare_rows(name: &str, key: &[String], base: &Rows, head: &Rows) -> KpiData {
    let has = |rows: &Rows, c: &str| rows.columns.iter().any(|(n, _)| n == c);
    let key: Vec<&String> = key
        .iter()
        .filter(|k| has(base, k) && has(head, k))
        .collect();
    let base_rows = keyed(&key, base);
    let head_rows = keyed(&key, head);
    let mut only_base = 0;
    let mut only_head = 0;
    let compared: Vec<(&str, &HiveType, usize, usize)> = head
        .columns
        .iter()
        .enumerate()
        .filter(|(_, (n, _))| !key.contains(&n))
        .filter_map(|(h, (n, ty))| {
            let b = base.columns.iter().position(|(bn, _)| bn == n)?;
            Some((n.as_str(), ty, b, h))
        })
        .collect();
    let mut changed: Vec<ColumnData> = compared
        .iter()
        .map(|(n, _, _, _)| ColumnData {
            column: (*n).to_string(),
            count: 0,
            examples: Vec::new(),
        })
        .collect();
    for (k, bs) in &base_rows {
        let hs = head_rows.get(k).map_or(&[][..], Vec::as_slice);
        only_base += bs.len().saturating_sub(hs.len());
        for (b, h) in bs.iter().zip(hs) {
            for (i, (_, ty, bi, hi)) in compared.iter().enumerate() {
                let (bv, hv) = (&base.rows[*b][*bi], &head.rows[*h][*hi]);
                if same_value(ty, bv.as_deref(), hv.as_deref()) {
                    continue;
                }
                let column = &mut changed[i];
                column.count += 1;
                if column.examples.len() < EXAMPLES {
                    column.examples.push(Example {
                        key: k.shown.clone(),
                        base: bv.clone(),
                        head: hv.clone(),
                    });
                }
            }
        }
    }
    for (k, hs) in &head_rows {
        let bs = base_rows.get(k).map_or(0, Vec::len);
        only_head += hs.len().saturating_sub(bs);
    }
    changed.retain(|c| c.count > 0);
    KpiData {
        name: name.to_string(),
        base_rows: base.rows.len(),
        head_rows: head.rows.len(),
        only_base,
        only_head,
        changed,
    }
}

/// A row's key: its values, ordered as the key columns are, and how it is shown.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    values: Vec<KeyValue>,
    shown: String,
}

/// A key value, ordered as its column's type orders it (company 2 before company 10).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum KeyValue {
    Null,
    Integer(i128),
    Text(String),
}

fn key_value(ty: &HiveType, value: Option<&str>) -> KeyValue {
    let integer = matches!(
        ty,
        HiveType::TinyInt | HiveType::SmallInt | HiveType::Int | HiveType::BigInt
    );
    match value {
        None => KeyValue::Null,
        Some(v) => match v.parse::<i128>() {
            Ok(n) if integer => KeyValue::Integer(n),
            _ => KeyValue::Text(v.to_string()),
        },
    }
}

/// Each key → the rows holding it, in the order given.
fn keyed(key: &[&String], rows: &Rows) -> BTreeMap<Key, Vec<usize>> {
    let at: Vec<(usize, &HiveType)> = key
        .iter()
        .filter_map(|k| {
            let i = rows.columns.iter().position(|(n, _)| n == *k)?;
            Some((i, &rows.columns[i].1))
        })
        .collect();
    let mut out: BTreeMap<Key, Vec<usize>> = BTreeMap::new();
    for (i, row) in rows.rows.iter().enumerate() {
        let values: Vec<KeyValue> = at
            .iter()
            .map(|&(c, ty)| key_value(ty, row[c].as_deref()))
            .collect();
        let shown = key
            .iter()
            .zip(&at)
            .map(|(k, &(c, _))| format!("{k}={}", row[c].as_deref().unwrap_or("NULL")))
            .collect::<Vec<_>>()
            .join(", ");
        out.entry(Key { values, shown }).or_default().push(i);
    }
    out
}

/// Equal text, or for floating-point columns numbers within the relative tolerance.
fn same_value(ty: &HiveType, base: Option<&str>, head: Option<&str>) -> bool {
    match (base, head) {
        (None, None) => true,
        (Some(b), Some(h)) if b == h => true,
        (Some(b), Some(h)) if matches!(ty, HiveType::Double | HiveType::Float) => {
            match (b.parse::<f64>(), h.parse::<f64>()) {
                (Ok(b), Ok(h)) => {
                    (b.is_nan() && h.is_nan())
                        || (b - h).abs() <= RELATIVE_TOLERANCE * b.abs().max(h.abs())
                }
                _ => false,
            }
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(columns: &[(&str, HiveType)], rows: &[&[Option<&str>]]) -> Rows {
        Rows {
            columns: columns
                .iter()
                .map(|(n, t)| ((*n).to_string(), t.clone()))
                .collect(),
            rows: rows
                .iter()
                .map(|r| r.iter().map(|v| v.map(str::to_string)).collect())
                .collect(),
        }
    }

    #[test]
    fn rows_are_matched_by_key_and_values_compared_column_by_column() {
        let columns = [
            ("company_id", HiveType::BigInt),
            ("actions", HiveType::BigInt),
            ("ratio", HiveType::Double),
            ("dt", HiveType::String),
        ];
        let base = rows(
            &columns,
            &[
                &[Some("1"), Some("10"), Some("0.5"), Some("2024-01-10")],
                &[Some("2"), Some("7"), Some("0.1"), Some("2024-01-10")],
                &[Some("3"), Some("4"), None, Some("2024-01-10")],
            ],
        );
        let head = rows(
            &columns,
            &[
                &[
                    Some("2"),
                    Some("5"),
                    Some("0.10000000000000001"),
                    Some("2024-01-10"),
                ],
                &[Some("1"), Some("9"), Some("0.6"), Some("2024-01-10")],
                &[Some("4"), Some("1"), Some("1"), Some("2024-01-10")],
            ],
        );
        let key = ["dt".to_string(), "company_id".to_string()];
        let d = compare_rows("k", &key, &base, &head);
        assert_eq!((d.base_rows, d.head_rows), (3, 3));
        assert_eq!((d.only_base, d.only_head), (1, 1));
        let changed: Vec<(&str, usize)> = d
            .changed
            .iter()
            .map(|c| (c.column.as_str(), c.count))
            .collect();
        // 0.1 and 0.10000000000000001 are the same double within the tolerance.
        assert_eq!(changed, [("actions", 2), ("ratio", 1)]);
        assert_eq!(d.changed[0].examples[0].key, "dt=2024-01-10, company_id=1");
        assert_eq!(d.changed[0].examples[0].base.as_deref(), Some("10"));
        assert_eq!(d.changed[0].examples[0].head.as_deref(), Some("9"));
        assert!(!d.same());
        assert!(compare_rows("k", &key, &base, &base).same());
    }

    #[test]
    fn a_side_without_the_kpi_has_every_row_only_on_the_other() {
        let columns = [("dt", HiveType::String), ("n", HiveType::BigInt)];
        let head = rows(&columns, &[&[Some("2024-01-10"), Some("1")]]);
        let d = compare_rows("k", &["dt".to_string()], &Rows::default(), &head);
        assert_eq!((d.base_rows, d.only_head, d.only_base), (0, 1, 0));
        assert!(d.changed.is_empty());
    }
}
