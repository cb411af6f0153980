//! `kpi`: the command line. Thin: it reads files, calls the compiler, prints what it returns.

mod commands;
mod load;
mod output;

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

/// Typed KPI pipelines compiled to Athena SQL and AWS Step Functions.
#[derive(Parser, Debug)]
#[command(name = "kpi", version, about, max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Type-check every .kpi file of a project against its catalog snapshot.
    ///
    /// Example: `kpi check --project pipelines --format json`
    Check {
        /// Project directory; defaults to the nearest one at or above the current directory
        /// that holds a kpi.yaml.
        #[arg(long)]
        project: Option<PathBuf>,
        /// How to print diagnostics.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Check the project, then write its artifacts: Athena and DuckDB SQL per KPI, the state
    /// machine, the SAM template and the manifest.
    ///
    /// Example: `kpi build --project pipelines --out target/kpi`
    Build {
        #[arg(long)]
        project: Option<PathBuf>,
        /// Output directory; defaults to `target/kpi` inside the project.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Print the KPI dependency graph, sources included.
    ///
    /// Example: `kpi graph --format dot | dot -Tsvg > kpis.svg`
    Graph {
        #[arg(long)]
        project: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t = GraphFormat::Mermaid)]
        format: GraphFormat,
    },
    /// Print the long explanation of a diagnostic code, with an example and the fix.
    ///
    /// Example: `kpi explain E0202`
    Explain {
        /// A code such as E0202; `kpi explain --list` shows every code.
        code: Option<String>,
        /// List every code with its title.
        #[arg(long)]
        list: bool,
    },
    /// Print the compiler's intermediate representations as JSON.
    ///
    /// Example: `kpi debug ast pipelines/activity.kpi`
    Debug {
        #[command(subcommand)]
        stage: DebugStage,
    },
}

#[derive(Subcommand, Debug)]
enum DebugStage {
    /// The syntax tree of one file, or of every file of the project.
    Ast {
        #[arg(long)]
        project: Option<PathBuf>,
        file: Option<PathBuf>,
    },
    /// The typed IR of the project (or only the KPIs defined in FILE).
    Ir {
        #[arg(long)]
        project: Option<PathBuf>,
        file: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    Mermaid,
    Dot,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check { project, format } => commands::check::run(project, format),
        Command::Build { project, out } => commands::build::run(project, out),
        Command::Graph { project, format } => commands::graph::run(project, format),
        Command::Explain { code, list } => commands::explain::run(code, list),
        Command::Debug {
            stage: DebugStage::Ast { project, file },
        } => commands::debug::ast(project, file),
        Command::Debug {
            stage: DebugStage::Ir { project, file },
        } => commands::debug::ir(project, file),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            output::environment_error(&e);
            ExitCode::from(2)
        }
    }
}
