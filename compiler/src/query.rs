//! The backend IR: per KPI, a typed, span-free relational query over the days being computed.
//!
//! The days are a relation of their own, `days(day, dt)`: one row for a daily run, N rows for
//! a backfill chunk. Every relation the KPI reads is joined to it by its [`Reach`]: a window
//! is a range join on the partition column (`e.dt BETWEEN days.dt - 29 AND days.dt`), a
//! snapshot of the day an equality, an unpartitioned table a cross join. Each computed day is
//! then one group. `lower` builds this from the typed IR; the SQL printers print it for each
//! dialect; its hash is the KPI's fingerprint. Nothing here refers to the text it came from:
//! relations are referred to by position, so a renamed alias changes nothing but the
//! printed SQL (aliases and check labels are kept only to print readable SQL and messages).

use crate::ir::{Additivity, Aggregate};
use crate::syntax::ast::{BinaryOp, JoinKind, Literal, UnaryOp};
use crate::types::Type;
use serde::Serialize;

pub use kpi_contract::manifest::Window;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Query {
    /// The `from` relation first, then each join in order.
    pub relations: Vec<Relation>,
    pub filter: Option<Expr>,
    pub dimensions: Vec<Output>,
    pub measures: Vec<Output>,
    pub checks: Vec<Check>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Relation {
    /// The name the KPI gives the relation: printed, but not part of the meaning.
    pub alias: String,
    pub scan: Scan,
    pub reach: Reach,
    /// `None` for the `from` relation.
    pub join: Option<Join>,
}

/// What a relation reads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Scan {
    /// A catalog table; `partition` is its day partition column, if it has one.
    Source {
        database: String,
        table: String,
        partition: Option<String>,
    },
    /// The published output of an upstream KPI (partitioned by `dt`).
    Kpi { name: String },
}

/// Which of a relation's rows each computed day reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reach {
    /// The partitions of the window ending `ends_before` days before the day.
    Window(Window),
    /// Every row: the relation is not partitioned by day.
    Whole,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Join {
    pub kind: JoinKind,
    pub on: Expr,
}

/// An output column: a dimension (grouped by) or a measure (aggregated).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Output {
    pub name: String,
    pub expr: Expr,
    #[serde(rename = "type")]
    pub ty: Type,
    /// Measures only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub additivity: Option<Additivity>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Check {
    /// `file:line: text`, for the failure message: not part of the meaning.
    pub label: String,
    pub rule: Rule,
}

/// What a check asserts about one day's rows; it holds only when its condition is true.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Rule {
    /// Every row satisfies the condition (over the row's output columns).
    Row { condition: Expr },
    /// The condition over aggregates of the day's rows holds.
    Partition { condition: Expr },
    /// No two rows of the day share these output columns.
    Unique { columns: Vec<String> },
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Expr {
    #[serde(flatten)]
    pub kind: ExprKind,
    #[serde(rename = "type")]
    pub ty: Type,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ExprKind {
    Literal {
        value: Literal,
    },
    /// The day being computed, a `date`.
    Day,
    /// A column of the relation at `relation`, then struct fields into it.
    Column {
        relation: usize,
        column: String,
        fields: Vec<String>,
    },
    /// An earlier measure of the KPI, by position (in measures only).
    Measure {
        index: usize,
    },
    /// An output column of the KPI, by name (in checks only).
    Output {
        name: String,
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
        function: String,
        args: Vec<Expr>,
    },
    Aggregate {
        function: Aggregate,
        arg: Option<Box<Expr>>,
        filter: Option<Box<Expr>>,
    },
    Case {
        whens: Vec<(Expr, Expr)>,
        otherwise: Option<Box<Expr>>,
    },
}

impl Query {
    /// The output columns in table order: dimensions, then measures.
    pub fn outputs(&self) -> impl Iterator<Item = &Output> {
        self.dimensions.iter().chain(&self.measures)
    }

    /// The most days before a computed day that any relation reads (0 without windows).
    pub fn lead_in(&self) -> u32 {
        self.relations
            .iter()
            .map(|r| match r.reach {
                Reach::Window(w) => w.lead_in(),
                Reach::Whole => 0,
            })
            .max()
            .unwrap_or(0)
    }
}

impl Expr {
    /// The expressions directly inside this one, in order.
    pub fn children(&self) -> Vec<&Expr> {
        match &self.kind {
            ExprKind::Literal { .. }
            | ExprKind::Day
            | ExprKind::Column { .. }
            | ExprKind::Measure { .. }
            | ExprKind::Output { .. } => Vec::new(),
            ExprKind::Index { base, index } => vec![base, index],
            ExprKind::Unary { operand, .. } | ExprKind::IsNull { operand, .. } => vec![operand],
            ExprKind::Binary { left, right, .. } => vec![left, right],
            ExprKind::InList { operand, list, .. } => {
                std::iter::once(&**operand).chain(list).collect()
            }
            ExprKind::Like {
                operand, pattern, ..
            } => vec![operand, pattern],
            ExprKind::Between {
                operand, low, high, ..
            } => vec![operand, low, high],
            ExprKind::Call { args, .. } => args.iter().collect(),
            ExprKind::Aggregate { arg, filter, .. } => {
                arg.iter().chain(filter).map(|e| &**e).collect()
            }
            ExprKind::Case { whens, otherwise } => whens
                .iter()
                .flat_map(|(c, v)| [c, v])
                .chain(otherwise.as_deref())
                .collect(),
        }
    }

    /// The same as [`Expr::children`], mutable.
    pub fn children_mut(&mut self) -> Vec<&mut Expr> {
        match &mut self.kind {
            ExprKind::Literal { .. }
            | ExprKind::Day
            | ExprKind::Column { .. }
            | ExprKind::Measure { .. }
            | ExprKind::Output { .. } => Vec::new(),
            ExprKind::Index { base, index } => vec![base, index],
            ExprKind::Unary { operand, .. } | ExprKind::IsNull { operand, .. } => vec![operand],
            ExprKind::Binary { left, right, .. } => vec![left, right],
            ExprKind::InList { operand, list, .. } => {
                std::iter::once(&mut **operand).chain(list).collect()
            }
            ExprKind::Like {
                operand, pattern, ..
            } => vec![operand, pattern],
            ExprKind::Between {
                operand, low, high, ..
            } => vec![operand, low, high],
            ExprKind::Call { args, .. } => args.iter_mut().collect(),
            ExprKind::Aggregate { arg, filter, .. } => {
                arg.iter_mut().chain(filter).map(|e| &mut **e).collect()
            }
            ExprKind::Case { whens, otherwise } => whens
                .iter_mut()
                .flat_map(|(c, v)| [c, v])
                .chain(otherwise.as_deref_mut())
                .collect(),
        }
    }

    /// Calls `f` on this expression and every expression inside it, outermost first.
    pub fn walk(&self, f: &mut impl FnMut(&Expr)) {
        f(self);
        for child in self.children() {
            child.walk(f);
        }
    }
}
