//! A JSON line and the catalog's column types → the same row as JSON that DuckDB reads
//! exactly, every value already of its column's type (timestamps in UTC, decimals rounded,
//! keys matched case-insensitively), or the columns whose values do not convert.
//!
//! The rules are Athena's OpenX JSON SerDe's (`scalars.rs` has the scalar ones); the containers
//! follow it too: an array column takes a lone value as a one-element array and `""` as NULL;
//! a struct takes an object (fields matched by lower-cased name, the last duplicate winning), a
//! JSON array (fields by position) or a blank string (every field NULL); a map takes an object
//! whose keys are read as its key type. Strings take any JSON value, rendered as JSON text.
//! Booleans are true for `true` in any case and false for anything else, as Athena reads them.

use super::scalars;
use kpi_contract::hive::HiveType;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::Value;
use serde_json::value::RawValue;
use std::borrow::Cow;

/// A catalog type, as the local engine converts to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hive {
    Boolean,
    Integer {
        bits: u32,
    },
    Float,
    Double,
    Decimal {
        precision: u32,
        scale: u32,
    },
    /// `string`, `varchar(n)` and `char(n)` (their lengths are applied by the views).
    Text,
    Date,
    Timestamp,
    Binary,
    Array(Box<Hive>),
    Map(Box<Hive>, Box<Hive>),
    Struct(Vec<(String, Hive)>),
}

impl Hive {
    /// The converter of a catalog type (every Hive type has one).
    pub fn of(ty: &HiveType) -> Option<Hive> {
        Some(match ty {
            HiveType::Boolean => Hive::Boolean,
            HiveType::TinyInt => Hive::Integer { bits: 8 },
            HiveType::SmallInt => Hive::Integer { bits: 16 },
            HiveType::Int => Hive::Integer { bits: 32 },
            HiveType::BigInt => Hive::Integer { bits: 64 },
            HiveType::Float => Hive::Float,
            HiveType::Double => Hive::Double,
            HiveType::Decimal { precision, scale } => Hive::Decimal {
                precision: u32::from(*precision),
                scale: u32::from(*scale),
            },
            HiveType::String | HiveType::Varchar { .. } | HiveType::Char { .. } => Hive::Text,
            HiveType::Date => Hive::Date,
            HiveType::Timestamp => Hive::Timestamp,
            HiveType::Binary => Hive::Binary,
            HiveType::Array { element } => Hive::Array(Box::new(Hive::of(element)?)),
            HiveType::Map { key, value } => {
                Hive::Map(Box::new(Hive::of(key)?), Box::new(Hive::of(value)?))
            }
            HiveType::Struct { fields } => Hive::Struct(
                fields
                    .iter()
                    .map(|f| Some((f.name.to_lowercase(), Hive::of(&f.ty)?)))
                    .collect::<Option<_>>()?,
            ),
        })
    }

    /// What the value is called in an error: `timestamp`, `decimal(12,2)`, `array`.
    pub fn describe(&self) -> String {
        match self {
            Hive::Boolean => "boolean".into(),
            Hive::Integer { bits: 8 } => "tinyint".into(),
            Hive::Integer { bits: 16 } => "smallint".into(),
            Hive::Integer { bits: 32 } => "int".into(),
            Hive::Integer { .. } => "bigint".into(),
            Hive::Float => "float".into(),
            Hive::Double => "double".into(),
            Hive::Decimal { precision, scale } => format!("decimal({precision},{scale})"),
            Hive::Text => "string".into(),
            Hive::Date => "date".into(),
            Hive::Timestamp => "timestamp".into(),
            Hive::Binary => "binary (base64)".into(),
            Hive::Array(_) => "array".into(),
            Hive::Map(..) => "map".into(),
            Hive::Struct(_) => "struct".into(),
        }
    }
}

/// A value that did not convert: where (`context.tags[]`), what it was, what it should be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lost {
    pub path: String,
    pub value: String,
    pub expected: String,
}

/// A JSON object's members in order, keys unescaped, values as raw text.
struct Members<'a>(Vec<(Cow<'a, str>, &'a RawValue)>);

impl<'de> serde::Deserialize<'de> for Members<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Key<'a>(Cow<'a, str>);
        impl<'de> serde::Deserialize<'de> for Key<'de> {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> Visitor<'de> for V {
                    type Value = Key<'de>;
                    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                        f.write_str("a key")
                    }
                    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Key<'de>, E> {
                        Ok(Key(Cow::Borrowed(s)))
                    }
                    fn visit_str<E>(self, s: &str) -> Result<Key<'de>, E> {
                        Ok(Key(Cow::Owned(s.to_string())))
                    }
                }
                d.deserialize_str(V)
            }
        }
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Members<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members<'de>, A::Error> {
                let mut out = Vec::new();
                while let Some((Key(k), v)) = map.next_entry::<Key<'de>, &'de RawValue>()? {
                    out.push((k, v));
                }
                Ok(Members(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// The member named `name` (lower case), compared case-insensitively; the last one wins.
fn member<'a>(members: &[(Cow<'a, str>, &'a RawValue)], name: &str) -> Option<&'a RawValue> {
    let same = |k: &str| {
        if k.is_ascii() {
            k.eq_ignore_ascii_case(name)
        } else {
            k.to_lowercase() == name
        }
    };
    members.iter().rev().find(|(k, _)| same(k)).map(|(_, v)| *v)
}

/// A JSON string's content; `None` when the raw value is not a string.
fn string(raw: &str) -> Option<Cow<'_, str>> {
    let inner = raw.strip_prefix('"')?.strip_suffix('"')?;
    if inner.contains('\\') {
        serde_json::from_str::<String>(raw).ok().map(Cow::Owned)
    } else {
        Some(Cow::Borrowed(inner))
    }
}

/// The text the SerDe sees for a scalar: a string's content or a bare literal's text.
fn scalar_text(raw: &str) -> Option<Cow<'_, str>> {
    match raw.as_bytes().first() {
        Some(b'"') => string(raw),
        Some(b'{' | b'[') | None => None,
        Some(_) => Some(Cow::Borrowed(raw)),
    }
}

fn quote(out: &mut String, text: &str) {
    if text.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.push('"');
        out.push_str(text);
        out.push('"');
    } else {
        // Serialising a `str` cannot fail.
        out.push_str(&serde_json::to_string(text).unwrap_or_default());
    }
}

/// Where a value is in its row, rendered only when it fails: `context.tags[]`, `m.key`.
#[derive(Clone, Copy)]
enum At<'a> {
    Column(&'a str),
    Field(&'a At<'a>, &'a str),
    Element(&'a At<'a>),
    Key(&'a At<'a>),
    Value(&'a At<'a>),
}

impl At<'_> {
    fn render(&self) -> String {
        match self {
            At::Column(name) => (*name).to_string(),
            At::Field(parent, name) => format!("{}.{name}", parent.render()),
            At::Element(parent) => format!("{}[]", parent.render()),
            At::Key(parent) => format!("{}.key", parent.render()),
            At::Value(parent) => format!("{}.value", parent.render()),
        }
    }
}

/// One row being converted: where the failures go.
pub struct Row<'l> {
    pub lost: &'l mut Vec<Lost>,
}

impl Row<'_> {
    fn lose(&mut self, path: &At<'_>, raw: &str, ty: &Hive) {
        let mut value: String = raw.chars().take(80).collect();
        if value.len() < raw.len() {
            value.push('…');
        }
        self.lost.push(Lost {
            path: path.render(),
            value,
            expected: ty.describe(),
        });
    }

    /// Converts the top-level object `line` to the `columns`, writing `{"c": v, …}` to `out`.
    /// False when the line is not a JSON object (a malformed line, skipped).
    pub fn line(&mut self, line: &str, columns: &[(String, Hive)], out: &mut String) -> bool {
        let Ok(Members(members)) = serde_json::from_str::<Members<'_>>(line) else {
            return false;
        };
        out.push('{');
        let mut first = true;
        for (name, ty) in columns {
            let Some(raw) = member(&members, name) else {
                continue;
            };
            let start = out.len();
            if !first {
                out.push(',');
            }
            quote(out, name);
            out.push(':');
            if self.value(raw.get(), ty, &At::Column(name), out) {
                first = false;
            } else {
                out.truncate(start);
            }
        }
        out.push('}');
        true
    }

    /// Writes `raw` converted to `ty`; false when nothing was written (NULL).
    fn value(&mut self, raw: &str, ty: &Hive, path: &At<'_>, out: &mut String) -> bool {
        if raw == "null" {
            return false;
        }
        let converted = match ty {
            Hive::Array(element) => return self.array(raw, element, path, out),
            Hive::Map(key, value) => return self.map(raw, key, value, path, out),
            Hive::Struct(fields) => return self.structure(raw, fields, path, out),
            Hive::Text => {
                match raw.as_bytes().first() {
                    Some(b'"') => out.push_str(raw),
                    Some(b'{' | b'[') => {
                        let compact = serde_json::from_str::<Value>(raw).map(|v| v.to_string());
                        quote(out, &compact.unwrap_or_else(|_| raw.to_string()));
                    }
                    _ => quote(out, raw),
                }
                return true;
            }
            Hive::Boolean => {
                let yes = scalar_text(raw).is_some_and(|t| t.eq_ignore_ascii_case("true"));
                out.push_str(if yes { "true" } else { "false" });
                return true;
            }
            // Binary is base64 in a JSON string; a bare literal is refused, as Athena does.
            Hive::Binary => string(raw).and_then(|text| scalar(&text, ty, out)),
            _ => scalar_text(raw).and_then(|text| scalar(&text, ty, out)),
        };
        if converted.is_none() {
            self.lose(path, raw, ty);
        }
        converted.is_some()
    }

    fn array(&mut self, raw: &str, element: &Hive, path: &At<'_>, out: &mut String) -> bool {
        let inner = At::Element(path);
        out.push('[');
        match serde_json::from_str::<Vec<&RawValue>>(raw) {
            Ok(items) => {
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    if !self.value(item.get(), element, &inner, out) {
                        out.push_str("null");
                    }
                }
            }
            Err(_) if raw == "\"\"" => {
                out.pop();
                return false;
            }
            Err(_) => {
                if !self.value(raw, element, &inner, out) {
                    out.push_str("null");
                }
            }
        }
        out.push(']');
        true
    }

    fn map(
        &mut self,
        raw: &str,
        key: &Hive,
        value: &Hive,
        path: &At<'_>,
        out: &mut String,
    ) -> bool {
        let Ok(Members(members)) = serde_json::from_str::<Members<'_>>(raw) else {
            if string(raw).is_some_and(|s| s.trim().is_empty()) {
                return false;
            }
            self.lose(
                path,
                raw,
                &Hive::Map(Box::new(key.clone()), Box::new(value.clone())),
            );
            return false;
        };
        let key_path = At::Key(path);
        let value_path = At::Value(path);
        let mut entries: Vec<(String, String)> = Vec::new();
        for (k, v) in &members {
            let mut key_text = String::new();
            if !self.value(
                &serde_json::to_string(k).unwrap_or_default(),
                key,
                &key_path,
                &mut key_text,
            ) {
                continue;
            }
            let key_text = match serde_json::from_str::<Value>(&key_text) {
                Ok(Value::String(s)) => s,
                _ => key_text,
            };
            let mut value_text = String::new();
            if !self.value(v.get(), value, &value_path, &mut value_text) {
                value_text.push_str("null");
            }
            entries.retain(|(seen, _)| *seen != key_text);
            entries.push((key_text, value_text));
        }
        out.push('{');
        for (i, (k, v)) in entries.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            quote(out, k);
            out.push(':');
            out.push_str(v);
        }
        out.push('}');
        true
    }

    fn structure(
        &mut self,
        raw: &str,
        fields: &[(String, Hive)],
        path: &At<'_>,
        out: &mut String,
    ) -> bool {
        let found: Option<Vec<Option<&RawValue>>> = match raw.as_bytes().first() {
            Some(b'{') => serde_json::from_str::<Members<'_>>(raw)
                .ok()
                .map(|Members(m)| fields.iter().map(|(n, _)| member(&m, n)).collect()),
            Some(b'[') => serde_json::from_str::<Vec<&RawValue>>(raw)
                .ok()
                .map(|items| (0..fields.len()).map(|i| items.get(i).copied()).collect()),
            _ if string(raw).is_some_and(|s| s.trim().is_empty()) => Some(vec![None; fields.len()]),
            _ => None,
        };
        match found {
            Some(found) => self.fields(fields, &found, path, out),
            None => {
                self.lose(path, raw, &Hive::Struct(fields.to_vec()));
                false
            }
        }
    }

    fn fields(
        &mut self,
        fields: &[(String, Hive)],
        found: &[Option<&RawValue>],
        path: &At<'_>,
        out: &mut String,
    ) -> bool {
        out.push('{');
        let mut first = true;
        for ((name, ty), raw) in fields.iter().zip(found) {
            let Some(raw) = raw else { continue };
            let start = out.len();
            if !first {
                out.push(',');
            }
            quote(out, name);
            out.push(':');
            if self.value(raw.get(), ty, &At::Field(path, name), out) {
                first = false;
            } else {
                out.truncate(start);
            }
        }
        out.push('}');
        true
    }
}

/// A scalar's text → the JSON text DuckDB reads as the column's type, appended to `out`.
fn scalar(text: &str, ty: &Hive, out: &mut String) -> Option<()> {
    use std::fmt::Write as _;
    let quoted = |out: &mut String, s: &str| {
        out.push('"');
        out.push_str(s);
        out.push('"');
    };
    match ty {
        Hive::Integer { bits } => {
            let _ = write!(out, "{}", scalars::integer(text, *bits)?);
        }
        Hive::Float | Hive::Double => {
            let v = scalars::double(text)?;
            if v.is_nan() {
                quoted(out, "NaN");
            } else if v.is_infinite() {
                quoted(out, if v > 0.0 { "Infinity" } else { "-Infinity" });
            } else if *ty == Hive::Float {
                let _ = write!(out, "{}", v as f32);
            } else {
                let _ = write!(out, "{v}");
            }
        }
        Hive::Decimal { precision, scale } => {
            quoted(out, &scalars::decimal(text, *precision, *scale)?);
        }
        Hive::Date => {
            let _ = write!(out, "\"{}\"", scalars::date(text)?);
        }
        Hive::Timestamp => {
            use chrono::Timelike as _;
            let t = scalars::timestamp(text)?;
            let (h, m, sec, ms) = (t.hour(), t.minute(), t.second(), t.nanosecond() / 1_000_000);
            let _ = write!(out, "\"{} {h:02}:{m:02}:{sec:02}.{ms:03}\"", t.date());
        }
        Hive::Binary => {
            use base64::Engine as _;
            let engine = base64::engine::GeneralPurpose::new(
                &base64::alphabet::STANDARD,
                base64::engine::GeneralPurposeConfig::new()
                    .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
            );
            let bytes = engine.decode(text).ok()?;
            quoted(
                out,
                &base64::engine::general_purpose::STANDARD.encode(bytes),
            );
        }
        _ => return None,
    }
    Some(())
}
