//! The JSON shapes, to and from the SDK's types, without a network.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::json;
use aws_sdk_athena::types::{
    AthenaError, QueryExecution, QueryExecutionState, QueryExecutionStatus, StatementType,
};
use aws_sdk_glue::types::{Column, SerDeInfo, StorageDescriptor, Table};
use serde_json::json;

#[test]
fn a_partition_input_as_the_machine_writes_it_becomes_the_sdks() {
    let input = json!({
        "Values": ["2024-01-03"],
        "StorageDescriptor": {
            "Columns": [{"Name": "company_id", "Type": "bigint"}, {"Name": "active", "Type": "bigint", "Comment": "members"}],
            "Location": "s3://lake/kpi/dam/attempts/dt=2024-01-03/attempt=a1/",
            "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
            "Compressed": false,
            "NumberOfBuckets": -1,
            "SerdeInfo": {"SerializationLibrary": "parquet", "Parameters": {"serialization.format": "1"}},
            "SortColumns": [{"Column": "company_id", "SortOrder": 0}],
            "StoredAsSubDirectories": false
        },
        "Parameters": {"kpi.fingerprint": "f1", "kpi.rows": "42"}
    });
    let p = json::partition_input(&input, "PartitionInputList[0]").unwrap();
    assert_eq!(p.values(), ["2024-01-03"]);
    let sd = p.storage_descriptor().unwrap();
    assert_eq!(
        sd.location(),
        Some("s3://lake/kpi/dam/attempts/dt=2024-01-03/attempt=a1/")
    );
    assert_eq!(sd.columns().len(), 2);
    assert_eq!(sd.columns()[1].comment(), Some("members"));
    assert_eq!(sd.number_of_buckets(), -1);
    assert_eq!(sd.sort_columns()[0].sort_order(), 0);
    assert_eq!(
        sd.serde_info().unwrap().parameters().unwrap()["serialization.format"],
        "1"
    );
    assert_eq!(p.parameters().unwrap()["kpi.rows"], "42");
}

#[test]
fn a_field_the_api_does_not_have_is_refused_by_name() {
    let input = json!({"Values": ["2024-01-03"], "StorageDescriptor": {"Colums": []}});
    let e = json::partition_input(&input, "PartitionInputList[0]").unwrap_err();
    assert!(
        e.contains("PartitionInputList[0].StorageDescriptor has no field `Colums`"),
        "{e}"
    );
    let e = json::partition_input(&json!({"Values": "2024-01-03"}), "P").unwrap_err();
    assert_eq!(e, "P.Values must be a list, not a string");
    let e = json::partition_input(&json!({"Parameters": {"kpi.rows": 42}}), "P").unwrap_err();
    assert_eq!(e, "P.Parameters.kpi.rows must be a string, not a number");
}

#[test]
fn get_tables_storage_descriptor_goes_back_into_a_partition_input_unchanged() {
    let sd = StorageDescriptor::builder()
        .columns(
            Column::builder()
                .name("a")
                .r#type("bigint")
                .build()
                .unwrap(),
        )
        .location("s3://lake/kpi/t/")
        .input_format("in")
        .output_format("out")
        .serde_info(
            SerDeInfo::builder()
                .serialization_library("lib")
                .parameters("serialization.format", "1")
                .build(),
        )
        .parameters("EXTERNAL", "TRUE")
        .build();
    let table = Table::builder()
        .name("t")
        .database_name("db")
        .table_type("EXTERNAL_TABLE")
        .storage_descriptor(sd.clone())
        .partition_keys(
            Column::builder()
                .name("dt")
                .r#type("string")
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let out = json::table_json(&table);
    assert_eq!(out["Name"], "t");
    assert_eq!(
        out["PartitionKeys"],
        json!([{"Name": "dt", "Type": "string"}])
    );
    assert_eq!(
        out["StorageDescriptor"]["SerdeInfo"],
        json!({"SerializationLibrary": "lib", "Parameters": {"serialization.format": "1"}})
    );
    let back = json::partition_input(
        &json!({"Values": ["2024-01-01"], "StorageDescriptor": out["StorageDescriptor"]}),
        "P",
    )
    .unwrap();
    assert_eq!(back.storage_descriptor(), Some(&sd));
}

#[test]
fn a_query_execution_has_the_fields_of_athenas_json() {
    let q = QueryExecution::builder()
        .query_execution_id("q-1")
        .query("SELECT 1")
        .statement_type(StatementType::Dml)
        .status(
            QueryExecutionStatus::builder()
                .state(QueryExecutionState::Failed)
                .state_change_reason("COLUMN_NOT_FOUND: line 1:8")
                .submission_date_time(aws_smithy_types::DateTime::from_millis(1_704_067_200_250))
                .athena_error(
                    AthenaError::builder()
                        .error_category(2)
                        .error_type(1006)
                        .error_message("COLUMN_NOT_FOUND")
                        .build(),
                )
                .build(),
        )
        .work_group("kpi")
        .build();
    let v = json::query_execution_json(&q);
    assert_eq!(v["QueryExecutionId"], "q-1");
    assert_eq!(v["StatementType"], "DML");
    assert_eq!(v["Status"]["State"], "FAILED");
    assert_eq!(
        v["Status"]["StateChangeReason"],
        "COLUMN_NOT_FOUND: line 1:8"
    );
    assert_eq!(v["Status"]["SubmissionDateTime"], json!(1_704_067_200.25));
    assert_eq!(v["Status"]["AthenaError"]["ErrorType"], 1006);
    assert_eq!(v["WorkGroup"], "kpi");
    assert!(v.get("Statistics").is_none());
}

/// A service's answer to `StartQueryExecution` with this code and message.
fn service_error(
    code: &str,
    message: &str,
) -> aws_sdk_athena::error::SdkError<
    aws_sdk_athena::operation::start_query_execution::StartQueryExecutionError,
    (),
> {
    use aws_sdk_athena::operation::start_query_execution::StartQueryExecutionError;
    let meta = aws_smithy_types::error::ErrorMetadata::builder()
        .code(code)
        .message(message)
        .build();
    aws_sdk_athena::error::SdkError::service_error(StartQueryExecutionError::generic(meta), ())
}

#[test]
fn a_service_error_takes_the_name_step_functions_gives_it() {
    let e = super::task_error(
        "Athena",
        "Athena StartQueryExecution",
        service_error("InvalidRequestException", "WorkGroup does not exist"),
    );
    assert_eq!(e.error, "Athena.InvalidRequestException");
    assert_eq!(e.cause, "WorkGroup does not exist");
}

#[test]
fn a_throttle_the_sdk_could_not_retry_away_says_so_under_the_name_the_machine_retries() {
    let e = super::task_error(
        "Athena",
        "Athena StartQueryExecution",
        service_error("ThrottlingException", "Rate exceeded"),
    );
    assert_eq!(e.error, "Athena.ThrottlingException");
    assert_eq!(
        e.cause,
        "Rate exceeded (throttled: Athena StartQueryExecution still failed after the SDK's retries)"
    );
    let e = super::task_error(
        "Athena",
        "Athena StartQueryExecution",
        service_error("TooManyRequestsException", "Too many queries"),
    );
    assert_eq!(e.error, "Athena.TooManyRequestsException");
}

#[test]
fn no_answer_at_all_is_a_task_failure_in_one_sentence() {
    let e = super::task_error(
        "Glue",
        "Glue GetTable of db.t",
        aws_sdk_glue::error::SdkError::<
            aws_sdk_glue::operation::get_table::GetTableError,
            (),
        >::construction_failure("no region"),
    );
    assert_eq!(e.error, "States.TaskFailed");
    assert_eq!(e.cause, "Glue GetTable of db.t failed: no region");
}
