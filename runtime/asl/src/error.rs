//! Errors raised while running a state machine into the `{Error, Cause}` form AWS uses, and the
//! rules for matching them against `ErrorEquals`.

use serde_json::{Map, Value};

/// A failure: an error name and a cause, either of which AWS may leave unset.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub error: Option<String>,
    pub cause: Option<String>,
    /// What the state that failed still adds to the cause.
    pub(crate) pending: Pending,
}

/// The part of a cause only the failing state knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pending {
    Nothing,
    /// AWS's "An error occurred while executing the state ..." prefix.
    Prefix,
    /// The whole cause of a result past the payload limit, which names the state.
    ResultTooLarge,
}

impl Failure {
    /// A failure with a name and a cause.
    pub fn new(error: impl Into<String>, cause: impl Into<String>) -> Failure {
        Failure {
            error: Some(error.into()),
            cause: Some(cause.into()),
            pending: Pending::Nothing,
        }
    }

    /// `States.DataLimitExceeded` for a result past 256 KiB, found before the state is known
    /// (while a template or an intrinsic builds it).
    pub(crate) fn result_too_large() -> Failure {
        Failure {
            error: Some("States.DataLimitExceeded".into()),
            cause: None,
            pending: Pending::ResultTooLarge,
        }
    }

    /// A `States.Runtime` error raised by the data flow of the current state.
    pub fn runtime(cause: impl Into<String>) -> Failure {
        Failure {
            pending: Pending::Prefix,
            ..Failure::new("States.Runtime", cause)
        }
    }

    /// A `States.QueryEvaluationError` raised by a JSONata field of the current state.
    pub fn query(cause: impl Into<String>) -> Failure {
        Failure {
            pending: Pending::Prefix,
            ..Failure::new("States.QueryEvaluationError", cause)
        }
    }

    /// The error name, or "" when unset.
    pub fn name(&self) -> &str {
        self.error.as_deref().unwrap_or("")
    }

    /// Completes the cause with what only the failing state knows.
    pub(crate) fn in_state(mut self, state: &str, entered_id: u64) -> Failure {
        match self.pending {
            Pending::Nothing => {}
            Pending::Prefix => {
                let cause = self.cause.take().unwrap_or_default();
                self.cause = Some(format!(
                    "An error occurred while executing the state '{state}' (entered at the event id #{entered_id}). {cause}"
                ));
            }
            Pending::ResultTooLarge => {
                self.cause = Some(format!(
                    "The state/task '{state}' returned a result with a size exceeding the maximum number of bytes service limit."
                ));
            }
        }
        self.pending = Pending::Nothing;
        self
    }

    /// The error output object `{"Error": ..., "Cause": ...}` given to Catch.
    pub fn output(&self) -> Value {
        let mut m = Map::new();
        if let Some(e) = &self.error {
            m.insert("Error".into(), Value::String(e.clone()));
        }
        if let Some(c) = &self.cause {
            m.insert("Cause".into(), Value::String(c.clone()));
        }
        Value::Object(m)
    }
}

/// Whether an `ErrorEquals` list matches an error, following AWS's rules: `States.ALL` matches
/// everything but `States.DataLimitExceeded` and `States.Runtime`; `States.TaskFailed` matches
/// everything but `States.Timeout` (and those two); `States.Runtime` is never caught.
pub fn matches(error_equals: &[String], error: &str) -> bool {
    if error == "States.Runtime" {
        return false;
    }
    let wildcard_ok = error != "States.DataLimitExceeded";
    error_equals.iter().any(|e| {
        e == error
            || (wildcard_ok && e == "States.ALL")
            || (wildcard_ok && e == "States.TaskFailed" && error != "States.Timeout")
    })
}
