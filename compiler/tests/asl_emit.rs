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

/// The Pass state of a KPI in a phase, which builds its query texts.
fn kpi_pass(m: &StateMachine, phase: &str, kpi: &str) -> serde_json::Map<String, Value> {
    let name = format!("{kpi}.{}", if phase == "Setup" { "Setup" } else { "Day" });
    let v = json(m);
    let state = &v["States"][format!("{phase}.Run")]["ItemProcessor"]["States"][&name];
    assert_eq!(state["Type"], "Pass", "{name}");
    assert_eq!(state["ResultPath"], "$.sql", "{name}");
    state["Parameters"].as_object().expect("parameters").clone()
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
        assert_eq!(name, &format!("{}.{}", b.phase, b.statement));
        assert_eq!(b.kpi_path, "$.kpi");
        assert_eq!(task.parameters["QueryString.$"], b.query_path.as_str());
    }
    // Shared: one Task state per statement kind and phase, whatever the number of KPIs.
    let names: Vec<&str> = bindings.iter().map(|b| b.state.as_str()).collect();
    assert_eq!(
        names,
        [
            "Setup.01_create_table",
            "Setup.02_create_attempts_table",
            "Level0.03_write",
            "Level0.04_check",
            "Level0.05_add_partition",
            "Level0.06_set_location",
            "Level1.03_write",
            "Level1.05_add_partition",
            "Level1.06_set_location",
        ]
    );
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
    let mut found: Vec<String> = bindings
        .iter()
        .flat_map(|b| b.kpis.iter().map(move |k| format!("{k}.{}", b.statement)))
        .collect();
    expected.sort();
    found.sort();
    assert_eq!(found, expected);
    let check = bindings
        .iter()
        .find(|b| b.state == "Level0.04_check")
        .expect("check");
    assert_eq!(check.kpis, ["daily_active"]);
    assert_eq!(check.query_path, "$.sql.check");
    // And its KPI's state gives it the text, under the key the Task reads.
    for b in &bindings {
        let key = b.query_path.strip_prefix("$.sql.").expect("under $.sql");
        for kpi in &b.kpis {
            assert!(
                kpi_pass(&m, &b.phase, kpi).contains_key(&format!("{key}.$")),
                "{kpi} {}",
                b.state
            );
        }
    }
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
        let key = b.query_path.strip_prefix("$.sql.").expect("under $.sql");
        let task = all_states(&m.definition.states)
            .into_iter()
            .find_map(|(n, s)| match s {
                State::Task(t) if n == b.state => Some(t),
                _ => None,
            })
            .expect("task");
        for kpi in &b.kpis {
            let statement = built
                .sql
                .kpis
                .iter()
                .find(|k| &k.kpi == kpi)
                .and_then(|k| k.statements.iter().find(|s| s.name == b.statement))
                .expect("statement");
            let pass = kpi_pass(m, &b.phase, kpi);
            let query = pass[&format!("{key}.$")].as_str().expect("string");
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
    }
    checked
}

#[test]
fn query_templates_give_back_the_sql() {
    let built = small("UTC");
    let (m, _) = emit_asl(&built.plan, &built.sql);
    let statements: usize = built.sql.kpis.iter().map(|k| k.statements.len()).sum();
    assert_eq!(check_round_trip(&built, &m), statements);
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
    assert!(built.sql.kpis.len() >= 15, "the engagement project");
    let statements: usize = built.sql.kpis.iter().map(|k| k.statements.len()).sum();
    assert_eq!(check_round_trip(&built, &m), statements);
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
    assert_eq!(targets, ["by_department.Day", "daily_active.Day"]);
    let items = &run["ItemProcessor"]["States"];
    let names: Vec<&str> = items
        .as_object()
        .expect("states")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        names,
        [
            "Level0.Route",
            "by_department.Day",
            "daily_active.Day",
            "Level0.03_write",
            "Level0.If.04_check",
            "Level0.04_check",
            "Level0.05_add_partition",
            "Level0.06_set_location",
            "Level0.Failed",
            "Level0.Unknown"
        ]
    );
    for kpi in ["by_department", "daily_active"] {
        assert_eq!(items[format!("{kpi}.Day")]["Next"], "Level0.03_write");
    }
    let keys = |kpi: &str| -> Vec<String> {
        items[format!("{kpi}.Day")]["Parameters"]
            .as_object()
            .expect("parameters")
            .keys()
            .cloned()
            .collect()
    };
    assert_eq!(
        keys("daily_active"),
        ["write.$", "check.$", "add_partition.$", "set_location.$"]
    );
    assert_eq!(
        keys("by_department"),
        ["write.$", "add_partition.$", "set_location.$"]
    );
    // A KPI without checks skips the check.
    let skip = &items["Level0.If.04_check"];
    assert_eq!(skip["Type"], "Choice");
    assert_eq!(skip["Choices"][0]["Variable"], "$.sql.check");
    assert_eq!(skip["Choices"][0]["IsPresent"], true);
    assert_eq!(skip["Choices"][0]["Next"], "Level0.04_check");
    assert_eq!(skip["Default"], "Level0.05_add_partition");
    let write = &items["Level0.03_write"];
    assert_eq!(write["Next"], "Level0.If.04_check");
    assert_eq!(write["Parameters"]["QueryString.$"], "$.sql.write");
    assert_eq!(
        write["Parameters"]["ClientRequestToken.$"],
        "States.Format('{}-03_write', $.attempt)"
    );
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
    let last = &items["Level0.06_set_location"];
    assert_eq!(last["End"], true);
    assert_eq!(last["OutputPath"], "$.query.State");
    // Setup statements run in the Setup phase only.
    let setup = &states["Setup.Run"]["ItemProcessor"]["States"];
    assert!(setup.get("Setup.01_create_table").is_some());
    assert_eq!(setup["weekly.Setup"]["Next"], "Setup.01_create_table");
    assert!(setup.get("Setup.If.01_create_table").is_none());
    assert!(items.get("Level0.01_create_table").is_none());
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

#[test]
fn a_statement_only_some_kpis_have_is_skipped_by_the_others() {
    // As if `weekly`'s table had lost columns: its migration runs first, in Setup.
    let mut built = small("UTC");
    let weekly = built
        .sql
        .kpis
        .iter_mut()
        .find(|k| k.kpi == "weekly")
        .expect("weekly");
    let mut migration = weekly.statements[0].clone();
    migration.name = "00_add_columns".into();
    migration.athena = kpi_compiler::sql::SqlText::from_marked(
        "ALTER TABLE `kpi_out`.`weekly` ADD COLUMNS (`x` bigint COMMENT 'it\\'s {new}')\n",
    );
    weekly.statements.insert(0, migration);
    let (m, d) = emit_asl(&built.plan, &built.sql);
    assert!(d.is_empty(), "{d:?}");
    let v = json(&m);
    let setup = &v["States"]["Setup.Run"]["ItemProcessor"]["States"];
    let names: Vec<&str> = setup
        .as_object()
        .expect("states")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        names,
        [
            "Setup.Route",
            "by_department.Setup",
            "daily_active.Setup",
            "weekly.Setup",
            "Setup.If.00_add_columns",
            "Setup.00_add_columns",
            "Setup.01_create_table",
            "Setup.02_create_attempts_table",
            "Setup.Failed",
            "Setup.Unknown"
        ]
    );
    assert_eq!(
        setup["daily_active.Setup"]["Next"],
        "Setup.If.00_add_columns"
    );
    assert_eq!(
        setup["Setup.If.00_add_columns"]["Default"],
        "Setup.01_create_table"
    );
    assert_eq!(
        setup["Setup.00_add_columns"]["Next"],
        "Setup.01_create_table"
    );
    let statements: usize = built.sql.kpis.iter().map(|k| k.statements.len()).sum();
    assert_eq!(check_round_trip(&built, &m), statements);
}
