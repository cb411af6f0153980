//! A KPI's checks → the query that judges each day of a chunk on the attempt's rows: one row
//! per day, oldest first, with the rows written and why the day fails (NULL when it passes).
//!
//! A check holds only when its condition is true: NULL fails it, for row checks as for
//! partition checks. The failure names the check (`file:line: text`) and, for a row check,
//! how many rows fail and the first of them (its dimensions and the columns the condition
//! reads), so the message says where to look.
//!
//! ```text
//! WITH kpi_days AS (…),
//!      kpi_rows AS (SELECT *, <whether the row fails each row check> FROM <the attempt's rows>),
//!      kpi_verdict AS (SELECT dt, rows, <per check: failing rows and the first, or whether
//!                      it fails> FROM kpi_days LEFT JOIN kpi_rows … GROUP BY dt)
//! SELECT dt, rows, <the failures, as one text> AS failure FROM kpi_verdict ORDER BY dt
//! ```

use super::ast::{Agg, BinOp, Expr, From, Func, Join, JoinKind, Lit, Select, Table};
use super::expr::Scope;
use super::write::{DAYS, days};
use crate::lower::KpiPlan;
use crate::query::{ExprKind, Rule};
use crate::types::Type;
use kpi_contract::aws::check;
use kpi_contract::limits::MAX_CHECK_FAILURE_CHARS;

pub const ROWS: &str = "kpi_rows";
const VERDICT: &str = "kpi_verdict";

fn count_name(i: usize) -> String {
    format!("kpi_c{}", i + 1)
}

fn fails_name(i: usize) -> String {
    format!("kpi_fails_{}", i + 1)
}

/// `rows`: the attempt's rows of the chunk (a relation with the KPI's columns and `dt`).
pub fn select(kpi: &KpiPlan, rows: Select) -> Select {
    let q = &kpi.query;
    let scope = Scope {
        relations: &[],
        day: Expr::col(DAYS, "day"),
        leaves: None,
        zero_counts: false,
        rows: Some(ROWS),
        projected: &[],
    };
    // Each row check's verdict on a row, computed once, beside the row's columns.
    let mut row_flags = Vec::new();
    let mut joins = vec![Join {
        kind: JoinKind::Left,
        table: Table::With {
            name: ROWS.into(),
            alias: ROWS.into(),
        },
        on: Some(Expr::col(ROWS, "dt").eq(Expr::col(DAYS, "dt"))),
    }];
    let mut verdict_columns = vec![
        (Expr::col(DAYS, "dt"), check::DAY.to_string()),
        (
            Expr::agg(Agg::Count, Some(Expr::col(ROWS, "dt"))),
            check::ROWS.to_string(),
        ),
    ];
    let mut messages = Vec::new();
    for (i, c) in q.checks.iter().enumerate() {
        let label = Expr::str(&format!("check failed ({}): ", c.label));
        let count = Expr::col(VERDICT, &count_name(i));
        match &c.rule {
            Rule::Row { condition } => {
                let on_row = Scope {
                    rows: Some("kpi_scan"),
                    ..scope_for_rows()
                };
                row_flags.push((
                    Expr::Not(Box::new(holds(on_row.sql(condition)))),
                    fails_name(i),
                ));
                let fails = Expr::col(ROWS, &fails_name(i));
                verdict_columns.push((Expr::agg(Agg::CountIf, Some(fails.clone())), count_name(i)));
                verdict_columns.push((
                    Expr::agg(
                        Agg::Min,
                        Some(Expr::case(vec![(fails, row_text(kpi, condition))], None)),
                    ),
                    format!("kpi_first_{}", i + 1),
                ));
                messages.push(Expr::case(
                    vec![(
                        Expr::bin(BinOp::Gt, count.clone(), Expr::int(0)),
                        label
                            .concat(count.clone().cast(Type::String))
                            .concat(Expr::case(
                                vec![(
                                    Expr::bin(BinOp::Eq, count, Expr::int(1)),
                                    Expr::str(" row: "),
                                )],
                                Some(Expr::str(" rows, the first: ")),
                            ))
                            .concat(Expr::col(VERDICT, &format!("kpi_first_{}", i + 1))),
                    )],
                    None,
                ));
            }
            Rule::Partition { condition } => {
                verdict_columns.push((
                    Expr::Not(Box::new(holds(scope.sql(condition)))),
                    count_name(i),
                ));
                messages.push(Expr::case(
                    vec![(
                        count,
                        label.concat(Expr::str("it does not hold on the day's rows")),
                    )],
                    None,
                ));
            }
            Rule::Unique { columns } => {
                let alias = format!("kpi_unique_{}", i + 1);
                joins.push(Join {
                    kind: JoinKind::Left,
                    table: Table::Subquery {
                        query: Box::new(duplicates_per_day(columns)),
                        alias: alias.clone(),
                    },
                    on: Some(Expr::col(&alias, "dt").eq(Expr::col(DAYS, "dt"))),
                });
                verdict_columns.push((
                    Expr::agg(Agg::Max, Some(Expr::col(&alias, "n"))),
                    count_name(i),
                ));
                messages.push(Expr::case(
                    vec![(
                        Expr::bin(BinOp::Gt, count.clone(), Expr::int(0)),
                        label
                            .concat(count.cast(Type::String))
                            .concat(Expr::str(&format!(
                                " values of ({}) are on more than one row",
                                columns.join(", ")
                            ))),
                    )],
                    None,
                ));
            }
        }
    }
    let flagged_rows = Select {
        star: true,
        columns: row_flags,
        ..rows
    };
    let verdict = Select {
        columns: verdict_columns,
        from: Some(From {
            first: Table::With {
                name: DAYS.into(),
                alias: DAYS.into(),
            },
            joins,
        }),
        group_by: vec![Expr::col(DAYS, "dt")],
        ..Select::default()
    };
    let failure = if messages.is_empty() {
        Expr::Lit(Lit::Null).cast(Type::String)
    } else {
        let mut args = vec![Expr::str("; ")];
        args.extend(messages);
        // Trimmed, so a chunk's verdicts stay small for the state machine to read back.
        Expr::call(
            Func::Plain("substr"),
            vec![
                Expr::call(
                    Func::Plain("nullif"),
                    vec![Expr::call(Func::ConcatWs, args), Expr::str("")],
                ),
                Expr::int(1),
                Expr::int(MAX_CHECK_FAILURE_CHARS as i128),
            ],
        )
    };
    Select {
        with: vec![
            (DAYS.into(), days()),
            (ROWS.into(), flagged_rows),
            (VERDICT.into(), verdict),
        ],
        columns: vec![
            (Expr::col(VERDICT, check::DAY), check::DAY.into()),
            (Expr::col(VERDICT, check::ROWS), check::ROWS.into()),
            (failure, check::FAILURE.into()),
        ],
        from: Some(From {
            first: Table::With {
                name: VERDICT.into(),
                alias: VERDICT.into(),
            },
            joins: Vec::new(),
        }),
        order_by: vec![Expr::col(VERDICT, check::DAY)],
        ..Select::default()
    }
}

/// Scope of a row check's condition on one row of the attempt.
fn scope_for_rows() -> Scope<'static> {
    Scope {
        relations: &[],
        day: Expr::col(DAYS, "day"),
        leaves: None,
        zero_counts: false,
        rows: Some("kpi_scan"),
        projected: &[],
    }
}

/// Per day, how many values of `columns` are on more than one row.
fn duplicates_per_day(columns: &[String]) -> Select {
    let mut group_by = vec![Expr::col(ROWS, "dt")];
    group_by.extend(columns.iter().map(|c| Expr::col(ROWS, c)));
    let duplicates = Select {
        columns: vec![(Expr::col(ROWS, "dt"), "dt".into())],
        from: Some(From {
            first: Table::With {
                name: ROWS.into(),
                alias: ROWS.into(),
            },
            joins: Vec::new(),
        }),
        group_by,
        having: Some(Expr::bin(
            BinOp::Gt,
            Expr::agg(Agg::CountStar, None),
            Expr::int(1),
        )),
        ..Select::default()
    };
    Select {
        columns: vec![
            (Expr::col("kpi_duplicate", "dt"), "dt".into()),
            (Expr::agg(Agg::CountStar, None), "n".into()),
        ],
        from: Some(From {
            first: Table::Subquery {
                query: Box::new(duplicates),
                alias: "kpi_duplicate".into(),
            },
            joins: Vec::new(),
        }),
        group_by: vec![Expr::col("kpi_duplicate", "dt")],
        ..Select::default()
    }
}

/// The condition as it decides a check: only TRUE holds.
fn holds(condition: Expr) -> Expr {
    Expr::call(
        Func::Plain("coalesce"),
        vec![condition, Expr::Lit(Lit::Bool(false))],
    )
}

/// `name=value, …` of a row: the KPI's dimensions, then the columns the condition reads.
fn row_text(kpi: &KpiPlan, condition: &crate::query::Expr) -> Expr {
    let mut names: Vec<String> = kpi
        .query
        .dimensions
        .iter()
        .map(|d| d.name.clone())
        .collect();
    condition.walk(&mut |e| {
        if let ExprKind::Output { name } = &e.kind
            && !names.contains(name)
        {
            names.push(name.clone());
        }
    });
    let mut text: Option<Expr> = None;
    for (i, name) in names.iter().enumerate() {
        let piece =
            Expr::str(&format!("{}{name}=", if i > 0 { ", " } else { "" })).concat(Expr::call(
                Func::Plain("coalesce"),
                vec![Expr::col(ROWS, name).cast(Type::String), Expr::str("NULL")],
            ));
        text = Some(match text {
            Some(t) => t.concat(piece),
            None => piece,
        });
    }
    text.unwrap_or_else(|| Expr::str("row"))
}
