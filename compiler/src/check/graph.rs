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

/// Names are borrowed from the ASTs: a project of 10,000 KPIs would otherwise copy each name
/// into every map below, on one core.
pub struct Graph<'a> {
    pub kpis: BTreeMap<&'a str, KpiRef>,
    /// Dependency order for KPIs not on or behind a cycle.
    pub order: Vec<&'a str>,
    /// KPIs on or downstream of a cycle, by name.
    pub blocked: Vec<&'a str>,
    /// KPIs that are on a cycle: references to them resolve to an unknown schema.
    pub cyclic: BTreeSet<&'a str>,
}

/// Each KPI's upstream KPIs, and where it first names each.
type Edges<'a> = BTreeMap<&'a str, BTreeMap<&'a str, Span>>;

pub fn build<'a>(
    files: &[&'a ast::File],
    source_names: &BTreeSet<String>,
    errors: &mut Vec<CheckError>,
) -> Graph<'a> {
    let mut kpis: BTreeMap<&'a str, KpiRef> = BTreeMap::new();
    for (f, file) in files.iter().enumerate() {
        for (i, kpi) in file.kpis.iter().enumerate() {
            let name = kpi.name.name.as_str();
            if !is_output_name(name) {
                errors.push(CheckError::InvalidOutputName {
                    span: kpi.name.span,
                    name: name.to_string(),
                });
            } else if let Some(reserved) = reserved_table(name) {
                errors.push(CheckError::ReservedName {
                    span: kpi.name.span,
                    name: name.to_string(),
                    reserved,
                    role: NameRole::Kpi,
                });
            }
            if source_names.contains(name) {
                errors.push(CheckError::KpiShadowsSource {
                    span: kpi.name.span,
                    name: name.to_string(),
                });
            }
            match kpis.get(name) {
                Some(first) => errors.push(CheckError::DuplicateKpi {
                    span: kpi.name.span,
                    name: name.to_string(),
                    first: first.span,
                }),
                None => {
                    kpis.insert(
                        name,
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
    let mut edges: Edges<'a> = BTreeMap::new();
    for (name, at) in &kpis {
        let kpi: &'a ast::Kpi = &files[at.file].kpis[at.index];
        let mut deps = BTreeMap::new();
        let relations = std::iter::once(&kpi.from).chain(kpi.joins.iter().map(|j| &j.relation));
        for r in relations {
            let dep = r.name.name.as_str();
            if kpis.contains_key(dep) && !source_names.contains(dep) {
                deps.entry(dep).or_insert(r.name.span);
            }
        }
        edges.insert(*name, deps);
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
fn topological<'a>(
    kpis: &BTreeMap<&'a str, KpiRef>,
    edges: &Edges<'a>,
) -> (Vec<&'a str>, Vec<&'a str>) {
    let mut waiting: BTreeMap<&'a str, usize> = kpis.keys().map(|k| (*k, 0)).collect();
    let mut readers: BTreeMap<&'a str, Vec<&'a str>> = BTreeMap::new();
    for (kpi, deps) in edges {
        for dep in deps.keys() {
            *waiting.entry(kpi).or_default() += 1;
            readers.entry(dep).or_default().push(kpi);
        }
    }
    let mut ready: BTreeSet<&'a str> = waiting
        .iter()
        .filter(|(_, n)| **n == 0)
        .map(|(k, _)| *k)
        .collect();
    let mut order = Vec::new();
    while let Some(next) = ready.pop_first() {
        order.push(next);
        for reader in readers.get(next).into_iter().flatten() {
            if let Some(n) = waiting.get_mut(reader) {
                *n -= 1;
                if *n == 0 {
                    ready.insert(reader);
                }
            }
        }
    }
    let done: BTreeSet<&str> = order.iter().copied().collect();
    let blocked = kpis
        .keys()
        .filter(|k| !done.contains(*k))
        .copied()
        .collect();
    (order, blocked)
}

/// Walks from each blocked KPI along blocked dependencies until a name repeats: that loop is a
/// cycle. Each cycle is reported once, at the reference that closes it.
fn report_cycles<'a>(
    blocked: &[&'a str],
    edges: &Edges<'a>,
    errors: &mut Vec<CheckError>,
) -> BTreeSet<&'a str> {
    let blocked_set: BTreeSet<&str> = blocked.iter().copied().collect();
    let mut reported: BTreeSet<Vec<String>> = BTreeSet::new();
    let mut cyclic = BTreeSet::new();
    // Each KPI has one next step, so a walk that reaches a KPI an earlier walk passed goes on
    // as that one did, to a cycle already reported: it stops there. Every KPI is walked once.
    let mut walked: BTreeSet<&str> = BTreeSet::new();
    for &start in blocked {
        if walked.contains(start) {
            continue;
        }
        let mut path: Vec<&'a str> = vec![start];
        let mut on_path: BTreeMap<&str, usize> = BTreeMap::from([(start, 0)]);
        let mut current = start;
        loop {
            let next = edges
                .get(current)
                .and_then(|deps| deps.keys().find(|d| blocked_set.contains(*d)))
                .copied();
            let Some(next) = next else { break };
            if walked.contains(next) {
                break;
            }
            if let Some(&pos) = on_path.get(next) {
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
                    if let Some(span) = edges.get(from.as_str()).and_then(|d| d.get(to.as_str())) {
                        let mut shown = rotated.clone();
                        shown.push(from.clone());
                        errors.push(CheckError::Cycle {
                            span: *span,
                            path: shown,
                        });
                    }
                    cyclic.extend(path[pos..].iter().copied());
                }
                break;
            }
            on_path.insert(next, path.len());
            path.push(next);
            current = next;
        }
        walked.extend(path);
    }
    cyclic
}
