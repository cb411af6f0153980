//! `kpi explain CODE` / `kpi explain --list`: the long explanation of a diagnostic code.

use crate::error::CliError;
use crate::output;
use kpi_compiler::diagnostic::{all_codes, explain};
use std::process::ExitCode;

/// Print the long explanation of a diagnostic code, with an example and the fix.
///
/// Example: `kpi explain E0202`
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A code such as E0202 (case does not matter); `kpi explain --list` shows every code.
    pub code: Option<String>,
    /// List every code with its title.
    #[arg(long)]
    pub list: bool,
}

pub fn run(args: Args) -> Result<ExitCode, CliError> {
    let Some(code) = args.code.filter(|_| !args.list) else {
        let mut text = String::new();
        for code in all_codes() {
            let title = explain(code).and_then(|t| t.lines().next()).unwrap_or(code);
            text.push_str(title.trim_start_matches("# "));
            text.push('\n');
        }
        output::print(&text)?;
        return Ok(ExitCode::SUCCESS);
    };
    match explain(&code) {
        Some(text) => {
            output::print(text)?;
            Ok(ExitCode::SUCCESS)
        }
        None => {
            let hint = kpi_compiler::diagnostic::did_you_mean(&code.to_uppercase(), all_codes())
                .map_or_else(String::new, |c| format!(" (did you mean `{c}`?)"));
            output::error(format!(
                "no diagnostic has the code `{code}`{hint}; `kpi explain --list` shows every code"
            ));
            Ok(ExitCode::from(1))
        }
    }
}
