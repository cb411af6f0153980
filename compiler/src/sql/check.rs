//! A KPI's checks → the query that judges each day of a chunk on the attempt's rows: one row
//! per day, oldest first, with the rows written and why the day fails (NULL when it passes).
//!
//! A check holds only when its condition is true: NULL fails it, for row checks as for
//! partition checks. The failure names the check (`file:line: text`) and, for a row check,
//! how many rows fail and the first of them (its dimensions and the columns the condition
//! reads), so the message says where to look.

use super::ast::{Agg, BinOp, Expr, From, Func, Join, JoinKind, Lit, Select, Table};
use super::expr::Scope;
use super::write::{DAYS, days};
use crate::lower::KpiPlan;
use crate::query::{ExprKind, Rule};
use crate::types::Type;
use kpi_contract::aws::check;

pub const ROWS: &str = "kpi_rows";

/// `rows`: the attempt's rows of the chunk (a relation with the KPI's columns and `dt`).
pub fn select(kpi: &KpiPlan, rows: Select) -> Select {
    let q = &kpi.query;
    let scope = Scope {
        relations: &[],
        day: Expr::col(DAYS, "day"),
        leaves: None,
        zero_counts: false,
        rows: Some(ROWS),
    };
    let real_row = Expr::col(ROWS, "dt").is_not_null();
    let mut joins = vec![Join {
        kind: JoinKind::Left,
        table: Table::With {
            name: ROWS.into(),
            alias: ROWS.into(),
        },
        on: Some(Expr::col(ROWS, "dt").eq(Expr::col(DAYS, "dt"))),
    }];
    let mut messages = Vec::new();
    for (i, c) in q.checks.iter().enumerate() {
        let label = Expr::str(&format!("check failed ({}): ", c.label));
        match &c.rule {
            Rule::Row { condition } => {
                let failing = real_row
                    .clone()
                    .and(Expr::Not(Box::new(holds(scope.sql(condition)))));
                let count = Expr::agg(Agg::CountIf, Some(failing.clone()));
                let example = Expr::agg(
                    Agg::Min,
                    Some(Expr::case(vec![(failing, row_text(kpi, condition))], None)),
                );
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
                            .concat(example),
                    )],
                    None,
                ));
            }
            Rule::Partition { condition } => {
                messages.push(Expr::case(
                    vec![(
                        Expr::Not(Box::new(holds(scope.sql(condition)))),
                        label.concat(Expr::str("it does not hold on the day's rows")),
                    )],
                    None,
                ));
            }
            Rule::Unique { columns } => {
                let alias = format!("kpi_unique_{}", i + 1);
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
                let per_day = Select {
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
                };
                joins.push(Join {
                    kind: JoinKind::Left,
                    table: Table::Subquery {
                        query: Box::new(per_day),
                        alias: alias.clone(),
                    },
                    on: Some(Expr::col(&alias, "dt").eq(Expr::col(DAYS, "dt"))),
                });
                let n = Expr::agg(Agg::Max, Some(Expr::col(&alias, "n")));
                messages.push(Expr::case(
                    vec![(
                        Expr::bin(BinOp::Gt, n.clone(), Expr::int(0)),
                        label
                            .concat(n.cast(Type::String))
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
                Expr::int(kpi_contract::limits::MAX_CHECK_FAILURE_CHARS as i128),
            ],
        )
    };
    Select {
        with: vec![(DAYS.into(), days()), (ROWS.into(), rows)],
        columns: vec![
            (Expr::col(DAYS, "dt"), check::DAY.into()),
            (
                Expr::agg(Agg::Count, Some(Expr::col(ROWS, "dt"))),
                check::ROWS.into(),
            ),
            (failure, check::FAILURE.into()),
        ],
        from: Some(From {
            first: Table::With {
                name: DAYS.into(),
                alias: DAYS.into(),
            },
            joins,
        }),
        group_by: vec![Expr::col(DAYS, "dt")],
        order_by: vec![Expr::col(DAYS, "dt")],
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
