//! The functions Step Functions adds to JSONata: `$partition`, `$range`, `$hash`, `$random`,
//! `$uuid` and `$parse`.

use super::Ctx;
use super::eval::{R, err};
use super::value::{Val, from_json, items};
use rand::{Rng, SeedableRng};
use sha2::Digest;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn call(name: &str, a0: Option<Val>, a1: Option<Val>, a2: Option<Val>, cx: &Ctx) -> R {
    let num = |v: &Option<Val>| v.as_ref().and_then(Val::num);
    match name {
        "partition" => {
            let size = num(&a1)
                .filter(|n| *n >= 1.0 && n.fract() == 0.0)
                .ok_or_else(|| {
                    err(
                        "States.QueryEvaluationError",
                        "$partition needs a positive integer chunk size",
                        0,
                    )
                })?;
            let list = a0.as_ref().map(items).unwrap_or_default();
            Ok(Some(Val::arr(
                list.chunks(size as usize)
                    .map(|c| Val::arr(c.to_vec()))
                    .collect(),
            )))
        }
        "range" => {
            let (Some(a), Some(b)) = (num(&a0), num(&a1)) else {
                return Ok(None);
            };
            let step = num(&a2).unwrap_or(1.0);
            if step == 0.0 {
                return Err(err(
                    "States.QueryEvaluationError",
                    "$range step must not be 0",
                    0,
                ));
            }
            let mut out = Vec::new();
            let mut x = a;
            while (step > 0.0 && x <= b) || (step < 0.0 && x >= b) {
                if out.len() >= 1000 {
                    return Err(err(
                        "States.QueryEvaluationError",
                        "$range produces more than 1000 items",
                        0,
                    ));
                }
                out.push(Val::Num(x));
                x += step;
            }
            // A sequence, as jsonata's functions give: one item is that item.
            Ok(Some(Val::seq(out)))
        }
        "hash" => {
            let Some(Val::Str(s)) = a0 else {
                return Ok(None);
            };
            let alg = match &a1 {
                Some(Val::Str(x)) => x.to_string(),
                None => "SHA-256".into(),
                _ => {
                    return Err(err(
                        "T0410",
                        "Argument 2 of function \"hash\" does not match function signature",
                        0,
                    ));
                }
            };
            let b = s.as_bytes();
            let h = match alg.as_str() {
                "MD5" => hex(&md5::Md5::digest(b)),
                "SHA-1" => hex(&sha1::Sha1::digest(b)),
                "SHA-256" => hex(&sha2::Sha256::digest(b)),
                "SHA-384" => hex(&sha2::Sha384::digest(b)),
                "SHA-512" => hex(&sha2::Sha512::digest(b)),
                other => {
                    return Err(err(
                        "States.QueryEvaluationError",
                        format!("$hash: unknown algorithm {other:?}"),
                        0,
                    ));
                }
            };
            Ok(Some(Val::str(&h)))
        }
        "random" => {
            let r: f64 = match num(&a0) {
                Some(seed) => rand::rngs::SmallRng::seed_from_u64(seed.to_bits()).random(),
                None => cx.rng.borrow_mut().random(),
            };
            Ok(Some(Val::Num(r)))
        }
        "uuid" => {
            let mut b: [u8; 16] = cx.rng.borrow_mut().random();
            b[6] = (b[6] & 0x0f) | 0x40;
            b[8] = (b[8] & 0x3f) | 0x80;
            let h = hex(&b);
            Ok(Some(Val::str(&format!(
                "{}-{}-{}-{}-{}",
                &h[..8],
                &h[8..12],
                &h[12..16],
                &h[16..20],
                &h[20..]
            ))))
        }
        _ => {
            let Some(Val::Str(s)) = a0 else {
                return Ok(None);
            };
            let v: serde_json::Value = serde_json::from_str(&s).map_err(|e| {
                err(
                    "States.QueryEvaluationError",
                    format!("$parse: the string is not JSON: {e}"),
                    0,
                )
            })?;
            Ok(Some(from_json(&v)))
        }
    }
}
