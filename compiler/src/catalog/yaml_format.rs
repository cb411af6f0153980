//! kpi's own catalog YAML (a [`Node`] tree) → [`Table`]s. The format, written by hand:
//!
//! ```yaml
//! databases:
//!   app_logs:                         # database
//!     events:                         # table
//!       description: Application logs # optional
//!       location: s3://lake/app_logs/events/   # optional
//!       format: json                  # json | parquet
//!       columns:
//!         event_id: string            # name: Hive type
//!         member_id: {type: bigint, comment: Who did it}
//!       partition_keys:               # optional
//!         dt: string
//!       parameters: {classification: json}     # optional
//! ```

use super::glue::string_map;
use super::{Column, Reader, Table, TableFormat, errors};
use crate::project::yaml::{Key, Node, Value};

const TABLE_FIELDS: [&str; 6] = [
    "description",
    "location",
    "format",
    "columns",
    "partition_keys",
    "parameters",
];
const COLUMN_FIELDS: [&str; 2] = ["type", "comment"];
const FORMATS: [&str; 2] = ["json", "parquet"];

pub(super) fn tables(reader: &mut Reader<'_>, root: &Node) -> Vec<Table> {
    let mut out = Vec::new();
    if let Some(entries) = root.as_map() {
        for (key, _) in entries.iter().filter(|(k, _)| k.name != "databases") {
            reader.diagnostics.push(errors::unknown_field(
                key,
                "the catalog file",
                &["databases"],
            ));
        }
    }
    let Some(databases) = root
        .get("databases")
        .and_then(|d| mapping(reader, d, "`databases`"))
    else {
        return out;
    };
    for (db_key, db_node) in databases {
        if !valid_name(reader, db_key, "database") {
            continue;
        }
        let Some(tables) = mapping(reader, db_node, &format!("database `{}`", db_key.name)) else {
            continue;
        };
        for (table_key, table_node) in tables {
            if valid_name(reader, table_key, "table")
                && let Some(t) = table(reader, &db_key.name, table_key, table_node)
            {
                out.push(t);
            }
        }
    }
    out
}

fn mapping<'a>(reader: &mut Reader<'_>, node: &'a Node, what: &str) -> Option<&'a [(Key, Node)]> {
    match &node.value {
        Value::Map(entries) => Some(entries),
        Value::Null => Some(&[]),
        _ => {
            reader
                .diagnostics
                .push(errors::wrong_shape(node, what, "a mapping"));
            None
        }
    }
}

fn valid_name(reader: &mut Reader<'_>, key: &Key, what: &str) -> bool {
    let ok = !key.name.is_empty()
        && key
            .name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !ok {
        let message = format!("invalid {what} name `{}`", key.name);
        let help = "Use letters, digits, `_` and `-` only, as Glue does.";
        reader.diagnostics.push(errors::invalid_value(
            key.span,
            message,
            "not a Glue name",
            help,
        ));
    }
    ok
}

fn table(reader: &mut Reader<'_>, database: &str, key: &Key, node: &Node) -> Option<Table> {
    let name = key.name.to_ascii_lowercase();
    let database = database.to_ascii_lowercase();
    let qualified = format!("{database}.{name}");
    let section = format!("table `{qualified}`");
    let entries = mapping(reader, node, &section)?;
    for (k, _) in entries
        .iter()
        .filter(|(k, _)| !TABLE_FIELDS.contains(&k.name.as_str()))
    {
        reader
            .diagnostics
            .push(errors::unknown_field(k, &section, &TABLE_FIELDS));
    }
    let field = |name: &str| entries.iter().find(|(k, _)| k.name == name).map(|(_, v)| v);
    let format = match field("format") {
        None => {
            reader
                .diagnostics
                .push(errors::missing_field(key.span, &section, "format"));
            TableFormat::Other("unknown".into())
        }
        Some(f) => match f.as_str() {
            Some("json") => TableFormat::Json,
            Some("parquet") => TableFormat::Parquet,
            _ => {
                let text = f
                    .as_str()
                    .map_or_else(|| f.value.describe().to_string(), |s| format!("`{s}`"));
                let help = match f
                    .as_str()
                    .and_then(|s| crate::diagnostic::did_you_mean(s, FORMATS))
                {
                    Some(s) => format!("Did you mean `{s}`?"),
                    None => "Write `json` or `parquet`.".to_string(),
                };
                reader.diagnostics.push(errors::invalid_value(
                    f.span,
                    "unknown table format",
                    format!("{text} is not a format kpi reads"),
                    help,
                ));
                TableFormat::Other(f.as_str().unwrap_or("unknown").to_string())
            }
        },
    };
    let location = field("location").and_then(|l| reader.location(l));
    let description = field("description").and_then(|d| string(reader, d, "`description`"));
    let mut taken = super::Taken::new();
    let columns = match field("columns") {
        Some(c) => column_map(reader, &qualified, c, &mut taken),
        None => {
            reader
                .diagnostics
                .push(errors::missing_field(key.span, &section, "columns"));
            Vec::new()
        }
    };
    let partition_keys = field("partition_keys")
        .map_or_else(Vec::new, |c| column_map(reader, &qualified, c, &mut taken));
    Some(Table {
        database,
        name,
        name_span: key.span,
        columns,
        partition_keys,
        location,
        format,
        description,
        parameters: string_map(field("parameters")),
    })
}

fn string(reader: &mut Reader<'_>, node: &Node, what: &str) -> Option<String> {
    match node.as_str() {
        Some(s) => Some(s.to_string()),
        None => {
            reader
                .diagnostics
                .push(errors::wrong_shape(node, what, "a string"));
            None
        }
    }
}

/// `name: type` or `name: {type: ..., comment: ...}` entries.
fn column_map(
    reader: &mut Reader<'_>,
    table: &str,
    node: &Node,
    taken: &mut super::Taken,
) -> Vec<Column> {
    let mut out = Vec::new();
    let Some(entries) = mapping(reader, node, "a column list") else {
        return out;
    };
    for (key, value) in entries {
        if !reader.visible_name(key.span, &key.name, "column") {
            continue;
        }
        let (ty, comment) = match &value.value {
            Value::Map(fields) => {
                let section = format!("column `{}`", key.name);
                for (k, _) in fields
                    .iter()
                    .filter(|(k, _)| !COLUMN_FIELDS.contains(&k.name.as_str()))
                {
                    reader
                        .diagnostics
                        .push(errors::unknown_field(k, &section, &COLUMN_FIELDS));
                }
                let Some(ty) = value.get("type") else {
                    reader
                        .diagnostics
                        .push(errors::missing_field(key.span, &section, "type"));
                    continue;
                };
                let comment = value
                    .get("comment")
                    .and_then(|c| string(reader, c, "`comment`"));
                (reader.column_type(ty), comment)
            }
            _ => (reader.column_type(value), None),
        };
        let column = Column {
            name: key.name.to_ascii_lowercase(),
            ty,
            comment,
            span: key.span,
        };
        reader.push_column(table, taken, &mut out, column);
    }
    out
}
