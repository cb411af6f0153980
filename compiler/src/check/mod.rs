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
    let constants = constants(&asts, &mut errors);
    let graph = graph::build(&asts, &source_names, &mut errors);
    let mut schemas: BTreeMap<&str, Option<kpi::KpiSchema>> =
        graph.kpis.keys().map(|k| (*k, None)).collect();
    let mut kpis = Vec::new();
    let by_name: BTreeMap<&str, &Source> = sources.iter().map(|s| (s.name.as_str(), s)).collect();
    // A KPI reads only KPIs of lower levels, so the KPIs of one level are checked on every
    // core against the schemas of those below. Results are then taken in `graph.order`, as if
    // checked one after another.
    let mut results: Vec<Option<(crate::ir::Kpi, Vec<CheckError>)>> =
        std::iter::repeat_with(|| None)
            .take(graph.order.len())
            .collect();
    for level in levels(&graph, files, &source_names) {
        let env = env(&by_name, &schemas, broken_sources, &constants);
        let checked = crate::driver::parallel::map(&level, |(_, at)| {
            let file = &files[at.file];
            let mut found = Vec::new();
            let (checked, schema) =
                kpi::check_kpi(&file.ast.kpis[at.index], file.name, &env, &mut found);
            (checked, schema, found)
        });
        for ((position, _), (checked, schema, found)) in level.iter().zip(checked) {
            schemas.insert(graph.order[*position], Some(schema));
            results[*position] = Some((checked, found));
        }
    }
    for (checked, mut found) in results.into_iter().flatten() {
        errors.append(&mut found);
        kpis.push(checked);
    }
    // KPIs on or behind a cycle, one after another: each may read the one before.
    for &name in &graph.blocked {
        let Some(at) = graph.kpis.get(name) else {
            continue;
        };
        let file = &files[at.file];
        let definition = &file.ast.kpis[at.index];
        let (checked, schema) = kpi::check_kpi(
            definition,
            file.name,
            &env(&by_name, &schemas, broken_sources, &constants),
            &mut errors,
        );
        if !graph.cyclic.contains(name) {
            schemas.insert(name, Some(schema));
        }
        kpis.push(checked);
    }
    // Duplicate definitions are not in the graph; check them for their own errors.
    let against_all = env(&by_name, &schemas, broken_sources, &constants);
    for file in files {
        for definition in &file.ast.kpis {
            let is_primary = graph
                .kpis
                .get(definition.name.name.as_str())
                .is_some_and(|at| at.span == definition.name.span);
            if !is_primary {
                kpi::check_kpi(definition, file.name, &against_all, &mut errors);
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

/// What a KPI is checked against: the sources, and the schemas of the KPIs checked so far.
fn env<'a>(
    sources: &BTreeMap<&'a str, &'a Source>,
    kpis: &'a BTreeMap<&'a str, Option<kpi::KpiSchema>>,
    broken: &'a BTreeSet<String>,
    constants: &'a exprs::Constants,
) -> kpi::Env<'a> {
    kpi::Env {
        sources: sources.clone(),
        kpis,
        broken,
        constants,
    }
}

/// Every file's constants by name, project-wide; a second definition of a name is reported
/// and the first kept.
fn constants(files: &[&ast::File], errors: &mut Vec<CheckError>) -> exprs::Constants {
    let mut out = exprs::Constants::new();
    for c in files.iter().flat_map(|f| &f.consts) {
        if let Some(first) = out.get(&c.name.name) {
            errors.push(CheckError::DuplicateConstant {
                span: c.name.span,
                name: c.name.name.clone(),
                first: first.span,
            });
            continue;
        }
        // The grammar admits only literals and negated numbers.
        let Some((value, negated)) = exprs::constant_value(&c.value) else {
            continue;
        };
        let ty = exprs::literal_type(&value);
        out.insert(
            c.name.name.clone(),
            exprs::Constant {
                value,
                negated,
                ty,
                span: c.name.span,
            },
        );
    }
    out
}

/// The KPIs of `graph.order` in levels, each as its position in the order and where it is
/// defined: a KPI's level is one more than the highest level of the KPIs it reads (0 when it
/// reads only sources).
fn levels(
    graph: &graph::Graph,
    files: &[ParsedFile<'_>],
    source_names: &BTreeSet<String>,
) -> Vec<Vec<(usize, graph::KpiRef)>> {
    let mut level_of: BTreeMap<&str, usize> = BTreeMap::new();
    let mut levels: Vec<Vec<(usize, graph::KpiRef)>> = Vec::new();
    for (position, name) in graph.order.iter().enumerate() {
        let Some(at) = graph.kpis.get(name) else {
            continue;
        };
        let definition = &files[at.file].ast.kpis[at.index];
        let level = std::iter::once(&definition.from)
            .chain(definition.joins.iter().map(|j| &j.relation))
            .filter(|r| !source_names.contains(&r.name.name))
            .filter_map(|r| level_of.get(r.name.name.as_str()))
            .map(|l| l + 1)
            .max()
            .unwrap_or(0);
        level_of.insert(name, level);
        if levels.len() <= level {
            levels.resize_with(level + 1, Vec::new);
        }
        levels[level].push((position, *at));
    }
    levels
}
