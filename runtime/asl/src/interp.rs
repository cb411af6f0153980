//! A parsed state machine plus an input into an execution: the state loop, Retry/Catch, the
//! context object, variables, history events, and the JSONPath data flow of the simple states.

use super::definition::*;
use super::error::{Failure, matches};
use super::history::{Budget, History, text};
use super::limits::{self, HISTORY_LIMIT_CAUSE, HISTORY_LIMIT_ERROR, MAX_NESTING, Measure};
use super::nested::Machines;
use super::states::{apply_result_path, assign_values};
use super::template::Scope;
use super::{Execution, Options, Status, jsonata_fields};
use serde_json::{Map, Value, json};
use std::sync::Arc;
use std::time::Duration;

/// One execution in progress.
pub(crate) struct Run<'o> {
    pub opts: &'o Options<'o>,
    pub history: History,
    execution_ctx: Value,
    machine_ctx: Value,
    budget: Arc<Budget>,
    /// The machines a `startExecution.sync:2` Task may start (the root's children).
    pub machines: Machines,
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

/// A duration in seconds as the clock takes it: negative is none, past `Duration::MAX` is
/// `Duration::MAX` (a wait or back-off computed as 1e300 seconds must not panic).
pub(crate) fn seconds(s: f64) -> Duration {
    Duration::try_from_secs_f64(s.max(0.0)).unwrap_or(Duration::MAX)
}

/// `$$.Map` of item `i`: `{"Item": {"Index": i, "Value": v}}`.
pub(crate) fn map_item(i: usize, v: Value) -> Value {
    let mut item = Map::new();
    item.insert("Index".into(), json!(i));
    item.insert("Value".into(), v);
    json!({ "Item": Value::Object(item) })
}

/// The failure of an execution whose history is full.
pub(crate) fn history_full() -> Failure {
    Failure::new(HISTORY_LIMIT_ERROR, HISTORY_LIMIT_CAUSE)
}

/// `States.DataLimitExceeded` for a value that is too large (`what` names it) or too deep.
pub(crate) fn data_limit(what: &str, m: Measure) -> Option<Failure> {
    match m {
        Measure::Within { .. } => None,
        Measure::TooLarge => Some(Failure::new(
            "States.DataLimitExceeded",
            format!("{what} with a size exceeding the maximum number of bytes service limit."),
        )),
        Measure::TooDeep => Some(Failure::new(
            "States.DataLimitExceeded",
            format!("{what} nested deeper than the maximum of {MAX_NESTING} levels."),
        )),
    }
}

pub(crate) fn execute(machine: &StateMachine, input: Value, opts: &Options<'_>) -> Execution {
    run_execution(machine, input, opts, machine.children.clone())
}

/// An execution of `machine` whose `startExecution.sync:2` Tasks find their machines in
/// `machines` (a child execution uses its root's).
pub(crate) fn run_execution(
    machine: &StateMachine,
    input: Value,
    opts: &Options<'_>,
    machines: Machines,
) -> Execution {
    let start = iso(opts.clock.now());
    let arn =
        |kind: &str, rest: &str| format!("arn:aws:states:us-east-1:000000000000:{kind}:{rest}");
    let mut run = Run {
        opts,
        history: History::default(),
        execution_ctx: Value::Null,
        machine_ctx: json!({
            "Id": arn("stateMachine", opts.state_machine_name),
            "Name": opts.state_machine_name,
        }),
        budget: Arc::default(),
        machines,
    };
    let refused = match limits::payload(&input) {
        Measure::TooLarge => Some(Failure::new(
            "States.DataLimitExceeded",
            "The execution input exceeds the maximum number of bytes service limit.",
        )),
        Measure::TooDeep => Some(Failure::new(
            "States.DataLimitExceeded",
            format!(
                "The execution input is nested deeper than the maximum of {MAX_NESTING} levels."
            ),
        )),
        Measure::Within { .. } => None,
    };
    let started = match &refused {
        // Refused input is never printed or copied: it may nest past what recursion survives.
        Some(_) => json!({"inputDetails": {"truncated": true}, "roleArn": opts.role_arn}),
        None => json!({"input": text(&input), "roleArn": opts.role_arn}),
    };
    run.event(
        "ExecutionStarted",
        Some(("executionStartedEventDetails", started)),
    );
    let result = match refused {
        Some(f) => {
            limits::dismantle(input);
            Err(f)
        }
        None => {
            let mut ctx = json!({
                "Id": arn("execution", &format!("{}:{}", opts.state_machine_name, opts.execution_name)),
                "Name": opts.execution_name,
                "RedriveCount": opts.redrive_count,
                "RoleArn": opts.role_arn,
                "StartTime": start,
            });
            ctx["Input"] = input.clone();
            run.execution_ctx = ctx;
            let mut frame = Frame::default();
            let result = run.machine(machine, input, &mut frame);
            // An event refused past 24,999 ends the execution, whatever the machine did next.
            if run.budget.exhausted() {
                Err(history_full())
            } else {
                result
            }
        }
    };
    run.conclude(result)
}

impl<'o> Run<'o> {
    /// The last event and the outcome.
    fn conclude(mut self, result: Result<Value, Failure>) -> Execution {
        match result {
            Ok(output) => {
                self.event(
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
                    history: self.history,
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
                self.event(
                    "ExecutionFailed",
                    Some(("executionFailedEventDetails", Value::Object(d))),
                );
                Execution {
                    status: Status::Failed,
                    output: None,
                    error: f.error,
                    cause: f.cause,
                    history: self.history,
                }
            }
        }
    }

    /// A run of the same execution with a history of its own, for one Map iteration: inline,
    /// it draws on this execution's budget; as a distributed Map's child execution, on its own.
    pub(crate) fn child(&self, own_budget: bool) -> Run<'o> {
        Run {
            opts: self.opts,
            history: History::default(),
            execution_ctx: self.execution_ctx.clone(),
            machine_ctx: self.machine_ctx.clone(),
            budget: if own_budget {
                Arc::default()
            } else {
                self.budget.clone()
            },
            machines: self.machines.clone(),
        }
    }

    /// A payload as event data: its text, or nothing once the history keeps no more data.
    pub(crate) fn data(&self, v: &Value) -> Value {
        self.budget.text(v)
    }

    /// Whether the history is full: the execution must stop.
    pub(crate) fn halted(&self) -> bool {
        self.budget.exhausted()
    }

    /// Records an event, unless the history is full (then only the last event is recorded).
    pub(crate) fn event(&mut self, kind: &str, details: Option<(&str, Value)>) -> u64 {
        let last = matches!(kind, "ExecutionSucceeded" | "ExecutionFailed");
        if !last && !self.budget.take_event() {
            return self.history.last_id();
        }
        let now = iso(self.opts.clock.now());
        let details = details.map(|(k, v)| (k, self.budget.details(v)));
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
            if self.halted() {
                return Err(history_full());
            }
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
        // Values are cloned in, not interpolated through json!, which would print them.
        let mut m = Map::new();
        m.insert("Execution".into(), self.execution_ctx.clone());
        m.insert(
            "State".into(),
            json!({"EnteredTime": entered, "Name": state.name, "RetryCount": retry}),
        );
        m.insert("StateMachine".into(), self.machine_ctx.clone());
        if let Some((i, v)) = &frame.map_item {
            m.insert("Map".into(), map_item(*i, v.clone()));
        }
        Value::Object(m)
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
                json!({"name": state.name, "input": self.budget.text(&raw)}),
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
            let attempt = self
                .attempt(state, &raw, &ctx, frame)
                .and_then(|step| checked(state, step.output).map(|output| Step { output, ..step }));
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
                        delay *= super::intrinsic_values::random_unit();
                    }
                    counts[i] += 1;
                    self.opts.clock.sleep(seconds(delay));
                    if self.halted() {
                        return Err(history_full());
                    }
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
            let output = checked(state, output)?;
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
                json!({"name": state.name, "output": self.budget.text(output)}),
            )),
        );
    }
}

/// A state's output, if it fits a payload; a failure naming the state otherwise.
fn checked(state: &State, output: Value) -> Result<Value, Failure> {
    let what = format!("The state/task '{}' returned a result", state.name);
    match data_limit(&what, limits::payload(&output)) {
        None => Ok(output),
        Some(f) => {
            limits::dismantle(output);
            Err(f)
        }
    }
}
