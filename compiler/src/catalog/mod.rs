//! Catalog snapshot files (`aws glue get-tables` JSON, or our own YAML) → [`Catalog`]: every
//! table's columns with their [`Type`]s, so the checker never talks to AWS.

mod errors;
mod glue;
pub mod hive_type;
mod yaml_format;

pub use hive_type::{HiveTypeError, parse_hive_type};

use crate::diagnostic::Diagnostic;
use crate::project::s3;
use crate::project::yaml::{self, Node};
use crate::span::{FileId, Sources, Span, is_hidden_char};
use crate::types::Type;
use serde::{Serialize, Serializer};
use std::collections::BTreeMap;

/// Every table of every snapshot file, keyed by lower-case `(database, table)`.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Catalog {
    #[serde(serialize_with = "tables_as_list")]
    pub tables: BTreeMap<(String, String), Table>,
}

fn tables_as_list<S: Serializer>(
    tables: &BTreeMap<(String, String), Table>,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_seq(tables.values())
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Table {
    pub database: String,
    pub name: String,
    /// Where the table is named in the snapshot.
    pub name_span: Span,
    pub columns: Vec<Column>,
    pub partition_keys: Vec<Column>,
    pub location: Option<String>,
    pub format: TableFormat,
    pub description: Option<String>,
    pub parameters: BTreeMap<String, String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Column {
    /// Lower-case: Glue column names are case-insensitive.
    pub name: String,
    /// `Type::Unknown` when the snapshot's type string did not parse (already reported).
    pub ty: Type,
    pub comment: Option<String>,
    /// Where the column is named in the snapshot.
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TableFormat {
    Json,
    Parquet,
    /// Anything else, named by its SerDe or input format class.
    Other(String),
}

impl Catalog {
    pub fn table(&self, database: &str, name: &str) -> Option<&Table> {
        self.tables
            .get(&(database.to_ascii_lowercase(), name.to_ascii_lowercase()))
    }

    /// `database.table` for every table, sorted.
    pub fn table_names(&self) -> Vec<String> {
        self.tables
            .keys()
            .map(|(db, t)| format!("{db}.{t}"))
            .collect()
    }
}

impl Table {
    /// A column or partition key, case-insensitively.
    pub fn column(&self, name: &str) -> Option<&Column> {
        let name = name.to_ascii_lowercase();
        self.columns
            .iter()
            .chain(&self.partition_keys)
            .find(|c| c.name == name)
    }

    pub fn qualified_name(&self) -> String {
        format!("{}.{}", self.database, self.name)
    }

    pub fn is_partitioned(&self) -> bool {
        !self.partition_keys.is_empty()
    }
}

/// Parses every snapshot file. Each file is recognised by its content: a top-level
/// `TableList` is Glue's JSON, a top-level `databases` is our YAML.
pub fn parse_catalog(sources: &Sources, files: &[FileId]) -> (Catalog, Vec<Diagnostic>) {
    let mut catalog = Catalog::default();
    let mut diagnostics = Vec::new();
    for &file in files {
        let root = match yaml::parse_yaml(sources, file) {
            Ok(root) => root,
            Err(e) => {
                diagnostics.push(errors::syntax(&e, sources.name(file)));
                continue;
            }
        };
        let mut reader = Reader {
            sources,
            diagnostics: Vec::new(),
        };
        let tables = if root.get("TableList").is_some() {
            glue::tables(&mut reader, &root)
        } else if root.get("databases").is_some() {
            yaml_format::tables(&mut reader, &root)
        } else {
            reader.diagnostics.push(errors::not_a_catalog(&root, file));
            Vec::new()
        };
        diagnostics.append(&mut reader.diagnostics);
        for table in tables {
            insert(&mut catalog, table, &mut diagnostics);
        }
    }
    (catalog, diagnostics)
}

fn insert(catalog: &mut Catalog, table: Table, diagnostics: &mut Vec<Diagnostic>) {
    let key = (table.database.clone(), table.name.clone());
    if let Some(first) = catalog.tables.get(&key) {
        diagnostics.push(errors::duplicate_table(&table, first.name_span));
        return;
    }
    catalog.tables.insert(key, table);
}

/// The column names of a table so far, and where each was named: a map, since a snapshot can
/// hold tables of thousands of columns.
type Taken = BTreeMap<String, Span>;

/// What both snapshot formats share: reading columns and types, collecting diagnostics.
struct Reader<'a> {
    sources: &'a Sources,
    diagnostics: Vec<Diagnostic>,
}

impl Reader<'_> {
    /// The type of a column, from a string node; a malformed type is reported at the
    /// offending character and becomes `Unknown`.
    fn column_type(&mut self, node: &Node) -> Type {
        let Some(text) = node.as_str() else {
            self.diagnostics.push(errors::wrong_shape(
                node,
                "a column type",
                "a string such as `bigint`",
            ));
            return Type::Unknown;
        };
        match parse_hive_type(text) {
            Ok(ty) => lower_field_names(ty),
            Err(e) => {
                let width = text
                    .get(e.offset..)
                    .and_then(|s| s.chars().next())
                    .map_or(0, char::len_utf8);
                let at = yaml::value_span(self.sources, node, e.offset, width);
                self.diagnostics
                    .push(errors::invalid_type(at, text, &e.message));
                Type::Unknown
            }
        }
    }

    /// Reports a database, table or column name holding a character that cannot be seen
    /// (written at `span`). Such a name could never be referred to, and must not reach SQL.
    fn visible_name(&mut self, span: Span, name: &str, what: &str) -> bool {
        let Some((i, c)) = name.char_indices().find(|(_, c)| is_hidden_char(*c)) else {
            return true;
        };
        let at = yaml::text_span(self.sources, span, name, i, c.len_utf8());
        self.diagnostics
            .push(errors::hidden_char_in_name(at, what, c));
        false
    }

    /// A table's `Location`, checked as an S3 prefix; a missing trailing `/` is added with a
    /// warning. `None` when it is not a valid prefix (reported at the offending character).
    fn location(&mut self, node: &Node) -> Option<String> {
        let Some(text) = node.as_str() else {
            if matches!(node.value, yaml::Value::Null) {
                return None;
            }
            self.diagnostics.push(errors::wrong_shape(
                node,
                "a table location",
                "a string such as `s3://lake/app_logs/events/`",
            ));
            return None;
        };
        // Views have no storage: Glue writes their location as "".
        if text.is_empty() {
            return None;
        }
        match s3::normalise_location(text) {
            Ok(prefix) => {
                if prefix.added_slash {
                    let end = yaml::value_span(self.sources, node, text.len(), 0);
                    self.diagnostics
                        .push(s3::added_slash_warning(end, &prefix.text));
                }
                Some(prefix.text)
            }
            Err(e) => {
                let span = yaml::value_span(self.sources, node, e.offset, e.len);
                self.diagnostics.push(e.to_diagnostic(span));
                None
            }
        }
    }

    /// Pushes a column unless its name is already taken in the table (columns and partition
    /// keys share one namespace).
    fn push_column(
        &mut self,
        table: &str,
        taken: &mut Taken,
        out: &mut Vec<Column>,
        column: Column,
    ) {
        if let Some(first) = taken.get(&column.name) {
            self.diagnostics
                .push(errors::duplicate_column(table, &column, *first));
            return;
        }
        taken.insert(column.name.clone(), column.span);
        out.push(column);
    }
}

/// Glue treats struct field names case-insensitively and reports them lower-case.
fn lower_field_names(ty: Type) -> Type {
    match ty {
        Type::Array { element } => Type::Array {
            element: Box::new(lower_field_names(*element)),
        },
        Type::Map { key, value } => Type::Map {
            key,
            value: Box::new(lower_field_names(*value)),
        },
        Type::Struct { fields } => Type::Struct {
            fields: fields
                .into_iter()
                .map(|f| crate::types::StructField {
                    name: f.name.to_ascii_lowercase(),
                    ty: lower_field_names(f.ty),
                })
                .collect(),
        },
        other => other,
    }
}

/// A table's format from its SerDe and input format classes.
fn format_of(
    serde_library: Option<&str>,
    input_format: Option<&str>,
    classification: Option<&str>,
) -> TableFormat {
    let has =
        |s: Option<&str>, needle: &str| s.is_some_and(|s| s.to_ascii_lowercase().contains(needle));
    if has(serde_library, "parquet")
        || has(input_format, "parquet")
        || has(classification, "parquet")
    {
        TableFormat::Parquet
    } else if has(serde_library, "json") || has(classification, "json") {
        TableFormat::Json
    } else {
        let name = serde_library
            .or(input_format)
            .or(classification)
            .unwrap_or("unknown");
        TableFormat::Other(name.to_string())
    }
}

#[cfg(test)]
mod tests;
