//! The service limits an execution runs under (payload bytes, nesting depth, history events),
//! and JSON values into their size and depth, measured without recursion and without
//! serialising, so a value past a limit is refused before anything walks it recursively.

use serde_json::Value;

/// State, task and execution payloads: 256 KiB of UTF-8 (`States.DataLimitExceeded`).
pub const MAX_PAYLOAD_BYTES: usize = 262_144;

/// An execution's history: event 25,000 may only be `ExecutionSucceeded`; any other event
/// past 24,999 ends the execution (Step Functions developer guide, "Avoid reaching the history
/// quota"; the error and cause below as AWS records them in `executionFailedEventDetails`).
pub const MAX_HISTORY_EVENTS: u64 = 25_000;

pub const HISTORY_LIMIT_ERROR: &str = "States.Runtime";
pub const HISTORY_LIMIT_CAUSE: &str =
    "The execution reached the maximum number of history events (25000).";

/// How deep a payload may nest. AWS documents no figure; Jackson, the JSON library of the
/// JVM, refuses documents nested deeper than 1,000 by default, and nothing shallower than
/// that fits every serde_json operation (clone, drop, print) in a 2 MiB thread stack with room
/// to spare. A deeper value is refused as a data limit, before it is printed or copied.
pub const MAX_NESTING: usize = 1_000;

/// Event data (inputs and outputs) one history keeps in full; past it, later events keep their
/// type and names and mark their data `truncated`, as `GetExecutionHistory` does without
/// `includeExecutionData`. 25,000 events of 256 KiB would otherwise hold 6 GiB.
pub const MAX_HISTORY_DATA_BYTES: usize = 64 * 1024 * 1024;

/// What measuring found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    /// Compact JSON text of this many bytes, nested this deep (a scalar is depth 0).
    Within {
        bytes: usize,
        depth: usize,
    },
    TooLarge,
    TooDeep,
}

/// Measures `v`'s compact JSON text (as `Value::to_string` prints it), stopping as soon as it
/// passes `max_bytes` or `max_depth`. Cost: at most the size of the part it visits.
pub fn measure(v: &Value, max_bytes: usize, max_depth: usize) -> Measure {
    let mut stack: Vec<(&Value, usize)> = vec![(v, 0)];
    let mut bytes = 0usize;
    let mut deepest = 0usize;
    while let Some((v, depth)) = stack.pop() {
        if depth > max_depth {
            return Measure::TooDeep;
        }
        deepest = deepest.max(depth);
        bytes += match v {
            Value::Null => 4,
            Value::Bool(true) => 4,
            Value::Bool(false) => 5,
            Value::Number(n) => number_len(n),
            Value::String(s) => string_len(s),
            Value::Array(a) => {
                stack.extend(a.iter().map(|x| (x, depth + 1)));
                2 + a.len().saturating_sub(1)
            }
            Value::Object(m) => {
                stack.extend(m.values().map(|x| (x, depth + 1)));
                let keys: usize = m.keys().map(|k| string_len(k) + 1).sum();
                2 + keys + m.len().saturating_sub(1)
            }
        };
        if bytes > max_bytes {
            return Measure::TooLarge;
        }
    }
    Measure::Within {
        bytes,
        depth: deepest,
    }
}

/// Whether `v` fits a state payload (256 KiB, 1,000 levels).
pub fn payload(v: &Value) -> Measure {
    measure(v, MAX_PAYLOAD_BYTES, MAX_NESTING)
}

fn number_len(n: &serde_json::Number) -> usize {
    // Integers are counted, not printed: a payload of 100,000 numbers is measured per state.
    let digits = |mut u: u64| {
        let mut d = 1;
        while u >= 10 {
            u /= 10;
            d += 1;
        }
        d
    };
    if let Some(u) = n.as_u64() {
        return digits(u);
    }
    if let Some(i) = n.as_i64() {
        return 1 + digits(i.unsigned_abs());
    }
    use std::fmt::Write;
    struct Count(usize);
    impl Write for Count {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            self.0 += s.len();
            Ok(())
        }
    }
    let mut c = Count(0);
    let _ = write!(c, "{n}");
    c.0
}

/// The length of a string as JSON text: quotes and escapes included.
fn string_len(s: &str) -> usize {
    // The common case, nothing to escape, in a loop the compiler vectorises.
    let special = |b: u8| usize::from(b < 0x20 || b == b'"' || b == b'\\');
    if s.bytes().map(special).sum::<usize>() == 0 {
        return 2 + s.len();
    }
    2 + s
        .bytes()
        .map(|b| match b {
            b'"' | b'\\' | b'\n' | b'\r' | b'\t' | 0x08 | 0x0c => 2,
            0..=0x1f => 6,
            _ => 1,
        })
        .sum::<usize>()
}

/// Drops a value without recursion: serde_json's own drop recurses once per level, which a
/// refused value nested 100,000 deep would not survive.
pub fn dismantle(v: Value) {
    let mut stack = vec![v];
    while let Some(v) = stack.pop() {
        match v {
            Value::Array(a) => stack.extend(a),
            Value::Object(m) => stack.extend(m.into_iter().map(|(_, v)| v)),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn measures_what_to_string_prints() {
        for v in [
            json!(null),
            json!({"a": [1, 2.5, -3e-7, "x\"\n\u{1}y"], "b": {}, "c": [], "é": true}),
            json!([[[]], {"k": false}, u64::MAX, i64::MIN]),
        ] {
            let Measure::Within { bytes, .. } = measure(&v, usize::MAX, usize::MAX) else {
                panic!("unbounded");
            };
            assert_eq!(bytes, v.to_string().len(), "{v}");
        }
        assert_eq!(
            measure(&json!([[1]]), 100, 100),
            Measure::Within { bytes: 5, depth: 2 }
        );
        assert_eq!(measure(&json!([[1]]), 4, 100), Measure::TooLarge);
        assert_eq!(measure(&json!([[1]]), 100, 1), Measure::TooDeep);
    }
}
