//! A level's KPIs → its item processor, run once per (KPI, chunk of days): the route on the
//! item's KPI, the KPI's Pass state (its query texts and what its publish needs), the shared
//! write and check, the check's rows read back and judged per day, then the passing days
//! published through Glue (created, or updated where they already exist). A caught error
//! fails the item's days that are not published; the item always ends with its small result
//! `{kpi, first, last, bad, failures}`.

use super::build::{LevelKpi, MachineInput, jsonata_pass, present, unknown_kpi};
use super::jsonata::{self, ItemExpr};
use super::tasks::{
    ATTEMPT_PATH, FIRST_PATH, KPI_PATH, Keep, LAST_PATH, athena_retriers, athena_task,
    format_expression, glue_retriers, jsonata_catchers,
};
use super::types::{
    Choice, ChoiceRule, ExecutionType, ItemProcessor, MapMode, Pass, ProcessorConfig,
    QueryLanguage, Retrier, States, Task, Test, Transition,
};
use kpi_contract::aws::{
    ATHENA_GET_QUERY_RESULTS, GLUE_BATCH_CREATE_PARTITION, GLUE_BATCH_UPDATE_PARTITION,
    GLUE_GET_TABLE,
};
use serde_json::{Value, json};

/// The keys of the write's and the check's query texts under `$.sql`.
pub const WRITE_KEY: &str = "write";
pub const CHECK_KEY: &str = "check";

/// The KPI's state: the item's values, its query texts, and the publish literals.
fn chunk_pass(kpi: &LevelKpi<'_>, next: &str) -> Pass {
    let mut sql = serde_json::Map::new();
    sql.insert(
        format!("{WRITE_KEY}.$"),
        Value::String(format_expression(&kpi.write.athena)),
    );
    sql.insert(
        format!("{CHECK_KEY}.$"),
        Value::String(format_expression(&kpi.check.athena)),
    );
    Pass {
        parameters: Some(json!({
            "kpi.$": KPI_PATH,
            "first.$": FIRST_PATH,
            "last.$": LAST_PATH,
            "attempt.$": ATTEMPT_PATH,
            "sql": Value::Object(sql),
            "publish": {
                "location": kpi.attempts_location,
                "fingerprint": kpi.fingerprint,
                "leadIn": kpi.lead_in,
            },
        })),
        transition: Some(Transition::next(next)),
        ..Pass::default()
    }
}

/// A JSONata Task state calling `resource`.
pub fn jsonata_task(
    resource: &str,
    arguments: Value,
    output: String,
    retry: Vec<Retrier>,
    next: Transition,
    on_error: &str,
) -> Task {
    Task {
        query_language: Some(QueryLanguage::JsonAta),
        resource: resource.into(),
        arguments: Some(arguments),
        output: Some(output),
        retry,
        catch: jsonata_catchers(on_error),
        transition: next,
        ..Task::default()
    }
}

pub fn processor(phase: &str, kpis: &[LevelKpi<'_>], input: &MachineInput<'_>) -> ItemProcessor {
    let name = |s: &str| format!("{phase}.{s}");
    let (route, failed, unknown, outcome) = (
        name("Route"),
        name("Failed"),
        name("Unknown"),
        name("Outcome"),
    );
    let write = kpis.first().map_or("03_write", |k| k.write.name.as_str());
    let check = kpis.first().map_or("04_check", |k| k.check.name.as_str());
    let (write_state, check_state) = (name(write), name(check));
    let users: Vec<String> = kpis.iter().map(|k| k.name.to_string()).collect();
    let day = input.history_day;

    let mut states = States::default();
    states.add(
        route.clone(),
        Choice {
            comment: None,
            choices: kpis
                .iter()
                .map(|k| ChoiceRule {
                    variable: KPI_PATH.into(),
                    test: Test::StringEquals(k.name.to_string()),
                    next: format!("{}.Chunk", k.name),
                })
                .collect(),
            default: unknown.clone(),
        },
    );
    for kpi in kpis {
        states.add(format!("{}.Chunk", kpi.name), chunk_pass(kpi, &write_state));
    }
    states.add(
        write_state,
        athena_task(
            write,
            WRITE_KEY,
            users.clone(),
            Keep::Nothing,
            Transition::next(check_state.clone()),
            &failed,
        ),
    );
    states.add(
        check_state,
        athena_task(
            check,
            CHECK_KEY,
            users,
            Keep::QueryId(CHECK_KEY),
            Transition::next(name("Verdict")),
            &failed,
        ),
    );
    // The check's rows, read back; the Output keeps only the verdict, so neither the query
    // texts nor the rows go further.
    states.add(
        name("Verdict"),
        jsonata_task(
            ATHENA_GET_QUERY_RESULTS,
            json!({"QueryExecutionId": "{% $states.input.check.QueryExecutionId %}"}),
            jsonata::item(ItemExpr::Verdict, day),
            athena_retriers(),
            Transition::next(name("AnyPassed")),
            &failed,
        ),
    );
    states.add(
        name("AnyPassed"),
        present("$.todo[0]", &name("GetTable"), &outcome),
    );
    states.add(
        name("GetTable"),
        jsonata_task(
            GLUE_GET_TABLE,
            json!({"DatabaseName": "${Database}", "Name": "{% $states.input.kpi %}"}),
            "{% $merge([$states.input, {\"table\": $states.result.Table.StorageDescriptor}]) %}"
                .into(),
            glue_retriers(),
            Transition::next(name("Create")),
            &failed,
        ),
    );
    // Each Glue call takes as many of the days left as fit one request; the days Glue
    // already has are updated after every new one is created.
    states.add(
        name("Create"),
        jsonata_task(
            GLUE_BATCH_CREATE_PARTITION,
            json!({
                "DatabaseName": "${Database}",
                "TableName": "{% $states.input.kpi %}",
                "PartitionInputList": jsonata::item(ItemExpr::Create, day),
            }),
            jsonata::item(ItemExpr::Created, day),
            glue_retriers(),
            Transition::next(name("Publish")),
            &failed,
        ),
    );
    states.add(
        name("Publish"),
        Choice {
            comment: None,
            choices: vec![
                ChoiceRule {
                    variable: "$.todo[0]".into(),
                    test: Test::IsPresent(true),
                    next: name("Create"),
                },
                ChoiceRule {
                    variable: "$.again[0]".into(),
                    test: Test::IsPresent(true),
                    next: name("Update"),
                },
            ],
            default: outcome.clone(),
        },
    );
    states.add(
        name("Update"),
        jsonata_task(
            GLUE_BATCH_UPDATE_PARTITION,
            json!({
                "DatabaseName": "${Database}",
                "TableName": "{% $states.input.kpi %}",
                "Entries": jsonata::item(ItemExpr::Update, day),
            }),
            jsonata::item(ItemExpr::Updated, day),
            glue_retriers(),
            Transition::next(name("Publish")),
            &failed,
        ),
    );
    states.add(
        outcome,
        jsonata_pass(None, jsonata::item(ItemExpr::Outcome, day), Transition::END),
    );
    states.add(
        failed,
        jsonata_pass(
            Some("Fails the item's days not yet published and ends the item normally, so the rest completes."),
            jsonata::item(ItemExpr::Failed, day),
            Transition::END,
        ),
    );
    states.add(unknown, unknown_kpi());
    ItemProcessor {
        processor_config: ProcessorConfig {
            mode: input.mode,
            execution_type: (input.mode == MapMode::Distributed).then_some(ExecutionType::Standard),
        },
        start_at: route,
        states,
    }
}
