//! Lower: typed IR + project settings → the plan: the KPI DAG with levels, and per KPI its
//! backend IR ([`crate::query::Query`]), what each computed day reads, its output schema and
//! its fingerprint (a hash of the backend IR). The SQL, ASL and SAM emitters read only this.

mod days;
mod fingerprint;
mod query;

pub use days::{DayRange, coverage};
pub use fingerprint::{fingerprint, meaning};
pub use kpi_contract::manifest::{Read, Settings, Target};
pub use query::query_of;

use crate::ir::{self, Column};
use crate::project::Project;
use crate::query::{Query, Reach};
use kpi_contract::Day;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Clone, Debug, Serialize)]
pub struct Plan {
    pub settings: Settings,
    pub sources: Vec<SourcePlan>,
    /// Upstream first; ties by name.
    pub kpis: Vec<KpiPlan>,
}

/// A source as the plan reads it: the same as the typed IR's.
pub type SourcePlan = ir::Source;

#[derive(Clone, Debug, Serialize)]
pub struct KpiPlan {
    pub name: String,
    pub doc: Option<String>,
    /// Hex SHA-256 of the KPI's backend IR and of its upstreams' fingerprints.
    pub fingerprint: String,
    /// Where the output table lives: `<target location><name>/`.
    pub location: String,
    /// Where each attempt's files are written: `<location>attempts/`.
    pub attempts_location: String,
    pub columns: Vec<Column>,
    pub dimensions: Vec<String>,
    pub upstream: Vec<String>,
    /// Position in the DAG: 0 for KPIs that read only sources, else 1 + the deepest upstream.
    pub level: usize,
    /// What each computed day reads, relation by relation.
    pub reads: Vec<Read>,
    /// How the output table already in the catalog snapshot (if any) becomes this schema.
    pub migration: Migration,
    /// The backend IR: what the KPI computes, as one relational query over the days.
    pub query: Query,
    pub definition: ir::Kpi,
}

/// The output table as the catalog snapshot has it, against the schema the KPI now produces.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", content = "columns", rename_all = "snake_case")]
pub enum Migration {
    /// Not in the snapshot, or already this schema.
    None,
    /// The snapshot's columns are a prefix of the new ones: append the rest.
    AddColumns(Vec<Column>),
    /// Columns were removed, renamed, reordered or changed type: Athena cannot migrate that
    /// in place. Holds the first difference, described.
    Incompatible(String),
}

fn migration(existing: Option<&crate::catalog::Table>, columns: &[Column]) -> Migration {
    let Some(table) = existing else {
        return Migration::None;
    };
    for (i, old) in table.columns.iter().enumerate() {
        match columns.get(i) {
            Some(new) if new.name == old.name && new.ty == old.ty => {}
            Some(new) if new.name == old.name => {
                return Migration::Incompatible(format!(
                    "column `{}` changes type from `{}` to `{}`",
                    old.name, old.ty, new.ty
                ));
            }
            Some(new) => {
                return Migration::Incompatible(format!(
                    "column {} was `{}` and is now `{}`",
                    i + 1,
                    old.name,
                    new.name
                ));
            }
            None => {
                return Migration::Incompatible(format!(
                    "column `{}` is no longer produced",
                    old.name
                ));
            }
        }
    }
    match columns.get(table.columns.len()..) {
        Some(added) if !added.is_empty() => Migration::AddColumns(added.to_vec()),
        _ => Migration::None,
    }
}

/// The project's target settings, as the manifest carries them.
pub fn settings(project: &Project) -> Settings {
    let target = &project.target;
    Settings {
        project: project.name.clone(),
        database: target.database.value.clone(),
        location: target.location.value.clone(),
        workgroup: target.workgroup.value.clone(),
        concurrency: target.concurrency.value,
        crawler: target.crawler.as_ref().map(|c| c.value.clone()),
        // The project parser accepts only real calendar dates.
        history_start: Day::parse(&target.history_start.value.to_string()).unwrap_or(Day::EPOCH),
        time_zone: target.time_zone().to_string(),
        chunk_days: target.chunk_days(),
        max_backfill_days: target.max_backfill_days(),
    }
}

/// What each computed day reads, relation by relation; sources named as the project names
/// them.
fn reads(kpi: &ir::Kpi, query: &Query) -> Vec<Read> {
    kpi.relations
        .iter()
        .zip(&query.relations)
        .map(|(relation, lowered)| Read {
            target: match &relation.target {
                ir::RelationTarget::Kpi(name) => Target::Kpi(name.clone()),
                ir::RelationTarget::Source(name) => Target::Source(name.clone()),
            },
            window: match lowered.reach {
                Reach::Window(w) => w,
                Reach::Whole => ir::Window::DAY,
            },
            partitioned: matches!(lowered.reach, Reach::Window(_)),
        })
        .collect()
}

/// Lowers a checked program. `check_labels` gives, per KPI, a readable label for each check
/// (the caller has the source text).
pub fn lower(
    program: &ir::Program,
    project: &Project,
    catalog: &crate::catalog::Catalog,
    check_labels: &BTreeMap<String, Vec<String>>,
) -> Plan {
    let settings = settings(project);
    let sources: Vec<SourcePlan> = program.sources.clone();
    let mut fingerprints: BTreeMap<String, String> = BTreeMap::new();
    let mut levels: BTreeMap<String, usize> = BTreeMap::new();
    let mut kpis = Vec::new();
    for kpi in &program.kpis {
        let labels = check_labels.get(&kpi.name).map_or(&[][..], Vec::as_slice);
        let query = query_of(kpi, &sources, labels);
        let upstream_prints: Vec<(String, String)> = kpi
            .upstream
            .iter()
            .map(|u| (u.clone(), fingerprints.get(u).cloned().unwrap_or_default()))
            .collect();
        let print = fingerprint(&query, &upstream_prints);
        fingerprints.insert(kpi.name.clone(), print.clone());
        let level = kpi
            .upstream
            .iter()
            .filter_map(|u| levels.get(u))
            .max()
            .map_or(0, |l| l + 1);
        levels.insert(kpi.name.clone(), level);
        let reads = reads(kpi, &query);
        let columns = kpi.output_columns();
        let location = format!("{}{}/", settings.location, kpi.name);
        let migration = migration(catalog.table(&settings.database, &kpi.name), &columns);
        kpis.push(KpiPlan {
            name: kpi.name.clone(),
            doc: kpi.doc.clone(),
            fingerprint: print,
            attempts_location: format!("{location}attempts/"),
            location,
            columns,
            dimensions: kpi.dimensions.iter().map(|d| d.name.clone()).collect(),
            upstream: kpi.upstream.clone(),
            level,
            reads,
            migration,
            query,
            definition: kpi.clone(),
        });
    }
    Plan {
        settings,
        sources,
        kpis,
    }
}

impl Plan {
    pub fn kpi(&self, name: &str) -> Option<&KpiPlan> {
        self.kpis.iter().find(|k| k.name == name)
    }

    pub fn source(&self, name: &str) -> Option<&SourcePlan> {
        self.sources.iter().find(|s| s.name == name)
    }

    /// The number of DAG levels (KPIs of one level never read each other).
    pub fn levels(&self) -> usize {
        self.kpis.iter().map(|k| k.level + 1).max().unwrap_or(0)
    }
}
