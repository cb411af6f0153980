//! Hostile definitions and inputs into clean failures, as Step Functions gives them: deep
//! expressions, paths and payloads, endless loops, oversized strings and arrays and integer
//! overflow end in an error, never in a crash, a hang or unbounded memory.

mod support;

use kpi_asl::Status;
use serde_json::{Value, json};
use std::time::Duration;
use support::*;

const STACK_OVERFLOW: &str = "Stack overflow error: Check for non-terminating recursive function. Consider rewriting as tail-recursive.";
const MEMORY: &str =
    "Expression evaluation memory limit exceeded: Check for excessive memory usage";

fn repeat(s: &str, n: usize) -> String {
    s.repeat(n)
}

/// The cause of a JSONata bound as AWS words it, after the sentence naming the field.
fn bound_cause(expr: &str, message: &str) -> String {
    format!(
        "An error occurred while executing the state 'E' (entered at the event id #2). The JSONata expression '{expr}' specified for the field 'Output/r' threw an error during evaluation: {message}"
    )
}

#[test]
fn deep_jsonata_expressions_fail_with_the_stack_overflow_error() {
    let chain = format!("1{}", repeat("+1", 7_799));
    assert!(chain.len() > 15_500, "{}", chain.len());
    let shapes = [
        chain,
        format!("{}1{}", repeat("[", 10_000), repeat("]", 10_000)),
        format!("{}1{}", repeat("$string(", 10_000), repeat(")", 10_000)),
        format!("{}1{}", repeat("(", 20_000), repeat(")", 20_000)),
        format!("{}1", repeat("-", 20_000)),
        format!("'a'{}", repeat(" ~> $string()", 20_000)),
        format!("1{}", repeat("+1", 199)),
    ];
    for expr in shapes {
        let e = run(jsonata_pass(&expr), json!({}));
        assert_eq!(
            failure(&e),
            (
                "States.QueryEvaluationError".to_string(),
                bound_cause(&expr, STACK_OVERFLOW)
            ),
            "{}…",
            &expr[..40]
        );
    }
}

#[test]
fn jsonata_nesting_within_the_bound_and_tail_recursion_evaluate() {
    let e = run(jsonata_pass(&format!("1{}", repeat("+1", 49))), json!({}));
    assert_eq!(e.output, Some(json!({"r": 50})));
    // A tail call does not nest: a loop of 10,000 steps evaluates.
    let tail = "($f := function($n, $acc) { $n = 0 ? $acc : $f($n - 1, $acc + 1) }; $f(10000, 0))";
    let e = run(jsonata_pass(tail), json!({}));
    assert_eq!(e.output, Some(json!({"r": 10000})), "{:?}", failure(&e));
    // A call whose result is still needed nests, and stops at the bound.
    let deep = "($f := function($n) { $n = 0 ? 0 : 1 + $f($n - 1) }; $f(1000))";
    let e = run(jsonata_pass(deep), json!({}));
    assert_eq!(failure(&e).1, bound_cause(deep, STACK_OVERFLOW));
}

#[test]
fn deep_paths_and_intrinsics_fail_as_definition_errors_or_runtime_errors() {
    let paths = [
        format!("$.a[?({}@.b)]", repeat("!", 10_000)),
        format!("$.a[?({}@.b{})]", repeat("(", 10_000), repeat(")", 10_000)),
        format!("$.a{}", repeat("[?(@.b", 5_000)),
        format!(
            "{}'x'{}",
            repeat("States.Format(", 10_000),
            repeat(")", 10_000)
        ),
        format!(
            "{}1{}",
            repeat("States.Array(", 10_000),
            repeat(")", 10_000)
        ),
    ];
    for p in paths {
        let def = json!({"StartAt": "P", "States": {"P": {"Type": "Pass",
            "Parameters": {"x.$": p}, "End": true}}});
        let outcome =
            on_small_stack(
                Duration::from_secs(60),
                move || match kpi_asl::parse_definition(&def) {
                    Err(e) => Err(e.0),
                    Ok(m) => {
                        let clock = kpi_asl::VirtualClock::starting_now();
                        let e = kpi_asl::execute(
                            &m,
                            json!({"a": [{"b": 1}]}),
                            &kpi_asl::Options::new(&clock),
                        );
                        Ok((e.status, e.error))
                    }
                },
            );
        match outcome {
            Err(msg) => assert!(!msg.is_empty()),
            Ok((status, error)) => {
                assert_eq!(status, Status::Failed);
                assert_eq!(error.as_deref(), Some("States.Runtime"));
            }
        }
    }
    // A long but flat path is fine.
    let long = format!("${}", repeat("[0]", 50_000));
    let def = json!({"StartAt": "P", "States": {"P": {"Type": "Pass",
        "Parameters": {"x.$": long}, "End": true}}});
    let e = run(def, json!([[1]]));
    assert_eq!(e.error.as_deref(), Some("States.Runtime"));
}

/// An array nested `depth` deep, built without recursion.
fn nested_array(depth: usize) -> Value {
    let mut v = json!(1);
    for _ in 0..depth {
        v = Value::Array(vec![v]);
    }
    v
}

/// Drops a deep value without recursion (the test's own stack must survive it too).
fn dismantle(v: Value) {
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        match v {
            Value::Array(a) => stack.extend(a),
            Value::Object(o) => stack.extend(o.into_iter().map(|(_, v)| v)),
            _ => {}
        }
    }
}

#[test]
fn deep_json_fails_as_a_data_limit_not_a_crash() {
    let input = nested_array(100_000);
    let def = json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}});
    let e = run(def, input);
    assert_eq!(e.error.as_deref(), Some("States.DataLimitExceeded"));

    let deep = nested_array(100_000);
    let refused = on_small_stack(Duration::from_secs(60), move || {
        // Put in place, not through json!, which would print the value to copy it.
        let mut def = json!({"StartAt": "P", "States": {"P": {"Type": "Pass",
            "Parameters": {"x": null}, "End": true}}});
        def["States"]["P"]["Parameters"]["x"] = deep;
        let r = kpi_asl::parse_definition(&def).map(|_| ()).map_err(|e| e.0);
        dismantle(def);
        r
    });
    assert!(refused.unwrap_err().contains("nested deeper"));

    // Each visit wraps the input once more: the state fails once its output nests too deep.
    let wrap = json!({"StartAt": "W", "States": {"W": {"Type": "Pass",
        "Parameters": {"x.$": "$"}, "Next": "W"}}});
    let e = run(wrap, json!({}));
    let (error, cause) = failure(&e);
    assert_eq!(error, "States.DataLimitExceeded");
    assert!(cause.contains("'W'"), "{cause}");
}

#[test]
fn oversized_strings_and_arrays_fail_before_they_are_allocated() {
    for expr in [
        "$pad('x', 1e12)",
        "$pad('x', -1e12)",
        "($p := function($s, $n) { $n = 0 ? $s : $p($s & $s, $n - 1) }; $length($p('x', 23)))",
        "[1..873783] ~> $count()",
        "$join([1..300000].('ab'), $pad('', 1000, '-'))",
        "$split($pad('', 4000000, 'x'), '')",
    ] {
        let e = run(jsonata_pass(expr), json!({}));
        assert_eq!(
            failure(&e),
            (
                "States.QueryEvaluationError".to_string(),
                bound_cause(expr, MEMORY)
            )
        );
    }
    // Just inside the bound AWS measured, the same shapes evaluate.
    let doubling =
        "($p := function($s, $n) { $n = 0 ? $s : $p($s & $s, $n - 1) }; $length($p('x', 22)))";
    assert_eq!(
        run(jsonata_pass(doubling), json!({})).output,
        Some(json!({"r": 4_194_304}))
    );
    let count = run(jsonata_pass("[1..873782] ~> $count()"), json!({}));
    assert_eq!(count.output, Some(json!({"r": 873_782})));

    // A JSONPath string that doubles on each visit stops at the payload limit.
    let double = json!({"StartAt": "D", "States": {"D": {"Type": "Pass",
        "Parameters": {"s.$": "States.Format('{}{}', $.s, $.s)"}, "Next": "D"}}});
    let e = run(double, json!({"s": "x"}));
    assert_eq!(
        failure(&e),
        (
            "States.DataLimitExceeded".into(),
            "The state/task 'D' returned a result with a size exceeding the maximum number of bytes service limit.".into()
        )
    );
    // A template copying a large input many times fails as soon as it passes the limit.
    let copies: serde_json::Map<String, Value> = (0..5_000)
        .map(|i| (format!("c{i}.$"), json!("$")))
        .collect();
    let many = json!({"StartAt": "C", "States": {"C": {"Type": "Pass",
        "Parameters": copies, "End": true}}});
    let e = run(many, json!({"big": "y".repeat(200_000)}));
    assert_eq!(e.error.as_deref(), Some("States.DataLimitExceeded"));
}

fn intrinsic(expr: &str, input: Value) -> Result<Value, (String, String)> {
    let def = json!({"StartAt": "P", "States": {"P": {"Type": "Pass",
        "Parameters": {"r.$": expr}, "OutputPath": "$.r", "End": true}}});
    let e = run(def, input);
    e.output.clone().ok_or_else(|| failure(&e))
}

#[test]
fn intrinsic_integer_arithmetic_never_wraps() {
    let max = i64::MAX;
    assert_eq!(
        intrinsic("States.MathAdd($.a, 1)", json!({"a": max - 1})),
        Ok(json!(max))
    );
    for (expr, input) in [
        ("States.MathAdd($.a, 1)", json!({"a": max})),
        ("States.MathAdd($.a, -1)", json!({"a": i64::MIN})),
        ("States.MathAdd($.a, 1)", json!({"a": 1e300})),
        ("States.MathAdd($.a, 1)", json!({"a": u64::MAX})),
        (
            "States.ArrayGetItem($.l, $.a)",
            json!({"l": [1], "a": 1e300}),
        ),
        ("States.ArrayRange(0, $.a, 1)", json!({"a": max})),
    ] {
        let (error, _) = intrinsic(expr, input).unwrap_err();
        assert_eq!(error, "States.IntrinsicFailure", "{expr}");
    }
    assert_eq!(
        intrinsic(
            "States.ArrayRange($.a, $.b, 5)",
            json!({"a": max - 7, "b": max})
        ),
        Ok(json!([max - 7, max - 2]))
    );
    assert_eq!(
        intrinsic(
            "States.ArrayPartition($.l, $.a)",
            json!({"l": [1, 2], "a": max})
        ),
        Ok(json!([[1, 2]]))
    );
    assert_eq!(
        intrinsic(
            "States.MathRandom($.a, $.b)",
            json!({"a": max - 1, "b": max})
        ),
        Ok(json!(max - 1))
    );
}

#[test]
fn extreme_waits_and_back_off_never_panic() {
    let wait = json!({"StartAt": "W", "States": {"W": {"Type": "Wait",
        "SecondsPath": "$.s", "End": true}}});
    let e = run(wait, json!({"s": i64::MAX}));
    assert_eq!(e.status, Status::Succeeded, "{:?}", failure(&e));
    let retry = json!({"StartAt": "P", "States": {"P": {"Type": "Parallel",
        "Branches": [{"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Boom"}}}],
        "Retry": [{"ErrorEquals": ["Boom"], "IntervalSeconds": 99999999, "BackoffRate": 1000000,
            "MaxAttempts": 100}],
        "End": true}}});
    let e = run(retry, json!({}));
    assert_eq!(e.error.as_deref(), Some("Boom"));
}

#[test]
fn an_endless_tail_loop_ends_at_the_evaluation_deadline() {
    let expr = "($f := function($n) { $f($n + 1) }; $f(0))";
    let e = on_small_stack(Duration::from_secs(60), move || {
        let machine = kpi_asl::parse_definition(&jsonata_pass(expr)).unwrap();
        let clock = kpi_asl::VirtualClock::starting_now();
        let engine = kpi_asl::jsonata::TimedEngine(Duration::from_millis(200));
        let mut opts = kpi_asl::Options::new(&clock);
        opts.jsonata = Some(&engine);
        kpi_asl::execute(&machine, json!({}), &opts)
    });
    assert_eq!(
        failure(&e),
        (
            "States.QueryEvaluationError".to_string(),
            bound_cause(
                expr,
                "Expression evaluation timeout: Check for infinite loop"
            )
        )
    );
}
