//! Expression rules of the direct parser: `expr` down to `primary`, folded and counted as
//! `Builder` folds and counts them (`../exprs.rs`).

use super::{Parsed, Parser};
use crate::syntax::ast::*;
use crate::syntax::parse::{MAX_EXPR_DEPTH, is_calendar_date, unquote};

impl Parser<'_> {
    pub(super) fn expr(&mut self, p: usize) -> Option<Parsed> {
        self.chain(p, 0)
    }

    /// The operator chains, loosest first: `or_expr`, `and_expr`, `arith`, `product`, each
    /// `operand ~ (op ~ operand)*`, folded left to right as `Builder::chain` folds them.
    fn chain(&mut self, start: usize, level: u8) -> Option<Parsed> {
        let operand = |s: &mut Self, p: usize| match level {
            0 => s.chain(p, 1),
            1 => s.not_expr(p),
            2 => s.chain(p, 3),
            _ => s.unary(p),
        };
        let (mut left, mut depth, e) = operand(self, start)?;
        let mut end = self.skip(e);
        loop {
            let at = self.skip(end);
            let Some((op, after)) = self.operator(at, level) else {
                break;
            };
            let Some((right, right_depth, e)) = operand(self, self.skip(after)) else {
                break;
            };
            end = e;
            depth = depth.max(right_depth) + 1;
            if depth > MAX_EXPR_DEPTH {
                return self.decline();
            }
            left = Expr::binary(op, left, right);
        }
        Some((left, depth, end))
    }

    fn operator(&self, p: usize, level: u8) -> Option<(BinaryOp, usize)> {
        let b = self.b;
        match level {
            0 => Some((BinaryOp::Or, self.kw(p, "or")?)),
            1 => Some((BinaryOp::And, self.kw(p, "and")?)),
            2 => match b.get(p)? {
                b'+' => Some((BinaryOp::Add, p + 1)),
                b'-' => Some((BinaryOp::Sub, p + 1)),
                b'|' if b.get(p + 1) == Some(&b'|') => Some((BinaryOp::Concat, p + 2)),
                _ => None,
            },
            _ => match b.get(p)? {
                b'*' => Some((BinaryOp::Mul, p + 1)),
                b'/' if !b[p + 1..].starts_with(b"//") => Some((BinaryOp::Div, p + 1)),
                b'%' => Some((BinaryOp::Mod, p + 1)),
                _ => None,
            },
        }
    }

    /// `not_expr` (`not_op* ~ predicate`) and `unary` (`neg_op* ~ postfix`): an odd count
    /// of operators wraps the operand, spanning from the first operator.
    fn prefixed(&mut self, start: usize, op: UnaryOp) -> Option<Parsed> {
        let token = |s: &Self, p: usize| match op {
            UnaryOp::Not => s.kw(p, "not"),
            UnaryOp::Neg => s.lit(p, "-"),
        };
        let mut ops = 0usize;
        let mut p = start;
        while let Some(e) = token(self, if ops == 0 { start } else { self.skip(p) }) {
            ops += 1;
            p = e;
        }
        let p = self.skip(p);
        let (operand, depth, end) = match op {
            UnaryOp::Not => self.predicate(p)?,
            UnaryOp::Neg => self.postfix(p)?,
        };
        if ops.is_multiple_of(2) {
            return Some((operand, depth, end));
        }
        let expr = Expr {
            kind: ExprKind::Unary {
                op,
                operand: Box::new(operand),
            },
            span: self.span(start, end),
        };
        Some((expr, depth + 1, end))
    }

    fn not_expr(&mut self, p: usize) -> Option<Parsed> {
        self.prefixed(p, UnaryOp::Not)
    }

    fn unary(&mut self, p: usize) -> Option<Parsed> {
        self.prefixed(p, UnaryOp::Neg)
    }

    fn arith(&mut self, p: usize) -> Option<Parsed> {
        self.chain(p, 2)
    }

    fn predicate(&mut self, start: usize) -> Option<Parsed> {
        let (operand, depth, e) = self.arith(start)?;
        let p = self.skip(e);
        let Some((tail, parts_depth, end)) = self.predicate_tail(p) else {
            return Some((operand, depth, p));
        };
        let operand = Box::new(operand);
        let kind = match tail {
            Tail::Compare(op, right) => ExprKind::Binary {
                op,
                left: operand,
                right,
            },
            Tail::IsNull { negated } => ExprKind::IsNull { operand, negated },
            Tail::In { list, negated } => ExprKind::InList {
                operand,
                list,
                negated,
            },
            Tail::Like { pattern, negated } => ExprKind::Like {
                operand,
                pattern,
                negated,
            },
            Tail::Between { low, high, negated } => ExprKind::Between {
                operand,
                low,
                high,
                negated,
            },
        };
        let expr = Expr {
            kind,
            span: self.span(start, end),
        };
        Some((expr, parts_depth.max(depth) + 1, end))
    }

    /// `comparison | is_null | in_list | like | between`: the tail, its deepest part's depth
    /// (0 without parts) and its end.
    fn predicate_tail(&mut self, p: usize) -> Option<(Tail, usize, usize)> {
        if let Some((op, after)) = self.cmp_op(p)
            && let Some((right, d, end)) = self.arith(self.skip(after))
        {
            return Some((Tail::Compare(op, Box::new(right)), d, end));
        }
        if let Some(at) = self.kw(p, "is") {
            let mut q = self.skip(at);
            let negated = match self.kw(q, "not") {
                Some(e) => {
                    q = e;
                    true
                }
                None => false,
            };
            if let Some(end) = self.kw(self.skip(q), "null") {
                return Some((Tail::IsNull { negated }, 0, end));
            }
        }
        let (negated, q) = match self.kw(p, "not") {
            Some(e) => (true, self.skip(e)),
            None => (false, p),
        };
        if let Some(at) = self.kw(q, "in")
            && let Some((list, d, end)) = self.in_list(self.skip(at))
        {
            return Some((Tail::In { list, negated }, d, end));
        }
        if let Some(at) = self.kw(q, "like")
            && let Some((pattern, d, end)) = self.arith(self.skip(at))
        {
            let pattern = Box::new(pattern);
            return Some((Tail::Like { pattern, negated }, d, end));
        }
        let at = self.kw(q, "between")?;
        let (low, dl, e) = self.arith(self.skip(at))?;
        let and = self.kw(self.skip(e), "and")?;
        let (high, dh, end) = self.arith(self.skip(and))?;
        let (low, high) = (Box::new(low), Box::new(high));
        Some((Tail::Between { low, high, negated }, dl.max(dh), end))
    }

    fn cmp_op(&self, p: usize) -> Option<(BinaryOp, usize)> {
        let b = &self.b[p..];
        let two = |s: &[u8]| b.starts_with(s);
        if two(b"<=") {
            Some((BinaryOp::LtEq, p + 2))
        } else if two(b">=") {
            Some((BinaryOp::GtEq, p + 2))
        } else if two(b"<>") || two(b"!=") {
            Some((BinaryOp::NotEq, p + 2))
        } else {
            match b.first()? {
                b'=' => Some((BinaryOp::Eq, p + 1)),
                b'<' => Some((BinaryOp::Lt, p + 1)),
                b'>' => Some((BinaryOp::Gt, p + 1)),
                _ => None,
            }
        }
    }

    /// `"(" ~ expr ~ (comma ~ expr)* ~ close_paren`, after `in`.
    fn in_list(&mut self, p: usize) -> Option<(Vec<Expr>, usize, usize)> {
        let p = self.skip(self.lit(p, "(")?);
        let (first, mut depth, e) = self.expr(p)?;
        let mut list = vec![first];
        let mut end = self.skip(e);
        while let Some(comma) = self.lit(self.skip(end), ",") {
            let Some((item, d, e)) = self.expr(self.skip(comma)) else {
                break;
            };
            list.push(item);
            depth = depth.max(d);
            end = e;
        }
        let close = self.lit(self.skip(end), ")")?;
        Some((list, depth, close))
    }

    fn postfix(&mut self, start: usize) -> Option<Parsed> {
        let (mut expr, mut depth, e) = self.primary(start)?;
        let mut end = self.skip(e);
        loop {
            let at = self.skip(end);
            let Some(open) = self.lit(at, "[") else {
                break;
            };
            let Some((index, d, e)) = self.expr(self.skip(open)) else {
                break;
            };
            let Some(close) = self.lit(self.skip(e), "]") else {
                break;
            };
            end = close;
            let span = expr.span.to(self.span(at, close));
            depth = depth.max(d) + 1;
            if depth > MAX_EXPR_DEPTH {
                return self.decline();
            }
            expr = Expr {
                kind: ExprKind::Index {
                    base: Box::new(expr),
                    index: Box::new(index),
                },
                span,
            };
        }
        Some((expr, depth, end))
    }

    fn literal(&self, value: Literal, start: usize, end: usize) -> Option<Parsed> {
        let expr = Expr {
            kind: ExprKind::Literal { value },
            span: self.span(start, end),
        };
        Some((expr, 1, end))
    }

    /// `const_value`: `neg_op? ~ (date_literal | decimal | integer | string | kw_true |
    /// kw_false)`, negated as `unary` negates.
    pub(super) fn const_value(&mut self, start: usize) -> Option<(Expr, usize)> {
        let negated = self.lit(start, "-");
        let p = negated.map_or(start, |e| self.skip(e));
        let (value, _, end) = self.primary(p)?;
        let literal = matches!(
            &value.kind,
            ExprKind::Literal { value } if !matches!(value, Literal::Null)
        );
        if !literal {
            return None;
        }
        if negated.is_none() {
            return Some((value, end));
        }
        let expr = Expr {
            kind: ExprKind::Unary {
                op: UnaryOp::Neg,
                operand: Box::new(value),
            },
            span: self.span(start, end),
        };
        Some((expr, end))
    }

    /// `date_literal | decimal | integer | string | kw_true | kw_false | kw_null |
    /// kw_day_value | case_expr | call | path | paren`, each tried only where its first
    /// character could start it.
    fn primary(&mut self, p: usize) -> Option<Parsed> {
        let b = self.b;
        match *b.get(p)? {
            b'0'..=b'9' => {
                let e = self.digits(p)?;
                if b.get(e) == Some(&b'.')
                    && let Some(end) = self.digits(e + 1)
                {
                    let text = self.text[p..end].to_string();
                    return self.literal(Literal::Decimal(text), p, end);
                }
                let n = self.number(p, e)?;
                if n > i64::MAX as u64 {
                    return self.decline();
                }
                self.literal(Literal::Integer(n), p, e)
            }
            b'\'' => {
                let end = self.string(p)?;
                self.literal(Literal::String(unquote(&self.text[p..end])), p, end)
            }
            b'(' => {
                let (expr, depth, e) = self.expr(self.skip(p + 1))?;
                let end = self.lit(self.skip(e), ")")?;
                Some((expr, depth, end))
            }
            b'`' => self.call(p).or_else(|| self.path(p)),
            c if c.is_ascii_alphabetic() || c == b'_' => {
                if let Some(parsed) = self.date_literal(p) {
                    return Some(parsed);
                }
                for (k, value) in [
                    ("true", Literal::Boolean(true)),
                    ("false", Literal::Boolean(false)),
                    ("null", Literal::Null),
                ] {
                    if let Some(end) = self.kw(p, k) {
                        return self.literal(value, p, end);
                    }
                }
                if let Some(end) = self.kw(p, "day") {
                    let expr = Expr {
                        kind: ExprKind::Day,
                        span: self.span(p, end),
                    };
                    return Some((expr, 1, end));
                }
                if let Some(parsed) = self.case(p) {
                    return Some(parsed);
                }
                self.call(p).or_else(|| self.path(p))
            }
            _ => None,
        }
    }

    /// `string`: its end.
    fn string(&self, p: usize) -> Option<usize> {
        let b = self.b;
        let mut i = p + 1;
        loop {
            i += b[i..].iter().position(|c| *c == b'\'')?;
            if b.get(i + 1) == Some(&b'\'') {
                i += 2;
            } else {
                return Some(i + 1);
            }
        }
    }

    /// `date_literal`: `^"date" ~ WHITESPACE+ ~ string`.
    fn date_literal(&mut self, p: usize) -> Option<Parsed> {
        let b = self.b;
        if !b.get(p..p + 4)?.eq_ignore_ascii_case(b"date") {
            return None;
        }
        let spaces = b[p + 4..]
            .iter()
            .take_while(|c| matches!(c, b' ' | b'\t' | b'\r' | b'\n'))
            .count();
        let at = p + 4 + spaces;
        if spaces == 0 || b.get(at) != Some(&b'\'') {
            return None;
        }
        let end = self.string(at)?;
        let text = unquote(&self.text[at..end]);
        if !is_calendar_date(&text) {
            return self.decline();
        }
        self.literal(Literal::Date(text), p, end)
    }

    fn case(&mut self, start: usize) -> Option<Parsed> {
        let mut p = self.skip(self.kw(start, "case")?);
        let mut whens = Vec::new();
        let mut depth = 1;
        loop {
            let at = if whens.is_empty() { p } else { self.skip(p) };
            let Some((when, d, e)) = self.when_clause(at) else {
                break;
            };
            whens.push(when);
            depth = depth.max(d);
            p = e;
        }
        if whens.is_empty() {
            return None;
        }
        p = self.skip(p);
        let mut otherwise = None;
        if let Some(at) = self.kw(p, "else")
            && let Some((e, d, end)) = self.expr(self.skip(at))
        {
            depth = depth.max(d + 1);
            otherwise = Some(Box::new(e));
            p = end;
        }
        let end = self.kw(self.skip(p), "end")?;
        let expr = Expr {
            kind: ExprKind::Case { whens, otherwise },
            span: self.span(start, end),
        };
        Some((expr, depth, end))
    }

    /// `when_clause`, and the depth it adds to its case (one more than its deeper part).
    fn when_clause(&mut self, p: usize) -> Option<((Expr, Expr), usize, usize)> {
        let p = self.skip(self.kw(p, "when")?);
        let (condition, dc, e) = self.expr(p)?;
        let p = self.skip(self.kw(self.skip(e), "then")?);
        let (value, dv, end) = self.expr(p)?;
        Some(((condition, value), dc.max(dv) + 1, end))
    }

    fn call(&mut self, start: usize) -> Option<Parsed> {
        let (name, p) = self.ident(start)?;
        let p = self.skip(self.lit(self.skip(p), "(")?);
        let mut args = CallArgs {
            star: false,
            distinct: false,
            args: Vec::new(),
            filter: None,
        };
        let mut depth = 1;
        let p = match self.call_args(p, &mut args, &mut depth) {
            Some(end) => self.skip(end),
            None => {
                args = CallArgs {
                    star: false,
                    distinct: false,
                    args: Vec::new(),
                    filter: None,
                };
                depth = 1;
                p
            }
        };
        let end = self.lit(p, ")")?;
        let expr = Expr {
            kind: ExprKind::Call { name, args },
            span: self.span(start, end),
        };
        Some((expr, depth, end))
    }

    /// `call_args` into `args`: `(star | distinct? ~ expr ~ (comma ~ expr)*) ~ (kw_where ~
    /// expr)?`. Its end, or `None` (then `args` may hold a part).
    fn call_args(&mut self, p: usize, args: &mut CallArgs, depth: &mut usize) -> Option<usize> {
        let mut end = if let Some(e) = self.lit(p, "*") {
            args.star = true;
            e
        } else {
            let mut q = p;
            if let Some(e) = self.kw(p, "distinct") {
                args.distinct = true;
                q = self.skip(e);
            }
            let (first, d, e) = self.expr(q)?;
            *depth = (*depth).max(d + 1);
            args.args.push(first);
            let mut end = self.skip(e);
            while let Some(comma) = self.lit(self.skip(end), ",") {
                let Some((arg, d, e)) = self.expr(self.skip(comma)) else {
                    break;
                };
                *depth = (*depth).max(d + 1);
                args.args.push(arg);
                end = e;
            }
            end
        };
        end = self.skip(end);
        if let Some(at) = self.kw(end, "where")
            && let Some((filter, d, e)) = self.expr(self.skip(at))
        {
            *depth = (*depth).max(d + 1);
            args.filter = Some(Box::new(filter));
            end = e;
        }
        Some(end)
    }

    fn path(&mut self, start: usize) -> Option<Parsed> {
        let (first, e) = self.ident(start)?;
        let mut parts = vec![first];
        let mut end = self.skip(e);
        while let Some(dot) = self.lit(self.skip(end), ".") {
            let Some((part, e)) = self.ident(self.skip(dot)) else {
                break;
            };
            parts.push(part);
            end = e;
        }
        let expr = Expr {
            kind: ExprKind::Path { parts },
            span: self.span(start, end),
        };
        Some((expr, 1, end))
    }
}

/// What follows a predicate's operand.
enum Tail {
    Compare(BinaryOp, Box<Expr>),
    IsNull {
        negated: bool,
    },
    In {
        list: Vec<Expr>,
        negated: bool,
    },
    Like {
        pattern: Box<Expr>,
        negated: bool,
    },
    Between {
        low: Box<Expr>,
        high: Box<Expr>,
        negated: bool,
    },
}
