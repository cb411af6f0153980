//! The AST: faithful to the text of a `.kpi` file; every node carries its `span`.

use crate::span::Span;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct File {
    pub kpis: Vec<Kpi>,
    /// Named constants, in the file's order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub consts: Vec<Const>,
}

/// `const name = literal`: a literal named once for the whole project.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Const {
    pub doc: Option<String>,
    pub name: Ident,
    /// A literal, or `-` and a number.
    pub value: Expr,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Kpi {
    pub doc: Option<String>,
    pub name: Ident,
    pub from: Relation,
    pub joins: Vec<Join>,
    pub filter: Option<Expr>,
    pub group_by: Vec<Dimension>,
    pub measures: Vec<Measure>,
    pub checks: Vec<Check>,
    pub span: Span,
}

/// A source or KPI read by a KPI, with its alias and the days it covers.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Relation {
    pub name: Ident,
    pub alias: Option<Ident>,
    pub window: Option<Window>,
    pub span: Span,
}

impl Relation {
    /// The name the relation is referred to by in expressions.
    pub fn alias_ident(&self) -> &Ident {
        self.alias.as_ref().unwrap_or(&self.name)
    }
}

/// `over N days [ending day - K]`: the days `[day - K - N + 1, day - K]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Window {
    pub days: u64,
    pub ends_before: u64,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JoinKind {
    Inner,
    Left,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Join {
    pub kind: JoinKind,
    pub relation: Relation,
    pub on: Expr,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Dimension {
    pub doc: Option<String>,
    /// Written `name = expr`, or taken from the column in `group by e.company_id`.
    pub name: Option<Ident>,
    pub expr: Expr,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Measure {
    pub doc: Option<String>,
    pub name: Ident,
    pub expr: Expr,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Check {
    pub expr: Expr,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

impl Expr {
    /// `left op right`, spanning both operands: how both parsers fold an operator chain.
    pub fn binary(op: BinaryOp, left: Expr, right: Expr) -> Expr {
        let span = left.span.to(right.span);
        Expr {
            kind: ExprKind::Binary {
                op,
                left: Box::new(left),
                right: Box::new(right),
            },
            span,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ExprKind {
    Literal {
        value: Literal,
    },
    /// `day`: the day being computed.
    Day,
    /// `name`, `alias.column`, `alias.column.field…`: resolved by the checker.
    Path {
        parts: Vec<Ident>,
    },
    Index {
        base: Box<Expr>,
        index: Box<Expr>,
    },
    Unary {
        op: UnaryOp,
        operand: Box<Expr>,
    },
    Binary {
        op: BinaryOp,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    IsNull {
        operand: Box<Expr>,
        negated: bool,
    },
    InList {
        operand: Box<Expr>,
        list: Vec<Expr>,
        negated: bool,
    },
    Like {
        operand: Box<Expr>,
        pattern: Box<Expr>,
        negated: bool,
    },
    Between {
        operand: Box<Expr>,
        low: Box<Expr>,
        high: Box<Expr>,
        negated: bool,
    },
    Call {
        name: Ident,
        args: CallArgs,
    },
    Case {
        whens: Vec<(Expr, Expr)>,
        otherwise: Option<Box<Expr>>,
    },
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CallArgs {
    /// `count(*)`.
    pub star: bool,
    pub distinct: bool,
    pub args: Vec<Expr>,
    /// `count(* where e.kind = 'post')`: a filtered aggregate.
    pub filter: Option<Box<Expr>>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum Literal {
    Integer(u64),
    Decimal(String),
    String(String),
    Boolean(bool),
    Null,
    /// `date '2024-01-31'`, already validated.
    Date(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UnaryOp {
    Not,
    Neg,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    NotEq,
    Lt,
    LtEq,
    Gt,
    GtEq,
    Add,
    Sub,
    Concat,
    Mul,
    Div,
    Mod,
}

impl BinaryOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Or => "or",
            BinaryOp::And => "and",
            BinaryOp::Eq => "=",
            BinaryOp::NotEq => "<>",
            BinaryOp::Lt => "<",
            BinaryOp::LtEq => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::GtEq => ">=",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Concat => "||",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Mod => "%",
        }
    }

    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinaryOp::Eq
                | BinaryOp::NotEq
                | BinaryOp::Lt
                | BinaryOp::LtEq
                | BinaryOp::Gt
                | BinaryOp::GtEq
        )
    }
}
