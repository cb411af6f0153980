//! Step Functions' own answers where the conformance corpus has no case: Wait durations and
//! timestamps read from the input, `States.Format` of objects and arrays, `$range`, and a
//! JSONata field whose expression gives nothing. Causes are AWS's texts, which users grep for.

mod support;

use kpi_asl::Status;
use serde_json::{Value, json};
use support::*;

fn wait(field: &str, value: &str, input: Value) -> (String, String) {
    let def = json!({"StartAt": "W", "States": {"W": {"Type": "Wait", field: value, "End": true}}});
    failure(&run(def, input))
}

fn runtime(cause: &str) -> (String, String) {
    ("States.Runtime".into(), cause.into())
}

#[test]
fn seconds_path_must_reference_a_whole_non_negative_number() {
    let at = |v: Value| json!({"input": {"waitSeconds": v}});
    let path = "$.input.waitSeconds";
    assert_eq!(
        wait("SecondsPath", path, at(json!(1.5))),
        runtime(
            "The SecondsPath parameter cannot be parsed as a long value: $.input.waitSeconds == 1.5"
        )
    );
    assert_eq!(
        wait("SecondsPath", path, at(json!("5"))),
        runtime(
            "The SecondsPath parameter cannot be parsed as a long value: $.input.waitSeconds == 5"
        )
    );
    assert_eq!(
        wait("SecondsPath", path, at(json!(-1))),
        runtime("The SecondsPath parameter references a negative value: $.input.waitSeconds == -1")
    );
    assert_eq!(
        wait("SecondsPath", path, json!({})),
        runtime("The SecondsPath parameter does not reference an input value: $.input.waitSeconds")
    );
    assert_eq!(wait("SecondsPath", path, at(json!(3))).0, "SUCCEEDED");
}

#[test]
fn timestamp_path_must_reference_an_iso_8601_offset_date_time() {
    assert_eq!(
        wait("TimestampPath", "$.t", json!({"t": "tomorrow"})),
        runtime(
            "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: $.t == tomorrow"
        )
    );
    assert_eq!(
        wait("TimestampPath", "$.t", json!({"t": 5})),
        runtime(
            "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: $.t == 5"
        )
    );
    assert_eq!(
        wait("TimestampPath", "$.t", json!({})),
        runtime("The TimestampPath parameter does not reference an input value: $.t")
    );
    let past = wait("TimestampPath", "$.t", json!({"t": "2020-01-01T00:00:00Z"}));
    assert_eq!(past.0, "SUCCEEDED");
}

#[test]
fn a_jsonata_timestamp_that_is_no_date_time_is_a_query_evaluation_error() {
    let def = json!({"QueryLanguage": "JSONata", "StartAt": "W", "States": {"W": {"Type": "Wait",
        "Timestamp": "{% $states.input.t %}", "End": true}}});
    assert_eq!(
        failure(&run(def, json!({"t": "nope"}))),
        (
            "States.QueryEvaluationError".into(),
            "The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: nope".into()
        )
    );
}

#[test]
fn format_writes_objects_and_arrays_as_java_prints_them() {
    let def = json!({"StartAt": "P", "States": {"P": {"Type": "Pass",
        "Parameters": {"s.$": "States.Format('{} and {}', $.o, $.a)"}, "End": true}}});
    let input = json!({"o": {"Arg1": 1, "Arg2": []},
        "a": [1, "a", true, null, {"k": "v", "n": {"m": [2.5]}}, -0.5]});
    let e = run(def, input);
    assert_eq!(
        e.output,
        Some(json!({"s": "{Arg1=1, Arg2=[]} and [1, a, true, null, {k=v, n={m=[2.5]}}, -0.5]"}))
    );
}

#[test]
fn range_gives_a_sequence_so_one_item_is_the_item() {
    let def = json!({"QueryLanguage": "JSONata", "StartAt": "E", "States": {"E": {"Type": "Pass",
        "Output": {"one": "{% $range(1, 1) %}", "two": "{% $range(1, 2) %}",
            "none": "{% $exists($range(2, 1)) %}"}, "End": true}}});
    let e = run(def, json!({}));
    assert_eq!(
        e.output,
        Some(json!({"one": 1, "two": [1, 2], "none": false}))
    );
}

#[test]
fn an_expression_that_gives_nothing_names_its_field() {
    let def = json!({"QueryLanguage": "JSONata", "StartAt": "E", "States": {"E": {"Type": "Pass",
        "Output": {"v": "{% $states.input.absent %}"}, "End": true}}});
    let e = run(def, json!({}));
    assert_eq!(e.status, Status::Failed);
    assert_eq!(
        failure(&e),
        (
            "States.QueryEvaluationError".into(),
            "An error occurred while executing the state 'E' (entered at the event id #2). The JSONata expression '$states.input.absent' specified for the field 'Output/v' returned nothing (undefined).".into()
        )
    );
}
