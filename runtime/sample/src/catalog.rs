//! The lake's table definitions → the Glue catalog snapshot (`app_logs.json`, `master.json`)
//! in exactly the shape `aws glue get-tables --database-name DB` prints: 4-space indented
//! JSON, keys in the CLI's order, as committed under `pipelines/catalog/`.

use serde_json::{Map, Value, json};

/// A column: name, Hive type, optional comment.
type Column = (&'static str, &'static str, Option<&'static str>);

const EVENTS: [Column; 9] = [
    (
        "event_id",
        "string",
        Some("Unique id; for a post, also the post's id"),
    ),
    (
        "ts",
        "timestamp",
        Some("When the server logged the event (UTC)"),
    ),
    ("member_id", "bigint", None),
    ("company_id", "bigint", None),
    (
        "kind",
        "string",
        Some("login, view, post, comment, reaction, thanks or profile_update"),
    ),
    (
        "target_post_id",
        "string",
        Some("The post commented on or reacted to"),
    ),
    (
        "target_member_id",
        "bigint",
        Some("The member thanked or viewed"),
    ),
    ("client", "string", Some("web, ios or android")),
    (
        "context",
        "struct<session_id:string,ip:string,user_agent:string,referrer:string,tags:array<string>>",
        None,
    ),
];

const COMPANIES: [Column; 5] = [
    ("company_id", "bigint", None),
    ("name", "string", None),
    ("industry", "string", None),
    ("size_band", "string", None),
    ("contract_value", "decimal(12,2)", None),
];

const DEPARTMENTS: [Column; 3] = [
    ("department_id", "bigint", None),
    ("company_id", "bigint", None),
    ("name", "string", None),
];

const MEMBERS: [Column; 6] = [
    ("member_id", "bigint", None),
    ("company_id", "bigint", None),
    ("department_id", "bigint", None),
    ("role", "string", Some("member, manager or admin")),
    ("joined_on", "date", None),
    ("left_on", "date", Some("Null while the member is active")),
];

/// `aws glue get-tables --database-name app_logs`.
pub fn app_logs_catalog() -> String {
    print(vec![table(
        "events",
        "app_logs",
        "Application events logged by the web servers, one partition per day",
        &EVENTS,
        true,
    )])
}

/// `aws glue get-tables --database-name master`.
pub fn master_catalog() -> String {
    print(vec![
        table(
            "companies",
            "master",
            "Daily snapshot of client companies",
            &COMPANIES,
            false,
        ),
        table(
            "departments",
            "master",
            "Daily snapshot of departments",
            &DEPARTMENTS,
            false,
        ),
        table(
            "members",
            "master",
            "Daily snapshot of members",
            &MEMBERS,
            false,
        ),
    ])
}

fn column(&(name, ty, comment): &Column) -> Value {
    let mut object = Map::new();
    object.insert("Name".into(), name.into());
    object.insert("Type".into(), ty.into());
    if let Some(comment) = comment {
        object.insert("Comment".into(), comment.into());
    }
    Value::Object(object)
}

fn table(name: &str, database: &str, description: &str, columns: &[Column], json: bool) -> Value {
    let path = if json {
        format!("app_logs/{name}")
    } else {
        format!("master/{name}")
    };
    let (classification, compression) = if json {
        ("json", "gzip")
    } else {
        ("parquet", "none")
    };
    let serde = if json {
        let paths: Vec<&str> = columns.iter().map(|c| c.0).collect();
        json!({
            "SerializationLibrary": "org.openx.data.jsonserde.JsonSerDe",
            "Parameters": {
                "ignore.malformed.json": "true",
                "paths": paths.join(",")
            }
        })
    } else {
        json!({
            "SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
            "Parameters": { "serialization.format": "1" }
        })
    };
    let (input, output) = if json {
        (
            "org.apache.hadoop.mapred.TextInputFormat",
            "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
        )
    } else {
        (
            "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
            "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
        )
    };
    json!({
        "Name": name,
        "DatabaseName": database,
        "Description": description,
        "Owner": "owner",
        "CreateTime": "2024-01-02T09:15:31+00:00",
        "UpdateTime": "2024-06-01T03:00:12+00:00",
        "LastAccessTime": "1970-01-01T00:00:00+00:00",
        "Retention": 0,
        "StorageDescriptor": {
            "Columns": columns.iter().map(column).collect::<Vec<_>>(),
            "Location": format!("s3://engagement-lake/{path}/"),
            "InputFormat": input,
            "OutputFormat": output,
            "Compressed": json,
            "NumberOfBuckets": -1,
            "SerdeInfo": serde,
            "BucketColumns": [],
            "SortColumns": [],
            "Parameters": {
                "classification": classification,
                "compressionType": compression,
                "typeOfData": "file"
            },
            "StoredAsSubDirectories": false
        },
        "PartitionKeys": [{
            "Name": "dt",
            "Type": "string",
            "Comment": "Day of the data, YYYY-MM-DD"
        }],
        "TableType": "EXTERNAL_TABLE",
        "Parameters": {
            "classification": classification,
            "compressionType": compression,
            "typeOfData": "file",
            "CrawlerSchemaDeserializerVersion": "1.0",
            "CrawlerSchemaSerializerVersion": "1.0",
            "UPDATED_BY_CRAWLER": "lake-crawler"
        },
        "CreatedBy": "arn:aws:sts::123456789012:assumed-role/AWSGlueServiceRole/AWS-Crawler",
        "IsRegisteredWithLakeFormation": false,
        "CatalogId": "123456789012",
        "VersionId": "3"
    })
}

/// Pretty-prints with the CLI's 4-space indentation (and, like the committed snapshot, no
/// newline after the closing brace).
fn print(tables: Vec<Value>) -> String {
    let document = json!({ "TableList": tables });
    let mut out = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
    match serde::Serialize::serialize(&document, &mut serializer) {
        Ok(()) => String::from_utf8_lossy(&out).into_owned(),
        Err(_) => String::new(),
    }
}
