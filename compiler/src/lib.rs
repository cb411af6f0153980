//! The kpi compiler: `.kpi` texts, `kpi.yaml` and a Glue catalog snapshot in; typed IR (and
//! later SQL, ASL and SAM) or diagnostics out. It does no IO: the caller reads files and hands
//! their text in through [`span::Sources`].

pub mod catalog;
pub mod diagnostic;
pub mod project;
pub mod span;
pub mod types;
