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
    /// Generate a realistic sample lake: daily Parquet snapshots of companies, departments and
    /// members, gzip JSON lines of application events (with a few malformed lines), and the
    /// matching Glue catalog snapshot. Deterministic: the same options give the same bytes.
    ///
    /// Example: `kpi sample-data --out lake --days 30 --companies 10 --seed 7`
    SampleData {
        /// The lake directory (`s3://bucket/prefix/` is `<out>/bucket/prefix/`).
        #[arg(long)]
        out: PathBuf,
        /// Number of days (default 60; 90 with --large).
        #[arg(long)]
        days: Option<u32>,
        /// Number of client companies (default 30; 330 with --large).
        #[arg(long)]
        companies: Option<u32>,
        /// Random seed (default 42).
        #[arg(long)]
        seed: Option<u64>,
        /// First day, YYYY-MM-DD (default 2024-01-01).
        #[arg(long)]
        start: Option<String>,
        /// The benchmark preset: over 20 million events.
        #[arg(long)]
        large: bool,
    },
    /// Build the project, then run its state machine locally on DuckDB over a lake directory,
    /// computing exactly the KPI-days that are missing or stale (all of them with --force).
    /// Exit 0 when every KPI-day succeeded, 1 otherwise.
    ///
    /// Example: `kpi run --project pipelines --from 2024-01-01 --to 2024-01-31 --report run.html`
    Run(commands::run::Args),
    /// Run read-only SQL (DuckDB dialect) over a lake: the sources as the catalog describes
    /// them and the KPI tables as `kpi run` published them, under their catalog names.
    ///
    /// Example: `kpi query "SELECT dt, company_id, ratio FROM engagement_kpi.stickiness LIMIT 5"`
    Query {
        /// The SQL to run.
        sql: String,
        #[arg(long)]
        project: Option<PathBuf>,
        /// The lake directory. Default: `lake` beside the project directory.
        #[arg(long)]
        lake: Option<PathBuf>,
    },
    /// Run state machines locally.
    Sfn {
        #[command(subcommand)]
        command: SfnCommand,
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
enum SfnCommand {
    /// Run any Amazon States Language document locally and print its output (or its error and
    /// cause) as JSON. Exit 0 when the execution succeeded, 1 when it failed. Athena tasks of a
    /// built state machine (manifest.json beside it) run on the local engine; other Task
    /// resources fail as unsupported.
    ///
    /// Example: `kpi sfn run machine.asl.json --input '{"n": 3}' --history`
    Run {
        /// The state machine definition (JSON).
        definition: PathBuf,
        /// The execution input: JSON text, or @FILE to read it from a file. Default `{}`.
        #[arg(long)]
        input: Option<String>,
        /// Also print the execution history, in the shape of GetExecutionHistory.
        #[arg(long)]
        history: bool,
        /// For a built state machine (manifest.json beside it): the lake its Athena tasks
        /// run on. Default: `lake` in the current directory.
        #[arg(long)]
        lake: Option<PathBuf>,
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
        Command::SampleData {
            out,
            days,
            companies,
            seed,
            start,
            large,
        } => commands::sample_data::run(out, days, companies, seed, start, large),
        Command::Run(args) => commands::run::run(args),
        Command::Query { sql, project, lake } => commands::query::run(project, lake, sql),
        Command::Sfn {
            command:
                SfnCommand::Run {
                    definition,
                    input,
                    history,
                    lake,
                },
        } => commands::sfn::run(definition, input, history, lake),
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
