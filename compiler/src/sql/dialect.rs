//! SQL dialects as answers to questions: every difference between Athena (Trino for queries)
//! and DuckDB is one method here, and the printer asks; statements never match on the
//! dialect. Where a construct takes arguments, the dialect answers with a [`Shape`]: fixed
//! text with holes the printer fills with its own printing of each argument, so arguments are
//! never pasted in as text.

use crate::types::Type;

/// A piece of a dialect's spelling of a construct.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Piece {
    Text(&'static str),
    /// The construct's argument at this position.
    Arg(usize),
}

pub type Shape = &'static [Piece];

use Piece::{Arg, Text};

/// Words that are keywords in Trino or DuckDB (reserved or not, and a few more that have a
/// meaning somewhere in SQL): an identifier spelt as one of them is always quoted.
const KEYWORDS: &[&str] = &[
    "all",
    "alter",
    "analyse",
    "analyze",
    "and",
    "anti",
    "any",
    "array",
    "as",
    "asc",
    "asof",
    "asymmetric",
    "at",
    "authorization",
    "auto",
    "between",
    "bigint",
    "binary",
    "bit",
    "boolean",
    "both",
    "by",
    "case",
    "cast",
    "char",
    "character",
    "check",
    "coalesce",
    "collate",
    "collation",
    "column",
    "columns",
    "concurrently",
    "constraint",
    "create",
    "cross",
    "cube",
    "current",
    "current_catalog",
    "current_date",
    "current_path",
    "current_role",
    "current_schema",
    "current_time",
    "current_timestamp",
    "current_user",
    "date",
    "day",
    "deallocate",
    "dec",
    "decimal",
    "default",
    "deferrable",
    "delete",
    "desc",
    "describe",
    "distinct",
    "do",
    "double",
    "drop",
    "else",
    "end",
    "escape",
    "except",
    "execute",
    "exists",
    "extract",
    "false",
    "fetch",
    "filter",
    "first",
    "float",
    "for",
    "foreign",
    "freeze",
    "from",
    "full",
    "generated",
    "glob",
    "group",
    "grouping",
    "grouping_id",
    "having",
    "hour",
    "ilike",
    "in",
    "initially",
    "inner",
    "inout",
    "insert",
    "int",
    "integer",
    "intersect",
    "interval",
    "into",
    "is",
    "isnull",
    "join",
    "json_array",
    "json_exists",
    "json_object",
    "json_query",
    "json_table",
    "json_value",
    "lambda",
    "last",
    "lateral",
    "leading",
    "left",
    "like",
    "limit",
    "listagg",
    "localtime",
    "localtimestamp",
    "map",
    "minute",
    "month",
    "national",
    "natural",
    "nchar",
    "none",
    "normalize",
    "not",
    "notnull",
    "null",
    "nullif",
    "numeric",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "ordinality",
    "out",
    "outer",
    "over",
    "overlaps",
    "overlay",
    "partition",
    "pivot",
    "pivot_longer",
    "pivot_wider",
    "placing",
    "position",
    "positional",
    "precision",
    "prepare",
    "primary",
    "qualify",
    "quarter",
    "range",
    "real",
    "recursive",
    "references",
    "returning",
    "right",
    "rollup",
    "row",
    "rows",
    "second",
    "select",
    "semi",
    "setof",
    "show",
    "similar",
    "skip",
    "smallint",
    "some",
    "struct",
    "substring",
    "summarize",
    "symmetric",
    "table",
    "tablesample",
    "then",
    "ties",
    "time",
    "timestamp",
    "to",
    "trailing",
    "treat",
    "trim",
    "true",
    "try_cast",
    "uescape",
    "union",
    "unique",
    "unnest",
    "unpack",
    "unpivot",
    "using",
    "values",
    "varchar",
    "variadic",
    "verbose",
    "week",
    "when",
    "where",
    "window",
    "with",
    "xmlattributes",
    "xmlconcat",
    "xmlelement",
    "xmlexists",
    "xmlforest",
    "xmlnamespaces",
    "xmlparse",
    "xmlpi",
    "xmlroot",
    "xmlserialize",
    "xmltable",
    "year",
    "zone",
];

/// Whether a name can stand unquoted in both dialects: lower case letters, digits and `_`,
/// not starting with a digit, and no keyword.
pub fn is_plain_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && KEYWORDS.binary_search(&name).is_err()
}

pub trait Dialect {
    fn name(&self) -> &'static str;

    /// An identifier: as it is when it is plain, else double-quoted with quotes doubled (the
    /// one place identifiers are quoted). Plain names keep the query text short: it travels
    /// in the state machine's definition, which Step Functions bounds.
    fn quote_ident(&self, name: &str) -> String {
        if is_plain_identifier(name) {
            name.to_string()
        } else {
            format!("\"{}\"", name.replace('"', "\"\""))
        }
    }

    /// A string literal: the one place this dialect's literals are escaped. Control
    /// characters are spliced in with `chr`, so a literal always stays on one line.
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

    /// `date + days`: a date (argument 0) plus a whole number of days (argument 1).
    fn add_days(&self) -> Shape;

    /// A date (argument 0) as the `YYYY-MM-DD` text of a partition value.
    fn day_text(&self) -> Shape;

    /// One row per day from the date argument 0 to the date argument 1, as a relation with
    /// one column; argument 2 is the alias, argument 3 the column name.
    fn day_series(&self) -> Shape;

    /// `base[index]` (arguments 0 and 1) that gives NULL, not an error, when missing.
    fn element(&self) -> Shape;

    fn approx_distinct(&self) -> &'static str;

    /// ISO day of the week, Monday 1 to Sunday 7.
    fn day_of_week(&self) -> &'static str;

    fn cardinality(&self) -> &'static str;

    /// The nearest-rank percentile (rank `max(1, ceil(p × n))` of the `n` sorted values) of
    /// argument 0, the fraction argument 1 (a decimal literal), over the rows where argument
    /// 2 holds (it leaves NULL values out).
    fn exact_percentile(&self) -> Shape;

    /// An estimate of the same, arguments as in [`Dialect::exact_percentile`].
    fn approx_percentile(&self) -> Shape;

    /// Whole units elapsed between two timestamps, truncated toward zero: `f(unit, a, b)`.
    fn elapsed(&self) -> &'static str;

    /// Whether an array holds a value: `f(array, value)`.
    fn array_contains(&self) -> &'static str;

    /// A relation over Parquet files: argument 0 is the pattern (a string literal).
    fn read_files(&self) -> Shape;

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
}

/// Amazon Athena, engine version 3: Trino for queries.
#[derive(Clone, Copy, Debug)]
pub struct Athena;

impl Dialect for Athena {
    fn name(&self) -> &'static str {
        "athena"
    }

    fn add_days(&self) -> Shape {
        &[
            Text("date_add('day', "),
            Arg(1),
            Text(", "),
            Arg(0),
            Text(")"),
        ]
    }

    fn day_text(&self) -> Shape {
        &[Text("date_format("), Arg(0), Text(", '%Y-%m-%d')")]
    }

    fn day_series(&self) -> Shape {
        &[
            Text("UNNEST(sequence("),
            Arg(0),
            Text(", "),
            Arg(1),
            Text(", INTERVAL '1' DAY)) AS "),
            Arg(2),
            Text(" ("),
            Arg(3),
            Text(")"),
        ]
    }

    fn element(&self) -> Shape {
        &[Text("element_at("), Arg(0), Text(", "), Arg(1), Text(")")]
    }

    fn approx_distinct(&self) -> &'static str {
        "approx_distinct"
    }

    fn day_of_week(&self) -> &'static str {
        "day_of_week"
    }

    fn cardinality(&self) -> &'static str {
        "cardinality"
    }

    fn exact_percentile(&self) -> Shape {
        // Athena has no median or percentile_cont: the values sorted, and the one at the
        // rank. The decimal fraction times the count is exact, so is the rank.
        &[
            Text("element_at(array_sort(array_agg("),
            Arg(0),
            Text(") FILTER (WHERE "),
            Arg(2),
            Text(")), greatest(1, CAST(ceil("),
            Arg(1),
            Text(" * count(*) FILTER (WHERE "),
            Arg(2),
            Text(")) AS BIGINT)))"),
        ]
    }

    fn approx_percentile(&self) -> Shape {
        &[
            Text("approx_percentile("),
            Arg(0),
            Text(", "),
            Arg(1),
            Text(") FILTER (WHERE "),
            Arg(2),
            Text(")"),
        ]
    }

    fn elapsed(&self) -> &'static str {
        // Trino's date_diff counts whole units elapsed (the difference in milliseconds
        // divided by the unit, truncated).
        "date_diff"
    }

    fn array_contains(&self) -> &'static str {
        "contains"
    }

    fn read_files(&self) -> Shape {
        // Athena reads tables, never files; statements for it never ask.
        &[Text("(SELECT NULL WHERE FALSE)")]
    }
}

/// DuckDB, the local engine.
#[derive(Clone, Copy, Debug)]
pub struct DuckDb;

impl Dialect for DuckDb {
    fn name(&self) -> &'static str {
        "duckdb"
    }

    fn add_days(&self) -> Shape {
        &[
            Text("CAST("),
            Arg(0),
            Text(" + INTERVAL ("),
            Arg(1),
            Text(") DAY AS DATE)"),
        ]
    }

    fn day_text(&self) -> Shape {
        &[Text("strftime("), Arg(0), Text(", '%Y-%m-%d')")]
    }

    fn day_series(&self) -> Shape {
        &[
            Text("generate_series("),
            Arg(0),
            Text(", "),
            Arg(1),
            Text(", INTERVAL 1 DAY) AS "),
            Arg(2),
            Text(" ("),
            Arg(3),
            Text(")"),
        ]
    }

    fn element(&self) -> Shape {
        &[Arg(0), Text("["), Arg(1), Text("]")]
    }

    fn approx_distinct(&self) -> &'static str {
        "approx_count_distinct"
    }

    fn day_of_week(&self) -> &'static str {
        "isodow"
    }

    fn cardinality(&self) -> &'static str {
        "len"
    }

    fn exact_percentile(&self) -> Shape {
        // quantile_disc is nearest rank (rank max(1, ceil(p × n))), exact for a decimal p.
        &[
            Text("quantile_disc("),
            Arg(0),
            Text(", "),
            Arg(1),
            Text(") FILTER (WHERE "),
            Arg(2),
            Text(")"),
        ]
    }

    fn approx_percentile(&self) -> Shape {
        &[
            Text("approx_quantile("),
            Arg(0),
            Text(", "),
            Arg(1),
            Text(") FILTER (WHERE "),
            Arg(2),
            Text(")"),
        ]
    }

    fn elapsed(&self) -> &'static str {
        // DuckDB's date_diff counts unit boundaries crossed (10:59 to 11:00 is one hour);
        // date_sub counts whole units elapsed, as Trino's date_diff does.
        "date_sub"
    }

    fn array_contains(&self) -> &'static str {
        "list_contains"
    }

    fn read_files(&self) -> Shape {
        // The files hold their partition columns: the path's `key=value` parts are not read.
        &[
            Text("read_parquet("),
            Arg(0),
            Text(", hive_partitioning = false)"),
        ]
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_are_sorted_and_names_quoted_only_when_they_must_be() {
        assert!(
            KEYWORDS.windows(2).all(|w| w[0] < w[1]),
            "sorted, for binary search"
        );
        for plain in ["company_id", "kpi_days", "e", "_x1"] {
            assert_eq!(Athena.quote_ident(plain), plain);
        }
        for (name, quoted) in [
            ("order", "\"order\""),
            ("day", "\"day\""),
            ("dt", "dt"),
            ("Company", "\"Company\""),
            ("1st", "\"1st\""),
            ("a b", "\"a b\""),
            ("a\"b", "\"a\"\"b\""),
            ("", "\"\""),
        ] {
            assert_eq!(DuckDb.quote_ident(name), quoted, "{name}");
        }
    }
}
