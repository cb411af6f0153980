//! Run-time parameters of generated SQL (the day, the attempt, the local lake root) and the
//! text type that keeps them apart from everything else in a statement.

use serde::Serialize;

/// Markers used while building SQL; literals can never contain them (`quote_string` splices
/// control characters in with `chr`), so splitting on them is exact.
pub const DAY: &str = "\u{1}day\u{1}";
pub const ATTEMPT: &str = "\u{1}attempt\u{1}";
pub const LAKE: &str = "\u{1}lake\u{1}";

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Param {
    /// The day computed, `YYYY-MM-DD`, validated before it reaches SQL.
    Day,
    /// The attempt id, `[A-Za-z0-9_-]+`, unique per try of a KPI-day.
    Attempt,
    /// The local lake directory (DuckDB only), without a trailing `/`.
    Lake,
}

impl Param {
    pub fn name(self) -> &'static str {
        match self {
            Param::Day => "day",
            Param::Attempt => "attempt",
            Param::Lake => "lake",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Segment {
    Text(String),
    Param(Param),
}

/// SQL text with parameters in place.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct SqlText {
    pub segments: Vec<Segment>,
}

impl SqlText {
    /// Splits text built with the markers above into segments.
    pub fn from_marked(marked: &str) -> SqlText {
        let mut segments = Vec::new();
        let mut rest = marked;
        while let Some(start) = rest.find('\u{1}') {
            let after = &rest[start + 1..];
            let Some(len) = after.find('\u{1}') else {
                break;
            };
            let param = match &after[..len] {
                "day" => Some(Param::Day),
                "attempt" => Some(Param::Attempt),
                "lake" => Some(Param::Lake),
                _ => None,
            };
            if let Some(param) = param {
                if start > 0 {
                    segments.push(Segment::Text(rest[..start].to_string()));
                }
                segments.push(Segment::Param(param));
                rest = &after[len + 1..];
            } else {
                segments.push(Segment::Text(rest[..start + 1].to_string()));
                rest = after;
            }
        }
        if !rest.is_empty() {
            segments.push(Segment::Text(rest.to_string()));
        }
        SqlText {
            segments: merge_text(segments),
        }
    }

    /// The text with each parameter replaced by `value(param)`.
    pub fn render(&self, value: impl Fn(Param) -> String) -> String {
        self.segments
            .iter()
            .map(|s| match s {
                Segment::Text(t) => t.clone(),
                Segment::Param(p) => value(*p),
            })
            .collect()
    }

    /// The text as shown in `.sql` files: parameters as `{day}`, `{attempt}`, `{lake}`.
    pub fn display(&self) -> String {
        self.render(|p| format!("{{{}}}", p.name()))
    }

    /// Parameters in order of appearance, repeats included.
    pub fn params(&self) -> Vec<Param> {
        self.segments
            .iter()
            .filter_map(|s| match s {
                Segment::Param(p) => Some(*p),
                Segment::Text(_) => None,
            })
            .collect()
    }

    /// The longest the text can be once parameters are filled in (a day is 10 bytes, an
    /// attempt at most 80).
    pub fn max_len(&self) -> usize {
        self.render(|p| match p {
            Param::Day => "2024-01-01".into(),
            Param::Attempt => "a".repeat(80),
            Param::Lake => String::new(),
        })
        .len()
    }
}

fn merge_text(segments: Vec<Segment>) -> Vec<Segment> {
    let mut out: Vec<Segment> = Vec::new();
    for s in segments {
        match (out.last_mut(), s) {
            (Some(Segment::Text(prev)), Segment::Text(t)) => prev.push_str(&t),
            (_, s) => out.push(s),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_split_into_params() {
        let text =
            SqlText::from_marked(&format!("WHERE dt = '{DAY}' AND a = '{ATTEMPT}' -- {DAY}"));
        assert_eq!(text.params(), vec![Param::Day, Param::Attempt, Param::Day]);
        assert_eq!(
            text.display(),
            "WHERE dt = '{day}' AND a = '{attempt}' -- {day}"
        );
        assert_eq!(
            text.render(|p| p.name().to_uppercase()),
            "WHERE dt = 'DAY' AND a = 'ATTEMPT' -- DAY"
        );
    }
}
