//! The build manifest (`manifest.json`), as the local runtime reads it: the sources and their
//! layout, each KPI's statements in both dialects, and which Task state runs which statement.

use serde::Deserialize;
use serde_json::Value;
use std::path::Path;

#[derive(Debug, Clone, Deserialize)]
pub struct Manifest {
    pub project: Settings,
    pub sources: Vec<Source>,
    pub kpis: Vec<Kpi>,
    pub states: Vec<Binding>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    pub project: String,
    pub database: String,
    pub location: String,
    pub history_start: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Source {
    pub name: String,
    pub database: String,
    pub table: String,
    pub partition: Option<String>,
    pub location: Option<String>,
    /// `"json"`, `"parquet"` or `{"other": SERDE}`.
    pub format: Value,
    pub columns: Vec<Column>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Column {
    pub name: String,
    /// The Hive type as the compiler serialises it: `{"type": "big_int"}`, …
    #[serde(rename = "type")]
    pub ty: Value,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Kpi {
    pub name: String,
    pub fingerprint: String,
    pub level: usize,
    pub upstream: Vec<String>,
    pub reads: Vec<Read>,
    pub location: String,
    pub attempts_location: String,
    pub columns: Vec<Column>,
    pub statements: Vec<Statement>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Read {
    pub target: Target,
    pub window: Window,
    pub partitioned: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Target {
    /// `"source"` or `"kpi"`.
    pub kind: String,
    pub name: String,
}

/// The `days` days ending `ends_before` days before the day computed.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct Window {
    pub days: u32,
    pub ends_before: u32,
}

impl Window {
    /// The day numbers this window covers for day number `day`, oldest first.
    pub fn days_for(&self, day: i64) -> std::ops::RangeInclusive<i64> {
        let last = day - i64::from(self.ends_before);
        (last - i64::from(self.days) + 1)..=last
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Statement {
    pub name: String,
    /// `"setup"`, `"write"`, `"check"` or `"publish"`.
    pub role: String,
    pub athena: Vec<Segment>,
    pub local: Local,
}

/// A piece of statement text: literal text, or a parameter filled in at run time.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Segment {
    Text { text: String },
    Param { param: Param },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Param {
    Day,
    Attempt,
    Lake,
}

/// What a statement does on the local engine.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Local {
    /// Run this DuckDB SQL.
    Sql { sql: Vec<Segment> },
    /// Register the KPI's table in the local catalog.
    CreateTable,
    /// Point the day's partition at this attempt in the local catalog.
    SwitchPartition,
}

/// A Task state of the state machine and the statement it runs for the KPIs listed.
#[derive(Debug, Clone, Deserialize)]
pub struct Binding {
    pub state: String,
    pub statement: String,
    pub kpis: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Values<'a> {
    pub day: &'a str,
    pub attempt: &'a str,
    pub lake: &'a str,
}

/// Fills in the parameters of a statement's text.
pub fn render(segments: &[Segment], values: &Values<'_>) -> String {
    let mut out = String::new();
    for s in segments {
        match s {
            Segment::Text { text } => out.push_str(text),
            Segment::Param { param } => out.push_str(match param {
                Param::Day => values.day,
                Param::Attempt => values.attempt,
                Param::Lake => values.lake,
            }),
        }
    }
    out
}

/// The day and attempt with which `segments` render to exactly `text`, if they do.
/// Days are `YYYY-MM-DD`; attempts are letters, digits, `-` and `_`.
pub fn match_text(segments: &[Segment], text: &str) -> Option<(Option<String>, Option<String>)> {
    let mut rest = text;
    let mut day: Option<String> = None;
    let mut attempt: Option<String> = None;
    for s in segments {
        match s {
            Segment::Text { text } => rest = rest.strip_prefix(text.as_str())?,
            Segment::Param { param: Param::Day } => {
                let value = rest.get(..10)?;
                let b = value.as_bytes();
                let shape = b.iter().enumerate().all(|(i, c)| match i {
                    4 | 7 => *c == b'-',
                    _ => c.is_ascii_digit(),
                });
                if !shape || day.as_deref().is_some_and(|d| d != value) {
                    return None;
                }
                day = Some(value.to_string());
                rest = &rest[10..];
            }
            Segment::Param {
                param: Param::Attempt,
            } => {
                let n = rest
                    .bytes()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == b'-' || *c == b'_')
                    .count();
                let value = &rest[..n];
                if n == 0 || attempt.as_deref().is_some_and(|a| a != value) {
                    return None;
                }
                attempt = Some(value.to_string());
                rest = &rest[n..];
            }
            Segment::Param { param: Param::Lake } => return None,
        }
    }
    rest.is_empty().then_some((day, attempt))
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
        serde_json::from_str(text)
            .map_err(|e| ManifestError(format!("not a kpi build manifest: {e}")))
    }

    pub fn read(path: &Path) -> Result<Manifest, ManifestError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ManifestError(format!("cannot read {}: {e}", path.display())))?;
        Manifest::parse(&text).map_err(|e| ManifestError(format!("{}: {}", path.display(), e.0)))
    }

    pub fn kpi(&self, name: &str) -> Option<&Kpi> {
        self.kpis.iter().find(|k| k.name == name)
    }
}

impl Kpi {
    pub fn statement(&self, name: &str) -> Option<&Statement> {
        self.statements.iter().find(|s| s.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segments() -> Vec<Segment> {
        vec![
            Segment::Text {
                text: "x = '".into(),
            },
            Segment::Param { param: Param::Day },
            Segment::Text {
                text: "' AND a = '".into(),
            },
            Segment::Param {
                param: Param::Attempt,
            },
            Segment::Text {
                text: "' -- ".into(),
            },
            Segment::Param { param: Param::Day },
        ]
    }

    #[test]
    fn matching_recovers_the_parameters_of_a_rendered_text() {
        let values = Values {
            day: "2024-03-01",
            attempt: "ab12",
            lake: "",
        };
        let text = render(&segments(), &values);
        assert_eq!(text, "x = '2024-03-01' AND a = 'ab12' -- 2024-03-01");
        assert_eq!(
            match_text(&segments(), &text),
            Some((Some("2024-03-01".into()), Some("ab12".into())))
        );
    }

    #[test]
    fn matching_refuses_other_texts() {
        for text in [
            "x = '2024-03-01' AND a = 'ab12' -- 2024-03-02",
            "x = '2024-03-01' AND a = 'ab12' -- 2024-03-01 ",
            "x = '2024-3-01' AND a = 'ab12' -- 2024-3-01",
            "x = '2024-03-01' AND a = '' -- 2024-03-01",
            "y = '2024-03-01' AND a = 'ab12' -- 2024-03-01",
        ] {
            assert_eq!(match_text(&segments(), text), None, "{text}");
        }
    }
}
