//! Executions into histories as Step Functions keeps them: event 25,000 is the last, inline
//! Map iterations count in the parent's history and distributed ones in their own, and event
//! data past 64 MiB is marked truncated.

mod support;

use kpi_asl::Status;
use serde_json::{Value, json};
use support::*;

const HISTORY: &str = "The execution reached the maximum number of history events (25000).";

#[test]
fn an_endless_loop_ends_at_25000_history_events() {
    let pass = json!({"StartAt": "L", "States": {"L": {"Type": "Pass", "Next": "L"}}});
    let choice = json!({"StartAt": "C", "States": {"C": {"Type": "Choice",
        "Choices": [{"Variable": "$.stop", "IsPresent": true, "Next": "D"}], "Default": "C"},
        "D": {"Type": "Succeed"}}});
    for def in [pass, choice] {
        let e = run(def, json!({}));
        assert_eq!(failure(&e), ("States.Runtime".into(), HISTORY.into()));
        let events = &e.history.events;
        assert_eq!(events.len(), 25_000);
        let last = &events[24_999];
        assert_eq!((last.id, last.previous_event_id), (25_000, 24_999));
        assert_eq!(last.kind, "ExecutionFailed");
        // As on AWS, event 24,999 is the last one the machine produced.
        assert!(
            events[24_998].kind.ends_with("StateExited"),
            "{}",
            events[24_998].kind
        );
    }
}

/// Counts `n` down to 0: 4 events a step, 8 around them.
fn countdown() -> Value {
    json!({"StartAt": "Start", "States": {
        "Start": {"Type": "Pass", "Next": "Check"},
        "Check": {"Type": "Choice",
            "Choices": [{"Variable": "$.n", "NumericGreaterThan": 0, "Next": "Dec"}],
            "Default": "Done"},
        "Dec": {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.n, -1)"}, "Next": "Check"},
        "Done": {"Type": "Succeed"}}})
}

#[test]
fn an_execution_may_end_with_event_25000_but_not_pass_it() {
    // 1 + 2 (Start) + 4n + 2 (last Choice) + 2 (Succeed) + 1 = 25,000 for n = 6,248.
    let e = run(countdown(), json!({"n": 6_248}));
    assert_eq!(e.status, Status::Succeeded, "{:?}", failure(&e));
    assert_eq!(e.history.events.len(), 25_000);
    let e = run(countdown(), json!({"n": 6_249}));
    assert_eq!(failure(&e), ("States.Runtime".into(), HISTORY.into()));
    assert_eq!(e.history.events.len(), 25_000);
}

/// A Map of four Pass states per item: 10 events an item when inline.
fn map_of(items: usize, mode: &str) -> (Value, Value) {
    let def = json!({"StartAt": "M", "States": {"M": {"Type": "Map",
        "ItemProcessor": {"ProcessorConfig": {"Mode": mode},
            "StartAt": "A", "States": {
                "A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "Next": "C"},
                "C": {"Type": "Pass", "Next": "D"}, "D": {"Type": "Pass", "End": true}}},
        "ResultSelector": {"n.$": "States.ArrayLength($)"}, "End": true}}});
    (def, json!((0..items).collect::<Vec<_>>()))
}

#[test]
fn inline_map_iterations_count_in_the_parent_history_distributed_ones_do_not() {
    for workers in [1, 3] {
        // 3 + 10 events per item: 2,600 items pass 25,000.
        let (def, input) = map_of(2_600, "INLINE");
        let e = run_with(def, input, workers);
        assert_eq!(failure(&e), ("States.Runtime".into(), HISTORY.into()));
        assert_eq!(e.history.events.len(), 25_000);

        let (def, input) = map_of(2_600, "DISTRIBUTED");
        let e = run_with(def, input, workers);
        assert_eq!(e.output, Some(json!({"n": 2600})), "{:?}", failure(&e));
        let kinds: Vec<&str> = e.history.events.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(
            kinds,
            [
                "ExecutionStarted",
                "MapStateEntered",
                "MapStateStarted",
                "MapRunStarted",
                "MapRunSucceeded",
                "MapStateSucceeded",
                "MapStateExited",
                "ExecutionSucceeded"
            ]
        );
    }
    // Each child execution has a budget of its own: an endless child still ends.
    let def = json!({"StartAt": "M", "States": {"M": {"Type": "Map",
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "L", "States": {"L": {"Type": "Pass", "Next": "L"}}}, "End": true}}});
    let e = run(def, json!([1, 2]));
    assert_eq!(e.status, Status::Failed);
    assert!(e.history.events.len() < 20, "{}", e.history.events.len());
}

#[test]
fn a_history_keeps_64_mib_of_event_data_then_marks_it_truncated() {
    // Each step carries a 200 KB string in and out: 64 MiB is spent after about 160 states.
    let def = json!({"StartAt": "Check", "States": {
        "Check": {"Type": "Choice",
            "Choices": [{"Variable": "$.n", "NumericGreaterThan": 0, "Next": "Dec"}],
            "Default": "Done"},
        "Dec": {"Type": "Pass",
            "Parameters": {"n.$": "States.MathAdd($.n, -1)", "s.$": "$.s"}, "Next": "Check"},
        "Done": {"Type": "Succeed"}}});
    let e = run(def, json!({"n": 300, "s": "z".repeat(200_000)}));
    assert_eq!(e.status, Status::Succeeded);
    let data: usize = e
        .history
        .events
        .iter()
        .filter_map(|ev| ev.details.as_ref())
        .flat_map(|(_, d)| {
            ["input", "output"].map(|k| d.get(k).and_then(Value::as_str).map_or(0, str::len))
        })
        .sum();
    assert!(data <= kpi_asl::limits::MAX_HISTORY_DATA_BYTES, "{data}");
    assert!(data > kpi_asl::limits::MAX_HISTORY_DATA_BYTES / 2, "{data}");
    let first = e
        .history
        .events
        .iter()
        .find(|ev| ev.kind == "PassStateEntered");
    let last = e
        .history
        .events
        .iter()
        .rfind(|ev| ev.kind == "PassStateEntered");
    let details = |ev: Option<&kpi_asl::HistoryEvent>| ev.unwrap().details.clone().unwrap().1;
    assert!(
        details(first)["input"]
            .as_str()
            .is_some_and(|s| s.len() > 200_000)
    );
    let last = details(last);
    assert_eq!(last.get("input"), None, "{last}");
    assert_eq!(
        (&last["name"], &last["inputDetails"]),
        (&json!("Dec"), &json!({"truncated": true}))
    );
}
