//! `kpi.yaml` text → [`Project`] (`parse_project`); project sources + catalog →
//! [`BoundSource`]s (`bind_sources`).

mod bind;
pub mod date;
mod errors;
mod parse;
pub mod s3;
mod target;
pub mod yaml;

pub use bind::bind_sources;
pub use date::Date;
pub use parse::parse_project;

use crate::catalog::Table;
use crate::span::Span;
use serde::Serialize;

/// A value from the project file and where it was written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Located<T> {
    pub value: T,
    pub span: Span,
}

/// The parsed `kpi.yaml`.
#[derive(Clone, Debug, Serialize)]
pub struct Project {
    pub name: String,
    pub name_span: Span,
    /// Catalog snapshot paths (files or directories), relative to the project directory.
    pub catalog: Vec<Located<String>>,
    /// In the file's order.
    pub sources: Vec<SourceDecl>,
    pub target: Target,
}

impl Project {
    pub fn source(&self, name: &str) -> Option<&SourceDecl> {
        self.sources.iter().find(|s| s.name == name)
    }
}

/// One entry of `sources:`.
#[derive(Clone, Debug, Serialize)]
pub struct SourceDecl {
    pub name: String,
    pub name_span: Span,
    pub database: String,
    pub table: String,
    /// The whole `database.table` value.
    pub table_span: Span,
    pub kind: SourceKind,
    pub kind_span: Span,
    pub partition: Option<String>,
    pub partition_span: Option<Span>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// A day-partitioned log: a day reads its own partition.
    Events,
    /// A daily snapshot of master data: a day reads the snapshot of that day.
    Snapshot,
    /// An unpartitioned table, read whole.
    Table,
}

impl SourceKind {
    pub const NAMES: [&'static str; 3] = ["events", "snapshot", "table"];

    pub fn from_name(name: &str) -> Option<SourceKind> {
        match name {
            "events" => Some(SourceKind::Events),
            "snapshot" => Some(SourceKind::Snapshot),
            "table" => Some(SourceKind::Table),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            SourceKind::Events => "events",
            SourceKind::Snapshot => "snapshot",
            SourceKind::Table => "table",
        }
    }

    pub fn is_partitioned(self) -> bool {
        self != SourceKind::Table
    }
}

/// Where and how the KPIs are written and run (`target:`).
#[derive(Clone, Debug, Serialize)]
pub struct Target {
    pub database: Located<String>,
    /// `s3://bucket/prefix/`, always ending with `/`.
    pub location: Located<String>,
    pub workgroup: Located<String>,
    /// The run's parallelism budget, 1..=100.
    pub concurrency: Located<u32>,
    /// The Glue crawler whose success starts a run; `None` when runs are scheduled.
    pub crawler: Option<Located<String>>,
    pub history_start: Located<Date>,
    /// IANA name or `UTC`; `None` means UTC.
    pub time_zone: Option<Located<String>>,
    /// The most days one write computes, 1..=100; `None` means 100.
    pub chunk_days: Option<Located<u32>>,
    /// The longest span of days one execution accepts; `None` means 366.
    pub max_backfill_days: Option<Located<u32>>,
}

impl Target {
    pub fn chunk_days(&self) -> u32 {
        self.chunk_days
            .as_ref()
            .map_or(parse::DEFAULT_CHUNK_DAYS, |c| c.value)
    }

    pub fn max_backfill_days(&self) -> u32 {
        self.max_backfill_days
            .as_ref()
            .map_or(parse::DEFAULT_MAX_BACKFILL_DAYS, |c| c.value)
    }

    pub fn time_zone(&self) -> &str {
        self.time_zone
            .as_ref()
            .map_or("UTC", |tz| tz.value.as_str())
    }
}

/// A source resolved to its catalog table.
#[derive(Clone, Debug, Serialize)]
pub struct BoundSource {
    pub name: String,
    pub name_span: Span,
    pub kind: SourceKind,
    /// Lower-case, and a partition key of `table`.
    pub partition: Option<String>,
    pub table: Table,
}

#[cfg(test)]
mod tests;
