//! pest expression pairs → AST expressions, operator chains folded left to right, with
//! their depth bounded by [`MAX_EXPR_DEPTH`].

use super::{Builder, MAX_EXPR_DEPTH, Rule, unquote};
use crate::span::Span;
use crate::syntax::ast::*;
use crate::syntax::errors::{NumberContext, SyntaxError};
use pest::iterators::Pair;

type Built = (Expr, usize);

impl Builder {
    pub(super) fn expr(&mut self, pair: Pair<'_, Rule>) -> Expr {
        self.built(pair).0
    }

    /// Builds an expression and its depth, folding operator chains left to right. Past
    /// [`MAX_EXPR_DEPTH`] the chain is cut and an error reported.
    fn built(&mut self, pair: Pair<'_, Rule>) -> Built {
        let span = self.span(&pair);
        match pair.as_rule() {
            Rule::expr | Rule::paren => match pair.into_inner().next() {
                Some(inner) => self.built(inner),
                None => (literal(Literal::Null, span), 1),
            },
            Rule::or_expr | Rule::and_expr | Rule::arith | Rule::product => self.chain(pair),
            Rule::not_expr | Rule::unary | Rule::const_value => {
                let mut ops = 0usize;
                let mut operand = None;
                let op = if pair.as_rule() == Rule::not_expr {
                    UnaryOp::Not
                } else {
                    UnaryOp::Neg
                };
                for p in pair.into_inner() {
                    match p.as_rule() {
                        Rule::not_op | Rule::neg_op => ops += 1,
                        _ => operand = Some(self.built(p)),
                    }
                }
                let (mut expr, mut depth) = operand.unwrap_or((literal(Literal::Null, span), 1));
                if ops % 2 == 1 {
                    expr = Expr {
                        kind: ExprKind::Unary {
                            op,
                            operand: Box::new(expr),
                        },
                        span,
                    };
                    depth += 1;
                }
                (expr, depth)
            }
            Rule::predicate => self.predicate(pair, span),
            Rule::postfix => {
                let mut inner = pair.into_inner();
                let (mut expr, mut depth) = match inner.next() {
                    Some(p) => self.built(p),
                    None => (literal(Literal::Null, span), 1),
                };
                for index in inner {
                    let at = expr.span.to(self.span(&index));
                    let (i, d) = match index.into_inner().next() {
                        Some(p) => self.built(p),
                        None => (literal(Literal::Null, at), 1),
                    };
                    depth = depth.max(d) + 1;
                    if depth > MAX_EXPR_DEPTH {
                        self.errors.push(SyntaxError::TooDeep {
                            span: at,
                            limit: MAX_EXPR_DEPTH,
                        });
                        break;
                    }
                    expr = Expr {
                        kind: ExprKind::Index {
                            base: Box::new(expr),
                            index: Box::new(i),
                        },
                        span: at,
                    };
                }
                (expr, depth)
            }
            Rule::path => {
                let parts = pair.into_inner().map(|p| self.ident(p)).collect();
                (
                    Expr {
                        kind: ExprKind::Path { parts },
                        span,
                    },
                    1,
                )
            }
            Rule::call => self.call(pair, span),
            Rule::case_expr => self.case(pair, span),
            Rule::integer => {
                let value = self.integer(&pair, NumberContext::Expression);
                if value > i64::MAX as u64 {
                    self.errors.push(SyntaxError::NumberTooLarge {
                        span,
                        text: pair.as_str().to_string(),
                        context: NumberContext::Expression,
                    });
                }
                (
                    literal(Literal::Integer(value.min(i64::MAX as u64)), span),
                    1,
                )
            }
            Rule::decimal => (
                literal(Literal::Decimal(pair.as_str().to_string()), span),
                1,
            ),
            Rule::string => (literal(Literal::String(unquote(pair.as_str())), span), 1),
            Rule::kw_true => (literal(Literal::Boolean(true), span), 1),
            Rule::kw_false => (literal(Literal::Boolean(false), span), 1),
            Rule::kw_null => (literal(Literal::Null, span), 1),
            Rule::kw_day_value => (
                Expr {
                    kind: ExprKind::Day,
                    span,
                },
                1,
            ),
            Rule::date_literal => {
                let text = pair
                    .into_inner()
                    .next()
                    .map(|s| unquote(s.as_str()))
                    .unwrap_or_default();
                if !super::is_calendar_date(&text) {
                    self.errors.push(SyntaxError::InvalidDate {
                        span,
                        text: text.clone(),
                    });
                }
                (literal(Literal::Date(text), span), 1)
            }
            _ => (literal(Literal::Null, span), 1),
        }
    }

    fn chain(&mut self, pair: Pair<'_, Rule>) -> Built {
        let mut inner = pair.into_inner();
        let span0 = inner.peek().map(|p| self.span(&p));
        let (mut left, mut depth) = match inner.next() {
            Some(p) => self.built(p),
            None => {
                return (
                    literal(Literal::Null, span0.unwrap_or(Span::new(self.file, 0, 0))),
                    1,
                );
            }
        };
        while let Some(op_pair) = inner.next() {
            let op = binary_op(&op_pair);
            let Some(right_pair) = inner.next() else {
                break;
            };
            let (right, right_depth) = self.built(right_pair);
            depth = depth.max(right_depth) + 1;
            if depth > MAX_EXPR_DEPTH {
                self.errors.push(SyntaxError::TooDeep {
                    span: self.span(&op_pair),
                    limit: MAX_EXPR_DEPTH,
                });
                return (left, depth - 1);
            }
            left = Expr::binary(op, left, right);
        }
        (left, depth)
    }

    fn predicate(&mut self, pair: Pair<'_, Rule>, span: Span) -> Built {
        let mut inner = pair.into_inner();
        let (operand, depth) = match inner.next() {
            Some(p) => self.built(p),
            None => return (literal(Literal::Null, span), 1),
        };
        let Some(tail) = inner.next() else {
            return (operand, depth);
        };
        let rule = tail.as_rule();
        let mut negated = false;
        let mut parts = Vec::new();
        let mut op = BinaryOp::Eq;
        for p in tail.into_inner() {
            match p.as_rule() {
                Rule::negated => negated = true,
                Rule::cmp_op => op = binary_op(&p),
                Rule::kw_is
                | Rule::kw_null
                | Rule::kw_in
                | Rule::kw_like
                | Rule::kw_between
                | Rule::kw_and
                | Rule::comma
                | Rule::close_paren => {}
                _ => parts.push(self.built(p)),
            }
        }
        let depth = parts.iter().map(|(_, d)| *d).max().unwrap_or(0).max(depth) + 1;
        let mut exprs = parts.into_iter().map(|(e, _)| Box::new(e));
        let operand = Box::new(operand);
        let null = || Box::new(literal(Literal::Null, span));
        let kind = match rule {
            Rule::comparison => ExprKind::Binary {
                op,
                left: operand,
                right: exprs.next().unwrap_or_else(null),
            },
            Rule::is_null => ExprKind::IsNull { operand, negated },
            Rule::in_list => ExprKind::InList {
                operand,
                list: exprs.map(|e| *e).collect(),
                negated,
            },
            Rule::like => ExprKind::Like {
                operand,
                pattern: exprs.next().unwrap_or_else(null),
                negated,
            },
            _ => ExprKind::Between {
                operand,
                low: exprs.next().unwrap_or_else(null),
                high: exprs.next().unwrap_or_else(null),
                negated,
            },
        };
        (Expr { kind, span }, depth)
    }

    fn call(&mut self, pair: Pair<'_, Rule>, span: Span) -> Built {
        let mut name = Ident {
            name: String::new(),
            span,
        };
        let mut args = CallArgs {
            star: false,
            distinct: false,
            args: Vec::new(),
            filter: None,
        };
        let mut depth = 1;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::ident => name = self.ident(p),
                Rule::call_args => {
                    let mut after_where = false;
                    for q in p.into_inner() {
                        match q.as_rule() {
                            Rule::star => args.star = true,
                            Rule::distinct => args.distinct = true,
                            Rule::kw_where => after_where = true,
                            Rule::comma => {}
                            _ => {
                                let (e, d) = self.built(q);
                                depth = depth.max(d + 1);
                                if after_where {
                                    args.filter = Some(Box::new(e));
                                } else {
                                    args.args.push(e);
                                }
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        (
            Expr {
                kind: ExprKind::Call { name, args },
                span,
            },
            depth,
        )
    }

    fn case(&mut self, pair: Pair<'_, Rule>, span: Span) -> Built {
        let mut whens = Vec::new();
        let mut otherwise = None;
        let mut depth = 1;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::when_clause => {
                    let mut parts = p
                        .into_inner()
                        .filter(|q| q.as_rule() == Rule::expr)
                        .map(|q| self.built(q));
                    if let (Some((c, dc)), Some((v, dv))) = (parts.next(), parts.next()) {
                        depth = depth.max(dc.max(dv) + 1);
                        whens.push((c, v));
                    }
                }
                Rule::expr => {
                    let (e, d) = self.built(p);
                    depth = depth.max(d + 1);
                    otherwise = Some(Box::new(e));
                }
                _ => {}
            }
        }
        (
            Expr {
                kind: ExprKind::Case { whens, otherwise },
                span,
            },
            depth,
        )
    }
}

fn literal(value: Literal, span: Span) -> Expr {
    Expr {
        kind: ExprKind::Literal { value },
        span,
    }
}

fn binary_op(pair: &Pair<'_, Rule>) -> BinaryOp {
    match pair.as_str().to_ascii_lowercase().as_str() {
        "or" => BinaryOp::Or,
        "and" => BinaryOp::And,
        "=" => BinaryOp::Eq,
        "<>" | "!=" => BinaryOp::NotEq,
        "<" => BinaryOp::Lt,
        "<=" => BinaryOp::LtEq,
        ">" => BinaryOp::Gt,
        ">=" => BinaryOp::GtEq,
        "+" => BinaryOp::Add,
        "-" => BinaryOp::Sub,
        "||" => BinaryOp::Concat,
        "*" => BinaryOp::Mul,
        "/" => BinaryOp::Div,
        _ => BinaryOp::Mod,
    }
}
