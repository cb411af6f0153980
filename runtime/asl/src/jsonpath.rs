//! JSONPath text into a parsed path, and a path plus a JSON document into the selected value
//! (Jayway semantics as Step Functions uses them).

use super::jsonpath_parse::Parser;
use serde_json::Value;

/// One step of a path.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Seg {
    Child(String),
    Index(i64),
    Union(Vec<Seg>),
    Slice(Option<i64>, Option<i64>, Option<i64>),
    Wildcard,
    Descend(Box<Seg>),
    Filter(Filter),
}

/// A filter expression `[?(...)]`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Filter {
    Or(Box<Filter>, Box<Filter>),
    And(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    Exists(Operand),
    Compare(Operand, String, Operand),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Operand {
    Current(Vec<Seg>),
    Root(Vec<Seg>),
    Literal(Value),
}

/// A parsed path, relative to `$` (the caller strips any variable or context prefix).
#[derive(Debug, Clone, PartialEq)]
pub struct JsonPath {
    segs: Vec<Seg>,
}

impl JsonPath {
    /// Parses the part after the leading `$` (e.g. `.a[0]`).
    pub fn parse_tail(tail: &str) -> Result<JsonPath, String> {
        let mut p = Parser {
            s: tail.as_bytes(),
            i: 0,
            text: tail,
            depth: 0,
        };
        let segs = p.segments(false)?;
        if p.i != p.s.len() {
            return Err(format!("unexpected '{}' in path", &tail[p.i..]));
        }
        Ok(JsonPath { segs })
    }

    /// Whether the path selects at most one node (no wildcard, slice, union, filter or `..`).
    pub fn is_definite(&self) -> bool {
        self.segs
            .iter()
            .all(|s| matches!(s, Seg::Child(_) | Seg::Index(_)))
    }

    /// Evaluates: a definite path gives `Some(value)` or `None` when absent; an indefinite
    /// path gives an array of every match.
    pub fn select(&self, root: &Value) -> Option<Value> {
        if self.is_definite() {
            let mut cur = root;
            for s in &self.segs {
                cur = match (s, cur) {
                    (Seg::Child(k), Value::Object(m)) => m.get(k)?,
                    (Seg::Index(i), Value::Array(a)) => {
                        let i = if *i < 0 { a.len() as i64 + i } else { *i };
                        a.get(usize::try_from(i).ok()?)?
                    }
                    _ => return None,
                };
            }
            return Some(cur.clone());
        }
        let mut out = Vec::new();
        collect(&self.segs, root, root, &mut out);
        Some(Value::Array(out.into_iter().cloned().collect()))
    }

    /// The keys of a definite path, for writing (`ResultPath`); `None` if not definite.
    pub fn keys(&self) -> Option<Vec<PathKey>> {
        self.segs
            .iter()
            .map(|s| match s {
                Seg::Child(k) => Some(PathKey::Key(k.clone())),
                Seg::Index(i) => Some(PathKey::Index(*i)),
                _ => None,
            })
            .collect()
    }
}

/// One step of a definite path.
#[derive(Debug, Clone, PartialEq)]
pub enum PathKey {
    Key(String),
    Index(i64),
}

/// Every node `segs` selects from `cur`, segment by segment (no recursion per segment: a
/// path may have thousands).
fn collect<'a>(segs: &[Seg], root: &'a Value, cur: &'a Value, out: &mut Vec<&'a Value>) {
    let mut level = vec![cur];
    for seg in segs {
        let mut next = Vec::new();
        for v in level {
            step(seg, root, v, &mut next);
        }
        level = next;
    }
    out.extend(level);
}

fn step<'a>(seg: &Seg, root: &'a Value, cur: &'a Value, out: &mut Vec<&'a Value>) {
    match seg {
        Seg::Child(k) => {
            if let Some(v) = cur.as_object().and_then(|m| m.get(k)) {
                out.push(v);
            }
        }
        Seg::Index(i) => {
            if let Value::Array(a) = cur {
                let i = if *i < 0 { a.len() as i64 + i } else { *i };
                if let Some(v) = usize::try_from(i).ok().and_then(|i| a.get(i)) {
                    out.push(v);
                }
            }
        }
        Seg::Union(parts) => {
            for p in parts {
                step(p, root, cur, out);
            }
        }
        Seg::Wildcard => match cur {
            Value::Object(m) => out.extend(m.values()),
            Value::Array(a) => out.extend(a.iter()),
            _ => {}
        },
        Seg::Slice(start, end, st) => {
            if let Value::Array(a) = cur {
                let len = a.len() as i64;
                let norm = |x: i64| if x < 0 { (len + x).max(0) } else { x.min(len) };
                let step_by = st.unwrap_or(1).max(1);
                let s = start.map(norm).unwrap_or(0);
                let e = end.map(norm).unwrap_or(len);
                let mut i = s;
                while i < e {
                    if let Some(v) = a.get(i as usize) {
                        out.push(v);
                    }
                    i += step_by;
                }
            }
        }
        Seg::Descend(inner) => descend(inner, root, cur, out),
        Seg::Filter(f) => {
            let items: Vec<&Value> = match cur {
                Value::Array(a) => a.iter().collect(),
                Value::Object(_) => vec![cur],
                _ => vec![],
            };
            for it in items {
                if test(f, root, it) {
                    out.push(it);
                }
            }
        }
    }
}

fn descend<'a>(seg: &Seg, root: &'a Value, cur: &'a Value, out: &mut Vec<&'a Value>) {
    step(seg, root, cur, out);
    match cur {
        Value::Object(m) => m.values().for_each(|v| descend(seg, root, v, out)),
        Value::Array(a) => a.iter().for_each(|v| descend(seg, root, v, out)),
        _ => {}
    }
}

fn operand(op: &Operand, root: &Value, cur: &Value) -> Option<Value> {
    let (segs, base) = match op {
        Operand::Literal(v) => return Some(v.clone()),
        Operand::Current(s) => (s, cur),
        Operand::Root(s) => (s, root),
    };
    JsonPath { segs: segs.clone() }.select(base)
}

fn test(f: &Filter, root: &Value, cur: &Value) -> bool {
    match f {
        Filter::Or(a, b) => test(a, root, cur) || test(b, root, cur),
        Filter::And(a, b) => test(a, root, cur) && test(b, root, cur),
        Filter::Not(a) => !test(a, root, cur),
        Filter::Exists(o) => operand(o, root, cur).is_some(),
        Filter::Compare(l, op, r) => {
            let (Some(l), Some(r)) = (operand(l, root, cur), operand(r, root, cur)) else {
                return false;
            };
            compare(&l, op, &r)
        }
    }
}

fn compare(l: &Value, op: &str, r: &Value) -> bool {
    use std::cmp::Ordering;
    let ord = match (l, r) {
        (Value::Number(a), Value::Number(b)) => a.as_f64().partial_cmp(&b.as_f64()),
        (Value::String(a), Value::String(b)) => Some(a.cmp(b)),
        _ => {
            return match op {
                "==" => l == r,
                "!=" => l != r,
                _ => false,
            };
        }
    };
    match (op, ord) {
        ("==", Some(o)) => o == Ordering::Equal,
        ("!=", Some(o)) => o != Ordering::Equal,
        ("<", Some(o)) => o == Ordering::Less,
        ("<=", Some(o)) => o != Ordering::Greater,
        (">", Some(o)) => o == Ordering::Greater,
        (">=", Some(o)) => o != Ordering::Less,
        _ => false,
    }
}
