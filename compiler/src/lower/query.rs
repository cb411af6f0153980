//! A checked KPI (typed IR) → its backend IR ([`Query`]): relations by position instead of
//! alias, measures that use earlier measures by position, no spans, no docs.

use crate::ir::{self, Check, RelationTarget, SourceKind, TExpr, TExprKind};
use crate::query::{Expr, ExprKind, Join, Output, Query, Reach, Relation, Rule, Scan};

/// `labels` holds a readable label for each of the KPI's checks, in order.
pub fn query_of(kpi: &ir::Kpi, sources: &[ir::Source], labels: &[String]) -> Query {
    let aliases: Vec<&str> = kpi.relations.iter().map(|r| r.alias.as_str()).collect();
    let measures: Vec<&str> = kpi.measures.iter().map(|m| m.name.as_str()).collect();
    let lower = Lowering {
        aliases: &aliases,
        measures: &measures,
    };
    let relations = kpi
        .relations
        .iter()
        .map(|r| {
            let (scan, partitioned) = match &r.target {
                RelationTarget::Kpi(name) => (Scan::Kpi { name: name.clone() }, true),
                RelationTarget::Source(name) => match sources.iter().find(|s| &s.name == name) {
                    Some(s) => (
                        Scan::Source {
                            database: s.database.clone(),
                            table: s.table.clone(),
                            partition: s.partition.clone(),
                        },
                        s.kind != SourceKind::Table && s.partition.is_some(),
                    ),
                    None => (
                        Scan::Source {
                            database: String::new(),
                            table: name.clone(),
                            partition: None,
                        },
                        false,
                    ),
                },
            };
            Relation {
                alias: r.alias.clone(),
                scan,
                reach: if partitioned {
                    Reach::Window(r.window)
                } else {
                    Reach::Whole
                },
                join: r.join.as_ref().map(|j| Join {
                    kind: j.kind,
                    on: lower.expr(&j.on),
                }),
            }
        })
        .collect();
    let dimensions = kpi
        .dimensions
        .iter()
        .map(|d| Output {
            name: d.name.clone(),
            expr: lower.expr(&d.expr),
            ty: d.ty.clone(),
            additivity: None,
        })
        .collect();
    let measure_outputs = kpi
        .measures
        .iter()
        .map(|m| Output {
            name: m.name.clone(),
            expr: lower.expr(&m.expr),
            ty: m.ty.clone(),
            additivity: Some(m.additivity),
        })
        .collect();
    // In checks, an output name is a column of the written rows, not a measure to inline.
    let in_checks = Lowering {
        aliases: &aliases,
        measures: &[],
    };
    let checks = kpi
        .checks
        .iter()
        .enumerate()
        .map(|(i, c)| crate::query::Check {
            label: labels
                .get(i)
                .cloned()
                .unwrap_or_else(|| format!("check {}", i + 1)),
            rule: match c {
                Check::Row { condition, .. } => Rule::Row {
                    condition: in_checks.expr(condition),
                },
                Check::Partition { condition, .. } => Rule::Partition {
                    condition: in_checks.expr(condition),
                },
                Check::Unique { columns, .. } => Rule::Unique {
                    columns: columns.clone(),
                },
            },
        })
        .collect();
    Query {
        relations,
        filter: kpi.filter.as_ref().map(|f| lower.expr(f)),
        dimensions,
        measures: measure_outputs,
        checks,
    }
}

struct Lowering<'a> {
    aliases: &'a [&'a str],
    /// Measure names by position; empty where output names are columns (checks).
    measures: &'a [&'a str],
}

impl Lowering<'_> {
    fn boxed(&self, e: &TExpr) -> Box<Expr> {
        Box::new(self.expr(e))
    }

    fn expr(&self, e: &TExpr) -> Expr {
        let kind = match &e.kind {
            TExprKind::Literal { value } => ExprKind::Literal {
                value: value.clone(),
            },
            TExprKind::Day => ExprKind::Day,
            TExprKind::Column {
                relation,
                column,
                fields,
            } => ExprKind::Column {
                relation: self
                    .aliases
                    .iter()
                    .position(|a| a == relation)
                    .unwrap_or(usize::MAX),
                column: column.clone(),
                fields: fields.clone(),
            },
            TExprKind::Output { name } => match self.measures.iter().position(|m| m == name) {
                Some(index) => ExprKind::Measure { index },
                None => ExprKind::Output { name: name.clone() },
            },
            TExprKind::Index { base, index } => ExprKind::Index {
                base: self.boxed(base),
                index: self.boxed(index),
            },
            TExprKind::Unary { op, operand } => ExprKind::Unary {
                op: *op,
                operand: self.boxed(operand),
            },
            TExprKind::Binary { op, left, right } => ExprKind::Binary {
                op: *op,
                left: self.boxed(left),
                right: self.boxed(right),
            },
            TExprKind::IsNull { operand, negated } => ExprKind::IsNull {
                operand: self.boxed(operand),
                negated: *negated,
            },
            TExprKind::InList {
                operand,
                list,
                negated,
            } => ExprKind::InList {
                operand: self.boxed(operand),
                list: list.iter().map(|x| self.expr(x)).collect(),
                negated: *negated,
            },
            TExprKind::Like {
                operand,
                pattern,
                negated,
            } => ExprKind::Like {
                operand: self.boxed(operand),
                pattern: self.boxed(pattern),
                negated: *negated,
            },
            TExprKind::Between {
                operand,
                low,
                high,
                negated,
            } => ExprKind::Between {
                operand: self.boxed(operand),
                low: self.boxed(low),
                high: self.boxed(high),
                negated: *negated,
            },
            TExprKind::Call { function, args } => ExprKind::Call {
                function: function.clone(),
                args: args.iter().map(|x| self.expr(x)).collect(),
            },
            TExprKind::Aggregate {
                function,
                arg,
                filter,
            } => ExprKind::Aggregate {
                function: *function,
                arg: arg.as_ref().map(|a| self.boxed(a)),
                filter: filter.as_ref().map(|f| self.boxed(f)),
            },
            TExprKind::Case { whens, otherwise } => ExprKind::Case {
                whens: whens
                    .iter()
                    .map(|(c, v)| (self.expr(c), self.expr(v)))
                    .collect(),
                otherwise: otherwise.as_ref().map(|o| self.boxed(o)),
            },
            // Only checked programs without errors are lowered.
            TExprKind::Error => ExprKind::Literal {
                value: crate::syntax::ast::Literal::Null,
            },
        };
        Expr {
            kind,
            ty: e.ty.clone(),
        }
    }
}
