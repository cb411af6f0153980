//! A [`DataDiff`] → the words and numbers of the `data` section, for the templates to lay out:
//! a summary line, then per KPI a line and, per changed column, its examples.

use super::{DataDiff, KpiData};
use serde::Serialize;

#[derive(Serialize)]
pub(super) struct DataView {
    pub head: String,
    pub kpis: Vec<DataKpi>,
}

#[derive(Serialize)]
pub(super) struct DataKpi {
    pub kpi: String,
    pub summary: String,
    /// True when both sides gave the same rows: no table.
    pub same: bool,
    pub rows: Vec<DataRow>,
}

/// One example of a changed column.
#[derive(Serialize)]
pub(super) struct DataRow {
    /// The column's first example.
    pub first: bool,
    pub column: String,
    pub count: String,
    pub key: String,
    pub base: String,
    pub head: String,
}

fn rows_word(n: usize) -> String {
    format!("{n} {}", if n == 1 { "row" } else { "rows" })
}

fn value(v: Option<&str>) -> String {
    v.unwrap_or("NULL").to_string()
}

pub(super) fn data_view(data: &DataDiff) -> DataView {
    let days = if data.days.first == data.days.last {
        data.days.first.to_string()
    } else {
        format!("{} to {}", data.days.first, data.days.last)
    };
    let differ = data.kpis.iter().filter(|k| !k.same()).count();
    let head = match (data.kpis.len(), differ) {
        (0, _) => format!("Data on {days}: no KPI can compute differently."),
        (1, 0) => format!("Data on {days}: the KPI that could differ gives the same rows."),
        (n, 0) => format!("Data on {days}: the {n} KPIs that could differ give the same rows."),
        (1, _) => format!("Data on {days}: the KPI that could differ gives other rows."),
        (n, 1) => format!("Data on {days}: 1 of {n} KPIs gives other rows."),
        (n, d) => format!("Data on {days}: {d} of {n} KPIs give other rows."),
    };
    DataView {
        head,
        kpis: data.kpis.iter().map(kpi_view).collect(),
    }
}

fn kpi_view(k: &KpiData) -> DataKpi {
    let mut parts = vec![format!(
        "{} in the base, {} in the head",
        rows_word(k.base_rows),
        k.head_rows
    )];
    if k.same() {
        parts.push("the same rows".into());
    }
    if k.only_base > 0 {
        parts.push(format!("{} only in the base", rows_word(k.only_base)));
    }
    if k.only_head > 0 {
        parts.push(format!("{} only in the head", rows_word(k.only_head)));
    }
    for c in &k.changed {
        parts.push(format!("`{}` differs in {}", c.column, rows_word(c.count)));
    }
    let mut rows = Vec::new();
    for c in &k.changed {
        for (i, e) in c.examples.iter().enumerate() {
            rows.push(DataRow {
                first: i == 0,
                column: c.column.clone(),
                count: c.count.to_string(),
                key: e.key.clone(),
                base: value(e.base.as_deref()),
                head: value(e.head.as_deref()),
            });
        }
    }
    DataKpi {
        kpi: k.name.clone(),
        summary: parts.join("; "),
        same: k.same(),
        rows,
    }
}
