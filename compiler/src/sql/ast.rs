//! The SQL the back end prints, as a tree: the few statement shapes it needs (an insert or a
//! copy of a query, a query), queries with `WITH`, joins, grouping and ordering, and
//! expressions in which every dialect difference is a node of its own (adding days, the text
//! of a day, a series of days…) for the printer to ask the dialect about. Run-time values are
//! [`Param`] nodes, printed as typed parameters, never as text.

use crate::types::Type;
use kpi_contract::Param;

/// A schema-qualified table name.
#[derive(Clone, Debug, PartialEq)]
pub struct Name {
    pub schema: String,
    pub table: String,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Stmt {
    /// `INSERT INTO table <query>`.
    Insert {
        table: Name,
        query: Select,
    },
    /// `COPY (<query>) TO '<dir>' (FORMAT parquet, PARTITION_BY (…))`: the directory is a path
    /// under the local lake.
    CopyPartitioned {
        query: Select,
        dir: Path,
        partition_by: Vec<String>,
    },
    Query(Select),
}

/// A path in the local lake: `{lake}/` then fixed text and parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct Path(pub Vec<PathPart>);

#[derive(Clone, Debug, PartialEq)]
pub enum PathPart {
    Text(String),
    Param(Param),
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Select {
    pub with: Vec<(String, Select)>,
    /// `SELECT DISTINCT`.
    pub distinct: bool,
    /// `SELECT *` before the columns (alone when there are none).
    pub star: bool,
    /// Each column and its name.
    pub columns: Vec<(Expr, String)>,
    pub from: Option<From>,
    pub filter: Option<Expr>,
    pub group_by: Vec<Expr>,
    pub having: Option<Expr>,
    pub order_by: Vec<Expr>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct From {
    pub first: Table,
    pub joins: Vec<Join>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JoinKind {
    Inner,
    Left,
    Cross,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Join {
    pub kind: JoinKind,
    pub table: Table,
    /// `None` for a cross join.
    pub on: Option<Expr>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Table {
    Named {
        name: Name,
        alias: String,
    },
    /// A name the statement's `WITH` defines.
    With {
        name: String,
        alias: String,
    },
    Subquery {
        query: Box<Select>,
        alias: String,
    },
    /// One row per day from `first` to `last` (both dates), in column `column`.
    DaySeries {
        first: Expr,
        last: Expr,
        alias: String,
        column: String,
    },
    /// The Parquet files matching a pattern under the local lake (DuckDB only).
    Files {
        pattern: Path,
        alias: String,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub enum Lit {
    Int(i128),
    /// A decimal number as written (`0.35`).
    Decimal(String),
    Str(String),
    Bool(bool),
    Null,
    /// `DATE 'YYYY-MM-DD'`, already validated.
    Date(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
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
    Mul,
    Div,
    Mod,
    Concat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Agg {
    CountStar,
    Count,
    CountDistinct,
    ApproxDistinct,
    Sum,
    Avg,
    Min,
    Max,
    /// Rows for which the argument is true.
    CountIf,
}

/// A function whose spelling may differ between dialects.
#[derive(Clone, Debug, PartialEq)]
pub enum Func {
    /// The same name and arguments everywhere (`lower`, `coalesce`, `round`…).
    Plain(&'static str),
    /// Elements of an array or entries of a map.
    Cardinality,
    /// Whether an array holds a value.
    Contains,
    /// ISO day of the week, Monday 1 to Sunday 7.
    DayOfWeek,
    /// Whole days from the first date to the second.
    DaysBetween,
    /// `concat_ws(separator, …)`, skipping NULLs.
    ConcatWs,
    /// Whole units elapsed from the first timestamp to the second, truncated toward zero
    /// (negative when the second is earlier).
    Elapsed(TimeUnit),
    /// A timestamp truncated to the start of its unit, a timestamp.
    Truncate(TimeUnit),
}

/// A unit of time of [`Func::Elapsed`] and [`Func::Truncate`], fixed in length (no calendar).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeUnit {
    Second,
    Minute,
    Hour,
    Day,
}

impl TimeUnit {
    /// The unit's name as both dialects spell it in `date_diff`, `date_sub` and `date_trunc`.
    pub fn name(self) -> &'static str {
        match self {
            TimeUnit::Second => "second",
            TimeUnit::Minute => "minute",
            TimeUnit::Hour => "hour",
            TimeUnit::Day => "day",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// `"qualifier"."name"`.
    Column(String, String),
    /// A struct field of a value: `value."name"`.
    Field(Box<Expr>, String),
    Lit(Lit),
    /// A run-time value as a string literal: `'{first_day}'`.
    Param(Param),
    /// A day parameter as a date: `DATE '{first_day}'`.
    DateParam(Param),
    Not(Box<Expr>),
    Neg(Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
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
    Case {
        whens: Vec<(Expr, Expr)>,
        otherwise: Option<Box<Expr>>,
    },
    Cast(Box<Expr>, Type),
    /// A cast that gives NULL instead of failing.
    TryCast(Box<Expr>, Type),
    Call(Func, Vec<Expr>),
    /// `base[index]`, NULL when the element is missing.
    Element(Box<Expr>, Box<Expr>),
    /// A date plus a whole number of days.
    AddDays(Box<Expr>, Box<Expr>),
    /// A date as the `YYYY-MM-DD` text of a partition value.
    DayText(Box<Expr>),
    Aggregate {
        agg: Agg,
        arg: Option<Box<Expr>>,
        filter: Option<Box<Expr>>,
    },
    /// A percentile of `value` over the rows where `rows` holds (NULL values left out),
    /// `fraction` a decimal literal from 0 to 1: nearest rank when `exact`, else an estimate.
    Percentile {
        exact: bool,
        value: Box<Expr>,
        fraction: String,
        rows: Box<Expr>,
    },
}

/// Shorthands for building trees.
impl Expr {
    pub fn col(qualifier: &str, name: &str) -> Expr {
        Expr::Column(qualifier.to_string(), name.to_string())
    }

    pub fn str(text: &str) -> Expr {
        Expr::Lit(Lit::Str(text.to_string()))
    }

    pub fn int(n: i128) -> Expr {
        Expr::Lit(Lit::Int(n))
    }

    pub fn bin(op: BinOp, left: Expr, right: Expr) -> Expr {
        Expr::Binary(op, Box::new(left), Box::new(right))
    }

    pub fn and(self, other: Expr) -> Expr {
        Expr::bin(BinOp::And, self, other)
    }

    pub fn eq(self, other: Expr) -> Expr {
        Expr::bin(BinOp::Eq, self, other)
    }

    pub fn concat(self, other: Expr) -> Expr {
        Expr::bin(BinOp::Concat, self, other)
    }

    pub fn cast(self, ty: Type) -> Expr {
        Expr::Cast(Box::new(self), ty)
    }

    pub fn add_days(self, days: i64) -> Expr {
        if days == 0 {
            self
        } else {
            Expr::AddDays(Box::new(self), Box::new(Expr::int(i128::from(days))))
        }
    }

    pub fn day_text(self) -> Expr {
        Expr::DayText(Box::new(self))
    }

    pub fn call(func: Func, args: Vec<Expr>) -> Expr {
        Expr::Call(func, args)
    }

    pub fn agg(agg: Agg, arg: Option<Expr>) -> Expr {
        Expr::Aggregate {
            agg,
            arg: arg.map(Box::new),
            filter: None,
        }
    }

    pub fn case(whens: Vec<(Expr, Expr)>, otherwise: Option<Expr>) -> Expr {
        Expr::Case {
            whens,
            otherwise: otherwise.map(Box::new),
        }
    }
}
