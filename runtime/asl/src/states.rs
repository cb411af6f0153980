//! The JSONPath data flow of each state type (InputPath → Parameters → work → ResultSelector →
//! ResultPath → OutputPath), Task calls and Wait timing, plus the path helpers they share.

use super::choice;
use super::definition::*;
use super::error::{Failure, Pending};
use super::interp::{Frame, Run, Step, data_limit, seconds};
use super::jsonata_fields;
use super::limits;
use super::template::{Scope, dollar_value, resolve, select, template, write_result};
use super::{TaskContext, TaskError};
use serde_json::{Map, Value, json};

impl Run<'_> {
    pub(crate) fn attempt(
        &mut self,
        state: &State,
        raw: &Value,
        ctx: &Value,
        frame: &Frame,
    ) -> Result<Step, Failure> {
        if state.query_language == QueryLanguage::Jsonata {
            return jsonata_fields::attempt(self, state, raw, ctx, frame);
        }
        let input = apply_path(raw, &state.input_path, mk(raw, ctx, frame))?;
        let next = match &state.transition {
            Transition::Next(n) => Some(n.clone()),
            _ => None,
        };
        match &state.kind {
            StateKind::Pass(p) => {
                let result = match (&p.result, &p.parameters) {
                    (Some(r), _) => r.clone(),
                    (None, Some(params)) => template(params, mk(&input, ctx, frame))?,
                    (None, None) => input.clone(),
                };
                let assign = assign_values(state.assign.as_ref(), mk(&result, ctx, frame))?;
                let combined = apply_result_path(raw, &p.result_path, result)?;
                let output = apply_path(&combined, &state.output_path, mk(&combined, ctx, frame))?;
                Ok(Step {
                    output,
                    next,
                    assign,
                })
            }
            StateKind::Succeed => {
                let output = apply_path(&input, &state.output_path, mk(&input, ctx, frame))?;
                Ok(Step {
                    output,
                    next: None,
                    assign: None,
                })
            }
            StateKind::Fail(f) => {
                let field =
                    |v: &Option<FailField>, name: &str| -> Result<Option<String>, Failure> {
                        Ok(match v {
                            None => None,
                            Some(FailField::Literal(Value::String(s))) => Some(s.clone()),
                            Some(FailField::Literal(other)) => Some(other.to_string()),
                            Some(FailField::Path(p)) => {
                                match dollar_value(name, p, mk(&input, ctx, frame))? {
                                    Value::String(s) => Some(s),
                                    other => Some(other.to_string()),
                                }
                            }
                        })
                    };
                let error = field(&f.error, "ErrorPath")?;
                let cause = field(&f.cause, "CausePath")?;
                Err(Failure {
                    error,
                    cause,
                    pending: Pending::Nothing,
                })
            }
            StateKind::Choice(c) => {
                let mut target = None;
                for rule in &c.choices {
                    if choice::evaluate(&rule.condition, mk(&input, ctx, frame))? {
                        target = Some(rule.next.clone());
                        break;
                    }
                }
                let target = match target.or_else(|| c.default.clone()) {
                    Some(t) => t,
                    None => {
                        return Err(Failure {
                            pending: Pending::Prefix,
                            ..Failure::new(
                                "States.NoChoiceMatched",
                                "No Choice rule matched and there is no Default.",
                            )
                        });
                    }
                };
                let assign = assign_values(state.assign.as_ref(), mk(&input, ctx, frame))?;
                let output = apply_path(&input, &state.output_path, mk(&input, ctx, frame))?;
                Ok(Step {
                    output,
                    next: Some(target),
                    assign,
                })
            }
            StateKind::Wait(w) => {
                let scope = mk(&input, ctx, frame);
                let secs = match w {
                    WaitSpec::Seconds(v) => wait_seconds(v, "Seconds")?,
                    WaitSpec::SecondsPath(p) => seconds_path(p, scope)?,
                    WaitSpec::Timestamp(v) => self.until(v).ok_or_else(|| {
                        Failure::new(
                            "States.Runtime",
                            format!("The Timestamp parameter does not reference a valid ISO-8601 extended offset date-time format string: {}", shown(v)),
                        )
                    })?,
                    WaitSpec::TimestampPath(p) => self.timestamp_path(p, scope)?,
                };
                self.opts.clock.sleep(seconds(secs));
                let assign = assign_values(state.assign.as_ref(), mk(&input, ctx, frame))?;
                let output = apply_path(&input, &state.output_path, mk(&input, ctx, frame))?;
                Ok(Step {
                    output,
                    next,
                    assign,
                })
            }
            StateKind::Task(t) => {
                let params = match &t.io.parameters {
                    Some(p) => template(p, mk(&input, ctx, frame))?,
                    None => input.clone(),
                };
                let result = self.task(state, &t.resource, &params, ctx)?;
                self.finish(state, &t.io, raw, result, ctx, frame, next)
            }
            StateKind::Parallel(p) => {
                let branch_input = match &p.io.parameters {
                    Some(t) => template(t, mk(&input, ctx, frame))?,
                    None => input.clone(),
                };
                let result = self.parallel(p, branch_input, frame)?;
                self.finish(state, &p.io, raw, result, ctx, frame, next)
            }
            StateKind::Map(m) => {
                let result = self.map_jsonpath(m, &input, ctx, frame)?;
                self.finish(state, &m.io, raw, result, ctx, frame, next)
            }
        }
    }

    /// ResultSelector → Assign → ResultPath → OutputPath.
    #[allow(clippy::too_many_arguments)]
    fn finish(
        &self,
        state: &State,
        io: &ResultHandling,
        raw: &Value,
        result: Value,
        ctx: &Value,
        frame: &Frame,
        next: Option<String>,
    ) -> Result<Step, Failure> {
        let selected = match &io.result_selector {
            Some(rs) => template(rs, mk(&result, ctx, frame))?,
            None => result,
        };
        let assign = assign_values(state.assign.as_ref(), mk(&selected, ctx, frame))?;
        let combined = apply_result_path(
            raw,
            io.result_path.as_ref().unwrap_or(&PathField::Default),
            selected,
        )?;
        let output = apply_path(&combined, &state.output_path, mk(&combined, ctx, frame))?;
        Ok(Step {
            output,
            next,
            assign,
        })
    }

    pub(crate) fn task(
        &mut self,
        state: &State,
        resource: &str,
        params: &Value,
        ctx: &Value,
    ) -> Result<Value, Failure> {
        if resource == super::nested::START_EXECUTION_SYNC {
            return self.start_execution(state, params);
        }
        let handler = self.opts.tasks.filter(|h| h.handles(resource));
        let Some(handler) = handler else {
            return Err(Failure::runtime(format!(
                "unsupported resource {resource}: the local runtime has no integration for it"
            )));
        };
        self.event(
            "TaskScheduled",
            Some((
                "taskScheduledEventDetails",
                json!({"resource": resource, "parameters": self.data(params)}),
            )),
        );
        self.event(
            "TaskStarted",
            Some(("taskStartedEventDetails", json!({"resource": resource}))),
        );
        let tc = TaskContext {
            state_name: state.name.clone(),
            context: ctx.clone(),
            retry_count: ctx
                .pointer("/State/RetryCount")
                .and_then(Value::as_u64)
                .unwrap_or(0),
        };
        let result = handler.call(resource, params, &tc).and_then(|v| {
            let what = format!("The state/task '{resource}' returned a result");
            match data_limit(&what, limits::payload(&v)) {
                None => Ok(v),
                Some(f) => {
                    limits::dismantle(v);
                    Err(TaskError {
                        error: f.error.unwrap_or_default(),
                        cause: f.cause.unwrap_or_default(),
                    })
                }
            }
        });
        match result {
            Ok(v) => {
                self.event(
                    "TaskSucceeded",
                    Some((
                        "taskSucceededEventDetails",
                        json!({"resource": resource, "output": self.data(&v)}),
                    )),
                );
                Ok(v)
            }
            Err(e) => {
                self.event(
                    "TaskFailed",
                    Some((
                        "taskFailedEventDetails",
                        json!({"resource": resource, "error": e.error, "cause": e.cause}),
                    )),
                );
                Err(Failure::new(e.error, e.cause))
            }
        }
    }

    /// Seconds from now until the timestamp `v`, if it is one (0 when it is past).
    pub(crate) fn until(&self, v: &Value) -> Option<f64> {
        let ts = v.as_str().and_then(choice::timestamp)?;
        let now = self.opts.clock.now();
        Some(
            (ts.with_timezone(&chrono::Utc) - now)
                .num_milliseconds()
                .max(0) as f64
                / 1000.0,
        )
    }

    /// A `TimestampPath` wait, with AWS's causes.
    fn timestamp_path(&self, p: &str, scope: Scope<'_>) -> Result<f64, Failure> {
        let Some(v) = select(p, scope)? else {
            return Err(Failure::new(
                "States.Runtime",
                format!("The TimestampPath parameter does not reference an input value: {p}"),
            ));
        };
        self.until(&v).ok_or_else(|| {
            Failure::new(
                "States.Runtime",
                format!("The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: {p} == {}", shown(&v)),
            )
        })
    }
}

/// A value as AWS shows it in a cause: a string as it is, anything else as JSON.
pub(crate) fn shown(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A `SecondsPath` wait: a whole number of seconds (a Java long), not negative; the causes
/// are AWS's ("The SecondsPath parameter cannot be parsed as a long value: $.w == 1.5").
fn seconds_path(p: &str, scope: Scope<'_>) -> Result<f64, Failure> {
    let fail = |cause: String| Err(Failure::new("States.Runtime", cause));
    let Some(v) = select(p, scope)? else {
        return fail(format!(
            "The SecondsPath parameter does not reference an input value: {p}"
        ));
    };
    match v.as_i64() {
        Some(n) if n < 0 => fail(format!(
            "The SecondsPath parameter references a negative value: {p} == {n}"
        )),
        Some(n) => Ok(n as f64),
        None => fail(format!(
            "The SecondsPath parameter cannot be parsed as a long value: {p} == {}",
            shown(&v)
        )),
    }
}

pub(crate) fn wait_seconds(v: &Value, field: &str) -> Result<f64, Failure> {
    match v.as_f64() {
        Some(s) if s >= 0.0 && v.is_number() => Ok(s),
        _ => Err(Failure::runtime(format!(
            "The {field} value {v} is not a non-negative number"
        ))),
    }
}

/// InputPath / OutputPath: default `$`, `null` gives `{}`.
pub(crate) fn apply_path(v: &Value, p: &PathField, scope: Scope<'_>) -> Result<Value, Failure> {
    match p {
        PathField::Default => Ok(v.clone()),
        PathField::Null => Ok(Value::Object(Map::new())),
        PathField::Path(p) => resolve(p, Scope { input: v, ..scope }),
    }
}

pub(crate) fn apply_result_path(
    raw: &Value,
    p: &PathField,
    result: Value,
) -> Result<Value, Failure> {
    match p {
        PathField::Default => Ok(result),
        PathField::Null => Ok(raw.clone()),
        PathField::Path(p) => write_result(raw, p, result),
    }
}

/// JSONPath `Assign`: a payload template evaluated against `scope`.
pub(crate) fn assign_values(
    assign: Option<&Value>,
    scope: Scope<'_>,
) -> Result<Option<Map<String, Value>>, Failure> {
    let Some(a) = assign else { return Ok(None) };
    match template(a, scope)? {
        Value::Object(m) => Ok(Some(m)),
        _ => Err(Failure::runtime("Assign must be an object")),
    }
}

fn mk<'a>(input: &'a Value, ctx: &'a Value, frame: &'a Frame) -> Scope<'a> {
    Scope {
        input,
        context: ctx,
        vars: &frame.vars,
    }
}
