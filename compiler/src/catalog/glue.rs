//! `aws glue get-tables` JSON (a [`Node`] tree) → [`Table`]s. Fields we do not use are
//! ignored, since AWS adds new ones over time.

use super::{Column, Reader, Table, errors, format_of};
use crate::project::yaml::{Node, Value};
use std::collections::BTreeMap;

pub(super) fn tables(reader: &mut Reader<'_>, root: &Node) -> Vec<Table> {
    let Some(list) = root.get("TableList") else {
        return Vec::new();
    };
    let Value::List(items) = &list.value else {
        reader
            .diagnostics
            .push(errors::wrong_shape(list, "`TableList`", "a list of tables"));
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|item| table(reader, item))
        .collect()
}

fn table(reader: &mut Reader<'_>, node: &Node) -> Option<Table> {
    if node.as_map().is_none() {
        reader.diagnostics.push(errors::wrong_shape(
            node,
            "a `TableList` entry",
            "a table object",
        ));
        return None;
    }
    let name_node = required_string(reader, node, "a table", "Name")?;
    let name = name_node.as_str().unwrap_or("").to_ascii_lowercase();
    let database_node = required_string(reader, node, &format!("table `{name}`"), "DatabaseName")?;
    let database = database_node.as_str().unwrap_or("").to_ascii_lowercase();
    let visible = reader.visible_name(name_node.span, name_node.as_str().unwrap_or(""), "table")
        & reader.visible_name(
            database_node.span,
            database_node.as_str().unwrap_or(""),
            "database",
        );
    if !visible {
        return None;
    }
    let qualified = format!("{database}.{name}");
    let storage = node.get("StorageDescriptor");
    let get = |key: &str| storage.and_then(|s| s.get(key));
    let mut taken = super::Taken::new();
    let columns = column_list(reader, &qualified, get("Columns"), &mut taken);
    let partition_keys = column_list(reader, &qualified, node.get("PartitionKeys"), &mut taken);
    let serde_library = get("SerdeInfo")
        .and_then(|s| s.get("SerializationLibrary"))
        .and_then(Node::as_str);
    let parameters = string_map(node.get("Parameters"));
    let format = format_of(
        serde_library,
        get("InputFormat").and_then(Node::as_str),
        parameters.get("classification").map(String::as_str),
    );
    Some(Table {
        database,
        name,
        name_span: name_node.span,
        columns,
        partition_keys,
        location: get("Location").and_then(|l| reader.location(l)),
        format,
        description: node
            .get("Description")
            .and_then(Node::as_str)
            .map(str::to_string),
        parameters,
    })
}

fn required_string<'a>(
    reader: &mut Reader<'_>,
    node: &'a Node,
    section: &str,
    field: &str,
) -> Option<&'a Node> {
    let Some(value) = node.get(field) else {
        reader
            .diagnostics
            .push(errors::missing_field(node.span, section, field));
        return None;
    };
    if value.as_str().is_none_or(str::is_empty) {
        reader.diagnostics.push(errors::wrong_shape(
            value,
            &format!("`{field}`"),
            "a non-empty string",
        ));
        return None;
    }
    Some(value)
}

fn column_list(
    reader: &mut Reader<'_>,
    table: &str,
    list: Option<&Node>,
    taken: &mut super::Taken,
) -> Vec<Column> {
    let mut out = Vec::new();
    let Some(list) = list else { return out };
    let Value::List(items) = &list.value else {
        reader
            .diagnostics
            .push(errors::wrong_shape(list, "a column list", "a list"));
        return out;
    };
    for item in items {
        if item.as_map().is_none() {
            reader.diagnostics.push(errors::wrong_shape(
                item,
                "a column",
                "an object with `Name` and `Type`",
            ));
            continue;
        }
        let section = format!("a column of `{table}`");
        let (Some(name), Some(ty)) = (
            required_string(reader, item, &section, "Name"),
            required_string(reader, item, &section, "Type"),
        ) else {
            continue;
        };
        if !reader.visible_name(name.span, name.as_str().unwrap_or(""), "column") {
            continue;
        }
        let column = Column {
            name: name.as_str().unwrap_or("").to_ascii_lowercase(),
            ty: reader.column_type(ty),
            comment: item
                .get("Comment")
                .and_then(Node::as_str)
                .map(str::to_string),
            span: name.span,
        };
        reader.push_column(table, taken, &mut out, column);
    }
    out
}

/// Glue's string-to-string maps; a non-string value keeps its printed form.
pub(super) fn string_map(node: Option<&Node>) -> BTreeMap<String, String> {
    let Some(entries) = node.and_then(Node::as_map) else {
        return BTreeMap::new();
    };
    entries
        .iter()
        .filter_map(|(k, v)| {
            let value = match &v.value {
                Value::String(s) => s.clone(),
                Value::Int(i) => i.to_string(),
                Value::Float(f) => f.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => return None,
            };
            Some((k.name.clone(), value))
        })
        .collect()
}
