//! What the planner needs to know of published partitions and source partitions, whoever
//! keeps them: the local catalog over a lake directory, or Glue.

use kpi_contract::Day;
use kpi_contract::manifest::{Kpi, Source};
use std::collections::{BTreeMap, BTreeSet};

/// A published partition of a KPI, as the planner sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    /// The fingerprint of the definition that computed it.
    pub fingerprint: String,
    /// When it was published, as a number that grows with every publication (the local
    /// catalog's counter; on Glue, `kpi.published`, the publication time in milliseconds).
    /// 0: unknown, neither newer nor older than anything.
    pub sequence: u64,
    /// The digest of the source files it read, when the runtime that computed it knew it.
    pub inputs: Option<String>,
}

/// Published KPI partitions and source partitions.
pub trait PartitionStore {
    /// The published partition of `kpi` for `day`, if there is one.
    fn published(&self, kpi: &str, day: Day) -> Option<Published>;

    /// Whether `source` has its partition for `day` (an unpartitioned source: always).
    fn source_partition(&self, source: &Source, day: Day) -> bool;

    /// Why the published partition of `kpi` for `day` no longer holds the files it was
    /// published with, when the store can tell.
    fn damaged(&self, _kpi: &Kpi, _day: Day) -> Option<String> {
        None
    }

    /// The digest of the source files `kpi` reads for `day` now, when the store can tell;
    /// a published partition whose digest differs is stale.
    fn inputs_digest(&self, _kpi: &Kpi, _day: Day) -> Option<String> {
        None
    }
}

/// A store held in memory: what was read from Glue before planning, or a test's.
#[derive(Debug, Clone, Default)]
pub struct Partitions {
    /// KPI → day → its published partition.
    pub published: BTreeMap<String, BTreeMap<Day, Published>>,
    /// Source (`database.table`) → the days whose partitions exist. A source not listed is
    /// taken to have every partition.
    pub sources: BTreeMap<String, BTreeSet<Day>>,
}

impl Partitions {
    pub fn publish(&mut self, kpi: &str, day: Day, partition: Published) {
        self.published
            .entry(kpi.to_string())
            .or_default()
            .insert(day, partition);
    }
}

/// The key of a source in [`Partitions::sources`].
pub fn source_key(source: &Source) -> String {
    format!("{}.{}", source.database, source.table)
}

impl PartitionStore for Partitions {
    fn published(&self, kpi: &str, day: Day) -> Option<Published> {
        self.published.get(kpi)?.get(&day).cloned()
    }

    fn source_partition(&self, source: &Source, day: Day) -> bool {
        source.partition.is_none()
            || self
                .sources
                .get(&source_key(source))
                .is_none_or(|days| days.contains(&day))
    }
}
