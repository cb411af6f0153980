//! JSONata-mode states: `{% %}` fields plus `$states` and variables into values through the
//! [`JsonataEngine`](super::JsonataEngine), and the JSONata data flow of each state type.
//! Without an engine every expression fails with "JSONata is not available".

use super::definition::*;
use super::error::{Failure, Pending};
use super::flow::Items;
use super::interp::{Frame, Run, Step};
use super::interp::{map_item, seconds};
use super::map_settings::Tolerance;
use super::states::{shown, wait_seconds};
use serde_json::{Map, Value};

fn expr_of(s: &str) -> Option<&str> {
    // Only a string that is exactly `{% … %}` is an expression; surrounding spaces make it text.
    s.strip_prefix("{%")
        .and_then(|r| r.strip_suffix("%}"))
        .map(str::trim)
}

/// Evaluates a field: `{% %}` strings through the engine, objects and arrays recursively.
pub(crate) fn eval(
    run: &Run<'_>,
    v: &Value,
    field: &str,
    b: &Map<String, Value>,
) -> Result<Value, Failure> {
    match v {
        Value::String(s) => match expr_of(s) {
            Some(expr) => {
                let Some(engine) = run.opts.jsonata else {
                    return Err(Failure::query(format!(
                        "JSONata is not available: the expression '{expr}' specified for the field '{field}' cannot be evaluated."
                    )));
                };
                engine.evaluate(expr, b).map_err(|e| {
                    let what = format!(
                        "The JSONata expression '{expr}' specified for the field '{field}'"
                    );
                    Failure::query(match e.split_once(": ") {
                        // A function is not a JSON value: AWS words that as a result type.
                        Some(("function", _)) => {
                            format!("{what} returned an unsupported result type.")
                        }
                        Some(("undefined", _)) => format!("{what} returned nothing (undefined)."),
                        // The evaluation bounds carry no code, and AWS puts a colon before them.
                        Some(("bound", message)) => {
                            format!("{what} threw an error during evaluation: {message}")
                        }
                        _ => format!("{what} threw an error during evaluation. {e}"),
                    })
                })
            }
            None => Ok(v.clone()),
        },
        Value::Object(m) => {
            let mut out = Map::new();
            for (k, x) in m {
                out.insert(k.clone(), eval(run, x, &format!("{field}/{k}"), b)?);
            }
            Ok(Value::Object(out))
        }
        Value::Array(a) => Ok(Value::Array(
            a.iter()
                .enumerate()
                .map(|(i, x)| eval(run, x, &format!("{field}[{i}]"), b))
                .collect::<Result<_, _>>()?,
        )),
        other => Ok(other.clone()),
    }
}

/// `$states` and the variables.
fn bindings(
    input: &Value,
    ctx: &Value,
    frame: &Frame,
    extra: &[(&str, &Value)],
) -> Map<String, Value> {
    let mut b = frame.vars.clone();
    let mut states = Map::new();
    states.insert("input".into(), input.clone());
    states.insert("context".into(), ctx.clone());
    for (k, v) in extra {
        states.insert((*k).to_string(), (*v).clone());
    }
    b.insert("states".into(), Value::Object(states));
    b
}

fn assign(
    run: &Run<'_>,
    a: Option<&Value>,
    b: &Map<String, Value>,
) -> Result<Option<Map<String, Value>>, Failure> {
    let Some(a) = a else { return Ok(None) };
    let Value::Object(m) = a else {
        return Err(Failure::runtime("Assign must be an object"));
    };
    let mut out = Map::new();
    for (k, v) in m {
        out.insert(k.clone(), eval(run, v, &format!("Assign/{k}"), b)?);
    }
    Ok(Some(out))
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Output and Assign of a state that produced `result` (or passes its input on).
fn finish(
    run: &Run<'_>,
    state: &State,
    raw: &Value,
    result: Option<&Value>,
    ctx: &Value,
    frame: &Frame,
    next: Option<String>,
) -> Result<Step, Failure> {
    let extra: Vec<(&str, &Value)> = result.map(|r| vec![("result", r)]).unwrap_or_default();
    let b = bindings(raw, ctx, frame, &extra);
    let assign = assign(run, state.assign.as_ref(), &b)?;
    let output = match &state.output {
        Some(o) => eval(run, o, "Output", &b)?,
        None => result.cloned().unwrap_or_else(|| raw.clone()),
    };
    Ok(Step {
        output,
        next,
        assign,
    })
}

pub(crate) fn attempt(
    run: &mut Run<'_>,
    state: &State,
    raw: &Value,
    ctx: &Value,
    frame: &Frame,
) -> Result<Step, Failure> {
    let next = match &state.transition {
        Transition::Next(n) => Some(n.clone()),
        _ => None,
    };
    let b = bindings(raw, ctx, frame, &[]);
    match &state.kind {
        StateKind::Pass(_) | StateKind::Succeed => finish(run, state, raw, None, ctx, frame, next),
        StateKind::Fail(f) => {
            let field = |v: &Option<FailField>, name: &str| -> Result<Option<String>, Failure> {
                Ok(match v {
                    Some(FailField::Literal(x)) => match eval(run, x, name, &b)? {
                        Value::String(s) => Some(s),
                        Value::Null => None,
                        other => Some(other.to_string()),
                    },
                    _ => None,
                })
            };
            let error = field(&f.error, "Error")?;
            let cause = field(&f.cause, "Cause")?;
            Err(Failure {
                error,
                cause,
                pending: Pending::Nothing,
            })
        }
        StateKind::Wait(w) => {
            let secs = match w {
                WaitSpec::Seconds(v) => wait_seconds(&eval(run, v, "Seconds", &b)?, "Seconds")?,
                WaitSpec::Timestamp(v) => {
                    let at = eval(run, v, "Timestamp", &b)?;
                    run.until(&at).ok_or_else(|| {
                        Failure::new(
                            "States.QueryEvaluationError",
                            format!("The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: {}", shown(&at)),
                        )
                    })?
                }
                _ => {
                    return Err(Failure::runtime(
                        "SecondsPath/TimestampPath are not allowed in JSONata states",
                    ));
                }
            };
            run.opts.clock.sleep(seconds(secs));
            finish(run, state, raw, None, ctx, frame, next)
        }
        StateKind::Choice(c) => {
            for rule in &c.choices {
                let Condition::Jsonata(cond) = &rule.condition else {
                    continue;
                };
                match eval(run, cond, "Condition", &b)? {
                    Value::Bool(true) => {
                        let st = State {
                            assign: rule.assign.clone().or_else(|| state.assign.clone()),
                            output: rule.output.clone().or_else(|| state.output.clone()),
                            ..state.clone()
                        };
                        return finish(run, &st, raw, None, ctx, frame, Some(rule.next.clone()));
                    }
                    Value::Bool(false) => {}
                    other => {
                        return Err(Failure::query(format!(
                            "The Condition must evaluate to a boolean, but was '{}' for value: {other}",
                            type_name(&other)
                        )));
                    }
                }
            }
            match &c.default {
                Some(d) => finish(run, state, raw, None, ctx, frame, Some(d.clone())),
                None => Err(Failure {
                    pending: Pending::Prefix,
                    ..Failure::new(
                        "States.NoChoiceMatched",
                        "No Choice rule matched and there is no Default.",
                    )
                }),
            }
        }
        StateKind::Task(t) => {
            let args = match &t.io.parameters {
                Some(a) => eval(run, a, "Arguments", &b)?,
                None => raw.clone(),
            };
            let result = run.task(state, &t.resource, &args, ctx)?;
            finish(run, state, raw, Some(&result), ctx, frame, next)
        }
        StateKind::Parallel(p) => {
            let input = match &p.io.parameters {
                Some(a) => eval(run, a, "Arguments", &b)?,
                None => raw.clone(),
            };
            let result = run.parallel(p, input, frame)?;
            finish(run, state, raw, Some(&result), ctx, frame, next)
        }
        StateKind::Map(m) => {
            let result = map(run, m, raw, ctx, frame, &b)?;
            finish(run, state, raw, Some(&result), ctx, frame, next)
        }
    }
}

fn map(
    run: &mut Run<'_>,
    m: &MapState,
    raw: &Value,
    ctx: &Value,
    frame: &Frame,
    b: &Map<String, Value>,
) -> Result<Value, Failure> {
    let items = match &m.items {
        Some(i) => eval(run, i, "Items", b)?,
        None => raw.clone(),
    };
    let Value::Array(items) = items else {
        let shown = match &m.items {
            Some(Value::String(s)) => expr_of(s).unwrap_or(s).to_string(),
            Some(other) => other.to_string(),
            None => "$states.input".to_string(),
        };
        return Err(Failure::query(format!(
            "The JSONata expression '{shown}' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was '{}' for value: {items}",
            type_name(&items)
        )));
    };
    let num = |v: &Option<Value>, field: &str| -> Result<Option<f64>, Failure> {
        match v {
            None => Ok(None),
            Some(x) => match eval(run, x, field, b)? {
                Value::Number(n) => Ok(n.as_f64()),
                other => Err(Failure::query(format!(
                    "The field '{field}' must be a number, not {other}"
                ))),
            },
        }
    };
    let concurrency = num(&m.max_concurrency, "MaxConcurrency")?.map(|c| c as i64);
    let count = num(&m.tolerated_failure_count, "ToleratedFailureCount")?;
    let percentage = num(
        &m.tolerated_failure_percentage,
        "ToleratedFailurePercentage",
    )?;
    let tolerance = Tolerance {
        count: count.map(|c| c as u64),
        percentage,
    };
    let mut inputs = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let input = match &m.item_selector {
            Some(sel) => {
                let mut c = ctx.clone();
                if let Value::Object(o) = &mut c {
                    o.insert("Map".into(), map_item(i, item.clone()));
                }
                eval(run, sel, "ItemSelector", &bindings(raw, &c, frame, &[]))?
            }
            None => item.clone(),
        };
        inputs.push((item.clone(), input));
    }
    let map = Items {
        name: ctx
            .pointer("/State/Name")
            .and_then(Value::as_str)
            .unwrap_or("Map"),
        processor: &m.processor,
        distributed: m.distributed,
    };
    run.iterate(map, inputs, tolerance, concurrency, frame)
}

/// A matched catcher in a JSONata state: its Output (default: the error output) and Assign.
pub(crate) fn catch_output(
    run: &Run<'_>,
    c: &Catcher,
    raw: &Value,
    err_out: &Value,
    ctx: &Value,
    frame: &Frame,
) -> Result<(Value, Option<Map<String, Value>>), Failure> {
    let b = bindings(raw, ctx, frame, &[("errorOutput", err_out)]);
    let assigned = assign(run, c.assign.as_ref(), &b)?;
    let output = match &c.output {
        Some(o) => eval(run, o, "Output", &b)?,
        None => err_out.clone(),
    };
    Ok((output, assigned))
}
