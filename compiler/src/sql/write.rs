//! A KPI's backend IR → the query that computes a chunk of days at once.
//!
//! ```text
//! WITH kpi_days AS (one row per day: day, dt),
//!      kpi_agg  AS (SELECT kpi_days.dt, <dimensions>, <each aggregate once>
//!                   FROM kpi_days
//!                   JOIN (<first relation, pruned to the chunk's reach>) AS e
//!                     ON <e's partition is in the window of kpi_days.day>
//!                   [LEFT] JOIN (<each other relation, pruned>) AS m
//!                     ON <its window> AND <the KPI's condition>
//!                   WHERE <filter>
//!                   GROUP BY kpi_days.dt, <dimensions>)
//! SELECT <dimensions>, <measures over the aggregates>, kpi_days.dt AS dt, <attempt>
//! FROM kpi_days [LEFT] JOIN kpi_agg ON kpi_agg.dt = kpi_days.dt
//! ```
//!
//! A KPI without dimensions has one row per day even when nothing was read (the outer join,
//! with counts of 0), as one query per day would give. Every scan is pruned to the chunk's
//! reach, `[first day - lead-in, last day]`, with bounds computed from the parameters, so
//! partition pruning applies.

use super::ast::{Expr, From, Join, JoinKind, Name, Select, Table};
use super::expr::{Leaves, Scope};
use super::reduce::{self, Reduced};
use crate::lower::{KpiPlan, Plan};
use crate::query::{Reach, Relation, Scan};
use crate::syntax::ast::JoinKind as KpiJoin;
use kpi_contract::Param;
use kpi_contract::manifest::Window;

pub const DAYS: &str = "kpi_days";
pub const AGG: &str = "kpi_agg";
/// The alias of a table inside the subquery that prunes it.
const SCAN: &str = "kpi_scan";

/// The days relation: `day` (a date) and `dt` (its partition text), from the first day of the
/// chunk to its last.
pub fn days() -> Select {
    Select {
        columns: vec![
            (
                Expr::col("kpi_series", "kpi_d").cast(crate::types::Type::Date),
                "day".into(),
            ),
            (
                Expr::col("kpi_series", "kpi_d")
                    .cast(crate::types::Type::Date)
                    .day_text(),
                "dt".into(),
            ),
        ],
        from: Some(From {
            first: Table::DaySeries {
                first: Expr::DateParam(Param::FirstDay),
                last: Expr::DateParam(Param::LastDay),
                alias: "kpi_series".into(),
                column: "kpi_d".into(),
            },
            joins: Vec::new(),
        }),
        ..Select::default()
    }
}

/// The table a relation scans, by its catalog name.
fn scanned(plan: &Plan, scan: &Scan) -> (Name, Option<String>) {
    match scan {
        Scan::Source {
            database,
            table,
            partition,
        } => (
            Name {
                schema: database.clone(),
                table: table.clone(),
            },
            partition.clone(),
        ),
        Scan::Kpi { name } => (
            Name {
                schema: plan.settings.database.clone(),
                table: name.clone(),
            },
            Some("dt".into()),
        ),
    }
}

/// `[day - ends_before - days + 1, day - ends_before]` as partition texts, for a day spelt `day`.
fn window_bounds(day: Expr, window: Window) -> (Expr, Expr) {
    let newest = -i64::from(window.ends_before);
    let oldest = newest - i64::from(window.days.max(1)) + 1;
    (
        day.clone().add_days(oldest).day_text(),
        day.add_days(newest).day_text(),
    )
}

/// The row scope over the relations by these aliases: filters, join conditions, dimensions
/// and aggregate arguments.
fn row_scope(relations: &[String]) -> Scope<'_> {
    Scope {
        relations,
        day: Expr::col(DAYS, "day"),
        leaves: None,
        zero_counts: false,
        rows: None,
        projected: &[],
    }
}

/// A relation as the chunk reads it: pruned to the chunk's reach, and the condition tying
/// each of its rows to the days that read it. `r` is the relation at `position` of those named
/// `aliases`; a reduced one reads its distinct projected rows.
fn relation(
    plan: &Plan,
    r: &Relation,
    aliases: &[String],
    position: usize,
    reduced: Option<&Reduced>,
) -> (Table, Option<Expr>) {
    let (name, partition) = scanned(plan, &r.scan);
    match (r.reach, partition) {
        (Reach::Window(window), Some(column)) => {
            let newest = -i64::from(window.ends_before);
            let oldest = newest - i64::from(window.days.max(1)) + 1;
            let low = if oldest == 0 {
                Expr::Param(Param::FirstDay)
            } else {
                Expr::DateParam(Param::FirstDay).add_days(oldest).day_text()
            };
            let high = if newest == 0 {
                Expr::Param(Param::LastDay)
            } else {
                Expr::DateParam(Param::LastDay).add_days(newest).day_text()
            };
            let mut filter = Expr::Between {
                operand: Box::new(Expr::col(SCAN, &column)),
                low: Box::new(low),
                high: Box::new(high),
                negated: false,
            };
            let mut columns = Vec::new();
            if let Some(reduced) = reduced {
                // Inside its scan, the relation's columns are the scanned table's.
                let mut inside = aliases.to_vec();
                inside[position] = SCAN.into();
                let inside = row_scope(&inside);
                columns.push((Expr::col(SCAN, &column), column.clone()));
                for (e, name) in &reduced.columns {
                    columns.push((inside.sql(e), name.clone()));
                }
                for c in &reduced.pushed {
                    filter = filter.and(inside.sql(c));
                }
            }
            let pruned = Select {
                distinct: reduced.is_some(),
                columns,
                from: Some(From {
                    first: Table::Named {
                        name,
                        alias: SCAN.into(),
                    },
                    joins: Vec::new(),
                }),
                filter: Some(filter),
                ..Select::default()
            };
            let own = Expr::col(&r.alias, &column);
            let tie = if window.days <= 1 {
                let day = if window.ends_before == 0 {
                    Expr::col(DAYS, "dt")
                } else {
                    Expr::col(DAYS, "day").add_days(newest).day_text()
                };
                own.eq(day)
            } else {
                let (low, high) = window_bounds(Expr::col(DAYS, "day"), window);
                let high = if window.ends_before == 0 {
                    Expr::col(DAYS, "dt")
                } else {
                    high
                };
                Expr::Between {
                    operand: Box::new(own),
                    low: Box::new(low),
                    high: Box::new(high),
                    negated: false,
                }
            };
            (
                Table::Subquery {
                    query: Box::new(pruned),
                    alias: r.alias.clone(),
                },
                Some(tie),
            )
        }
        _ => (
            Table::Named {
                name,
                alias: r.alias.clone(),
            },
            None,
        ),
    }
}

/// The chunk's query: one row per computed day and group.
pub fn select(plan: &Plan, kpi: &KpiPlan, attempt_column: bool) -> Select {
    let q = &kpi.query;
    let aliases: Vec<String> = q.relations.iter().map(|r| r.alias.clone()).collect();
    let reading = reduce::reading(q, |i| {
        let r = &q.relations[i];
        match (r.reach, scanned(plan, &r.scan).1) {
            (Reach::Window(w), Some(partition)) if w.days > 1 => Some(partition),
            _ => None,
        }
    });
    let plain = row_scope(&aliases);
    // A reduced relation's expressions, as the row scope reads them from its projection.
    let mut projected = Vec::new();
    for (i, reduced) in reading.reduced.iter().enumerate() {
        let Some(reduced) = reduced else { continue };
        let alias = &aliases[i];
        for (e, name) in &reduced.columns {
            if Reduced::is_bare(e) {
                continue;
            }
            let read = Expr::col(alias, name);
            let read = if reduced.optional {
                let present = Expr::IsNull {
                    operand: Box::new(Expr::col(alias, &reduced.partition)),
                    negated: true,
                };
                Expr::case(
                    vec![(present, read)],
                    Some(plain.sql(&reduce::over_nulls(e, i))),
                )
            } else {
                read
            };
            projected.push((e.clone(), read));
        }
    }
    let row = Scope {
        projected: &projected,
        ..row_scope(&aliases)
    };
    let mut joins = Vec::new();
    for (i, r) in q.relations.iter().enumerate() {
        let (table, tie) = relation(plan, r, &aliases, i, reading.reduced[i].as_ref());
        let on = reading.on[i].as_ref().map(|on| row.sql(on));
        let (kind, on) = match &r.join {
            None => (JoinKind::Inner, tie),
            Some(j) => (
                match j.kind {
                    KpiJoin::Inner => JoinKind::Inner,
                    KpiJoin::Left => JoinKind::Left,
                },
                match (tie, on) {
                    (Some(tie), Some(on)) => Some(tie.and(on)),
                    (tie, on) => tie.or(on),
                },
            ),
        };
        let kind = if on.is_none() { JoinKind::Cross } else { kind };
        joins.push(Join { kind, table, on });
    }
    let leaves = Leaves::of(&q.measures);
    let mut inner_columns = vec![(Expr::col(DAYS, "dt"), "dt".to_string())];
    let mut group_by = vec![Expr::col(DAYS, "dt")];
    for d in &q.dimensions {
        let e = row.sql(&d.expr);
        inner_columns.push((e.clone(), d.name.clone()));
        group_by.push(e);
    }
    for (aggregate, name) in &leaves.items {
        inner_columns.push((row.sql(aggregate), name.clone()));
    }
    let agg = Select {
        columns: inner_columns,
        from: Some(From {
            first: Table::With {
                name: DAYS.into(),
                alias: DAYS.into(),
            },
            joins,
        }),
        filter: reading.filter.as_ref().map(|f| row.sql(f)),
        group_by,
        ..Select::default()
    };
    let zero_counts = q.dimensions.is_empty();
    let outer = Scope {
        leaves: Some((AGG, &leaves, &q.measures)),
        zero_counts,
        ..row_scope(&aliases)
    };
    let mut columns = Vec::new();
    for d in &q.dimensions {
        columns.push((Expr::col(AGG, &d.name).cast(d.ty.clone()), d.name.clone()));
    }
    for m in &q.measures {
        columns.push((outer.sql(&m.expr).cast(m.ty.clone()), m.name.clone()));
    }
    columns.push((Expr::col(DAYS, "dt"), "dt".into()));
    if attempt_column {
        columns.push((Expr::Param(Param::Attempt), "attempt".into()));
    }
    Select {
        with: vec![(DAYS.into(), days()), (AGG.into(), agg)],
        columns,
        from: Some(From {
            first: Table::With {
                name: DAYS.into(),
                alias: DAYS.into(),
            },
            joins: vec![Join {
                kind: if zero_counts {
                    JoinKind::Left
                } else {
                    JoinKind::Inner
                },
                table: Table::With {
                    name: AGG.into(),
                    alias: AGG.into(),
                },
                on: Some(Expr::col(AGG, "dt").eq(Expr::col(DAYS, "dt"))),
            }],
        }),
        ..Select::default()
    }
}
