//! The sample generator's snapshot files, written by DuckDB: the generator works out the rows,
//! an in-memory DuckDB on one thread (so a table always gives the same bytes) writes them.

use duckdb::{Connection, appender_params_from_iter, types::Value};
use kpi_sample::{Cell, ColumnType, ParquetWriter, Table};
use std::path::Path;

#[derive(Debug, Default, Clone, Copy)]
pub struct DuckDbParquet;

impl ParquetWriter for DuckDbParquet {
    fn write(&self, table: &Table, path: &Path) -> Result<(), String> {
        write(table, path).map_err(|e| e.to_string())
    }
}

fn write(table: &Table, path: &Path) -> duckdb::Result<()> {
    let conn = Connection::open_in_memory()?;
    conn.execute_batch("SET threads = 1; SET preserve_insertion_order = true;")?;
    // Loaded as BIGINT, VARCHAR, day numbers and decimal text; typed in the COPY's select.
    let loaded: Vec<String> = table
        .columns
        .iter()
        .map(|(name, ty)| {
            let stored = match ty {
                ColumnType::Varchar | ColumnType::Decimal { .. } => "VARCHAR",
                ColumnType::BigInt | ColumnType::Date => "BIGINT",
            };
            format!("\"{name}\" {stored}")
        })
        .collect();
    conn.execute_batch(&format!("CREATE TABLE t ({})", loaded.join(", ")))?;
    let mut appender = conn.appender("t")?;
    for row in &table.rows {
        let cells = row.iter().zip(&table.columns);
        appender.append_row(appender_params_from_iter(cells.map(
            |(cell, (_, ty))| match cell {
                Cell::BigInt(v) => Value::BigInt(*v),
                Cell::Decimal(v) => Value::Text(decimal_text(*v, ty)),
                Cell::Date(d) => Value::BigInt(i64::from(*d)),
                Cell::Varchar(s) => Value::Text(s.clone()),
                Cell::Null => Value::Null,
            },
        )))?;
    }
    appender.flush()?;
    drop(appender);
    let select: Vec<String> = table
        .columns
        .iter()
        .map(|(name, ty)| match ty {
            ColumnType::BigInt | ColumnType::Varchar => format!("\"{name}\""),
            ColumnType::Date => {
                format!(
                    "CAST(DATE '1970-01-01' + CAST(\"{name}\" AS INTEGER) AS DATE) AS \"{name}\""
                )
            }
            ColumnType::Decimal { precision, scale } => {
                format!("CAST(\"{name}\" AS DECIMAL({precision},{scale})) AS \"{name}\"")
            }
        })
        .collect();
    let target = path.to_string_lossy().replace('\'', "''");
    conn.execute_batch(&format!(
        "COPY (SELECT {} FROM t) TO '{target}' (FORMAT parquet)",
        select.join(", ")
    ))
}

/// An unscaled decimal as text: 123456 at scale 2 is `1234.56`.
fn decimal_text(unscaled: i64, ty: &ColumnType) -> String {
    let scale = match ty {
        ColumnType::Decimal { scale, .. } => u32::from(*scale),
        _ => 0,
    };
    if scale == 0 {
        return unscaled.to_string();
    }
    let factor = 10_u64.pow(scale);
    let sign = if unscaled < 0 { "-" } else { "" };
    let magnitude = unscaled.unsigned_abs();
    format!(
        "{sign}{}.{:0width$}",
        magnitude / factor,
        magnitude % factor,
        width = scale as usize
    )
}
