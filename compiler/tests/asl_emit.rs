//! The state machine of small projects: deterministic, every Athena Task bound to its
//! statement, the Glue and result-reading Tasks in place, and the expected shape. (The query
//! texts are decoded by the interpreter's own `States.Format` in `tests/local_machine.rs`.)

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "asl_support.rs"]
mod support;

use kpi_compiler::asl::{ATHENA_SYNC, State, StateMachine, States, emit_asl, task_bindings};
use kpi_contract::aws;
use serde_json::{Value, json};
use support::{machine, small};

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

fn names(v: &Value) -> Vec<&str> {
    v.as_object()
        .expect("states")
        .keys()
        .map(String::as_str)
        .collect()
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
    let athena: Vec<(String, State)> = all_states(&m.definition.states)
        .into_iter()
        .filter(|(_, s)| matches!(s, State::Task(t) if t.resource == ATHENA_SYNC))
        .collect();
    assert_eq!(bindings.len(), athena.len());
    let names: Vec<&str> = bindings.iter().map(|b| b.state.as_str()).collect();
    assert_eq!(
        names,
        [
            "Setup.01_create_table",
            "Setup.02_create_attempts_table",
            "Level0.03_write",
            "Level0.04_check",
            "Level1.03_write",
            "Level1.04_check",
        ]
    );
    for b in &bindings {
        assert_eq!(b.state, format!("{}.{}", b.phase, b.statement));
    }
    // Every statement of every KPI runs in exactly one Task state.
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
    // The other Tasks read rows and talk to Glue, bound to no statement.
    let mut others: Vec<String> = all_states(&m.definition.states)
        .into_iter()
        .filter_map(|(n, s)| match s {
            State::Task(t) if t.resource != ATHENA_SYNC => Some(format!("{n} {}", t.resource)),
            _ => None,
        })
        .collect();
    others.sort();
    assert_eq!(
        others,
        [
            format!("Inputs.Get {}", aws::GLUE_BATCH_GET_PARTITION),
            format!("Level0.Create {}", aws::GLUE_BATCH_CREATE_PARTITION),
            format!("Level0.GetTable {}", aws::GLUE_GET_TABLE),
            format!("Level0.Update {}", aws::GLUE_BATCH_UPDATE_PARTITION),
            format!("Level0.Verdict {}", aws::ATHENA_GET_QUERY_RESULTS),
            format!("Level1.Create {}", aws::GLUE_BATCH_CREATE_PARTITION),
            format!("Level1.GetTable {}", aws::GLUE_GET_TABLE),
            format!("Level1.Update {}", aws::GLUE_BATCH_UPDATE_PARTITION),
            format!("Level1.Verdict {}", aws::ATHENA_GET_QUERY_RESULTS),
        ]
    );
    assert!(
        others
            .iter()
            .all(|o| aws::RESOURCES.iter().any(|r| o.ends_with(r)))
    );
}

#[test]
fn shape_of_the_small_machine() {
    let built = small("UTC");
    let (m, _) = machine(&built, 7);
    let v = json(&m);
    assert_eq!(v["StartAt"], "Prepare");
    assert_eq!(v["QueryLanguage"], "JSONPath");
    let mut phases = Vec::new();
    for p in ["Setup", "Inputs", "Level0", "Level1"] {
        phases.extend([format!("{p}.Plan"), format!("{p}.Run"), format!("{p}.More")]);
    }
    let expected: Vec<String> = ["Prepare", "Validate", "InvalidInput"]
        .into_iter()
        .map(String::from)
        .chain(phases)
        .chain(["Finish", "Done", "Failed", "Succeeded"].map(String::from))
        .collect();
    assert_eq!(names(&v["States"]), expected);
    let states = &v["States"];
    assert_eq!(states["Prepare"]["QueryLanguage"], "JSONata");
    assert_eq!(states["InvalidInput"]["Error"], "Kpi.InvalidInput");
    assert_eq!(states["Failed"]["Error"], "Kpi.Failed");
    let run = &states["Level0.Run"];
    assert_eq!(run["MaxConcurrency"], 4);
    assert_eq!(run["ItemProcessor"]["ProcessorConfig"]["Mode"], "INLINE");
    // The attempt every token and prefix uses: hashed from the execution, its redrive count,
    // the KPI and the chunk.
    assert_eq!(
        run["ItemSelector"]["attempt.$"],
        "States.Hash(States.Format('{}|{}|{}|{}|{}', $$.Execution.Id, $$.Execution.RedriveCount, $$.Map.Item.Value.kpi, $$.Map.Item.Value.first, $$.Map.Item.Value.last), 'SHA-256')"
    );
    let items = &run["ItemProcessor"]["States"];
    assert_eq!(
        names(items),
        [
            "Level0.Route",
            "by_department.Chunk",
            "daily_active.Chunk",
            "Level0.03_write",
            "Level0.04_check",
            "Level0.Verdict",
            "Level0.AnyPassed",
            "Level0.GetTable",
            "Level0.Create",
            "Level0.Publish",
            "Level0.Update",
            "Level0.Outcome",
            "Level0.Failed",
            "Level0.Unknown"
        ]
    );
    let chunk = &items["daily_active.Chunk"];
    assert_eq!(chunk["Next"], "Level0.03_write");
    let daily = built.plan.kpi("daily_active").expect("kpi");
    assert_eq!(chunk["Parameters"]["kpi.$"], "$.kpi");
    assert_eq!(chunk["Parameters"]["first.$"], "$.first");
    assert_eq!(chunk["Parameters"]["last.$"], "$.last");
    assert_eq!(chunk["Parameters"]["attempt.$"], "$.attempt");
    assert_eq!(
        chunk["Parameters"]["publish"],
        json!({"location": daily.attempts_location, "fingerprint": daily.fingerprint, "leadIn": 0})
    );
    let sql: Vec<&str> = names(&chunk["Parameters"]["sql"]);
    assert_eq!(sql, ["write.$", "check.$"]);
    assert!(
        chunk["Parameters"]["sql"]["write.$"]
            .as_str()
            .is_some_and(|s| s.starts_with("States.Format('")
                && s.contains("$.first")
                && s.contains("$.attempt"))
    );
    // weekly reads daily_active over 7 days: six days before its first.
    let weekly = &states["Level1.Run"]["ItemProcessor"]["States"]["weekly.Chunk"];
    assert_eq!(weekly["Parameters"]["publish"]["leadIn"], 6);

    let write = &items["Level0.03_write"];
    assert_eq!(write["Next"], "Level0.04_check");
    assert_eq!(write["Parameters"]["QueryString.$"], "$.sql.write");
    assert_eq!(write["ResultPath"], Value::Null);
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
    let check = &items["Level0.04_check"];
    assert_eq!(
        check["ResultSelector"],
        json!({"QueryExecutionId.$": "$.QueryExecution.QueryExecutionId"})
    );
    assert_eq!(check["ResultPath"], "$.check");
    let verdict = &items["Level0.Verdict"];
    assert_eq!(verdict["QueryLanguage"], "JSONata");
    assert_eq!(
        verdict["Arguments"],
        json!({"QueryExecutionId": "{% $states.input.check.QueryExecutionId %}"})
    );
    // Retry Athena's throttling on Athena calls and Glue's on Glue calls; catch TaskFailed,
    // then everything else, into the item's failure state.
    let errors = |state: &Value| -> Vec<String> {
        state["Retry"]
            .as_array()
            .expect("retry")
            .iter()
            .flat_map(|r| r["ErrorEquals"].as_array().expect("errors").iter())
            .map(|e| e.as_str().expect("name").to_string())
            .collect()
    };
    for state in [write, check, verdict] {
        assert_eq!(
            errors(state),
            [
                "Athena.TooManyRequestsException",
                "Athena.ThrottlingException",
                "Athena.InternalServerException"
            ]
        );
    }
    for name in ["Level0.GetTable", "Level0.Create", "Level0.Update"] {
        let glue = errors(&items[name]);
        assert!(
            glue.contains(&"Glue.ThrottlingException".to_string()),
            "{name}"
        );
        assert!(
            glue.contains(&"Glue.AWSGlueException".to_string()),
            "{name}"
        );
        assert_eq!(items[name]["QueryLanguage"], "JSONata");
        assert_eq!(items[name]["Arguments"]["DatabaseName"], "${Database}");
        assert_eq!(items[name]["Catch"][0]["Next"], "Level0.Failed");
    }
    for state in [write, check, verdict, &items["Level0.Create"]] {
        let catchers: Vec<&Value> = state["Catch"].as_array().expect("catch").iter().collect();
        assert_eq!(catchers[0]["ErrorEquals"], json!(["States.TaskFailed"]));
        assert_eq!(catchers[1]["ErrorEquals"], json!(["States.ALL"]));
        assert!(catchers.iter().all(|c| c["Next"] == "Level0.Failed"));
    }
    assert_eq!(write["Catch"][0]["ResultPath"], "$.error");
    assert!(
        items["Level0.Create"]["Catch"][0]["Output"]
            .as_str()
            .is_some_and(|o| o.contains("$states.errorOutput"))
    );
    assert_eq!(
        items["Level0.Create"]["Arguments"]["TableName"],
        "{% $states.input.kpi %}"
    );
    assert_eq!(
        items["Level0.GetTable"]["Arguments"]["Name"],
        "{% $states.input.kpi %}"
    );
    let publish = &items["Level0.Publish"];
    assert_eq!(
        publish["Choices"][0],
        json!({"Variable": "$.todo[0]", "IsPresent": true, "Next": "Level0.Create"})
    );
    assert_eq!(
        publish["Choices"][1],
        json!({"Variable": "$.again[0]", "IsPresent": true, "Next": "Level0.Update"})
    );
    assert_eq!(publish["Default"], "Level0.Outcome");
    assert_eq!(items["Level0.Update"]["Next"], "Level0.Publish");
    assert_eq!(items["Level0.Outcome"]["End"], true);
    assert_eq!(items["Level0.Failed"]["End"], true);
    // Inputs asks Glue about the sources' partitions, again for what Glue left unprocessed.
    let get = &states["Inputs.Run"]["ItemProcessor"]["States"];
    assert_eq!(
        names(get),
        ["Inputs.Get", "Inputs.Again", "Inputs.Done", "Inputs.Failed"]
    );
    assert!(states["Inputs.Run"].get("ItemSelector").is_none());
    assert_eq!(
        get["Inputs.Get"]["Arguments"]["DatabaseName"],
        "{% $states.input.db %}"
    );
    assert_eq!(get["Inputs.Again"]["Choices"][0]["Variable"], "$.keys[0]");
    assert_eq!(get["Inputs.Again"]["Choices"][0]["Next"], "Inputs.Get");
    // Setup statements run in the Setup phase only.
    let setup = &states["Setup.Run"]["ItemProcessor"]["States"];
    assert_eq!(setup["weekly.Setup"]["Next"], "Setup.01_create_table");
    assert_eq!(setup["weekly.Setup"]["ResultPath"], "$.sql");
    assert_eq!(
        setup["Setup.02_create_attempts_table"]["OutputPath"],
        "$.kpi"
    );
    assert!(items.get("Level0.01_create_table").is_none());
    // Every JSONata field is one line, as asl-validator requires.
    for (_, s) in all_states(&m.definition.states) {
        let text = serde_json::to_string(&s).expect("json");
        for part in text.split("{%").skip(1) {
            assert!(!part.contains('\n'), "{part}");
            assert!(part.starts_with(' ') && part.contains(" %}"), "{part}");
        }
    }
}

#[test]
fn report_numbers_for_the_starter_project() {
    let built = support::starter();
    let (m, d) = emit_asl(&built.plan, &built.sql);
    assert!(d.is_empty(), "{d:?}");
    let one = kpi_compiler::asl::history_estimate(&built.plan, &built.sql, 1);
    let year = kpi_compiler::asl::history_estimate(&built.plan, &built.sql, 366);
    println!("stats: {:#?}", m.stats);
    println!("1 day: {one:?}\n366 days: {year:?}");
    assert!(one.inline < year.inline);
    // 16 KPIs over a year in chunks of 100 days: inline, within Step Functions' limit even
    // for the most scattered days an execution accepts.
    assert!(!m.stats.distributed, "{:?}", m.stats);
    assert!(year.inline < m.stats.inline_history_events);
    assert!(m.stats.inline_history_events <= 25_000);
    assert_eq!(m.stats.max_runs, 4);
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
    migration.athena = kpi_contract::SqlText::text(
        "ALTER TABLE `kpi_out`.`weekly` ADD COLUMNS (`x` bigint COMMENT 'it\\'s {new}')\n",
    );
    weekly.statements.insert(0, migration);
    let (m, d) = emit_asl(&built.plan, &built.sql);
    assert!(d.is_empty(), "{d:?}");
    let v = json(&m);
    let setup = &v["States"]["Setup.Run"]["ItemProcessor"]["States"];
    assert_eq!(
        names(setup),
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
    let texts: Vec<&str> = names(&setup["weekly.Setup"]["Parameters"]);
    assert_eq!(
        texts,
        ["add_columns.$", "create_table.$", "create_attempts_table.$"]
    );
    assert_eq!(
        names(&setup["daily_active.Setup"]["Parameters"]),
        ["create_table.$", "create_attempts_table.$"]
    );
    // The literal's quote and braces are escaped for States.Format.
    assert!(
        m.to_json().contains(r"COMMENT \\'it{}\\'s \\{new\\}\\')"),
        "escaped literal missing"
    );
}
