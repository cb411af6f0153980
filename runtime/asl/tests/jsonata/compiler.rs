//! The compiler's JSONata (`compiler/src/asl/jsonata/*.jsonata`), filled in as the compiler
//! fills them and run by this crate's evaluator, on the KPIs of `pipelines/`: Prepare, the
//! Setup, Inputs and level Plans with their folds, and Finish (the item expressions are in
//! `items.rs`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kpi_asl::jsonata::evaluate;
use serde_json::{Map, Value, json};

const DIR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../compiler/src/asl/jsonata/"
);
const HISTORY_START: &str = "2024-01-01";
pub const HISTORY_DAY: i64 = 19723;

fn file(name: &str) -> String {
    std::fs::read_to_string(format!("{DIR}{name}.jsonata")).expect("a compiler expression")
}

/// The project's KPI names, from the `kpi NAME {` lines of `pipelines/*.kpi`.
pub fn project_kpis() -> Vec<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../pipelines");
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).expect("pipelines") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "kpi") {
            let text = std::fs::read_to_string(&path).expect("read");
            names.extend(text.lines().filter_map(|l| {
                l.strip_prefix("kpi ")
                    .and_then(|r| r.split_whitespace().next())
                    .map(str::to_string)
            }));
        }
    }
    names.sort();
    assert!(names.len() >= 16, "{names:?}");
    names
}

fn constants(history_day: i64) -> Vec<(&'static str, String)> {
    [
        ("MAX_DETAILS", "50"),
        ("ITEM_DETAILS", "3"),
        ("MAX_ERROR", "64"),
        ("MAX_CAUSE", "256"),
        ("MAX_MESSAGE", "30000"),
        ("MAX_ASKS", "5"),
        ("ENTRY_BUDGET", "196608"),
        ("ALREADY_EXISTS", "AlreadyExistsException"),
        ("P_FINGERPRINT", "kpi.fingerprint"),
        ("P_ATTEMPT", "kpi.attempt"),
        ("P_ROWS", "kpi.rows"),
        ("P_PARTIAL", "kpi.partial"),
        ("COL_DAY", "0"),
        ("COL_ROWS", "1"),
        ("COL_FAILURE", "2"),
        // Every KPI's failures tracked: the tests' projects are small.
        ("MAX_TRACKED", "10000"),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_string()))
    .chain([("HISTORY_START", history_day.to_string())])
    .collect()
}

fn fill(text: &str, values: &[(&str, String)]) -> String {
    let mut out = text.to_string();
    for (k, v) in values {
        out = out.replace(&format!("@{k}@"), v);
    }
    out
}

/// An expression over the execution's state, helpers included whole.
fn state_expr(name: &str, values: &[(&str, String)], history_day: i64) -> String {
    let mut all = values.to_vec();
    all.extend(constants(history_day));
    let e = fill(&file(name), &all).replace("@HELPERS@", &fill(&file("helpers"), &all));
    assert!(!e.contains('@'), "{name} left a placeholder");
    e
}

pub fn item_expr(name: &str) -> String {
    let all = constants(HISTORY_DAY);
    fill(&file(name), &all).replace("@ITEM@", &fill(&file("item"), &all))
}

pub fn eval(expr: &str, states: Value) -> Value {
    let mut b = Map::new();
    let mut states = states;
    states["context"] = json!({"Execution": {"StartTime": "2024-03-01T10:00:00Z"}});
    b.insert("states".into(), states);
    b.insert("__now_millis".into(), json!(1_709_287_200_000_i64));
    evaluate(expr, &b).unwrap_or_else(|e| panic!("{e:?}"))
}

fn prepare(names: &[String], input: Value) -> Value {
    let e = state_expr(
        "prepare",
        &[
            ("NAMES", json!(names).to_string()),
            ("MAX_DAYS", "366".into()),
            ("MAX_RUNS", "4".into()),
            ("START_DATE", HISTORY_START.into()),
            ("ZONE", r#"[{"t":1704067200000,"o":0}]"#.into()),
        ],
        HISTORY_DAY,
    );
    eval(&e, json!({"input": input}))
}

#[test]
fn prepare_validates_the_input_and_lists_the_days() {
    let names = project_kpis();
    // {} means the day before the start time (2024-03-01T10:00Z), in UTC here.
    assert_eq!(
        prepare(&names, json!({})),
        json!({"days": ["2024-02-29"], "first": 19782, "span": 1, "want": "1", "kpis": names,
               "failed": {}, "failures": [], "failureCount": 0, "skip": [], "lost": [], "inputs": {},
               "phase": "", "batch": 0})
    );
    let r = prepare(&names, json!({"from": "2024-12-30", "to": "2025-01-02"}));
    assert_eq!(
        r["days"],
        json!(["2024-12-30", "2024-12-31", "2025-01-01", "2025-01-02"])
    );
    assert_eq!(
        (r["span"].clone(), r["want"].clone()),
        (json!(4), json!("1111"))
    );
    let r = prepare(
        &names,
        json!({"dates": ["2024-03-05", "2024-03-01", "2024-03-02", "2024-03-05"], "kpis": [names[3], names[0]]}),
    );
    assert_eq!(r["days"], json!(["2024-03-01", "2024-03-02", "2024-03-05"]));
    assert_eq!(r["want"], "11001");
    assert_eq!(
        r["kpis"],
        json!([names[0], names[3]]),
        "in the project's order"
    );
    for (input, problem) in [
        (
            json!({"dates": ["2024-03-01", "2024-03-03", "2024-03-05", "2024-03-07", "2024-03-09"]}),
            "the days form 5 runs of consecutive days; one execution computes at most 4",
        ),
        (
            json!({"dates": ["2023-12-31"]}),
            "day 2023-12-31 is before the project's history_start 2024-01-01",
        ),
        (
            json!({"from": "2024-01-01", "to": "2025-01-01"}),
            "spans 367 days; one execution computes at most 366",
        ),
        (
            json!({"kpis": ["nope"]}),
            r#""kpis" names "nope", which is not a KPI of this project"#,
        ),
        (json!({"dates": ["2024-02-30"]}), "not a real calendar day"),
    ] {
        let got = prepare(&names, input.clone());
        assert!(
            got["problem"].as_str().is_some_and(|p| p.contains(problem)),
            "{input}: {got}"
        );
    }
}

fn setup_plan(names: &[String], input: Value) -> Value {
    let e = state_expr(
        "setup_plan",
        &[
            ("KPIS", json!(names).to_string()),
            ("BOUNDS", "[]".into()),
            ("BATCH", "5".into()),
        ],
        HISTORY_DAY,
    );
    eval(&e, json!({"input": input}))
}

#[test]
fn setup_plans_batches_of_kpis_and_folds_their_failures() {
    let names = project_kpis();
    let mut st = setup_plan(
        &names,
        prepare(&names, json!({"from": "2024-03-01", "to": "2024-03-05"})),
    );
    assert_eq!(st["phase"], "Setup");
    let mut listed = Vec::new();
    let mut batches = 0;
    loop {
        let items = st["items"].as_array().expect("items").clone();
        assert!(items.len() <= 5);
        for i in &items {
            assert_eq!(
                (i["first"].clone(), i["last"].clone()),
                (json!("2024-03-01"), json!("2024-03-05"))
            );
            listed.push(i["kpi"].as_str().expect("kpi").to_string());
        }
        batches += 1;
        if st["more"] == false {
            break;
        }
        // The first KPI of each batch could not create its tables; the others did.
        let mut results: Vec<Value> = items.iter().map(|i| i["kpi"].clone()).collect();
        results[0] = json!({"kpi": items[0]["kpi"], "error": "Athena.InvalidRequestException", "cause": "no database"});
        st["results"] = Value::Array(results);
        st = setup_plan(&names, st);
    }
    assert_eq!(listed, names);
    assert_eq!(batches, names.len().div_ceil(5));
    let skipped: Vec<&String> = names.iter().step_by(5).take(batches - 1).collect();
    assert_eq!(st["skip"], json!(skipped));
    assert_eq!(st["failureCount"], json!(5 * skipped.len()));
    assert_eq!(st["failed"][skipped[0]], "11111");
    assert_eq!(
        st["failures"][0],
        json!({"kpi": skipped[0], "day": "setup", "error": "Athena.InvalidRequestException", "cause": "no database"})
    );
}

fn inputs_plan(sources: &Value, input: Value) -> Value {
    let e = state_expr(
        "inputs_plan",
        &[("SOURCES", sources.to_string()), ("BATCH", "2".into())],
        HISTORY_DAY,
    );
    eval(&e, json!({"input": input}))
}

#[test]
fn inputs_asks_for_each_sources_reach_in_blocks() {
    let names = project_kpis();
    let sources = json!([
        {"name": "events", "db": "app_logs", "table": "events", "block": 3,
         "reads": [{"k": names[0], "l": 29, "b": 0}, {"k": names[1], "l": 0, "b": 0}]},
        {"name": "members", "db": "master", "table": "members", "block": 3,
         "reads": [{"k": names[2], "l": 0, "b": 0}]}
    ]);
    let mut st = prepare(&names, json!({"from": "2024-01-05", "to": "2024-01-06"}));
    st["phase"] = json!("Setup");
    st["results"] = json!([names[0], names[1], names[2]]);
    let st = inputs_plan(&sources, st);
    // From history_start (2024-01-01), not 29 days before the 5th.
    assert_eq!(
        st["inputs"],
        json!({"events": {"from": HISTORY_DAY, "bits": "000000"}, "members": {"from": 19727, "bits": "00"}})
    );
    let block = |s: &str, db: &str, f: &str, l: &str| json!({"source": s, "db": db, "table": s, "first": f, "last": l});
    assert_eq!(
        st["items"],
        json!([
            block("events", "app_logs", "2024-01-01", "2024-01-03"),
            block("events", "app_logs", "2024-01-04", "2024-01-06")
        ])
    );
    assert_eq!(st["more"], true);
    let mut next = st.clone();
    next["results"] = json!([
        {"source": "events", "first": "2024-01-01", "last": "2024-01-03", "found": ["2024-01-01", "2024-01-03"]},
        {"source": "events", "first": "2024-01-04", "last": "2024-01-06", "error": "Glue.AccessDeniedException", "cause": "denied"}
    ]);
    let st = inputs_plan(&sources, next);
    assert_eq!(
        st["items"],
        json!([block("members", "master", "2024-01-05", "2024-01-06")])
    );
    assert_eq!(st["more"], false);
    assert_eq!(
        st["inputs"]["events"],
        json!({"from": HISTORY_DAY, "bits": "101???", "error": "Glue.AccessDeniedException", "cause": "denied"})
    );
    // A reader whose tables failed is not asked for.
    let mut skip = prepare(&names, json!({"from": "2024-01-05", "to": "2024-01-06"}));
    skip["skip"] = json!([names[0]]);
    let st = inputs_plan(&sources, skip);
    assert_eq!(st["inputs"]["events"], json!({"from": 19727, "bits": "00"}));
}

/// How the plan's reads name their sources (`{"events": "app_logs.events dt"}`), as the
/// compiler hands them to a level's plan once.
fn labels(plan: &Value) -> Value {
    fn walk(v: &Value, out: &mut serde_json::Map<String, Value>) {
        match v {
            Value::Object(o) => {
                if let (Some(Value::String(s)), Some(name)) = (o.get("s"), o.get("name")) {
                    out.insert(s.clone(), name.clone());
                }
                o.values().for_each(|v| walk(v, out));
            }
            Value::Array(a) => a.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out = serde_json::Map::new();
    walk(plan, &mut out);
    Value::Object(out)
}

fn level_plan(plan: &Value, batch: u32, history_day: i64, input: Value) -> Value {
    let e = state_expr(
        "level_plan",
        &[
            ("PHASE", "Level1".into()),
            ("PLAN", plan.to_string()),
            ("LABELS", labels(plan).to_string()),
            ("CHUNK_DAYS", "4".into()),
            ("BATCH", batch.to_string()),
        ],
        history_day,
    );
    eval(&e, json!({"input": input}))
}

fn items(st: &Value) -> Vec<(String, String, String)> {
    st["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| {
            let s = |k: &str| i[k].as_str().expect("field").to_string();
            (s("kpi"), s("first"), s("last"))
        })
        .collect()
}

#[test]
fn a_level_plan_cuts_runs_into_chunks_around_blocked_days() {
    let names = project_kpis();
    let (a, b, c, u) = (&names[0], &names[1], &names[2], &names[3]);
    let read =
        |days: u32| json!({"s": "events", "name": "app_logs.events dt", "days": days, "back": 0});
    let plan = json!([
        {"kpi": a, "sources": [read(1)], "kpis": []},
        {"kpi": b, "sources": [read(3)], "kpis": []},
        {"kpi": c, "sources": [], "kpis": [{"k": u, "days": 2, "back": 0}]}
    ]);
    // Ten days from 2024-03-01, events known from 02-23; those of 03-03 are missing; u failed
    // on 03-04.
    let mut st = prepare(&names, json!({"from": "2024-03-01", "to": "2024-03-10"}));
    st["phase"] = json!("Level0");
    st["inputs"] = json!({"events": {"from": 19776, "bits": "11111111101111111"}});
    st["failed"] = json!({u: "0001000000"});
    st["failureCount"] = json!(1);
    st["results"] = json!([]);
    let day = |d: u32| format!("2024-03-{d:02}");
    let chunk = |k: &str, f: u32, l: u32| (k.to_string(), day(f), day(l));
    let all = vec![
        chunk(a, 1, 2),
        chunk(a, 4, 7),
        chunk(a, 8, 10),
        chunk(b, 1, 2),
        chunk(b, 6, 9),
        chunk(b, 10, 10),
        chunk(c, 1, 3),
        chunk(c, 6, 9),
        chunk(c, 10, 10),
    ];
    let one = level_plan(&plan, 100, HISTORY_DAY, st.clone());
    assert_eq!(items(&one), all);
    assert_eq!(one["failureCount"], 1 + 1 + 3 + 2);
    assert_eq!(one["failed"][a], "0010000000");
    assert_eq!(one["failed"][b], "0011100000");
    assert_eq!(one["failed"][c], "0001100000");
    let failures = one["failures"].as_array().expect("failures");
    assert_eq!(
        failures[0],
        json!({"kpi": a, "day": "2024-03-03", "error": "Kpi.MissingInput", "cause": "no partition app_logs.events dt=2024-03-03"})
    );
    assert_eq!(
        failures[3]["cause"], "no partition app_logs.events dt=2024-03-03",
        "b's 03-05 reads 03-03"
    );
    assert_eq!(failures[3]["day"], "2024-03-05");
    assert_eq!(
        failures[5],
        json!({"kpi": c, "day": "2024-03-05", "error": "Kpi.UpstreamFailed", "cause": format!("upstream {u} 2024-03-04 failed")})
    );
    // In batches of two: the same items, in order, and the blocked days recorded once.
    let mut seen = Vec::new();
    let mut cur = level_plan(&plan, 2, HISTORY_DAY, st);
    loop {
        seen.extend(items(&cur));
        assert!(items(&cur).len() <= 2);
        if cur["more"] == false {
            break;
        }
        cur["results"] = json!([]);
        cur = level_plan(&plan, 2, HISTORY_DAY, cur);
    }
    assert_eq!(seen, all);
    assert_eq!(cur["failureCount"], 7);
    // A window reaching before history_start needs only the days from history_start on, and
    // a day Glue could not tell about fails with Glue's error.
    let mut late = prepare(&names, json!({"from": "2024-03-01", "to": "2024-03-02"}));
    late["inputs"] = json!({"events": {"from": 19783, "bits": "1?", "error": "Glue.AccessDeniedException", "cause": "denied"}});
    let plan = json!([{"kpi": b, "sources": [read(3)], "kpis": []}]);
    let got = level_plan(&plan, 100, 19783, late);
    assert_eq!(items(&got), vec![chunk(b, 1, 1)]);
    assert_eq!(
        got["failures"][0],
        json!({"kpi": b, "day": "2024-03-02", "error": "Glue.AccessDeniedException",
               "cause": "cannot tell whether partition app_logs.events dt=2024-03-02 exists: denied"})
    );
}

#[test]
fn a_level_plan_folds_its_items_results() {
    let names = project_kpis();
    let plan = json!([{"kpi": names[0], "sources": [], "kpis": []}]);
    let mut st = prepare(&names, json!({"from": "2024-03-01", "to": "2024-03-06"}));
    st["phase"] = json!("Level0");
    st["results"] = json!([
        {"kpi": names[4], "first": "2024-03-02", "last": "2024-03-05", "bad": "0110",
         "failures": [{"day": "2024-03-03", "error": "Kpi.CheckFailed", "cause": "n > 0"}, {"day": "2024-03-04", "error": "E", "cause": "c"}]},
        {"kpi": names[4], "first": "2024-03-06", "last": "2024-03-06", "bad": "0", "failures": []}
    ]);
    let got = level_plan(&plan, 100, HISTORY_DAY, st);
    assert_eq!(got["failed"], json!({names[4].clone(): "001100"}));
    assert_eq!(got["failureCount"], 2);
    assert_eq!(
        got["failures"][0],
        json!({"kpi": names[4], "day": "2024-03-03", "error": "Kpi.CheckFailed", "cause": "n > 0"})
    );
    // Finish folds the last results and words the outcome.
    let mut last = got.clone();
    last["results"] = json!([{"kpi": names[0], "first": "2024-03-01", "last": "2024-03-06", "bad": "100000",
                              "failures": [{"day": "2024-03-01", "error": "X", "cause": "y"}]}]);
    let done = eval(
        &state_expr("finish", &[], HISTORY_DAY),
        json!({"input": last}),
    );
    assert_eq!(done["failureCount"], 3);
    assert_eq!(
        done["message"],
        format!(
            "3 KPI-day(s) failed: {0} 2024-03-03: Kpi.CheckFailed: n > 0; {0} 2024-03-04: E: c; {1} 2024-03-01: X: y",
            names[4], names[0]
        )
    );
    assert_eq!(done["summary"]["kpiDays"], json!(6 * names.len()));
}
