//! The contract between the kpi compiler and its runtimes: every type that crosses from a build
//! to a run is defined here once, with `Serialize` and `Deserialize`, so the compiler writes
//! exactly what the runtimes read.
//!
//! - [`day`]: a calendar day and ranges of days, as partition values `YYYY-MM-DD`.
//! - [`hive`]: the Hive types of stored columns.
//! - [`sql`]: SQL text with typed parameters (the chunk's days, the attempt, the local lake).
//! - [`manifest`]: the build manifest (`manifest.json`): sources, KPIs, statements, Task states.
//! - [`aws`]: the Task resources the state machine uses and the shapes it exchanges with them.
//! - [`limits`]: the AWS limits the compiler proves and the runtimes enforce.

pub mod aws;
pub mod day;
pub mod hive;
pub mod limits;
pub mod manifest;
pub mod sql;

pub use day::{Day, DayRange};
pub use hive::HiveType;
pub use manifest::Manifest;
pub use sql::{Param, Segment, SqlText};
