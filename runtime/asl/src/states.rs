//! The JSONPath data flow of each state type (InputPath → Parameters → work → ResultSelector →
//! ResultPath → OutputPath), Task calls and Wait timing, plus the path helpers they share.

use super::TaskContext;
use super::choice;
use super::definition::*;
use super::error::Failure;
use super::history::text;
use super::interp::{Frame, Run, Step};
use super::jsonata_fields;
use super::template::{Scope, dollar_value, resolve, template, write_result};
use serde_json::{Map, Value, json};
use std::time::Duration;

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
                    needs_prefix: false,
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
                            needs_prefix: true,
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
                let secs = match w {
                    WaitSpec::Seconds(v) => wait_seconds(v, "Seconds")?,
                    WaitSpec::SecondsPath(p) => {
                        wait_seconds(&resolve(p, mk(&input, ctx, frame))?, "SecondsPath")?
                    }
                    WaitSpec::Timestamp(v) => self.until(v)?,
                    WaitSpec::TimestampPath(p) => {
                        self.until(&resolve(p, mk(&input, ctx, frame))?)?
                    }
                };
                self.opts.clock.sleep(Duration::from_secs_f64(secs));
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
                json!({"resource": resource, "parameters": text(params)}),
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
        match handler.call(resource, params, &tc) {
            Ok(v) => {
                self.event(
                    "TaskSucceeded",
                    Some((
                        "taskSucceededEventDetails",
                        json!({"resource": resource, "output": text(&v)}),
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

    pub(crate) fn until(&self, v: &Value) -> Result<f64, Failure> {
        let ts = v.as_str().and_then(choice::timestamp).ok_or_else(|| {
            Failure::runtime(format!(
                "The Timestamp value {v} is not a valid ISO-8601 timestamp"
            ))
        })?;
        let now = self.opts.clock.now();
        Ok((ts.with_timezone(&chrono::Utc) - now)
            .num_milliseconds()
            .max(0) as f64
            / 1000.0)
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
