//! SQL dialects as answers to questions: each difference between Athena (Trino for DML,
//! Hive for DDL) and DuckDB is one method here; emitters never match on the dialect.

use crate::types::Type;

pub trait Dialect {
    fn name(&self) -> &'static str;

    fn quote_ident(&self, name: &str) -> String {
        format!("\"{}\"", name.replace('"', "\"\""))
    }

    /// A string literal. Control characters (never valid in names or dates) are spliced in
    /// with `chr` so no literal can contain the placeholder marker.
    fn quote_string(&self, text: &str) -> String {
        let mut out = String::from("'");
        for c in text.chars() {
            match c {
                '\'' => out.push_str("''"),
                c if c.is_control() => out.push_str(&format!("' || chr({}) || '", c as u32)),
                c => out.push(c),
            }
        }
        out.push('\'');
        out
    }

    /// `date + days` (both SQL expressions; `days` a whole number), a date.
    fn add_days(&self, date: &str, days: &str) -> String;

    /// A date as the `YYYY-MM-DD` text of a `dt` partition value.
    fn partition_text(&self, date: &str) -> String;

    fn approx_distinct(&self, arg: &str) -> String;

    /// ISO day of the week, Monday 1 to Sunday 7.
    fn day_of_week(&self, arg: &str) -> String;

    fn cardinality(&self, arg: &str) -> String;

    fn array_contains(&self, array: &str, value: &str) -> String;

    /// `base[index]` that gives null, not an error, when the element is missing.
    fn element_at(&self, base: &str, index: &str) -> String;

    /// An expression that fails the query with `message` (an SQL text expression).
    fn fail(&self, message: &str) -> String;

    /// The type name in a CAST.
    fn cast_type(&self, ty: &Type) -> String {
        match ty {
            Type::Boolean => "BOOLEAN".into(),
            Type::TinyInt => "TINYINT".into(),
            Type::SmallInt => "SMALLINT".into(),
            Type::Int => "INTEGER".into(),
            Type::BigInt => "BIGINT".into(),
            Type::Float => "REAL".into(),
            Type::Double => "DOUBLE".into(),
            Type::Decimal { precision, scale } => format!("DECIMAL({precision},{scale})"),
            Type::String | Type::Null | Type::Unknown => "VARCHAR".into(),
            Type::Varchar { length } => format!("VARCHAR({length})"),
            Type::Char { length } => format!("CHAR({length})"),
            Type::Date => "DATE".into(),
            Type::Timestamp => "TIMESTAMP".into(),
            Type::Binary => "VARBINARY".into(),
            Type::Array { element } => format!("ARRAY({})", self.cast_type(element)),
            Type::Map { key, value } => {
                format!("MAP({}, {})", self.cast_type(key), self.cast_type(value))
            }
            Type::Struct { fields } => {
                let inner: Vec<String> = fields
                    .iter()
                    .map(|f| format!("{} {}", self.quote_ident(&f.name), self.cast_type(&f.ty)))
                    .collect();
                format!("ROW({})", inner.join(", "))
            }
        }
    }

    /// Whether output tables can be Iceberg tables written with MERGE (a later seam).
    fn supports_merge(&self) -> bool {
        false
    }
}

/// Amazon Athena, engine version 3: Trino for queries.
#[derive(Clone, Copy, Debug)]
pub struct Athena;

impl Dialect for Athena {
    fn name(&self) -> &'static str {
        "athena"
    }

    fn add_days(&self, date: &str, days: &str) -> String {
        format!("date_add('day', {days}, {date})")
    }

    fn partition_text(&self, date: &str) -> String {
        format!("date_format({date}, '%Y-%m-%d')")
    }

    fn approx_distinct(&self, arg: &str) -> String {
        format!("approx_distinct({arg})")
    }

    fn day_of_week(&self, arg: &str) -> String {
        format!("day_of_week({arg})")
    }

    fn cardinality(&self, arg: &str) -> String {
        format!("cardinality({arg})")
    }

    fn array_contains(&self, array: &str, value: &str) -> String {
        format!("contains({array}, {value})")
    }

    fn element_at(&self, base: &str, index: &str) -> String {
        format!("element_at({base}, {index})")
    }

    fn fail(&self, message: &str) -> String {
        format!("fail({message})")
    }
}

/// DuckDB, the local engine.
#[derive(Clone, Copy, Debug)]
pub struct DuckDb;

impl Dialect for DuckDb {
    fn name(&self) -> &'static str {
        "duckdb"
    }

    fn add_days(&self, date: &str, days: &str) -> String {
        format!("CAST({date} + INTERVAL ({days}) DAY AS DATE)")
    }

    fn partition_text(&self, date: &str) -> String {
        format!("strftime({date}, '%Y-%m-%d')")
    }

    fn approx_distinct(&self, arg: &str) -> String {
        format!("approx_count_distinct({arg})")
    }

    fn day_of_week(&self, arg: &str) -> String {
        format!("isodow({arg})")
    }

    fn cardinality(&self, arg: &str) -> String {
        format!("len({arg})")
    }

    fn array_contains(&self, array: &str, value: &str) -> String {
        format!("list_contains({array}, {value})")
    }

    fn element_at(&self, base: &str, index: &str) -> String {
        format!("{base}[{index}]")
    }

    fn fail(&self, message: &str) -> String {
        format!("error({message})")
    }

    fn cast_type(&self, ty: &Type) -> String {
        match ty {
            Type::Binary => "BLOB".into(),
            Type::Array { element } => format!("{}[]", self.cast_type(element)),
            Type::Struct { fields } => {
                let inner: Vec<String> = fields
                    .iter()
                    .map(|f| format!("{} {}", self.quote_ident(&f.name), self.cast_type(&f.ty)))
                    .collect();
                format!("STRUCT({})", inner.join(", "))
            }
            Type::Char { .. } | Type::Varchar { .. } => "VARCHAR".into(),
            Type::Float => "FLOAT".into(),
            other => Athena.cast_type(other),
        }
    }
}

/// Hive's DDL spelling of a type (Athena's CREATE EXTERNAL TABLE), which differs from the
/// query spelling: `string`, `int`, `float`, `array<…>`.
pub fn hive_ddl_type(ty: &Type) -> String {
    match ty {
        Type::Null | Type::Unknown => "string".into(),
        other => other.to_string(),
    }
}
