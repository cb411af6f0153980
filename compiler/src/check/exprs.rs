//! AST expression → typed expression, in one of three places: a row context (`where`, `on`,
//! `group by`), a measure, or a check.

use super::errors::CheckError;
use super::functions::{self, aggregate, aggregate_type, scalar_type};
use crate::ir::{Aggregate, Column, Fraction, TExpr, TExprKind};
use crate::span::Span;
use crate::syntax::ast::{BinaryOp, CallArgs, Expr, ExprKind, Ident, Literal, UnaryOp};
use crate::types::{Family, StructField, Type};

/// A relation visible in a KPI: its alias and its columns (`None` when its definition
/// failed to check, so any column is accepted silently), borrowed from the catalog's source
/// or the upstream KPI's schema: every KPI reads them, none needs a copy.
#[derive(Clone, Debug)]
pub struct ScopeRelation<'c> {
    pub alias: String,
    pub span: Span,
    pub columns: Option<&'c [Column]>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Evaluated per input row; names the clause for messages.
    Row(&'static str),
    Measure,
    Check,
}

/// A named constant (`const post_weight = 3`): its literal, typed as the literal is.
#[derive(Clone, Debug)]
pub struct Constant {
    pub value: Literal,
    /// Written with `-` before the number.
    pub negated: bool,
    pub ty: Type,
    /// The constant's name where it is defined.
    pub span: Span,
}

/// Every constant of the project, by name.
pub type Constants = std::collections::BTreeMap<String, Constant>;

/// The literal a constant's definition holds and whether `-` negates it, or `None`.
pub fn constant_value(e: &Expr) -> Option<(Literal, bool)> {
    match &e.kind {
        ExprKind::Literal { value } => Some((value.clone(), false)),
        ExprKind::Unary {
            op: UnaryOp::Neg,
            operand,
        } => match &operand.kind {
            ExprKind::Literal {
                value: value @ (Literal::Integer(_) | Literal::Decimal(_)),
            } => Some((value.clone(), true)),
            _ => None,
        },
        _ => None,
    }
}

/// The type of a literal: `12.50` is `decimal(4,2)`, `42` a `bigint`.
pub fn literal_type(value: &Literal) -> Type {
    match value {
        Literal::Integer(_) => Type::BigInt,
        Literal::Decimal(text) => decimal_type(text),
        Literal::String(_) => Type::String,
        Literal::Boolean(_) => Type::Boolean,
        Literal::Null => Type::Null,
        Literal::Date(_) => Type::Date,
    }
}

/// A named output value visible by name (a measure above, or any output column in a check).
#[derive(Clone, Debug)]
pub struct Named {
    pub name: String,
    pub ty: Type,
    pub span: Span,
}

pub struct Typer<'a> {
    pub relations: &'a [ScopeRelation<'a>],
    pub mode: Mode,
    /// Measures defined above (in a measure) or every output column (in a check).
    pub named: &'a [Named],
    /// Measures defined further down, to say "defined below" instead of "unknown".
    pub later: &'a [Named],
    pub errors: &'a mut Vec<CheckError>,
    /// The project's constants, read by name wherever a literal may stand.
    constants: Option<&'a Constants>,
    aggregate: Option<String>,
    pub saw_aggregate: bool,
    /// Output columns read outside any aggregate (for checks that mix the two).
    pub bare_outputs: Vec<(String, Span)>,
}

impl<'a> Typer<'a> {
    pub fn new(
        relations: &'a [ScopeRelation<'a>],
        mode: Mode,
        named: &'a [Named],
        later: &'a [Named],
        errors: &'a mut Vec<CheckError>,
    ) -> Typer<'a> {
        Typer {
            relations,
            mode,
            named,
            later,
            errors,
            constants: None,
            aggregate: None,
            saw_aggregate: false,
            bare_outputs: Vec::new(),
        }
    }

    /// The same, with the project's constants in scope.
    pub fn with_constants(mut self, constants: &'a Constants) -> Typer<'a> {
        self.constants = Some(constants);
        self
    }

    fn node(&self, kind: TExprKind, ty: Type, span: Span) -> TExpr {
        TExpr { kind, ty, span }
    }

    fn error_node(&self, span: Span) -> TExpr {
        TExpr {
            kind: TExprKind::Error,
            ty: Type::Unknown,
            span,
        }
    }

    /// Types a condition and reports it if it is not boolean.
    pub fn condition(&mut self, expr: &Expr, context: &'static str) -> TExpr {
        let t = self.expr(expr);
        if !t.ty.is_boolean() {
            self.errors.push(CheckError::NotBoolean {
                span: expr.span,
                context,
                found: t.ty.clone(),
            });
        }
        t
    }

    pub fn expr(&mut self, expr: &Expr) -> TExpr {
        let span = expr.span;
        match &expr.kind {
            ExprKind::Literal { value } => {
                let ty = literal_type(value);
                self.node(
                    TExprKind::Literal {
                        value: value.clone(),
                    },
                    ty,
                    span,
                )
            }
            ExprKind::Day => self.node(TExprKind::Day, Type::Date, span),
            ExprKind::Path { parts } => self.path(parts, span),
            ExprKind::Index { base, index } => self.index(base, index, span),
            ExprKind::Unary { op, operand } => {
                let operand = self.expr(operand);
                let ok = match op {
                    UnaryOp::Not => operand.ty.is_boolean(),
                    UnaryOp::Neg => operand.ty.is_numeric(),
                };
                let ty = match op {
                    UnaryOp::Not => Type::Boolean,
                    UnaryOp::Neg => operand.ty.clone(),
                };
                if !ok {
                    let (name, expected) = match op {
                        UnaryOp::Not => ("not", "a condition"),
                        UnaryOp::Neg => ("-", "a number"),
                    };
                    self.errors.push(CheckError::OperandType {
                        span: operand.span,
                        op: name.into(),
                        expected,
                        found: operand.ty.clone(),
                    });
                }
                self.node(
                    TExprKind::Unary {
                        op: *op,
                        operand: Box::new(operand),
                    },
                    ty,
                    span,
                )
            }
            ExprKind::Binary { op, left, right } => self.binary(*op, left, right, span),
            ExprKind::IsNull { operand, negated } => {
                let operand = self.expr(operand);
                self.node(
                    TExprKind::IsNull {
                        operand: Box::new(operand),
                        negated: *negated,
                    },
                    Type::Boolean,
                    span,
                )
            }
            ExprKind::InList {
                operand,
                list,
                negated,
            } => {
                let operand = self.expr(operand);
                let list: Vec<TExpr> = list.iter().map(|e| self.expr(e)).collect();
                // One mistake, one report: the first item of another type.
                if let Some(item) = list.iter().find(|i| !operand.ty.comparable_with(&i.ty)) {
                    self.comparable(&operand, item, item.span);
                }
                self.node(
                    TExprKind::InList {
                        operand: Box::new(operand),
                        list,
                        negated: *negated,
                    },
                    Type::Boolean,
                    span,
                )
            }
            ExprKind::Like {
                operand,
                pattern,
                negated,
            } => {
                let operand = self.expr(operand);
                let pattern = self.expr(pattern);
                for side in [&operand, &pattern] {
                    if !side.ty.is_text() {
                        self.errors.push(CheckError::OperandType {
                            span: side.span,
                            op: "like".into(),
                            expected: "text",
                            found: side.ty.clone(),
                        });
                    }
                }
                self.node(
                    TExprKind::Like {
                        operand: Box::new(operand),
                        pattern: Box::new(pattern),
                        negated: *negated,
                    },
                    Type::Boolean,
                    span,
                )
            }
            ExprKind::Between {
                operand,
                low,
                high,
                negated,
            } => {
                let operand = self.expr(operand);
                let low = self.expr(low);
                let high = self.expr(high);
                self.comparable(&operand, &low, low.span);
                self.comparable(&operand, &high, high.span);
                let kind = TExprKind::Between {
                    operand: Box::new(operand),
                    low: Box::new(low),
                    high: Box::new(high),
                    negated: *negated,
                };
                self.node(kind, Type::Boolean, span)
            }
            ExprKind::Call { name, args } => self.call(name, args, span),
            ExprKind::Case { whens, otherwise } => {
                let mut ty = Type::Null;
                let mut typed = Vec::new();
                for (condition, value) in whens {
                    let c = self.condition(condition, "a `when` condition");
                    let v = self.expr(value);
                    ty = self.unify(&ty, &v);
                    typed.push((c, v));
                }
                let otherwise = otherwise.as_ref().map(|e| {
                    let v = self.expr(e);
                    ty = self.unify(&ty, &v);
                    Box::new(v)
                });
                self.node(
                    TExprKind::Case {
                        whens: typed,
                        otherwise,
                    },
                    ty,
                    span,
                )
            }
        }
    }

    fn unify(&mut self, acc: &Type, value: &TExpr) -> Type {
        match acc.common(&value.ty) {
            Some(t) => t,
            None => {
                self.errors.push(CheckError::BranchTypes {
                    span: value.span,
                    first: acc.clone(),
                    this: value.ty.clone(),
                });
                Type::Unknown
            }
        }
    }

    fn comparable(&mut self, left: &TExpr, right: &TExpr, span: Span) {
        if !left.ty.comparable_with(&right.ty) {
            self.errors.push(CheckError::Incomparable {
                span,
                left: left.ty.clone(),
                right: right.ty.clone(),
            });
        }
    }

    fn binary(&mut self, op: BinaryOp, left: &Expr, right: &Expr, span: Span) -> TExpr {
        let l = self.expr(left);
        let r = self.expr(right);
        let ty = match op {
            BinaryOp::And | BinaryOp::Or => {
                for side in [&l, &r] {
                    if !side.ty.is_boolean() {
                        self.errors.push(CheckError::OperandType {
                            span: side.span,
                            op: op.symbol().into(),
                            expected: "conditions",
                            found: side.ty.clone(),
                        });
                    }
                }
                Type::Boolean
            }
            op if op.is_comparison() => {
                self.comparable(&l, &r, span);
                if l.ty == Type::Null || r.ty == Type::Null {
                    self.errors.push(CheckError::NullComparison {
                        span,
                        negated: op == BinaryOp::NotEq,
                    });
                }
                Type::Boolean
            }
            BinaryOp::Concat => {
                for side in [&l, &r] {
                    if !side.ty.is_text() {
                        self.errors.push(CheckError::OperandType {
                            span: side.span,
                            op: "||".into(),
                            expected: "text",
                            found: side.ty.clone(),
                        });
                    }
                }
                Type::String
            }
            BinaryOp::Add | BinaryOp::Sub => self.additive(op, &l, &r),
            BinaryOp::Div => {
                self.numeric_operands(op, &l, &r);
                Type::Double
            }
            BinaryOp::Mod => {
                for side in [&l, &r] {
                    if !side.ty.is_integer() {
                        self.errors.push(CheckError::OperandType {
                            span: side.span,
                            op: "%".into(),
                            expected: "whole numbers",
                            found: side.ty.clone(),
                        });
                    }
                }
                Type::BigInt
            }
            _ => {
                self.numeric_operands(op, &l, &r);
                l.ty.arithmetic(&r.ty)
            }
        };
        self.node(
            TExprKind::Binary {
                op,
                left: Box::new(l),
                right: Box::new(r),
            },
            ty,
            span,
        )
    }

    /// Reports the first operand that is not a number, once per operator, and nothing when
    /// an operand already failed to check.
    fn numeric_operands(&mut self, op: BinaryOp, l: &TExpr, r: &TExpr) -> bool {
        if l.ty == Type::Unknown || r.ty == Type::Unknown {
            return true;
        }
        match [l, r].into_iter().find(|side| !side.ty.is_numeric()) {
            Some(side) => {
                self.errors.push(CheckError::OperandType {
                    span: side.span,
                    op: op.symbol().into(),
                    expected: "numbers",
                    found: side.ty.clone(),
                });
                false
            }
            None => true,
        }
    }

    /// `+` and `-`: numbers, or a date moved by whole days, or the days between two dates.
    fn additive(&mut self, op: BinaryOp, l: &TExpr, r: &TExpr) -> Type {
        match (l.ty.family(), r.ty.family()) {
            (Family::Date, Family::Integer | Family::Any) => Type::Date,
            (Family::Integer, Family::Date) if op == BinaryOp::Add => Type::Date,
            (Family::Date, Family::Date) if op == BinaryOp::Sub => Type::BigInt,
            (Family::Date, _) => {
                self.errors.push(CheckError::OperandType {
                    span: r.span,
                    op: op.symbol().into(),
                    expected: "a whole number of days",
                    found: r.ty.clone(),
                });
                Type::Date
            }
            _ => {
                if self.numeric_operands(op, l, r) {
                    l.ty.arithmetic(&r.ty)
                } else {
                    Type::Unknown
                }
            }
        }
    }

    fn index(&mut self, base: &Expr, index: &Expr, span: Span) -> TExpr {
        let b = self.expr(base);
        let i = self.expr(index);
        let ty = match &b.ty {
            Type::Array { element } => {
                if !i.ty.is_integer() {
                    self.errors.push(CheckError::OperandType {
                        span: i.span,
                        op: "[ ]".into(),
                        expected: "a whole-number position",
                        found: i.ty.clone(),
                    });
                }
                (**element).clone()
            }
            Type::Map { key, value } => {
                if !key.comparable_with(&i.ty) {
                    self.errors.push(CheckError::Incomparable {
                        span: i.span,
                        left: (**key).clone(),
                        right: i.ty.clone(),
                    });
                }
                (**value).clone()
            }
            t if t.is_any() => Type::Unknown,
            t => {
                self.errors.push(CheckError::OperandType {
                    span: b.span,
                    op: "[ ]".into(),
                    expected: "an array or a map",
                    found: t.clone(),
                });
                Type::Unknown
            }
        };
        self.node(
            TExprKind::Index {
                base: Box::new(b),
                index: Box::new(i),
            },
            ty,
            span,
        )
    }

    fn call(&mut self, name: &Ident, args: &CallArgs, span: Span) -> TExpr {
        let fname = name.name.as_str();
        if let Some(function) = aggregate(fname, args.distinct) {
            return self.aggregate(function, name, args, span);
        }
        if !functions::SCALARS.contains(&fname) {
            let candidates = functions::SCALARS
                .iter()
                .chain(functions::AGGREGATES)
                .map(|s| s.to_string())
                .collect();
            self.errors.push(CheckError::UnknownFunction {
                span: name.span,
                name: fname.to_string(),
                candidates,
            });
            return self.error_node(span);
        }
        if args.star || args.distinct || args.filter.is_some() {
            let what = if args.star {
                "*"
            } else if args.distinct {
                "distinct"
            } else {
                "where"
            };
            self.errors.push(CheckError::MisplacedAggregateSyntax {
                span,
                what,
                function: fname.to_string(),
            });
        }
        let typed: Vec<TExpr> = args.args.iter().map(|a| self.expr(a)).collect();
        let sig: Vec<(Type, Span)> = typed.iter().map(|t| (t.ty.clone(), t.span)).collect();
        match scalar_type(fname, name.span, &sig, self.errors) {
            Some(ty) => self.node(
                TExprKind::Call {
                    function: fname.to_string(),
                    args: typed,
                },
                ty,
                span,
            ),
            // Unreachable: unknown names were reported above.
            None => self.error_node(span),
        }
    }

    fn aggregate(
        &mut self,
        function: Aggregate,
        name: &Ident,
        args: &CallArgs,
        span: Span,
    ) -> TExpr {
        let fname = name.name.clone();
        if let Mode::Row(context) = self.mode {
            self.errors.push(CheckError::MisplacedAggregate {
                span,
                function: fname,
                context,
            });
            return self.error_node(span);
        }
        if self.aggregate.is_some() {
            self.errors.push(CheckError::NestedAggregate {
                span,
                function: fname,
            });
            return self.error_node(span);
        }
        self.saw_aggregate = true;
        if args.star && fname != "count" {
            self.errors.push(CheckError::MisplacedAggregateSyntax {
                span,
                what: "*",
                function: fname.clone(),
            });
        }
        if args.distinct && fname != "count" {
            self.errors.push(CheckError::MisplacedAggregateSyntax {
                span,
                what: "distinct",
                function: fname.clone(),
            });
        }
        let fraction = functions::takes_fraction(function);
        let expected_args = usize::from(!args.star) + usize::from(fraction);
        if args.args.len() != expected_args {
            let expected = if fname == "count" {
                "`*` or one value"
            } else if fraction {
                "a value and a fraction from 0 to 1"
            } else {
                "one value"
            };
            self.errors.push(CheckError::ArgumentCount {
                span,
                function: fname.clone(),
                expected: expected.into(),
                found: args.args.len(),
            });
        }
        self.aggregate = Some(fname.clone());
        let arg = args.args.first().map(|a| self.expr(a));
        let function = match args.args.get(1) {
            Some(p) if fraction => self.fraction(function, &fname, p),
            _ => function,
        };
        let filter = args
            .filter
            .as_ref()
            .map(|f| self.condition(f, "an aggregate's `where`"));
        self.aggregate = None;
        let ty = aggregate_type(
            function,
            &fname,
            arg.as_ref().map(|a| (&a.ty, a.span)),
            self.errors,
        );
        let kind = TExprKind::Aggregate {
            function,
            arg: arg.map(Box::new),
            filter: filter.map(Box::new),
        };
        self.node(kind, ty, span)
    }

    /// A percentile with the fraction `p` gives, which must be a literal from 0 to 1.
    fn fraction(&mut self, function: Aggregate, name: &str, p: &Expr) -> Aggregate {
        let typed = self.expr(p);
        let parsed = match &typed.kind {
            TExprKind::Literal {
                value: Literal::Integer(n),
            } => Fraction::parse(&n.to_string()),
            TExprKind::Literal {
                value: Literal::Decimal(text),
            } => Fraction::parse(text),
            _ => None,
        };
        match (parsed, function) {
            (Some(f), Aggregate::ApproxPercentile(_)) => Aggregate::ApproxPercentile(f),
            (Some(f), _) => Aggregate::Percentile(f),
            (None, _) => {
                if !matches!(typed.kind, TExprKind::Error) {
                    self.errors.push(CheckError::PercentileFraction {
                        span: p.span,
                        function: name.to_string(),
                    });
                }
                function
            }
        }
    }

    /// A single name that is a constant: its literal, unless a column, alias or output of
    /// the scope has the same name (which one was meant is not guessed).
    fn constant(&mut self, name: &Ident, span: Span) -> Option<TExpr> {
        let constant = self.constants?.get(&name.name)?;
        let relations = self.relations;
        let taken = self
            .named
            .iter()
            .chain(self.later)
            .any(|n| n.name == name.name)
            || relations.iter().any(|r| {
                r.alias == name.name
                    || r.columns
                        .is_some_and(|cols| cols.iter().any(|c| c.name == name.name))
            });
        if taken {
            self.errors.push(CheckError::ConstantShadowed {
                span,
                name: name.name.clone(),
                constant: constant.span,
            });
            return Some(self.error_node(span));
        }
        let kind = TExprKind::Literal {
            value: constant.value.clone(),
        };
        let literal = self.node(kind, constant.ty.clone(), span);
        if !constant.negated {
            return Some(literal);
        }
        let kind = TExprKind::Unary {
            op: UnaryOp::Neg,
            operand: Box::new(literal),
        };
        Some(self.node(kind, constant.ty.clone(), span))
    }

    fn path(&mut self, parts: &[Ident], span: Span) -> TExpr {
        let Some(first) = parts.first() else {
            return self.error_node(span);
        };
        if parts.len() == 1
            && let Some(constant) = self.constant(first, span)
        {
            return constant;
        }
        let outputs_visible = match self.mode {
            Mode::Check => true,
            Mode::Measure => self.aggregate.is_none(),
            Mode::Row(_) => false,
        };
        if outputs_visible && parts.len() == 1 {
            if let Some(n) = self.named.iter().find(|n| n.name == first.name) {
                if self.aggregate.is_none() {
                    self.bare_outputs.push((n.name.clone(), span));
                }
                return self.node(
                    TExprKind::Output {
                        name: n.name.clone(),
                    },
                    n.ty.clone(),
                    span,
                );
            }
            if let Some(n) = self.later.iter().find(|n| n.name == first.name) {
                self.errors.push(CheckError::MeasureNotYetDefined {
                    span,
                    name: n.name.clone(),
                    defined: n.span,
                });
                return self.error_node(span);
            }
        }
        if self.mode == Mode::Check {
            let candidates = self.named.iter().map(|n| n.name.clone()).collect();
            self.errors.push(CheckError::UnknownOutput {
                span: first.span,
                name: first.name.clone(),
                candidates,
            });
            return self.error_node(span);
        }
        let resolved = self.column(parts, span);
        if self.mode == Mode::Measure
            && self.aggregate.is_none()
            && !matches!(resolved.kind, TExprKind::Error)
        {
            let shown = parts
                .iter()
                .map(|p| p.name.as_str())
                .collect::<Vec<_>>()
                .join(".");
            self.errors.push(CheckError::BareColumnMeasure {
                span,
                column: shown,
            });
            return self.error_node(span);
        }
        resolved
    }

    /// Resolves `column`, `alias.column` and `alias.column.field…` against the relations.
    fn column(&mut self, parts: &[Ident], span: Span) -> TExpr {
        let first = &parts[0];
        // Borrowed for 'a, not from `self`: no copy of a name or a type to resolve a column.
        let relations = self.relations;
        if let Some(rel) = relations.iter().find(|r| r.alias == first.name) {
            let Some(col_ident) = parts.get(1) else {
                self.errors.push(CheckError::RelationAsValue {
                    span,
                    name: first.name.clone(),
                });
                return self.error_node(span);
            };
            let Some(columns) = rel.columns else {
                return self.error_node(span);
            };
            return match columns.iter().find(|c| c.name == col_ident.name) {
                Some(c) => self.fields(&rel.alias, &c.name, &c.ty, &parts[2..], span),
                None => {
                    let candidates = columns.iter().map(|c| c.name.clone()).collect();
                    self.errors.push(CheckError::UnknownColumn {
                        span: col_ident.span,
                        name: col_ident.name.clone(),
                        relation: Some(rel.alias.clone()),
                        candidates,
                    });
                    self.error_node(span)
                }
            };
        }
        let holders: Vec<&ScopeRelation<'a>> = relations
            .iter()
            .filter(|r| {
                r.columns
                    .is_some_and(|cols| cols.iter().any(|c| c.name == first.name))
            })
            .collect();
        match holders.as_slice() {
            [one] => {
                let column = one
                    .columns
                    .and_then(|cols| cols.iter().find(|c| c.name == first.name));
                match column {
                    Some(c) => self.fields(&one.alias, &first.name, &c.ty, &parts[1..], span),
                    None => self.fields(&one.alias, &first.name, &Type::Unknown, &parts[1..], span),
                }
            }
            [] => {
                if relations.iter().any(|r| r.columns.is_none()) {
                    return self.error_node(span);
                }
                // Likelier names first: in a measure, outside an aggregate, the measures
                // defined above; inside one, the relations' columns.
                let measures: Vec<String> = if self.mode == Mode::Measure {
                    self.named.iter().map(|n| n.name.clone()).collect()
                } else {
                    Vec::new()
                };
                let columns = relations
                    .iter()
                    .flat_map(|r| r.columns.iter().copied().flatten().map(|c| c.name.clone()));
                let constants = self.constants.into_iter().flat_map(|c| c.keys().cloned());
                let candidates: Vec<String> = if self.aggregate.is_none() {
                    measures
                        .into_iter()
                        .chain(columns)
                        .chain(constants)
                        .collect()
                } else {
                    columns.chain(measures).chain(constants).collect()
                };
                if parts.len() > 1 {
                    let aliases = relations.iter().map(|r| r.alias.clone()).collect();
                    self.errors.push(CheckError::UnknownAlias {
                        span: first.span,
                        name: first.name.clone(),
                        candidates: aliases,
                    });
                } else {
                    self.errors.push(CheckError::UnknownColumn {
                        span: first.span,
                        name: first.name.clone(),
                        relation: None,
                        candidates,
                    });
                }
                self.error_node(span)
            }
            many => {
                let relations = many.iter().map(|r| r.alias.clone()).collect();
                self.errors.push(CheckError::AmbiguousColumn {
                    span: first.span,
                    name: first.name.clone(),
                    relations,
                });
                self.error_node(span)
            }
        }
    }

    fn fields(
        &mut self,
        relation: &str,
        column: &str,
        ty: &Type,
        fields: &[Ident],
        span: Span,
    ) -> TExpr {
        let mut ty = ty.clone();
        for field in fields {
            ty = match &ty {
                Type::Struct { fields: defs } => match defs
                    .iter()
                    .find(|f| f.name.eq_ignore_ascii_case(&field.name))
                {
                    Some(StructField { ty, .. }) => ty.clone(),
                    None => {
                        let candidates = defs.iter().map(|f| f.name.clone()).collect();
                        self.errors.push(CheckError::UnknownField {
                            span: field.span,
                            name: field.name.clone(),
                            ty: ty.clone(),
                            candidates,
                        });
                        return self.error_node(span);
                    }
                },
                t if t.is_any() => Type::Unknown,
                t => {
                    self.errors.push(CheckError::UnknownField {
                        span: field.span,
                        name: field.name.clone(),
                        ty: t.clone(),
                        candidates: Vec::new(),
                    });
                    return self.error_node(span);
                }
            };
        }
        let kind = TExprKind::Column {
            relation: relation.to_string(),
            column: column.to_string(),
            fields: fields.iter().map(|f| f.name.clone()).collect(),
        };
        self.node(kind, ty, span)
    }
}

/// `12.50` is `decimal(4,2)`: exact, as SQL reads it.
fn decimal_type(text: &str) -> Type {
    let digits = text.chars().filter(char::is_ascii_digit).count();
    let scale = text.split('.').nth(1).map_or(0, str::len);
    let clamp = |n: usize| u8::try_from(n.min(38)).unwrap_or(38);
    Type::Decimal {
        precision: clamp(digits.max(1)),
        scale: clamp(scale),
    }
}
