//! A YAML tree with CloudFormation's short-form tags (`!Ref`, `!Sub`, …) → block-style text.
//! Strings are written plain only when YAML cannot read them as anything else; otherwise
//! single-quoted. Tagged sequences are written in flow style (`!If [A, b, c]`).

use std::fmt::Write as _;

#[derive(Clone, Debug, PartialEq)]
pub enum Yaml {
    Str(String),
    Int(i64),
    Bool(bool),
    Seq(Vec<Yaml>),
    Map(Vec<(String, Yaml)>),
    /// `!Tag value`, e.g. `Tag("Ref", Str("Database"))`.
    Tag(&'static str, Box<Yaml>),
}

pub fn s(text: impl Into<String>) -> Yaml {
    Yaml::Str(text.into())
}

pub fn tag(name: &'static str, value: Yaml) -> Yaml {
    Yaml::Tag(name, Box::new(value))
}

pub fn r#ref(name: &str) -> Yaml {
    tag("Ref", s(name))
}

pub fn sub(text: impl Into<String>) -> Yaml {
    tag("Sub", s(text))
}

pub fn seq(items: impl IntoIterator<Item = Yaml>) -> Yaml {
    Yaml::Seq(items.into_iter().collect())
}

pub fn strs<'a>(items: impl IntoIterator<Item = &'a str>) -> Yaml {
    seq(items.into_iter().map(s))
}

/// A mapping from `(key, value)` pairs, in order.
pub fn map<K: Into<String>>(entries: impl IntoIterator<Item = (K, Yaml)>) -> Yaml {
    Yaml::Map(entries.into_iter().map(|(k, v)| (k.into(), v)).collect())
}

const RESERVED: [&str; 14] = [
    "true", "false", "yes", "no", "on", "off", "null", "y", "n", "~", "", "nan", "inf", "-",
];

fn plain_ok(text: &str, flow: bool) -> bool {
    // A leading digit could make a number, a date or a time of YAML 1.1: always quoted.
    let first_ok = text
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || matches!(c, '/' | '$' | '_'));
    let chars_ok = text.chars().all(|c| {
        c.is_ascii_alphanumeric()
            || matches!(
                c,
                ' ' | '_' | '.' | '/' | '$' | '*' | '@' | '=' | '+' | '(' | ')' | '-' | '?'
            )
            || (!flow && matches!(c, '{' | '}' | ',' | '[' | ']' | ':'))
    });
    first_ok
        && chars_ok
        && !text.contains(": ")
        && !text.contains(" #")
        && !text.ends_with(' ')
        && !text.ends_with(':')
        && !RESERVED.contains(&text.to_ascii_lowercase().as_str())
}

fn scalar(text: &str, flow: bool) -> String {
    if plain_ok(text, flow) {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', "''"))
    }
}

fn key(text: &str) -> String {
    if plain_ok(text, true) && !text.contains(':') {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', "''"))
    }
}

/// The value in flow style (inside `[...]`), for tagged sequences.
fn flow(value: &Yaml) -> String {
    match value {
        Yaml::Str(t) => scalar(t, true),
        Yaml::Int(n) => n.to_string(),
        Yaml::Bool(b) => b.to_string(),
        Yaml::Seq(items) => format!(
            "[{}]",
            items.iter().map(flow).collect::<Vec<_>>().join(", ")
        ),
        Yaml::Map(entries) => format!(
            "{{{}}}",
            entries
                .iter()
                .map(|(k, v)| format!("{}: {}", key(k), flow(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Yaml::Tag(name, inner) => format!("!{name} {}", flow(inner)),
    }
}

/// Whether the value fits after `key: ` on the same line.
fn inline(value: &Yaml) -> Option<String> {
    match value {
        Yaml::Str(t) => Some(scalar(t, false)),
        Yaml::Int(n) => Some(n.to_string()),
        Yaml::Bool(b) => Some(b.to_string()),
        Yaml::Seq(items) if items.is_empty() => Some("[]".into()),
        Yaml::Map(entries) if entries.is_empty() => Some("{}".into()),
        Yaml::Tag(name, inner) => Some(format!("!{name} {}", flow(inner))),
        Yaml::Seq(_) | Yaml::Map(_) => None,
    }
}

fn write_block(out: &mut String, value: &Yaml, indent: usize) {
    let pad = " ".repeat(indent);
    match value {
        Yaml::Map(entries) => {
            for (k, v) in entries {
                match inline(v) {
                    Some(text) => {
                        let _ = writeln!(out, "{pad}{}: {text}", key(k));
                    }
                    None => {
                        let _ = writeln!(out, "{pad}{}:", key(k));
                        write_block(out, v, indent + 2);
                    }
                }
            }
        }
        Yaml::Seq(items) => {
            for item in items {
                match inline(item) {
                    Some(text) => {
                        let _ = writeln!(out, "{pad}- {text}");
                    }
                    None => {
                        // The item's first line goes after "- ", the rest indented under it.
                        let mut nested = String::new();
                        write_block(&mut nested, item, indent + 2);
                        let trimmed = nested.get(indent + 2..).unwrap_or("");
                        let _ = write!(out, "{pad}- {trimmed}");
                    }
                }
            }
        }
        other => {
            if let Some(text) = inline(other) {
                let _ = writeln!(out, "{pad}{text}");
            }
        }
    }
}

/// The document, block style, ending with a newline.
pub fn to_string(value: &Yaml) -> String {
    let mut out = String::new();
    write_block(&mut out, value, 0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_are_quoted_when_yaml_would_misread_them() {
        assert_eq!(
            scalar("AWS::Serverless-2016-10-31", false),
            "AWS::Serverless-2016-10-31"
        );
        assert_eq!(scalar("2010-09-09", false), "'2010-09-09'");
        assert_eq!(scalar("true", false), "'true'");
        assert_eq!(scalar("12", false), "'12'");
        assert_eq!(scalar("", false), "''");
        assert_eq!(scalar("it's: here", false), "'it''s: here'");
        assert_eq!(scalar("cron(0 6 * * ? *)", false), "cron(0 6 * * ? *)");
        assert_eq!(scalar("*", false), "'*'");
        assert_eq!(scalar("a,b", true), "'a,b'");
        assert_eq!(scalar("s3://", true), "'s3://'");
        assert_eq!(scalar("s3://b/p/", false), "s3://b/p/");
        assert_eq!(key("detail-type"), "detail-type");
        assert_eq!(key("s3:prefix"), "'s3:prefix'");
    }

    #[test]
    fn nested_blocks_and_tags() {
        let doc = map([
            ("A", s("x")),
            (
                "B",
                seq([map([("C", s("yy")), ("D", strs(["p", "q"]))]), s("z")]),
            ),
            ("E", tag("If", strs(["Cond", "ENABLED", "DISABLED"]))),
            ("F", map([("G", r#ref("H"))])),
        ]);
        assert_eq!(
            to_string(&doc),
            "A: x\nB:\n  - C: yy\n    D:\n      - p\n      - q\n  - z\nE: !If [Cond, ENABLED, DISABLED]\nF:\n  G: !Ref H\n"
        );
    }
}
