//! The population → daily Parquet snapshots of `master.companies`, `master.departments` and
//! `master.members` (each member in their department of that day), written by an in-memory DuckDB on one thread (so every file is
//! byte-identical from run to run), each to `*.tmp` and then renamed into its partition.

use super::world::{World, day_number};
use super::{SampleError, io_error, partition_dir, tmp_path, write_atomic};
use chrono::NaiveDate;
use duckdb::{Connection, params};
use std::path::Path;

fn db(error: duckdb::Error) -> SampleError {
    SampleError::DuckDb(error.to_string())
}

const SCHEMA: &str = "
SET threads = 1;
SET preserve_insertion_order = true;
CREATE TABLE companies (
    company_id BIGINT, name VARCHAR, industry VARCHAR, size_band VARCHAR, contract_value VARCHAR
);
CREATE TABLE departments (department_id BIGINT, company_id BIGINT, name VARCHAR);
CREATE TABLE members (
    member_id BIGINT, company_id BIGINT, role VARCHAR, joined INTEGER, left_day INTEGER
);
-- A member's department from day `since` (included) to day `until` (excluded, NULL: open).
CREATE TABLE placements (
    member_id BIGINT, department_id BIGINT, since INTEGER, until INTEGER
);
";

/// Loads the population into DuckDB and copies one snapshot per table and day; returns the
/// bytes written.
pub fn write_snapshots(
    master_dir: &Path,
    world: &World,
    days: &[NaiveDate],
) -> Result<u64, SampleError> {
    let conn = Connection::open_in_memory().map_err(db)?;
    conn.execute_batch(SCHEMA).map_err(db)?;
    load(&conn, world).map_err(db)?;
    let mut bytes = 0;
    // Companies and departments do not change from day to day: DuckDB writes the first
    // day's file and the other days get a copy of its bytes.
    for (table, query) in [
        (
            "companies",
            "SELECT company_id, name, industry, size_band, \
             CAST(contract_value AS DECIMAL(12,2)) AS contract_value \
             FROM companies ORDER BY company_id",
        ),
        (
            "departments",
            "SELECT department_id, company_id, name FROM departments ORDER BY department_id",
        ),
    ] {
        let mut first: Option<Vec<u8>> = None;
        for &date in days {
            let path = partition_dir(&master_dir.join(table), date).join("part-0.parquet");
            bytes += match &first {
                Some(content) => write_atomic(&path, content)?,
                None => {
                    let written = copy(&conn, query, &path)?;
                    first = Some(std::fs::read(&path).map_err(io_error(&path))?);
                    written
                }
            };
        }
    }
    for &date in days {
        let day = day_number(date);
        let query = format!(
            "SELECT m.member_id, m.company_id, p.department_id, m.role, \
             DATE '1970-01-01' + m.joined AS joined_on, \
             CASE WHEN m.left_day <= {day} THEN DATE '1970-01-01' + m.left_day END AS left_on \
             FROM members m JOIN placements p ON p.member_id = m.member_id \
             AND p.since <= {day} AND (p.until IS NULL OR {day} < p.until) \
             WHERE m.joined <= {day} ORDER BY m.member_id"
        );
        let path = partition_dir(&master_dir.join("members"), date).join("part-0.parquet");
        bytes += copy(&conn, &query, &path)?;
    }
    Ok(bytes)
}

/// Runs `COPY (query) TO path.tmp (FORMAT parquet)` and renames; returns the file's size.
fn copy(conn: &Connection, query: &str, path: &Path) -> Result<u64, SampleError> {
    let tmp = tmp_path(path);
    let target = tmp.to_string_lossy().replace('\'', "''");
    conn.execute_batch(&format!("COPY ({query}) TO '{target}' (FORMAT parquet)"))
        .map_err(db)?;
    std::fs::rename(&tmp, path).map_err(io_error(path))?;
    Ok(std::fs::metadata(path).map_err(io_error(path))?.len())
}

/// Appends the companies, departments, members and their placements (with day numbers for
/// dates).
fn load(conn: &Connection, world: &World) -> duckdb::Result<()> {
    let mut companies = conn.appender("companies")?;
    for c in &world.companies {
        let value = format!("{}.{:02}", c.contract_cents / 100, c.contract_cents % 100);
        companies.append_row(params![c.id, c.name, c.industry, c.size_band, value])?;
    }
    companies.flush()?;
    drop(companies);
    let mut departments = conn.appender("departments")?;
    for d in &world.departments {
        let company = world.companies[d.company as usize].id;
        departments.append_row(params![d.id, company, d.name])?;
    }
    departments.flush()?;
    drop(departments);
    let mut members = conn.appender("members")?;
    for m in &world.members {
        members.append_row(params![
            m.id,
            world.companies[m.company as usize].id,
            m.role.as_str(),
            m.joined,
            m.left,
        ])?;
    }
    members.flush()?;
    drop(members);
    let mut placements = conn.appender("placements")?;
    for m in &world.members {
        let mut since = m.joined;
        let mut department = m.department;
        for &(day, next) in &m.moves {
            let id = world.departments[department as usize].id;
            placements.append_row(params![m.id, id, since, Some(day)])?;
            (since, department) = (day, next);
        }
        let id = world.departments[department as usize].id;
        placements.append_row(params![m.id, id, since, Option::<i32>::None])?;
    }
    placements.flush()?;
    Ok(())
}
