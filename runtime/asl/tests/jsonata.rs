//! JSONata evaluator tests. Expected values were produced by jsonata-js 2.0.6 (the version Step
//! Functions runs) and spot-checked by hand: the compiler's expressions on realistic states,
//! a table of JSONata semantics, and the JSONata expressions of the conformance corpus.

use kpi_asl::jsonata::{evaluate, evaluate_opt};
use serde_json::{Map, Value, json};

const HELPERS: &str = include_str!("../../../compiler/src/asl/jsonata/helpers.jsonata");
const PREPARE: &str = include_str!("../../../compiler/src/asl/jsonata/prepare.jsonata");
const PLAN: &str = include_str!("../../../compiler/src/asl/jsonata/plan.jsonata");
const FAILURE: &str = include_str!("../../../compiler/src/asl/jsonata/failure.jsonata");
const FINISH: &str = include_str!("../../../compiler/src/asl/jsonata/finish.jsonata");
const NAMES: &str = r#"["activation","daily_active_members","daily_active_members_by_department","monthly_active_members","reply_rate","retention_28d","silent_members","stickiness","thanks_by_department"]"#;

/// The example project's expressions, filled in as the compiler fills them in.
fn compiler_expr(name: &str) -> String {
    let helpers = HELPERS.replace("@MAX_DETAILS@", "50");
    let plan = |phase: &str, size: u32, reads: &str, kpis: &str, days: &str| {
        PLAN.replace("@HELPERS@", &helpers)
            .replace("@PHASE@", phase)
            .replace("@CHUNK@", &size.to_string())
            .replace("@READS@", reads)
            .replace("@KPIS@", kpis)
            .replace("@DAYS@", days)
    };
    let level0 = NAMES.replace(r#""stickiness","#, "");
    let failure = |day: &str, all: &str| {
        FAILURE
            .replace("@DAY@", day)
            .replace("@ALL@", all)
            .replace("@MAX_ERROR@", "64")
            .replace("@MAX_CAUSE@", "256")
    };
    match name {
        "prepare" => PREPARE
            .replace("@HELPERS@", &helpers)
            .replace("@NAMES@", NAMES)
            .replace("@MAX_DAYS@", "366")
            .replace("@HISTORY_START@", "2024-01-01")
            .replace("@ZONE@", r#"[{"t":1704067200000,"o":0}]"#),
        "setup_plan" => plan("Setup", 9, "{}", NAMES, "[$st.days[0]]"),
        "l0_plan" => plan("Level0", 263, "{}", &level0, "$st.days"),
        "l1_plan" => plan(
            "Level1",
            280,
            r#"{"stickiness":[{"kpi":"daily_active_members","days":1,"before":0},{"kpi":"monthly_active_members","days":1,"before":0}]}"#,
            r#"["stickiness"]"#,
            "$st.days",
        ),
        "failure_setup" => failure("\"setup\"", ",\n\"all\": true"),
        "failure_day" => failure("$states.input.day", ""),
        _ => FINISH
            .replace("@HELPERS@", &helpers)
            .replace("@MAX_DETAILS@", "50")
            .replace("@MAX_MESSAGE@", "30000"),
    }
}

fn bind(input: Value) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert(
        "states".into(),
        json!({"input": input, "context": {"Execution": {"StartTime": "2024-03-01T10:00:00Z"}}}),
    );
    m.insert("__now_millis".into(), json!(1_709_287_200_000_i64));
    m
}

/// Runs `expr` and renders the outcome as the tables record it: JSON, `UNDEFINED` or `ERR code`.
fn outcome(expr: &str, input: Value) -> String {
    match evaluate_opt(expr, &bind(input)) {
        Ok(Some(v)) => serde_json::to_string(&v).unwrap_or_default(),
        Ok(None) => "UNDEFINED".into(),
        Err(e) => format!("ERR {}", e.code),
    }
}

fn same(expected: &str, got: &str) -> bool {
    if expected == got {
        return true;
    }
    match (
        serde_json::from_str::<Value>(expected),
        serde_json::from_str::<Value>(got),
    ) {
        (Ok(a), Ok(b)) => a == b || (a.is_number() && b.is_number() && a.as_f64() == b.as_f64()),
        _ => false,
    }
}

#[test]
fn compiler_expressions_match_jsonata() {
    let mut failures = Vec::new();
    for (name, input, expected) in COMPILER {
        let got = outcome(&compiler_expr(name), serde_json::from_str(input).unwrap());
        if !same(expected, &got) {
            failures.push(format!(
                "{name} on {input}:\n  expected {expected}\n  got      {got}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn prepare_dates_and_time_zones() {
    let run = |input: Value| evaluate(&compiler_expr("prepare"), &bind(input)).unwrap();
    // {} means the day before the start time (2024-03-01T10:00Z) in the zone: UTC here.
    assert_eq!(run(json!({}))["days"], json!(["2024-02-29"]));
    assert_eq!(run(json!({}))["first"], json!(19782));
    // 14 hours ahead it is already March 2nd locally, so the day before is March 1st.
    let zoned = |o: i64| {
        let e = compiler_expr("prepare").replace(
            r#"[{"t":1704067200000,"o":0}]"#,
            &format!(r#"[{{"t":0,"o":{o}}}]"#),
        );
        evaluate(&e, &bind(json!({}))).unwrap()["days"].clone()
    };
    assert_eq!(zoned(840), json!(["2024-03-01"]));
    // 11 hours behind: 2024-02-29T23:00 local, so the day before is February 28th.
    assert_eq!(zoned(-660), json!(["2024-02-28"]));
    // Year boundary and leap days.
    let r = run(json!({"from": "2024-12-30", "to": "2025-01-02"}));
    assert_eq!(
        r["days"],
        json!(["2024-12-30", "2024-12-31", "2025-01-01", "2025-01-02"])
    );
    assert_eq!(r["span"], json!(4));
    let bad = run(json!({"dates": ["2023-02-29"]}));
    assert!(
        bad["problem"]
            .as_str()
            .unwrap()
            .contains("not a real calendar day")
    );
    assert_eq!(
        run(json!({"dates": ["2028-02-29"]}))["days"],
        json!(["2028-02-29"])
    );
    assert!(run(json!({"dates": ["2100-02-29"]}))["problem"].is_string());
    assert!(run(json!({"from": "2024-04-31", "to": "2024-05-01"}))["problem"].is_string());
}

#[test]
fn semantics_match_jsonata() {
    let mut failures = Vec::new();
    for (input, expr, expected) in SEMANTICS {
        let got = outcome(expr, serde_json::from_str(input).unwrap());
        if !same(expected, &got) {
            failures.push(format!("{expr}: expected {expected}, got {got}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn api_details() {
    let b = bind(json!({"n": 2.0, "s": "x"}));
    assert_eq!(
        serde_json::to_string(&evaluate("$states.input.n * 3", &b).unwrap()).unwrap(),
        "6"
    );
    assert_eq!(evaluate("nothing", &b).unwrap_err().code, "undefined");
    assert_eq!(
        evaluate("$fn := function($x){$x}", &b).unwrap_err().code,
        "function"
    );
    assert_eq!(
        evaluate("$now()", &b).unwrap(),
        json!("2024-03-01T10:00:00.000Z")
    );
    assert_eq!(
        evaluate("$millis()", &b).unwrap(),
        json!(1_709_287_200_000_i64)
    );
    assert_eq!(
        evaluate("$formatBase(5, 2)", &b).unwrap_err().code,
        "unsupported"
    );
    assert_eq!(
        evaluate("$zip([1],[2])", &b).unwrap_err().code,
        "unsupported"
    );
    assert_eq!(evaluate("a@$x", &b).unwrap_err().code, "unsupported");
    assert_eq!(
        evaluate("$states.input.s + 1", &b).unwrap_err().code,
        "T2001"
    );
    let mut vars = b.clone();
    vars.insert("var_constant_1".into(), json!(1));
    assert_eq!(
        evaluate("$sum([1,2,3]) + $var_constant_1", &vars).unwrap(),
        json!(7)
    );
}

#[test]
fn step_functions_functions() {
    let b = bind(json!({}));
    let e = |x: &str| evaluate(x, &b).unwrap();
    assert_eq!(
        e("$partition([1,2,3,4,5], 2)"),
        json!([[1, 2], [3, 4], [5]])
    );
    assert_eq!(e("$range(0, 10, 5)"), json!([0, 5, 10]));
    assert_eq!(
        e("$hash('abc', 'SHA-256')"),
        json!("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    );
    assert_eq!(
        e("$hash('abc', 'MD5')"),
        json!("900150983cd24fb0d6963f7d28e17f72")
    );
    assert_eq!(
        e("$hash('abc', 'SHA-1')"),
        json!("a9993e364706816aba3e25717850c26c9cd0d89d")
    );
    assert_eq!(e("$random(7) = $random(7)"), json!(true));
    let r = e("$random()").as_f64().unwrap();
    assert!((0.0..1.0).contains(&r));
    let u = e("$uuid()");
    assert_eq!(u.as_str().unwrap().len(), 36);
    assert_eq!(u.as_str().unwrap().chars().nth(14), Some('4'));
}

#[test]
fn conformance_corpus_expressions() {
    // (input, expression, recorded output or error code) from /work/shared/conformance.
    let cases: &[(Value, &str, Result<Value, &str>)] = &[
        (json!({}), "$number(\"2\")", Ok(json!(2))),
        (json!({}), "$number('2')", Ok(json!(2))),
        (
            json!({"input_value": [1, 2, 3]}),
            "$states.input.input_value",
            Ok(json!([1, 2, 3])),
        ),
        (
            json!({"FunctionInput": "fst"}),
            "$randomSeeded($states.input.FunctionInput.fst)",
            Err("T1006"),
        ),
        (
            json!({"FunctionInput": "-0"}),
            "$parse($states.input.FunctionInput)",
            Ok(json!(0)),
        ),
        (
            json!({"FunctionInput": "1"}),
            "$parse($states.input.FunctionInput)",
            Ok(json!(1)),
        ),
        (
            json!({"FunctionInput": "1.1"}),
            "$parse($states.input.FunctionInput)",
            Ok(json!(1.1)),
        ),
        (
            json!({"FunctionInput": "true"}),
            "$parse($states.input.FunctionInput)",
            Ok(json!(true)),
        ),
        (
            json!({"FunctionInput": "\"HelloWorld\""}),
            "$parse($states.input.FunctionInput)",
            Ok(json!("HelloWorld")),
        ),
        (
            json!({"FunctionInput": "[1, 2, \"HelloWorld\"]"}),
            "$parse($states.input.FunctionInput)",
            Ok(json!([1, 2, "HelloWorld"])),
        ),
        (
            json!({"FunctionInput": "{\"Arg1\": 1, \"Arg2\": []}"}),
            "$parse($states.input.FunctionInput)",
            Ok(json!({"Arg1": 1, "Arg2": []})),
        ),
        (
            json!({"input_value": "stringliteral"}),
            "$states.input",
            Ok(json!({"input_value": "stringliteral"})),
        ),
        (
            json!({"type": "Private", "value": 22}),
            "$not($states.input.type = 'Private')",
            Ok(json!(false)),
        ),
        (
            json!({"type": "Private", "value": 22}),
            "$states.input.value >= 20 and $states.input.value < 30",
            Ok(json!(true)),
        ),
        (
            json!({"type": "Public", "value": 22}),
            "$states.input.type = 'Public'",
            Ok(json!(true)),
        ),
        (
            json!({"result": {"done": false}}),
            "$not($states.input.result.done)",
            Ok(json!(true)),
        ),
        (
            json!({"items": [1, "two", true]}),
            "$states.input.items",
            Ok(json!([1, "two", true])),
        ),
        (json!({"items": [0]}), "$states.input.items", Ok(json!([0]))),
        (json!({"items": []}), "$states.input.items", Ok(json!([]))),
        (json!({}), "{'foo': 'bar'}", Ok(json!({"foo": "bar"}))),
        (json!({}), "null", Ok(json!(null))),
        (
            json!({"waitSeconds": 0}),
            "$states.input.waitSeconds",
            Ok(json!(0)),
        ),
    ];
    for (input, expr, expected) in cases {
        let got = evaluate(expr, &bind(input.clone()));
        match expected {
            Ok(v) => assert_eq!(got.as_ref().ok(), Some(v), "{expr}: {got:?}"),
            Err(code) => assert_eq!(
                got.map_err(|e| e.code).err().as_deref(),
                Some(*code),
                "{expr}"
            ),
        }
    }
}

const COMPILER: &[(&str, &str, &str)] = &[
    (
        r###"prepare"###,
        r###"{}"###,
        r###"{"days":["2024-02-29"],"first":19782,"span":1,"kpis":["activation","daily_active_members","daily_active_members_by_department","monthly_active_members","reply_rate","retention_28d","silent_members","stickiness","thanks_by_department"],"failed":{},"failures":[],"failureCount":0,"phase":"","chunk":0}"###,
    ),
    (
        r###"prepare"###,
        r###"{"dates": ["2024-02-29", "2024-02-28", "2024-02-29"]}"###,
        r###"{"days":["2024-02-28","2024-02-29"],"first":19781,"span":2,"kpis":["activation","daily_active_members","daily_active_members_by_department","monthly_active_members","reply_rate","retention_28d","silent_members","stickiness","thanks_by_department"],"failed":{},"failures":[],"failureCount":0,"phase":"","chunk":0}"###,
    ),
    (
        r###"prepare"###,
        r###"{"dates": ["2023-02-29"]}"###,
        r###"{"problem":"\"dates\" holds \"2023-02-29\", which is not a real calendar day YYYY-MM-DD"}"###,
    ),
    (
        r###"prepare"###,
        r###"{"from": "2024-02-27", "to": "2024-03-02"}"###,
        r###"{"days":["2024-02-27","2024-02-28","2024-02-29","2024-03-01","2024-03-02"],"first":19780,"span":5,"kpis":["activation","daily_active_members","daily_active_members_by_department","monthly_active_members","reply_rate","retention_28d","silent_members","stickiness","thanks_by_department"],"failed":{},"failures":[],"failureCount":0,"phase":"","chunk":0}"###,
    ),
    (
        r###"prepare"###,
        r###"{"from": "2024-03-02", "to": "2024-03-01"}"###,
        r###"{"problem":"\"from\" 2024-03-02 is after \"to\" 2024-03-01"}"###,
    ),
    (
        r###"prepare"###,
        r###"{"kpis": ["nope"]}"###,
        r###"{"problem":"\"kpis\" names \"nope\", which is not a KPI of this project"}"###,
    ),
    (
        r###"prepare"###,
        r###"{"kpis": ["activation", "reply_rate"], "dates": ["2024-01-01"]}"###,
        r###"{"days":["2024-01-01"],"first":19723,"span":1,"kpis":["activation","reply_rate"],"failed":{},"failures":[],"failureCount":0,"phase":"","chunk":0}"###,
    ),
    (
        r###"prepare"###,
        r###"[1]"###,
        r###"{"problem":"the input must be a JSON object, not [1]"}"###,
    ),
    (
        r###"prepare"###,
        r###""x""###,
        r###"{"problem":"the input must be a JSON object, not \"x\""}"###,
    ),
    (
        r###"prepare"###,
        r###"{"dates": []}"###,
        r###"{"problem":"\"dates\" must be a non-empty list of days YYYY-MM-DD, not []"}"###,
    ),
    (
        r###"prepare"###,
        r###"{"dates": "2024-01-01"}"###,
        r###"{"problem":"\"dates\" must be a non-empty list of days YYYY-MM-DD, not \"2024-01-01\""}"###,
    ),
    (
        r###"prepare"###,
        r###"{"from": "2024-02-30", "to": "2024-03-01"}"###,
        r###"{"problem":"\"from\" is \"2024-02-30\", not a real calendar day YYYY-MM-DD"}"###,
    ),
    (
        r###"prepare"###,
        r###"{"from": "2023-12-31", "to": "2024-01-02"}"###,
        r###"{"problem":"day 2023-12-31 is before the project's history_start 2024-01-01"}"###,
    ),
    (
        r###"prepare"###,
        r###"{"from": "2024-01-01", "to": "2025-01-01"}"###,
        r###"{"problem":"\"from\" 2024-01-01 to \"to\" 2025-01-01 spans 367 days; one execution computes at most 366"}"###,
    ),
    (
        r###"prepare"###,
        r###"{"dates": ["2024-13-01"]}"###,
        r###"{"problem":"\"dates\" holds \"2024-13-01\", which is not a real calendar day YYYY-MM-DD"}"###,
    ),
    (
        r###"prepare"###,
        r###"{"dates": ["2024-04-31"]}"###,
        r###"{"problem":"\"dates\" holds \"2024-04-31\", which is not a real calendar day YYYY-MM-DD"}"###,
    ),
    (
        r###"prepare"###,
        r###"{"dates": [20240101]}"###,
        r###"{"problem":"\"dates\" holds 20240101, which is not a real calendar day YYYY-MM-DD"}"###,
    ),
    (
        r###"prepare"###,
        r###"{"from": "2024-01-01"}"###,
        r###"{"problem":"\"to\" is nothing, not a real calendar day YYYY-MM-DD"}"###,
    ),
    (
        r###"prepare"###,
        r###"{"dates": ["2024-01-01"], "from": "2024-01-01"}"###,
        r###"{"problem":"give either \"dates\" or \"from\" and \"to\", not both"}"###,
    ),
    (
        r###"prepare"###,
        r###"{"kpis": []}"###,
        r###"{"problem":"\"kpis\" must be a non-empty list of KPI names, not []"}"###,
    ),
    (
        r###"prepare"###,
        r###"{"dates": ["2024-12-31", "2025-01-01"]}"###,
        r###"{"days":["2024-12-31","2025-01-01"],"first":20088,"span":2,"kpis":["activation","daily_active_members","daily_active_members_by_department","monthly_active_members","reply_rate","retention_28d","silent_members","stickiness","thanks_by_department"],"failed":{},"failures":[],"failureCount":0,"phase":"","chunk":0}"###,
    ),
    (
        r###"prepare"###,
        r###"null"###,
        r###"{"problem":"the input must be a JSON object, not null"}"###,
    ),
    (
        r###"prepare"###,
        r###"{"dates": ["2024-02-29T00:00:00Z"]}"###,
        r###"{"problem":"\"dates\" holds \"2024-02-29T00:00:00Z\", which is not a real calendar day YYYY-MM-DD"}"###,
    ),
    (
        r###"prepare"###,
        r###"{"dates": ["xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"]}"###,
        r###"{"problem":"\"dates\" holds \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\", which is not a real calendar day YYYY-MM-DD"}"###,
    ),
    (
        r###"prepare"###,
        r###"{"from": "2024-01-01", "to": "2024-12-31"}"###,
        r###"{"days":["2024-01-01","2024-01-02","2024-01-03","2024-01-04","2024-01-05","2024-01-06","2024-01-07","2024-01-08","2024-01-09","2024-01-10","2024-01-11","2024-01-12","2024-01-13","2024-01-14","2024-01-15","2024-01-16","2024-01-17","2024-01-18","2024-01-19","2024-01-20","2024-01-21","2024-01-22","2024-01-23","2024-01-24","2024-01-25","2024-01-26","2024-01-27","2024-01-28","2024-01-29","2024-01-30","2024-01-31","2024-02-01","2024-02-02","2024-02-03","2024-02-04","2024-02-05","2024-02-06","2024-02-07","2024-02-08","2024-02-09","2024-02-10","2024-02-11","2024-02-12","2024-02-13","2024-02-14","2024-02-15","2024-02-16","2024-02-17","2024-02-18","2024-02-19","2024-02-20","2024-02-21","2024-02-22","2024-02-23","2024-02-24","2024-02-25","2024-02-26","2024-02-27","2024-02-28","2024-02-29","2024-03-01","2024-03-02","2024-03-03","2024-03-04","2024-03-05","2024-03-06","2024-03-07","2024-03-08","2024-03-09","2024-03-10","2024-03-11","2024-03-12","2024-03-13","2024-03-14","2024-03-15","2024-03-16","2024-03-17","2024-03-18","2024-03-19","2024-03-20","2024-03-21","2024-03-22","2024-03-23","2024-03-24","2024-03-25","2024-03-26","2024-03-27","2024-03-28","2024-03-29","2024-03-30","2024-03-31","2024-04-01","2024-04-02","2024-04-03","2024-04-04","2024-04-05","2024-04-06","2024-04-07","2024-04-08","2024-04-09","2024-04-10","2024-04-11","2024-04-12","2024-04-13","2024-04-14","2024-04-15","2024-04-16","2024-04-17","2024-04-18","2024-04-19","2024-04-20","2024-04-21","2024-04-22","2024-04-23","2024-04-24","2024-04-25","2024-04-26","2024-04-27","2024-04-28","2024-04-29","2024-04-30","2024-05-01","2024-05-02","2024-05-03","2024-05-04","2024-05-05","2024-05-06","2024-05-07","2024-05-08","2024-05-09","2024-05-10","2024-05-11","2024-05-12","2024-05-13","2024-05-14","2024-05-15","2024-05-16","2024-05-17","2024-05-18","2024-05-19","2024-05-20","2024-05-21","2024-05-22","2024-05-23","2024-05-24","2024-05-25","2024-05-26","2024-05-27","2024-05-28","2024-05-29","2024-05-30","2024-05-31","2024-06-01","2024-06-02","2024-06-03","2024-06-04","2024-06-05","2024-06-06","2024-06-07","2024-06-08","2024-06-09","2024-06-10","2024-06-11","2024-06-12","2024-06-13","2024-06-14","2024-06-15","2024-06-16","2024-06-17","2024-06-18","2024-06-19","2024-06-20","2024-06-21","2024-06-22","2024-06-23","2024-06-24","2024-06-25","2024-06-26","2024-06-27","2024-06-28","2024-06-29","2024-06-30","2024-07-01","2024-07-02","2024-07-03","2024-07-04","2024-07-05","2024-07-06","2024-07-07","2024-07-08","2024-07-09","2024-07-10","2024-07-11","2024-07-12","2024-07-13","2024-07-14","2024-07-15","2024-07-16","2024-07-17","2024-07-18","2024-07-19","2024-07-20","2024-07-21","2024-07-22","2024-07-23","2024-07-24","2024-07-25","2024-07-26","2024-07-27","2024-07-28","2024-07-29","2024-07-30","2024-07-31","2024-08-01","2024-08-02","2024-08-03","2024-08-04","2024-08-05","2024-08-06","2024-08-07","2024-08-08","2024-08-09","2024-08-10","2024-08-11","2024-08-12","2024-08-13","2024-08-14","2024-08-15","2024-08-16","2024-08-17","2024-08-18","2024-08-19","2024-08-20","2024-08-21","2024-08-22","2024-08-23","2024-08-24","2024-08-25","2024-08-26","2024-08-27","2024-08-28","2024-08-29","2024-08-30","2024-08-31","2024-09-01","2024-09-02","2024-09-03","2024-09-04","2024-09-05","2024-09-06","2024-09-07","2024-09-08","2024-09-09","2024-09-10","2024-09-11","2024-09-12","2024-09-13","2024-09-14","2024-09-15","2024-09-16","2024-09-17","2024-09-18","2024-09-19","2024-09-20","2024-09-21","2024-09-22","2024-09-23","2024-09-24","2024-09-25","2024-09-26","2024-09-27","2024-09-28","2024-09-29","2024-09-30","2024-10-01","2024-10-02","2024-10-03","2024-10-04","2024-10-05","2024-10-06","2024-10-07","2024-10-08","2024-10-09","2024-10-10","2024-10-11","2024-10-12","2024-10-13","2024-10-14","2024-10-15","2024-10-16","2024-10-17","2024-10-18","2024-10-19","2024-10-20","2024-10-21","2024-10-22","2024-10-23","2024-10-24","2024-10-25","2024-10-26","2024-10-27","2024-10-28","2024-10-29","2024-10-30","2024-10-31","2024-11-01","2024-11-02","2024-11-03","2024-11-04","2024-11-05","2024-11-06","2024-11-07","2024-11-08","2024-11-09","2024-11-10","2024-11-11","2024-11-12","2024-11-13","2024-11-14","2024-11-15","2024-11-16","2024-11-17","2024-11-18","2024-11-19","2024-11-20","2024-11-21","2024-11-22","2024-11-23","2024-11-24","2024-11-25","2024-11-26","2024-11-27","2024-11-28","2024-11-29","2024-11-30","2024-12-01","2024-12-02","2024-12-03","2024-12-04","2024-12-05","2024-12-06","2024-12-07","2024-12-08","2024-12-09","2024-12-10","2024-12-11","2024-12-12","2024-12-13","2024-12-14","2024-12-15","2024-12-16","2024-12-17","2024-12-18","2024-12-19","2024-12-20","2024-12-21","2024-12-22","2024-12-23","2024-12-24","2024-12-25","2024-12-26","2024-12-27","2024-12-28","2024-12-29","2024-12-30","2024-12-31"],"first":19723,"span":366,"kpis":["activation","daily_active_members","daily_active_members_by_department","monthly_active_members","reply_rate","retention_28d","silent_members","stickiness","thanks_by_department"],"failed":{},"failures":[],"failureCount":0,"phase":"","chunk":0}"###,
    ),
    (
        r###"setup_plan"###,
        r###"{"days": ["2024-02-27", "2024-02-28", "2024-02-29", "2024-03-01", "2024-03-02"], "first": 19780, "span": 5, "kpis": ["activation", "daily_active_members", "reply_rate", "stickiness"], "failed": {}, "failures": [], "failureCount": 0, "phase": "", "chunk": 0}"###,
        r###"{"days":["2024-02-27","2024-02-28","2024-02-29","2024-03-01","2024-03-02"],"first":19780,"span":5,"kpis":["activation","daily_active_members","reply_rate","stickiness"],"failed":{},"failures":[],"failureCount":0,"phase":"Setup","chunk":0,"more":false,"items":[{"kpi":"activation","day":"2024-02-27"},{"kpi":"daily_active_members","day":"2024-02-27"},{"kpi":"reply_rate","day":"2024-02-27"},{"kpi":"stickiness","day":"2024-02-27"}]}"###,
    ),
    (
        r###"setup_plan"###,
        r###"{"days": ["2024-02-27", "2024-02-28", "2024-02-29", "2024-03-01", "2024-03-02"], "first": 19780, "span": 5, "kpis": ["activation", "daily_active_members", "reply_rate", "stickiness"], "failed": {}, "failures": [], "failureCount": 0, "phase": "Setup", "chunk": 0, "more": true, "items": [], "results": [{"kpi": "activation", "day": "setup", "error": "Athena.Err", "cause": "boom", "all": true}, {"kpi": "reply_rate", "day": "2024-02-28"}]}"###,
        r###"{"days":["2024-02-27","2024-02-28","2024-02-29","2024-03-01","2024-03-02"],"first":19780,"span":5,"kpis":["activation","daily_active_members","reply_rate","stickiness"],"failed":{"activation":"11111"},"failures":[{"kpi":"activation","day":"setup","error":"Athena.Err","cause":"boom","all":true}],"failureCount":5,"phase":"Setup","chunk":1,"more":false,"items":[]}"###,
    ),
    (
        r###"setup_plan"###,
        r###"{"days": ["2024-02-27", "2024-02-28", "2024-02-29", "2024-03-01", "2024-03-02"], "first": 19780, "span": 5, "kpis": ["activation", "daily_active_members", "reply_rate", "stickiness"], "failed": {"daily_active_members": "01000"}, "failures": [{"kpi": "daily_active_members", "day": "2024-02-28", "error": "E", "cause": "c"}], "failureCount": 1, "phase": "Level0", "chunk": 0, "results": [{"kpi": "daily_active_members", "day": "2024-03-01", "error": "X", "cause": "y"}, {"kpi": "stickiness", "day": "2024-02-27"}, {"kpi": "daily_active_members", "day": "2024-02-27", "error": "X2", "cause": "y2"}]}"###,
        r###"{"days":["2024-02-27","2024-02-28","2024-02-29","2024-03-01","2024-03-02"],"first":19780,"span":5,"kpis":["activation","daily_active_members","reply_rate","stickiness"],"failed":{"daily_active_members":"11010"},"failures":[{"kpi":"daily_active_members","day":"2024-02-28","error":"E","cause":"c"},{"kpi":"daily_active_members","day":"2024-03-01","error":"X","cause":"y"},{"kpi":"daily_active_members","day":"2024-02-27","error":"X2","cause":"y2"}],"failureCount":3,"phase":"Setup","chunk":0,"more":false,"items":[{"kpi":"activation","day":"2024-02-27"},{"kpi":"reply_rate","day":"2024-02-27"},{"kpi":"stickiness","day":"2024-02-27"}]}"###,
    ),
    (
        r###"setup_plan"###,
        r###"{"days": ["2024-02-27", "2024-02-28", "2024-02-29", "2024-03-01", "2024-03-02"], "first": 19780, "span": 5, "kpis": ["activation", "daily_active_members", "reply_rate", "stickiness"], "failed": {"daily_active_members": "01000"}, "failures": [{"kpi": "daily_active_members", "day": "2024-02-28", "error": "E", "cause": "c"}], "failureCount": 1, "phase": "Level1", "chunk": 3, "results": [{"kpi": "daily_active_members", "day": "2024-03-01", "error": "X", "cause": "y"}, {"kpi": "stickiness", "day": "2024-02-27"}, {"kpi": "daily_active_members", "day": "2024-02-27", "error": "X2", "cause": "y2"}]}"###,
        r###"{"days":["2024-02-27","2024-02-28","2024-02-29","2024-03-01","2024-03-02"],"first":19780,"span":5,"kpis":["activation","daily_active_members","reply_rate","stickiness"],"failed":{"daily_active_members":"11010"},"failures":[{"kpi":"daily_active_members","day":"2024-02-28","error":"E","cause":"c"},{"kpi":"daily_active_members","day":"2024-03-01","error":"X","cause":"y"},{"kpi":"daily_active_members","day":"2024-02-27","error":"X2","cause":"y2"}],"failureCount":3,"phase":"Setup","chunk":0,"more":false,"items":[{"kpi":"activation","day":"2024-02-27"},{"kpi":"reply_rate","day":"2024-02-27"},{"kpi":"stickiness","day":"2024-02-27"}]}"###,
    ),
    (
        r###"l0_plan"###,
        r###"{"days": ["2024-02-27", "2024-02-28", "2024-02-29", "2024-03-01", "2024-03-02"], "first": 19780, "span": 5, "kpis": ["activation", "daily_active_members", "reply_rate", "stickiness"], "failed": {}, "failures": [], "failureCount": 0, "phase": "", "chunk": 0}"###,
        r###"{"days":["2024-02-27","2024-02-28","2024-02-29","2024-03-01","2024-03-02"],"first":19780,"span":5,"kpis":["activation","daily_active_members","reply_rate","stickiness"],"failed":{},"failures":[],"failureCount":0,"phase":"Level0","chunk":0,"more":false,"items":[{"kpi":"activation","day":"2024-02-27"},{"kpi":"daily_active_members","day":"2024-02-27"},{"kpi":"reply_rate","day":"2024-02-27"},{"kpi":"activation","day":"2024-02-28"},{"kpi":"daily_active_members","day":"2024-02-28"},{"kpi":"reply_rate","day":"2024-02-28"},{"kpi":"activation","day":"2024-02-29"},{"kpi":"daily_active_members","day":"2024-02-29"},{"kpi":"reply_rate","day":"2024-02-29"},{"kpi":"activation","day":"2024-03-01"},{"kpi":"daily_active_members","day":"2024-03-01"},{"kpi":"reply_rate","day":"2024-03-01"},{"kpi":"activation","day":"2024-03-02"},{"kpi":"daily_active_members","day":"2024-03-02"},{"kpi":"reply_rate","day":"2024-03-02"}]}"###,
    ),
    (
        r###"l0_plan"###,
        r###"{"days": ["2024-02-27", "2024-02-28", "2024-02-29", "2024-03-01", "2024-03-02"], "first": 19780, "span": 5, "kpis": ["activation", "daily_active_members", "reply_rate", "stickiness"], "failed": {}, "failures": [], "failureCount": 0, "phase": "Setup", "chunk": 0, "more": true, "items": [], "results": [{"kpi": "activation", "day": "setup", "error": "Athena.Err", "cause": "boom", "all": true}, {"kpi": "reply_rate", "day": "2024-02-28"}]}"###,
        r###"{"days":["2024-02-27","2024-02-28","2024-02-29","2024-03-01","2024-03-02"],"first":19780,"span":5,"kpis":["activation","daily_active_members","reply_rate","stickiness"],"failed":{"activation":"11111"},"failures":[{"kpi":"activation","day":"setup","error":"Athena.Err","cause":"boom","all":true}],"failureCount":5,"phase":"Level0","chunk":0,"more":false,"items":[{"kpi":"daily_active_members","day":"2024-02-27"},{"kpi":"reply_rate","day":"2024-02-27"},{"kpi":"daily_active_members","day":"2024-02-28"},{"kpi":"reply_rate","day":"2024-02-28"},{"kpi":"daily_active_members","day":"2024-02-29"},{"kpi":"reply_rate","day":"2024-02-29"},{"kpi":"daily_active_members","day":"2024-03-01"},{"kpi":"reply_rate","day":"2024-03-01"},{"kpi":"daily_active_members","day":"2024-03-02"},{"kpi":"reply_rate","day":"2024-03-02"}]}"###,
    ),
    (
        r###"l0_plan"###,
        r###"{"days": ["2024-02-27", "2024-02-28", "2024-02-29", "2024-03-01", "2024-03-02"], "first": 19780, "span": 5, "kpis": ["activation", "daily_active_members", "reply_rate", "stickiness"], "failed": {"daily_active_members": "01000"}, "failures": [{"kpi": "daily_active_members", "day": "2024-02-28", "error": "E", "cause": "c"}], "failureCount": 1, "phase": "Level0", "chunk": 0, "results": [{"kpi": "daily_active_members", "day": "2024-03-01", "error": "X", "cause": "y"}, {"kpi": "stickiness", "day": "2024-02-27"}, {"kpi": "daily_active_members", "day": "2024-02-27", "error": "X2", "cause": "y2"}]}"###,
        r###"{"days":["2024-02-27","2024-02-28","2024-02-29","2024-03-01","2024-03-02"],"first":19780,"span":5,"kpis":["activation","daily_active_members","reply_rate","stickiness"],"failed":{"daily_active_members":"11010"},"failures":[{"kpi":"daily_active_members","day":"2024-02-28","error":"E","cause":"c"},{"kpi":"daily_active_members","day":"2024-03-01","error":"X","cause":"y"},{"kpi":"daily_active_members","day":"2024-02-27","error":"X2","cause":"y2"}],"failureCount":3,"phase":"Level0","chunk":1,"more":false,"items":[]}"###,
    ),
    (
        r###"l0_plan"###,
        r###"{"days": ["2024-02-27", "2024-02-28", "2024-02-29", "2024-03-01", "2024-03-02"], "first": 19780, "span": 5, "kpis": ["activation", "daily_active_members", "reply_rate", "stickiness"], "failed": {"daily_active_members": "01000"}, "failures": [{"kpi": "daily_active_members", "day": "2024-02-28", "error": "E", "cause": "c"}], "failureCount": 1, "phase": "Level1", "chunk": 3, "results": [{"kpi": "daily_active_members", "day": "2024-03-01", "error": "X", "cause": "y"}, {"kpi": "stickiness", "day": "2024-02-27"}, {"kpi": "daily_active_members", "day": "2024-02-27", "error": "X2", "cause": "y2"}]}"###,
        r###"{"days":["2024-02-27","2024-02-28","2024-02-29","2024-03-01","2024-03-02"],"first":19780,"span":5,"kpis":["activation","daily_active_members","reply_rate","stickiness"],"failed":{"daily_active_members":"11010"},"failures":[{"kpi":"daily_active_members","day":"2024-02-28","error":"E","cause":"c"},{"kpi":"daily_active_members","day":"2024-03-01","error":"X","cause":"y"},{"kpi":"daily_active_members","day":"2024-02-27","error":"X2","cause":"y2"}],"failureCount":3,"phase":"Level0","chunk":0,"more":false,"items":[{"kpi":"activation","day":"2024-02-27"},{"kpi":"reply_rate","day":"2024-02-27"},{"kpi":"activation","day":"2024-02-28"},{"kpi":"reply_rate","day":"2024-02-28"},{"kpi":"activation","day":"2024-02-29"},{"kpi":"daily_active_members","day":"2024-02-29"},{"kpi":"reply_rate","day":"2024-02-29"},{"kpi":"activation","day":"2024-03-01"},{"kpi":"reply_rate","day":"2024-03-01"},{"kpi":"activation","day":"2024-03-02"},{"kpi":"daily_active_members","day":"2024-03-02"},{"kpi":"reply_rate","day":"2024-03-02"}]}"###,
    ),
    (
        r###"l1_plan"###,
        r###"{"days": ["2024-02-27", "2024-02-28", "2024-02-29", "2024-03-01", "2024-03-02"], "first": 19780, "span": 5, "kpis": ["activation", "daily_active_members", "reply_rate", "stickiness"], "failed": {}, "failures": [], "failureCount": 0, "phase": "", "chunk": 0}"###,
        r###"{"days":["2024-02-27","2024-02-28","2024-02-29","2024-03-01","2024-03-02"],"first":19780,"span":5,"kpis":["activation","daily_active_members","reply_rate","stickiness"],"failed":{},"failures":[],"failureCount":0,"phase":"Level1","chunk":0,"more":false,"items":[{"kpi":"stickiness","day":"2024-02-27"},{"kpi":"stickiness","day":"2024-02-28"},{"kpi":"stickiness","day":"2024-02-29"},{"kpi":"stickiness","day":"2024-03-01"},{"kpi":"stickiness","day":"2024-03-02"}]}"###,
    ),
    (
        r###"l1_plan"###,
        r###"{"days": ["2024-02-27", "2024-02-28", "2024-02-29", "2024-03-01", "2024-03-02"], "first": 19780, "span": 5, "kpis": ["activation", "daily_active_members", "reply_rate", "stickiness"], "failed": {}, "failures": [], "failureCount": 0, "phase": "Setup", "chunk": 0, "more": true, "items": [], "results": [{"kpi": "activation", "day": "setup", "error": "Athena.Err", "cause": "boom", "all": true}, {"kpi": "reply_rate", "day": "2024-02-28"}]}"###,
        r###"{"days":["2024-02-27","2024-02-28","2024-02-29","2024-03-01","2024-03-02"],"first":19780,"span":5,"kpis":["activation","daily_active_members","reply_rate","stickiness"],"failed":{"activation":"11111"},"failures":[{"kpi":"activation","day":"setup","error":"Athena.Err","cause":"boom","all":true}],"failureCount":5,"phase":"Level1","chunk":0,"more":false,"items":[{"kpi":"stickiness","day":"2024-02-27"},{"kpi":"stickiness","day":"2024-02-28"},{"kpi":"stickiness","day":"2024-02-29"},{"kpi":"stickiness","day":"2024-03-01"},{"kpi":"stickiness","day":"2024-03-02"}]}"###,
    ),
    (
        r###"l1_plan"###,
        r###"{"days": ["2024-02-27", "2024-02-28", "2024-02-29", "2024-03-01", "2024-03-02"], "first": 19780, "span": 5, "kpis": ["activation", "daily_active_members", "reply_rate", "stickiness"], "failed": {"daily_active_members": "01000"}, "failures": [{"kpi": "daily_active_members", "day": "2024-02-28", "error": "E", "cause": "c"}], "failureCount": 1, "phase": "Level0", "chunk": 0, "results": [{"kpi": "daily_active_members", "day": "2024-03-01", "error": "X", "cause": "y"}, {"kpi": "stickiness", "day": "2024-02-27"}, {"kpi": "daily_active_members", "day": "2024-02-27", "error": "X2", "cause": "y2"}]}"###,
        r###"{"days":["2024-02-27","2024-02-28","2024-02-29","2024-03-01","2024-03-02"],"first":19780,"span":5,"kpis":["activation","daily_active_members","reply_rate","stickiness"],"failed":{"daily_active_members":"11010","stickiness":"11010"},"failures":[{"kpi":"daily_active_members","day":"2024-02-28","error":"E","cause":"c"},{"kpi":"daily_active_members","day":"2024-03-01","error":"X","cause":"y"},{"kpi":"daily_active_members","day":"2024-02-27","error":"X2","cause":"y2"},{"kpi":"stickiness","day":"2024-02-27","error":"Kpi.UpstreamFailed","cause":"upstream daily_active_members 2024-02-27 failed"},{"kpi":"stickiness","day":"2024-02-28","error":"Kpi.UpstreamFailed","cause":"upstream daily_active_members 2024-02-28 failed"},{"kpi":"stickiness","day":"2024-03-01","error":"Kpi.UpstreamFailed","cause":"upstream daily_active_members 2024-03-01 failed"}],"failureCount":6,"phase":"Level1","chunk":0,"more":false,"items":[{"kpi":"stickiness","day":"2024-02-29"},{"kpi":"stickiness","day":"2024-03-02"}]}"###,
    ),
    (
        r###"l1_plan"###,
        r###"{"days": ["2024-02-27", "2024-02-28", "2024-02-29", "2024-03-01", "2024-03-02"], "first": 19780, "span": 5, "kpis": ["activation", "daily_active_members", "reply_rate", "stickiness"], "failed": {"daily_active_members": "01000"}, "failures": [{"kpi": "daily_active_members", "day": "2024-02-28", "error": "E", "cause": "c"}], "failureCount": 1, "phase": "Level1", "chunk": 3, "results": [{"kpi": "daily_active_members", "day": "2024-03-01", "error": "X", "cause": "y"}, {"kpi": "stickiness", "day": "2024-02-27"}, {"kpi": "daily_active_members", "day": "2024-02-27", "error": "X2", "cause": "y2"}]}"###,
        r###"{"days":["2024-02-27","2024-02-28","2024-02-29","2024-03-01","2024-03-02"],"first":19780,"span":5,"kpis":["activation","daily_active_members","reply_rate","stickiness"],"failed":{"daily_active_members":"11010"},"failures":[{"kpi":"daily_active_members","day":"2024-02-28","error":"E","cause":"c"},{"kpi":"daily_active_members","day":"2024-03-01","error":"X","cause":"y"},{"kpi":"daily_active_members","day":"2024-02-27","error":"X2","cause":"y2"}],"failureCount":3,"phase":"Level1","chunk":4,"more":false,"items":[]}"###,
    ),
    (
        r###"failure_setup"###,
        r###"{"kpi": "activation", "day": "2024-02-28", "error": {"Error": "States.TaskFailed", "Cause": "{\"QueryExecution\":{\"Status\":{\"State\":\"FAILED\",\"StateChangeReason\": \"SYNTAX_ERROR: line 1:8: Column 'x' cannot be resolved \\\"q\\\" \u00e9\ud83d\ude00\"}}}"}}"###,
        r###"{"kpi":"activation","day":"setup","error":"States.TaskFailed","cause":"SYNTAX_ERROR: line 1:8: Column 'x' cannot be resolved \\\"q\\\" ???","all":true}"###,
    ),
    (
        r###"failure_day"###,
        r###"{"kpi": "activation", "day": "2024-02-28", "error": {"Error": "States.TaskFailed", "Cause": "{\"QueryExecution\":{\"Status\":{\"State\":\"FAILED\",\"StateChangeReason\": \"SYNTAX_ERROR: line 1:8: Column 'x' cannot be resolved \\\"q\\\" \u00e9\ud83d\ude00\"}}}"}}"###,
        r###"{"kpi":"activation","day":"2024-02-28","error":"States.TaskFailed","cause":"SYNTAX_ERROR: line 1:8: Column 'x' cannot be resolved \\\"q\\\" ???"}"###,
    ),
    (
        r###"failure_setup"###,
        r###"{"kpi": "activation", "day": "2024-02-28", "error": {"Error": "Kpi.Check\u0007Failed", "Cause": "plain cause with \u00fcn\u00efcode and \ud83d\ude00 emoji"}}"###,
        r###"{"kpi":"activation","day":"setup","error":"Kpi.Check?Failed","cause":"plain cause with ?n?code and ?? emoji","all":true}"###,
    ),
    (
        r###"failure_day"###,
        r###"{"kpi": "activation", "day": "2024-02-28", "error": {"Error": "Kpi.Check\u0007Failed", "Cause": "plain cause with \u00fcn\u00efcode and \ud83d\ude00 emoji"}}"###,
        r###"{"kpi":"activation","day":"2024-02-28","error":"Kpi.Check?Failed","cause":"plain cause with ?n?code and ?? emoji"}"###,
    ),
    (
        r###"failure_setup"###,
        r###"{"kpi": "activation", "day": "2024-02-28", "error": {"Error": "", "Cause": {"nested": [1, 2.5]}}}"###,
        r###"{"kpi":"activation","day":"setup","error":"Kpi.UnknownError","cause":"{\"nested\":[1,2.5]}","all":true}"###,
    ),
    (
        r###"failure_day"###,
        r###"{"kpi": "activation", "day": "2024-02-28", "error": {"Error": "", "Cause": {"nested": [1, 2.5]}}}"###,
        r###"{"kpi":"activation","day":"2024-02-28","error":"Kpi.UnknownError","cause":"{\"nested\":[1,2.5]}"}"###,
    ),
    (
        r###"failure_setup"###,
        r###"{"kpi": "activation", "day": "2024-02-28", "error": {}}"###,
        r###"{"kpi":"activation","day":"setup","error":"Kpi.UnknownError","cause":"","all":true}"###,
    ),
    (
        r###"failure_day"###,
        r###"{"kpi": "activation", "day": "2024-02-28", "error": {}}"###,
        r###"{"kpi":"activation","day":"2024-02-28","error":"Kpi.UnknownError","cause":""}"###,
    ),
    (
        r###"failure_setup"###,
        r###"{"kpi": "activation", "day": "2024-02-28", "error": {"Error": "EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE", "Cause": "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"}}"###,
        r###"{"kpi":"activation","day":"setup","error":"EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE","cause":"cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc","all":true}"###,
    ),
    (
        r###"failure_day"###,
        r###"{"kpi": "activation", "day": "2024-02-28", "error": {"Error": "EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE", "Cause": "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"}}"###,
        r###"{"kpi":"activation","day":"2024-02-28","error":"EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE","cause":"cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"}"###,
    ),
    (
        r###"failure_setup"###,
        r###"{"kpi": "activation", "day": "2024-02-28"}"###,
        r###"{"kpi":"activation","day":"setup","error":"Kpi.UnknownError","cause":"","all":true}"###,
    ),
    (
        r###"failure_day"###,
        r###"{"kpi": "activation", "day": "2024-02-28"}"###,
        r###"{"kpi":"activation","day":"2024-02-28","error":"Kpi.UnknownError","cause":""}"###,
    ),
    (
        r###"finish"###,
        r###"{"days": ["2024-02-27", "2024-02-28", "2024-02-29", "2024-03-01", "2024-03-02"], "first": 19780, "span": 5, "kpis": ["activation", "daily_active_members", "reply_rate", "stickiness"], "failed": {"daily_active_members": "01000"}, "failures": [{"kpi": "daily_active_members", "day": "2024-02-28", "error": "E", "cause": "c"}], "failureCount": 1, "phase": "Level1", "chunk": 0, "more": false, "items": [], "results": [{"kpi": "reply_rate", "day": "2024-03-02", "error": "X", "cause": "y"}, {"kpi": "stickiness", "day": "2024-02-27"}]}"###,
        r###"{"failureCount":2,"message":"2 KPI-day(s) failed: daily_active_members 2024-02-28: E: c; reply_rate 2024-03-02: X: y","summary":{"days":5,"from":"2024-02-27","to":"2024-03-02","kpis":["activation","daily_active_members","reply_rate","stickiness"],"kpiDays":20,"failed":2}}"###,
    ),
    (
        r###"finish"###,
        r###"{"days": ["2024-02-27", "2024-02-28", "2024-02-29", "2024-03-01", "2024-03-02"], "first": 19780, "span": 5, "kpis": ["activation", "daily_active_members", "reply_rate", "stickiness"], "failed": {}, "failures": [], "failureCount": 0, "phase": "", "chunk": 0, "results": []}"###,
        r###"{"failureCount":0,"message":"0 KPI-day(s) failed: ","summary":{"days":5,"from":"2024-02-27","to":"2024-03-02","kpis":["activation","daily_active_members","reply_rate","stickiness"],"kpiDays":20,"failed":0}}"###,
    ),
    (
        r###"finish"###,
        r###"{"days": ["2024-02-27", "2024-02-28", "2024-02-29", "2024-03-01", "2024-03-02"], "first": 19780, "span": 5, "kpis": ["activation", "daily_active_members", "reply_rate", "stickiness"], "failed": {}, "failures": [], "failureCount": 0, "phase": "", "chunk": 0, "results": [{"kpi": "activation", "day": "2024-02-27", "error": "E0", "cause": "c"}, {"kpi": "activation", "day": "2024-02-28", "error": "E1", "cause": "c"}, {"kpi": "activation", "day": "2024-02-29", "error": "E2", "cause": "c"}, {"kpi": "activation", "day": "2024-03-01", "error": "E3", "cause": "c"}, {"kpi": "activation", "day": "2024-03-02", "error": "E4", "cause": "c"}, {"kpi": "activation", "day": "2024-02-27", "error": "E5", "cause": "c"}, {"kpi": "activation", "day": "2024-02-28", "error": "E6", "cause": "c"}, {"kpi": "activation", "day": "2024-02-29", "error": "E7", "cause": "c"}, {"kpi": "activation", "day": "2024-03-01", "error": "E8", "cause": "c"}, {"kpi": "activation", "day": "2024-03-02", "error": "E9", "cause": "c"}, {"kpi": "activation", "day": "2024-02-27", "error": "E10", "cause": "c"}, {"kpi": "activation", "day": "2024-02-28", "error": "E11", "cause": "c"}, {"kpi": "activation", "day": "2024-02-29", "error": "E12", "cause": "c"}, {"kpi": "activation", "day": "2024-03-01", "error": "E13", "cause": "c"}, {"kpi": "activation", "day": "2024-03-02", "error": "E14", "cause": "c"}, {"kpi": "activation", "day": "2024-02-27", "error": "E15", "cause": "c"}, {"kpi": "activation", "day": "2024-02-28", "error": "E16", "cause": "c"}, {"kpi": "activation", "day": "2024-02-29", "error": "E17", "cause": "c"}, {"kpi": "activation", "day": "2024-03-01", "error": "E18", "cause": "c"}, {"kpi": "activation", "day": "2024-03-02", "error": "E19", "cause": "c"}, {"kpi": "activation", "day": "2024-02-27", "error": "E20", "cause": "c"}, {"kpi": "activation", "day": "2024-02-28", "error": "E21", "cause": "c"}, {"kpi": "activation", "day": "2024-02-29", "error": "E22", "cause": "c"}, {"kpi": "activation", "day": "2024-03-01", "error": "E23", "cause": "c"}, {"kpi": "activation", "day": "2024-03-02", "error": "E24", "cause": "c"}, {"kpi": "activation", "day": "2024-02-27", "error": "E25", "cause": "c"}, {"kpi": "activation", "day": "2024-02-28", "error": "E26", "cause": "c"}, {"kpi": "activation", "day": "2024-02-29", "error": "E27", "cause": "c"}, {"kpi": "activation", "day": "2024-03-01", "error": "E28", "cause": "c"}, {"kpi": "activation", "day": "2024-03-02", "error": "E29", "cause": "c"}, {"kpi": "activation", "day": "2024-02-27", "error": "E30", "cause": "c"}, {"kpi": "activation", "day": "2024-02-28", "error": "E31", "cause": "c"}, {"kpi": "activation", "day": "2024-02-29", "error": "E32", "cause": "c"}, {"kpi": "activation", "day": "2024-03-01", "error": "E33", "cause": "c"}, {"kpi": "activation", "day": "2024-03-02", "error": "E34", "cause": "c"}, {"kpi": "activation", "day": "2024-02-27", "error": "E35", "cause": "c"}, {"kpi": "activation", "day": "2024-02-28", "error": "E36", "cause": "c"}, {"kpi": "activation", "day": "2024-02-29", "error": "E37", "cause": "c"}, {"kpi": "activation", "day": "2024-03-01", "error": "E38", "cause": "c"}, {"kpi": "activation", "day": "2024-03-02", "error": "E39", "cause": "c"}, {"kpi": "activation", "day": "2024-02-27", "error": "E40", "cause": "c"}, {"kpi": "activation", "day": "2024-02-28", "error": "E41", "cause": "c"}, {"kpi": "activation", "day": "2024-02-29", "error": "E42", "cause": "c"}, {"kpi": "activation", "day": "2024-03-01", "error": "E43", "cause": "c"}, {"kpi": "activation", "day": "2024-03-02", "error": "E44", "cause": "c"}, {"kpi": "activation", "day": "2024-02-27", "error": "E45", "cause": "c"}, {"kpi": "activation", "day": "2024-02-28", "error": "E46", "cause": "c"}, {"kpi": "activation", "day": "2024-02-29", "error": "E47", "cause": "c"}, {"kpi": "activation", "day": "2024-03-01", "error": "E48", "cause": "c"}, {"kpi": "activation", "day": "2024-03-02", "error": "E49", "cause": "c"}, {"kpi": "activation", "day": "2024-02-27", "error": "E50", "cause": "c"}, {"kpi": "activation", "day": "2024-02-28", "error": "E51", "cause": "c"}, {"kpi": "activation", "day": "2024-02-29", "error": "E52", "cause": "c"}, {"kpi": "activation", "day": "2024-03-01", "error": "E53", "cause": "c"}, {"kpi": "activation", "day": "2024-03-02", "error": "E54", "cause": "c"}, {"kpi": "activation", "day": "2024-02-27", "error": "E55", "cause": "c"}, {"kpi": "activation", "day": "2024-02-28", "error": "E56", "cause": "c"}, {"kpi": "activation", "day": "2024-02-29", "error": "E57", "cause": "c"}, {"kpi": "activation", "day": "2024-03-01", "error": "E58", "cause": "c"}, {"kpi": "activation", "day": "2024-03-02", "error": "E59", "cause": "c"}]}"###,
        r###"{"failureCount":60,"message":"60 KPI-day(s) failed: activation 2024-02-27: E0: c; activation 2024-02-28: E1: c; activation 2024-02-29: E2: c; activation 2024-03-01: E3: c; activation 2024-03-02: E4: c; activation 2024-02-27: E5: c; activation 2024-02-28: E6: c; activation 2024-02-29: E7: c; activation 2024-03-01: E8: c; activation 2024-03-02: E9: c; activation 2024-02-27: E10: c; activation 2024-02-28: E11: c; activation 2024-02-29: E12: c; activation 2024-03-01: E13: c; activation 2024-03-02: E14: c; activation 2024-02-27: E15: c; activation 2024-02-28: E16: c; activation 2024-02-29: E17: c; activation 2024-03-01: E18: c; activation 2024-03-02: E19: c; activation 2024-02-27: E20: c; activation 2024-02-28: E21: c; activation 2024-02-29: E22: c; activation 2024-03-01: E23: c; activation 2024-03-02: E24: c; activation 2024-02-27: E25: c; activation 2024-02-28: E26: c; activation 2024-02-29: E27: c; activation 2024-03-01: E28: c; activation 2024-03-02: E29: c; activation 2024-02-27: E30: c; activation 2024-02-28: E31: c; activation 2024-02-29: E32: c; activation 2024-03-01: E33: c; activation 2024-03-02: E34: c; activation 2024-02-27: E35: c; activation 2024-02-28: E36: c; activation 2024-02-29: E37: c; activation 2024-03-01: E38: c; activation 2024-03-02: E39: c; activation 2024-02-27: E40: c; activation 2024-02-28: E41: c; activation 2024-02-29: E42: c; activation 2024-03-01: E43: c; activation 2024-03-02: E44: c; activation 2024-02-27: E45: c; activation 2024-02-28: E46: c; activation 2024-02-29: E47: c; activation 2024-03-01: E48: c; activation 2024-03-02: E49: c; only the first 50 failures are listed","summary":{"days":5,"from":"2024-02-27","to":"2024-03-02","kpis":["activation","daily_active_members","reply_rate","stickiness"],"kpiDays":20,"failed":60}}"###,
    ),
];

const SEMANTICS: &[(&str, &str, &str)] = &[
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"a"###,
        r###"[1,2,3]"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"b.c.d"###,
        r###"[1,2,3]"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"b.c[0].d"###,
        r###"1"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"b.c.d[0]"###,
        r###"[1,2]"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"(b.c.d)[0]"###,
        r###"1"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"a[-1]"###,
        r###"3"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"a[$ > 1]"###,
        r###"[2,3]"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"a[[0,2]]"###,
        r###"[1,3]"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"$sum(a) & "" & $count(a)"###,
        r###""63""###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"$sum([])"###,
        r###"0"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"$max([])"###,
        r###"UNDEFINED"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"$average(a)"###,
        r###"2"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"b.*"###,
        r###"[{"d":1},{"d":[2,3]}]"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"b.**.d"###,
        r###"[1,2,3]"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"nothing"###,
        r###"UNDEFINED"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"nothing + 1"###,
        r###"UNDEFINED"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###""x" + 1"###,
        r###"ERR T2001"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"1 + "x""###,
        r###"ERR T2002"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"1 < "x""###,
        r###"ERR T2009"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"{} < 1"###,
        r###"ERR T2010"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"nothing < 1"###,
        r###"UNDEFINED"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"nothing = nothing"###,
        r###"false"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"[1,2] = [1,2]"###,
        r###"true"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"{"a":1} = {"a":1}"###,
        r###"true"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###""a" in ["a","b"]"###,
        r###"true"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"2 in a"###,
        r###"true"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"1/3"###,
        r###"0.3333333333333333"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###""" & 1/3"###,
        r###""0.333333333333333""###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###""" & 0.1 + 0.2"###,
        r###"ERR T2001"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"$string({"a":1.5,"b":[1e21,null,true,"x\"y"],"10":1,"2":2})"###,
        r###""{\"2\":2,\"10\":1,\"a\":1.5,\"b\":[1e+21,null,true,\"x\\\"y\"]}""###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"{"b":1,"10":2,"2":3,"a":4}"###,
        r###"{"2":3,"10":2,"b":1,"a":4}"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"$keys({"b":1,"10":2,"2":3})"###,
        r###"["2","10","b"]"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"[1..5]"###,
        r###"[1,2,3,4,5]"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"[1..5].($ * 2)"###,
        r###"[2,4,6,8,10]"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"[5..1]"###,
        r###"[]"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"[0, [1,2], a]"###,
        r###"[0,[1,2],1,2,3]"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"[a].$"###,
        r###"[1,2,3]"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"a.[$]"###,
        r###"[[1],[2],[3]]"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"a.{"v": $}"###,
        r###"[{"v":1},{"v":2},{"v":3}]"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"$map(a, function($v, $i) { $v + $i })"###,
        r###"[1,3,5]"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"$filter(a, function($v) { $v > 1 })"###,
        r###"[2,3]"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"$filter(a, function($v) { $v > 2 })"###,
        r###"3"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"$reduce(a, function($x, $y) { $x + $y })"###,
        r###"6"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"$reduce(a, function($x, $y) { $x + $y }, 10)"###,
        r###"16"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"$sift({"a":1,"b":2}, function($v, $k) { $k != "a" })"###,
        r###"{"b":2}"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"$each({"a":1,"b":2}, function($v, $k) { $k & $v })"###,
        r###"["a1","b2"]"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"$single(a, function($v) { $v = 2 })"###,
        r###"2"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"$single(a, function($v) { $v > 1 })"###,
        r###"ERR D3138"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"$substring("hello", 1, 3) & $substring("hello", -3) & $substring("hello", -3, 2)"###,
        r###""elllloll""###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"$substringBefore("a-b-c", "-") & $substringAfter("a-b-c", "-")"###,
        r###""ab-c""###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"$pad("x", 5, "ab") & "|" & $pad("x", -4) & "|""###,
        r###""xabab|   x|""###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"$trim("  a   b  ")"###,
        r###""a b""###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"$split("a,b,,c", ",")"###,
        r###"["a","b","","c"]"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"$split("a1b22c", /[0-9]+/)"###,
        r###"["a","b","c"]"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"$split("a,b,c", ",", 2)"###,
        r###"["a","b"]"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"$join(["a","b"], "-")"###,
        r###""a-b""###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"$join(["a",1], "-")"###,
        r###"ERR T0412"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"$match("ab12cd345", /[0-9]+/)"###,
        r###"[{"match":"12","index":2,"groups":[]},{"match":"345","index":6,"groups":[]}]"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"$match("ab12", /([a-z])([0-9])?/)"###,
        r###"[{"match":"a","index":0,"groups":["a",null]},{"match":"b1","index":1,"groups":["b","1"]}]"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"$match("x😀y", /y/)"###,
        r###"{"match":"y","index":3,"groups":[]}"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"$replace("a😀b\u0001c", /[^\x20-\x7E]/, "?")"###,
        r###""a??b?c""###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"$replace("John Smith", /(\w+)\s(\w+)/, "$2, $1")"###,
        r###""Smith, John""###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"$replace("abc", "b", "x")"###,
        r###""axc""###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"$replace("abc", /x*/, "-")"###,
        r###"ERR D1004"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"$contains("abc", /B/i)"###,
        r###"true"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"$contains("2024-01-05", /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/)"###,
        r###"true"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"$uppercase("abé") & $lowercase("ABÉ") & $length("a😀")"###,
        r###""ABÉabé2""###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"$number("12.5e1") + $number(true)"###,
        r###"126"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"$number("12a")"###,
        r###"ERR D3030"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"$number("0x1F")"###,
        r###"31"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"[$round(2.5), $round(3.5), $round(-2.5), $round(1.005, 2), $round(123.456, -1)]"###,
        r###"[2,4,-2,1,120]"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"[$floor(-1.5), $ceil(1.2), $abs(-3), $power(2, 10), $sqrt(16)]"###,
        r###"[-2,2,3,1024,4]"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"$formatNumber(1234567.891, "#,##0.00")"###,
        r###""1,234,567.89""###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"$formatNumber(0.5, "0%")"###,
        r###""50%""###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"$formatNumber(3.14159, "0.0#")"###,
        r###""3.14""###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"$formatNumber(7, "000")"###,
        r###""007""###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"[$boolean(""), $boolean("0"), $boolean([]), $boolean([0, 1]), $boolean({}), $not(null)]"###,
        r###"[false,true,false,true,false,true]"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"[$exists(nothing), $exists(null), $type(null), $type(a), $type($sum), $type({})]"###,
        r###"[false,true,"null","array","function","object"]"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"$type(nothing)"###,
        r###"UNDEFINED"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"$lookup({"a":1}, "a") + $lookup([{"a":1},{"a":2}], "a")[1]"###,
        r###"3"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"$merge([{"a":1},{"b":2},{"a":3}])"###,
        r###"{"a":3,"b":2}"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"$append([1,2], 3)"###,
        r###"[1,2,3]"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"$append(1, nothing)"###,
        r###"1"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"$reverse(a)"###,
        r###"[3,2,1]"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"$sort(["b","a","c"])"###,
        r###"["a","b","c"]"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"$sort([3,1,2], function($x, $y) { $x < $y })"###,
        r###"[3,2,1]"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"$sort([1,"a"])"###,
        r###"ERR D3070"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"$distinct([1,2,1,"a","a",[1],[1]])"###,
        r###"[1,2,"a",[1]]"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"$count(nothing) & $count(5) & $count([[1,2]])"###,
        r###""011""###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"($x := 5; $f := function($n) { $n * $x }; $f(3))"###,
        r###"15"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"($fact := function($n) { $n <= 1 ? 1 : $n * $fact($n - 1) }; $fact(10))"###,
        r###"3628800"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"true ? "y""###,
        r###""y""###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"false ? "y""###,
        r###"UNDEFINED"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"$undefinedFn(1)"###,
        r###"ERR T1006"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"$length(nothing)"###,
        r###"UNDEFINED"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"$string(nothing)"###,
        r###"UNDEFINED"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"$string(1e21) & " " & $string(1e-7) & " " & $string(123456789012345678)"###,
        r###""1e+21 1e-7 123456789012346000""###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"a ~> $sum()"###,
        r###"6"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"$$.a[1]"###,
        r###"2"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"[31, 28, 31][$ - 1]"###,
        r###"UNDEFINED"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"[31, 29, 31][2 - 1]"###,
        r###"29"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###""b" > "a" and "B" < "a""###,
        r###"true"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"5 % 3 & "," & -7 % 3"###,
        r###""2,-1""###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"$toMillis("2024-02-29T00:00:00Z") / 86400000"###,
        r###"19782"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"$fromMillis(19782 * 86400000, "[Y0001]-[M01]-[D01]")"###,
        r###""2024-02-29""###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"$fromMillis(1709251199999, "[Y0001]-[M01]-[D01] [H01]:[m01]:[s01].[f001]", "+0200")"###,
        r###""2024-03-01 01:59:59.999""###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"$fromMillis(1709251199999, "[Y0001]-[M01]-[D01] [H01]:[m01] [Z01:01]", "-0530")"###,
        r###""2024-02-29 17:29 -06:30""###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"$fromMillis(1709251199999)"###,
        r###""2024-02-29T23:59:59.999Z""###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"$fromMillis(1709251199999, undefined, "+0100")"###,
        r###""2024-03-01T00:59:59.999+01:00""###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"$fromMillis(-1, "[Y0001]-[M01]-[D01]")"###,
        r###""1969-12-31""###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"[$toMillis("2024-02-30T00:00:00Z"), $toMillis("2023-02-29T00:00:00Z"), $toMillis("2024-04-31"), $toMillis("2024-02-29T24:00:00Z")]"###,
        r###"[1709251200000,1677628800000,1714521600000,1709251200000]"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"[$toMillis("2024-13-01T00:00:00Z"), $toMillis("2024-02-32"), $toMillis("2024-00-10")]"###,
        r###"[null,null,null]"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"$toMillis("2024-1-01T00:00:00Z")"###,
        r###"ERR D3110"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"[$toMillis("2024-01-01T00:00:00+0200"), $toMillis("2024-01-01T00:00:00-02:30"), $toMillis("2024"), $toMillis("2024-02"), $toMillis("2024-02-10T10:00:00.5Z"), $toMillis("2024-02-10T10:00:00.123456Z")]"###,
        r###"[1704060000000,1704076200000,1704067200000,1706745600000,1707559200500,1707559200123]"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"[$toMillis("2024-02-10+01:00"), $toMillis("2024-02Z"), $toMillis("2024-02-10T10:00:00+01"), $toMillis("2024-02-30T10:00:00+0100"), $toMillis("2024-02-10T10:00:00.5+01:00")]"###,
        r###"ERR D3110"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"$toMillis("2024-02-30", "[Y0001]-[M01]-[D01]")"###,
        r###"1709251200000"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"$toMillis("2024-02-3", "[Y0001]-[M01]-[D01]")"###,
        r###"UNDEFINED"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"$toMillis("1999-12-31T23:59:59Z") - $toMillis("2000-01-01T00:00:00+0100")"###,
        r###"3599000"###,
    ),
    (
        r###"{"a":[1,2,3],"b":{"c":[{"d":1},{"d":[2,3]}]}}"###,
        r###"$fromMillis($toMillis("2024-12-31T00:00:00Z") + 86400000, "[Y0001]-[M01]-[D01]")"###,
        r###""2025-01-01""###,
    ),
    (r###"[1,2,3]"###, r###"$"###, r###"[1,2,3]"###),
    (r###"[1,2,3]"###, r###"$[0]"###, r###"1"###),
    (r###"[1,2,3]"###, r###"$count($)"###, r###"3"###),
    (r###"[{"a":1},{"a":2}]"###, r###"a"###, r###"[1,2]"###),
    (r###"[{"a":1},{"a":2}]"###, r###"$.a"###, r###"[1,2]"###),
    (r###"{"x":[[1,2],[3]]}"###, r###"x[0]"###, r###"[1,2]"###),
    (r###"{"x":[[1,2],[3]]}"###, r###"x"###, r###"[[1,2],[3]]"###),
    (r###"{"x":[[1,2],[3]]}"###, r###"x.$"###, r###"[1,2,3]"###),
    (r###"{"x":[1]}"###, r###"x"###, r###"[1]"###),
    (r###"{"x":[1]}"###, r###"x.$"###, r###"1"###),
    (
        r###"{"x":[1]}"###,
        r###"$count(x) & $type(x)"###,
        r###""1array""###,
    ),
    (
        r###"{"x":{"y":[1]}}"###,
        r###"$type(x.y)"###,
        r###""array""###,
    ),
];
