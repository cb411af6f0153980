//! The typed IR: names resolved, every expression typed. What `check` gives and `lower` takes.

use crate::span::Span;
use crate::syntax::ast::{BinaryOp, JoinKind, Literal, UnaryOp};
use crate::types::Type;
use serde::Serialize;

/// A checked project: sources as bound to the catalog, KPIs in dependency order (upstream
/// first; ties broken by name so the order is stable).
#[derive(Clone, Debug, Serialize)]
pub struct Program {
    pub sources: Vec<Source>,
    pub kpis: Vec<Kpi>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Source {
    pub name: String,
    pub database: String,
    pub table: String,
    pub kind: SourceKind,
    pub partition: Option<String>,
    pub location: Option<String>,
    pub format: crate::catalog::TableFormat,
    pub columns: Vec<Column>,
}

pub use crate::project::SourceKind;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Column {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: Type,
    pub doc: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Kpi {
    pub name: String,
    pub doc: Option<String>,
    pub file: String,
    pub span: Span,
    /// The `from` relation first, then each join in order.
    pub relations: Vec<RelationUse>,
    pub filter: Option<TExpr>,
    pub dimensions: Vec<Dimension>,
    pub measures: Vec<Measure>,
    pub checks: Vec<Check>,
    /// KPIs read by this one, sorted and without repeats.
    pub upstream: Vec<String>,
}

impl Kpi {
    /// The output columns, dimensions first (the partition column `dt` is implied).
    pub fn output_columns(&self) -> Vec<Column> {
        let dims = self.dimensions.iter().map(|d| Column {
            name: d.name.clone(),
            ty: d.ty.clone(),
            doc: d.doc.clone(),
        });
        let measures = self.measures.iter().map(|m| Column {
            name: m.name.clone(),
            ty: m.ty.clone(),
            doc: m.doc.clone(),
        });
        dims.chain(measures).collect()
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct RelationUse {
    pub alias: String,
    pub target: RelationTarget,
    /// `None` for the `from` relation.
    pub join: Option<JoinUse>,
    pub window: Window,
}

#[derive(Clone, Debug, Serialize)]
pub struct JoinUse {
    pub kind: JoinKind,
    pub on: TExpr,
}

/// What a relation reads: a source of the project or another KPI.
pub use kpi_contract::manifest::Target as RelationTarget;

/// The days read for day D: `[D - ends_before - days + 1, D - ends_before]`.
pub use kpi_contract::manifest::Window;

#[derive(Clone, Debug, Serialize)]
pub struct Dimension {
    pub name: String,
    pub doc: Option<String>,
    pub expr: TExpr,
    #[serde(rename = "type")]
    pub ty: Type,
}

#[derive(Clone, Debug, Serialize)]
pub struct Measure {
    pub name: String,
    pub doc: Option<String>,
    pub expr: TExpr,
    #[serde(rename = "type")]
    pub ty: Type,
    pub additivity: Additivity,
}

/// Whether a measure may be summed across rows of a downstream KPI.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Additivity {
    /// Counts and sums: the sum over days or groups is meaningful.
    Additive,
    /// Minimum and maximum: they combine with min and max, not with sum.
    Extremum,
    /// Distinct counts, averages, ratios: only meaningful at their own grain.
    NonAdditive,
}

#[derive(Clone, Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Check {
    /// Every row satisfies the condition.
    Row { condition: TExpr, span: Span },
    /// The condition over aggregates of the whole partition holds.
    Partition { condition: TExpr, span: Span },
    /// No two rows share these columns.
    Unique { columns: Vec<String>, span: Span },
}

#[derive(Clone, Debug, Serialize)]
pub struct TExpr {
    pub kind: TExprKind,
    #[serde(rename = "type")]
    pub ty: Type,
    pub span: Span,
}

#[derive(Clone, Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TExprKind {
    Literal {
        value: Literal,
    },
    Day,
    /// A column of a relation in scope, then struct fields into it.
    Column {
        relation: String,
        column: String,
        fields: Vec<String>,
    },
    /// An output column of this KPI: an earlier measure (in a measure) or any column (in a check).
    Output {
        name: String,
    },
    Index {
        base: Box<TExpr>,
        index: Box<TExpr>,
    },
    Unary {
        op: UnaryOp,
        operand: Box<TExpr>,
    },
    Binary {
        op: BinaryOp,
        left: Box<TExpr>,
        right: Box<TExpr>,
    },
    IsNull {
        operand: Box<TExpr>,
        negated: bool,
    },
    InList {
        operand: Box<TExpr>,
        list: Vec<TExpr>,
        negated: bool,
    },
    Like {
        operand: Box<TExpr>,
        pattern: Box<TExpr>,
        negated: bool,
    },
    Between {
        operand: Box<TExpr>,
        low: Box<TExpr>,
        high: Box<TExpr>,
        negated: bool,
    },
    Call {
        function: String,
        args: Vec<TExpr>,
    },
    Aggregate {
        function: Aggregate,
        arg: Option<Box<TExpr>>,
        filter: Option<Box<TExpr>>,
    },
    Case {
        whens: Vec<(TExpr, TExpr)>,
        otherwise: Option<Box<TExpr>>,
    },
    /// Stands for an expression that failed to check; it fits anywhere.
    Error,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Aggregate {
    Count,
    CountDistinct,
    /// HyperLogLog estimate (Athena `approx_distinct`, standard error 2.3%).
    ApproxDistinct,
    Sum,
    Avg,
    Min,
    Max,
    /// The nearest-rank percentile of the non-NULL values: the smallest value with at least
    /// the fraction of them at or below it (rank `max(1, ceil(p × n))` of `n` sorted values).
    Percentile(Fraction),
    /// An estimate of the percentile (Athena's `approx_percentile`), in bounded memory.
    ApproxPercentile(Fraction),
}

/// A percentile's fraction, from 0 to 1 in millionths: `0.5` is 500000.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Fraction(u32);

impl Fraction {
    pub const MILLION: u32 = 1_000_000;

    /// The fraction of a literal as written (`0.5`, `1`, `0.999`), if it is one: from 0 to 1,
    /// at most six digits after the point.
    pub fn parse(text: &str) -> Option<Fraction> {
        let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
        let frac = frac.trim_end_matches('0');
        if whole.is_empty()
            || !whole.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
            || frac.len() > 6
        {
            return None;
        }
        let whole = whole.trim_start_matches('0');
        let whole: u32 = if whole.is_empty() {
            0
        } else {
            whole.parse().ok()?
        };
        let frac: u32 = format!("{frac:0<6}").parse().ok()?;
        let millionths = whole.checked_mul(Self::MILLION)?.checked_add(frac)?;
        (millionths <= Self::MILLION).then_some(Fraction(millionths))
    }

    pub fn millionths(self) -> u32 {
        self.0
    }

    /// As a decimal literal: `0.5`, `0.0`, `1.0`.
    pub fn text(self) -> String {
        let frac = format!("{:06}", self.0 % Self::MILLION);
        let frac = frac.trim_end_matches('0');
        let frac = if frac.is_empty() { "0" } else { frac };
        format!("{}.{frac}", self.0 / Self::MILLION)
    }
}

impl Serialize for Fraction {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text())
    }
}

#[cfg(test)]
mod tests {
    use super::Fraction;

    #[test]
    fn fractions_are_read_exactly_and_printed_as_decimals() {
        for (text, millionths, printed) in [
            ("0", 0, "0.0"),
            ("1", 1_000_000, "1.0"),
            ("0.5", 500_000, "0.5"),
            ("0.50", 500_000, "0.5"),
            ("0.07", 70_000, "0.07"),
            ("0.999999", 999_999, "0.999999"),
            ("1.000", 1_000_000, "1.0"),
        ] {
            let f = Fraction::parse(text).unwrap();
            assert_eq!(
                (f.millionths(), f.text().as_str()),
                (millionths, printed),
                "{text}"
            );
        }
        for bad in [
            "2",
            "1.5",
            "90",
            "0.1234567",
            "",
            ".5",
            "-0.5",
            "99999999999",
        ] {
            assert_eq!(Fraction::parse(bad), None, "{bad}");
        }
    }
}
