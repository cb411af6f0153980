//! Reading a windowed relation once per distinct row it contributes.
//!
//! A window is a range join: every row of a 30-day window's partitions joins each of the (up
//! to 30) computed days that read it, before grouping, so a chunk handles each source row
//! about 30 times. When every aggregate of the KPI ignores repeated rows (distinct counts,
//! minimum, maximum), a group's values depend only on the *set* of joined rows, so the
//! relation's scan keeps just what the rest of the query asks of it, once per partition:
//!
//! ```text
//! SELECT DISTINCT dt, <each maximal expression over the relation alone>
//! FROM <table> WHERE <the chunk's reach> AND <conjuncts moved in>
//! ```
//!
//! A conjunct of the KPI's filter over the relation alone moves into its scan when the
//! relation is the `from` relation or inner-joined (on a left-joined one it also removes the
//! rows the join would have kept, NULL, for the filter to see); a conjunct of the relation's
//! own join condition over it alone moves in for either kind of join. A left-joined
//! relation's missing rows are NULL in every column, so there an expression that is more than
//! a bare column is read as `CASE WHEN r.dt IS NOT NULL THEN r.kpi_pN ELSE <it over NULLs>
//! END`: exactly what the expression gives on such a row.

use crate::ir::Aggregate;
use crate::query::{Expr, ExprKind, Query};
use crate::syntax::ast::{BinaryOp, JoinKind, Literal};
use crate::types::Type;

/// How one relation's scan is reduced.
#[derive(Debug)]
pub struct Reduced {
    /// Conjuncts moved into the scan (over this relation's columns only).
    pub pushed: Vec<Expr>,
    /// Each expression the rest of the query reads of the relation, and the column it is
    /// projected as: a bare column keeps its name, anything else is `kpi_pN`.
    pub columns: Vec<(Expr, String)>,
    /// The relation is left-joined: its missing rows are NULL in every projected column.
    pub optional: bool,
    /// Its partition column, always projected: never NULL on a row that is there.
    pub partition: String,
}

impl Reduced {
    /// Whether `e` is read as a column of its own name, with nothing to rebuild.
    pub fn is_bare(e: &Expr) -> bool {
        matches!(&e.kind, ExprKind::Column { fields, .. } if fields.is_empty())
    }
}

/// What the chunk's query reads of each relation.
#[derive(Debug)]
pub struct Reading {
    /// Per relation, by position: how its scan is reduced, if it is.
    pub reduced: Vec<Option<Reduced>>,
    /// The KPI's filter without the conjuncts moved into scans.
    pub filter: Option<Expr>,
    /// Per relation: its join condition without the conjuncts moved into its scan.
    pub on: Vec<Option<Expr>>,
}

/// Whether every aggregate of the measures gives the same value when rows repeat.
pub fn ignores_repeats(q: &Query) -> bool {
    let mut all = true;
    for m in &q.measures {
        m.expr.walk(&mut |e| {
            if let ExprKind::Aggregate { function, .. } = &e.kind
                && !matches!(
                    function,
                    Aggregate::CountDistinct
                        | Aggregate::ApproxDistinct
                        | Aggregate::Min
                        | Aggregate::Max
                )
            {
                all = false;
            }
        });
    }
    all
}

/// Plans the reading of `q`; `ranged(i)` gives relation `i`'s partition column when it is
/// joined to the days by a range of more than one partition (the relations worth reducing).
pub fn reading(q: &Query, ranged: impl Fn(usize) -> Option<String>) -> Reading {
    let mut filter: Vec<Expr> = q.filter.iter().flat_map(conjuncts).cloned().collect();
    let mut on: Vec<Vec<Expr>> = q
        .relations
        .iter()
        .map(|r| {
            r.join
                .iter()
                .flat_map(|j| conjuncts(&j.on))
                .cloned()
                .collect()
        })
        .collect();
    let mut reduced: Vec<Option<Reduced>> = q.relations.iter().map(|_| None).collect();
    if ignores_repeats(q) {
        for (i, r) in q.relations.iter().enumerate() {
            let Some(partition) = ranged(i) else {
                continue;
            };
            let optional = matches!(&r.join, Some(j) if j.kind == JoinKind::Left);
            let (mut pushed, own): (Vec<Expr>, Vec<Expr>) =
                on[i].iter().cloned().partition(|c| over_only(c, i));
            let (moved, kept): (Vec<Expr>, Vec<Expr>) = if optional {
                (Vec::new(), filter.clone())
            } else {
                filter.iter().cloned().partition(|c| over_only(c, i))
            };
            pushed.extend(moved);
            let mut read = Vec::new();
            let others = on
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .flat_map(|(_, c)| c);
            let outputs = q.outputs().map(|o| &o.expr);
            for e in kept.iter().chain(&own).chain(others).chain(outputs) {
                maximal(e, i, &mut read);
            }
            if !read.iter().all(|e| distinct_comparable(&e.ty)) {
                continue;
            }
            let mut columns = Vec::new();
            for e in read {
                match &e.kind {
                    ExprKind::Column { column, .. } if Reduced::is_bare(e) => {
                        if *column != partition {
                            columns.push((e.clone(), column.clone()));
                        }
                    }
                    _ => {
                        let n = columns.iter().filter(|(x, _)| !Reduced::is_bare(x)).count();
                        columns.push((e.clone(), format!("kpi_p{}", n + 1)));
                    }
                }
            }
            filter = kept;
            on[i] = own;
            reduced[i] = Some(Reduced {
                pushed,
                columns,
                optional,
                partition,
            });
        }
    }
    let moved_any = reduced.iter().any(Option::is_some);
    Reading {
        filter: if moved_any {
            fold_and(filter)
        } else {
            q.filter.clone()
        },
        on: q
            .relations
            .iter()
            .zip(on)
            .zip(&reduced)
            .map(|((r, rest), red)| match red {
                Some(_) => fold_and(rest),
                None => r.join.as_ref().map(|j| j.on.clone()),
            })
            .collect(),
        reduced,
    }
}

/// `e` with every column of relation `i` replaced by NULL: its value on a missing row.
pub fn over_nulls(e: &Expr, i: usize) -> Expr {
    let mut e = e.clone();
    null_columns(&mut e, i);
    e
}

fn null_columns(e: &mut Expr, i: usize) {
    if matches!(&e.kind, ExprKind::Column { relation, .. } if *relation == i) {
        e.kind = ExprKind::Literal {
            value: Literal::Null,
        };
        return;
    }
    for child in e.children_mut() {
        null_columns(child, i);
    }
    // `NULL IS NULL` reads better as what it is.
    if let ExprKind::IsNull { operand, negated } = &e.kind
        && matches!(
            operand.kind,
            ExprKind::Literal {
                value: Literal::Null
            }
        )
    {
        e.kind = ExprKind::Literal {
            value: Literal::Boolean(!negated),
        };
    }
}

fn conjuncts(e: &Expr) -> Vec<&Expr> {
    match &e.kind {
        ExprKind::Binary {
            op: BinaryOp::And,
            left,
            right,
        } => {
            let mut all = conjuncts(left);
            all.extend(conjuncts(right));
            all
        }
        _ => vec![e],
    }
}

fn fold_and(conjuncts: Vec<Expr>) -> Option<Expr> {
    conjuncts.into_iter().reduce(|left, right| Expr {
        kind: ExprKind::Binary {
            op: BinaryOp::And,
            left: Box::new(left),
            right: Box::new(right),
        },
        ty: Type::Boolean,
    })
}

/// Whether `e` reads columns of relation `i` and nothing else that varies per row or group.
fn over_only(e: &Expr, i: usize) -> bool {
    let (mut mine, mut other) = (false, false);
    e.walk(&mut |x| match &x.kind {
        ExprKind::Column { relation, .. } => {
            if *relation == i {
                mine = true;
            } else {
                other = true;
            }
        }
        ExprKind::Day
        | ExprKind::Measure { .. }
        | ExprKind::Output { .. }
        | ExprKind::Aggregate { .. } => other = true,
        _ => {}
    });
    mine && !other
}

/// The largest expressions inside `e` over relation `i` alone, added to `out` once each.
fn maximal<'e>(e: &'e Expr, i: usize, out: &mut Vec<&'e Expr>) {
    if over_only(e, i) {
        if !out.contains(&e) {
            out.push(e);
        }
    } else {
        for child in e.children() {
            maximal(child, i, out);
        }
    }
}

/// Types both engines compare for `DISTINCT` (nested and unknown types are left alone).
fn distinct_comparable(ty: &Type) -> bool {
    !matches!(
        ty,
        Type::Array { .. } | Type::Map { .. } | Type::Struct { .. } | Type::Unknown
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::{Join, Output, Reach, Relation, Scan};
    use kpi_contract::manifest::Window;

    fn col(relation: usize, column: &str, ty: Type) -> Expr {
        Expr {
            kind: ExprKind::Column {
                relation,
                column: column.into(),
                fields: Vec::new(),
            },
            ty,
        }
    }

    fn lit(s: &str) -> Expr {
        Expr {
            kind: ExprKind::Literal {
                value: Literal::String(s.into()),
            },
            ty: Type::String,
        }
    }

    fn eq(l: Expr, r: Expr) -> Expr {
        Expr {
            kind: ExprKind::Binary {
                op: BinaryOp::Eq,
                left: Box::new(l),
                right: Box::new(r),
            },
            ty: Type::Boolean,
        }
    }

    fn agg(function: Aggregate, arg: Expr, filter: Option<Expr>) -> Expr {
        Expr {
            kind: ExprKind::Aggregate {
                function,
                arg: Some(Box::new(arg)),
                filter: filter.map(Box::new),
            },
            ty: Type::BigInt,
        }
    }

    fn relation(alias: &str, join: Option<Join>) -> Relation {
        Relation {
            alias: alias.into(),
            scan: Scan::Kpi { name: alias.into() },
            reach: Reach::Window(Window {
                days: 30,
                ends_before: 0,
            }),
            join,
        }
    }

    fn measure(expr: Expr) -> Output {
        Output {
            name: "m".into(),
            expr,
            ty: Type::BigInt,
            additivity: None,
        }
    }

    /// `from m join e over 30 days on e.member = m.member and e.kind = 'post'
    ///  where m.kind = 'x' group by m.company measure count(distinct e.member where e.flag is null)`
    fn query(kind: JoinKind, function: Aggregate) -> Query {
        let flag_null = Expr {
            kind: ExprKind::IsNull {
                operand: Box::new(col(1, "flag", Type::String)),
                negated: false,
            },
            ty: Type::Boolean,
        };
        let on = Expr {
            kind: ExprKind::Binary {
                op: BinaryOp::And,
                left: Box::new(eq(
                    col(1, "member", Type::BigInt),
                    col(0, "member", Type::BigInt),
                )),
                right: Box::new(eq(col(1, "kind", Type::String), lit("post"))),
            },
            ty: Type::Boolean,
        };
        Query {
            relations: vec![relation("m", None), relation("e", Some(Join { kind, on }))],
            filter: Some(eq(col(0, "kind", Type::String), lit("x"))),
            dimensions: vec![Output {
                name: "company".into(),
                expr: col(0, "company", Type::BigInt),
                ty: Type::BigInt,
                additivity: None,
            }],
            measures: vec![measure(agg(
                function,
                col(1, "member", Type::BigInt),
                Some(flag_null),
            ))],
            checks: Vec::new(),
        }
    }

    fn only_e(i: usize) -> Option<String> {
        (i == 1).then(|| "dt".to_string())
    }

    #[test]
    fn a_left_joined_window_keeps_its_join_conjuncts_and_the_expressions_read_of_it() {
        let q = query(JoinKind::Left, Aggregate::CountDistinct);
        let r = reading(&q, only_e);
        assert!(r.reduced[0].is_none());
        let e = r.reduced[1].as_ref().expect("e is reduced");
        assert!(e.optional);
        assert_eq!(
            e.pushed,
            vec![eq(col(1, "kind", Type::String), lit("post"))]
        );
        let names: Vec<&str> = e.columns.iter().map(|(_, n)| n.as_str()).collect();
        assert_eq!(names, ["member", "kpi_p1"]);
        assert!(matches!(e.columns[1].0.kind, ExprKind::IsNull { .. }));
        // The filter is m's: it stays where it is; e's own condition left the ON.
        assert_eq!(r.filter, q.filter);
        assert_eq!(
            r.on[1],
            Some(eq(
                col(1, "member", Type::BigInt),
                col(0, "member", Type::BigInt)
            ))
        );
        // On a missing row the flag test is true.
        let nulled = over_nulls(&e.columns[1].0, 1);
        assert!(matches!(
            nulled.kind,
            ExprKind::Literal {
                value: Literal::Boolean(true)
            }
        ));
        let lower = Expr {
            kind: ExprKind::Call {
                function: "lower".into(),
                args: vec![col(1, "kind", Type::String)],
            },
            ty: Type::String,
        };
        let ExprKind::Call { args, .. } = over_nulls(&lower, 1).kind else {
            panic!("not a call")
        };
        assert!(matches!(
            args[0].kind,
            ExprKind::Literal {
                value: Literal::Null
            }
        ));
    }

    #[test]
    fn an_inner_window_takes_the_filter_over_it_alone() {
        let mut q = query(JoinKind::Inner, Aggregate::Max);
        q.filter = Some(eq(col(1, "kind", Type::String), lit("comment")));
        let r = reading(&q, only_e);
        let e = r.reduced[1].as_ref().expect("e is reduced");
        assert!(!e.optional);
        assert_eq!(e.pushed.len(), 2);
        assert_eq!(r.filter, None);
    }

    #[test]
    fn a_count_of_rows_reads_every_row() {
        // A percentile ranks every row: a repeated row moves it.
        let median = crate::ir::Fraction::parse("0.5").unwrap();
        for function in [
            Aggregate::Count,
            Aggregate::Sum,
            Aggregate::Avg,
            Aggregate::Percentile(median),
            Aggregate::ApproxPercentile(median),
        ] {
            let q = query(JoinKind::Left, function);
            let r = reading(&q, only_e);
            assert!(r.reduced.iter().all(Option::is_none), "{function:?}");
            assert_eq!(r.filter, q.filter);
            assert_eq!(r.on[1], q.relations[1].join.as_ref().map(|j| j.on.clone()));
        }
    }

    #[test]
    fn nested_values_are_not_made_distinct() {
        let mut q = query(JoinKind::Inner, Aggregate::CountDistinct);
        q.dimensions[0].expr = col(
            1,
            "tags",
            Type::Array {
                element: Box::new(Type::String),
            },
        );
        assert!(reading(&q, only_e).reduced[1].is_none());
    }
}
