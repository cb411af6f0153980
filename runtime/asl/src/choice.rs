//! A JSONPath Choice condition plus a scope into true or false, with AWS's observed typing: a
//! comparison against a value of the wrong type is false, not an error.

use super::definition::{Comparator, Condition, Operand};
use super::error::Failure;
use super::template::{Scope, resolve, select};
use chrono::{DateTime, FixedOffset};
use serde_json::Value;
use std::cmp::Ordering;

/// Evaluates a JSONPath condition.
pub fn evaluate(c: &Condition, scope: Scope<'_>) -> Result<bool, Failure> {
    match c {
        Condition::And(cs) => {
            for c in cs {
                if !evaluate(c, scope)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        Condition::Or(cs) => {
            for c in cs {
                if evaluate(c, scope)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        Condition::Not(c) => Ok(!evaluate(c, scope)?),
        Condition::Jsonata(_) => Err(Failure::runtime("a JSONata Condition in a JSONPath state")),
        Condition::Compare {
            variable,
            op,
            operand,
        } => {
            let value = select(variable, scope)?;
            if *op == Comparator::IsPresent {
                return Ok(value.is_some() == (operand_bool(operand)));
            }
            let Some(value) = value else {
                return Err(Failure::runtime(format!(
                    "Invalid path '{variable}': The choice state's condition path references an invalid value."
                )));
            };
            let rhs = match operand {
                Operand::Literal(v) => v.clone(),
                Operand::Path(p) => resolve(p, scope)?,
            };
            Ok(compare(*op, &value, &rhs))
        }
    }
}

fn operand_bool(o: &Operand) -> bool {
    matches!(o, Operand::Literal(Value::Bool(true)))
}

/// Parses an ASL timestamp (RFC 3339 with an uppercase `T`).
pub fn timestamp(s: &str) -> Option<DateTime<FixedOffset>> {
    if s.contains('t') || s.contains(' ') || !s.contains('T') {
        return None;
    }
    DateTime::parse_from_rfc3339(s).ok()
}

fn ordered(op: Comparator, o: Option<Ordering>) -> bool {
    use Comparator::*;
    let Some(o) = o else { return false };
    match op {
        StringEquals | NumericEquals | TimestampEquals => o == Ordering::Equal,
        StringLessThan | NumericLessThan | TimestampLessThan => o == Ordering::Less,
        StringGreaterThan | NumericGreaterThan | TimestampGreaterThan => o == Ordering::Greater,
        StringLessThanEquals | NumericLessThanEquals | TimestampLessThanEquals => {
            o != Ordering::Greater
        }
        StringGreaterThanEquals | NumericGreaterThanEquals | TimestampGreaterThanEquals => {
            o != Ordering::Less
        }
        _ => false,
    }
}

fn compare(op: Comparator, v: &Value, rhs: &Value) -> bool {
    use Comparator::*;
    match op {
        StringEquals
        | StringLessThan
        | StringGreaterThan
        | StringLessThanEquals
        | StringGreaterThanEquals => match (v, rhs) {
            (Value::String(a), Value::String(b)) => ordered(op, Some(a.cmp(b))),
            _ => false,
        },
        StringMatches => match (v, rhs) {
            (Value::String(a), Value::String(p)) => wildcard(a, p),
            _ => false,
        },
        NumericEquals
        | NumericLessThan
        | NumericGreaterThan
        | NumericLessThanEquals
        | NumericGreaterThanEquals => match (v, rhs) {
            (Value::Number(a), Value::Number(b)) => ordered(
                op,
                a.as_f64()
                    .zip(b.as_f64())
                    .and_then(|(a, b)| a.partial_cmp(&b)),
            ),
            _ => false,
        },
        BooleanEquals => matches!((v, rhs), (Value::Bool(a), Value::Bool(b)) if a == b),
        TimestampEquals
        | TimestampLessThan
        | TimestampGreaterThan
        | TimestampLessThanEquals
        | TimestampGreaterThanEquals => match (v, rhs) {
            (Value::String(a), Value::String(b)) => match (timestamp(a), timestamp(b)) {
                (Some(a), Some(b)) => ordered(op, Some(a.cmp(&b))),
                _ => false,
            },
            _ => false,
        },
        IsNull => v.is_null() == (rhs == &Value::Bool(true)),
        IsNumeric => v.is_number() == (rhs == &Value::Bool(true)),
        IsString => v.is_string() == (rhs == &Value::Bool(true)),
        IsBoolean => v.is_boolean() == (rhs == &Value::Bool(true)),
        IsTimestamp => v.as_str().and_then(timestamp).is_some() == (rhs == &Value::Bool(true)),
        IsPresent => rhs == &Value::Bool(true),
    }
}

/// `StringMatches`: `*` matches any run of characters; `\*` is a literal star, `\\` a backslash.
fn wildcard(s: &str, pattern: &str) -> bool {
    #[derive(PartialEq)]
    enum T {
        Star,
        Ch(char),
    }
    let mut toks = Vec::new();
    let mut it = pattern.chars();
    while let Some(c) = it.next() {
        match c {
            '\\' => match it.next() {
                Some(n) => toks.push(T::Ch(n)),
                None => toks.push(T::Ch('\\')),
            },
            '*' => toks.push(T::Star),
            c => toks.push(T::Ch(c)),
        }
    }
    let s: Vec<char> = s.chars().collect();
    // dp[j]: pattern prefix of length j matches the string prefix seen so far.
    let mut dp = vec![false; toks.len() + 1];
    dp[0] = true;
    for j in 1..=toks.len() {
        dp[j] = dp[j - 1] && toks[j - 1] == T::Star;
    }
    for &c in &s {
        let mut next = vec![false; toks.len() + 1];
        for j in 1..=toks.len() {
            next[j] = match toks[j - 1] {
                T::Star => next[j - 1] || dp[j],
                T::Ch(p) => dp[j - 1] && p == c,
            };
        }
        dp = next;
    }
    dp[toks.len()]
}
