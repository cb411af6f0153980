//! KPI names → the dependency graph: duplicate names, cycles, and a stable dependency order.

use super::errors::CheckError;
use super::names::{NameRole, is_output_name, reserved_table};
use crate::span::Span;
use crate::syntax::ast;
use std::collections::{BTreeMap, BTreeSet};

/// Where a KPI is defined: index of its file and of the KPI within the file.
#[derive(Clone, Copy, Debug)]
pub struct KpiRef {
    pub file: usize,
    pub index: usize,
    pub span: Span,
}

pub struct Graph {
    pub kpis: BTreeMap<String, KpiRef>,
    /// Dependency order for KPIs not on or behind a cycle.
    pub order: Vec<String>,
    /// KPIs on or downstream of a cycle, by name.
    pub blocked: Vec<String>,
    /// KPIs that are on a cycle: references to them resolve to an unknown schema.
    pub cyclic: BTreeSet<String>,
}

pub fn build(
    files: &[&ast::File],
    source_names: &BTreeSet<String>,
    errors: &mut Vec<CheckError>,
) -> Graph {
    let mut kpis: BTreeMap<String, KpiRef> = BTreeMap::new();
    for (f, file) in files.iter().enumerate() {
        for (i, kpi) in file.kpis.iter().enumerate() {
            let name = &kpi.name.name;
            if !is_output_name(name) {
                errors.push(CheckError::InvalidOutputName {
                    span: kpi.name.span,
                    name: name.clone(),
                });
            } else if let Some(reserved) = reserved_table(name) {
                errors.push(CheckError::ReservedName {
                    span: kpi.name.span,
                    name: name.clone(),
                    reserved,
                    role: NameRole::Kpi,
                });
            }
            if source_names.contains(name) {
                errors.push(CheckError::KpiShadowsSource {
                    span: kpi.name.span,
                    name: name.clone(),
                });
            }
            match kpis.get(name) {
                Some(first) => errors.push(CheckError::DuplicateKpi {
                    span: kpi.name.span,
                    name: name.clone(),
                    first: first.span,
                }),
                None => {
                    kpis.insert(
                        name.clone(),
                        KpiRef {
                            file: f,
                            index: i,
                            span: kpi.name.span,
                        },
                    );
                }
            }
        }
    }
    let mut edges: BTreeMap<String, BTreeMap<String, Span>> = BTreeMap::new();
    for (name, at) in &kpis {
        let kpi = &files[at.file].kpis[at.index];
        let mut deps = BTreeMap::new();
        let relations = std::iter::once(&kpi.from).chain(kpi.joins.iter().map(|j| &j.relation));
        for r in relations {
            if kpis.contains_key(&r.name.name) && !source_names.contains(&r.name.name) {
                deps.entry(r.name.name.clone()).or_insert(r.name.span);
            }
        }
        edges.insert(name.clone(), deps);
    }
    let (order, blocked) = topological(&kpis, &edges);
    let cyclic = report_cycles(&blocked, &edges, errors);
    Graph {
        kpis,
        order,
        blocked,
        cyclic,
    }
}

/// Kahn's algorithm, always taking the smallest ready name, so the order is stable.
fn topological(
    kpis: &BTreeMap<String, KpiRef>,
    edges: &BTreeMap<String, BTreeMap<String, Span>>,
) -> (Vec<String>, Vec<String>) {
    let mut waiting: BTreeMap<&str, usize> = kpis.keys().map(|k| (k.as_str(), 0)).collect();
    let mut readers: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (kpi, deps) in edges {
        for dep in deps.keys() {
            *waiting.entry(kpi.as_str()).or_default() += 1;
            readers.entry(dep.as_str()).or_default().push(kpi.as_str());
        }
    }
    let mut ready: BTreeSet<&str> = waiting
        .iter()
        .filter(|(_, n)| **n == 0)
        .map(|(k, _)| *k)
        .collect();
    let mut order = Vec::new();
    while let Some(next) = ready.pop_first() {
        order.push(next.to_string());
        for reader in readers.get(next).into_iter().flatten() {
            if let Some(n) = waiting.get_mut(reader) {
                *n -= 1;
                if *n == 0 {
                    ready.insert(reader);
                }
            }
        }
    }
    let done: BTreeSet<&str> = order.iter().map(String::as_str).collect();
    let blocked = kpis
        .keys()
        .filter(|k| !done.contains(k.as_str()))
        .cloned()
        .collect();
    (order, blocked)
}

/// Walks from each blocked KPI along blocked dependencies until a name repeats: that loop is a
/// cycle. Each cycle is reported once, at the reference that closes it.
fn report_cycles(
    blocked: &[String],
    edges: &BTreeMap<String, BTreeMap<String, Span>>,
    errors: &mut Vec<CheckError>,
) -> BTreeSet<String> {
    let blocked_set: BTreeSet<&str> = blocked.iter().map(String::as_str).collect();
    let mut reported: BTreeSet<Vec<String>> = BTreeSet::new();
    let mut cyclic = BTreeSet::new();
    // Each KPI has one next step, so a walk that reaches a KPI an earlier walk passed goes on
    // as that one did, to a cycle already reported: it stops there. Every KPI is walked once.
    let mut walked: BTreeSet<&str> = BTreeSet::new();
    for start in blocked {
        if walked.contains(start.as_str()) {
            continue;
        }
        let mut path: Vec<&str> = vec![start.as_str()];
        let mut on_path: BTreeMap<&str, usize> = BTreeMap::from([(start.as_str(), 0)]);
        let mut current = start.as_str();
        loop {
            let next = edges
                .get(current)
                .and_then(|deps| deps.keys().find(|d| blocked_set.contains(d.as_str())));
            let Some(next) = next else { break };
            if walked.contains(next.as_str()) {
                break;
            }
            if let Some(&pos) = on_path.get(next.as_str()) {
                let cycle: Vec<String> = path[pos..].iter().map(|s| s.to_string()).collect();
                let mut key = cycle.clone();
                key.sort();
                if reported.insert(key) {
                    // Report at the smallest name's reference to its successor in the cycle.
                    let first = cycle
                        .iter()
                        .enumerate()
                        .min_by(|a, b| a.1.cmp(b.1))
                        .map_or(0, |(i, _)| i);
                    let rotated: Vec<String> = cycle[first..]
                        .iter()
                        .chain(&cycle[..first])
                        .cloned()
                        .collect();
                    let from = &rotated[0];
                    let to = rotated.get(1).unwrap_or(from);
                    if let Some(span) = edges.get(from).and_then(|d| d.get(to)) {
                        let mut shown = rotated.clone();
                        shown.push(from.clone());
                        errors.push(CheckError::Cycle {
                            span: *span,
                            path: shown,
                        });
                    }
                    cyclic.extend(cycle);
                }
                break;
            }
            on_path.insert(next.as_str(), path.len());
            path.push(next.as_str());
            current = next.as_str();
        }
        walked.extend(path);
    }
    cyclic
}
