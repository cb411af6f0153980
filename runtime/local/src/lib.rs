//! The local runtime: the compiled state machine, run by the interpreter, with Athena bound
//! to an embedded DuckDB over a lake directory.
//!
//! - `manifest`: the build manifest as the runtime reads it.
//! - `lake`: the lake directory, its lock and its local catalog of partitions.
//! - `engine`: the DuckDB database: views over the sources and the published KPI partitions.
//! - `sources`, `staging`: the views over the sources' files; JSON lines staged as Parquet.
//! - `convert`, `scalars`: JSON values read as the catalog's types, as Athena's SerDe reads them.
//! - `athena`: the Task handler that runs each Athena task's statement on the engine.
//! - `plan`: which KPI-days are due, in which executions.
//! - `query`: read-only SQL over the lake, for looking at results.
//! - `run`: one local run, start to end.
//! - `report`: what a run did, as text, JSON or HTML.

pub mod athena;
pub mod convert;
pub mod engine;
pub mod lake;
pub mod manifest;
pub mod plan;
pub mod query;
pub mod report;
pub mod run;
pub mod scalars;
pub mod sources;
pub mod staging;
