//! A KPI's backend IR → its fingerprint: SHA-256 over the IR's canonical serialization (which
//! keeps what the KPI computes and drops what is only form: relation aliases and check
//! labels; the IR has no spans, comments, docs or file names to begin with), with the
//! fingerprints of the KPIs it reads.

use crate::query::Query;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Bumped whenever the canonical form changes, so old and new fingerprints never collide.
const VERSION: &str = "kpi-fingerprint-2";

pub fn fingerprint(query: &Query, upstream: &[(String, String)]) -> String {
    let meaning = meaning(query);
    let mut upstream = upstream.to_vec();
    upstream.sort();
    let text = serde_json::to_string(&(VERSION, meaning, upstream)).unwrap_or_default();
    let digest = Sha256::digest(text.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The canonical form of a part of the backend IR: what it computes, without its aliases and
/// labels. Two parts mean the same when their forms are equal (`kpi diff` compares them).
pub fn meaning(part: &impl serde::Serialize) -> Value {
    let mut value = serde_json::to_value(part).unwrap_or(Value::Null);
    drop_form(&mut value);
    value
}

/// Removes the fields that are only there to print readable SQL and messages.
fn drop_form(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.remove("alias");
            map.remove("label");
            map.values_mut().for_each(drop_form);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_form),
        _ => {}
    }
}
