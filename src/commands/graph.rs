//! `kpi graph`: the typed program → the KPI DAG (and the sources it starts from) as Mermaid or
//! Graphviz dot, KPIs grouped by level, each edge labelled with the window it reads.

use super::compile_clean;
use crate::error::CliError;
use crate::load::find_project;
use crate::output::{self, Format};
use kpi_compiler::driver::Options;
use kpi_compiler::ir::{Program, RelationTarget, Window};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::ExitCode;

/// Print the KPI dependency graph, sources included: KPIs grouped by level (0 reads only
/// sources; each level reads only the levels before it), each edge labelled with its window.
///
/// Example: `kpi graph --format dot | dot -Tsvg > kpis.svg`
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The project directory (holding kpi.yaml). Default: the nearest one at or above the
    /// current directory.
    #[arg(long, value_name = "DIR")]
    pub project: Option<PathBuf>,
    /// Mermaid (renders in GitHub Markdown) or Graphviz dot.
    #[arg(long, value_enum, default_value_t = GraphFormat::Mermaid)]
    pub format: GraphFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum GraphFormat {
    Mermaid,
    Dot,
}

/// What `kpi graph` draws, whatever the format.
struct Graph {
    sources: BTreeSet<String>,
    /// Level → the KPIs in it, sorted.
    levels: BTreeMap<usize, Vec<String>>,
    /// (from, to, window label); `None` for the day itself.
    edges: BTreeSet<(String, String, Option<String>)>,
}

pub fn run(args: Args) -> Result<ExitCode, CliError> {
    let dir = find_project(args.project.as_deref(), None)?;
    let Some(compiled) = compile_clean(&dir, Options::default(), Format::Human)? else {
        return Ok(ExitCode::from(1));
    };
    let Some(program) = &compiled.program else {
        return Ok(ExitCode::from(1));
    };
    let graph = graph(program);
    output::print(&match args.format {
        GraphFormat::Mermaid => mermaid(&graph),
        GraphFormat::Dot => dot(&graph),
    })?;
    Ok(ExitCode::SUCCESS)
}

/// `over 30 days`, `ending day - 28`, both, or nothing for the day itself.
pub fn window_label(w: Window) -> Option<String> {
    let over = (w.days > 1).then(|| format!("over {} days", w.days));
    let ending = (w.ends_before > 0).then(|| format!("ending day - {}", w.ends_before));
    match (over, ending) {
        (None, None) => None,
        (Some(o), None) => Some(o),
        (None, Some(e)) => Some(e),
        (Some(o), Some(e)) => Some(format!("{o} {e}")),
    }
}

fn graph(program: &Program) -> Graph {
    let mut level_of: BTreeMap<&str, usize> = BTreeMap::new();
    let mut graph = Graph {
        sources: BTreeSet::new(),
        levels: BTreeMap::new(),
        edges: BTreeSet::new(),
    };
    // KPIs come upstream first, so every upstream's level is known.
    for kpi in &program.kpis {
        let level = kpi
            .upstream
            .iter()
            .filter_map(|u| level_of.get(u.as_str()))
            .map(|l| l + 1)
            .max()
            .unwrap_or(0);
        level_of.insert(&kpi.name, level);
        graph
            .levels
            .entry(level)
            .or_default()
            .push(kpi.name.clone());
        for r in &kpi.relations {
            let from = match &r.target {
                RelationTarget::Source(s) => {
                    graph.sources.insert(s.clone());
                    s.clone()
                }
                RelationTarget::Kpi(k) => k.clone(),
            };
            graph
                .edges
                .insert((from, kpi.name.clone(), window_label(r.window)));
        }
    }
    for kpis in graph.levels.values_mut() {
        kpis.sort();
    }
    graph
}

fn mermaid(g: &Graph) -> String {
    let mut out = String::from("flowchart LR\n  subgraph sources [\"sources\"]\n");
    for s in &g.sources {
        out.push_str(&format!("    {s}[({s})]\n"));
    }
    out.push_str("  end\n");
    for (level, kpis) in &g.levels {
        out.push_str(&format!("  subgraph level_{level} [\"level {level}\"]\n"));
        for k in kpis {
            out.push_str(&format!("    {k}[{k}]\n"));
        }
        out.push_str("  end\n");
    }
    for (from, to, label) in &g.edges {
        match label {
            Some(l) => out.push_str(&format!("  {from} -->|\"{l}\"| {to}\n")),
            None => out.push_str(&format!("  {from} --> {to}\n")),
        }
    }
    out
}

fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('\\', "\\\\").replace('"', "\\\""))
}

fn dot(g: &Graph) -> String {
    let mut out = String::from(
        "digraph kpi {\n  rankdir=LR;\n  subgraph cluster_sources {\n    label=\"sources\";\n",
    );
    for s in &g.sources {
        out.push_str(&format!("    {} [shape=cylinder];\n", quoted(s)));
    }
    out.push_str("  }\n");
    for (level, kpis) in &g.levels {
        out.push_str(&format!(
            "  subgraph cluster_level_{level} {{\n    label=\"level {level}\";\n"
        ));
        for k in kpis {
            out.push_str(&format!("    {} [shape=box];\n", quoted(k)));
        }
        out.push_str("  }\n");
    }
    for (from, to, label) in &g.edges {
        let attrs = label
            .as_ref()
            .map_or_else(String::new, |l| format!(" [label={}]", quoted(l)));
        out.push_str(&format!("  {} -> {}{attrs};\n", quoted(from), quoted(to)));
    }
    out.push_str("}\n");
    out
}
