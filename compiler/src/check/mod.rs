//! Check: ASTs + bound sources → typed IR (`Program`), or every error found, without cascades.

mod errors;
mod exprs;
mod functions;
mod graph;
mod kpi;
mod names;

pub use errors::CheckError;
pub use functions::{AGGREGATES, SCALARS};
pub use kpi::MAX_WINDOW_DAYS;

use crate::ir::{Program, Source};
use crate::syntax::ast;
use std::collections::{BTreeMap, BTreeSet};

/// A parsed `.kpi` file and the name it is shown under.
pub struct ParsedFile<'a> {
    pub name: &'a str,
    pub ast: &'a ast::File,
}

/// Checks every KPI of every file against the sources. KPIs come out in dependency order;
/// KPIs on a cycle are checked too (their cyclic references accept any column), last.
/// `broken_sources` are declared in kpi.yaml but could not be bound to the catalog (already
/// reported): references to them accept any column instead of cascading.
pub fn check(
    files: &[ParsedFile<'_>],
    sources: &[Source],
    broken_sources: &BTreeSet<String>,
) -> (Program, Vec<CheckError>) {
    let mut errors = Vec::new();
    let source_names: BTreeSet<String> = sources
        .iter()
        .map(|s| s.name.clone())
        .chain(broken_sources.iter().cloned())
        .collect();
    let asts: Vec<&ast::File> = files.iter().map(|f| f.ast).collect();
    let graph = graph::build(&asts, &source_names, &mut errors);
    let mut schemas: BTreeMap<String, Option<kpi::KpiSchema>> =
        graph.kpis.keys().map(|k| (k.clone(), None)).collect();
    let mut kpis = Vec::new();
    for name in graph.order.iter().chain(&graph.blocked) {
        let Some(at) = graph.kpis.get(name) else {
            continue;
        };
        let file = &files[at.file];
        let definition = &file.ast.kpis[at.index];
        let env = kpi::Env {
            sources: sources.iter().map(|s| (s.name.as_str(), s)).collect(),
            kpis: &schemas,
            broken: broken_sources,
        };
        let (checked, schema) = kpi::check_kpi(definition, file.name, &env, &mut errors);
        if !graph.cyclic.contains(name) {
            schemas.insert(name.clone(), Some(schema));
        }
        kpis.push(checked);
    }
    // Duplicate definitions are not in the graph; check them for their own errors.
    for file in files {
        for definition in &file.ast.kpis {
            let is_primary = graph
                .kpis
                .get(&definition.name.name)
                .is_some_and(|at| at.span == definition.name.span);
            if !is_primary {
                let env = kpi::Env {
                    sources: sources.iter().map(|s| (s.name.as_str(), s)).collect(),
                    kpis: &schemas,
                    broken: broken_sources,
                };
                kpi::check_kpi(definition, file.name, &env, &mut errors);
            }
        }
    }
    (
        Program {
            sources: sources.to_vec(),
            kpis,
        },
        errors,
    )
}
