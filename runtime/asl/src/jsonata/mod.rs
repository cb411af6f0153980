//! A JSONata evaluator for Step Functions' JSONata states, following jsonata-js 2.0.6 (the
//! version Step Functions runs) plus the Step Functions functions `$partition`, `$range`,
//! `$hash`, `$random`, `$uuid` and `$parse`.
//!
//! It is a focused port of the reference implementation's evaluator, not a general one: the
//! constructs it does not implement (`@`/`#` bindings, `^( )` sorting, `|…|` transforms, `%`
//! parents, partial application, signatures, `$zip`, some formatting functions) are rejected
//! with an error naming them (code `unsupported`), never answered wrongly.

mod bounds;
mod builtins;
mod calls;
mod coll;
mod datetime;
mod eval;
mod funcs;
mod lexer;
mod ops;
mod parser;
mod regex;
mod sfn;
mod value;

use rand::SeedableRng;
use serde_json::{Map, Value};
use std::cell::{Cell, RefCell};
use std::fmt;
use std::rc::Rc;
use std::time::Duration;

pub use bounds::DEFAULT_TIMEOUT;
use value::{Arr, Frame, Val};

/// A JSONata error: its code (`T2002`, `D3110`, …; `undefined` when a required result is
/// undefined; `unsupported` for what this evaluator does not implement), message and position.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonataError {
    pub code: String,
    pub message: String,
    pub position: usize,
}

impl fmt::Display for JsonataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for JsonataError {}

/// What one evaluation shares: the clock, the random source, the nesting depth and the
/// deadline.
pub(crate) struct Ctx {
    pub now_millis: f64,
    pub rng: RefCell<rand::rngs::SmallRng>,
    pub depth: Cell<usize>,
    pub deadline: bounds::Clock,
}

/// Evaluates `expr`; an undefined result is an error with code `undefined`.
pub fn evaluate(expr: &str, bindings: &Map<String, Value>) -> Result<Value, JsonataError> {
    evaluate_opt(expr, bindings)?.ok_or_else(undefined)
}

/// Evaluates `expr` with `bindings` as variables (`states` → `$states`, …); the context `$` is
/// `bindings["states"]["input"]`. `__now_millis` fixes `$now()`/`$millis()`, `__random_seed`
/// seeds `$random()`/`$uuid()`. `None` is JSONata's undefined. A function result is an error
/// with code `function` (Step Functions rejects it).
pub fn evaluate_opt(
    expr: &str,
    bindings: &Map<String, Value>,
) -> Result<Option<Value>, JsonataError> {
    evaluate_within(expr, bindings, DEFAULT_TIMEOUT)
}

/// [`evaluate_opt`] that gives up after `timeout` ("Expression evaluation timeout").
pub fn evaluate_within(
    expr: &str,
    bindings: &Map<String, Value>,
    timeout: Duration,
) -> Result<Option<Value>, JsonataError> {
    let deadline = bounds::Clock::new(timeout);
    let ast = parser::parse(expr)?;
    let now_millis = bindings
        .get("__now_millis")
        .and_then(Value::as_f64)
        .unwrap_or_else(|| {
            let d = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default();
            d.as_millis() as f64
        });
    let seed = bindings
        .get("__random_seed")
        .and_then(Value::as_u64)
        .unwrap_or_else(|| {
            let d = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default();
            d.as_nanos() as u64
        });
    let cx = Ctx {
        now_millis,
        rng: RefCell::new(rand::rngs::SmallRng::seed_from_u64(seed)),
        depth: Cell::new(0),
        deadline,
    };
    let root = Rc::new(Frame::default());
    for (k, v) in bindings {
        if !k.starts_with("__") {
            root.bind(k, Some(value::from_json(v)));
        }
    }
    let input = bindings
        .get("states")
        .and_then(|s| s.get("input"))
        .map(value::from_json);
    let input = input.map(|v| match v {
        Val::Arr(_) => Val::Arr(Rc::new(Arr {
            items: vec![v],
            seq: true,
            outer: true,
            ..Arr::default()
        })),
        other => other,
    });
    if let Some(v) = &input {
        root.bind("$", Some(v.clone()));
    }
    let result = eval::eval(&ast, &input, &root, &cx)?;
    match result {
        None => Ok(None),
        Some(Val::Func(_)) => Err(JsonataError {
            code: "function".into(),
            message: "the expression evaluated to a function".into(),
            position: 0,
        }),
        Some(v) => Ok(value::to_json(&v)),
    }
}

/// This evaluator as the ASL interpreter's JSONata engine; errors read as Step Functions
/// words them (`T1006: Attempted to invoke a non-function`).
#[derive(Clone, Copy, Debug, Default)]
pub struct Engine;

impl crate::JsonataEngine for Engine {
    fn evaluate(&self, expr: &str, bindings: &Map<String, Value>) -> Result<Value, String> {
        TimedEngine(DEFAULT_TIMEOUT).evaluate(expr, bindings)
    }
}

/// [`Engine`] with another time limit per expression.
#[derive(Clone, Copy, Debug)]
pub struct TimedEngine(pub Duration);

impl crate::JsonataEngine for TimedEngine {
    fn evaluate(&self, expr: &str, bindings: &Map<String, Value>) -> Result<Value, String> {
        evaluate_within(expr, bindings, self.0)
            .and_then(|v| v.ok_or_else(undefined))
            .map_err(|e| format!("{}: {}", e.code, e.message))
    }
}

fn undefined() -> JsonataError {
    JsonataError {
        code: "undefined".into(),
        message: "the expression evaluated to undefined (no value)".into(),
        position: 0,
    }
}
