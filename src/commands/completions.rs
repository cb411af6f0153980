//! `kpi completions SHELL`: the clap command tree → a completion script for that shell.

use crate::error::CliError;
use crate::output;
use clap_complete::Shell;
use std::process::ExitCode;

/// Print a shell completion script.
///
/// Example: `kpi completions bash > ~/.local/share/bash-completion/completions/kpi`, or
/// `kpi completions zsh > "${fpath[1]}/_kpi"`, or
/// `kpi completions fish > ~/.config/fish/completions/kpi.fish`
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: Shell,
}

pub fn run(args: Args, mut command: clap::Command) -> Result<ExitCode, CliError> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "kpi", &mut script);
    output::print(&String::from_utf8_lossy(&script))?;
    Ok(ExitCode::SUCCESS)
}
