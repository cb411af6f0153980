//! How far one evaluation may go (nesting depth, memory held by a value, time) and the errors
//! past each, worded as Step Functions words them.
//!
//! AWS bounds JSONata evaluation and fails the state with `States.QueryEvaluationError`; the
//! causes end with a message that carries no error code, after a colon: "... threw an error
//! during evaluation: Stack overflow error: Check for non-terminating recursive function.
//! Consider rewriting as tail-recursive." and "...: Expression evaluation memory limit
//! exceeded: Check for excessive memory usage". Measured on AWS (floci-io/floci issues #2736
//! and #2737, 2026): a `+` chain of 200 terms fails for depth and the depth boundary of five
//! shapes lies between 99 and 101; `[1..873782] ~> $count()` evaluates and `[1..873783]` fails
//! for memory, as does a string of 2^23 characters (2^22 evaluates).

use super::JsonataError;
use super::value::Val;
use std::time::{Duration, Instant};

/// Nested evaluations (a node inside a node, a call inside a call; tail calls do not nest).
pub(crate) const MAX_EVAL_DEPTH: usize = 100;

/// Nesting the parser builds: deeper could never evaluate within `MAX_EVAL_DEPTH`, and the
/// parser recurses once per level.
pub(crate) const MAX_PARSE_DEPTH: usize = 2 * MAX_EVAL_DEPTH;

/// The memory one value may hold, counting a number as 8 bytes, a string as its length, an
/// array or object as what it holds (its keys included) and nothing as less than a byte: the
/// bound AWS's measurements above pin (873,782 numbers; between 2^22 and 2^23 characters).
pub(crate) const MAX_BYTES: usize = 873_782 * 8;

/// How deep a value may nest (the payload bound of the interpreter).
pub(crate) const MAX_VALUE_DEPTH: usize = crate::limits::MAX_NESTING;

/// How long one expression may evaluate. AWS's figure is not published; an expression that
/// loops forever (a tail call with no base case) must still end.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// The error code of the bounds: the engine words these without a code, after a colon.
pub(crate) const CODE: &str = "bound";

pub(crate) fn too_deep() -> JsonataError {
    bound(
        "Stack overflow error: Check for non-terminating recursive function. Consider rewriting as tail-recursive.",
    )
}

pub(crate) fn too_large() -> JsonataError {
    bound("Expression evaluation memory limit exceeded: Check for excessive memory usage")
}

pub(crate) fn too_long() -> JsonataError {
    bound("Expression evaluation timeout: Check for infinite loop")
}

fn bound(message: &str) -> JsonataError {
    JsonataError {
        code: CODE.into(),
        message: message.into(),
        position: 0,
    }
}

/// Fails unless `bytes` more fit in one value: checked before a string or array is built.
pub(crate) fn room(bytes: usize) -> Result<(), JsonataError> {
    if bytes > MAX_BYTES {
        Err(too_large())
    } else {
        Ok(())
    }
}

/// The size of a value as this module counts it, and how deep it nests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Size {
    pub bytes: usize,
    pub depth: usize,
}

/// Fails if `v` holds more than `MAX_BYTES` or nests deeper than `MAX_VALUE_DEPTH`. Arrays and
/// objects cache their size, so checking a value built from checked parts costs its own items.
pub(crate) fn check(v: &Val) -> Result<(), JsonataError> {
    size(v, 0).map(|_| ())
}

pub(crate) fn size(v: &Val, level: usize) -> Result<Size, JsonataError> {
    if level > MAX_VALUE_DEPTH {
        return Err(too_deep());
    }
    let scalar = |bytes| Ok(Size { bytes, depth: 0 });
    let sum = |parts: &mut dyn Iterator<Item = (usize, &Val)>| -> Result<Size, JsonataError> {
        let mut total = Size { bytes: 0, depth: 1 };
        for (key, x) in parts {
            let s = size(x, level + 1)?;
            total.bytes += s.bytes + key;
            total.depth = total.depth.max(s.depth + 1);
            room(total.bytes)?;
        }
        if total.depth > MAX_VALUE_DEPTH {
            return Err(too_deep());
        }
        total.bytes = total.bytes.max(1);
        Ok(total)
    };
    match v {
        Val::Null | Val::Bool(_) => scalar(4),
        Val::Num(_) => scalar(8),
        Val::Func(_) => scalar(1),
        Val::Str(s) => {
            room(s.len())?;
            scalar(s.len().max(1))
        }
        Val::Arr(a) => cached(&a.size, || sum(&mut a.items.iter().map(|x| (0, x)))),
        Val::Obj(o) => cached(&o.size, || {
            sum(&mut o.entries.iter().map(|(k, x)| (k.len(), x)))
        }),
    }
}

fn cached(
    cell: &std::cell::OnceCell<Size>,
    compute: impl FnOnce() -> Result<Size, JsonataError>,
) -> Result<Size, JsonataError> {
    if let Some(s) = cell.get() {
        return Ok(*s);
    }
    let s = compute()?;
    Ok(*cell.get_or_init(|| s))
}

/// The evaluation's deadline, checked every few hundred steps.
pub(crate) struct Clock {
    deadline: Instant,
    ticks: std::cell::Cell<u32>,
}

impl Clock {
    pub fn new(timeout: Duration) -> Clock {
        Clock {
            deadline: Instant::now()
                .checked_add(timeout)
                .unwrap_or_else(|| Instant::now() + Duration::from_secs(365 * 86_400)),
            ticks: std::cell::Cell::new(0),
        }
    }

    /// One step of work: fails once the deadline has passed.
    pub fn tick(&self) -> Result<(), JsonataError> {
        let t = self.ticks.get().wrapping_add(1);
        self.ticks.set(t);
        if t.is_multiple_of(256) && Instant::now() > self.deadline {
            return Err(too_long());
        }
        Ok(())
    }
}
