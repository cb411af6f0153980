//! The project around the KPIs, base → head: `kpi.yaml` target settings, a moved
//! `history_start`, the catalog snapshot's drift, and the head's errors placed at their KPI.

use super::{
    Change, ColumnChangeKind, ColumnDrift, CutChange, HeadError, HistoryChange, SettingChange,
    TableDrift,
};
use crate::catalog::{Catalog, Table};
use crate::driver::Compiled;
use crate::ir::{Program, RelationTarget};
use crate::lower::Plan;
use kpi_contract::DayRange;

pub(super) fn settings(base: &Plan, head: &Plan) -> (Vec<SettingChange>, Option<HistoryChange>) {
    let (b, h) = (&base.settings, &head.settings);
    let mut out = Vec::new();
    let mut push = |setting: &str, x: String, y: String, effect: &str, semantic: bool| {
        if x != y {
            out.push(SettingChange {
                setting: setting.into(),
                base: x,
                head: y,
                effect: effect.into(),
                semantic,
            });
        }
    };
    push(
        "time_zone",
        b.time_zone.clone(),
        h.time_zone.clone(),
        "every KPI's days begin and end at other instants; every KPI-day is recomputed",
        true,
    );
    push(
        "database",
        b.database.clone(),
        h.database.clone(),
        "every KPI's table moves to another database and is written anew",
        true,
    );
    push(
        "location",
        b.location.clone(),
        h.location.clone(),
        "every KPI's files move to another location and are written anew",
        true,
    );
    let operational = "how the work runs, not what it computes";
    push(
        "workgroup",
        b.workgroup.clone(),
        h.workgroup.clone(),
        operational,
        false,
    );
    push(
        "concurrency",
        b.concurrency.to_string(),
        h.concurrency.to_string(),
        operational,
        false,
    );
    push(
        "chunk_days",
        b.chunk_days.to_string(),
        h.chunk_days.to_string(),
        operational,
        false,
    );
    push(
        "max_backfill_days",
        b.max_backfill_days.to_string(),
        h.max_backfill_days.to_string(),
        operational,
        false,
    );
    push(
        "crawler",
        b.crawler.clone().unwrap_or_default(),
        h.crawler.clone().unwrap_or_default(),
        operational,
        false,
    );
    // A moved history_start is a change of range, reported as such (`history`).
    (out, history(base, head))
}

/// The days a moved `history_start` adds or removes, and per windowed KPI the days kept on
/// both sides whose window is cut at another day: day D reads `[D − lead-in, D]`, cut at the
/// start, so the days from the later start to the later start + lead-in − 1 change.
fn history(base: &Plan, head: &Plan) -> Option<HistoryChange> {
    let (b, h) = (base.settings.history_start, head.settings.history_start);
    if b == h {
        return None;
    }
    let before = |d: kpi_contract::Day| d.add_days(-1);
    let added = if h < b {
        before(b).and_then(|last| DayRange::new(h, last))
    } else {
        None
    };
    let removed = if h > b {
        before(h).and_then(|last| DayRange::new(b, last))
    } else {
        None
    };
    let later = b.max(h);
    let cut = head
        .kpis
        .iter()
        .filter_map(|k| {
            let lead_in = k.query.lead_in();
            let last = later.add_days(i64::from(lead_in) - 1)?;
            (lead_in > 0)
                .then(|| DayRange::new(later, last))
                .flatten()
                .map(|days| CutChange {
                    kpi: k.name.clone(),
                    days,
                })
        })
        .collect();
    Some(HistoryChange {
        base: b,
        head: h,
        added,
        removed,
        cut,
    })
}

/// Tables of the catalog snapshot added, removed, or whose columns changed, with the KPIs
/// that read each.
pub(super) fn drift(base: &Compiled, head: &Compiled) -> Vec<TableDrift> {
    let readers = head.program.as_ref().or(base.program.as_ref());
    let mut out = catalog_drift(&base.catalog, &head.catalog);
    for d in &mut out {
        if let Some((db, table)) = d.table.split_once('.') {
            d.read_by = read_by(readers, &db.to_lowercase(), &table.to_lowercase());
        }
    }
    out
}

/// Tables added, removed, or whose columns (partition keys included) changed from `base` to
/// `head`: a committed snapshot against another, or against live Glue (`kpi schema diff`).
pub fn catalog_drift(base: &Catalog, head: &Catalog) -> Vec<TableDrift> {
    let mut out = Vec::new();
    let (bt, ht) = (&base.tables, &head.tables);
    for (key, h) in ht {
        match bt.get(key) {
            None => out.push(TableDrift {
                table: h.qualified_name(),
                change: Change::Added,
                columns: Vec::new(),
                read_by: Vec::new(),
            }),
            Some(b) => {
                let columns = column_drift(b, h);
                if !columns.is_empty() {
                    out.push(TableDrift {
                        table: h.qualified_name(),
                        change: Change::Changed,
                        columns,
                        read_by: Vec::new(),
                    });
                }
            }
        }
    }
    for b in bt
        .iter()
        .filter(|(k, _)| !ht.contains_key(k))
        .map(|(_, b)| b)
    {
        out.push(TableDrift {
            table: b.qualified_name(),
            change: Change::Removed,
            columns: Vec::new(),
            read_by: Vec::new(),
        });
    }
    out
}

fn column_drift(base: &Table, head: &Table) -> Vec<ColumnDrift> {
    let all = |t: &Table| -> Vec<(String, String)> {
        t.columns
            .iter()
            .chain(&t.partition_keys)
            .map(|c| (c.name.clone(), c.ty.to_string()))
            .collect()
    };
    let (b, h) = (all(base), all(head));
    let mut out = Vec::new();
    for (name, ty) in &h {
        match b.iter().find(|(n, _)| n == name) {
            None => out.push(ColumnDrift {
                column: name.clone(),
                change: ColumnChangeKind::Added,
                base: None,
                head: Some(ty.clone()),
                renames: None,
            }),
            Some((_, old)) if old != ty => out.push(ColumnDrift {
                column: name.clone(),
                change: ColumnChangeKind::Retyped,
                base: Some(old.clone()),
                head: Some(ty.clone()),
                renames: None,
            }),
            Some(_) => {}
        }
    }
    for (name, ty) in b.iter().filter(|(n, _)| !h.iter().any(|(m, _)| m == n)) {
        out.push(ColumnDrift {
            column: name.clone(),
            change: ColumnChangeKind::Removed,
            base: Some(ty.clone()),
            head: None,
            renames: None,
        });
    }
    let of = |change: ColumnChangeKind, ty: &Option<String>, out: &[ColumnDrift]| {
        out.iter()
            .filter(|c| c.change == change && (c.base.as_ref().or(c.head.as_ref())) == ty.as_ref())
            .map(|c| c.column.clone())
            .collect::<Vec<_>>()
    };
    let pairs: Vec<(String, String)> = out
        .iter()
        .filter(|c| c.change == ColumnChangeKind::Added)
        .filter_map(|c| {
            let added = of(ColumnChangeKind::Added, &c.head, &out);
            let removed = of(ColumnChangeKind::Removed, &c.head, &out);
            match (added.as_slice(), removed.as_slice()) {
                ([_], [old]) => Some((c.column.clone(), old.clone())),
                _ => None,
            }
        })
        .collect();
    for (new, old) in pairs {
        if let Some(c) = out.iter_mut().find(|c| c.column == new) {
            c.renames = Some(old);
        }
    }
    out
}

/// The KPIs that read the table `database.table` through one of the project's sources.
fn read_by(program: Option<&Program>, database: &str, table: &str) -> Vec<String> {
    let Some(program) = program else {
        return Vec::new();
    };
    let sources: Vec<&str> = program
        .sources
        .iter()
        .filter(|s| s.database == database && s.table == table)
        .map(|s| s.name.as_str())
        .collect();
    program
        .kpis
        .iter()
        .filter(|k| {
            k.relations.iter().any(
                |r| matches!(&r.target, RelationTarget::Source(s) if sources.contains(&s.as_str())),
            )
        })
        .map(|k| k.name.clone())
        .collect()
}

/// The head's errors, each at its file, line and column and in the KPI whose text holds it.
pub(super) fn head_errors(head: &Compiled) -> Vec<HeadError> {
    head.diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| {
            let span = d.primary.as_ref().map(|l| l.span);
            let at = span.map(|s| head.sources.line_col(s.file, s.start));
            let kpi = span.and_then(|s| {
                head.program.as_ref()?.kpis.iter().find(|k| {
                    k.span.file == s.file && k.span.start <= s.start && s.start < k.span.end
                })
            });
            HeadError {
                code: d.code.0.to_string(),
                message: d.message.clone(),
                file: span.map(|s| head.sources.name(s.file).to_string()),
                line: at.map(|a| a.line),
                column: at.map(|a| a.column),
                kpi: kpi.map(|k| k.name.clone()),
            }
        })
        .collect()
}
