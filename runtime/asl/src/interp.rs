//! A parsed state machine plus an input into an execution: the state loop, Retry/Catch, the
//! context object, variables, history events, and the JSONPath data flow of the simple states.

use super::definition::*;
use super::error::{Failure, matches};
use super::history::{History, text};
use super::states::{apply_result_path, assign_values};
use super::template::Scope;
use super::{Execution, Options, Status, jsonata_fields};
use serde_json::{Map, Value, json};
use std::time::Duration;

/// The payload limit (`States.DataLimitExceeded`).
pub(crate) const MAX_PAYLOAD: usize = 262_144;

/// One execution in progress.
pub(crate) struct Run<'o> {
    pub opts: &'o Options<'o>,
    pub history: History,
    execution_ctx: Value,
    machine_ctx: Value,
}

/// The variables and Map item visible to a branch of the execution.
#[derive(Clone, Default)]
pub(crate) struct Frame {
    pub vars: Map<String, Value>,
    pub map_item: Option<(usize, Value)>,
}

/// What one attempt of a state produced.
pub(crate) struct Step {
    pub output: Value,
    pub next: Option<String>,
    pub assign: Option<Map<String, Value>>,
}

pub(crate) fn iso(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

pub(crate) fn execute(machine: &StateMachine, input: Value, opts: &Options<'_>) -> Execution {
    let start = iso(opts.clock.now());
    let arn =
        |kind: &str, rest: &str| format!("arn:aws:states:us-east-1:000000000000:{kind}:{rest}");
    let mut run = Run {
        opts,
        history: History::default(),
        execution_ctx: json!({
            "Id": arn("execution", &format!("{}:{}", opts.state_machine_name, opts.execution_name)),
            "Input": input,
            "Name": opts.execution_name,
            "RoleArn": opts.role_arn,
            "StartTime": start,
            // A local execution is never redriven.
            "RedriveCount": 0,
        }),
        machine_ctx: json!({
            "Id": arn("stateMachine", opts.state_machine_name),
            "Name": opts.state_machine_name,
        }),
    };
    run.event(
        "ExecutionStarted",
        Some((
            "executionStartedEventDetails",
            json!({"input": text(&input), "roleArn": opts.role_arn}),
        )),
    );
    let mut frame = Frame::default();
    let result = if input.to_string().len() > MAX_PAYLOAD {
        Err(Failure::new(
            "States.DataLimitExceeded",
            "The execution input exceeds the maximum number of bytes service limit.",
        ))
    } else {
        run.machine(machine, input, &mut frame)
    };
    match result {
        Ok(output) => {
            run.event(
                "ExecutionSucceeded",
                Some((
                    "executionSucceededEventDetails",
                    json!({"output": text(&output)}),
                )),
            );
            Execution {
                status: Status::Succeeded,
                output: Some(output),
                error: None,
                cause: None,
                history: run.history,
            }
        }
        Err(f) => {
            let mut d = Map::new();
            if let Some(e) = &f.error {
                d.insert("error".into(), json!(e));
            }
            if let Some(c) = &f.cause {
                d.insert("cause".into(), json!(c));
            }
            run.event(
                "ExecutionFailed",
                Some(("executionFailedEventDetails", Value::Object(d))),
            );
            Execution {
                status: Status::Failed,
                output: None,
                error: f.error,
                cause: f.cause,
                history: run.history,
            }
        }
    }
}

impl<'o> Run<'o> {
    /// A run of the same execution with a history of its own, for one Map iteration.
    pub(crate) fn child(&self) -> Run<'o> {
        Run {
            opts: self.opts,
            history: History::default(),
            execution_ctx: self.execution_ctx.clone(),
            machine_ctx: self.machine_ctx.clone(),
        }
    }

    pub(crate) fn event(&mut self, kind: &str, details: Option<(&str, Value)>) -> u64 {
        let now = iso(self.opts.clock.now());
        self.history.push(now, kind, details)
    }

    /// Runs a machine (or branch, or item processor) to its end.
    pub(crate) fn machine(
        &mut self,
        sm: &StateMachine,
        input: Value,
        frame: &mut Frame,
    ) -> Result<Value, Failure> {
        let mut name = sm.start_at.clone();
        let mut input = input;
        loop {
            let Some(state) = sm.states.get(&name) else {
                return Err(Failure::new(
                    "States.Runtime",
                    format!("no state named {name}"),
                ));
            };
            let (output, next) = self.state(state, input, frame)?;
            match next {
                Some(n) => {
                    input = output;
                    name = n;
                }
                None => return Ok(output),
            }
        }
    }

    fn context(&self, state: &State, entered: &str, retry: u64, frame: &Frame) -> Value {
        let mut c = json!({
            "Execution": self.execution_ctx,
            "State": {"EnteredTime": entered, "Name": state.name, "RetryCount": retry},
            "StateMachine": self.machine_ctx,
        });
        if let (Some((i, v)), Value::Object(m)) = (&frame.map_item, &mut c) {
            m.insert("Map".into(), json!({"Item": {"Index": i, "Value": v}}));
        }
        c
    }

    /// Runs one state visit with its retriers and catchers; returns the output and next state.
    fn state(
        &mut self,
        state: &State,
        raw: Value,
        frame: &mut Frame,
    ) -> Result<(Value, Option<String>), Failure> {
        let ty = state.kind.type_name();
        let entered = iso(self.opts.clock.now());
        let entered_id = self.event(
            &format!("{ty}StateEntered"),
            Some((
                "stateEnteredEventDetails",
                json!({"name": state.name, "input": text(&raw)}),
            )),
        );
        let (retriers, catchers): (&[Retrier], &[Catcher]) = match &state.kind {
            StateKind::Task(t) => (&t.io.retry, &t.io.catch),
            StateKind::Parallel(p) => (&p.io.retry, &p.io.catch),
            StateKind::Map(m) => (&m.io.retry, &m.io.catch),
            _ => (&[], &[]),
        };
        let mut counts = vec![0u64; retriers.len()];
        loop {
            let retry_total: u64 = counts.iter().sum();
            let ctx = self.context(state, &entered, retry_total, frame);
            let attempt = self.attempt(state, &raw, &ctx, frame).and_then(|step| {
                if step.output.to_string().len() > MAX_PAYLOAD {
                    return Err(Failure::new(
                        "States.DataLimitExceeded",
                        format!("The state/task '{}' returned a result with a size exceeding the maximum number of bytes service limit.", state.name),
                    ));
                }
                Ok(step)
            });
            let failure = match attempt {
                Ok(step) => {
                    self.exit(state, &step.output);
                    if let Some(a) = step.assign {
                        frame.vars.extend(a);
                    }
                    return Ok((step.output, step.next));
                }
                Err(f) => f.in_state(&state.name, entered_id),
            };
            if let StateKind::Fail(_) = state.kind {
                return Err(failure);
            }
            let name = failure.name().to_string();
            if let Some(i) = retriers
                .iter()
                .position(|r| matches(&r.error_equals, &name))
            {
                let r = &retriers[i];
                if counts[i] < r.max_attempts {
                    let mut delay = r.interval_seconds * r.backoff_rate.powi(counts[i] as i32);
                    if let Some(max) = r.max_delay_seconds {
                        delay = delay.min(max);
                    }
                    if r.jitter_full {
                        delay *= super::intrinsic_eval::random_unit();
                    }
                    counts[i] += 1;
                    self.opts
                        .clock
                        .sleep(Duration::from_secs_f64(delay.max(0.0)));
                    continue;
                }
            }
            let Some(c) = catchers.iter().find(|c| matches(&c.error_equals, &name)) else {
                return Err(failure);
            };
            let err_out = failure.output();
            let ctx = self.context(state, &entered, retry_total, frame);
            let (output, assign) = if state.query_language == QueryLanguage::Jsonata {
                jsonata_fields::catch_output(self, c, &raw, &err_out, &ctx, frame)?
            } else {
                let scope = Scope {
                    input: &err_out,
                    context: &ctx,
                    vars: &frame.vars,
                };
                let assign = assign_values(c.assign.as_ref(), scope)?;
                (
                    apply_result_path(&raw, &c.result_path, err_out.clone())?,
                    assign,
                )
            };
            self.exit(state, &output);
            if let Some(a) = assign {
                frame.vars.extend(a);
            }
            return Ok((output, Some(c.next.clone())));
        }
    }

    fn exit(&mut self, state: &State, output: &Value) {
        if matches!(state.kind, StateKind::Fail(_)) {
            return;
        }
        let ty = state.kind.type_name();
        self.event(
            &format!("{ty}StateExited"),
            Some((
                "stateExitedEventDetails",
                json!({"name": state.name, "output": text(output)}),
            )),
        );
    }
}
