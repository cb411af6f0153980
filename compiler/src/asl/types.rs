//! The Amazon States Language as typed serde structs → the JSON definition. Field names are
//! PascalCase as ASL spells them; `None` fields are left out; maps keep insertion order.

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::Value;

/// The top level of a definition. `Comment` and `QueryLanguage` come first so a reader sees
/// what the machine is before its states.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Definition {
    pub comment: String,
    pub query_language: QueryLanguage,
    pub start_at: String,
    pub states: States,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum QueryLanguage {
    #[serde(rename = "JSONPath")]
    JsonPath,
    #[serde(rename = "JSONata")]
    JsonAta,
}

/// States by name, in the order they were added (serialized as a JSON object).
#[derive(Clone, Debug, Default)]
pub struct States(pub Vec<(String, State)>);

impl States {
    pub fn add(&mut self, name: impl Into<String>, state: impl Into<State>) {
        self.0.push((name.into(), state.into()));
    }

    pub fn iter(&self) -> impl Iterator<Item = &(String, State)> {
        self.0.iter()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Serialize for States {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, state) in &self.0 {
            map.serialize_entry(name, state)?;
        }
        map.end()
    }
}

#[derive(Clone, Debug, Serialize)]
#[serde(tag = "Type")]
pub enum State {
    Pass(Pass),
    Task(Box<Task>),
    Choice(Choice),
    Map(Box<Map>),
    Fail(Fail),
    Succeed(Succeed),
}

impl From<Pass> for State {
    fn from(s: Pass) -> State {
        State::Pass(s)
    }
}
impl From<Task> for State {
    fn from(s: Task) -> State {
        State::Task(Box::new(s))
    }
}
impl From<Choice> for State {
    fn from(s: Choice) -> State {
        State::Choice(s)
    }
}
impl From<Map> for State {
    fn from(s: Map) -> State {
        State::Map(Box::new(s))
    }
}
impl From<Fail> for State {
    fn from(s: Fail) -> State {
        State::Fail(s)
    }
}
impl From<Succeed> for State {
    fn from(s: Succeed) -> State {
        State::Succeed(s)
    }
}

/// `Next` or `End`, flattened into the state.
#[derive(Clone, Debug, Serialize)]
pub enum Transition {
    Next(String),
    End(bool),
}

impl Transition {
    pub fn next(name: impl Into<String>) -> Transition {
        Transition::Next(name.into())
    }

    pub const END: Transition = Transition::End(true);
}

#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Pass {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query_language: Option<QueryLanguage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// JSONata: the whole output, as `{% … %}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    /// JSONPath: a payload template.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Value>,
    /// JSONPath: a fixed result.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
    /// JSONPath: where the result goes in the input (default: it replaces the input).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result_path: Option<String>,
    /// JSONPath: the part of the state that is its output.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_path: Option<String>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub transition: Option<Transition>,
}

/// A Task state: JSONPath (`parameters`, `result_selector`, `result_path`) or, with
/// `query_language` JSONata, `arguments` and `output`. `binding` is not part of the
/// definition: it records which statement an Athena state runs, and for which KPIs.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Task {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query_language: Option<QueryLanguage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    pub resource: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arguments: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result_selector: Option<Value>,
    /// `Some(Value::Null)` discards the result.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result_path: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_path: Option<String>,
    /// JSONata: the state's output, as `{% … %}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub retry: Vec<Retrier>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub catch: Vec<Catcher>,
    #[serde(flatten)]
    pub transition: Transition,
    #[serde(skip)]
    pub binding: Option<Binding>,
}

impl Default for Transition {
    fn default() -> Transition {
        Transition::END
    }
}

/// What a shared Athena Task state runs: one statement kind, for the KPI of the item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Binding {
    /// The statement's name, the same for every KPI (`03_write`).
    pub statement: String,
    /// The KPIs whose items reach the state, in route order.
    pub kpis: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Retrier {
    pub error_equals: Vec<String>,
    pub interval_seconds: u32,
    pub max_attempts: u32,
    pub backoff_rate: f64,
    pub max_delay_seconds: u32,
    pub jitter_strategy: Jitter,
}

#[derive(Clone, Copy, Debug, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Jitter {
    Full,
}

/// A catcher: in JSONPath the error object `{Error, Cause}` lands at `result_path`; in
/// JSONata `output` builds the next state's input from `$states.errorOutput`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Catcher {
    pub error_equals: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result_path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    pub next: String,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Choice {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    pub choices: Vec<ChoiceRule>,
    pub default: String,
}

/// A JSONPath choice rule: `Variable` + one comparison + `Next`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ChoiceRule {
    pub variable: String,
    #[serde(flatten)]
    pub test: Test,
    pub next: String,
}

#[derive(Clone, Debug, Serialize)]
pub enum Test {
    StringEquals(String),
    BooleanEquals(bool),
    NumericGreaterThan(u64),
    NumericEquals(i64),
    IsPresent(bool),
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Map {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    pub items_path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item_selector: Option<Value>,
    pub item_processor: ItemProcessor,
    pub max_concurrency: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    pub result_path: String,
    #[serde(flatten)]
    pub transition: Transition,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ItemProcessor {
    pub processor_config: ProcessorConfig,
    pub start_at: String,
    pub states: States,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProcessorConfig {
    pub mode: MapMode,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub execution_type: Option<ExecutionType>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum MapMode {
    Inline,
    Distributed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ExecutionType {
    Standard,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Fail {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    pub error: String,
    /// JSONPath: where the cause is in the state input.
    pub cause_path: String,
}

#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Succeed {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_path: Option<String>,
}
