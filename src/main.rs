//! `kpi`: the command line. Thin: it finds the project, compiles it through the compiler
//! driver, calls the runtime, and prints what they return.

mod commands;
mod error;
mod git;
mod load;
mod output;

use clap::{CommandFactory, Parser, Subcommand};
use commands::{
    build, check, completions, debug, diff, explain, fmt, graph, init, lsp, query, run,
    sample_data, sfn,
};
use output::ColorChoice;
use std::process::ExitCode;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Typed KPI pipelines compiled to Athena SQL and AWS Step Functions.
#[derive(Parser, Debug)]
#[command(name = "kpi", version, about, max_term_width = 100)]
struct Cli {
    /// Print only results and errors: no progress, no summaries.
    #[arg(long, short, global = true, conflicts_with = "verbose")]
    quiet: bool,
    /// Also print what was read and decided: the project, each file, the lake.
    #[arg(long, short, global = true)]
    verbose: bool,
    /// When to colour diagnostics and progress: `auto` on a terminal unless NO_COLOR is set.
    #[arg(long, global = true, value_enum, value_name = "WHEN", default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    Init(init::Args),
    Check(check::Args),
    Fmt(fmt::Args),
    Build(build::Args),
    Graph(graph::Args),
    Diff(diff::Args),
    SampleData(sample_data::Args),
    Run(run::Args),
    Query(query::Args),
    /// Run state machines locally.
    Sfn {
        #[command(subcommand)]
        command: SfnCommand,
    },
    Explain(explain::Args),
    /// Print the compiler's intermediate representations as JSON.
    ///
    /// Example: `kpi debug ast pipelines/activity.kpi`
    Debug {
        #[command(subcommand)]
        stage: debug::Stage,
    },
    Completions(completions::Args),
    Lsp(lsp::Args),
    #[cfg(feature = "aws")]
    Deploy(commands::aws::deploy::Args),
    #[cfg(feature = "aws")]
    Status(commands::aws::remote::StatusArgs),
    #[cfg(feature = "aws")]
    Redrive(commands::aws::remote::RedriveArgs),
    /// The catalog snapshot against Glue: pull it, or show how it drifted.
    #[cfg(feature = "aws")]
    Schema {
        #[command(subcommand)]
        command: commands::aws::schema::Command,
    },
}

#[derive(Subcommand, Debug)]
enum SfnCommand {
    Run(sfn::RunArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    output::init(cli.color, cli.quiet, cli.verbose);
    let result = match cli.command {
        Command::Init(args) => init::run(args),
        Command::Check(args) => check::run(args),
        Command::Fmt(args) => fmt::run(args),
        Command::Build(args) => build::run(args),
        Command::Graph(args) => graph::run(args),
        Command::Diff(args) => diff::run(args),
        Command::SampleData(args) => sample_data::run(args),
        Command::Run(args) => run::run(args),
        Command::Query(args) => query::run(args),
        Command::Sfn {
            command: SfnCommand::Run(args),
        } => sfn::run(args),
        Command::Explain(args) => explain::run(args),
        Command::Debug { stage } => debug::run(stage),
        Command::Completions(args) => completions::run(args, Cli::command()),
        Command::Lsp(args) => lsp::run(args),
        #[cfg(feature = "aws")]
        Command::Deploy(args) => commands::aws::deploy::run(args),
        #[cfg(feature = "aws")]
        Command::Status(args) => commands::aws::remote::status(args),
        #[cfg(feature = "aws")]
        Command::Redrive(args) => commands::aws::remote::redrive(args),
        #[cfg(feature = "aws")]
        Command::Schema { command } => commands::aws::schema::run(command),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            if !matches!(e, error::CliError::ClosedStdout) {
                output::error(&e);
            }
            e.exit_code()
        }
    }
}
