//! Function signatures: argument list → result type, for scalar functions and aggregates.

use super::errors::CheckError;
use crate::ir::{Aggregate, Fraction};
use crate::span::Span;
use crate::types::{Family, Type};

pub const SCALARS: &[&str] = &[
    "abs",
    "cardinality",
    "coalesce",
    "concat",
    "contains",
    "date",
    "day_of_week",
    "days_between",
    "greatest",
    "hour",
    "hours_between",
    "least",
    "length",
    "lower",
    "minutes_between",
    "nullif",
    "round",
    "seconds_between",
    "starts_with",
    "substr",
    "to_bigint",
    "to_double",
    "to_string",
    "trim",
    "trunc_day",
    "trunc_hour",
    "trunc_minute",
    "upper",
];

pub const AGGREGATES: &[&str] = &[
    "approx_distinct",
    "approx_percentile",
    "avg",
    "count",
    "max",
    "min",
    "percentile",
    "sum",
];

/// The aggregates that take a fraction after their value: `percentile(x, 0.9)`.
pub fn takes_fraction(function: Aggregate) -> bool {
    matches!(
        function,
        Aggregate::Percentile(_) | Aggregate::ApproxPercentile(_)
    )
}

pub fn aggregate(name: &str, distinct: bool) -> Option<Aggregate> {
    Some(match name {
        "count" if distinct => Aggregate::CountDistinct,
        "count" => Aggregate::Count,
        "approx_distinct" => Aggregate::ApproxDistinct,
        "sum" => Aggregate::Sum,
        "avg" => Aggregate::Avg,
        "min" => Aggregate::Min,
        "max" => Aggregate::Max,
        // The fraction is read from the call's second argument.
        "percentile" => Aggregate::Percentile(Fraction::parse("0.5")?),
        "approx_percentile" => Aggregate::ApproxPercentile(Fraction::parse("0.5")?),
        _ => return None,
    })
}

/// Result type of an aggregate over an argument of type `arg`; reports a wrong argument.
pub fn aggregate_type(
    function: Aggregate,
    name: &str,
    arg: Option<(&Type, Span)>,
    errors: &mut Vec<CheckError>,
) -> Type {
    let wrong =
        |expected: &'static str, (ty, span): (&Type, Span), errors: &mut Vec<CheckError>| {
            errors.push(CheckError::ArgumentType {
                span,
                function: name.to_string(),
                expected,
                found: ty.clone(),
            });
        };
    match function {
        Aggregate::Count | Aggregate::CountDistinct | Aggregate::ApproxDistinct => Type::BigInt,
        Aggregate::Sum => match arg.map(|(t, s)| (t.clone(), s)) {
            Some((t, _)) if t.is_any() => Type::Unknown,
            Some((t, _)) if t.family() == Family::Integer => Type::BigInt,
            Some((Type::Decimal { scale, .. }, _)) => Type::Decimal {
                precision: 38,
                scale,
            },
            Some((t, _)) if t.family() == Family::Fractional => Type::Double,
            Some((t, s)) => {
                wrong("a number", (&t, s), errors);
                Type::Unknown
            }
            None => Type::Unknown,
        },
        Aggregate::Avg => match arg {
            Some((t, _)) if t.is_numeric() => Type::Double,
            Some(a) => {
                wrong("a number", a, errors);
                Type::Unknown
            }
            None => Type::Unknown,
        },
        Aggregate::Min | Aggregate::Max => match arg {
            Some((t, s))
                if matches!(
                    t.family(),
                    Family::Array | Family::Map | Family::Struct | Family::Boolean
                ) =>
            {
                wrong("a number, text, date or timestamp", (t, s), errors);
                Type::Unknown
            }
            Some((t, _)) => t.clone(),
            None => Type::Unknown,
        },
        Aggregate::Percentile(_) => match arg {
            Some((t, _)) if t.is_any() => Type::Unknown,
            Some((t, _))
                if matches!(
                    t.family(),
                    Family::Integer | Family::Fractional | Family::Date | Family::Timestamp
                ) =>
            {
                t.clone()
            }
            Some(a) => {
                wrong("a number, date or timestamp", a, errors);
                Type::Unknown
            }
            None => Type::Unknown,
        },
        // Athena's approx_percentile takes bigint or double, and answers in the same type.
        Aggregate::ApproxPercentile(_) => match arg {
            Some((t, _)) if t.is_any() => Type::Unknown,
            Some((t, _)) if t.family() == Family::Integer => Type::BigInt,
            Some((t, _)) if t.family() == Family::Fractional => Type::Double,
            Some(a) => {
                wrong("a number", a, errors);
                Type::Unknown
            }
            None => Type::Unknown,
        },
    }
}

/// Types a scalar call; `None` when no scalar function has this name.
pub fn scalar_type(
    name: &str,
    span: Span,
    args: &[(Type, Span)],
    errors: &mut Vec<CheckError>,
) -> Option<Type> {
    let call = Call {
        name,
        span,
        args,
        errors,
    };
    Some(match name {
        "lower" | "upper" | "trim" => call
            .exact(1, "one text")
            .and_then(|c| c.text(0))
            .map_or(Type::Unknown, |_| Type::String),
        "length" => call
            .exact(1, "one text")
            .and_then(|c| c.text(0))
            .map_or(Type::Unknown, |_| Type::BigInt),
        "substr" => {
            let ok = call
                .range(2, 3, "a text, a start and an optional length")
                .map(|c| {
                    c.text(0);
                    c.integer(1);
                    if args.len() == 3 {
                        c.integer(2);
                    }
                });
            ok.map_or(Type::Unknown, |_| Type::String)
        }
        "starts_with" => call
            .exact(2, "two texts")
            .map(|c| {
                c.text(0);
                c.text(1);
            })
            .map_or(Type::Unknown, |_| Type::Boolean),
        "concat" => {
            if let Some(c) = call.range(1, usize::MAX, "one or more texts") {
                for i in 0..args.len() {
                    c.text(i);
                }
            }
            Type::String
        }
        "coalesce" | "greatest" | "least" => {
            match call.range(1, usize::MAX, "one or more values") {
                Some(c) => c.common(),
                None => Type::Unknown,
            }
        }
        "nullif" => match call.exact(2, "two values") {
            Some(c) => {
                c.common();
                args[0].0.clone()
            }
            None => Type::Unknown,
        },
        "date" => match call.exact(1, "one text, date or timestamp") {
            Some(c) => c
                .family(
                    0,
                    &[Family::Text, Family::Date, Family::Timestamp],
                    "a text, date or timestamp",
                )
                .map_or(Type::Unknown, |_| Type::Date),
            None => Type::Unknown,
        },
        "days_between" => match call.exact(2, "two dates") {
            Some(c) => {
                c.family(0, &[Family::Date, Family::Timestamp], "a date");
                c.family(1, &[Family::Date, Family::Timestamp], "a date");
                Type::BigInt
            }
            None => Type::Unknown,
        },
        "day_of_week" => match call.exact(1, "one date or timestamp") {
            Some(c) => c
                .family(0, &[Family::Date, Family::Timestamp], "a date or timestamp")
                .map_or(Type::Unknown, |_| Type::BigInt),
            None => Type::Unknown,
        },
        "seconds_between" | "minutes_between" | "hours_between" => {
            match call.exact(2, "two timestamps") {
                Some(c) => {
                    c.family(0, &[Family::Timestamp], "a timestamp");
                    c.family(1, &[Family::Timestamp], "a timestamp");
                    Type::BigInt
                }
                None => Type::Unknown,
            }
        }
        "trunc_minute" | "trunc_hour" | "trunc_day" => match call.exact(1, "one timestamp") {
            Some(c) => c
                .family(0, &[Family::Timestamp], "a timestamp")
                .map_or(Type::Unknown, |_| Type::Timestamp),
            None => Type::Unknown,
        },
        "hour" => match call.exact(1, "one timestamp") {
            Some(c) => c
                .family(0, &[Family::Timestamp], "a timestamp")
                .map_or(Type::Unknown, |_| Type::BigInt),
            None => Type::Unknown,
        },
        "abs" => match call.exact(1, "one number") {
            Some(c) => c.numeric(0).map_or(Type::Unknown, |t| t.clone()),
            None => Type::Unknown,
        },
        "round" => match call.range(1, 2, "a number and an optional number of digits") {
            Some(c) => {
                if args.len() == 2 {
                    c.integer(1);
                }
                c.numeric(0).map_or(Type::Unknown, |t| {
                    if t.family() == Family::Integer {
                        Type::BigInt
                    } else {
                        t.clone()
                    }
                })
            }
            None => Type::Unknown,
        },
        "to_bigint" | "to_double" | "to_string" => match call.exact(1, "one value") {
            Some(c) => {
                let to = match name {
                    "to_bigint" => Type::BigInt,
                    "to_double" => Type::Double,
                    _ => Type::String,
                };
                let (from, at) = &args[0];
                if !convertible(from, &to) {
                    c.errors_push(CheckError::ImpossibleCast {
                        span: *at,
                        function: name.to_string(),
                        from: from.clone(),
                        to: to.clone(),
                    });
                }
                to
            }
            None => Type::Unknown,
        },
        "cardinality" => match call.exact(1, "one array or map") {
            Some(c) => c
                .family(0, &[Family::Array, Family::Map], "an array or map")
                .map_or(Type::Unknown, |_| Type::BigInt),
            None => Type::Unknown,
        },
        "contains" => match call.exact(2, "an array and a value") {
            Some(c) => {
                if let Some(Type::Array { element }) = c.family(0, &[Family::Array], "an array")
                    && !element.comparable_with(&args[1].0)
                {
                    {
                        c.errors_push(CheckError::Incomparable {
                            span: args[1].1,
                            left: (**element).clone(),
                            right: args[1].0.clone(),
                        });
                    }
                }
                Type::Boolean
            }
            None => Type::Unknown,
        },
        _ => return None,
    })
}

/// Whether a conversion to `to` (bigint, double or string) can succeed on some value of type
/// `from` (docs/language.md, the cast matrix): dates and timestamps have no number, nested
/// and binary values neither a number nor a text (Athena rejects the cast, DuckDB gives NULL).
pub fn convertible(from: &Type, to: &Type) -> bool {
    if from.is_any() {
        return true;
    }
    let numeric = matches!(to.family(), Family::Integer | Family::Fractional);
    match from.family() {
        Family::Integer | Family::Fractional | Family::Text | Family::Boolean => true,
        Family::Date | Family::Timestamp => !numeric,
        Family::Binary | Family::Array | Family::Map | Family::Struct => false,
        Family::Any => true,
    }
}

struct Call<'a> {
    name: &'a str,
    span: Span,
    args: &'a [(Type, Span)],
    errors: &'a mut Vec<CheckError>,
}

/// Argument checks after the count is known to be right. Interior mutability keeps the
/// call sites short: each check reports on its own and says whether it passed.
struct Checked<'a> {
    name: &'a str,
    args: &'a [(Type, Span)],
    errors: std::cell::RefCell<&'a mut Vec<CheckError>>,
}

impl<'a> Call<'a> {
    fn exact(self, n: usize, expected: &str) -> Option<Checked<'a>> {
        self.range(n, n, expected)
    }

    fn range(self, min: usize, max: usize, expected: &str) -> Option<Checked<'a>> {
        if self.args.len() < min || self.args.len() > max {
            self.errors.push(CheckError::ArgumentCount {
                span: self.span,
                function: self.name.to_string(),
                expected: expected.to_string(),
                found: self.args.len(),
            });
            return None;
        }
        Some(Checked {
            name: self.name,
            args: self.args,
            errors: std::cell::RefCell::new(self.errors),
        })
    }
}

impl<'a> Checked<'a> {
    fn errors_push(&self, e: CheckError) {
        self.errors.borrow_mut().push(e);
    }

    fn family(&self, i: usize, families: &[Family], expected: &'static str) -> Option<&'a Type> {
        let args: &'a [(Type, Span)] = self.args;
        let (ty, span) = &args[i];
        if ty.is_any() || families.contains(&ty.family()) {
            Some(ty)
        } else {
            self.errors_push(CheckError::ArgumentType {
                span: *span,
                function: self.name.to_string(),
                expected,
                found: ty.clone(),
            });
            None
        }
    }

    fn text(&self, i: usize) -> Option<&'a Type> {
        self.family(i, &[Family::Text], "a text")
    }

    fn integer(&self, i: usize) -> Option<&'a Type> {
        self.family(i, &[Family::Integer], "a whole number")
    }

    fn numeric(&self, i: usize) -> Option<&'a Type> {
        self.family(i, &[Family::Integer, Family::Fractional], "a number")
    }

    /// The common type of all arguments; reports the first that fits none.
    fn common(&self) -> Type {
        let mut acc = Type::Null;
        for (ty, span) in self.args {
            match acc.common(ty) {
                Some(t) => acc = t,
                None => {
                    self.errors_push(CheckError::Incomparable {
                        span: *span,
                        left: acc.clone(),
                        right: ty.clone(),
                    });
                    return Type::Unknown;
                }
            }
        }
        if acc == Type::Null {
            Type::Unknown
        } else {
            acc
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The cast matrix of docs/language.md, row by row.
    #[test]
    fn conversions_that_cannot_succeed_are_refused() {
        let array = Type::Array {
            element: Box::new(Type::BigInt),
        };
        let decimal = Type::Decimal {
            precision: 10,
            scale: 2,
        };
        let rows: [(Type, [bool; 3]); 9] = [
            (Type::Int, [true, true, true]),
            (decimal, [true, true, true]),
            (Type::String, [true, true, true]),
            (Type::Boolean, [true, true, true]),
            (Type::Date, [false, false, true]),
            (Type::Timestamp, [false, false, true]),
            (Type::Binary, [false, false, false]),
            (array, [false, false, false]),
            (Type::Null, [true, true, true]),
        ];
        for (from, expected) in rows {
            let got = [Type::BigInt, Type::Double, Type::String].map(|to| convertible(&from, &to));
            assert_eq!(got, expected, "{from}");
            for (name, ok) in ["to_bigint", "to_double", "to_string"]
                .into_iter()
                .zip(expected)
            {
                let mut errors = Vec::new();
                let span = Span::new(crate::span::FileId(0), 0, 1);
                scalar_type(name, span, &[(from.clone(), span)], &mut errors);
                assert_eq!(errors.is_empty(), ok, "{name}({from}): {errors:?}");
            }
        }
    }
}
