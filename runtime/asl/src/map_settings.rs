//! A Map state's settings (MaxConcurrency, ToleratedFailureCount, ToleratedFailurePercentage,
//! literal or `...Path`) and the state input into numbers, with AWS's wording for bad ones.

use super::definition::MapState;
use super::error::Failure;
use super::interp::Run;
use super::template::{Scope, resolve};
use serde_json::Value;

/// How many failed items a Map tolerates.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Tolerance {
    pub count: Option<u64>,
    pub percentage: Option<f64>,
}

fn quoted(v: &Value) -> String {
    match v {
        Value::String(s) => format!("\"{s}\""),
        other => format!("\"{other}\""),
    }
}

fn as_int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn as_float(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Reads the literal or `...Path` form of an integer Map setting.
fn int_setting(
    lit: Option<&Value>,
    path: Option<&str>,
    field: &str,
    scope: Scope<'_>,
) -> Result<Option<i64>, Failure> {
    if let Some(p) = path {
        let v = resolve(p, scope)?;
        return as_int(&v).map(Some).ok_or_else(|| {
            Failure::runtime(format!(
                "The {field}Path field refers to value {} which is not a valid integer: {p}",
                quoted(&v)
            ))
        });
    }
    match lit {
        None => Ok(None),
        Some(v) => as_int(v)
            .map(Some)
            .ok_or_else(|| Failure::runtime(format!("{field} must be an integer"))),
    }
}

impl Run<'_> {
    /// The Map settings that JSONPath mode reads from the state input.
    pub(crate) fn map_settings(
        &self,
        m: &MapState,
        scope: Scope<'_>,
    ) -> Result<(Option<i64>, Tolerance), Failure> {
        let conc = int_setting(
            m.max_concurrency.as_ref(),
            m.max_concurrency_path.as_deref(),
            "MaxConcurrency",
            scope,
        )?;
        if conc.is_some_and(|c| c < 0) {
            return Err(Failure::runtime("MaxConcurrency cannot be negative."));
        }
        let count = int_setting(
            m.tolerated_failure_count.as_ref(),
            m.tolerated_failure_count_path.as_deref(),
            "ToleratedFailureCount",
            scope,
        )?;
        if count.is_some_and(|c| c < 0) {
            return Err(Failure::runtime(
                "ToleratedFailureCount cannot be negative.",
            ));
        }
        let percentage = match (
            &m.tolerated_failure_percentage_path,
            &m.tolerated_failure_percentage,
        ) {
            (Some(p), _) => {
                let v = resolve(p, scope)?;
                Some(as_float(&v).ok_or_else(|| {
                    Failure::runtime(format!(
                        "The ToleratedFailurePercentagePath field refers to value {} which is not a valid float: {p}",
                        quoted(&v)
                    ))
                })?)
            }
            (None, Some(v)) => {
                Some(as_float(v).ok_or_else(|| {
                    Failure::runtime("ToleratedFailurePercentage must be a number")
                })?)
            }
            (None, None) => None,
        };
        if percentage.is_some_and(|p| !(0.0..=100.0).contains(&p)) {
            return Err(Failure::runtime(
                "ToleratedFailurePercentage must be between 0 and 100.",
            ));
        }
        Ok((
            conc,
            Tolerance {
                count: count.map(|c| c as u64),
                percentage,
            },
        ))
    }
}
