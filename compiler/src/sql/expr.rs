//! Backend IR expressions → SQL trees, in one of three scopes: a row of the joined relations
//! (filters, join conditions, dimensions, aggregate arguments), a group's measures over the
//! aggregates computed for it, or a check over the written rows. Division is always
//! fractional and NULL when the divisor is zero.

use super::ast::{Agg, BinOp, Expr, Func, Lit, TimeUnit};
use crate::ir::Aggregate;
use crate::query::{self, ExprKind};
use crate::syntax::ast::{BinaryOp, Literal, UnaryOp};
use crate::types::{Family, Type};

/// The aggregates a KPI's measures use, each computed once per group under its own name.
#[derive(Debug, Default)]
pub struct Leaves {
    pub items: Vec<(query::Expr, String)>,
}

impl Leaves {
    /// Every aggregate inside the measures, in order of first appearance, without repeats.
    pub fn of(measures: &[query::Output]) -> Leaves {
        let mut leaves = Leaves::default();
        for m in measures {
            m.expr.walk(&mut |e| {
                if matches!(e.kind, ExprKind::Aggregate { .. })
                    && !leaves.items.iter().any(|(x, _)| x == e)
                {
                    let name = format!("kpi_a{}", leaves.items.len() + 1);
                    leaves.items.push((e.clone(), name));
                }
            });
        }
        leaves
    }

    fn name(&self, e: &query::Expr) -> Option<&str> {
        self.items
            .iter()
            .find(|(x, _)| x == e)
            .map(|(_, n)| n.as_str())
    }
}

/// Where an expression is printed.
pub struct Scope<'a> {
    /// The SQL alias of each relation, by position.
    pub relations: &'a [String],
    /// How the day being computed is spelled (a date).
    pub day: Expr,
    /// In measures: each aggregate is this qualifier's leaf column, and `Measure` references
    /// are inlined from these measures.
    pub leaves: Option<(&'a str, &'a Leaves, &'a [query::Output])>,
    /// Wrap a leaf in `coalesce(…, 0)` when it is a count: groups of empty days have none.
    pub zero_counts: bool,
    /// In checks: output columns are this qualifier's, and `count(*)` counts its `dt`.
    pub rows: Option<&'a str>,
    /// Expressions read as columns of a reduced scan (`reduce.rs`), and how they are read.
    pub projected: &'a [(query::Expr, Expr)],
}

fn boxed(e: Expr) -> Box<Expr> {
    Box::new(e)
}

impl Scope<'_> {
    pub fn sql(&self, e: &query::Expr) -> Expr {
        if let Some((_, read)) = self.projected.iter().find(|(x, _)| x == e) {
            return read.clone();
        }
        match &e.kind {
            ExprKind::Literal { value } => Expr::Lit(match value {
                Literal::Integer(n) => Lit::Int(i128::from(*n)),
                Literal::Decimal(text) => Lit::Decimal(text.clone()),
                Literal::String(s) => Lit::Str(s.clone()),
                Literal::Boolean(b) => Lit::Bool(*b),
                Literal::Null => Lit::Null,
                Literal::Date(s) => Lit::Date(s.clone()),
            }),
            ExprKind::Day => self.day.clone(),
            ExprKind::Column {
                relation,
                column,
                fields,
            } => {
                let alias = self
                    .relations
                    .get(*relation)
                    .map_or("kpi_unknown", String::as_str);
                fields.iter().fold(Expr::col(alias, column), |base, f| {
                    Expr::Field(boxed(base), f.clone())
                })
            }
            ExprKind::Measure { index } => match self.leaves {
                Some((_, _, measures)) => match measures.get(*index) {
                    Some(m) => self.sql(&m.expr),
                    None => Expr::Lit(Lit::Null),
                },
                None => Expr::Lit(Lit::Null),
            },
            ExprKind::Output { name } => Expr::col(self.rows.unwrap_or("kpi_rows"), name),
            ExprKind::Index { base, index } => {
                Expr::Element(boxed(self.sql(base)), boxed(self.sql(index)))
            }
            ExprKind::Unary { op, operand } => match op {
                UnaryOp::Not => Expr::Not(boxed(self.sql(operand))),
                UnaryOp::Neg => Expr::Neg(boxed(self.sql(operand))),
            },
            ExprKind::Binary { op, left, right } => self.binary(*op, left, right),
            ExprKind::IsNull { operand, negated } => Expr::IsNull {
                operand: boxed(self.sql(operand)),
                negated: *negated,
            },
            ExprKind::InList {
                operand,
                list,
                negated,
            } => Expr::InList {
                operand: boxed(self.sql(operand)),
                list: list.iter().map(|x| self.sql(x)).collect(),
                negated: *negated,
            },
            ExprKind::Like {
                operand,
                pattern,
                negated,
            } => Expr::Like {
                operand: boxed(self.sql(operand)),
                pattern: boxed(self.sql(pattern)),
                negated: *negated,
            },
            ExprKind::Between {
                operand,
                low,
                high,
                negated,
            } => Expr::Between {
                operand: boxed(self.sql(operand)),
                low: boxed(self.sql(low)),
                high: boxed(self.sql(high)),
                negated: *negated,
            },
            ExprKind::Call { function, args } => self.call(function, args),
            ExprKind::Aggregate {
                function,
                arg,
                filter,
            } => {
                if let Some((qualifier, leaves, _)) = self.leaves
                    && let Some(name) = leaves.name(e)
                {
                    let leaf = Expr::col(qualifier, name);
                    let counts = matches!(
                        function,
                        Aggregate::Count | Aggregate::CountDistinct | Aggregate::ApproxDistinct
                    );
                    return if self.zero_counts && counts {
                        Expr::call(Func::Plain("coalesce"), vec![leaf, Expr::int(0)])
                    } else {
                        leaf
                    };
                }
                self.aggregate(*function, arg.as_deref(), filter.as_deref())
            }
            ExprKind::Case { whens, otherwise } => Expr::case(
                whens
                    .iter()
                    .map(|(c, v)| (self.sql(c), self.sql(v)))
                    .collect(),
                otherwise.as_ref().map(|o| self.sql(o)),
            ),
        }
    }

    fn aggregate(
        &self,
        function: Aggregate,
        arg: Option<&query::Expr>,
        filter: Option<&query::Expr>,
    ) -> Expr {
        let arg_sql = arg.map(|a| self.sql(a));
        if let (Aggregate::Percentile(p) | Aggregate::ApproxPercentile(p), Some(value)) =
            (function, &arg_sql)
        {
            let exact = matches!(function, Aggregate::Percentile(_));
            let value = match arg.map(|a| a.ty.family()) {
                _ if exact => value.clone(),
                Some(Family::Integer) => value.clone().cast(Type::BigInt),
                _ => value.clone().cast(Type::Double),
            };
            let present = Expr::IsNull {
                operand: boxed(value.clone()),
                negated: true,
            };
            let rows = match filter {
                Some(f) => present.and(self.sql(f)),
                None => present,
            };
            return Expr::Percentile {
                exact,
                value: boxed(value),
                fraction: p.text(),
                rows: boxed(rows),
            };
        }
        let (agg, arg_sql) = match (function, arg_sql) {
            // In checks every joined row of a day without rows is all NULL: count real rows.
            (Aggregate::Count, None) => match self.rows {
                Some(rows) => (Agg::Count, Some(Expr::col(rows, "dt"))),
                None => (Agg::CountStar, None),
            },
            (Aggregate::Count, a) => (Agg::Count, a),
            (Aggregate::CountDistinct, a) => (Agg::CountDistinct, a),
            (Aggregate::ApproxDistinct, a) => (Agg::ApproxDistinct, a),
            (Aggregate::Sum, a) => (Agg::Sum, a),
            (Aggregate::Avg, a) => (Agg::Avg, a.map(|a| a.cast(Type::Double))),
            (Aggregate::Min, a) => (Agg::Min, a),
            (Aggregate::Max, a) => (Agg::Max, a),
            // Without an argument (it failed to check): never printed.
            (Aggregate::Percentile(_) | Aggregate::ApproxPercentile(_), a) => (Agg::Max, a),
        };
        Expr::Aggregate {
            agg,
            arg: arg_sql.map(boxed),
            filter: filter.map(|f| boxed(self.sql(f))),
        }
    }

    fn binary(&self, op: BinaryOp, left: &query::Expr, right: &query::Expr) -> Expr {
        let (l, r) = (self.sql(left), self.sql(right));
        let dates = (
            left.ty.family() == Family::Date,
            right.ty.family() == Family::Date,
        );
        match op {
            BinaryOp::Div => Expr::bin(
                BinOp::Div,
                l.cast(Type::Double),
                Expr::call(
                    Func::Plain("nullif"),
                    vec![r.cast(Type::Double), Expr::int(0)],
                ),
            ),
            BinaryOp::Add | BinaryOp::Sub if dates == (true, false) => {
                let days = r.cast(Type::BigInt);
                let days = if op == BinaryOp::Sub {
                    Expr::Neg(boxed(days))
                } else {
                    days
                };
                Expr::AddDays(boxed(l), boxed(days))
            }
            BinaryOp::Add if dates == (false, true) => {
                Expr::AddDays(boxed(r), boxed(l.cast(Type::BigInt)))
            }
            BinaryOp::Sub if dates == (true, true) => Expr::call(Func::DaysBetween, vec![r, l]),
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul
                if left.ty.is_integer() && right.ty.is_integer() =>
            {
                let op = match op {
                    BinaryOp::Add => BinOp::Add,
                    BinaryOp::Sub => BinOp::Sub,
                    _ => BinOp::Mul,
                };
                Expr::bin(op, l.cast(Type::BigInt), r.cast(Type::BigInt))
            }
            other => Expr::bin(
                match other {
                    BinaryOp::Or => BinOp::Or,
                    BinaryOp::And => BinOp::And,
                    BinaryOp::Eq => BinOp::Eq,
                    BinaryOp::NotEq => BinOp::NotEq,
                    BinaryOp::Lt => BinOp::Lt,
                    BinaryOp::LtEq => BinOp::LtEq,
                    BinaryOp::Gt => BinOp::Gt,
                    BinaryOp::GtEq => BinOp::GtEq,
                    BinaryOp::Add => BinOp::Add,
                    BinaryOp::Sub => BinOp::Sub,
                    BinaryOp::Mul => BinOp::Mul,
                    BinaryOp::Div => BinOp::Div,
                    BinaryOp::Mod => BinOp::Mod,
                    BinaryOp::Concat => BinOp::Concat,
                },
                l,
                r,
            ),
        }
    }

    fn call(&self, function: &str, args: &[query::Expr]) -> Expr {
        let maps = args.first().is_some_and(|a| a.ty.family() == Family::Map);
        let mut a: Vec<Expr> = args.iter().map(|x| self.sql(x)).collect();
        let mut arg = |i: usize| {
            if i < a.len() {
                std::mem::replace(&mut a[i], Expr::Lit(Lit::Null))
            } else {
                Expr::Lit(Lit::Null)
            }
        };
        match function {
            "date" => arg(0).cast(Type::Date),
            "days_between" => {
                let (from, to) = (arg(0), arg(1));
                Expr::call(
                    Func::DaysBetween,
                    vec![from.cast(Type::Date), to.cast(Type::Date)],
                )
            }
            "day_of_week" => Expr::call(Func::DayOfWeek, vec![arg(0)]),
            "seconds_between" | "minutes_between" | "hours_between" => {
                let unit = match function {
                    "seconds_between" => TimeUnit::Second,
                    "minutes_between" => TimeUnit::Minute,
                    _ => TimeUnit::Hour,
                };
                let (from, to) = (arg(0), arg(1));
                Expr::call(Func::Elapsed(unit), vec![from, to])
            }
            "trunc_minute" => Expr::call(Func::Truncate(TimeUnit::Minute), vec![arg(0)]),
            "trunc_hour" => Expr::call(Func::Truncate(TimeUnit::Hour), vec![arg(0)]),
            "trunc_day" => Expr::call(Func::Truncate(TimeUnit::Day), vec![arg(0)]),
            // DuckDB's `len` takes lists only; both dialects count a map's entries the same way.
            "cardinality" if maps => Expr::call(Func::Plain("cardinality"), vec![arg(0)]),
            "cardinality" => Expr::call(Func::Cardinality, vec![arg(0)]),
            // Athena's concat, greatest and least are NULL when any argument is; DuckDB's skip
            // NULL arguments. Spelt so that both mean Athena's.
            "concat" => a
                .into_iter()
                .reduce(|l, r| Expr::bin(BinOp::Concat, l, r))
                .unwrap_or(Expr::Lit(Lit::Null)),
            "greatest" | "least" => {
                let any_null = a
                    .iter()
                    .map(|x| Expr::IsNull {
                        operand: boxed(x.clone()),
                        negated: false,
                    })
                    .reduce(|l, r| Expr::bin(BinOp::Or, l, r));
                let call = Expr::call(Func::Plain(plain_name(function)), a);
                match any_null {
                    Some(test) => Expr::case(vec![(test, Expr::Lit(Lit::Null))], Some(call)),
                    None => call,
                }
            }
            "contains" => {
                let (array, value) = (arg(0), arg(1));
                Expr::call(Func::Contains, vec![array, value])
            }
            "to_bigint" => Expr::TryCast(boxed(arg(0)), Type::BigInt),
            "to_double" => Expr::TryCast(boxed(arg(0)), Type::Double),
            "to_string" => arg(0).cast(Type::String),
            _ => Expr::call(Func::Plain(plain_name(function)), a),
        }
    }
}

/// The functions spelt the same in every dialect (the checker admits no others).
fn plain_name(function: &str) -> &'static str {
    match function {
        "abs" => "abs",
        "coalesce" => "coalesce",
        "concat" => "concat",
        "greatest" => "greatest",
        "hour" => "hour",
        "least" => "least",
        "length" => "length",
        "lower" => "lower",
        "nullif" => "nullif",
        "round" => "round",
        "starts_with" => "starts_with",
        "substr" => "substr",
        "trim" => "trim",
        "upper" => "upper",
        _ => "kpi_unknown_function",
    }
}
