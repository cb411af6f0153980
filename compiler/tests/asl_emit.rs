//! The state machine of small projects: deterministic, every Athena Task bound to its
//! statement, query templates that give back the exact SQL, and the expected shape.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "asl_support.rs"]
mod support;

use kpi_compiler::asl::{
    ATHENA_SYNC, State, StateMachine, States, emit_asl, task_bindings, unescape_template,
};
use kpi_compiler::sql::{Param, StatementRole};
use serde_json::Value;
use support::{Built, machine, small, starter};

fn json(m: &StateMachine) -> Value {
    serde_json::from_str(&m.to_json()).expect("valid JSON")
}

/// Every state by name, those inside Maps included.
fn all_states(states: &States) -> Vec<(String, State)> {
    let mut out = Vec::new();
    for (name, state) in states.iter() {
        out.push((name.clone(), state.clone()));
        if let State::Map(map) = state {
            out.extend(all_states(&map.item_processor.states));
        }
    }
    out
}

#[test]
fn two_builds_are_byte_identical() {
    let a = small("Europe/Paris");
    let b = small("Europe/Paris");
    let (ma, da) = emit_asl(&a.plan, &a.sql);
    let (mb, db) = emit_asl(&b.plan, &b.sql);
    assert!(da.is_empty(), "{da:?}");
    assert_eq!(da, db);
    assert_eq!(ma.to_json(), mb.to_json());
    assert!(ma.to_json().ends_with("}\n"));
    assert_eq!(ma.stats, mb.stats);
}

#[test]
fn every_athena_task_is_bound_to_its_statement() {
    let built = small("UTC");
    let (m, _) = emit_asl(&built.plan, &built.sql);
    let bindings = task_bindings(&m);
    let tasks: Vec<(String, State)> = all_states(&m.definition.states)
        .into_iter()
        .filter(|(_, s)| matches!(s, State::Task(_)))
        .collect();
    assert_eq!(bindings.len(), tasks.len());
    for (name, state) in &tasks {
        let State::Task(task) = state else {
            unreachable!()
        };
        assert_eq!(task.resource, ATHENA_SYNC);
        let b = bindings.iter().find(|b| &b.state == name).expect("bound");
        assert_eq!(name, &format!("{}.{}", b.kpi, b.statement));
    }
    // Every statement of every KPI runs exactly once in the machine.
    let mut expected: Vec<String> = built
        .sql
        .kpis
        .iter()
        .flat_map(|k| {
            k.statements
                .iter()
                .map(move |s| format!("{}.{}", k.kpi, s.name))
        })
        .collect();
    let mut found: Vec<String> = bindings.iter().map(|b| b.state.clone()).collect();
    expected.sort();
    found.sort();
    assert_eq!(found, expected);
    assert!(found.contains(&"daily_active.04_check".to_string()));
    assert!(found.contains(&"weekly.01_create_table".to_string()));
}

/// `States.Format('…', $.day, $.attempt)` → the template and its argument paths.
fn parse_format(expr: &str) -> (String, Vec<String>) {
    let body = expr
        .strip_prefix("States.Format('")
        .and_then(|s| s.strip_suffix(')'))
        .expect("States.Format(...)");
    // The template ends at the first `'` not escaped by a backslash.
    let bytes: Vec<char> = body.chars().collect();
    let mut i = 0;
    let mut template = String::new();
    while i < bytes.len() {
        match bytes[i] {
            '\\' => {
                template.push('\\');
                template.push(bytes[i + 1]);
                i += 2;
            }
            '\'' => break,
            c => {
                template.push(c);
                i += 1;
            }
        }
    }
    let rest: String = bytes[i + 1..].iter().collect();
    let args = rest
        .split(',')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(str::to_string)
        .collect();
    (template, args)
}

fn check_round_trip(built: &Built, m: &StateMachine) -> usize {
    let day = "2024-02-29";
    let attempt = "0f3a9c_attempt-1";
    let mut checked = 0;
    for b in task_bindings(m) {
        let statement = built
            .sql
            .kpis
            .iter()
            .find(|k| k.kpi == b.kpi)
            .and_then(|k| k.statements.iter().find(|s| s.name == b.statement))
            .expect("statement");
        let task = all_states(&m.definition.states)
            .into_iter()
            .find_map(|(n, s)| match s {
                State::Task(t) if n == b.state => Some(t),
                _ => None,
            })
            .expect("task");
        let query = task.parameters["QueryString.$"].as_str().expect("string");
        let (template, args) = parse_format(query);
        let parts = unescape_template(&template);
        let mut values = args.iter().map(|a| match a.as_str() {
            "$.day" => day,
            "$.attempt" => attempt,
            "States.Base64Decode('XA==')" => "\\",
            other => panic!("unexpected argument {other}"),
        });
        let rendered: String = parts
            .iter()
            .map(|p| match p {
                Some(text) => text.clone(),
                None => values
                    .next()
                    .expect("an argument per placeholder")
                    .to_string(),
            })
            .collect();
        assert!(values.next().is_none(), "more arguments than placeholders");
        let expected = statement.athena.render(|p| match p {
            Param::Day => day.into(),
            Param::Attempt => attempt.into(),
            Param::Lake => String::new(),
        });
        assert_eq!(rendered, expected, "{}", b.state);
        let token = task.parameters["ClientRequestToken.$"]
            .as_str()
            .expect("token");
        assert_eq!(
            token,
            format!("States.Format('{{}}-{}', $.attempt)", b.statement)
        );
        checked += 1;
    }
    checked
}

#[test]
fn query_templates_give_back_the_sql() {
    let built = small("UTC");
    let (m, _) = emit_asl(&built.plan, &built.sql);
    assert_eq!(check_round_trip(&built, &m), task_bindings(&m).len());
    // The quote-and-brace KPI really exercised the escaping.
    let text = m.to_json();
    assert!(
        text.contains(r"it\\'\\'s \\{x\\}"),
        "escaped literal missing"
    );
}

#[test]
fn starter_project_round_trips() {
    let built = starter();
    let (m, diagnostics) = emit_asl(&built.plan, &built.sql);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    assert_eq!(check_round_trip(&built, &m), 9 * 2 + 9 * 3 + 4);
}

#[test]
fn shape_of_the_small_machine() {
    let built = small("UTC");
    let (m, _) = machine(&built, 7);
    let v = json(&m);
    assert_eq!(v["StartAt"], "Prepare");
    assert_eq!(v["QueryLanguage"], "JSONPath");
    let names: Vec<&str> = v["States"]
        .as_object()
        .expect("states")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        names,
        [
            "Prepare",
            "Validate",
            "InvalidInput",
            "Setup.Plan",
            "Setup.Run",
            "Setup.More",
            "Level0.Plan",
            "Level0.Run",
            "Level0.More",
            "Level1.Plan",
            "Level1.Run",
            "Level1.More",
            "Finish",
            "Done",
            "Failed",
            "Succeeded"
        ]
    );
    let states = &v["States"];
    assert_eq!(states["Prepare"]["QueryLanguage"], "JSONata");
    assert_eq!(states["InvalidInput"]["Error"], "Kpi.InvalidInput");
    assert_eq!(states["Failed"]["Error"], "Kpi.Failed");
    let run = &states["Level0.Run"];
    assert_eq!(run["MaxConcurrency"], 4);
    assert_eq!(run["ItemProcessor"]["ProcessorConfig"]["Mode"], "INLINE");
    let route = &run["ItemProcessor"]["States"]["Level0.Route"];
    let targets: Vec<&str> = route["Choices"]
        .as_array()
        .expect("choices")
        .iter()
        .map(|c| c["Next"].as_str().expect("next"))
        .collect();
    assert_eq!(targets, ["by_department.03_write", "daily_active.03_write"]);
    let write = &run["ItemProcessor"]["States"]["daily_active.03_write"];
    assert_eq!(write["Next"], "daily_active.04_check");
    assert_eq!(write["Parameters"]["WorkGroup"], "${WorkGroup}");
    assert_eq!(
        write["Parameters"]["QueryExecutionContext"]["Database"],
        "${Database}"
    );
    assert_eq!(
        write["Parameters"]["ResultConfiguration"]["OutputLocation"],
        "${QueryResultsLocation}"
    );
    assert_eq!(write["Catch"][0]["ErrorEquals"][0], "States.ALL");
    assert_eq!(write["Catch"][0]["Next"], "Level0.Failed");
    let retried: Vec<&str> = write["Retry"]
        .as_array()
        .expect("retry")
        .iter()
        .flat_map(|r| r["ErrorEquals"].as_array().expect("errors").iter())
        .map(|e| e.as_str().expect("name"))
        .collect();
    assert_eq!(
        retried,
        [
            "Athena.TooManyRequestsException",
            "Athena.ThrottlingException",
            "Athena.InternalServerException"
        ]
    );
    // The attempt every token and query uses: hashed from the execution, KPI and day.
    assert_eq!(
        run["ItemSelector"]["attempt.$"],
        "States.Hash(States.Format('{}|{}|{}', $$.Execution.Id, $$.Map.Item.Value.kpi, $$.Map.Item.Value.day), 'SHA-256')"
    );
    assert!(
        write["Retry"]
            .as_array()
            .expect("retry")
            .iter()
            .all(|r| r["JitterStrategy"] == "FULL")
    );
    let last = &run["ItemProcessor"]["States"]["daily_active.06_set_location"];
    assert_eq!(last["End"], true);
    assert_eq!(last["OutputPath"], "$.query.State");
    // Setup statements run in the Setup phase only.
    let setup = &states["Setup.Run"]["ItemProcessor"]["States"];
    assert!(setup.get("weekly.01_create_table").is_some());
    assert!(
        run["ItemProcessor"]["States"]
            .get("daily_active.01_create_table")
            .is_none()
    );
    assert!(
        built.sql.kpis[0]
            .statements
            .iter()
            .any(|s| s.role == StatementRole::Setup)
    );
}

#[test]
fn report_numbers_for_the_starter_project() {
    let built = starter();
    let (m, _) = emit_asl(&built.plan, &built.sql);
    let one = kpi_compiler::asl::history_estimate(&built.plan, &built.sql, 1);
    let year = kpi_compiler::asl::history_estimate(&built.plan, &built.sql, 365);
    println!("stats: {:#?}", m.stats);
    println!("1 day: {one:?}\n365 days: {year:?}");
    assert!(one.inline < 25_000);
    assert!(year.inline > 25_000);
    assert!(m.stats.distributed);
    assert!(year.distributed_parent < 25_000);
}
