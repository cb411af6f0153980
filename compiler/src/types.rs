//! The value types of the language: Hive's types as the catalog states them, plus `Unknown`
//! for expressions that failed to type (so one mistake does not cascade).

use serde::Serialize;
use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Type {
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
        element: Box<Type>,
    },
    Map {
        key: Box<Type>,
        value: Box<Type>,
    },
    Struct {
        fields: Vec<StructField>,
    },
    /// The type of the literal `null`: fits anywhere.
    Null,
    /// The type of an expression that already failed to check: fits anywhere, reports nothing.
    Unknown,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct StructField {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: Type,
}

/// The broad families that decide which operations apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    Boolean,
    Integer,
    Fractional,
    Text,
    Date,
    Timestamp,
    Binary,
    Array,
    Map,
    Struct,
    /// `Null` and `Unknown`.
    Any,
}

impl Type {
    pub fn family(&self) -> Family {
        match self {
            Type::Boolean => Family::Boolean,
            Type::TinyInt | Type::SmallInt | Type::Int | Type::BigInt => Family::Integer,
            Type::Float | Type::Double | Type::Decimal { .. } => Family::Fractional,
            Type::String | Type::Varchar { .. } | Type::Char { .. } => Family::Text,
            Type::Date => Family::Date,
            Type::Timestamp => Family::Timestamp,
            Type::Binary => Family::Binary,
            Type::Array { .. } => Family::Array,
            Type::Map { .. } => Family::Map,
            Type::Struct { .. } => Family::Struct,
            Type::Null | Type::Unknown => Family::Any,
        }
    }

    pub fn is_numeric(&self) -> bool {
        matches!(
            self.family(),
            Family::Integer | Family::Fractional | Family::Any
        )
    }

    pub fn is_integer(&self) -> bool {
        matches!(self.family(), Family::Integer | Family::Any)
    }

    pub fn is_text(&self) -> bool {
        matches!(self.family(), Family::Text | Family::Any)
    }

    pub fn is_boolean(&self) -> bool {
        matches!(self.family(), Family::Boolean | Family::Any)
    }

    pub fn is_any(&self) -> bool {
        self.family() == Family::Any
    }

    /// Whether values of the two types can be compared with `=`, `<` and the like.
    pub fn comparable_with(&self, other: &Type) -> bool {
        use Family::*;
        match (self.family(), other.family()) {
            (Any, _) | (_, Any) => true,
            (Integer | Fractional, Integer | Fractional) => true,
            (Date | Timestamp, Date | Timestamp) => true,
            (Array, Array) | (Map, Map) | (Struct, Struct) => self == other,
            (a, b) => a == b,
        }
    }

    /// Orders numeric types by how much they hold, for arithmetic results.
    fn numeric_rank(&self) -> u8 {
        match self {
            Type::TinyInt => 1,
            Type::SmallInt => 2,
            Type::Int => 3,
            Type::BigInt => 4,
            Type::Decimal { .. } => 5,
            Type::Float => 6,
            Type::Double => 7,
            _ => 0,
        }
    }

    /// The result of `+`, `-` or `*` on two numeric types. Integer arithmetic widens to
    /// `bigint` so Athena and DuckDB agree on overflow.
    pub fn arithmetic(&self, other: &Type) -> Type {
        if self.is_any() {
            return if other.is_any() {
                Type::Unknown
            } else {
                other.clone()
            };
        }
        if other.is_any() {
            return self.clone();
        }
        let wider = if self.numeric_rank() >= other.numeric_rank() {
            self
        } else {
            other
        };
        match wider {
            Type::TinyInt | Type::SmallInt | Type::Int | Type::BigInt => Type::BigInt,
            Type::Decimal { .. } => Type::Decimal {
                precision: 38,
                scale: max_scale(self, other),
            },
            Type::Float | Type::Double => Type::Double,
            t => t.clone(),
        }
    }

    /// The smallest common type of two values (for `coalesce`, `case`, `in` lists).
    pub fn common(&self, other: &Type) -> Option<Type> {
        if self.is_any() {
            return Some(other.clone());
        }
        if other.is_any() || self == other {
            return Some(self.clone());
        }
        match (self.family(), other.family()) {
            (Family::Integer | Family::Fractional, Family::Integer | Family::Fractional) => {
                Some(if self.numeric_rank() >= other.numeric_rank() {
                    self.clone()
                } else {
                    other.clone()
                })
            }
            (Family::Text, Family::Text) => Some(Type::String),
            (Family::Date | Family::Timestamp, Family::Date | Family::Timestamp) => {
                Some(Type::Timestamp)
            }
            _ => None,
        }
    }
}

fn max_scale(a: &Type, b: &Type) -> u8 {
    let scale = |t: &Type| match t {
        Type::Decimal { scale, .. } => *scale,
        _ => 0,
    };
    scale(a).max(scale(b))
}

/// Hive's spelling, as the catalog and Athena DDL write it.
impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Boolean => f.write_str("boolean"),
            Type::TinyInt => f.write_str("tinyint"),
            Type::SmallInt => f.write_str("smallint"),
            Type::Int => f.write_str("int"),
            Type::BigInt => f.write_str("bigint"),
            Type::Float => f.write_str("float"),
            Type::Double => f.write_str("double"),
            Type::Decimal { precision, scale } => write!(f, "decimal({precision},{scale})"),
            Type::String => f.write_str("string"),
            Type::Varchar { length } => write!(f, "varchar({length})"),
            Type::Char { length } => write!(f, "char({length})"),
            Type::Date => f.write_str("date"),
            Type::Timestamp => f.write_str("timestamp"),
            Type::Binary => f.write_str("binary"),
            Type::Array { element } => write!(f, "array<{element}>"),
            Type::Map { key, value } => write!(f, "map<{key},{value}>"),
            Type::Struct { fields } => {
                f.write_str("struct<")?;
                for (i, field) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    let plain = field
                        .name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_');
                    if plain && !field.name.is_empty() {
                        write!(f, "{}:{}", field.name, field.ty)?;
                    } else {
                        write!(f, "`{}`:{}", field.name, field.ty)?;
                    }
                }
                f.write_str(">")
            }
            Type::Null => f.write_str("null"),
            Type::Unknown => f.write_str("unknown"),
        }
    }
}
