//! The local runtime: the compiled state machine, run by the interpreter, with the AWS
//! services it calls bound to an embedded DuckDB and a catalog over a lake directory.
//!
//! - `lake`: the lake directory, its lock and its local catalog of partitions.
//! - `engine`: the DuckDB database: views over the sources and the published KPI partitions.
//! - `sources`, `staging`: the views over the sources' files; JSON lines staged as Parquet.
//! - `convert`, `scalars`: JSON values read as the catalog's types, as Athena's SerDe reads them.
//! - `reads`: what DuckDB read for each query, from its own file system log.
//! - `inputs`: the source files a KPI-day reads, their digest, missing partitions.
//! - `health`: whether those files are whole.
//! - `tasks`: the Task handler: Athena and Glue as the state machine calls them.
//! - `store`: the lake and its catalog as the planner's partition store (`kpi-plan`).
//! - `parquet`: the sample generator's Parquet files, written by DuckDB.
//! - `cost`: what the work costs on Athena, estimated from the files it reads.
//! - `query`: read-only SQL over the lake, for looking at results.
//! - `run`: one local run, start to end.
//! - `readers`: `<lake>/kpi.duckdb`, the published KPI tables for other tools.
//! - `scratch`: a temporary lake over another's sources, for computing without touching it.
//! - `report`: what a run did, as text, JSON or HTML.

pub mod convert;
pub mod cost;
pub mod engine;
pub mod health;
pub mod inputs;
pub mod lake;
pub mod parquet;
pub mod query;
pub mod readers;
pub mod reads;
pub mod report;
pub mod run;
pub mod scalars;
pub mod scratch;
pub mod sources;
pub mod staging;
pub mod store;
pub mod tasks;

/// The build manifest, as the compiler writes it.
pub use kpi_contract::manifest;
/// Which KPI-days are due, in which executions.
pub use kpi_plan as plan;
