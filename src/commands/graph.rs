//! `kpi graph`: the KPI DAG (and the sources it starts from) as Mermaid or Graphviz dot.

use crate::load::{self, LoadError};
use crate::{Format, GraphFormat};
use kpi_compiler::ir::RelationTarget;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::ExitCode;

pub fn run(project: Option<PathBuf>, format: GraphFormat) -> Result<ExitCode, LoadError> {
    let dir = load::find_project(project)?;
    let Some(checked) = super::checked(&dir, Format::Human)? else {
        return Ok(ExitCode::from(1));
    };
    let mut edges = BTreeSet::new();
    let mut sources = BTreeSet::new();
    for kpi in &checked.program.kpis {
        for r in &kpi.relations {
            let (from, is_source) = match &r.target {
                RelationTarget::Source(s) => (s.clone(), true),
                RelationTarget::Kpi(k) => (k.clone(), false),
            };
            if is_source {
                sources.insert(from.clone());
            }
            edges.insert((from, kpi.name.clone()));
        }
    }
    let kpis: Vec<&str> = checked
        .program
        .kpis
        .iter()
        .map(|k| k.name.as_str())
        .collect();
    let text = match format {
        GraphFormat::Mermaid => {
            let mut out = String::from("flowchart LR\n");
            for s in &sources {
                out.push_str(&format!("  {s}[({s})]\n"));
            }
            for k in &kpis {
                out.push_str(&format!("  {k}[{k}]\n"));
            }
            for (from, to) in &edges {
                out.push_str(&format!("  {from} --> {to}\n"));
            }
            out
        }
        GraphFormat::Dot => {
            let mut out = String::from("digraph kpi {\n  rankdir=LR;\n");
            for s in &sources {
                out.push_str(&format!("  \"{s}\" [shape=cylinder];\n"));
            }
            for k in &kpis {
                out.push_str(&format!("  \"{k}\" [shape=box];\n"));
            }
            for (from, to) in &edges {
                out.push_str(&format!("  \"{from}\" -> \"{to}\";\n"));
            }
            out.push_str("}\n");
            out
        }
    };
    print!("{text}");
    Ok(ExitCode::SUCCESS)
}
