//! The services' JSON (what Step Functions passes a Task and hands the state back) to and
//! from the SDK's types, with the field names of the services' JSON APIs. A parameter the API
//! does not have is refused by name rather than dropped; timestamps are epoch seconds, as the
//! JSON APIs send them.

use aws_sdk_athena::types::{
    ColumnInfo, Datum, QueryExecution, QueryExecutionStatistics, QueryExecutionStatus, Row,
};
use aws_sdk_glue::types::{
    Column, Order, Partition, PartitionInput, SerDeInfo, SkewedInfo, StorageDescriptor, Table,
};
use aws_smithy_types::DateTime;
use serde_json::{Map, Value, json};
use std::collections::HashMap;

type Object = Map<String, Value>;

/// `v` as an object whose keys are all among `keys`.
pub(super) fn object<'v>(v: &'v Value, what: &str, keys: &[&str]) -> Result<&'v Object, String> {
    let map = v
        .as_object()
        .ok_or_else(|| format!("{what} must be an object, not {}", kind(v)))?;
    if let Some(unknown) = map.keys().find(|k| !keys.contains(&k.as_str())) {
        return Err(format!(
            "{what} has no field `{unknown}` (its fields: {})",
            keys.join(", ")
        ));
    }
    Ok(map)
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

pub(super) fn opt_str(map: &Object, key: &str, what: &str) -> Result<Option<String>, String> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(v) => Err(format!("{what}.{key} must be a string, not {}", kind(v))),
    }
}

pub(super) fn req_str(map: &Object, key: &str, what: &str) -> Result<String, String> {
    opt_str(map, key, what)?.ok_or_else(|| format!("{what}.{key} is required"))
}

fn opt_bool(map: &Object, key: &str, what: &str) -> Result<Option<bool>, String> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(v) => Err(format!("{what}.{key} must be a boolean, not {}", kind(v))),
    }
}

pub(super) fn opt_i32(map: &Object, key: &str, what: &str) -> Result<Option<i32>, String> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_i64()
            .and_then(|n| i32::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| format!("{what}.{key} must be a whole number, not {v}")),
    }
}

pub(super) fn opt_list<'v>(
    map: &'v Object,
    key: &str,
    what: &str,
) -> Result<Option<&'v Vec<Value>>, String> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => Ok(Some(items)),
        Some(v) => Err(format!("{what}.{key} must be a list, not {}", kind(v))),
    }
}

pub(super) fn opt_strings(
    map: &Object,
    key: &str,
    what: &str,
) -> Result<Option<Vec<String>>, String> {
    let Some(items) = opt_list(map, key, what)? else {
        return Ok(None);
    };
    items
        .iter()
        .map(|v| {
            v.as_str()
                .map(str::to_string)
                .ok_or_else(|| format!("{what}.{key} must list strings, not {}", kind(v)))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

fn opt_string_map(
    map: &Object,
    key: &str,
    what: &str,
) -> Result<Option<HashMap<String, String>>, String> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k.clone(), s.clone())),
                other => Err(format!(
                    "{what}.{key}.{k} must be a string, not {}",
                    kind(other)
                )),
            })
            .collect::<Result<HashMap<_, _>, _>>()
            .map(Some),
        Some(v) => Err(format!(
            "{what}.{key} must be an object of strings, not {}",
            kind(v)
        )),
    }
}

fn column(v: &Value, what: &str) -> Result<Column, String> {
    let m = object(v, what, &["Name", "Type", "Comment", "Parameters"])?;
    Column::builder()
        .name(req_str(m, "Name", what)?)
        .set_type(opt_str(m, "Type", what)?)
        .set_comment(opt_str(m, "Comment", what)?)
        .set_parameters(opt_string_map(m, "Parameters", what)?)
        .build()
        .map_err(|e| format!("{what}: {e}"))
}

fn columns(m: &Object, key: &str, what: &str) -> Result<Option<Vec<Column>>, String> {
    let Some(items) = opt_list(m, key, what)? else {
        return Ok(None);
    };
    items
        .iter()
        .enumerate()
        .map(|(i, c)| column(c, &format!("{what}.{key}[{i}]")))
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

fn serde_info(v: &Value, what: &str) -> Result<SerDeInfo, String> {
    let m = object(v, what, &["Name", "SerializationLibrary", "Parameters"])?;
    Ok(SerDeInfo::builder()
        .set_name(opt_str(m, "Name", what)?)
        .set_serialization_library(opt_str(m, "SerializationLibrary", what)?)
        .set_parameters(opt_string_map(m, "Parameters", what)?)
        .build())
}

fn order(v: &Value, what: &str) -> Result<Order, String> {
    let m = object(v, what, &["Column", "SortOrder"])?;
    Order::builder()
        .column(req_str(m, "Column", what)?)
        .sort_order(opt_i32(m, "SortOrder", what)?.unwrap_or(1))
        .build()
        .map_err(|e| format!("{what}: {e}"))
}

fn skewed_info(v: &Value, what: &str) -> Result<SkewedInfo, String> {
    let m = object(
        v,
        what,
        &[
            "SkewedColumnNames",
            "SkewedColumnValues",
            "SkewedColumnValueLocationMaps",
        ],
    )?;
    Ok(SkewedInfo::builder()
        .set_skewed_column_names(opt_strings(m, "SkewedColumnNames", what)?)
        .set_skewed_column_values(opt_strings(m, "SkewedColumnValues", what)?)
        .set_skewed_column_value_location_maps(opt_string_map(
            m,
            "SkewedColumnValueLocationMaps",
            what,
        )?)
        .build())
}

const STORAGE_DESCRIPTOR: [&str; 13] = [
    "Columns",
    "Location",
    "AdditionalLocations",
    "InputFormat",
    "OutputFormat",
    "Compressed",
    "NumberOfBuckets",
    "SerdeInfo",
    "BucketColumns",
    "SortColumns",
    "Parameters",
    "SkewedInfo",
    "StoredAsSubDirectories",
];

pub(super) fn storage_descriptor(v: &Value, what: &str) -> Result<StorageDescriptor, String> {
    let m = object(v, what, &STORAGE_DESCRIPTOR)?;
    let sort = match opt_list(m, "SortColumns", what)? {
        None => None,
        Some(items) => Some(
            items
                .iter()
                .enumerate()
                .map(|(i, o)| order(o, &format!("{what}.SortColumns[{i}]")))
                .collect::<Result<Vec<_>, _>>()?,
        ),
    };
    Ok(StorageDescriptor::builder()
        .set_columns(columns(m, "Columns", what)?)
        .set_location(opt_str(m, "Location", what)?)
        .set_additional_locations(opt_strings(m, "AdditionalLocations", what)?)
        .set_input_format(opt_str(m, "InputFormat", what)?)
        .set_output_format(opt_str(m, "OutputFormat", what)?)
        .set_compressed(opt_bool(m, "Compressed", what)?)
        .set_number_of_buckets(opt_i32(m, "NumberOfBuckets", what)?)
        .set_serde_info(
            m.get("SerdeInfo")
                .filter(|v| !v.is_null())
                .map(|v| serde_info(v, &format!("{what}.SerdeInfo")))
                .transpose()?,
        )
        .set_bucket_columns(opt_strings(m, "BucketColumns", what)?)
        .set_sort_columns(sort)
        .set_parameters(opt_string_map(m, "Parameters", what)?)
        .set_skewed_info(
            m.get("SkewedInfo")
                .filter(|v| !v.is_null())
                .map(|v| skewed_info(v, &format!("{what}.SkewedInfo")))
                .transpose()?,
        )
        .set_stored_as_sub_directories(opt_bool(m, "StoredAsSubDirectories", what)?)
        .build())
}

pub(super) fn partition_input(v: &Value, what: &str) -> Result<PartitionInput, String> {
    let m = object(v, what, &["Values", "StorageDescriptor", "Parameters"])?;
    Ok(PartitionInput::builder()
        .set_values(opt_strings(m, "Values", what)?)
        .set_storage_descriptor(
            m.get("StorageDescriptor")
                .filter(|v| !v.is_null())
                .map(|v| storage_descriptor(v, &format!("{what}.StorageDescriptor")))
                .transpose()?,
        )
        .set_parameters(opt_string_map(m, "Parameters", what)?)
        .build())
}

/// Adds `key: value` when there is a value.
fn put(m: &mut Object, key: &str, value: Option<Value>) {
    if let Some(v) = value {
        m.insert(key.to_string(), v);
    }
}

fn strings(items: &[String]) -> Option<Value> {
    (!items.is_empty()).then(|| json!(items))
}

fn string_map(map: Option<&HashMap<String, String>>) -> Option<Value> {
    map.map(|m| {
        let mut sorted: Vec<_> = m.iter().collect();
        sorted.sort();
        Value::Object(
            sorted
                .into_iter()
                .map(|(k, v)| (k.clone(), json!(v)))
                .collect(),
        )
    })
}

/// Epoch seconds, with the milliseconds, as the JSON APIs send a timestamp.
fn time(t: Option<&DateTime>) -> Option<Value> {
    let t = t?;
    let millis = t.to_millis().ok()?;
    serde_json::Number::from_f64(millis as f64 / 1000.0).map(Value::Number)
}

fn column_json(c: &Column) -> Value {
    let mut m = Object::new();
    m.insert("Name".into(), json!(c.name()));
    put(&mut m, "Type", c.r#type().map(|t| json!(t)));
    put(&mut m, "Comment", c.comment().map(|t| json!(t)));
    put(&mut m, "Parameters", string_map(c.parameters()));
    Value::Object(m)
}

fn storage_descriptor_json(sd: &StorageDescriptor) -> Value {
    let mut m = Object::new();
    m.insert(
        "Columns".into(),
        Value::Array(sd.columns().iter().map(column_json).collect()),
    );
    put(&mut m, "Location", sd.location().map(|t| json!(t)));
    put(
        &mut m,
        "AdditionalLocations",
        strings(sd.additional_locations()),
    );
    put(&mut m, "InputFormat", sd.input_format().map(|t| json!(t)));
    put(&mut m, "OutputFormat", sd.output_format().map(|t| json!(t)));
    m.insert("Compressed".into(), json!(sd.compressed()));
    m.insert("NumberOfBuckets".into(), json!(sd.number_of_buckets()));
    put(
        &mut m,
        "SerdeInfo",
        sd.serde_info().map(|s| {
            let mut o = Object::new();
            put(&mut o, "Name", s.name().map(|t| json!(t)));
            put(
                &mut o,
                "SerializationLibrary",
                s.serialization_library().map(|t| json!(t)),
            );
            put(&mut o, "Parameters", string_map(s.parameters()));
            Value::Object(o)
        }),
    );
    put(&mut m, "BucketColumns", strings(sd.bucket_columns()));
    if !sd.sort_columns().is_empty() {
        m.insert(
            "SortColumns".into(),
            Value::Array(
                sd.sort_columns()
                    .iter()
                    .map(|o| json!({"Column": o.column(), "SortOrder": o.sort_order()}))
                    .collect(),
            ),
        );
    }
    put(&mut m, "Parameters", string_map(sd.parameters()));
    put(
        &mut m,
        "SkewedInfo",
        sd.skewed_info().map(|s| {
            let mut o = Object::new();
            put(
                &mut o,
                "SkewedColumnNames",
                strings(s.skewed_column_names()),
            );
            put(
                &mut o,
                "SkewedColumnValues",
                strings(s.skewed_column_values()),
            );
            put(
                &mut o,
                "SkewedColumnValueLocationMaps",
                string_map(s.skewed_column_value_location_maps()),
            );
            Value::Object(o)
        }),
    );
    m.insert(
        "StoredAsSubDirectories".into(),
        json!(sd.stored_as_sub_directories()),
    );
    Value::Object(m)
}

/// GetTable's `Table`.
pub(super) fn table_json(t: &Table) -> Value {
    let mut m = Object::new();
    m.insert("Name".into(), json!(t.name()));
    put(&mut m, "DatabaseName", t.database_name().map(|s| json!(s)));
    put(&mut m, "Description", t.description().map(|s| json!(s)));
    put(&mut m, "Owner", t.owner().map(|s| json!(s)));
    put(&mut m, "CreateTime", time(t.create_time()));
    put(&mut m, "UpdateTime", time(t.update_time()));
    put(&mut m, "LastAccessTime", time(t.last_access_time()));
    m.insert("Retention".into(), json!(t.retention()));
    put(
        &mut m,
        "StorageDescriptor",
        t.storage_descriptor().map(storage_descriptor_json),
    );
    m.insert(
        "PartitionKeys".into(),
        Value::Array(t.partition_keys().iter().map(column_json).collect()),
    );
    put(&mut m, "TableType", t.table_type().map(|s| json!(s)));
    put(&mut m, "Parameters", string_map(t.parameters()));
    put(&mut m, "CreatedBy", t.created_by().map(|s| json!(s)));
    m.insert(
        "IsRegisteredWithLakeFormation".into(),
        json!(t.is_registered_with_lake_formation()),
    );
    put(&mut m, "CatalogId", t.catalog_id().map(|s| json!(s)));
    put(&mut m, "VersionId", t.version_id().map(|s| json!(s)));
    Value::Object(m)
}

/// One of BatchGetPartition's `Partitions`.
pub(super) fn partition_json(p: &Partition) -> Value {
    let mut m = Object::new();
    m.insert("Values".into(), json!(p.values()));
    put(&mut m, "DatabaseName", p.database_name().map(|s| json!(s)));
    put(&mut m, "TableName", p.table_name().map(|s| json!(s)));
    put(&mut m, "CreationTime", time(p.creation_time()));
    put(&mut m, "LastAccessTime", time(p.last_access_time()));
    put(
        &mut m,
        "StorageDescriptor",
        p.storage_descriptor().map(storage_descriptor_json),
    );
    put(&mut m, "Parameters", string_map(p.parameters()));
    put(&mut m, "CatalogId", p.catalog_id().map(|s| json!(s)));
    Value::Object(m)
}

fn status_json(s: &QueryExecutionStatus) -> Value {
    let mut m = Object::new();
    put(&mut m, "State", s.state().map(|v| json!(v.as_str())));
    put(
        &mut m,
        "StateChangeReason",
        s.state_change_reason().map(|v| json!(v)),
    );
    put(&mut m, "SubmissionDateTime", time(s.submission_date_time()));
    put(&mut m, "CompletionDateTime", time(s.completion_date_time()));
    put(
        &mut m,
        "AthenaError",
        s.athena_error().map(|e| {
            let mut o = Object::new();
            put(
                &mut o,
                "ErrorCategory",
                e.error_category().map(|v| json!(v)),
            );
            put(&mut o, "ErrorType", e.error_type().map(|v| json!(v)));
            o.insert("Retryable".into(), json!(e.retryable()));
            put(&mut o, "ErrorMessage", e.error_message().map(|v| json!(v)));
            Value::Object(o)
        }),
    );
    Value::Object(m)
}

fn statistics_json(s: &QueryExecutionStatistics) -> Value {
    let mut m = Object::new();
    let n = |v: Option<i64>| v.map(|v| json!(v));
    put(
        &mut m,
        "EngineExecutionTimeInMillis",
        n(s.engine_execution_time_in_millis()),
    );
    put(&mut m, "DataScannedInBytes", n(s.data_scanned_in_bytes()));
    put(
        &mut m,
        "DataManifestLocation",
        s.data_manifest_location().map(|v| json!(v)),
    );
    put(
        &mut m,
        "TotalExecutionTimeInMillis",
        n(s.total_execution_time_in_millis()),
    );
    put(
        &mut m,
        "QueryQueueTimeInMillis",
        n(s.query_queue_time_in_millis()),
    );
    put(
        &mut m,
        "ServicePreProcessingTimeInMillis",
        n(s.service_pre_processing_time_in_millis()),
    );
    put(
        &mut m,
        "QueryPlanningTimeInMillis",
        n(s.query_planning_time_in_millis()),
    );
    put(
        &mut m,
        "ServiceProcessingTimeInMillis",
        n(s.service_processing_time_in_millis()),
    );
    Value::Object(m)
}

/// GetQueryExecution's `QueryExecution`: what a `.sync` query hands the state.
pub(super) fn query_execution_json(q: &QueryExecution) -> Value {
    let mut m = Object::new();
    put(
        &mut m,
        "QueryExecutionId",
        q.query_execution_id().map(|v| json!(v)),
    );
    put(&mut m, "Query", q.query().map(|v| json!(v)));
    put(
        &mut m,
        "StatementType",
        q.statement_type().map(|v| json!(v.as_str())),
    );
    put(
        &mut m,
        "ResultConfiguration",
        q.result_configuration().map(|r| {
            let mut o = Object::new();
            put(
                &mut o,
                "OutputLocation",
                r.output_location().map(|v| json!(v)),
            );
            put(
                &mut o,
                "ExpectedBucketOwner",
                r.expected_bucket_owner().map(|v| json!(v)),
            );
            put(
                &mut o,
                "EncryptionConfiguration",
                r.encryption_configuration().map(|e| {
                    let mut c = Object::new();
                    c.insert(
                        "EncryptionOption".into(),
                        json!(e.encryption_option().as_str()),
                    );
                    put(&mut c, "KmsKey", e.kms_key().map(|v| json!(v)));
                    Value::Object(c)
                }),
            );
            Value::Object(o)
        }),
    );
    put(
        &mut m,
        "QueryExecutionContext",
        q.query_execution_context().map(|c| {
            let mut o = Object::new();
            put(&mut o, "Database", c.database().map(|v| json!(v)));
            put(&mut o, "Catalog", c.catalog().map(|v| json!(v)));
            Value::Object(o)
        }),
    );
    put(&mut m, "Status", q.status().map(status_json));
    put(&mut m, "Statistics", q.statistics().map(statistics_json));
    put(&mut m, "WorkGroup", q.work_group().map(|v| json!(v)));
    put(
        &mut m,
        "EngineVersion",
        q.engine_version().map(|e| {
            let mut o = Object::new();
            put(
                &mut o,
                "SelectedEngineVersion",
                e.selected_engine_version().map(|v| json!(v)),
            );
            put(
                &mut o,
                "EffectiveEngineVersion",
                e.effective_engine_version().map(|v| json!(v)),
            );
            Value::Object(o)
        }),
    );
    put(
        &mut m,
        "ExecutionParameters",
        strings(q.execution_parameters()),
    );
    put(
        &mut m,
        "SubstatementType",
        q.substatement_type().map(|v| json!(v)),
    );
    Value::Object(m)
}

fn datum_json(d: &Datum) -> Value {
    match d.var_char_value() {
        Some(v) => json!({"VarCharValue": v}),
        None => json!({}),
    }
}

pub(super) fn rows_json(rows: &[Row]) -> Value {
    Value::Array(
        rows.iter()
            .map(|r| json!({"Data": r.data().iter().map(datum_json).collect::<Vec<_>>()}))
            .collect(),
    )
}

pub(super) fn column_info_json(c: &ColumnInfo) -> Value {
    let mut m = Object::new();
    put(&mut m, "CatalogName", c.catalog_name().map(|v| json!(v)));
    put(&mut m, "SchemaName", c.schema_name().map(|v| json!(v)));
    put(&mut m, "TableName", c.table_name().map(|v| json!(v)));
    m.insert("Name".into(), json!(c.name()));
    put(&mut m, "Label", c.label().map(|v| json!(v)));
    m.insert("Type".into(), json!(c.r#type()));
    m.insert("Precision".into(), json!(c.precision()));
    m.insert("Scale".into(), json!(c.scale()));
    put(&mut m, "Nullable", c.nullable().map(|v| json!(v.as_str())));
    m.insert("CaseSensitive".into(), json!(c.case_sensitive()));
    Value::Object(m)
}
