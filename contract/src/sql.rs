//! SQL text with typed parameters: the text the compiler prints, with each run-time value (the
//! chunk's first and last day, the attempt, the local lake) kept as its own segment, never
//! spliced into the text in band. Every value is validated by its type before it is rendered,
//! and always lands inside a string literal the printer opened, so no value can change the SQL
//! around it.

use crate::day::{Day, DayRange};
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Param {
    /// The chunk's first day, `YYYY-MM-DD`.
    FirstDay,
    /// The chunk's last day, `YYYY-MM-DD`.
    LastDay,
    /// The attempt id: a fresh prefix per try of a chunk ([`Attempt`]).
    Attempt,
    /// The local lake directory, without a trailing `/` (DuckDB statements only; [`Lake`]).
    Lake,
}

impl Param {
    pub const ALL: [Param; 4] = [Param::FirstDay, Param::LastDay, Param::Attempt, Param::Lake];

    pub fn name(self) -> &'static str {
        match self {
            Param::FirstDay => "first_day",
            Param::LastDay => "last_day",
            Param::Attempt => "attempt",
            Param::Lake => "lake",
        }
    }

    /// The longest text a value can have (the lake is not bounded: DuckDB only).
    pub fn max_len(self) -> usize {
        match self {
            Param::FirstDay | Param::LastDay => 10,
            Param::Attempt => Attempt::MAX_LEN,
            Param::Lake => 0,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Segment {
    Text { text: String },
    Param { param: Param },
}

/// SQL text with its parameters in place.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SqlText {
    pub segments: Vec<Segment>,
}

/// An attempt id: 1 to 80 ASCII letters, digits, `-` or `_`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Attempt(String);

impl Attempt {
    pub const MAX_LEN: usize = 80;

    pub fn new(text: &str) -> Option<Attempt> {
        let ok = !text.is_empty()
            && text.len() <= Self::MAX_LEN
            && text
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_');
        ok.then(|| Attempt(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Attempt {
    type Error = String;
    fn try_from(text: String) -> Result<Attempt, String> {
        Attempt::new(&text).ok_or_else(|| format!("`{text}` is not an attempt id"))
    }
}

impl From<Attempt> for String {
    fn from(a: Attempt) -> String {
        a.0
    }
}

impl fmt::Display for Attempt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The local lake's root directory as SQL may see it: an absolute path, valid UTF-8, with none
/// of the characters that a string literal or a DuckDB glob would read specially.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lake(String);

impl Lake {
    /// Characters a lake path may not hold: quotes and backslashes (string literals) and
    /// `* ? [ ] { }` (globs), besides control characters.
    pub const FORBIDDEN: &'static str = "'\"\\*?[]{}";

    pub fn new(path: &str) -> Result<Lake, String> {
        let path = path.trim_end_matches('/');
        if !path.starts_with('/') {
            return Err(format!("the lake path `{path}` is not absolute"));
        }
        if let Some(c) = path
            .chars()
            .find(|c| c.is_control() || Self::FORBIDDEN.contains(*c))
        {
            return Err(format!(
                "the lake path `{}` holds {c:?}; move the lake to a path without any of {} or control characters",
                path.escape_debug(),
                Self::FORBIDDEN
            ));
        }
        Ok(Lake(path.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The values of one run of a statement.
#[derive(Clone, Debug)]
pub struct Values<'a> {
    pub days: DayRange,
    pub attempt: &'a Attempt,
    /// `None` for Athena statements, which never hold the lake.
    pub lake: Option<&'a Lake>,
}

/// What [`SqlText::bindings`] recovers from a rendered text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Bindings {
    pub first_day: Option<Day>,
    pub last_day: Option<Day>,
    pub attempt: Option<Attempt>,
}

impl SqlText {
    pub fn text(text: impl Into<String>) -> SqlText {
        let mut out = SqlText::default();
        out.push_text(&text.into());
        out
    }

    /// Appends text, merged with the text before it.
    pub fn push_text(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        match self.segments.last_mut() {
            Some(Segment::Text { text: prev }) => prev.push_str(text),
            _ => self.segments.push(Segment::Text { text: text.into() }),
        }
    }

    pub fn push_param(&mut self, param: Param) {
        self.segments.push(Segment::Param { param });
    }

    pub fn append(&mut self, other: &SqlText) {
        for s in &other.segments {
            match s {
                Segment::Text { text } => self.push_text(text),
                Segment::Param { param } => self.push_param(*param),
            }
        }
    }

    /// The text with each parameter replaced by `value(param)`.
    pub fn render_with(&self, mut value: impl FnMut(Param) -> String) -> String {
        let mut out = String::new();
        for s in &self.segments {
            match s {
                Segment::Text { text } => out.push_str(text),
                Segment::Param { param } => out.push_str(&value(*param)),
            }
        }
        out
    }

    /// The text to run: every parameter filled in from validated values.
    pub fn render(&self, values: &Values<'_>) -> String {
        self.render_with(|p| match p {
            Param::FirstDay => values.days.first.to_string(),
            Param::LastDay => values.days.last.to_string(),
            Param::Attempt => values.attempt.to_string(),
            Param::Lake => values
                .lake
                .map(|l| l.as_str().to_string())
                .unwrap_or_default(),
        })
    }

    /// The text as shown in `.sql` files: parameters as `{first_day}`, `{attempt}`…
    pub fn display(&self) -> String {
        self.render_with(|p| format!("{{{}}}", p.name()))
    }

    /// Parameters in order of appearance, repeats included.
    pub fn params(&self) -> Vec<Param> {
        self.segments
            .iter()
            .filter_map(|s| match s {
                Segment::Param { param } => Some(*param),
                Segment::Text { .. } => None,
            })
            .collect()
    }

    /// The longest the text can be once its parameters are filled in.
    pub fn max_len(&self) -> usize {
        self.segments
            .iter()
            .map(|s| match s {
                Segment::Text { text } => text.len(),
                Segment::Param { param } => param.max_len(),
            })
            .sum()
    }

    /// The values with which this text renders to exactly `text`, if there are any: how the
    /// local runtime recognises which statement a Task sent, and with what. Every occurrence of
    /// a parameter must have the same value; the lake never matches (Athena texts lack it).
    pub fn bindings(&self, text: &str) -> Option<Bindings> {
        let mut rest = text;
        let mut found = Bindings::default();
        for s in &self.segments {
            match s {
                Segment::Text { text } => rest = rest.strip_prefix(text.as_str())?,
                Segment::Param {
                    param: param @ (Param::FirstDay | Param::LastDay),
                } => {
                    let day = Day::parse(rest.get(..10)?)?;
                    let slot = if *param == Param::FirstDay {
                        &mut found.first_day
                    } else {
                        &mut found.last_day
                    };
                    if slot.is_some_and(|d| d != day) {
                        return None;
                    }
                    *slot = Some(day);
                    rest = &rest[10..];
                }
                Segment::Param {
                    param: Param::Attempt,
                } => {
                    let n = rest
                        .bytes()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == b'-' || *c == b'_')
                        .count();
                    let attempt = Attempt::new(&rest[..n])?;
                    if found.attempt.as_ref().is_some_and(|a| *a != attempt) {
                        return None;
                    }
                    found.attempt = Some(attempt);
                    rest = &rest[n..];
                }
                Segment::Param { param: Param::Lake } => return None,
            }
        }
        rest.is_empty().then_some(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> SqlText {
        let mut t = SqlText::text("WHERE dt BETWEEN '");
        t.push_param(Param::FirstDay);
        t.push_text("' AND '");
        t.push_param(Param::LastDay);
        t.push_text("' AND attempt = '");
        t.push_param(Param::Attempt);
        t.push_text("' -- ");
        t.push_param(Param::FirstDay);
        t
    }

    #[test]
    fn rendered_text_gives_back_its_values() {
        let d = |s: &str| Day::parse(s).unwrap();
        let attempt = Attempt::new("ab12").unwrap();
        let values = Values {
            days: DayRange::new(d("2024-03-01"), d("2024-03-31")).unwrap(),
            attempt: &attempt,
            lake: None,
        };
        let text = sample().render(&values);
        assert_eq!(
            text,
            "WHERE dt BETWEEN '2024-03-01' AND '2024-03-31' AND attempt = 'ab12' -- 2024-03-01"
        );
        let b = sample().bindings(&text).unwrap();
        assert_eq!(b.first_day, Some(d("2024-03-01")));
        assert_eq!(b.last_day, Some(d("2024-03-31")));
        assert_eq!(b.attempt, Some(attempt));
        assert_eq!(
            sample().display(),
            "WHERE dt BETWEEN '{first_day}' AND '{last_day}' AND attempt = '{attempt}' -- {first_day}"
        );
        assert_eq!(sample().max_len(), text.len() - 4 + Attempt::MAX_LEN);
    }

    #[test]
    fn other_texts_do_not_match() {
        for text in [
            "WHERE dt BETWEEN '2024-03-01' AND '2024-03-31' AND attempt = 'ab12' -- 2024-03-02",
            "WHERE dt BETWEEN '2024-02-30' AND '2024-03-31' AND attempt = 'ab12' -- 2024-02-30",
            "WHERE dt BETWEEN '2024-03-01' AND '2024-03-31' AND attempt = '' -- 2024-03-01",
            "WHERE dt BETWEEN '2024-03-01' AND '2024-03-31' AND attempt = 'ab12' -- 2024-03-01 ",
            "WHERE dt BETWEEN '2024-03-01' AND '2024-03-31' AND attempt = 'a'b' -- 2024-03-01",
        ] {
            assert_eq!(sample().bindings(text), None, "{text}");
        }
    }

    #[test]
    fn values_are_validated_by_their_types() {
        assert!(Attempt::new("a".repeat(80).as_str()).is_some());
        for bad in ["", "a'b", "a b", "ä", &"a".repeat(81)] {
            assert!(Attempt::new(bad).is_none(), "{bad}");
        }
        assert!(Lake::new("/tmp/lake/").is_ok());
        for bad in [
            "lake",
            "/tmp/it's",
            "/tmp/a*b",
            "/tmp/a\\b",
            "/tmp/a\nb",
            "/tmp/{x}",
        ] {
            assert!(Lake::new(bad).is_err(), "{bad}");
        }
        let json = serde_json::to_string(&sample()).unwrap();
        assert!(
            json.starts_with(r#"[{"text":"WHERE dt BETWEEN '"},{"param":"first_day"}"#),
            "{json}"
        );
        assert_eq!(serde_json::from_str::<SqlText>(&json).unwrap(), sample());
    }
}
