//! The lake as the planner's partition store: published partitions from the local catalog,
//! source partitions from the lake's directories (a partition is there when its directory is,
//! even empty: that is how a day with no delivery is declared), each published partition's
//! files checked against those it was published with, and the inputs digest of its source
//! files now.

use crate::inputs::{inputs_digest, partition_dir};
use crate::lake::{Lake, LocalCatalog};
use kpi_contract::Day;
use kpi_contract::manifest::{Kpi, Manifest, Source};
use kpi_plan::{PartitionStore, Published};

/// The local catalog, with or without the lake it describes (without: every source partition
/// is taken to exist and no file is checked, for planning from the catalog alone).
pub struct LakeStore<'a> {
    pub manifest: &'a Manifest,
    pub catalog: &'a LocalCatalog,
    pub lake: Option<&'a Lake>,
}

impl PartitionStore for LakeStore<'_> {
    fn published(&self, kpi: &str, day: Day) -> Option<Published> {
        let p = self
            .catalog
            .partition(&self.manifest.project.database, kpi, day)?;
        Some(Published {
            fingerprint: p.fingerprint.clone(),
            sequence: p.sequence,
            inputs: p.inputs.clone(),
        })
    }

    fn source_partition(&self, source: &Source, day: Day) -> bool {
        match self.lake {
            Some(lake) => partition_dir(lake, source, Some(day)).is_some_and(|dir| dir.is_dir()),
            None => true,
        }
    }

    fn damaged(&self, kpi: &Kpi, day: Day) -> Option<String> {
        let p = self
            .catalog
            .partition(&self.manifest.project.database, &kpi.name, day)?;
        self.lake?.verify(p).err()
    }

    fn inputs_digest(&self, kpi: &Kpi, day: Day) -> Option<String> {
        Some(inputs_digest(self.lake?, self.manifest, kpi, day))
    }
}
