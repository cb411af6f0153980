//! Unit tests of the interpreter: definitions and inputs into expected outcomes, histories and
//! virtual waiting time.

use super::*;
use serde_json::json;
use std::sync::Mutex;
use std::time::Duration;

fn run_with(def: Value, input: Value, tasks: Option<&dyn TaskHandler>) -> (Execution, Duration) {
    let machine = parse_definition(&def).unwrap();
    let clock = VirtualClock::starting_now();
    let opts = Options {
        tasks,
        ..Options::new(&clock)
    };
    let exec = execute(&machine, input, &opts);
    (exec, clock.waited())
}

fn run(def: Value, input: Value) -> Execution {
    run_with(def, input, None).0
}

/// Fails the first `failures` calls with `error`, then returns the parameters.
struct Flaky {
    failures: u32,
    error: &'static str,
    calls: Mutex<u32>,
}

impl TaskHandler for Flaky {
    fn call(&self, _: &str, parameters: &Value, ctx: &TaskContext) -> Result<Value, TaskError> {
        let mut calls = self.calls.lock().unwrap();
        *calls += 1;
        if *calls <= self.failures {
            return Err(TaskError {
                error: self.error.into(),
                cause: format!("attempt {}", ctx.retry_count),
            });
        }
        Ok(json!({"got": parameters, "retries": ctx.retry_count}))
    }
}

#[test]
fn definition_errors_name_the_path() {
    let e =
        parse_definition(&json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "X"}}}))
            .unwrap_err();
    assert_eq!(e.0, "States.A.Next: no state named X");
    let e = parse_definition(
        &json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true, "Bogus": 1}}}),
    )
    .unwrap_err();
    assert_eq!(e.0, "States.A.Bogus: unknown field");
    let e = parse_definition(&json!({})).unwrap_err();
    assert!(
        e.0.contains("These fields are required: [States, StartAt]"),
        "{e}"
    );
    let e = parse_definition(&json!({"QueryLanguage": "JSONata", "StartAt": "A",
        "States": {"A": {"Type": "Pass", "QueryLanguage": "JSONPath", "End": true}}}))
    .unwrap_err();
    assert!(e.0.contains("can not be 'JSONPath'"), "{e}");
}

#[test]
fn processing_order_and_context() {
    let def = json!({"StartAt": "T", "States": {"T": {
        "Type": "Task", "Resource": "arn:test", "InputPath": "$.in",
        "Parameters": {"x.$": "$.v", "name.$": "$$.State.Name", "sum.$": "States.MathAdd($.v, 1)"},
        "ResultSelector": {"g.$": "$.got"}, "ResultPath": "$.res", "OutputPath": "$.res.g", "End": true}}});
    let h = Flaky {
        failures: 0,
        error: "",
        calls: Mutex::new(0),
    };
    let (exec, _) = run_with(def, json!({"in": {"v": 41}}), Some(&h));
    assert_eq!(exec.status, Status::Succeeded);
    assert_eq!(exec.output, Some(json!({"x": 41, "name": "T", "sum": 42})));
    let kinds: Vec<&str> = exec
        .history
        .events
        .iter()
        .map(|e| e.kind.as_str())
        .collect();
    assert_eq!(
        kinds,
        [
            "ExecutionStarted",
            "TaskStateEntered",
            "TaskScheduled",
            "TaskStarted",
            "TaskSucceeded",
            "TaskStateExited",
            "ExecutionSucceeded"
        ]
    );
    assert_eq!(exec.history.events[1].previous_event_id, 1);
}

#[test]
fn retry_backs_off_on_the_virtual_clock_then_succeeds() {
    let def = json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:test",
        "Retry": [{"ErrorEquals": ["Boom"], "IntervalSeconds": 2, "BackoffRate": 3, "MaxAttempts": 3}], "End": true}}});
    let h = Flaky {
        failures: 2,
        error: "Boom",
        calls: Mutex::new(0),
    };
    let (exec, waited) = run_with(def, json!({}), Some(&h));
    assert_eq!(exec.output, Some(json!({"got": {}, "retries": 2})));
    assert_eq!(waited, Duration::from_secs(2 + 6));
}

#[test]
fn retry_respects_max_delay_then_catch_takes_over() {
    let def = json!({"StartAt": "T", "States": {
        "T": {"Type": "Task", "Resource": "arn:test",
            "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 10, "MaxAttempts": 2, "MaxDelaySeconds": 15}],
            "Catch": [{"ErrorEquals": ["States.TaskFailed"], "ResultPath": "$.err", "Next": "Done"}], "End": true},
        "Done": {"Type": "Succeed"}}});
    let h = Flaky {
        failures: 10,
        error: "Boom",
        calls: Mutex::new(0),
    };
    let (exec, waited) = run_with(def, json!({"keep": 1}), Some(&h));
    assert_eq!(
        exec.output,
        Some(json!({"keep": 1, "err": {"Error": "Boom", "Cause": "attempt 2"}}))
    );
    assert_eq!(waited, Duration::from_secs(10 + 15));
}

#[test]
fn runtime_errors_are_never_caught() {
    let def = json!({"StartAt": "P", "States": {
        "P": {"Type": "Parallel", "Branches": [{"StartAt": "X", "States": {"X": {"Type": "Pass", "InputPath": "$.missing", "End": true}}}],
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Done"}], "End": true},
        "Done": {"Type": "Succeed"}}});
    let exec = run(def, json!({}));
    assert_eq!(exec.status, Status::Failed);
    assert_eq!(exec.error.as_deref(), Some("States.Runtime"));
    assert!(
        exec.cause.unwrap().starts_with(
            "An error occurred while executing the state 'X' (entered at the event id #"
        )
    );
}

#[test]
fn unsupported_resource_is_a_clear_error() {
    let def = json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true}}});
    let exec = run(def, json!({}));
    assert_eq!(exec.error.as_deref(), Some("States.Runtime"));
    assert!(
        exec.cause
            .unwrap()
            .contains("unsupported resource arn:aws:states:::lambda:invoke")
    );
}

#[test]
fn jsonata_without_engine_is_an_error_not_an_answer() {
    let def = json!({"QueryLanguage": "JSONata", "StartAt": "P", "States": {"P": {"Type": "Pass", "Output": "{% $states.input.a %}", "End": true}}});
    let exec = run(def, json!({"a": 1}));
    assert_eq!(exec.error.as_deref(), Some("States.QueryEvaluationError"));
    assert!(exec.cause.unwrap().contains("JSONata is not available"));
}

#[test]
fn data_limit_is_enforced() {
    let big = "x".repeat(300_000);
    let def =
        json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": big, "End": true}}});
    let exec = run(def, json!({}));
    assert_eq!(exec.error.as_deref(), Some("States.DataLimitExceeded"));
}

#[test]
fn wait_uses_the_virtual_clock_and_variables_scope() {
    let def = json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Assign": {"n": 5}, "Next": "W"},
        "W": {"Type": "Wait", "SecondsPath": "$n", "Next": "M"},
        "M": {"Type": "Map", "ItemsPath": "$.items", "ItemProcessor": {"StartAt": "I", "States": {
            "I": {"Type": "Pass", "Parameters": {"v.$": "$", "n.$": "$n", "i.$": "$$.Map.Item.Index"}, "Assign": {"n": 0}, "End": true}}},
            "ResultPath": "$.out", "Next": "F"},
        "F": {"Type": "Pass", "Parameters": {"out.$": "$.out", "n.$": "$n", "f.$": "$.items[?(@ > 1)]"}, "End": true}}});
    let machine = parse_definition(&def).unwrap();
    let clock = VirtualClock::starting_now();
    let exec = execute(&machine, json!({"items": [1, 2]}), &Options::new(&clock));
    assert_eq!(
        exec.output,
        Some(
            json!({"out": [{"v": 1, "n": 5, "i": 0}, {"v": 2, "n": 5, "i": 1}], "n": 5, "f": [2]})
        )
    );
    assert_eq!(clock.waited(), Duration::from_secs(5));
}

/// Echoes its parameters after a short real sleep, counting how many calls overlap.
struct Overlap {
    running: Mutex<(u32, u32)>,
}

impl TaskHandler for Overlap {
    fn call(&self, _: &str, parameters: &Value, _: &TaskContext) -> Result<Value, TaskError> {
        {
            let mut r = self.running.lock().unwrap();
            r.0 += 1;
            r.1 = r.1.max(r.0);
        }
        std::thread::sleep(Duration::from_millis(20));
        self.running.lock().unwrap().0 -= 1;
        if parameters["n"] == 13 || parameters["n"] == 17 {
            return Err(TaskError {
                error: "Boom".into(),
                cause: format!("item {}", parameters["n"]),
            });
        }
        Ok(json!({"n": parameters["n"]}))
    }
}

fn map_machine(max_concurrency: u32) -> Value {
    json!({"StartAt": "M", "States": {"M": {
        "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": max_concurrency,
        "ItemProcessor": {"StartAt": "T", "States": {"T": {
            "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"n.$": "$"}, "OutputPath": "$.n", "End": true}}},
        "End": true}}})
}

fn run_map(def: Value, items: u32, workers: usize) -> (Execution, u32) {
    let machine = parse_definition(&def).unwrap();
    let clock = VirtualClock::starting_now();
    let tasks = Overlap {
        running: Mutex::new((0, 0)),
    };
    let opts = Options {
        tasks: Some(&tasks),
        map_workers: workers,
        ..Options::new(&clock)
    };
    let input = json!({"items": (0..items).collect::<Vec<_>>()});
    let exec = execute(&machine, input, &opts);
    let overlap = tasks.running.lock().unwrap().1;
    (exec, overlap)
}

#[test]
fn map_iterations_run_at_once_within_max_concurrency_with_the_same_outcome() {
    let (one, overlap) = run_map(map_machine(0), 12, 1);
    assert_eq!(overlap, 1);
    let (four, overlap) = run_map(map_machine(0), 12, 4);
    assert_eq!(overlap, 4, "four workers");
    assert_eq!(one.output, four.output);
    assert_eq!(four.output, Some(json!((0..12).collect::<Vec<_>>())));
    // The history keeps each iteration's events together, in item order.
    let kinds = |e: &Execution| -> Vec<String> {
        e.history.events.iter().map(|e| e.kind.clone()).collect()
    };
    assert_eq!(kinds(&one), kinds(&four));
    for (i, e) in four.history.events.iter().enumerate() {
        assert_eq!(e.id, i as u64 + 1);
        assert_eq!(e.previous_event_id, i as u64);
    }
    let (_, overlap) = run_map(map_machine(2), 12, 4);
    assert_eq!(overlap, 2, "MaxConcurrency bounds the workers");
}

#[test]
fn a_failing_iteration_fails_the_map_as_the_first_failure_by_index() {
    for workers in [1, 3] {
        let (exec, _) = run_map(map_machine(0), 20, workers);
        assert_eq!(exec.status, Status::Failed);
        assert_eq!(exec.error.as_deref(), Some("Boom"));
        assert!(
            exec.cause.as_deref().unwrap().ends_with("item 13"),
            "{:?}",
            exec.cause
        );
    }
}

#[test]
fn the_context_object_counts_redrives() {
    let def = json!({"StartAt": "P", "States": {
        "P": {"Type": "Pass", "Parameters": {"path.$": "$$.Execution.RedriveCount"}, "Next": "J"},
        "J": {"Type": "Pass", "QueryLanguage": "JSONata",
            "Output": "{% $merge([$states.input, {'jsonata': $states.context.Execution.RedriveCount}]) %}",
            "End": true}}});
    let machine = parse_definition(&def).unwrap();
    let clock = VirtualClock::starting_now();
    let engine = jsonata::Engine;
    for redrives in [0, 3] {
        let opts = Options {
            jsonata: Some(&engine),
            redrive_count: redrives,
            ..Options::new(&clock)
        };
        let exec = execute(&machine, json!({}), &opts);
        assert_eq!(
            exec.output,
            Some(json!({"path": redrives, "jsonata": redrives}))
        );
    }
}

/// A parent whose Task starts `arn` with the item's `x`, keeping the child's `Output`.
fn nested_parent(arn: &str) -> Value {
    json!({"StartAt": "Start", "States": {"Start": {
        "Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2",
        "Parameters": {"StateMachineArn": arn, "Name.$": "$.name", "Input": {"x.$": "$.x", "who.$": "$$.Execution.Name"}},
        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
        "End": true},
        "Caught": {"Type": "Pass", "End": true}}})
}

fn nested_run(child: Value, input: Value) -> Execution {
    let arn = "arn:aws:states:us-east-1:000000000000:stateMachine:child";
    let children = [(arn.to_string(), parse_definition(&child).unwrap())]
        .into_iter()
        .collect();
    let machine = parse_definition(&nested_parent(arn))
        .unwrap()
        .with_children(children);
    let clock = VirtualClock::starting_now();
    execute(&machine, input, &Options::new(&clock))
}

#[test]
fn a_nested_execution_answers_as_describe_execution_with_json_values() {
    let child = json!({"StartAt": "Double", "States": {"Double": {
        "Type": "Pass", "Parameters": {"y.$": "States.MathAdd($.x, $.x)", "who.$": "$.who", "me.$": "$$.Execution.Name"}, "End": true}}});
    let exec = nested_run(child, json!({"x": 21, "name": "run-7"}));
    assert_eq!(exec.status, Status::Succeeded, "{:?}", exec.cause);
    let out = exec.output.unwrap();
    assert_eq!(
        out["Output"],
        json!({"y": 42, "who": "local-execution", "me": "run-7"})
    );
    assert_eq!(out["Input"], json!({"x": 21, "who": "local-execution"}));
    assert_eq!(out["Status"], "SUCCEEDED");
    assert_eq!(out["Name"], "run-7");
    assert_eq!(
        out["ExecutionArn"],
        "arn:aws:states:us-east-1:000000000000:execution:child:run-7"
    );
    let kinds: Vec<String> = exec.history.events.iter().map(|e| e.kind.clone()).collect();
    assert_eq!(
        kinds,
        [
            "ExecutionStarted",
            "TaskStateEntered",
            "TaskScheduled",
            "TaskStarted",
            "TaskSubmitted",
            "TaskSucceeded",
            "TaskStateExited",
            "ExecutionSucceeded"
        ],
        "the child's events are not the parent's"
    );
}

#[test]
fn a_failed_or_unknown_child_fails_the_task() {
    let child = json!({"StartAt": "No", "States": {"No": {"Type": "Fail", "Error": "Boom", "Cause": "why"}}});
    let exec = nested_run(child.clone(), json!({"x": 1, "name": "n"}));
    assert_eq!(exec.status, Status::Succeeded);
    let caught = exec.output.unwrap();
    assert_eq!(caught["Error"], "States.TaskFailed");
    let cause: Value = serde_json::from_str(caught["Cause"].as_str().unwrap()).unwrap();
    assert_eq!(
        (&cause["Status"], &cause["Error"], &cause["Cause"]),
        (&json!("FAILED"), &json!("Boom"), &json!("why"))
    );
    let machine = parse_definition(&nested_parent("arn:nowhere")).unwrap();
    let clock = VirtualClock::starting_now();
    let exec = execute(
        &machine,
        json!({"x": 1, "name": "n"}),
        &Options::new(&clock),
    );
    assert_eq!(
        exec.output.unwrap()["Error"],
        "StepFunctions.StateMachineDoesNotExistException"
    );
}
