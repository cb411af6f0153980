//! Diff: two compiled projects (a base revision and a head) → what the change does: per KPI
//! added, removed or changed (semantic, metadata or cosmetic), its output schema change
//! (breaking or not, with the reason), the KPIs downstream of it, the `kpi.yaml` settings
//! and catalog snapshot that changed, and the backfill the change needs. Pure: `kpi diff`
//! compiles both sides and hands them in; the bytes a backfill reads come from the runtime.
//!
//! The serialized [`Diff`] is `kpi diff --format json`: fields are only ever added.

mod artifacts;
mod backfill;
mod data;
mod kpis;
mod project;
mod render;
mod render_data;
#[cfg(test)]
mod tests;

pub use artifacts::{ArtifactDiff, artifacts};
pub use backfill::{Backfill, BackfillKpi, Cost, WallTime, backfill};
pub use data::{ColumnData, DataDiff, Example, KpiData, Rows, compare_rows};
pub use project::catalog_drift;
pub use render::{render_markdown, render_text};

use crate::driver::Compiled;
use kpi_contract::{Day, DayRange};
use serde::Serialize;

/// Bumped when a field changes meaning or goes away (adding one does not bump it).
pub const FORMAT_VERSION: u32 = 1;

/// Everything a change does, base → head.
#[derive(Clone, Debug, Serialize)]
pub struct Diff {
    pub version: u32,
    pub base: Side,
    pub head: Side,
    /// True when any KPI's values can change: what `--exit-code` exits 1 for.
    pub semantic: bool,
    /// True when any output table changes incompatibly for its readers.
    pub breaking: bool,
    /// `kpi.yaml` target settings that changed.
    pub settings: Vec<SettingChange>,
    /// A changed `history_start`.
    pub history: Option<HistoryChange>,
    /// Catalog snapshot tables that changed.
    pub drift: Vec<TableDrift>,
    /// The head's errors: while there are any, its KPIs cannot be compared.
    pub errors: Vec<HeadError>,
    /// Every KPI that is not the same on both sides: head order, then the removed ones.
    pub kpis: Vec<KpiChange>,
    /// KPIs whose values cannot change but whose fingerprint does (they read only unchanged
    /// columns of a changed upstream): `kpi run` recomputes them all the same.
    pub fingerprint_only: Vec<String>,
    /// Filled in by [`backfill`].
    pub backfill: Option<Backfill>,
    /// The row-level differences over some days (`kpi diff --data`), filled in by the CLI.
    pub data: Option<DataDiff>,
    /// The generated files that differ (`kpi diff --artifacts`), filled in by the CLI.
    pub artifacts: Option<Vec<ArtifactDiff>>,
}

/// One side of the diff: what was compared.
#[derive(Clone, Debug, Serialize)]
pub struct Side {
    /// The revision as the user named it (`working tree` for the files on disk).
    pub revision: String,
    pub kpis: usize,
    pub errors: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Added,
    Removed,
    Changed,
}

/// What kind of change a KPI went through, strongest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Nature {
    /// What it computes changed (its backend IR, or the meaning of what it reads).
    Semantic,
    /// Only documentation changed: the KPI's or a column's doc comment.
    Metadata,
    /// Only the text changed: layout, comments, aliases, check wording.
    Cosmetic,
}

#[derive(Clone, Debug, Serialize)]
pub struct KpiChange {
    pub name: String,
    pub change: Change,
    pub nature: Nature,
    /// Why, one reason a line (`the filter changed`, `upstream `x` changed`).
    pub reasons: Vec<String>,
    /// True when the output table changes incompatibly for whoever reads it.
    pub breaking: bool,
    /// Column by column: what changed in the output schema.
    pub schema: Vec<ColumnChange>,
    /// Every KPI downstream of this one (transitively), in head order.
    pub downstream: Vec<Downstream>,
    /// True when `kpi run` recomputes its days: a new KPI or a new fingerprint.
    pub recompute: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnChangeKind {
    Added,
    Removed,
    Retyped,
    /// Same name and type, another computation.
    Meaning,
}

#[derive(Clone, Debug, Serialize)]
pub struct ColumnChange {
    pub column: String,
    pub change: ColumnChangeKind,
    pub breaking: bool,
    pub reason: String,
}

/// A KPI reached through the DAG from a changed one.
#[derive(Clone, Debug, Serialize)]
pub struct Downstream {
    pub kpi: String,
    /// True when its values can change (it reads something whose values change).
    pub must_recompute: bool,
    pub reason: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct SettingChange {
    pub setting: String,
    pub base: String,
    pub head: String,
    /// What it does to the KPIs.
    pub effect: String,
    /// True when it changes what every KPI computes.
    pub semantic: bool,
}

/// A moved `history_start`: the days it adds or removes, and the first days of each windowed
/// KPI whose window it cuts differently.
#[derive(Clone, Debug, Serialize)]
pub struct HistoryChange {
    pub base: Day,
    pub head: Day,
    pub added: Option<DayRange>,
    pub removed: Option<DayRange>,
    /// Days present on both sides whose window now starts at another day.
    pub cut: Vec<CutChange>,
}

#[derive(Clone, Debug, Serialize)]
pub struct CutChange {
    pub kpi: String,
    pub days: DayRange,
}

#[derive(Clone, Debug, Serialize)]
pub struct TableDrift {
    /// `database.table`.
    pub table: String,
    pub change: Change,
    pub columns: Vec<ColumnDrift>,
    /// The KPIs that read the table (on the head side, else the base side).
    pub read_by: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ColumnDrift {
    pub column: String,
    pub change: ColumnChangeKind,
    pub base: Option<String>,
    pub head: Option<String>,
    /// For an added column: the removed one it probably renames (the only column of its type
    /// removed from the table while it is the only one of that type added).
    pub renames: Option<String>,
}

/// An error of the head, placed.
#[derive(Clone, Debug, Serialize)]
pub struct HeadError {
    pub code: String,
    pub message: String,
    /// Relative to the project root; 1-based line and column.
    pub file: Option<String>,
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// The KPI whose definition holds it.
    pub kpi: Option<String>,
}

/// Compares two compiled projects. Both must have been compiled with [`crate::driver::Options::build`]
/// for their KPIs to be compared (a side with errors has no plan: its errors are listed).
pub fn diff(base: &Compiled, head: &Compiled, base_name: &str, head_name: &str) -> Diff {
    let side = |c: &Compiled, revision: &str| Side {
        revision: revision.to_string(),
        kpis: c.program.as_ref().map_or(0, |p| p.kpis.len()),
        errors: c.diagnostics.iter().filter(|d| d.is_error()).count(),
    };
    let base_plan = base.artifacts.as_ref().map(|a| &a.plan);
    let head_plan = head.artifacts.as_ref().map(|a| &a.plan);
    let (settings, history) = match (base_plan, head_plan) {
        (Some(b), Some(h)) => project::settings(b, h),
        _ => (Vec::new(), None),
    };
    let drift = project::drift(base, head);
    let errors = project::head_errors(head);
    let (kpis, fingerprint_only) = match (base_plan, head_plan) {
        (Some(b), Some(h)) => kpis::compare(b, h, base, head, &settings),
        _ => (Vec::new(), Vec::new()),
    };
    // A side without a plan proves nothing: count it as semantic, so `--exit-code` fails.
    let semantic = kpis.iter().any(|k| k.nature == Nature::Semantic)
        || settings.iter().any(|s| s.semantic)
        || history.is_some()
        || base_plan.is_none()
        || head_plan.is_none();
    Diff {
        version: FORMAT_VERSION,
        base: side(base, base_name),
        head: side(head, head_name),
        semantic,
        breaking: kpis.iter().any(|k| k.breaking),
        settings,
        history,
        drift,
        errors,
        kpis,
        fingerprint_only,
        backfill: None,
        data: None,
        artifacts: None,
    }
}

impl Diff {
    /// The KPIs whose rows can differ, in the diff's order: the added, removed and
    /// semantically changed ones and what must recompute downstream of them; every KPI of
    /// `every` when a setting changes what every KPI computes.
    pub fn data_kpis(&self, every: &[String]) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut add = |name: &str| {
            if !out.iter().any(|n| n == name) {
                out.push(name.to_string());
            }
        };
        if self.settings.iter().any(|s| s.semantic) {
            every.iter().for_each(|n| add(n));
        }
        for k in &self.kpis {
            if k.change != Change::Changed || k.nature == Nature::Semantic {
                add(&k.name);
            }
        }
        for k in &self.kpis {
            for d in k.downstream.iter().filter(|d| d.must_recompute) {
                add(&d.kpi);
            }
        }
        out
    }
}
