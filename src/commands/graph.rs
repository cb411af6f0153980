//! `kpi graph`: the typed program (and, with a lake, the run planner's due KPI-days) → the KPI
//! DAG and the sources it starts from, as text, Mermaid or Graphviz dot: KPIs grouped by level,
//! each edge labelled with the window it reads, each KPI marked with its status over the lake.

use super::compile_clean;
use crate::error::CliError;
use crate::load::{ProjectDir, find_project};
use crate::output::{self, Format};
use kpi_compiler::driver::{Compiled, Options};
use kpi_compiler::ir::{Program, RelationTarget, Window};
use kpi_runtime::manifest::Manifest;
use kpi_runtime::run::RunOptions;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::ExitCode;

/// Print the KPI dependency graph, sources included: KPIs grouped by level (0 reads only
/// sources; each level reads only the levels before it), each edge labelled with its window,
/// and each KPI's status over the lake: up to date, stale (days due: another definition,
/// changed inputs, or days not computed yet) or never run.
///
/// Example: `kpi graph --format dot | dot -Tsvg > kpis.svg`
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The project directory (holding kpi.yaml). Default: the nearest one at or above the
    /// current directory.
    #[arg(long, value_name = "DIR")]
    pub project: Option<PathBuf>,
    /// Mermaid (renders in GitHub Markdown), Graphviz dot, or indented text.
    #[arg(long, value_enum, default_value_t = GraphFormat::Mermaid)]
    pub format: GraphFormat,
    /// The lake whose status each KPI is marked with. Default: `lake` beside the project
    /// directory, when there is one.
    #[arg(long, value_name = "DIR")]
    pub lake: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum GraphFormat {
    Mermaid,
    Dot,
    Text,
}

/// A KPI's state over the lake, from the run planner.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Status {
    UpToDate,
    /// Days of the default range a run would compute, of all of them.
    Stale {
        due: usize,
        of: usize,
    },
    NeverRun,
    /// Days whose last computation failed and that are still due, of the days due.
    Failed {
        failed: usize,
        due: usize,
    },
}

impl Status {
    /// The plain-text marker, readable without colour.
    fn marker(&self) -> String {
        match self {
            Status::UpToDate => "up to date".into(),
            Status::Stale { due, of } => format!("stale: {due} of {of} days due"),
            Status::NeverRun => "never run".into(),
            Status::Failed { failed, due } => format!("failed: {failed} of {due} days due"),
        }
    }

    fn class(&self) -> &'static str {
        match self {
            Status::UpToDate => "up_to_date",
            Status::Stale { .. } => "stale",
            Status::NeverRun => "never_run",
            Status::Failed { .. } => "failed",
        }
    }

    /// Fill colour (dot, Mermaid) and terminal colour (text).
    fn colors(&self) -> (&'static str, &'static str) {
        match self {
            Status::UpToDate => ("#bbf7d0", "32"),
            Status::Stale { .. } => ("#fde68a", "33"),
            Status::NeverRun => ("#e5e7eb", "2"),
            Status::Failed { .. } => ("#fecaca", "31"),
        }
    }
}

/// What `kpi graph` draws, whatever the format.
struct Graph {
    sources: BTreeSet<String>,
    /// Level → the KPIs in it, sorted.
    levels: BTreeMap<usize, Vec<String>>,
    /// (from, to, window label); `None` for the day itself.
    edges: BTreeSet<(String, String, Option<String>)>,
    /// Each KPI's status, when a lake was read.
    status: BTreeMap<String, Status>,
    /// Whether to colour (`--color`).
    color: bool,
}

pub fn run(args: Args) -> Result<ExitCode, CliError> {
    let dir = find_project(args.project.as_deref(), None)?;
    let options = Options {
        build: true,
        ..Options::default()
    };
    let Some(compiled) = compile_clean(&dir, options, Format::Human)? else {
        return Ok(ExitCode::from(1));
    };
    let Some(program) = &compiled.program else {
        return Ok(ExitCode::from(1));
    };
    let mut graph = graph(program);
    graph.status = status(&dir, &compiled, args.lake)?;
    graph.color = output::color();
    output::print(&match args.format {
        GraphFormat::Mermaid => mermaid(&graph),
        GraphFormat::Dot => dot(&graph),
        GraphFormat::Text => text(&graph),
    })?;
    Ok(ExitCode::SUCCESS)
}

/// Each KPI's status over the lake (`--lake`, or `lake` beside the project when it exists):
/// the KPI-days a plain `kpi run` would compute, as its planner works them out.
fn status(
    dir: &ProjectDir,
    compiled: &Compiled,
    lake: Option<PathBuf>,
) -> Result<BTreeMap<String, Status>, CliError> {
    let lake = match lake {
        Some(lake) => super::run::lake_dir(dir, Some(lake))?,
        None if dir.default_lake().is_dir() => dir.default_lake(),
        None => return Ok(BTreeMap::new()),
    };
    let Some(text) = compiled
        .artifacts
        .as_ref()
        .and_then(|a| a.files.get("manifest.json"))
    else {
        return Ok(BTreeMap::new());
    };
    let manifest = Manifest::parse(text).map_err(CliError::usage)?;
    let days = super::run::default_days(&manifest, &lake).unwrap_or_default();
    let options = RunOptions {
        days: days.clone(),
        kpis: Vec::new(),
        force: false,
        wait: false,
        command: "kpi graph".into(),
        concurrency: 1,
    };
    let plan = kpi_runtime::run::dry_run(&manifest, &lake, &options).map_err(CliError::usage)?;
    let opened = kpi_runtime::lake::Lake::open(&lake).map_err(CliError::usage)?;
    let catalog = opened.read_catalog().map_err(CliError::usage)?;
    let failures = opened.read_failures().map_err(CliError::usage)?;
    let database = &manifest.project.database;
    Ok(manifest
        .kpis
        .iter()
        .map(|kpi| {
            let published = catalog
                .table(database, &kpi.name)
                .is_some_and(|t| !t.partitions.is_empty());
            let due_days = plan.plan.due.get(&kpi.name);
            let due = due_days.map_or(0, BTreeSet::len);
            let failed = failures.kpis.get(&kpi.name).map_or(0, |days| {
                days.keys()
                    .filter(|d| due_days.is_some_and(|due| due.contains(*d)))
                    .count()
            });
            let status = match (published, due) {
                _ if failed > 0 => Status::Failed { failed, due },
                (false, _) => Status::NeverRun,
                (true, 0) => Status::UpToDate,
                (true, due) => Status::Stale {
                    due,
                    of: days.len(),
                },
            };
            (kpi.name.clone(), status)
        })
        .collect())
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
        status: BTreeMap::new(),
        color: false,
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
            match g.status.get(k) {
                Some(s) => out.push_str(&format!("    {k}[\"{k}<br/>{}\"]\n", s.marker())),
                None => out.push_str(&format!("    {k}[{k}]\n")),
            }
        }
        out.push_str("  end\n");
    }
    for (from, to, label) in &g.edges {
        match label {
            Some(l) => out.push_str(&format!("  {from} -->|\"{l}\"| {to}\n")),
            None => out.push_str(&format!("  {from} --> {to}\n")),
        }
    }
    if g.color && !g.status.is_empty() {
        let mut classes: BTreeMap<&str, (&str, Vec<&str>)> = BTreeMap::new();
        for (k, s) in &g.status {
            let entry = classes
                .entry(s.class())
                .or_insert((s.colors().0, Vec::new()));
            entry.1.push(k);
        }
        for (class, (fill, kpis)) in classes {
            out.push_str(&format!("  classDef {class} fill:{fill}\n"));
            out.push_str(&format!("  class {} {class}\n", kpis.join(",")));
        }
    }
    out
}

/// Indented text: per level its KPIs, each with its status and what it reads over which
/// window.
fn text(g: &Graph) -> String {
    let mut out = format!(
        "sources: {}\n",
        g.sources.iter().cloned().collect::<Vec<_>>().join(", ")
    );
    for (level, kpis) in &g.levels {
        out.push_str(&format!("level {level}\n"));
        for k in kpis {
            let marker = match g.status.get(k) {
                Some(s) if g.color => format!("  \x1b[{}m[{}]\x1b[0m", s.colors().1, s.marker()),
                Some(s) => format!("  [{}]", s.marker()),
                None => String::new(),
            };
            out.push_str(&format!("  {k}{marker}\n"));
            for (from, _, label) in g.edges.iter().filter(|(_, to, _)| to == k) {
                match label {
                    Some(l) => out.push_str(&format!("    <- {from} ({l})\n")),
                    None => out.push_str(&format!("    <- {from}\n")),
                }
            }
        }
    }
    out
}

fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('\\', "\\\\").replace('"', "\\\""))
}

/// A dot label of several lines, each quoted.
fn lines(texts: &[&str]) -> String {
    let inner: Vec<String> = texts
        .iter()
        .map(|t| {
            let q = quoted(t);
            q[1..q.len() - 1].to_string()
        })
        .collect();
    format!("\"{}\"", inner.join("\\n"))
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
            let attrs = match g.status.get(k) {
                Some(s) if g.color => format!(
                    ", label={}, style=filled, fillcolor={}",
                    lines(&[k, &s.marker()]),
                    quoted(s.colors().0)
                ),
                Some(s) => format!(", label={}", lines(&[k, &s.marker()])),
                None => String::new(),
            };
            out.push_str(&format!("    {} [shape=box{attrs}];\n", quoted(k)));
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
