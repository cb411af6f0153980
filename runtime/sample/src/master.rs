//! The population → daily Parquet snapshots of `master.companies`, `master.departments` and
//! `master.members` (each member in their department of that day): the rows are worked out
//! here, and a [`ParquetWriter`] the caller gives (the local runtime's DuckDB) writes each
//! file, to `*.tmp` and then renamed into its partition. The generator itself links no
//! database.

use super::world::{World, day_number};
use super::{SampleError, io_error, partition_dir, tmp_path, write_atomic};
use chrono::NaiveDate;
use std::path::Path;

/// A column type of a snapshot file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    BigInt,
    Varchar,
    /// Days since 1970-01-01.
    Date,
    /// An unscaled integer: `Decimal { precision: 12, scale: 2 }` holds cents.
    Decimal {
        precision: u8,
        scale: u8,
    },
}

/// One value of a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    BigInt(i64),
    Varchar(String),
    Date(i32),
    Decimal(i64),
    Null,
}

/// The rows of one snapshot file, in the order they are written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub columns: Vec<(&'static str, ColumnType)>,
    pub rows: Vec<Vec<Cell>>,
}

/// Writes a table as one Parquet file at `path`, the same bytes for the same table every time.
pub trait ParquetWriter: Sync {
    fn write(&self, table: &Table, path: &Path) -> Result<(), String>;
}

/// Writes one snapshot per table and day; returns the bytes written.
pub fn write_snapshots(
    master_dir: &Path,
    world: &World,
    days: &[NaiveDate],
    writer: &dyn ParquetWriter,
) -> Result<u64, SampleError> {
    let mut bytes = 0;
    // Companies and departments do not change from day to day: the first day's file is
    // written and the other days get a copy of its bytes.
    for (table, rows) in [
        ("companies", companies(world)),
        ("departments", departments(world)),
    ] {
        let mut first: Option<Vec<u8>> = None;
        for &date in days {
            let path = partition_dir(&master_dir.join(table), date).join("part-0.parquet");
            bytes += match &first {
                Some(content) => write_atomic(&path, content)?,
                None => {
                    let written = write(writer, &rows, &path)?;
                    first = Some(std::fs::read(&path).map_err(io_error(&path))?);
                    written
                }
            };
        }
    }
    let mut order: Vec<usize> = (0..world.members.len()).collect();
    order.sort_by_key(|&i| world.members[i].id);
    for &date in days {
        let path = partition_dir(&master_dir.join("members"), date).join("part-0.parquet");
        bytes += write(writer, &members(world, &order, day_number(date)), &path)?;
    }
    Ok(bytes)
}

/// Writes `path.tmp` and renames it; returns the file's size.
fn write(writer: &dyn ParquetWriter, table: &Table, path: &Path) -> Result<u64, SampleError> {
    let tmp = tmp_path(path);
    writer
        .write(table, &tmp)
        .map_err(|e| SampleError::Write(format!("{}: {e}", tmp.display())))?;
    std::fs::rename(&tmp, path).map_err(io_error(path))?;
    Ok(std::fs::metadata(path).map_err(io_error(path))?.len())
}

fn text(s: &str) -> Cell {
    Cell::Varchar(s.to_string())
}

fn companies(world: &World) -> Table {
    let mut rows: Vec<Vec<Cell>> = world
        .companies
        .iter()
        .map(|c| {
            vec![
                Cell::BigInt(c.id),
                text(&c.name),
                text(c.industry),
                text(c.size_band),
                Cell::Decimal(c.contract_cents),
            ]
        })
        .collect();
    rows.sort_by_key(|r| match r[0] {
        Cell::BigInt(id) => id,
        _ => 0,
    });
    Table {
        columns: vec![
            ("company_id", ColumnType::BigInt),
            ("name", ColumnType::Varchar),
            ("industry", ColumnType::Varchar),
            ("size_band", ColumnType::Varchar),
            (
                "contract_value",
                ColumnType::Decimal {
                    precision: 12,
                    scale: 2,
                },
            ),
        ],
        rows,
    }
}

fn departments(world: &World) -> Table {
    let mut rows: Vec<(i64, Vec<Cell>)> = world
        .departments
        .iter()
        .map(|d| {
            let company = world.companies[d.company as usize].id;
            (
                d.id,
                vec![Cell::BigInt(d.id), Cell::BigInt(company), text(&d.name)],
            )
        })
        .collect();
    rows.sort_by_key(|(id, _)| *id);
    Table {
        columns: vec![
            ("department_id", ColumnType::BigInt),
            ("company_id", ColumnType::BigInt),
            ("name", ColumnType::Varchar),
        ],
        rows: rows.into_iter().map(|(_, r)| r).collect(),
    }
}

/// Every member who joined on or before `day`, in their department of that day; `left_on`
/// once they have left.
fn members(world: &World, order: &[usize], day: i32) -> Table {
    let mut rows = Vec::new();
    for &i in order {
        let m = &world.members[i];
        if m.joined > day {
            continue;
        }
        let mut department = m.department;
        for &(moved, next) in &m.moves {
            if moved <= day {
                department = next;
            }
        }
        rows.push(vec![
            Cell::BigInt(m.id),
            Cell::BigInt(world.companies[m.company as usize].id),
            Cell::BigInt(world.departments[department as usize].id),
            text(m.role.as_str()),
            Cell::Date(m.joined),
            match m.left {
                Some(left) if left <= day => Cell::Date(left),
                _ => Cell::Null,
            },
        ]);
    }
    Table {
        columns: vec![
            ("member_id", ColumnType::BigInt),
            ("company_id", ColumnType::BigInt),
            ("department_id", ColumnType::BigInt),
            ("role", ColumnType::Varchar),
            ("joined_on", ColumnType::Date),
            ("left_on", ColumnType::Date),
        ],
        rows,
    }
}
