//! The Hive types of stored columns (source tables and KPI outputs), as the Glue catalog
//! spells them (`bigint`, `decimal(12,2)`, `array<string>`, `struct<a:int>`).

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum HiveType {
    Boolean,
    TinyInt,
    SmallInt,
    Int,
    BigInt,
    Float,
    Double,
    Decimal {
        precision: u8,
        scale: u8,
    },
    String,
    Varchar {
        length: u32,
    },
    Char {
        length: u32,
    },
    Date,
    Timestamp,
    Binary,
    Array {
        element: Box<HiveType>,
    },
    Map {
        key: Box<HiveType>,
        value: Box<HiveType>,
    },
    Struct {
        fields: Vec<Field>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Field {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: HiveType,
}

/// A named, typed column.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: HiveType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc: Option<String>,
}

impl fmt::Display for HiveType {
    /// The Hive DDL spelling, as Glue stores it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HiveType::Boolean => f.write_str("boolean"),
            HiveType::TinyInt => f.write_str("tinyint"),
            HiveType::SmallInt => f.write_str("smallint"),
            HiveType::Int => f.write_str("int"),
            HiveType::BigInt => f.write_str("bigint"),
            HiveType::Float => f.write_str("float"),
            HiveType::Double => f.write_str("double"),
            HiveType::Decimal { precision, scale } => write!(f, "decimal({precision},{scale})"),
            HiveType::String => f.write_str("string"),
            HiveType::Varchar { length } => write!(f, "varchar({length})"),
            HiveType::Char { length } => write!(f, "char({length})"),
            HiveType::Date => f.write_str("date"),
            HiveType::Timestamp => f.write_str("timestamp"),
            HiveType::Binary => f.write_str("binary"),
            HiveType::Array { element } => write!(f, "array<{element}>"),
            HiveType::Map { key, value } => write!(f, "map<{key},{value}>"),
            HiveType::Struct { fields } => {
                f.write_str("struct<")?;
                for (i, field) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{}:{}", field.name, field.ty)?;
                }
                f.write_str(">")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hive_spelling_and_serde_shape() {
        let ty = HiveType::Struct {
            fields: vec![
                Field {
                    name: "tags".into(),
                    ty: HiveType::Array {
                        element: Box::new(HiveType::String),
                    },
                },
                Field {
                    name: "amount".into(),
                    ty: HiveType::Decimal {
                        precision: 12,
                        scale: 2,
                    },
                },
            ],
        };
        assert_eq!(
            ty.to_string(),
            "struct<tags:array<string>,amount:decimal(12,2)>"
        );
        let json = serde_json::to_value(&ty).unwrap();
        assert_eq!(json["fields"][1]["type"]["type"], "decimal");
        assert_eq!(serde_json::from_value::<HiveType>(json).unwrap(), ty);
        assert_eq!(
            serde_json::to_string(&HiveType::BigInt).unwrap(),
            r#"{"type":"big_int"}"#
        );
    }
}
