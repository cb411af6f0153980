//! The build manifest, `manifest.json`: everything a runtime needs to run a build, and nothing
//! of the compiler's internals: the project's settings, its sources as the catalog describes
//! them, each KPI's reads, output schema and statements, and the state machine's Task states.

use crate::day::{Day, DayRange};
use crate::hive::Column;
use crate::sql::SqlText;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The manifest's format version: a runtime refuses a manifest of another version.
pub const VERSION: u32 = 3;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub version: u32,
    pub generated_by: String,
    pub project: Settings,
    pub sources: Vec<Source>,
    /// Upstream first; ties by name.
    pub kpis: Vec<Kpi>,
    /// Every Athena Task state of the state machine and the statement it runs.
    pub states: Vec<TaskBinding>,
    /// Every state machine of the build, children first (deploy them in this order), the
    /// top-level one (the one to start) last.
    pub machines: Vec<MachineFile>,
    /// What deploying substitutes for each `${Name}` of the definition (the SAM template's
    /// `DefinitionSubstitutions` at their defaults): a local run substitutes the same.
    pub substitutions: std::collections::BTreeMap<String, String>,
}

/// The project's target settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    pub project: String,
    pub database: String,
    /// `s3://bucket/prefix/`, ending with `/`.
    pub location: String,
    pub workgroup: String,
    /// KPI chunks run at once, across the whole execution.
    pub concurrency: u32,
    pub crawler: Option<String>,
    pub history_start: Day,
    pub time_zone: String,
    /// The most days one write computes (at most 100, Athena's partitions per write).
    pub chunk_days: u32,
    /// The longest span of days one execution accepts.
    pub max_backfill_days: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// Partitioned by day; a day reads its own partition (or a window of them).
    Events,
    /// A daily snapshot: a day reads the snapshot of that day.
    Snapshot,
    /// Unpartitioned, read whole.
    Table,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceFormat {
    /// JSON lines, gzip-compressed or not.
    Json,
    Parquet,
    /// Anything else, named by its SerDe or input format class.
    Other(String),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Source {
    /// The name KPIs use (`events`).
    pub name: String,
    pub database: String,
    pub table: String,
    pub kind: SourceKind,
    /// The day partition column (`dt`), for events and snapshots.
    pub partition: Option<String>,
    /// `s3://bucket/prefix/`, as the catalog gives it.
    pub location: Option<String>,
    pub format: SourceFormat,
    /// Every column, the partition column last.
    pub columns: Vec<Column>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Kpi {
    pub name: String,
    pub doc: Option<String>,
    /// Hex SHA-256 of the KPI's backend IR and its upstreams' fingerprints.
    pub fingerprint: String,
    /// 0 for KPIs that read only sources, else 1 + the deepest upstream's.
    pub level: usize,
    pub upstream: Vec<String>,
    pub reads: Vec<Read>,
    /// `<target location><name>/`.
    pub location: String,
    /// `<location>attempts/`: each attempt writes `dt=<day>/attempt=<id>/` under it.
    pub attempts_location: String,
    /// Output columns, dimensions first (the partition column `dt` is implied).
    pub columns: Vec<Column>,
    pub dimensions: Vec<String>,
    pub statements: Vec<Statement>,
}

/// One relation a KPI reads, and which of its days each computed day reads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Read {
    pub target: Target,
    pub window: Window,
    /// Whether the relation is partitioned by day (KPIs always are; `table` sources are not).
    pub partitioned: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", content = "name", rename_all = "snake_case")]
pub enum Target {
    Source(String),
    Kpi(String),
}

/// The `days` days ending `ends_before` days before the day computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub days: u32,
    pub ends_before: u32,
}

impl Window {
    pub const DAY: Window = Window {
        days: 1,
        ends_before: 0,
    };

    /// The days a computed day reads: `[day - ends_before - days + 1, day - ends_before]`.
    pub fn of_day(self, day: Day) -> Option<DayRange> {
        self.of_range(DayRange::one(day))
    }

    /// The days a range of computed days reads, its reach.
    pub fn of_range(self, range: DayRange) -> Option<DayRange> {
        let back = i64::from(self.ends_before);
        let first = range
            .first
            .add_days(-back - i64::from(self.days.max(1)) + 1)?;
        let last = range.last.add_days(-back)?;
        DayRange::new(first, last)
    }

    /// Days read before the first computed day: the lead-in of a chunk.
    pub fn lead_in(self) -> u32 {
        self.days.max(1) - 1 + self.ends_before
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Creates a table or adds columns (Athena DDL); once per execution.
    Setup,
    /// Writes the chunk's days to the attempt's fresh prefixes (Athena DML).
    Write,
    /// Returns one row per day of the chunk: its rows and why it fails, if it does (DML).
    Check,
}

impl Role {
    /// Whether Athena counts the statement against its DDL quota (and does not bill it).
    pub fn is_ddl(self) -> bool {
        self == Role::Setup
    }
}

/// What the local runtime does for a statement.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LocalAction {
    /// Runs this DuckDB SQL.
    Sql { sql: SqlText },
    /// Registers the KPI's table in the local catalog.
    RegisterTable,
    /// Nothing to do locally (the local catalog keeps no schemas).
    Nothing,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Statement {
    /// File stem and Task name part: `01_create_table`, `03_write`…
    pub name: String,
    pub role: Role,
    /// The Athena text (Hive DDL or Trino DML).
    pub athena: SqlText,
    pub local: LocalAction,
}

/// An Athena Task state of the state machine and the statement it runs for the KPIs listed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskBinding {
    pub state: String,
    /// The statement's name in every KPI that has it (`03_write`).
    pub statement: String,
    /// The phase (`Setup`, `Level0`…) whose Map runs the state.
    pub phase: String,
    /// The KPIs whose items reach the state, in route order.
    pub kpis: Vec<String>,
}

/// One state machine of a build.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MachineFile {
    /// What its name adds to the project's state machine name (`-g0`; empty for the top one).
    pub suffix: String,
    /// Its definition among the build's files (`statemachines/g0.asl.json`).
    pub file: String,
    /// The `${Name}` the parent's definition refers to its ARN by (its
    /// `DefinitionSubstitutions` key); `None` for the top-level machine.
    pub substitution: Option<String>,
}

#[derive(Debug)]
pub struct ManifestError(pub String);

impl std::fmt::Display for ManifestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ManifestError {}

impl Manifest {
    pub fn parse(text: &str) -> Result<Manifest, ManifestError> {
        #[derive(Deserialize)]
        struct Versioned {
            version: Option<u32>,
        }
        let version = serde_json::from_str::<Versioned>(text)
            .map_err(|e| ManifestError(format!("not a kpi build manifest: {e}")))?
            .version;
        if version != Some(VERSION) {
            return Err(ManifestError(format!(
                "the manifest is of version {}, this kpi reads version {VERSION}; build the project again with this kpi",
                version.map_or_else(|| "1".to_string(), |v| v.to_string())
            )));
        }
        serde_json::from_str(text)
            .map_err(|e| ManifestError(format!("not a kpi build manifest: {e}")))
    }

    pub fn read(path: &Path) -> Result<Manifest, ManifestError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ManifestError(format!("cannot read {}: {e}", path.display())))?;
        Manifest::parse(&text).map_err(|e| ManifestError(format!("{}: {}", path.display(), e.0)))
    }

    /// The manifest as `manifest.json` holds it: pretty JSON with a trailing newline.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_else(|_| "{}".into());
        text.push('\n');
        text
    }

    pub fn kpi(&self, name: &str) -> Option<&Kpi> {
        self.kpis.iter().find(|k| k.name == name)
    }

    /// A state machine definition as deploying it makes it: each `${Name}` of
    /// [`Manifest::substitutions`] replaced by its value (JSON-escaped: the placeholders stand
    /// inside JSON strings).
    pub fn substitute(&self, definition: &str) -> String {
        let mut text = definition.to_string();
        for (name, value) in &self.substitutions {
            let escaped = serde_json::to_string(value).unwrap_or_default();
            let inner = escaped
                .get(1..escaped.len().saturating_sub(1))
                .unwrap_or("");
            text = text.replace(&format!("${{{name}}}"), inner);
        }
        text
    }

    /// The machines a top-level one starts (`startExecution.sync:2`), by the ARN a local run
    /// substitutes, each with its definition file.
    pub fn children(&self) -> impl Iterator<Item = (&str, &MachineFile)> {
        self.machines.iter().filter_map(|m| {
            let arn = self.substitutions.get(m.substitution.as_deref()?)?;
            Some((arn.as_str(), m))
        })
    }

    pub fn source(&self, name: &str) -> Option<&Source> {
        self.sources.iter().find(|s| s.name == name)
    }
}

impl Kpi {
    pub fn statement(&self, name: &str) -> Option<&Statement> {
        self.statements.iter().find(|s| s.name == name)
    }

    /// The days of each relation that computing `range` reads, in the order of `reads`.
    pub fn reach(&self, range: DayRange) -> Vec<(&Read, Option<DayRange>)> {
        self.reads
            .iter()
            .map(|r| {
                (
                    r,
                    if r.partitioned {
                        r.window.of_range(range)
                    } else {
                        None
                    },
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_reach_back_from_each_chunk() {
        let d = |s: &str| Day::parse(s).unwrap();
        let chunk = DayRange::new(d("2024-02-01"), d("2024-02-29")).unwrap();
        let month = Window {
            days: 30,
            ends_before: 0,
        };
        assert_eq!(
            month.of_range(chunk),
            DayRange::new(d("2024-01-03"), d("2024-02-29"))
        );
        assert_eq!(month.lead_in(), 29);
        let cohort = Window {
            days: 7,
            ends_before: 28,
        };
        assert_eq!(
            cohort.of_day(d("2024-02-29")),
            DayRange::new(d("2024-01-26"), d("2024-02-01"))
        );
        assert_eq!(cohort.lead_in(), 34);
        assert_eq!(
            Window::DAY.of_day(d("2024-02-29")),
            Some(DayRange::one(d("2024-02-29")))
        );
    }

    #[test]
    fn a_manifest_of_another_version_is_refused() {
        let err = Manifest::parse(r#"{"project": {}}"#).unwrap_err().0;
        assert!(
            err.contains("version 1") && err.contains("build the project again"),
            "{err}"
        );
    }
}
