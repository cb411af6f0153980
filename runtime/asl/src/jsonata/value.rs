//! JSONata values: JSON plus functions, with the array flags JSONata's sequence semantics need
//! (sequence, constructed array, keep-singleton, outer wrapper), and JavaScript's number printing.

use super::bounds::Size;
use super::parser::Lambda;
use super::regex::Rx;
use serde_json::Value;
use std::cell::{OnceCell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

#[derive(Clone, Default, Debug)]
pub(crate) struct Arr {
    pub items: Vec<Val>,
    pub seq: bool,
    pub cons: bool,
    pub keep: bool,
    pub outer: bool,
    /// Measured once, when first checked against the bounds.
    pub size: OnceCell<Size>,
}

/// An object's entries, in JavaScript's key order.
pub(crate) type Obj = Vec<(String, Val)>;

/// An object value: its entries and, once measured, its size.
#[derive(Default, Debug)]
pub(crate) struct ObjVal {
    pub entries: Obj,
    pub size: OnceCell<Size>,
}

impl std::ops::Deref for ObjVal {
    type Target = Obj;
    fn deref(&self) -> &Obj {
        &self.entries
    }
}

#[derive(Debug)]
pub(crate) enum Func {
    Lambda {
        def: Rc<Lambda>,
        env: Env,
        input: Option<Val>,
    },
    Builtin(&'static str),
    Regex(Rc<Rx>),
}

#[derive(Clone, Debug)]
pub(crate) enum Val {
    Null,
    Bool(bool),
    Num(f64),
    Str(Rc<str>),
    Arr(Rc<Arr>),
    Obj(Rc<ObjVal>),
    Func(Rc<Func>),
}

/// A scope: variables bound in a block or a lambda call, then the enclosing scope. A name
/// bound to undefined (a lambda parameter with no argument) still hides the enclosing one.
#[derive(Debug, Default)]
pub(crate) struct Frame {
    vars: RefCell<HashMap<String, Option<Val>>>,
    parent: Option<Env>,
}
pub(crate) type Env = Rc<Frame>;

impl Frame {
    pub fn child(parent: &Env) -> Env {
        Rc::new(Frame {
            vars: RefCell::default(),
            parent: Some(parent.clone()),
        })
    }
    pub fn bind(&self, name: &str, v: Option<Val>) {
        self.vars.borrow_mut().insert(name.to_string(), v);
    }
    pub fn lookup(&self, name: &str) -> Option<Val> {
        if let Some(v) = self.vars.borrow().get(name) {
            return v.clone();
        }
        self.parent.as_ref().and_then(|p| p.lookup(name))
    }
}

impl Val {
    pub fn str(s: &str) -> Val {
        Val::Str(Rc::from(s))
    }
    pub fn arr(items: Vec<Val>) -> Val {
        Val::Arr(Rc::new(Arr {
            items,
            ..Arr::default()
        }))
    }
    pub fn seq(items: Vec<Val>) -> Val {
        Val::Arr(Rc::new(Arr {
            items,
            seq: true,
            ..Arr::default()
        }))
    }
    pub fn obj(o: Obj) -> Val {
        Val::Obj(Rc::new(ObjVal {
            entries: o,
            size: OnceCell::new(),
        }))
    }
    /// A finite number (JSONata's `isNumeric`).
    pub fn num(&self) -> Option<f64> {
        match self {
            Val::Num(n) if n.is_finite() => Some(*n),
            _ => None,
        }
    }
    pub fn get(&self, key: &str) -> Option<Val> {
        match self {
            Val::Obj(o) => o.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()),
            _ => None,
        }
    }
    pub fn type_name(&self) -> &'static str {
        match self {
            Val::Null => "null",
            Val::Bool(_) => "boolean",
            Val::Num(n) if n.is_finite() => "number",
            Val::Num(_) => "object",
            Val::Str(_) => "string",
            Val::Arr(_) => "array",
            Val::Obj(_) => "object",
            Val::Func(_) => "function",
        }
    }
}

/// Sequence items of a value: an array's items, or the value alone.
pub(crate) fn items(v: &Val) -> Vec<Val> {
    match v {
        Val::Arr(a) => a.items.clone(),
        other => vec![other.clone()],
    }
}

pub(crate) fn with_flags(v: Val, f: impl FnOnce(&mut Arr)) -> Val {
    match v {
        Val::Arr(mut a) => {
            f(Rc::make_mut(&mut a));
            Val::Arr(a)
        }
        other => other,
    }
}

pub(crate) fn from_json(v: &Value) -> Val {
    match v {
        Value::Null => Val::Null,
        Value::Bool(b) => Val::Bool(*b),
        Value::Number(n) => Val::Num(n.as_f64().unwrap_or(f64::NAN)),
        Value::String(s) => Val::str(s),
        Value::Array(a) => Val::arr(a.iter().map(from_json).collect()),
        Value::Object(o) => Val::obj(o.iter().map(|(k, v)| (k.clone(), from_json(v))).collect()),
    }
}

/// JSON for a value; `None` for a function (Step Functions rejects those results).
pub(crate) fn to_json(v: &Val) -> Option<Value> {
    Some(match v {
        Val::Null => Value::Null,
        Val::Bool(b) => Value::Bool(*b),
        Val::Num(n) => num_json(*n),
        Val::Str(s) => Value::String(s.to_string()),
        Val::Arr(a) => Value::Array(
            a.items
                .iter()
                .map(|x| to_json(x).unwrap_or(Value::Null))
                .collect(),
        ),
        Val::Obj(o) => {
            let mut m = serde_json::Map::new();
            for (k, x) in o.iter() {
                // JSON.stringify drops function-valued properties.
                if let Some(j) = to_json(x) {
                    m.insert(k.clone(), j);
                }
            }
            Value::Object(m)
        }
        Val::Func(_) => return None,
    })
}

/// A number as JSON: integral values as integers, non-finite ones as null (JSON.stringify).
pub(crate) fn num_json(n: f64) -> Value {
    if !n.is_finite() {
        return Value::Null;
    }
    if n.fract() == 0.0 && n.abs() < 9.0e18 {
        return Value::from(n as i64);
    }
    serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number)
}

/// JavaScript's `Number.prototype.toString()`.
pub(crate) fn js_num(n: f64) -> String {
    if n.is_nan() {
        return "NaN".into();
    }
    if n.is_infinite() {
        return if n > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        };
    }
    if n == 0.0 {
        return "0".into();
    }
    let sci = format!("{:e}", n.abs());
    let (mant, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let digits: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
    let e: i32 = exp.parse().unwrap_or(0);
    let k = digits.len() as i32;
    let pos = e + 1;
    let sign = if n < 0.0 { "-" } else { "" };
    let body = if k <= pos && pos <= 21 {
        format!("{digits}{}", "0".repeat((pos - k) as usize))
    } else if 0 < pos && pos <= 21 {
        format!("{}.{}", &digits[..pos as usize], &digits[pos as usize..])
    } else if -6 < pos && pos <= 0 {
        format!("0.{}{digits}", "0".repeat((-pos) as usize))
    } else {
        let rest = if k > 1 {
            format!(".{}", &digits[1..])
        } else {
            String::new()
        };
        let es = if e >= 0 {
            format!("+{e}")
        } else {
            e.to_string()
        };
        format!("{}{rest}e{es}", &digits[..1])
    };
    format!("{sign}{body}")
}

/// `Number(n.toPrecision(15))`, as `$string` applies to numbers.
pub(crate) fn precision15(n: f64) -> f64 {
    format!("{n:.14e}").parse().unwrap_or(n)
}

/// `JSON.stringify` with JSONata's replacer (numbers to 15 significant digits, functions "").
pub(crate) fn stringify(v: &Val, out: &mut String) {
    match v {
        Val::Null => out.push_str("null"),
        Val::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Val::Num(n) if n.is_finite() => out.push_str(&js_num(precision15(*n))),
        Val::Num(_) => out.push_str("null"),
        Val::Str(s) => out.push_str(&serde_json::to_string(&**s).unwrap_or_default()),
        Val::Func(_) => out.push_str("\"\""),
        Val::Arr(a) => {
            out.push('[');
            for (i, x) in a.items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                stringify(x, out);
            }
            out.push(']');
        }
        Val::Obj(o) => {
            out.push('{');
            for (i, (k, x)) in o.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::to_string(k).unwrap_or_default());
                out.push(':');
                stringify(x, out);
            }
            out.push('}');
        }
    }
}

/// JSONata's `$boolean` (None for undefined).
pub(crate) fn truthy(v: &Val) -> bool {
    match v {
        Val::Arr(a) => match a.items.len() {
            0 => false,
            1 => truthy(&a.items[0]),
            _ => a.items.iter().any(truthy),
        },
        Val::Str(s) => !s.is_empty(),
        Val::Num(n) => n.is_finite() && *n != 0.0,
        Val::Obj(o) => !o.is_empty(),
        Val::Bool(b) => *b,
        Val::Null | Val::Func(_) => false,
    }
}

pub(crate) fn deep_equal(a: &Val, b: &Val) -> bool {
    match (a, b) {
        (Val::Null, Val::Null) => true,
        (Val::Bool(x), Val::Bool(y)) => x == y,
        (Val::Num(x), Val::Num(y)) => x == y,
        (Val::Str(x), Val::Str(y)) => x == y,
        (Val::Arr(x), Val::Arr(y)) => {
            x.items.len() == y.items.len()
                && x.items.iter().zip(&y.items).all(|(p, q)| deep_equal(p, q))
        }
        (Val::Obj(x), Val::Obj(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| b.get(k).is_some_and(|w| deep_equal(v, &w)))
        }
        (Val::Func(x), Val::Func(y)) => Rc::ptr_eq(x, y),
        _ => false,
    }
}

/// JavaScript's `===`.
pub(crate) fn strict_equal(a: &Val, b: &Val) -> bool {
    match (a, b) {
        (Val::Arr(x), Val::Arr(y)) => Rc::ptr_eq(x, y),
        (Val::Obj(x), Val::Obj(y)) => Rc::ptr_eq(x, y),
        _ => deep_equal(a, b),
    }
}

/// JavaScript string order (UTF-16 code units).
pub(crate) fn js_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}
