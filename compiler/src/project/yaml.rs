//! YAML (and JSON) text → a tree of [`Node`]s carrying our [`Span`]s, shared by the project
//! file and the catalog snapshot. Deserializing into this loose tree first, then validating
//! each field by hand, is what lets us report every mistake in a file rather than serde's first.

use crate::span::{FileId, Sources, Span};
use serde::Serialize;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// One YAML value and the place it was written.
#[derive(Clone, Debug, Serialize)]
pub struct Node {
    pub value: Value,
    pub span: Span,
}

#[derive(Clone, Debug, Serialize)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    String(String),
    List(Vec<Node>),
    /// Keys keep the file's order; a key is always a scalar, kept as its text.
    Map(Vec<(Key, Node)>),
}

#[derive(Clone, Debug, Serialize)]
pub struct Key {
    pub name: String,
    pub span: Span,
}

/// A YAML syntax error where the parser found it.
#[derive(Clone, Debug, Serialize)]
pub struct SyntaxError {
    pub span: Span,
    pub message: String,
}

impl Value {
    /// How the value reads in "expected a string, found a list".
    pub fn describe(&self) -> &'static str {
        match self {
            Value::Null => "nothing",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::String(_) => "a string",
            Value::List(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

impl Node {
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[(Key, Node)]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.name == key)
            .map(|(_, v)| v)
    }
}

/// The file span of bytes `offset..offset + len` of a string node's value. Exact when the value
/// is written as is (plain or quoted without escapes); otherwise the mapping is unknown and the
/// whole node is the span.
pub fn value_span(sources: &Sources, node: &Node, offset: usize, len: usize) -> Span {
    match node.as_str() {
        Some(value) => text_span(sources, node.span, value, offset, len),
        None => node.span,
    }
}

/// The same for any scalar written at `span` whose value is `value` (a key, for instance).
/// Escapes of double-quoted scalars (JSON's and YAML's) and `''` in single-quoted ones are
/// followed, so an offset in the value lands on the characters that wrote it.
pub fn text_span(sources: &Sources, span: Span, value: &str, offset: usize, len: usize) -> Span {
    let raw = sources.slice(span);
    let Some(starts) = raw_offsets(raw, value) else {
        return span;
    };
    let at = |o: usize| starts.iter().find(|(v, _)| *v == o).map(|(_, r)| *r);
    let (Some(start), Some(end)) = (at(offset), at((offset + len).min(value.len()))) else {
        return span;
    };
    let base = span.start as usize;
    Span::new(span.file, base + start, base + end.max(start))
}

/// For each character boundary of `value` (and its end): the offset in `raw` of the text that
/// wrote it. `None` when `raw` does not read as `value` (a folded multi-line scalar).
fn raw_offsets(raw: &str, value: &str) -> Option<Vec<(usize, usize)>> {
    let (quote, inner) = match raw.chars().next() {
        Some(q @ ('"' | '\'')) if raw.len() >= 2 && raw.ends_with(q) => {
            (Some(q), &raw[1..raw.len() - 1])
        }
        _ => (None, raw),
    };
    let shift = usize::from(quote.is_some());
    let mut decoded = String::new();
    let mut offsets = Vec::new();
    let mut chars = inner.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        offsets.push((decoded.len(), shift + i));
        match (quote, c) {
            (Some('\''), '\'') => {
                chars.next_if(|(_, c)| *c == '\'')?;
                decoded.push('\'');
            }
            (Some('"'), '\\') => {
                let (_, e) = chars.next()?;
                let hex = |chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>, n: usize| {
                    let digits: String = (0..n)
                        .filter_map(|_| chars.next().map(|(_, c)| c))
                        .collect();
                    u32::from_str_radix(&digits, 16).ok()
                };
                let unit = match e {
                    'u' => hex(&mut chars, 4)?,
                    'x' => hex(&mut chars, 2)?,
                    'U' => hex(&mut chars, 8)?,
                    _ => u32::from(match e {
                        'n' => '\n',
                        't' => '\t',
                        'r' => '\r',
                        'b' => '\u{8}',
                        'f' => '\u{c}',
                        '0' => '\0',
                        other => other,
                    }),
                };
                // A JSON surrogate pair: `\uD83D\uDE00` is one character.
                let c = if (0xd800..0xdc00).contains(&unit) {
                    chars.next_if(|(_, c)| *c == '\\')?;
                    chars.next_if(|(_, c)| *c == 'u')?;
                    let low = hex(&mut chars, 4)?;
                    char::from_u32(0x10000 + ((unit - 0xd800) << 10) + (low.checked_sub(0xdc00)?))?
                } else {
                    char::from_u32(unit)?
                };
                decoded.push(c);
            }
            _ => decoded.push(c),
        }
    }
    offsets.push((decoded.len(), shift + inner.len()));
    (decoded == value).then_some(offsets)
}

/// Parses one file. An empty file is `Null`.
pub fn parse_yaml(sources: &Sources, file: FileId) -> Result<Node, SyntaxError> {
    let text = sources.text(file);
    match serde_saphyr::from_str_with_options::<serde_saphyr::Spanned<Raw>>(text, options()) {
        Ok(raw) => Ok(convert(sources, file, raw)),
        Err(error) => {
            let span = match error.location() {
                Some(at) => location_span(sources, file, &at),
                None => Span::new(file, 0, 0),
            };
            Err(SyntaxError {
                span,
                message: plain_message(&error),
            })
        }
    }
}

/// Largest file read, in YAML nodes (each scalar, list and mapping) and parser events: far
/// above serde-saphyr's defaults (250,000 nodes), which a Glue snapshot of a few hundred wide
/// tables passes; still bounded, so a hostile file cannot take unbounded time or memory.
pub const MAX_NODES: usize = 10_000_000;

fn options() -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_nodes = MAX_NODES;
    budget.max_events = 4 * MAX_NODES;
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options
}

/// serde-saphyr's Display is "error: line 2 column 3: message" plus a snippet; we keep the
/// message alone, since our renderer shows the place itself.
fn plain_message(error: &serde_saphyr::Error) -> String {
    let text = error.without_snippet().to_string();
    let first = text.lines().next().unwrap_or("").trim();
    let mut message = first.strip_prefix("error:").unwrap_or(first).trim();
    if let Some(rest) = message.strip_prefix("line ")
        && let Some((_, after)) = rest.split_once(": ")
        && rest
            .split_once(": ")
            .is_some_and(|(place, _)| place.contains("column"))
    {
        message = after;
    }
    if let Some(i) = message.rfind(" at line ") {
        message = &message[..i];
    }
    let message = message
        .split(", set DuplicateKeyPolicy")
        .next()
        .unwrap_or(message);
    if message.is_empty() {
        "invalid YAML".to_string()
    } else if message.starts_with("budget breached") {
        format!("the file is larger than kpi reads ({message})")
    } else {
        message.to_string()
    }
}

fn location_span(sources: &Sources, file: FileId, at: &serde_saphyr::Location) -> Span {
    let span = at.span();
    let text_len = sources.text(file).len();
    match (span.byte_offset(), span.byte_len()) {
        (Some(start), Some(len)) if (start as usize) <= text_len => {
            let start = start as usize;
            Span::new(file, start, (start + len as usize).min(text_len))
        }
        _ => {
            let line = usize::try_from(at.line()).unwrap_or(usize::MAX);
            let column = usize::try_from(at.column()).unwrap_or(usize::MAX);
            let start = sources.offset_of(file, line.max(1), column.max(1));
            let len = usize::try_from(span.len()).unwrap_or(0).min(1);
            Span::new(file, start, (start + len).min(text_len))
        }
    }
}

fn convert(sources: &Sources, file: FileId, raw: serde_saphyr::Spanned<Raw>) -> Node {
    let span = location_span(sources, file, &raw.referenced);
    let value = match raw.value {
        Raw::Null => Value::Null,
        Raw::Bool(b) => Value::Bool(b),
        Raw::Int(i) => Value::Int(i),
        Raw::Float(f) => Value::Float(f),
        Raw::String(s) => Value::String(s),
        Raw::List(items) => Value::List(
            items
                .into_iter()
                .map(|i| convert(sources, file, i))
                .collect(),
        ),
        Raw::Map(entries) => Value::Map(
            entries
                .into_iter()
                .map(|(k, v)| {
                    let key = convert(sources, file, k);
                    let name = match &key.value {
                        Value::String(s) => s.clone(),
                        _ => sources.slice(key.span).to_string(),
                    };
                    (
                        Key {
                            name,
                            span: key.span,
                        },
                        convert(sources, file, v),
                    )
                })
                .collect(),
        ),
    };
    Node { value, span }
}

/// What serde-saphyr hands us, with its own locations; converted to [`Node`] right away.
enum Raw {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    String(String),
    List(Vec<serde_saphyr::Spanned<Raw>>),
    Map(Vec<(serde_saphyr::Spanned<Raw>, serde_saphyr::Spanned<Raw>)>),
}

impl<'de> Deserialize<'de> for Raw {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Raw, D::Error> {
        deserializer.deserialize_any(RawVisitor)
    }
}

struct RawVisitor;

impl<'de> Visitor<'de> for RawVisitor {
    type Value = Raw;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_unit<E>(self) -> Result<Raw, E> {
        Ok(Raw::Null)
    }
    fn visit_none<E>(self) -> Result<Raw, E> {
        Ok(Raw::Null)
    }
    fn visit_bool<E>(self, b: bool) -> Result<Raw, E> {
        Ok(Raw::Bool(b))
    }
    fn visit_i64<E>(self, i: i64) -> Result<Raw, E> {
        Ok(Raw::Int(i))
    }
    fn visit_u64<E>(self, u: u64) -> Result<Raw, E> {
        Ok(i64::try_from(u).map_or(Raw::Float(u as f64), Raw::Int))
    }
    fn visit_i128<E>(self, i: i128) -> Result<Raw, E> {
        Ok(i64::try_from(i).map_or(Raw::Float(i as f64), Raw::Int))
    }
    fn visit_u128<E>(self, u: u128) -> Result<Raw, E> {
        Ok(i64::try_from(u).map_or(Raw::Float(u as f64), Raw::Int))
    }
    fn visit_f64<E>(self, f: f64) -> Result<Raw, E> {
        Ok(Raw::Float(f))
    }
    fn visit_str<E>(self, s: &str) -> Result<Raw, E> {
        Ok(Raw::String(s.to_string()))
    }
    fn visit_string<E>(self, s: String) -> Result<Raw, E> {
        Ok(Raw::String(s))
    }
    fn visit_bytes<E>(self, b: &[u8]) -> Result<Raw, E> {
        Ok(Raw::String(String::from_utf8_lossy(b).into_owned()))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Raw, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Raw::List(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Raw, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key()? {
            entries.push((key, map.next_value()?));
        }
        Ok(Raw::Map(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> (Sources, Result<Node, SyntaxError>) {
        let mut sources = Sources::new();
        let f = sources.add("t.yaml", text);
        let r = parse_yaml(&sources, f);
        (sources, r)
    }

    #[test]
    fn spans_cover_values_and_keys() {
        let (sources, node) = parse("a: x\nb:\n  c: \"q\"\n");
        let node = node.unwrap();
        let a = node.get("a").unwrap();
        assert_eq!(sources.slice(a.span), "x");
        let c = node.get("b").unwrap().get("c").unwrap();
        assert_eq!(sources.slice(c.span), "\"q\"");
        let (key, _) = &node.as_map().unwrap()[1];
        assert_eq!(sources.slice(key.span), "b");
    }

    #[test]
    fn syntax_error_has_place_and_plain_message() {
        let (sources, r) = parse("a: b\n c: d\n");
        let e = r.unwrap_err();
        let at = sources.line_col(e.span.file, e.span.start);
        assert_eq!((at.line, at.column), (2, 3));
        assert_eq!(e.message, "mapping values are not allowed in this context");
    }

    #[test]
    fn non_string_keys_keep_their_text() {
        let (_, r) = parse("1: x\ntrue: y\n");
        let node = r.unwrap();
        let names: Vec<_> = node
            .as_map()
            .unwrap()
            .iter()
            .map(|(k, _)| k.name.clone())
            .collect();
        assert_eq!(names, ["1", "true"]);
    }

    #[test]
    fn offsets_in_a_value_land_on_the_text_that_wrote_them() {
        let (sources, node) = parse(concat!(
            "a: plain x\n",
            "b: 'it''s x'\n",
            "c: \"t\\\\u\\u00e9\\\"x\"\n",
            "d: \"\\uD83D\\uDE00x\"\n",
        ));
        let node = node.unwrap();
        for key in ["a", "b", "c", "d"] {
            let n = node.get(key).unwrap();
            let value = n.as_str().unwrap();
            let x = value.find('x').unwrap();
            assert_eq!(
                sources.slice(value_span(&sources, n, x, 1)),
                "x",
                "{key}: {value}"
            );
        }
        let c = node.get("c").unwrap();
        let e = c.as_str().unwrap().find('é').unwrap();
        assert_eq!(sources.slice(value_span(&sources, c, e, 2)), "\\u00e9");
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let text = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
        assert!(parse(&text).1.is_err());
    }
}
