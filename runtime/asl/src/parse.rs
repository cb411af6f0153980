//! An ASL JSON document into a typed `StateMachine`, rejecting unknown fields and invalid
//! definitions with an error that names the path (`States.Pass.Next: no state named X`).

use super::definition::*;
use super::limits::{self, MAX_NESTING, Measure};
use super::parse_rules::{catchers, choice_rule, retriers};
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};

/// A definition error: where and what.
#[derive(Debug, Clone, PartialEq)]
pub struct DefinitionError(pub String);

impl std::fmt::Display for DefinitionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DefinitionError {}

pub(crate) type R<T> = Result<T, DefinitionError>;

pub(crate) fn err<T>(path: &str, msg: impl std::fmt::Display) -> R<T> {
    Err(DefinitionError(format!("{path}: {msg}")))
}

/// An object whose fields are taken one by one; leftovers are unknown fields.
pub(crate) struct Fields<'a> {
    pub obj: &'a Map<String, Value>,
    pub path: String,
    used: HashSet<&'a str>,
}

impl<'a> Fields<'a> {
    pub fn new(v: &'a Value, path: &str) -> R<Fields<'a>> {
        match v {
            Value::Object(obj) => Ok(Fields {
                obj,
                path: path.to_string(),
                used: HashSet::new(),
            }),
            _ => err(path, "must be an object"),
        }
    }

    pub fn at(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    pub fn value(&mut self, key: &'a str) -> Option<&'a Value> {
        let v = self.obj.get(key)?;
        self.used.insert(key);
        Some(v)
    }

    pub fn string(&mut self, key: &'a str) -> R<Option<String>> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => err(&self.at(key), "must be a string"),
        }
    }

    pub fn required(&mut self, key: &'a str) -> R<String> {
        match self.string(key)? {
            Some(s) => Ok(s),
            None => err(&self.path, format!("missing required field {key}")),
        }
    }

    pub fn number(&mut self, key: &'a str) -> R<Option<f64>> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::Number(n)) => Ok(n.as_f64()),
            Some(_) => err(&self.at(key), "must be a number"),
        }
    }

    pub fn path_field(&mut self, key: &'a str) -> R<PathField> {
        match self.value(key) {
            None => Ok(PathField::Default),
            Some(Value::Null) => Ok(PathField::Null),
            Some(Value::String(s)) => Ok(PathField::Path(s.clone())),
            Some(_) => err(&self.at(key), "must be a string or null"),
        }
    }

    pub fn finish(self) -> R<()> {
        for k in self.obj.keys() {
            if !self.used.contains(k.as_str()) {
                return err(&self.at(k), "unknown field");
            }
        }
        Ok(())
    }
}

fn query_language(v: Option<String>, path: &str, inherited: QueryLanguage) -> R<QueryLanguage> {
    match v.as_deref() {
        None => Ok(inherited),
        Some("JSONPath") if inherited == QueryLanguage::Jsonata => err(
            path,
            "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine",
        ),
        Some("JSONPath") => Ok(QueryLanguage::JsonPath),
        Some("JSONata") => Ok(QueryLanguage::Jsonata),
        Some(o) => err(path, format!("unknown QueryLanguage '{o}'")),
    }
}

/// Parses a whole ASL document.
pub fn parse_definition(doc: &Value) -> Result<StateMachine, DefinitionError> {
    // Parsing recurses along the document and copies its templates: measure its depth first,
    // without recursion. (Step Functions takes definitions of up to 1 MB of text.)
    if let Measure::TooDeep = limits::measure(doc, usize::MAX, MAX_NESTING) {
        return Err(DefinitionError(format!(
            "the definition is nested deeper than {MAX_NESTING} levels"
        )));
    }
    let mut f = Fields::new(doc, "")?;
    let _ = f.value("Comment");
    let _ = f.value("Version");
    let ql = f.string("QueryLanguage")?;
    let ql = query_language(ql, "QueryLanguage", QueryLanguage::JsonPath)?;
    let timeout = f.number("TimeoutSeconds")?.map(|n| n as u64);
    let sm = machine(&mut f, ql)?;
    f.finish()?;
    Ok(StateMachine {
        timeout_seconds: timeout,
        ..sm
    })
}

/// `StartAt` + `States` of a machine, branch or processor (the caller finishes the fields).
pub(crate) fn machine(f: &mut Fields<'_>, ql: QueryLanguage) -> R<StateMachine> {
    if !f.obj.contains_key("States") || !f.obj.contains_key("StartAt") {
        return err(
            if f.path.is_empty() {
                "(top level)"
            } else {
                &f.path
            },
            "These fields are required: [States, StartAt]",
        );
    }
    let start_at = f.required("StartAt")?;
    let states_path = f.at("States");
    let Some(Value::Object(raw)) = f.value("States") else {
        return err(&states_path, "must be an object");
    };
    let mut states = HashMap::new();
    for (name, v) in raw {
        let p = format!("{states_path}.{name}");
        states.insert(name.clone(), state(name, v, &p, ql)?);
    }
    if !states.contains_key(&start_at) {
        return err(&f.at("StartAt"), format!("no state named {start_at}"));
    }
    for (name, s) in &states {
        let p = format!("{states_path}.{name}");
        let mut targets: Vec<(String, &str)> = Vec::new();
        if let Transition::Next(n) = &s.transition {
            targets.push((format!("{p}.Next"), n));
        }
        match &s.kind {
            StateKind::Choice(c) => {
                for (i, r) in c.choices.iter().enumerate() {
                    targets.push((format!("{p}.Choices[{i}].Next"), &r.next));
                }
                if let Some(d) = &c.default {
                    targets.push((format!("{p}.Default"), d));
                }
            }
            StateKind::Task(t) => add_catch(&mut targets, &p, &t.io),
            StateKind::Parallel(t) => add_catch(&mut targets, &p, &t.io),
            StateKind::Map(t) => add_catch(&mut targets, &p, &t.io),
            _ => {}
        }
        for (at, target) in targets {
            if !states.contains_key(target) {
                return err(&at, format!("no state named {target}"));
            }
        }
    }
    Ok(StateMachine {
        start_at,
        states,
        timeout_seconds: None,
        query_language: ql,
        children: Default::default(),
    })
}

fn add_catch<'a>(targets: &mut Vec<(String, &'a str)>, p: &str, io: &'a ResultHandling) {
    for (i, c) in io.catch.iter().enumerate() {
        targets.push((format!("{p}.Catch[{i}].Next"), &c.next));
    }
}

fn state(name: &str, v: &Value, path: &str, inherited: QueryLanguage) -> R<State> {
    let mut f = Fields::new(v, path)?;
    let ty = f.required("Type")?;
    let _ = f.value("Comment");
    let qlv = f.string("QueryLanguage")?;
    let ql = query_language(qlv, &f.at("QueryLanguage"), inherited)?;
    let jsonpath = ql == QueryLanguage::JsonPath;
    let terminal = matches!(ty.as_str(), "Choice" | "Succeed" | "Fail");
    let transition = if terminal {
        Transition::None
    } else {
        let next = f.string("Next")?;
        let end = matches!(f.value("End"), Some(Value::Bool(true)));
        match (next, end) {
            (Some(n), false) => Transition::Next(n),
            (None, true) => Transition::End,
            (Some(_), true) => return err(path, "Next and End are mutually exclusive"),
            (None, false) => return err(path, "requires either Next or End: true"),
        }
    };
    let (input_path, output_path) = if jsonpath && !matches!(ty.as_str(), "Fail") {
        let ip = f.path_field("InputPath")?;
        let op = if ty == "Succeed" || !terminal || ty == "Choice" {
            f.path_field("OutputPath")?
        } else {
            PathField::Default
        };
        (ip, op)
    } else {
        (PathField::Default, PathField::Default)
    };
    let assign = if ty != "Succeed" && ty != "Fail" {
        f.value("Assign").cloned()
    } else {
        None
    };
    let output = if !jsonpath && ty != "Fail" {
        f.value("Output").cloned()
    } else {
        None
    };
    let kind = match ty.as_str() {
        "Pass" => StateKind::Pass(PassState {
            result: if jsonpath {
                f.value("Result").cloned()
            } else {
                None
            },
            parameters: if jsonpath {
                f.value("Parameters").cloned()
            } else {
                None
            },
            result_path: if jsonpath {
                f.path_field("ResultPath")?
            } else {
                PathField::Default
            },
        }),
        "Succeed" => StateKind::Succeed,
        "Wait" => StateKind::Wait(wait(&mut f, jsonpath)?),
        "Fail" => StateKind::Fail(fail(&mut f, jsonpath)?),
        "Choice" => {
            let Some(Value::Array(rules)) = f.value("Choices") else {
                return err(&f.at("Choices"), "must be a non-empty array");
            };
            if rules.is_empty() {
                return err(&f.at("Choices"), "must be a non-empty array");
            }
            let choices = rules
                .iter()
                .enumerate()
                .map(|(i, r)| choice_rule(r, &format!("{path}.Choices[{i}]"), jsonpath))
                .collect::<R<Vec<_>>>()?;
            StateKind::Choice(ChoiceState {
                choices,
                default: f.string("Default")?,
            })
        }
        "Task" => StateKind::Task(Box::new(TaskState {
            resource: f.required("Resource")?,
            io: io(&mut f, jsonpath)?,
            timeout_seconds: f.value("TimeoutSeconds").cloned(),
            timeout_seconds_path: f.string("TimeoutSecondsPath")?,
            heartbeat_seconds: f.value("HeartbeatSeconds").cloned(),
            heartbeat_seconds_path: f.string("HeartbeatSecondsPath")?,
            credentials: f.value("Credentials").cloned(),
        })),
        "Parallel" => {
            let Some(Value::Array(bs)) = f.value("Branches") else {
                return err(&f.at("Branches"), "must be an array");
            };
            let mut branches = Vec::new();
            for (i, b) in bs.iter().enumerate() {
                let mut bf = Fields::new(b, &format!("{path}.Branches[{i}]"))?;
                let _ = bf.value("Comment");
                let bql = bf.string("QueryLanguage")?;
                let bql = query_language(bql, &bf.at("QueryLanguage"), ql)?;
                branches.push(machine(&mut bf, bql)?);
                bf.finish()?;
            }
            StateKind::Parallel(Box::new(ParallelState {
                branches,
                io: io(&mut f, jsonpath)?,
            }))
        }
        "Map" => StateKind::Map(Box::new(super::parse_rules::map_state(&mut f, ql)?)),
        other => return err(&f.at("Type"), format!("unknown state type '{other}'")),
    };
    f.finish()?;
    Ok(State {
        name: name.to_string(),
        query_language: ql,
        transition,
        input_path,
        output_path,
        assign,
        output,
        kind,
    })
}

fn wait(f: &mut Fields<'_>, jsonpath: bool) -> R<WaitSpec> {
    let mut found = Vec::new();
    if let Some(v) = f.value("Seconds") {
        found.push(WaitSpec::Seconds(v.clone()));
    }
    if let Some(v) = f.value("Timestamp") {
        found.push(WaitSpec::Timestamp(v.clone()));
    }
    if jsonpath {
        if let Some(s) = f.string("SecondsPath")? {
            found.push(WaitSpec::SecondsPath(s));
        }
        if let Some(s) = f.string("TimestampPath")? {
            found.push(WaitSpec::TimestampPath(s));
        }
    }
    if found.len() != 1 {
        return err(
            &f.path,
            "requires exactly one of Seconds, SecondsPath, Timestamp, TimestampPath",
        );
    }
    Ok(found.remove(0))
}

fn fail(f: &mut Fields<'_>, jsonpath: bool) -> R<FailState> {
    let mut one = |lit: &'static str, path: &'static str| -> R<Option<FailField>> {
        let l = f.value(lit).cloned();
        let p = if jsonpath { f.string(path)? } else { None };
        match (l, p) {
            (Some(_), Some(_)) => err(&f.path, format!("{lit} and {path} are mutually exclusive")),
            (Some(v), None) => Ok(Some(FailField::Literal(v))),
            (None, Some(p)) => Ok(Some(FailField::Path(p))),
            (None, None) => Ok(None),
        }
    };
    let error = one("Error", "ErrorPath")?;
    let cause = one("Cause", "CausePath")?;
    Ok(FailState { error, cause })
}

/// Parameters/Arguments, ResultSelector, ResultPath, Retry, Catch.
pub(crate) fn io(f: &mut Fields<'_>, jsonpath: bool) -> R<ResultHandling> {
    let (parameters, result_selector, result_path) = if jsonpath {
        (
            f.value("Parameters").cloned(),
            f.value("ResultSelector").cloned(),
            Some(f.path_field("ResultPath")?),
        )
    } else {
        (f.value("Arguments").cloned(), None, None)
    };
    let retry = match f.value("Retry") {
        Some(v) => retriers(v, &f.at("Retry"))?,
        None => Vec::new(),
    };
    let catch = match f.value("Catch") {
        Some(v) => catchers(v, &f.at("Catch"), jsonpath)?,
        None => Vec::new(),
    };
    Ok(ResultHandling {
        parameters,
        result_selector,
        result_path,
        retry,
        catch,
    })
}
