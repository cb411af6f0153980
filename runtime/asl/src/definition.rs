//! The typed form of an ASL document: what the parser turns JSON into and the interpreter runs.

use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;

/// How a state's fields are evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryLanguage {
    JsonPath,
    Jsonata,
}

/// A state machine, or a Parallel branch, or a Map item processor.
#[derive(Debug, Clone)]
pub struct StateMachine {
    pub start_at: String,
    pub states: HashMap<String, State>,
    pub timeout_seconds: Option<u64>,
    pub query_language: QueryLanguage,
    /// The state machines a `states:startExecution.sync:2` Task of this one may start, by
    /// ARN (with theirs): what is deployed beside it. Empty for branches and processors.
    pub children: Arc<HashMap<String, StateMachine>>,
}

impl StateMachine {
    /// The machine with the state machines its Tasks may start, by ARN.
    pub fn with_children(self, children: HashMap<String, StateMachine>) -> StateMachine {
        StateMachine {
            children: Arc::new(children),
            ..self
        }
    }
}

/// A path field that may be absent (default `$`) or JSON `null`.
#[derive(Debug, Clone, PartialEq)]
pub enum PathField {
    Default,
    Null,
    Path(String),
}

/// Where control goes after a state.
#[derive(Debug, Clone, PartialEq)]
pub enum Transition {
    Next(String),
    End,
    /// Choice, Succeed and Fail decide themselves.
    None,
}

/// One state.
#[derive(Debug, Clone)]
pub struct State {
    pub name: String,
    pub query_language: QueryLanguage,
    pub transition: Transition,
    pub input_path: PathField,
    pub output_path: PathField,
    /// `Assign` (both languages).
    pub assign: Option<Value>,
    /// JSONata `Output`.
    pub output: Option<Value>,
    pub kind: StateKind,
}

/// What a state does.
#[derive(Debug, Clone)]
pub enum StateKind {
    Pass(PassState),
    Task(Box<TaskState>),
    Choice(ChoiceState),
    Wait(WaitSpec),
    Succeed,
    Fail(FailState),
    Parallel(Box<ParallelState>),
    Map(Box<MapState>),
}

impl StateKind {
    /// The ASL type name (`Pass`, `Task`, ...).
    pub fn type_name(&self) -> &'static str {
        match self {
            StateKind::Pass(_) => "Pass",
            StateKind::Task(_) => "Task",
            StateKind::Choice(_) => "Choice",
            StateKind::Wait(_) => "Wait",
            StateKind::Succeed => "Succeed",
            StateKind::Fail(_) => "Fail",
            StateKind::Parallel(_) => "Parallel",
            StateKind::Map(_) => "Map",
        }
    }
}

/// Fields shared by Task, Parallel and Map: the result handling and error handling.
#[derive(Debug, Clone, Default)]
pub struct ResultHandling {
    /// `Parameters` (JSONPath) or `Arguments` (JSONata).
    pub parameters: Option<Value>,
    pub result_selector: Option<Value>,
    pub result_path: Option<PathField>,
    pub retry: Vec<Retrier>,
    pub catch: Vec<Catcher>,
}

#[derive(Debug, Clone)]
pub struct PassState {
    pub result: Option<Value>,
    pub parameters: Option<Value>,
    pub result_path: PathField,
}

#[derive(Debug, Clone)]
pub struct TaskState {
    pub resource: String,
    pub io: ResultHandling,
    pub timeout_seconds: Option<Value>,
    pub timeout_seconds_path: Option<String>,
    pub heartbeat_seconds: Option<Value>,
    pub heartbeat_seconds_path: Option<String>,
    pub credentials: Option<Value>,
}

#[derive(Debug, Clone)]
pub struct ChoiceState {
    pub choices: Vec<ChoiceRule>,
    pub default: Option<String>,
}

/// A top-level Choice rule: a condition and where to go.
#[derive(Debug, Clone)]
pub struct ChoiceRule {
    pub condition: Condition,
    pub next: String,
    pub assign: Option<Value>,
    pub output: Option<Value>,
}

/// A boolean condition of a Choice rule.
#[derive(Debug, Clone)]
pub enum Condition {
    And(Vec<Condition>),
    Or(Vec<Condition>),
    Not(Box<Condition>),
    Compare {
        variable: String,
        op: Comparator,
        operand: Operand,
    },
    /// JSONata `Condition` (a `{% %}` string or a literal boolean).
    Jsonata(Value),
}

/// A comparison operator (without the `Path` suffix).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparator {
    StringEquals,
    StringLessThan,
    StringGreaterThan,
    StringLessThanEquals,
    StringGreaterThanEquals,
    StringMatches,
    NumericEquals,
    NumericLessThan,
    NumericGreaterThan,
    NumericLessThanEquals,
    NumericGreaterThanEquals,
    BooleanEquals,
    TimestampEquals,
    TimestampLessThan,
    TimestampGreaterThan,
    TimestampLessThanEquals,
    TimestampGreaterThanEquals,
    IsNull,
    IsPresent,
    IsNumeric,
    IsString,
    IsBoolean,
    IsTimestamp,
}

/// The right-hand side of a comparison.
#[derive(Debug, Clone)]
pub enum Operand {
    Literal(Value),
    Path(String),
}

#[derive(Debug, Clone)]
pub enum WaitSpec {
    Seconds(Value),
    SecondsPath(String),
    Timestamp(Value),
    TimestampPath(String),
}

#[derive(Debug, Clone)]
pub enum FailField {
    Literal(Value),
    Path(String),
}

#[derive(Debug, Clone)]
pub struct FailState {
    pub error: Option<FailField>,
    pub cause: Option<FailField>,
}

#[derive(Debug, Clone)]
pub struct ParallelState {
    pub branches: Vec<StateMachine>,
    pub io: ResultHandling,
}

#[derive(Debug, Clone)]
pub struct MapState {
    pub items_path: PathField,
    /// JSONata `Items`.
    pub items: Option<Value>,
    /// `ItemSelector`, or the legacy `Parameters`.
    pub item_selector: Option<Value>,
    pub processor: StateMachine,
    pub distributed: bool,
    pub max_concurrency: Option<Value>,
    pub max_concurrency_path: Option<String>,
    pub tolerated_failure_count: Option<Value>,
    pub tolerated_failure_count_path: Option<String>,
    pub tolerated_failure_percentage: Option<Value>,
    pub tolerated_failure_percentage_path: Option<String>,
    pub item_batcher: Option<Value>,
    pub io: ResultHandling,
}

#[derive(Debug, Clone)]
pub struct Retrier {
    pub error_equals: Vec<String>,
    pub interval_seconds: f64,
    pub max_attempts: u64,
    pub backoff_rate: f64,
    pub max_delay_seconds: Option<f64>,
    pub jitter_full: bool,
}

#[derive(Debug, Clone)]
pub struct Catcher {
    pub error_equals: Vec<String>,
    pub next: String,
    pub result_path: PathField,
    pub assign: Option<Value>,
    pub output: Option<Value>,
}
