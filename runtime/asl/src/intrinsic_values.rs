//! Values as the intrinsics print, hash and draw them: Java's text of lists and maps, a hash
//! under which equal JSON values collide, digests, random UUIDs and numbers.

use super::error::Failure;
use serde_json::Value;

/// An argument as `States.Format` prints it: a string as it is, a number, boolean or null as
/// JSON, an array or object as Java prints its list or map (`{Arg1=1, Arg2=[a, b]}`), since
/// Step Functions formats the JVM's values.
pub(crate) fn java_text(v: &Value, out: &mut String) {
    match v {
        Value::String(s) => out.push_str(s),
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                java_text(x, out);
            }
            out.push(']');
        }
        Value::Object(m) => {
            out.push('{');
            for (i, (k, x)) in m.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(k);
                out.push('=');
                java_text(x, out);
            }
            out.push('}');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// A hash under which equal values (objects in any key order) collide.
pub(crate) fn value_hash(v: &Value) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    match v {
        Value::Null => 0u8.hash(&mut h),
        Value::Bool(b) => (1u8, b).hash(&mut h),
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) if !n.is_f64() => (2u8, i).hash(&mut h),
            (_, Some(u), _) if !n.is_f64() => (3u8, u).hash(&mut h),
            (_, _, f) => (4u8, f.filter(|f| *f != 0.0).map(f64::to_bits)).hash(&mut h),
        },
        Value::String(s) => (5u8, s).hash(&mut h),
        Value::Array(a) => {
            6u8.hash(&mut h);
            a.iter().for_each(|x| value_hash(x).hash(&mut h));
        }
        Value::Object(m) => {
            let entries = m.iter().fold(0u64, |acc, (k, x)| {
                let mut e = std::collections::hash_map::DefaultHasher::new();
                (k, value_hash(x)).hash(&mut e);
                acc.wrapping_add(e.finish())
            });
            (7u8, entries).hash(&mut h);
        }
    }
    h.finish()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn hash(data: &str, alg: &str) -> Result<String, Failure> {
    use sha2::Digest;
    let d = data.as_bytes();
    Ok(match alg {
        "MD5" => hex(&md5::Md5::digest(d)),
        "SHA-1" => hex(&sha1::Sha1::digest(d)),
        "SHA-256" => hex(&sha2::Sha256::digest(d)),
        "SHA-384" => hex(&sha2::Sha384::digest(d)),
        "SHA-512" => hex(&sha2::Sha512::digest(d)),
        other => {
            return Err(Failure::new(
                "States.IntrinsicFailure",
                format!("unsupported hash algorithm '{other}'"),
            ));
        }
    })
}

/// A random version-4 UUID.
pub fn uuid_v4() -> String {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::SmallRng::seed_from_u64(entropy());
    let b: [u8; 16] = rng.random();
    let h = hex(&b);
    let variant = ["8", "9", "a", "b"][usize::from(b[8] >> 6)];
    format!(
        "{}-{}-4{}-{}{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        variant,
        &h[17..20],
        &h[20..32]
    )
}

/// A seed from the time and a process-wide counter.
pub(crate) fn entropy() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    nanos
        ^ COUNTER
            .fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed)
            .rotate_left(17)
}

/// A random number in [0, 1).
pub fn random_unit() -> f64 {
    use rand::{Rng, SeedableRng};
    rand::rngs::SmallRng::seed_from_u64(entropy()).random::<f64>()
}
