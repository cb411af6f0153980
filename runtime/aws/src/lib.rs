//! kpi on AWS, through the AWS SDK for Rust.
//!
//! - `connect`: the SDK's configuration from the standard chain (environment, profiles, SSO),
//!   with `--endpoint-url` / `AWS_ENDPOINT_URL`; a missing region or credentials is one
//!   sentence and a hint before any call.
//! - `error`: every SDK error as one sentence and a hint.
//! - `catalog`: Glue's tables as `aws glue get-tables` prints them (`kpi schema pull`).
//! - `partitions`: Glue's partitions as the run planner's store (`kpi run --target aws`).
//! - `machine`: the state machine: deploy, start, follow, list, redrive.
//! - `tasks`: the machine's Task resources answered by the real services, for the local
//!   interpreter (`kpi run --target athena`).
//!
//! Every call runs on a one-thread tokio runtime owned by [`Aws`]; the API is synchronous.

pub mod catalog;
mod connect;
pub mod error;
pub mod machine;
pub mod partitions;
pub mod tasks;

pub use connect::{Aws, AwsOptions};
pub use error::AwsError;
