//! Every Hive type of the catalog, read through the engine's own source views: one value from
//! a JSON line (converted as Athena's SerDe converts it) and one from a Parquet file, each
//! asserted as the value the view gives back.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use kpi_runtime::engine::Engine;
use kpi_runtime::lake::Lake;

/// Reads, through the views, column `v` of a JSON table (one line per `json` value) and of a
/// Parquet table (one row per `parquet` SQL expression), both of Hive type `ty`, as text
/// (`shown` is the SQL that turns `v` into text).
fn read(ty: &str, json: &[&str], parquet: &[&str], shown: &str) -> (Vec<String>, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let columns: &[(&str, &str)] = &[("v", ty)];
    let manifest = support::manifest_of(&[
        ("db", "j", "json", columns),
        ("db", "p", "parquet", columns),
    ]);
    let lines: Vec<String> = json.iter().map(|v| format!("{{\"V\":{v}}}")).collect();
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    support::write_json(dir.path(), "db/j", "2024-01-01", "part-0.json", &lines);
    let query = parquet
        .iter()
        .enumerate()
        .map(|(i, v)| format!("SELECT {i} AS i, {v} AS v"))
        .collect::<Vec<_>>()
        .join(" UNION ALL ");
    support::write_parquet(
        dir.path(),
        "db/p",
        "2024-01-01",
        "part-0.parquet",
        &format!("SELECT v FROM ({query}) ORDER BY i"),
    );
    let lake = Lake::open(dir.path()).unwrap();
    let engine = Engine::open(&lake, &manifest).unwrap();
    let column = |table: &str| -> Vec<String> {
        let sql = format!("SELECT CAST({shown} AS VARCHAR) FROM db.{table}");
        let mut values: Vec<String> = support::rows(engine.connection(), &sql)
            .unwrap()
            .into_iter()
            .map(|r| r[0].clone())
            .collect();
        if table == "j" {
            // JSON rows come in file order; keep it.
        } else {
            values.truncate(parquet.len());
        }
        values
    };
    (column("j"), column("p"))
}

fn check(
    ty: &str,
    json: &[&str],
    parquet: &[&str],
    shown: &str,
    want_json: &[&str],
    want_parquet: &[&str],
) {
    let (j, p) = read(ty, json, parquet, shown);
    assert_eq!(j, want_json, "{ty} from JSON");
    assert_eq!(p, want_parquet, "{ty} from Parquet");
}

#[test]
fn tinyint() {
    check(
        "tinyint",
        &["-128", "\"0x7f\"", "\"12\""],
        &["CAST(-128 AS TINYINT)"],
        "v",
        &["-128", "127", "12"],
        &["-128"],
    );
}

#[test]
fn smallint() {
    check(
        "smallint",
        &["32767", "\"017\""],
        &["CAST(32767 AS SMALLINT)"],
        "v",
        &["32767", "15"],
        &["32767"],
    );
}

#[test]
fn int() {
    check(
        "int",
        &["2147483647", "1.9", "-1e3"],
        &["CAST(-7 AS INTEGER)"],
        "v",
        &["2147483647", "1", "-1000"],
        &["-7"],
    );
}

#[test]
fn bigint() {
    check(
        "bigint",
        &["9223372036854775807", "\"-42\""],
        &["CAST(9223372036854775807 AS BIGINT)"],
        "v",
        &["9223372036854775807", "-42"],
        &["9223372036854775807"],
    );
}

#[test]
fn float() {
    check(
        "float",
        &["1.5", "\"-0.25\"", "\"NaN\""],
        &["CAST(1.5 AS FLOAT)"],
        "v",
        &["1.5", "-0.25", "nan"],
        &["1.5"],
    );
}

#[test]
fn double() {
    check(
        "double",
        &["-2.5e3", "\"0.1\"", "\"-Infinity\""],
        &["CAST(0.1 AS DOUBLE)"],
        "v",
        &["-2500.0", "0.1", "-inf"],
        &["0.1"],
    );
}

#[test]
fn decimal() {
    check(
        "decimal(12,2)",
        &["1234.565", "\"-0.004\"", "\"7\""],
        &["CAST(1234.57 AS DECIMAL(12,2))"],
        "v",
        &["1234.57", "0.00", "7.00"],
        &["1234.57"],
    );
}

#[test]
fn boolean() {
    check(
        "boolean",
        &["true", "\"TRUE\"", "false", "\"yes\"", "1"],
        &["true", "false"],
        "v",
        &["true", "true", "false", "false", "false"],
        &["true", "false"],
    );
}

#[test]
fn string() {
    check(
        "string",
        &["\"h\\u00e9llo\"", "42", "{\"a\": [1, 2]}", "true"],
        &["'héllo'"],
        "v",
        &["héllo", "42", "{\"a\":[1,2]}", "true"],
        &["héllo"],
    );
}

#[test]
fn varchar_is_cut_to_its_length() {
    check(
        "varchar(3)",
        &["\"abcdef\"", "\"ab\""],
        &["'abcdef'"],
        "v",
        &["abc", "ab"],
        &["abc"],
    );
}

#[test]
fn char_is_padded_to_its_length() {
    check(
        "char(5)",
        &["\"ab\"", "\"abcdefg\""],
        &["'ab'"],
        "v || '|'",
        &["ab   |", "abcde|"],
        &["ab   |"],
    );
}

#[test]
fn date() {
    check(
        "date",
        &["\"2024-02-29\"", "19782", "\"2024-2-9 10:00\""],
        &["DATE '2024-02-29'"],
        "v",
        &["2024-02-29", "2024-02-29", "2024-02-09"],
        &["2024-02-29"],
    );
}

#[test]
fn timestamp() {
    check(
        "timestamp",
        &[
            "\"2024-01-04T00:38:29.642Z\"",
            "\"2024-01-04T09:38:29+09:00\"",
            "\"2024-01-04T09:38:29.5+0900\"",
            "\"2024-01-04 00:38:29.642\"",
            "\"2024-01-04T00:38:29\"",
            "1704328709642",
        ],
        &["TIMESTAMP '2024-01-04 00:38:29.642'"],
        "v",
        &[
            "2024-01-04 00:38:29.642",
            "2024-01-04 00:38:29",
            "2024-01-04 00:38:29.5",
            "2024-01-04 00:38:29.642",
            "2024-01-04 00:38:29",
            "2024-01-04 00:38:29.642",
        ],
        &["2024-01-04 00:38:29.642"],
    );
}

#[test]
fn binary() {
    check(
        "binary",
        &["\"AAH/\"", "\"\""],
        &["from_base64('AAH/')"],
        "hex(v)",
        &["0001FF", ""],
        &["0001FF"],
    );
}

#[test]
fn array() {
    check(
        "array<int>",
        &["[1, \"2\", null]", "7", "\"\""],
        &["[1, 2, NULL]"],
        "v",
        &["[1, 2, NULL]", "[7]", "NULL"],
        &["[1, 2, NULL]"],
    );
}

#[test]
fn map() {
    check(
        "map<string,int>",
        &[
            "{\"a\": 1, \"b\": \"2\", \"c\": null}",
            "{\"a\": 1, \"a\": 3}",
        ],
        &["MAP {'a': 1, 'b': 2}"],
        "v",
        &["{a=1, b=2, c=NULL}", "{a=3}"],
        &["{a=1, b=2}"],
    );
}

#[test]
fn struct_fields_match_case_insensitively() {
    check(
        "struct<a:int,b:array<timestamp>>",
        &[
            "{\"A\": \"5\", \"b\": [\"2024-01-04T09:38:29+09:00\"], \"extra\": 1}",
            "[6]",
            "\" \"",
        ],
        &["{'a': 5, 'b': [TIMESTAMP '2024-01-04 00:38:29']}"],
        "v",
        &[
            "{'a': 5, 'b': ['2024-01-04 00:38:29']}",
            "{'a': 6, 'b': NULL}",
            "{'a': NULL, 'b': NULL}",
        ],
        &["{'a': 5, 'b': ['2024-01-04 00:38:29']}"],
    );
}
