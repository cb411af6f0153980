//! SQL: plan → `SqlBundle`, every KPI's statements in the Athena dialect (Hive DDL, Trino
//! DML) and the DuckDB dialect. Decisions are made here; the minijinja templates in
//! `templates/` hold layout only, and quoting is done by Rust filters.

mod dialect;
mod expr;
mod params;
mod statements;

pub use dialect::{Athena, Dialect, DuckDb, hive_ddl_type};
pub use params::{Param, Segment, SqlText};
pub use statements::{KpiSql, LocalAction, SqlBundle, Statement, StatementRole, emit_sql};
