//! An intrinsic call tree plus a path resolver into the function's value; failures become
//! `States.IntrinsicFailure` (or the resolver's own error).

use super::error::Failure;
use super::intrinsic::{Arg, Call, Piece};
use super::intrinsic_values::{hash, java_text, uuid_v4, value_hash};
use super::limits::MAX_PAYLOAD_BYTES;
use base64::Engine as _;
use serde_json::{Map, Value};

/// Resolves a path argument (`$.a`, `$$.x`, `$var`).
pub type Resolver<'a> = dyn Fn(&str) -> Result<Value, Failure> + 'a;

fn fail<T>(msg: impl Into<String>) -> Result<T, Failure> {
    Err(Failure::new("States.IntrinsicFailure", msg))
}

enum Ev {
    Str(String, Vec<Piece>),
    V(Value),
}

impl Ev {
    fn value(self) -> Value {
        match self {
            Ev::Str(s, _) => Value::String(s),
            Ev::V(v) => v,
        }
    }
}

/// Evaluates a call.
pub fn eval(call: &Call, resolve: &Resolver<'_>) -> Result<Value, Failure> {
    let mut args = Vec::new();
    for a in &call.args {
        args.push(match a {
            Arg::Str { text, pieces } => Ev::Str(text.clone(), pieces.clone()),
            Arg::Literal(v) => Ev::V(v.clone()),
            Arg::Path(p) => Ev::V(resolve(p)?),
            Arg::Call(c) => Ev::V(eval(c, resolve)?),
        });
    }
    let name = call.name.as_str();
    if name == "States.Format" {
        return format(args);
    }
    let vals: Vec<Value> = args.into_iter().map(Ev::value).collect();
    apply(name, &vals)
}

fn arity(name: &str, v: &[Value], n: std::ops::RangeInclusive<usize>) -> Result<(), Failure> {
    if n.contains(&v.len()) {
        Ok(())
    } else {
        fail(format!(
            "{name} takes {} arguments, got {}",
            n.start(),
            v.len()
        ))
    }
}

fn format(args: Vec<Ev>) -> Result<Value, Failure> {
    let mut it = args.into_iter();
    let pieces = match it.next() {
        Some(Ev::Str(_, p)) => p,
        Some(Ev::V(Value::String(s))) => {
            let mut pieces = Vec::new();
            for (i, part) in s.split("{}").enumerate() {
                if i > 0 {
                    pieces.push(Piece::Hole);
                }
                pieces.push(Piece::Text(part.to_string()));
            }
            pieces
        }
        _ => return fail("States.Format needs a string template as its first argument"),
    };
    let rest: Vec<Value> = it.map(Ev::value).collect();
    let holes = pieces.iter().filter(|p| **p == Piece::Hole).count();
    if holes != rest.len() {
        return fail(format!(
            "States.Format template has {holes} placeholders but {} arguments were given",
            rest.len()
        ));
    }
    let mut out = String::new();
    let mut vals = rest.iter();
    for p in pieces {
        match p {
            Piece::Text(t) => out.push_str(&t),
            Piece::Hole => {
                if let Some(v) = vals.next() {
                    java_text(v, &mut out);
                }
            }
        }
        if out.len() > MAX_PAYLOAD_BYTES {
            return Err(Failure::result_too_large());
        }
    }
    Ok(Value::String(out))
}

/// The bounds of a 64-bit integer as floats: `f as i64` would saturate silently past them.
const I64_LOW: f64 = -9_223_372_036_854_775_808.0;
const I64_HIGH: f64 = 9_223_372_036_854_775_808.0;

/// A whole number as a 64-bit integer (a Java long); anything else, or anything outside that
/// range, is an intrinsic failure, never a saturated or wrapped value.
fn int(v: &Value, what: &str) -> Result<i64, Failure> {
    let whole = |f: f64| (I64_LOW..I64_HIGH).contains(&f) && f.fract() == 0.0;
    match v {
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => Ok(i),
            (None, Some(f)) if !n.is_u64() && whole(f) => Ok(f as i64),
            _ => fail(format!(
                "{what} must be an integer between {} and {}",
                i64::MIN,
                i64::MAX
            )),
        },
        _ => fail(format!("{what} must be an integer")),
    }
}

fn string<'a>(v: &'a Value, what: &str) -> Result<&'a str, Failure> {
    v.as_str().ok_or_else(|| {
        Failure::new(
            "States.IntrinsicFailure",
            format!("{what} must be a string"),
        )
    })
}

fn array<'a>(v: &'a Value, what: &str) -> Result<&'a Vec<Value>, Failure> {
    v.as_array().ok_or_else(|| {
        Failure::new(
            "States.IntrinsicFailure",
            format!("{what} must be an array"),
        )
    })
}

fn apply(name: &str, v: &[Value]) -> Result<Value, Failure> {
    match name {
        "States.StringToJson" => {
            arity(name, v, 1..=1)?;
            let s = string(&v[0], name)?.trim();
            if s.is_empty() {
                return Ok(Value::Null);
            }
            if s == "-0" {
                return Ok(Value::from(0));
            }
            serde_json::from_str(s).or_else(|e| fail(format!("{name}: invalid JSON: {e}")))
        }
        "States.JsonToString" => {
            arity(name, v, 1..=1)?;
            Ok(Value::String(v[0].to_string()))
        }
        "States.Array" => Ok(Value::Array(v.to_vec())),
        "States.ArrayPartition" => {
            arity(name, v, 2..=2)?;
            let a = array(&v[0], name)?;
            let n = int(&v[1], "the chunk size")?;
            if n <= 0 {
                return fail("the chunk size must be greater than 0");
            }
            Ok(Value::Array(
                a.chunks(n as usize)
                    .map(|c| Value::Array(c.to_vec()))
                    .collect(),
            ))
        }
        "States.ArrayContains" => {
            arity(name, v, 2..=2)?;
            Ok(Value::Bool(array(&v[0], name)?.contains(&v[1])))
        }
        "States.ArrayRange" => {
            arity(name, v, 3..=3)?;
            let (a, b, s) = (
                int(&v[0], "start")?,
                int(&v[1], "end")?,
                int(&v[2], "step")?,
            );
            if s == 0 {
                return fail("the step must not be 0");
            }
            // Counted in 128 bits before anything is allocated: no step can wrap around.
            let (a, b, s) = (i128::from(a), i128::from(b), i128::from(s));
            let count = if (s > 0 && a <= b) || (s < 0 && a >= b) {
                (b - a) / s + 1
            } else {
                0
            };
            if count > 1000 {
                return fail("States.ArrayRange produces at most 1000 items");
            }
            Ok(Value::Array(
                (0..count)
                    .filter_map(|k| i64::try_from(a + k * s).ok())
                    .map(Value::from)
                    .collect(),
            ))
        }
        "States.ArrayGetItem" => {
            arity(name, v, 2..=2)?;
            let a = array(&v[0], name)?;
            let i = int(&v[1], "the index")?;
            usize::try_from(i)
                .ok()
                .and_then(|i| a.get(i))
                .cloned()
                .ok_or_else(|| {
                    Failure::new(
                        "States.IntrinsicFailure",
                        format!("index {i} out of bounds"),
                    )
                })
        }
        "States.ArrayLength" => {
            arity(name, v, 1..=1)?;
            Ok(Value::from(array(&v[0], name)?.len()))
        }
        "States.ArrayUnique" => {
            arity(name, v, 1..=1)?;
            // Hashed first, so 100,000 items take 100,000 steps, not 10^10.
            let mut seen: std::collections::HashMap<u64, Vec<usize>> = Default::default();
            let mut out: Vec<Value> = Vec::new();
            for x in array(&v[0], name)? {
                let same = seen.entry(value_hash(x)).or_default();
                if !same.iter().any(|&i| out[i] == *x) {
                    same.push(out.len());
                    out.push(x.clone());
                }
            }
            Ok(Value::Array(out))
        }
        "States.Base64Encode" => {
            arity(name, v, 1..=1)?;
            let s = limited(string(&v[0], name)?, name)?;
            Ok(Value::String(
                base64::engine::general_purpose::STANDARD.encode(s),
            ))
        }
        "States.Base64Decode" => {
            arity(name, v, 1..=1)?;
            let s = limited(string(&v[0], name)?, name)?;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(s)
                .or_else(|e| fail(format!("{name}: invalid base64: {e}")))?;
            String::from_utf8(bytes)
                .map(Value::String)
                .or_else(|_| fail(format!("{name}: not UTF-8 text")))
        }
        "States.Hash" => {
            arity(name, v, 2..=2)?;
            let data = match &v[0] {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            limited(&data, name)?;
            hash(&data, string(&v[1], "the algorithm")?).map(Value::String)
        }
        "States.JsonMerge" => {
            arity(name, v, 3..=3)?;
            if v[2] != Value::Bool(false) {
                return fail("States.JsonMerge supports only a shallow merge (false)");
            }
            let (Value::Object(a), Value::Object(b)) = (&v[0], &v[1]) else {
                return fail("States.JsonMerge merges two objects");
            };
            let mut out: Map<String, Value> = a.clone();
            for (k, x) in b {
                out.insert(k.clone(), x.clone());
            }
            Ok(Value::Object(out))
        }
        "States.MathRandom" => {
            arity(name, v, 2..=3)?;
            let (a, b) = (int(&v[0], "start")?, int(&v[1], "end")?);
            if b <= a {
                return fail("States.MathRandom needs start < end");
            }
            use rand::{Rng, SeedableRng};
            let mut rng = match v.get(2) {
                Some(s) => rand::rngs::SmallRng::seed_from_u64(int(s, "the seed")? as u64),
                None => rand::rngs::SmallRng::seed_from_u64(super::intrinsic_values::entropy()),
            };
            Ok(Value::from(rng.random_range(a..b)))
        }
        "States.MathAdd" => {
            arity(name, v, 2..=2)?;
            // A fraction rounds half up, as Java's Math.round does (the corpus pins -1.5 to -1
            // and 2.5 to 3); the operands and the sum must fit a Java long. The corpus has no
            // case past that range and AWS documents none: a sum that does not fit fails
            // rather than wrapping into a wrong number, and so does an operand that does not.
            let num = |x: &Value| -> Result<i64, Failure> {
                match x {
                    Value::Number(n) if n.is_f64() => {
                        let r = (n.as_f64().unwrap_or(f64::NAN) + 0.5).floor();
                        int(&serde_json::json!(r), name)
                    }
                    Value::Number(_) => int(x, name),
                    _ => fail(format!("{name} takes numbers")),
                }
            };
            let (a, b) = (num(&v[0])?, num(&v[1])?);
            a.checked_add(b).map(Value::from).ok_or_else(|| {
                Failure::new(
                    "States.IntrinsicFailure",
                    format!(
                        "{name}: the sum of {a} and {b} is outside the range of a 64-bit integer"
                    ),
                )
            })
        }
        "States.StringSplit" => {
            arity(name, v, 2..=2)?;
            let s = string(&v[0], name)?;
            let d: Vec<char> = string(&v[1], "the delimiter")?.chars().collect();
            Ok(Value::Array(
                s.split(|c| d.contains(&c))
                    .filter(|p| !p.is_empty())
                    .map(|p| Value::String(p.to_string()))
                    .collect(),
            ))
        }
        "States.UUID" => {
            arity(name, v, 0..=0)?;
            Ok(Value::String(uuid_v4()))
        }
        other => fail(format!("unknown intrinsic function {other}")),
    }
}

fn limited<'a>(s: &'a str, name: &str) -> Result<&'a str, Failure> {
    if s.chars().count() > 10_000 {
        return fail(format!("{name}: the input is longer than 10000 characters"));
    }
    Ok(s)
}
