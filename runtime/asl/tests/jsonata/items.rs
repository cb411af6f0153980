//! The compiler's item expressions, run by this crate's evaluator: a check's verdict, the
//! Glue requests and what their answers leave to do, and the failure records of caught
//! errors and of Inputs blocks.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::compiler::{eval, item_expr, project_kpis};
use serde_json::{Value, json};

fn item(name: &str, input: Value, result: Option<Value>) -> Value {
    let mut states = json!({"input": input});
    if let Some(r) = result {
        states["result"] = r;
    }
    eval(&item_expr(name), states)
}

fn chunk_state(kpi: &str) -> Value {
    json!({"kpi": kpi, "first": "2024-01-01", "last": "2024-01-04", "attempt": "a".repeat(64),
           "sql": {"write": "W", "check": "C"}, "check": {"QueryExecutionId": "q2"},
           "publish": {"location": format!("s3://lake/kpi/{kpi}/attempts/"), "fingerprint": "fp", "leadIn": 2}})
}

fn rows(list: &[(&str, &str, Option<&str>)]) -> Value {
    let cell = |v: &str| json!({"VarCharValue": v});
    let mut out = vec![json!({"Data": [cell("dt"), cell("rows"), cell("failure")]})];
    for (d, n, f) in list {
        out.push(json!({"Data": [cell(d), cell(n), f.map_or(json!({}), cell)]}));
    }
    json!({"ResultSet": {"Rows": out}})
}

#[test]
fn the_verdict_and_the_glue_requests() {
    let kpi = &project_kpis()[5];
    let verdict = item(
        "verdict",
        chunk_state(kpi),
        Some(rows(&[
            ("2024-01-01", "3", None),
            ("2024-01-02", "0", Some("check failed (n > 0) on 1 rows")),
            ("2024-01-04", "7", None),
            ("2024-01-09", "1", None),
        ])),
    );
    assert!(
        verdict.get("sql").is_none(),
        "the query texts go no further"
    );
    assert_eq!(verdict["bad"], "0110");
    assert_eq!(
        verdict["pass"],
        json!([{"day": "2024-01-01", "rows": "3"}, {"day": "2024-01-04", "rows": "7"}])
    );
    assert_eq!(
        (verdict["todo"].clone(), verdict["again"].clone()),
        (json!(["2024-01-01", "2024-01-04"]), json!([]))
    );
    assert_eq!(
        verdict["failures"][1]["cause"],
        "the check returned no row for 2024-01-03"
    );
    let mut it = verdict.clone();
    it["table"] = json!({"Columns": [{"Name": "company_id", "Type": "bigint", "Comment": "c"}], "Location": "s3://lake/kpi/x/", "InputFormat": "in"});
    let create = item("create", it.clone(), None);
    assert_eq!(
        create[0],
        json!({"Values": ["2024-01-01"],
               "StorageDescriptor": {"Columns": [{"Name": "company_id", "Type": "bigint"}],
                   "Location": format!("s3://lake/kpi/{kpi}/attempts/dt=2024-01-01/attempt={}/", "a".repeat(64)), "InputFormat": "in"},
               "Parameters": {"kpi.fingerprint": "fp", "kpi.attempt": "a".repeat(64), "kpi.rows": "3", "kpi.partial": "true"}})
    );
    assert_eq!(create[1]["Parameters"]["kpi.partial"], "false");
    // Glue had 2024-01-04 (and only that: the answer's one error is AlreadyExists).
    let exists = json!({"Errors": [{"PartitionValues": ["2024-01-04"], "ErrorDetail": {"ErrorCode": "AlreadyExistsException", "ErrorMessage": "exists"}}]});
    let created = item("created", it.clone(), Some(exists));
    assert_eq!(
        (created["todo"].clone(), created["again"].clone()),
        (json!([]), json!(["2024-01-04"]))
    );
    assert_eq!(created["bad"], "0110");
    let update = item("update", created.clone(), None);
    assert_eq!(update[0]["PartitionValueList"], json!(["2024-01-04"]));
    assert_eq!(update[0]["PartitionInput"], create[1]);
    let refused = json!({"Errors": [{"PartitionValueList": ["2024-01-04"], "ErrorDetail": {"ErrorCode": "EntityNotFoundException", "ErrorMessage": "gone"}}]});
    let updated = item("updated", created.clone(), Some(refused));
    assert_eq!(updated["bad"], "0111");
    assert_eq!(updated["again"], json!([]));
    assert_eq!(updated["failures"].as_array().expect("failures").len(), 3);
    assert_eq!(
        item("outcome", updated.clone(), None),
        json!({"kpi": kpi, "first": "2024-01-01", "last": "2024-01-04", "bad": "0111", "failures": updated["failures"]})
    );
    // A table too wide for one request goes in several: as many entries as fit.
    let mut wide = it.clone();
    let columns: Vec<Value> = (0..4000)
        .map(|i| json!({"Name": format!("c{i}"), "Type": "bigint"}))
        .collect();
    wide["table"]["Columns"] = Value::Array(columns);
    let first = item("create", wide.clone(), None);
    assert_eq!(first.as_array().expect("entries").len(), 1);
    assert!(first.to_string().len() < 196_608);
    let rest = item("created", wide, Some(json!({"Errors": []})));
    assert_eq!(rest["todo"], json!(["2024-01-04"]));
}

#[test]
fn a_caught_error_fails_the_days_not_yet_published() {
    let kpi = &project_kpis()[6];
    let mut before = chunk_state(kpi);
    let cause = json!({"QueryExecution": {"Status": {"State": "FAILED", "StateChangeReason": "HIVE_BAD_DATA: file x"}}});
    before["error"] = json!({"Error": "Athena.AmazonAthenaException", "Cause": cause.to_string()});
    let failed = item("failed", before, None);
    assert_eq!(failed["bad"], "1111");
    assert_eq!(
        failed["failures"],
        json!([{"day": "2024-01-01", "error": "Athena.AmazonAthenaException", "cause": "HIVE_BAD_DATA: file x"},
               {"day": "2024-01-02", "error": "Athena.AmazonAthenaException", "cause": "HIVE_BAD_DATA: file x"},
               {"day": "2024-01-03", "error": "Athena.AmazonAthenaException", "cause": "HIVE_BAD_DATA: file x"}])
    );
    // After the creates, only the days left to update fail.
    let mut during = json!({"kpi": kpi, "first": "2024-01-01", "last": "2024-01-04", "bad": "0100",
                            "failures": [{"day": "2024-01-02", "error": "Kpi.CheckFailed", "cause": "n"}],
                            "todo": [], "again": ["2024-01-04"]});
    during["error"] = json!({"Error": "Glue.AccessDeniedException", "Cause": "not allowed \u{e9}"});
    let failed = item("failed", during, None);
    assert_eq!(failed["bad"], "0101");
    assert_eq!(
        failed["failures"][1],
        json!({"day": "2024-01-04", "error": "Glue.AccessDeniedException", "cause": "not allowed ?"})
    );
    assert_eq!(
        item(
            "setup_failed",
            json!({"kpi": kpi, "error": {"Error": "", "Cause": "x"}}),
            None
        ),
        json!({"kpi": kpi, "error": "Kpi.UnknownError", "cause": "x"})
    );
}

#[test]
fn inputs_items_ask_again_for_unprocessed_keys() {
    let block = json!({"source": "events", "db": "app_logs", "table": "events", "first": "2024-01-01", "last": "2024-01-03"});
    assert_eq!(
        item("inputs_keys", block.clone(), None),
        json!([{"Values": ["2024-01-01"]}, {"Values": ["2024-01-02"]}, {"Values": ["2024-01-03"]}])
    );
    let left = item(
        "inputs_found",
        block.clone(),
        Some(
            json!({"Partitions": [{"Values": ["2024-01-01"]}], "UnprocessedKeys": [{"Values": ["2024-01-03"]}]}),
        ),
    );
    assert_eq!(left["keys"], json!([{"Values": ["2024-01-03"]}]));
    assert_eq!(
        item("inputs_keys", left.clone(), None),
        json!([{"Values": ["2024-01-03"]}])
    );
    let done = item(
        "inputs_found",
        left.clone(),
        Some(json!({"Partitions": [{"Values": ["2024-01-03"]}], "UnprocessedKeys": []})),
    );
    assert_eq!(
        done,
        json!({"source": "events", "first": "2024-01-01", "last": "2024-01-03", "found": ["2024-01-01", "2024-01-03"]})
    );
    let mut stuck = left;
    stuck["tries"] = json!(4);
    let gave_up = item(
        "inputs_found",
        stuck,
        Some(json!({"Partitions": [], "UnprocessedKeys": [{"Values": ["2024-01-03"]}]})),
    );
    assert_eq!(gave_up["error"], "Kpi.InputsUnknown");
    assert!(gave_up.get("keys").is_none());
}
