//! The generated files of both sides, file by file: how the Athena SQL, the state machine and
//! the template change, as unified diffs (`kpi diff --artifacts`), for reviewers who want the
//! text behind the structural diff. The DuckDB statements (the same queries for the local
//! engine) and the manifest (which changes with every fingerprint) are left out.

use super::Change;
use crate::driver::Compiled;
use serde::Serialize;
use std::collections::BTreeSet;

/// Lines of context around each change.
const CONTEXT: usize = 3;

#[derive(Clone, Debug, Serialize)]
pub struct ArtifactDiff {
    /// The file's path inside the build output (`athena/<kpi>/03_write.sql`).
    pub path: String,
    pub change: Change,
    pub added_lines: usize,
    pub removed_lines: usize,
    /// The unified diff, `--- base/<path>` and `+++ head/<path>` first.
    pub unified: String,
}

/// Whether a build output file is one a reviewer reads.
fn reviewed(path: &str) -> bool {
    path.starts_with("athena/") || path == "statemachine.asl.json" || path == "template.yaml"
}

/// Every reviewed file that differs between the sides' builds, by path. A side that did not
/// build has no files: each of the other's is then added or removed.
pub fn artifacts(base: &Compiled, head: &Compiled) -> Vec<ArtifactDiff> {
    let files = |c: &Compiled| {
        c.artifacts
            .as_ref()
            .map(|a| a.files.clone())
            .unwrap_or_default()
    };
    let (old, new) = (files(base), files(head));
    let paths: BTreeSet<&String> = old
        .keys()
        .chain(new.keys())
        .filter(|p| reviewed(p))
        .collect();
    paths
        .into_iter()
        .filter_map(|path| {
            let (a, b) = (old.get(path), new.get(path));
            if a == b {
                return None;
            }
            let change = match (a, b) {
                (None, _) => Change::Added,
                (_, None) => Change::Removed,
                _ => Change::Changed,
            };
            let (a, b) = (a.map_or("", String::as_str), b.map_or("", String::as_str));
            let diff = similar::TextDiff::from_lines(a, b);
            let (mut added_lines, mut removed_lines) = (0, 0);
            for op in diff.ops() {
                for change in diff.iter_changes(op) {
                    match change.tag() {
                        similar::ChangeTag::Insert => added_lines += 1,
                        similar::ChangeTag::Delete => removed_lines += 1,
                        similar::ChangeTag::Equal => {}
                    }
                }
            }
            let unified = diff
                .unified_diff()
                .context_radius(CONTEXT)
                .header(&format!("base/{path}"), &format!("head/{path}"))
                .to_string();
            Some(ArtifactDiff {
                path: path.clone(),
                change,
                added_lines,
                removed_lines,
                unified,
            })
        })
        .collect()
}
