//! `arn:aws:states:::states:startExecution.sync:2`: a Task that starts an execution of
//! another state machine and waits for it, run here as Step Functions runs it. The machine is
//! found by its ARN among those deployed beside the root one
//! ([`StateMachine::with_children`]); the child is an execution of its own (its own history
//! and event budget, `$$.Execution` of its own) through the same interpreter, options and
//! Task handler. Its result is `DescribeExecution`'s answer in PascalCase, `Input` and
//! `Output` as JSON values (the `:2` form); a child that fails fails the Task with
//! `States.TaskFailed`, that answer as JSON text for its cause.

use super::definition::{State, StateMachine};
use super::error::Failure;
use super::interp::{Run, run_execution};
use super::{Options, Status};
use serde_json::{Map, Value, json};
use std::sync::atomic::{AtomicU64, Ordering};

/// The optimised integration that starts a child execution and waits for its end.
pub const START_EXECUTION_SYNC: &str = "arn:aws:states:::states:startExecution.sync:2";

/// Child executions started without a `Name`, numbered across the process.
static UNNAMED: AtomicU64 = AtomicU64::new(0);

/// The resource as history events name it.
const RESOURCE: &str = "startExecution.sync:2";

/// `Input` as the child receives it: JSON text is parsed, any other value passed as is.
fn child_input(params: &Value) -> Value {
    match params.get("Input") {
        None => json!({}),
        Some(Value::String(s)) => serde_json::from_str(s).unwrap_or_else(|_| json!(s)),
        Some(v) => v.clone(),
    }
}

impl Run<'_> {
    fn nested_event(&mut self, kind: &str, key: &str, extra: Value) {
        let mut details = json!({"resourceType": "states", "resource": RESOURCE});
        if let (Value::Object(d), Value::Object(e)) = (&mut details, extra) {
            d.extend(e);
        }
        self.event(kind, Some((key, details)));
    }

    /// Runs the child execution a `startExecution.sync:2` Task asks for.
    pub(crate) fn start_execution(
        &mut self,
        _state: &State,
        params: &Value,
    ) -> Result<Value, Failure> {
        let parameters = self.data(params);
        self.nested_event(
            "TaskScheduled",
            "taskScheduledEventDetails",
            json!({"parameters": parameters}),
        );
        self.nested_event("TaskStarted", "taskStartedEventDetails", json!({}));
        let arn = params
            .get("StateMachineArn")
            .and_then(Value::as_str)
            .unwrap_or("");
        let machines = self.machines.clone();
        let Some(child) = machines.get(arn) else {
            let failure = Failure::new(
                "StepFunctions.StateMachineDoesNotExistException",
                format!("State Machine Does Not Exist: '{arn}'"),
            );
            self.task_failed(&failure);
            return Err(failure);
        };
        let name = match params.get("Name") {
            None => format!(
                "nested-{}",
                UNNAMED.fetch_add(1, Ordering::SeqCst).saturating_add(1)
            ),
            Some(Value::String(n)) if !n.is_empty() && n.chars().count() <= 80 => n.clone(),
            Some(other) => {
                let failure = Failure::new(
                    "StepFunctions.InvalidNameException",
                    format!("Invalid Name: '{}'", super::states::shown(other)),
                );
                self.task_failed(&failure);
                return Err(failure);
            }
        };
        let machine_name = arn.rsplit(':').next().unwrap_or(arn).to_string();
        let execution_arn = arn.replacen(":stateMachine:", ":execution:", 1) + ":" + &name;
        let input = child_input(params);
        let start = self.opts.clock.now().timestamp_millis();
        let submitted = json!({"ExecutionArn": execution_arn, "StartDate": start});
        let output = self.data(&submitted);
        self.nested_event(
            "TaskSubmitted",
            "taskSubmittedEventDetails",
            json!({"output": output}),
        );
        let opts = Options {
            execution_name: &name,
            state_machine_name: &machine_name,
            redrive_count: 0,
            ..*self.opts
        };
        let done = run_execution(child, input.clone(), &opts, machines.clone());
        let stop = self.opts.clock.now().timestamp_millis();
        let mut answer = Map::new();
        answer.insert("ExecutionArn".into(), json!(execution_arn));
        answer.insert("Input".into(), input);
        answer.insert("InputDetails".into(), json!({"Included": true}));
        answer.insert("Name".into(), json!(name));
        match done.status {
            Status::Succeeded => {
                answer.insert("Output".into(), done.output.unwrap_or(Value::Null));
                answer.insert("OutputDetails".into(), json!({"Included": true}));
                answer.insert("RedriveCount".into(), json!(0));
                answer.insert("RedriveStatus".into(), json!("NOT_REDRIVABLE"));
                answer.insert(
                    "RedriveStatusReason".into(),
                    json!("Execution is SUCCEEDED and cannot be redriven"),
                );
            }
            Status::Failed => {
                if let Some(e) = &done.error {
                    answer.insert("Error".into(), json!(e));
                }
                if let Some(c) = &done.cause {
                    answer.insert("Cause".into(), json!(c));
                }
                answer.insert("RedriveCount".into(), json!(0));
                answer.insert("RedriveStatus".into(), json!("REDRIVABLE"));
            }
        }
        answer.insert("StartDate".into(), json!(start));
        answer.insert("StateMachineArn".into(), json!(arn));
        let status = match done.status {
            Status::Succeeded => "SUCCEEDED",
            Status::Failed => "FAILED",
        };
        answer.insert("Status".into(), json!(status));
        answer.insert("StopDate".into(), json!(stop));
        let answer = Value::Object(answer);
        if done.status == Status::Failed {
            let failure = Failure::new("States.TaskFailed", answer.to_string());
            self.task_failed(&failure);
            return Err(failure);
        }
        let output = self.data(&answer);
        self.nested_event(
            "TaskSucceeded",
            "taskSucceededEventDetails",
            json!({"output": output}),
        );
        Ok(answer)
    }

    fn task_failed(&mut self, failure: &Failure) {
        self.nested_event(
            "TaskFailed",
            "taskFailedEventDetails",
            json!({"error": failure.error, "cause": failure.cause}),
        );
    }
}

/// The state machines deployed beside a root one, by ARN, for [`run_execution`].
pub(crate) type Machines = std::sync::Arc<std::collections::HashMap<String, StateMachine>>;
