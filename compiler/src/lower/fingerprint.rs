//! A KPI's typed definition → its fingerprint: SHA-256 over a canonical serialization that
//! keeps what the KPI means and drops what is only form (spans, comments, file, aliases).

use crate::ir::{self, Column};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Bumped whenever the canonical form changes, so old and new fingerprints never collide.
const VERSION: &str = "kpi-fingerprint-1";

pub fn fingerprint(kpi: &ir::Kpi, columns: &[Column], upstream: &[(String, String)]) -> String {
    let mut definition = serde_json::to_value(kpi).unwrap_or(Value::Null);
    let aliases: Vec<String> = kpi.relations.iter().map(|r| r.alias.clone()).collect();
    canonical(&mut definition, &aliases);
    let columns: Vec<(String, String)> = columns
        .iter()
        .map(|c| (c.name.clone(), c.ty.to_string()))
        .collect();
    let mut upstream = upstream.to_vec();
    upstream.sort();
    let text = serde_json::to_string(&(VERSION, definition, columns, upstream)).unwrap_or_default();
    let digest = Sha256::digest(text.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Drops spans, docs and the file name; renames aliases to their position (`r0`, `r1`…).
fn canonical(value: &mut Value, aliases: &[String]) {
    match value {
        Value::Object(map) => {
            map.remove("span");
            map.remove("doc");
            map.remove("file");
            for key in ["alias", "relation"] {
                if let Some(Value::String(s)) = map.get_mut(key)
                    && let Some(i) = aliases.iter().position(|a| a == s)
                {
                    *s = format!("r{i}");
                }
            }
            for v in map.values_mut() {
                canonical(v, aliases);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| canonical(v, aliases)),
        _ => {}
    }
}
