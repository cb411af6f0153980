//! An Amazon States Language interpreter: an ASL document and an input into an execution
//! (status, output or error and cause, and a `GetExecutionHistory`-shaped history).
//!
//! JSONPath mode is complete; JSONata fields go through a [`JsonataEngine`], and without one
//! they fail with `States.QueryEvaluationError` "JSONata is not available". Task states go
//! through a [`TaskHandler`]. Time comes from a [`Clock`] (real, or virtual for tests).

pub mod jsonata;
pub mod limits;

mod choice;
mod clock;
mod definition;
mod error;
mod flow;
mod history;
mod interp;
mod intrinsic;
mod intrinsic_eval;
mod intrinsic_values;
mod jsonata_fields;
mod jsonpath;
mod jsonpath_parse;
mod map_settings;
mod nested;
mod parse;
mod parse_rules;
mod states;
mod template;

pub use clock::{Clock, RealClock, VirtualClock};
pub use definition::{QueryLanguage, StateMachine};
pub use error::Failure;
pub use history::{History, HistoryEvent};
pub use nested::START_EXECUTION_SYNC;
pub use parse::{DefinitionError, parse_definition};

use serde_json::{Map, Value, json};

/// Evaluates JSONata expressions (provided by the `jsonata` module once it exists).
pub trait JsonataEngine: Send + Sync {
    /// Evaluates `expr` (without the `{% %}`) with variables bound (`states` and user variables).
    fn evaluate(&self, expr: &str, bindings: &Map<String, Value>) -> Result<Value, String>;
}

/// What a Task handler learns about the call.
#[derive(Debug, Clone)]
pub struct TaskContext {
    pub state_name: String,
    /// The context object (`$$`).
    pub context: Value,
    pub retry_count: u64,
}

/// A Task failure: error name and cause.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskError {
    pub error: String,
    pub cause: String,
}

/// Runs the resources of Task states.
pub trait TaskHandler: Send + Sync {
    /// Whether this handler runs `resource`; others fail as unsupported.
    fn handles(&self, resource: &str) -> bool {
        let _ = resource;
        true
    }
    /// Runs the task and returns its result.
    fn call(
        &self,
        resource: &str,
        parameters: &Value,
        context: &TaskContext,
    ) -> Result<Value, TaskError>;
}

/// How to run an execution.
#[derive(Clone, Copy)]
pub struct Options<'a> {
    pub clock: &'a dyn Clock,
    pub tasks: Option<&'a dyn TaskHandler>,
    pub jsonata: Option<&'a dyn JsonataEngine>,
    pub execution_name: &'a str,
    pub state_machine_name: &'a str,
    pub role_arn: &'a str,
    /// How many Map iterations may run at once (each within the state's MaxConcurrency).
    /// 1, the default, runs them one after another, in order, as the history shows them.
    pub map_workers: usize,
    /// How many times this execution has been redriven (`$$.Execution.RedriveCount`): 0 for
    /// a first run; a caller running a redrive passes the count Step Functions would.
    pub redrive_count: u64,
}

impl<'a> Options<'a> {
    /// Options with a clock and nothing else bound.
    pub fn new(clock: &'a dyn Clock) -> Options<'a> {
        Options {
            clock,
            tasks: None,
            jsonata: None,
            execution_name: "local-execution",
            state_machine_name: "local-state-machine",
            role_arn: "arn:aws:iam::000000000000:role/local",
            map_workers: 1,
            redrive_count: 0,
        }
    }
}

/// How an execution ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Succeeded,
    Failed,
}

/// The outcome of an execution.
#[derive(Debug, Clone)]
pub struct Execution {
    pub status: Status,
    pub output: Option<Value>,
    pub error: Option<String>,
    pub cause: Option<String>,
    pub history: History,
}

impl Execution {
    /// `{status: SUCCEEDED, output}` or `{status: FAILED, error, cause}` (unset fields left out).
    pub fn result_json(&self) -> Value {
        match self.status {
            Status::Succeeded => json!({"status": "SUCCEEDED", "output": self.output}),
            Status::Failed => {
                let mut m = Map::new();
                m.insert("status".into(), json!("FAILED"));
                if let Some(e) = &self.error {
                    m.insert("error".into(), json!(e));
                }
                if let Some(c) = &self.cause {
                    m.insert("cause".into(), json!(c));
                }
                Value::Object(m)
            }
        }
    }
}

/// Runs a parsed state machine on an input.
pub fn execute(machine: &StateMachine, input: Value, options: &Options<'_>) -> Execution {
    interp::execute(machine, input, options)
}

/// Parses an ASL document given as JSON text.
pub fn parse_definition_text(text: &str) -> Result<StateMachine, DefinitionError> {
    let doc: Value = serde_json::from_str(text)
        .map_err(|e| DefinitionError(format!("the definition is not valid JSON: {e}")))?;
    parse_definition(&doc)
}

#[cfg(test)]
mod tests;
