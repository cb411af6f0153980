//! Typed expression → SQL text in one dialect. Division is always fractional and null when
//! the divisor is zero; measures that use earlier measures get them inlined.

use super::dialect::Dialect;
use super::params::DAY;
use crate::ir::{Aggregate, TExpr, TExprKind};
use crate::syntax::ast::{BinaryOp, Literal, UnaryOp};
use crate::types::{Family, Type};
use std::collections::BTreeMap;

pub struct ExprWriter<'a> {
    pub dialect: &'a dyn Dialect,
    /// Measures by name, for `Output` references inside measures.
    pub measures: &'a BTreeMap<String, TExpr>,
    /// In checks, `Output` names a column of the written partition instead.
    pub outputs_are_columns: bool,
}

impl ExprWriter<'_> {
    /// `DATE '<day>'`, with the day as a parameter.
    pub fn day(&self) -> String {
        format!("DATE '{DAY}'")
    }

    pub fn write(&self, e: &TExpr) -> String {
        let d = self.dialect;
        match &e.kind {
            TExprKind::Literal { value } => match value {
                Literal::Integer(n) => n.to_string(),
                Literal::Decimal(text) => text.clone(),
                Literal::String(s) => d.quote_string(s),
                Literal::Boolean(b) => if *b { "TRUE" } else { "FALSE" }.into(),
                Literal::Null => "NULL".into(),
                Literal::Date(s) => format!("DATE {}", d.quote_string(s)),
            },
            TExprKind::Day => self.day(),
            TExprKind::Column {
                relation,
                column,
                fields,
            } => {
                let mut out = format!("{}.{}", d.quote_ident(relation), d.quote_ident(column));
                for f in fields {
                    out.push('.');
                    out.push_str(&d.quote_ident(f));
                }
                out
            }
            TExprKind::Output { name } => {
                if self.outputs_are_columns {
                    d.quote_ident(name)
                } else {
                    match self.measures.get(name) {
                        Some(m) => format!("({})", self.write(m)),
                        None => "NULL".into(),
                    }
                }
            }
            TExprKind::Index { base, index } => d.element_at(&self.write(base), &self.write(index)),
            TExprKind::Unary {
                op: UnaryOp::Not,
                operand,
            } => format!("(NOT {})", self.write(operand)),
            TExprKind::Unary {
                op: UnaryOp::Neg,
                operand,
            } => format!("(-{})", self.write(operand)),
            TExprKind::Binary { op, left, right } => self.binary(*op, left, right),
            TExprKind::IsNull { operand, negated } => {
                format!(
                    "({} IS {}NULL)",
                    self.write(operand),
                    if *negated { "NOT " } else { "" }
                )
            }
            TExprKind::InList {
                operand,
                list,
                negated,
            } => {
                let items: Vec<String> = list.iter().map(|i| self.write(i)).collect();
                format!(
                    "({} {}IN ({}))",
                    self.write(operand),
                    if *negated { "NOT " } else { "" },
                    items.join(", ")
                )
            }
            TExprKind::Like {
                operand,
                pattern,
                negated,
            } => {
                format!(
                    "({} {}LIKE {})",
                    self.write(operand),
                    if *negated { "NOT " } else { "" },
                    self.write(pattern)
                )
            }
            TExprKind::Between {
                operand,
                low,
                high,
                negated,
            } => format!(
                "({} {}BETWEEN {} AND {})",
                self.write(operand),
                if *negated { "NOT " } else { "" },
                self.write(low),
                self.write(high)
            ),
            TExprKind::Call { function, args } => self.call(function, args),
            TExprKind::Aggregate {
                function,
                arg,
                filter,
            } => {
                let arg_sql = arg.as_ref().map(|a| self.write(a));
                let call = match (function, &arg_sql) {
                    (Aggregate::Count, None) => "count(*)".to_string(),
                    (Aggregate::Count, Some(a)) => format!("count({a})"),
                    (Aggregate::CountDistinct, Some(a)) => format!("count(DISTINCT {a})"),
                    (Aggregate::ApproxDistinct, Some(a)) => d.approx_distinct(a),
                    (Aggregate::Sum, Some(a)) => format!("sum({a})"),
                    (Aggregate::Avg, Some(a)) => format!("avg(CAST({a} AS DOUBLE))"),
                    (Aggregate::Min, Some(a)) => format!("min({a})"),
                    (Aggregate::Max, Some(a)) => format!("max({a})"),
                    (_, None) => "NULL".to_string(),
                };
                match filter {
                    Some(f) => format!("{call} FILTER (WHERE {})", self.write(f)),
                    None => call,
                }
            }
            TExprKind::Case { whens, otherwise } => {
                let mut out = String::from("(CASE");
                for (c, v) in whens {
                    out.push_str(&format!(" WHEN {} THEN {}", self.write(c), self.write(v)));
                }
                if let Some(o) = otherwise {
                    out.push_str(&format!(" ELSE {}", self.write(o)));
                }
                out.push_str(" END)");
                out
            }
            TExprKind::Error => "NULL".into(),
        }
    }

    fn binary(&self, op: BinaryOp, left: &TExpr, right: &TExpr) -> String {
        let (l, r) = (self.write(left), self.write(right));
        let d = self.dialect;
        match op {
            BinaryOp::Div => format!("(CAST({l} AS DOUBLE) / NULLIF(CAST({r} AS DOUBLE), 0))"),
            BinaryOp::Add | BinaryOp::Sub
                if left.ty.family() == Family::Date && right.ty.family() != Family::Date =>
            {
                let days = if op == BinaryOp::Sub {
                    format!("-CAST({r} AS BIGINT)")
                } else {
                    format!("CAST({r} AS BIGINT)")
                };
                d.add_days(&l, &days)
            }
            BinaryOp::Add if right.ty.family() == Family::Date => {
                d.add_days(&r, &format!("CAST({l} AS BIGINT)"))
            }
            BinaryOp::Sub
                if left.ty.family() == Family::Date && right.ty.family() == Family::Date =>
            {
                format!("date_diff('day', {r}, {l})")
            }
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul
                if left.ty.is_integer() && right.ty.is_integer() =>
            {
                format!("(CAST({l} AS BIGINT) {} CAST({r} AS BIGINT))", op.symbol())
            }
            BinaryOp::NotEq => format!("({l} <> {r})"),
            BinaryOp::And => format!("({l} AND {r})"),
            BinaryOp::Or => format!("({l} OR {r})"),
            _ => format!("({l} {} {r})", op.symbol()),
        }
    }

    fn call(&self, function: &str, args: &[TExpr]) -> String {
        let d = self.dialect;
        let a: Vec<String> = args.iter().map(|x| self.write(x)).collect();
        let arg = |i: usize| a.get(i).cloned().unwrap_or_else(|| "NULL".into());
        match function {
            "date" => format!("CAST({} AS DATE)", arg(0)),
            "days_between" => format!(
                "date_diff('day', CAST({} AS DATE), CAST({} AS DATE))",
                arg(0),
                arg(1)
            ),
            "day_of_week" => d.day_of_week(&arg(0)),
            "cardinality" => d.cardinality(&arg(0)),
            "contains" => d.array_contains(&arg(0), &arg(1)),
            "to_bigint" => format!("TRY_CAST({} AS BIGINT)", arg(0)),
            "to_double" => format!("TRY_CAST({} AS DOUBLE)", arg(0)),
            "to_string" => format!("CAST({} AS VARCHAR)", arg(0)),
            "round" if a.len() == 1 => format!("round({})", arg(0)),
            other => format!("{other}({})", a.join(", ")),
        }
    }

    /// An output column: the expression cast to its declared type, so both engines store the
    /// same type.
    pub fn output(&self, e: &TExpr, ty: &Type) -> String {
        format!("CAST({} AS {})", self.write(e), self.dialect.cast_type(ty))
    }
}
