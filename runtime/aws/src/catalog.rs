//! Glue's tables, written as `aws glue get-tables --database-name DB` prints them: the
//! committed catalog snapshot the checker reads, pulled with `kpi schema pull`.
//!
//! The same keys in the same order as the CLI, times as it prints them
//! (`2024-01-02T09:15:31+00:00`); tables sorted by name and every map's keys sorted, so a
//! pull of an unchanged catalog gives the same bytes.

use crate::Aws;
use crate::error::{AwsError, sdk};
use aws_sdk_glue::types::{Column, SerDeInfo, StorageDescriptor, Table};
use serde_json::{Map, Value, json};
use std::collections::HashMap;

/// Every table of `database`, following GetTables' pages, as `{"TableList": [...]}`.
pub fn pull(aws: &Aws, database: &str) -> Result<Value, AwsError> {
    let glue = aws.glue();
    let mut tables: Vec<Table> = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = aws
            .block_on(
                glue.get_tables()
                    .database_name(database)
                    .set_next_token(token.clone())
                    .send(),
            )
            .map_err(|e| sdk(&format!("Glue GetTables of database {database}"), e))?;
        tables.extend(page.table_list.unwrap_or_default());
        token = page.next_token.filter(|t| !t.is_empty());
        if token.is_none() {
            break;
        }
    }
    tables.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(json!({"TableList": tables.iter().map(table).collect::<Vec<_>>()}))
}

/// The snapshot file's text: four-space indents and a final newline, as the CLI prints.
pub fn snapshot_text(tables: &Value) -> String {
    use serde::Serialize;
    let mut out = Vec::new();
    let mut writer = serde_json::Serializer::with_formatter(
        &mut out,
        serde_json::ser::PrettyFormatter::with_indent(b"    "),
    );
    if tables.serialize(&mut writer).is_err() {
        return String::new();
    }
    let mut text = String::from_utf8_lossy(&out).into_owned();
    text.push('\n');
    text
}

struct Object(Map<String, Value>);

impl Object {
    fn new() -> Object {
        Object(Map::new())
    }
    fn put(&mut self, key: &str, value: Option<Value>) -> &mut Object {
        if let Some(v) = value {
            self.0.insert(key.to_string(), v);
        }
        self
    }
    fn done(&mut self) -> Value {
        Value::Object(std::mem::take(&mut self.0))
    }
}

fn s(v: &Option<String>) -> Option<Value> {
    v.as_ref().map(|v| Value::String(v.clone()))
}

fn time(v: &Option<aws_smithy_types::DateTime>) -> Option<Value> {
    let t = v.as_ref()?;
    let at = chrono::DateTime::from_timestamp(t.secs(), t.subsec_nanos())?;
    let text = if t.subsec_nanos() == 0 {
        at.format("%Y-%m-%dT%H:%M:%S+00:00").to_string()
    } else {
        at.format("%Y-%m-%dT%H:%M:%S%.6f+00:00").to_string()
    };
    Some(Value::String(text))
}

fn params(v: &Option<HashMap<String, String>>) -> Option<Value> {
    let map = v.as_ref()?;
    let mut keys: Vec<&String> = map.keys().collect();
    keys.sort();
    Some(Value::Object(
        keys.into_iter()
            .map(|k| (k.clone(), Value::String(map[k].clone())))
            .collect(),
    ))
}

fn strings(v: &Option<Vec<String>>) -> Option<Value> {
    v.as_ref()
        .map(|v| Value::Array(v.iter().cloned().map(Value::String).collect()))
}

fn columns(v: &Option<Vec<Column>>) -> Option<Value> {
    v.as_ref().map(|cols| {
        Value::Array(
            cols.iter()
                .map(|c| {
                    Object::new()
                        .put("Name", Some(Value::String(c.name.clone())))
                        .put("Type", s(&c.r#type))
                        .put("Comment", s(&c.comment))
                        .put("Parameters", params(&c.parameters))
                        .done()
                })
                .collect(),
        )
    })
}

fn serde_info(v: &Option<SerDeInfo>) -> Option<Value> {
    let info = v.as_ref()?;
    Some(
        Object::new()
            .put("Name", s(&info.name))
            .put("SerializationLibrary", s(&info.serialization_library))
            .put("Parameters", params(&info.parameters))
            .done(),
    )
}

fn storage(v: &Option<StorageDescriptor>) -> Option<Value> {
    let sd = v.as_ref()?;
    let sort = sd.sort_columns.as_ref().map(|cols| {
        Value::Array(
            cols.iter()
                .map(|o| json!({"Column": o.column, "SortOrder": o.sort_order}))
                .collect(),
        )
    });
    let skewed = sd.skewed_info.as_ref().map(|k| {
        Object::new()
            .put("SkewedColumnNames", strings(&k.skewed_column_names))
            .put("SkewedColumnValues", strings(&k.skewed_column_values))
            .put(
                "SkewedColumnValueLocationMaps",
                params(&k.skewed_column_value_location_maps),
            )
            .done()
    });
    Some(
        Object::new()
            .put("Columns", columns(&sd.columns))
            .put("Location", s(&sd.location))
            .put("AdditionalLocations", strings(&sd.additional_locations))
            .put("InputFormat", s(&sd.input_format))
            .put("OutputFormat", s(&sd.output_format))
            .put("Compressed", Some(Value::Bool(sd.compressed)))
            .put("NumberOfBuckets", Some(json!(sd.number_of_buckets)))
            .put("SerdeInfo", serde_info(&sd.serde_info))
            .put("BucketColumns", strings(&sd.bucket_columns))
            .put("SortColumns", sort)
            .put("Parameters", params(&sd.parameters))
            .put("SkewedInfo", skewed)
            .put(
                "StoredAsSubDirectories",
                Some(Value::Bool(sd.stored_as_sub_directories)),
            )
            .done(),
    )
}

fn table(t: &Table) -> Value {
    Object::new()
        .put("Name", Some(Value::String(t.name.clone())))
        .put("DatabaseName", s(&t.database_name))
        .put("Description", s(&t.description))
        .put("Owner", s(&t.owner))
        .put("CreateTime", time(&t.create_time))
        .put("UpdateTime", time(&t.update_time))
        .put("LastAccessTime", time(&t.last_access_time))
        .put("LastAnalyzedTime", time(&t.last_analyzed_time))
        .put("Retention", Some(json!(t.retention)))
        .put("StorageDescriptor", storage(&t.storage_descriptor))
        .put("PartitionKeys", columns(&t.partition_keys))
        .put("ViewOriginalText", s(&t.view_original_text))
        .put("ViewExpandedText", s(&t.view_expanded_text))
        .put("TableType", s(&t.table_type))
        .put("Parameters", params(&t.parameters))
        .put("CreatedBy", s(&t.created_by))
        .put(
            "IsRegisteredWithLakeFormation",
            Some(Value::Bool(t.is_registered_with_lake_formation)),
        )
        .put("CatalogId", s(&t.catalog_id))
        .put("VersionId", s(&t.version_id))
        .done()
}
