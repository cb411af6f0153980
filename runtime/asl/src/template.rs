//! JSONPath-mode data flow: reference paths (`$.a`, `$$.ctx`, `$var.x`) and payload templates
//! (`.$` keys, intrinsic functions) plus a scope into values; `ResultPath` writes.

use super::error::Failure;
use super::intrinsic::{self, looks_like_call};
use super::intrinsic_eval;
use super::jsonpath::{JsonPath, PathKey};
use super::limits::{self, MAX_NESTING, MAX_PAYLOAD_BYTES, Measure};
use serde_json::{Map, Value};

/// What a JSONPath-mode expression can see.
#[derive(Clone, Copy)]
pub struct Scope<'a> {
    pub input: &'a Value,
    pub context: &'a Value,
    pub vars: &'a Map<String, Value>,
}

/// Splits `$...` into its base and the rest of the path.
enum Base<'p> {
    Input(&'p str),
    Context(&'p str),
    Var(&'p str, &'p str),
}

fn split(path: &str) -> Result<Base<'_>, String> {
    let path = path.trim();
    if let Some(rest) = path.strip_prefix("$$") {
        return Ok(Base::Context(rest));
    }
    let Some(rest) = path.strip_prefix('$') else {
        return Err(format!("The path '{path}' must start with '$'"));
    };
    match rest.chars().next() {
        Some(c) if c.is_alphabetic() || c == '_' => {
            let end = rest.find(['.', '[']).unwrap_or(rest.len());
            Ok(Base::Var(&rest[..end], &rest[end..]))
        }
        _ => Ok(Base::Input(rest)),
    }
}

/// Evaluates a path; `Ok(None)` when a definite path selects nothing.
pub fn select(path: &str, scope: Scope<'_>) -> Result<Option<Value>, Failure> {
    let (root, tail) = match split(path).map_err(Failure::runtime)? {
        Base::Input(t) => (scope.input, t),
        Base::Context(t) => (scope.context, t),
        Base::Var(name, t) => match scope.vars.get(name) {
            Some(v) => (v, t),
            None => {
                return Err(Failure::runtime(format!(
                    "The variable '${name}' is not defined (in the path '{path}')"
                )));
            }
        },
    };
    let jp = JsonPath::parse_tail(tail)
        .map_err(|e| Failure::runtime(format!("Invalid path '{path}': {e}")))?;
    Ok(jp.select(root))
}

/// Evaluates a path that must select something (InputPath, OutputPath, `...Path` fields).
pub fn resolve(path: &str, scope: Scope<'_>) -> Result<Value, Failure> {
    match select(path, scope)? {
        Some(v) => Ok(v),
        None => Err(Failure::runtime(format!(
            "Invalid path '{path}' : No results for path: {}",
            bracketed(path)
        ))),
    }
}

/// `$.a.b` as Jayway prints it: `$['a']['b']`.
fn bracketed(path: &str) -> String {
    let Ok(Base::Input(tail)) = split(path) else {
        return path.to_string();
    };
    match JsonPath::parse_tail(tail).ok().and_then(|p| p.keys()) {
        Some(keys) => {
            let mut s = String::from("$");
            for k in keys {
                match k {
                    PathKey::Key(k) => s.push_str(&format!("['{k}']")),
                    PathKey::Index(i) => s.push_str(&format!("[{i}]")),
                }
            }
            s
        }
        None => path.to_string(),
    }
}

/// The value of a `.$` field: an intrinsic call or a path.
pub fn dollar_value(field: &str, expr: &str, scope: Scope<'_>) -> Result<Value, Failure> {
    if looks_like_call(expr) {
        let call = intrinsic::parse(expr).map_err(|e| {
            Failure::runtime(format!("Invalid intrinsic function in '{field}': {e}"))
        })?;
        let resolver = |p: &str| -> Result<Value, Failure> {
            match select(p, scope)? {
                Some(v) => Ok(v),
                None => Err(Failure::runtime(format!(
                    "The JsonPath argument for the field '{field}' could not be found in the input '{}'",
                    scope.input
                ))),
            }
        };
        return intrinsic_eval::eval(&call, &resolver);
    }
    match select(expr, scope)? {
        Some(v) => Ok(v),
        None => Err(Failure::runtime(format!(
            "The JSONPath '{expr}' specified for the field '{field}' could not be found in the input '{}'",
            scope.input
        ))),
    }
}

/// Evaluates a payload template (Parameters, ResultSelector, ItemSelector, Assign). The
/// result is measured while it is built: a template copying a large input many times fails at
/// the payload limit instead of first building gigabytes.
pub fn template(t: &Value, scope: Scope<'_>) -> Result<Value, Failure> {
    let mut room = MAX_PAYLOAD_BYTES;
    build(t, scope, &mut room)
}

fn build(t: &Value, scope: Scope<'_>, room: &mut usize) -> Result<Value, Failure> {
    match t {
        Value::Object(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                *room = room
                    .checked_sub(k.len() + 4)
                    .ok_or_else(Failure::result_too_large)?;
                match k.strip_suffix(".$") {
                    Some(key) => {
                        let Value::String(expr) = v else {
                            return Err(Failure::runtime(format!(
                                "The value of the field '{k}' must be a path or an intrinsic function"
                            )));
                        };
                        let value = dollar_value(k, expr, scope)?;
                        match limits::measure(&value, *room, MAX_NESTING) {
                            Measure::Within { bytes, .. } => *room -= bytes,
                            Measure::TooLarge => return Err(Failure::result_too_large()),
                            Measure::TooDeep => {
                                limits::dismantle(value);
                                return Err(Failure::new(
                                    "States.DataLimitExceeded",
                                    format!(
                                        "The value of the field '{k}' is nested deeper than the maximum of {MAX_NESTING} levels."
                                    ),
                                ));
                            }
                        }
                        out.insert(key.to_string(), value);
                    }
                    None => {
                        out.insert(k.clone(), build(v, scope, room)?);
                    }
                }
            }
            Ok(Value::Object(out))
        }
        Value::Array(a) => Ok(Value::Array(
            a.iter()
                .map(|x| build(x, scope, room))
                .collect::<Result<_, _>>()?,
        )),
        other => Ok(other.clone()),
    }
}

/// Writes `result` into `input` at a reference path (`ResultPath`).
pub fn write_result(input: &Value, path: &str, result: Value) -> Result<Value, Failure> {
    let fail = || {
        Failure::new(
            "States.ResultPathMatchFailure",
            format!("Unable to apply ResultPath '{path}' to input '{input}'"),
        )
    };
    let tail = match split(path) {
        Ok(Base::Input(t)) => t,
        _ => return Err(Failure::runtime(format!("Invalid ResultPath '{path}'"))),
    };
    let keys = JsonPath::parse_tail(tail)
        .ok()
        .and_then(|p| p.keys())
        .ok_or_else(|| {
            Failure::runtime(format!(
                "Invalid ResultPath '{path}': a reference path must select one node"
            ))
        })?;
    if keys.is_empty() {
        return Ok(result);
    }
    if keys.len() > MAX_NESTING {
        return Err(Failure::new(
            "States.DataLimitExceeded",
            format!(
                "The ResultPath would nest the result deeper than the maximum of {MAX_NESTING} levels."
            ),
        ));
    }
    let mut doc = input.clone();
    let mut cur = &mut doc;
    let last = keys.len() - 1;
    for (i, k) in keys.into_iter().enumerate() {
        let slot = match (k, cur) {
            (PathKey::Key(k), Value::Object(m)) => m.entry(k).or_insert(Value::Object(Map::new())),
            (PathKey::Index(i), Value::Array(a)) => {
                let i = if i < 0 { a.len() as i64 + i } else { i };
                usize::try_from(i)
                    .ok()
                    .and_then(|i| a.get_mut(i))
                    .ok_or_else(fail)?
            }
            _ => return Err(fail()),
        };
        if i == last {
            *slot = result;
            return Ok(doc);
        }
        if !slot.is_object() && !slot.is_array() {
            *slot = Value::Object(Map::new());
        }
        cur = slot;
    }
    Ok(doc)
}
