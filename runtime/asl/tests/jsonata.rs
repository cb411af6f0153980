//! JSONata evaluator tests. Expected values were produced by jsonata-js 2.0.6 (the version Step
//! Functions runs) and spot-checked by hand: a table of JSONata semantics and the JSONata
//! expressions of the conformance corpus; and the compiler's expressions on realistic states
//! (`jsonata/compiler.rs`).

use kpi_asl::jsonata::{evaluate, evaluate_opt};
use serde_json::{Map, Value, json};

/// The compiler's expressions (`compiler/src/asl/jsonata/`), filled in as the compiler fills
/// them, on the project's KPIs.
#[path = "jsonata/compiler.rs"]
mod compiler;
#[path = "jsonata/items.rs"]
mod items;

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

const SEMANTICS: &[(&str, &str, &str)] = &[
    // A parameter with no argument is undefined inside the lambda, whatever an enclosing
    // block bound to the same name.
    (
        r###"{}"###,
        r###"($x := 1; $f := function($x){ $x }; $f())"###,
        r###"UNDEFINED"###,
    ),
    (
        r###"{}"###,
        r###"($x := 1; $f := function($x){ $exists($x) }; $f())"###,
        r###"false"###,
    ),
    (
        r###"{}"###,
        r###"($y := 2; $f := function($x, $y){ $y }; $f(5))"###,
        r###"UNDEFINED"###,
    ),
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
