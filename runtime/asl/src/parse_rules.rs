//! The nested parts of an ASL state (Choice rules, Retry, Catch, Map fields) into their typed
//! forms, with path-named errors.

use super::definition::*;
use super::parse::{Fields, R, err, io, machine};
use serde_json::Value;

const COMPARATORS: [(&str, Comparator); 23] = [
    ("StringEquals", Comparator::StringEquals),
    ("StringLessThan", Comparator::StringLessThan),
    ("StringGreaterThan", Comparator::StringGreaterThan),
    ("StringLessThanEquals", Comparator::StringLessThanEquals),
    (
        "StringGreaterThanEquals",
        Comparator::StringGreaterThanEquals,
    ),
    ("StringMatches", Comparator::StringMatches),
    ("NumericEquals", Comparator::NumericEquals),
    ("NumericLessThan", Comparator::NumericLessThan),
    ("NumericGreaterThan", Comparator::NumericGreaterThan),
    ("NumericLessThanEquals", Comparator::NumericLessThanEquals),
    (
        "NumericGreaterThanEquals",
        Comparator::NumericGreaterThanEquals,
    ),
    ("BooleanEquals", Comparator::BooleanEquals),
    ("TimestampEquals", Comparator::TimestampEquals),
    ("TimestampLessThan", Comparator::TimestampLessThan),
    ("TimestampGreaterThan", Comparator::TimestampGreaterThan),
    (
        "TimestampLessThanEquals",
        Comparator::TimestampLessThanEquals,
    ),
    (
        "TimestampGreaterThanEquals",
        Comparator::TimestampGreaterThanEquals,
    ),
    ("IsNull", Comparator::IsNull),
    ("IsPresent", Comparator::IsPresent),
    ("IsNumeric", Comparator::IsNumeric),
    ("IsString", Comparator::IsString),
    ("IsBoolean", Comparator::IsBoolean),
    ("IsTimestamp", Comparator::IsTimestamp),
];

/// A top-level Choice rule (with `Next`).
pub(crate) fn choice_rule(v: &Value, path: &str, jsonpath: bool) -> R<ChoiceRule> {
    let mut f = Fields::new(v, path)?;
    let next = f.required("Next")?;
    let _ = f.value("Comment");
    let assign = f.value("Assign").cloned();
    let output = if jsonpath {
        None
    } else {
        f.value("Output").cloned()
    };
    let condition = if jsonpath {
        condition(&mut f)?
    } else {
        match f.value("Condition") {
            Some(c) => Condition::Jsonata(c.clone()),
            None => return err(path, "missing required field Condition"),
        }
    };
    f.finish()?;
    Ok(ChoiceRule {
        condition,
        next,
        assign,
        output,
    })
}

/// The boolean part of a JSONPath rule (takes its fields from `f`).
fn condition(f: &mut Fields<'_>) -> R<Condition> {
    let path = f.path.clone();
    for (key, is_and) in [("And", true), ("Or", false)] {
        if let Some(v) = f.value(key) {
            let Value::Array(items) = v else {
                return err(&f.at(key), "must be a non-empty array");
            };
            if items.is_empty() {
                return err(&f.at(key), "must be a non-empty array");
            }
            let mut out = Vec::new();
            for (i, item) in items.iter().enumerate() {
                out.push(nested(item, &format!("{path}.{key}[{i}]"))?);
            }
            return Ok(if is_and {
                Condition::And(out)
            } else {
                Condition::Or(out)
            });
        }
    }
    if let Some(v) = f.value("Not") {
        return Ok(Condition::Not(Box::new(nested(v, &format!("{path}.Not"))?)));
    }
    let variable = f.required("Variable")?;
    for (name, op) in COMPARATORS {
        if let Some(v) = f.value(name) {
            let literal_ok = match op {
                Comparator::StringEquals
                | Comparator::StringLessThan
                | Comparator::StringGreaterThan
                | Comparator::StringLessThanEquals
                | Comparator::StringGreaterThanEquals
                | Comparator::StringMatches
                | Comparator::TimestampEquals
                | Comparator::TimestampLessThan
                | Comparator::TimestampGreaterThan
                | Comparator::TimestampLessThanEquals
                | Comparator::TimestampGreaterThanEquals => v.is_string(),
                Comparator::NumericEquals
                | Comparator::NumericLessThan
                | Comparator::NumericGreaterThan
                | Comparator::NumericLessThanEquals
                | Comparator::NumericGreaterThanEquals => v.is_number(),
                _ => v.is_boolean(),
            };
            if !literal_ok {
                return err(&f.at(name), "has a value of the wrong type");
            }
            return Ok(Condition::Compare {
                variable,
                op,
                operand: Operand::Literal(v.clone()),
            });
        }
        let pname = format!("{name}Path");
        if let Some(key) = f.obj.keys().find(|k| **k == pname) {
            let key: &str = key;
            let Some(Value::String(p)) = f.value(key) else {
                return err(&f.at(&pname), "must be a string");
            };
            return Ok(Condition::Compare {
                variable,
                op,
                operand: Operand::Path(p.clone()),
            });
        }
    }
    err(&path, "has no comparison operator")
}

fn nested(v: &Value, path: &str) -> R<Condition> {
    let mut f = Fields::new(v, path)?;
    let _ = f.value("Comment");
    let c = condition(&mut f)?;
    f.finish()?;
    Ok(c)
}

fn error_equals(f: &mut Fields<'_>) -> R<Vec<String>> {
    let at = f.at("ErrorEquals");
    match f.value("ErrorEquals") {
        Some(Value::Array(a)) if !a.is_empty() => a
            .iter()
            .map(|e| match e {
                Value::String(s) => Ok(s.clone()),
                _ => err(&at, "must hold strings"),
            })
            .collect(),
        _ => err(&at, "must be a non-empty array of error names"),
    }
}

pub(crate) fn retriers(v: &Value, path: &str) -> R<Vec<Retrier>> {
    let Value::Array(items) = v else {
        return err(path, "must be an array");
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let mut f = Fields::new(item, &format!("{path}[{i}]"))?;
        let _ = f.value("Comment");
        let error_equals = error_equals(&mut f)?;
        let interval_seconds = f.number("IntervalSeconds")?.unwrap_or(1.0);
        let max_attempts = f.number("MaxAttempts")?.unwrap_or(3.0);
        let backoff_rate = f.number("BackoffRate")?.unwrap_or(2.0);
        let max_delay_seconds = f.number("MaxDelaySeconds")?;
        let jitter_full = match f.string("JitterStrategy")?.as_deref() {
            None | Some("NONE") => false,
            Some("FULL") => true,
            Some(o) => {
                return err(
                    &f.at("JitterStrategy"),
                    format!("must be FULL or NONE, not {o}"),
                );
            }
        };
        if backoff_rate < 1.0 {
            return err(&f.at("BackoffRate"), "must be at least 1.0");
        }
        if max_attempts < 0.0 {
            return err(&f.at("MaxAttempts"), "must not be negative");
        }
        f.finish()?;
        out.push(Retrier {
            error_equals,
            interval_seconds,
            max_attempts: max_attempts as u64,
            backoff_rate,
            max_delay_seconds,
            jitter_full,
        });
    }
    Ok(out)
}

pub(crate) fn catchers(v: &Value, path: &str, jsonpath: bool) -> R<Vec<Catcher>> {
    let Value::Array(items) = v else {
        return err(path, "must be an array");
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let mut f = Fields::new(item, &format!("{path}[{i}]"))?;
        let _ = f.value("Comment");
        let error_equals = error_equals(&mut f)?;
        let next = f.required("Next")?;
        let result_path = if jsonpath {
            f.path_field("ResultPath")?
        } else {
            PathField::Default
        };
        let assign = f.value("Assign").cloned();
        let output = if jsonpath {
            None
        } else {
            f.value("Output").cloned()
        };
        f.finish()?;
        out.push(Catcher {
            error_equals,
            next,
            result_path,
            assign,
            output,
        });
    }
    Ok(out)
}

pub(crate) fn map_state(f: &mut Fields<'_>, ql: QueryLanguage) -> R<MapState> {
    let jsonpath = ql == QueryLanguage::JsonPath;
    let path = f.path.clone();
    let (items_path, items) = if jsonpath {
        (f.path_field("ItemsPath")?, None)
    } else {
        (PathField::Default, f.value("Items").cloned())
    };
    let selector = f.value("ItemSelector").cloned();
    let legacy = if jsonpath {
        f.value("Parameters").cloned()
    } else {
        None
    };
    let item_selector = match (selector, legacy) {
        (Some(_), Some(_)) => {
            return err(&path, "ItemSelector and Parameters are mutually exclusive");
        }
        (a, b) => a.or(b),
    };
    let (proc_key, proc_value) = match (f.value("ItemProcessor"), f.value("Iterator")) {
        (Some(p), None) => ("ItemProcessor", p),
        (None, Some(p)) => ("Iterator", p),
        _ => return err(&path, "requires exactly one of ItemProcessor and Iterator"),
    };
    let mut pf = Fields::new(proc_value, &format!("{path}.{proc_key}"))?;
    let _ = pf.value("Comment");
    let mut distributed = false;
    if let Some(cfg) = pf.value("ProcessorConfig") {
        let mut cf = Fields::new(cfg, &pf.at("ProcessorConfig"))?;
        distributed = match cf.string("Mode")?.as_deref() {
            None | Some("INLINE") => false,
            Some("DISTRIBUTED") => true,
            Some(o) => {
                return err(
                    &cf.at("Mode"),
                    format!("must be INLINE or DISTRIBUTED, not {o}"),
                );
            }
        };
        let _ = cf.string("ExecutionType")?;
        cf.finish()?;
    }
    let pql = pf.string("QueryLanguage")?;
    let pql = match pql.as_deref() {
        Some("JSONata") => QueryLanguage::Jsonata,
        _ => ql,
    };
    let processor = machine(&mut pf, pql)?;
    pf.finish()?;
    for unsupported in ["ItemReader", "ResultWriter"] {
        if f.value(unsupported).is_some() {
            return err(&f.at(unsupported), "is not supported by the local runtime");
        }
    }
    let _ = f.value("Label");
    let paths = |f: &mut Fields<'_>, k: &'static str| if jsonpath { f.string(k) } else { Ok(None) };
    Ok(MapState {
        items_path,
        items,
        item_selector,
        processor,
        distributed,
        max_concurrency: f.value("MaxConcurrency").cloned(),
        max_concurrency_path: paths(f, "MaxConcurrencyPath")?,
        tolerated_failure_count: f.value("ToleratedFailureCount").cloned(),
        tolerated_failure_count_path: paths(f, "ToleratedFailureCountPath")?,
        tolerated_failure_percentage: f.value("ToleratedFailurePercentage").cloned(),
        tolerated_failure_percentage_path: paths(f, "ToleratedFailurePercentagePath")?,
        item_batcher: f.value("ItemBatcher").cloned(),
        io: io(f, jsonpath)?,
    })
}
