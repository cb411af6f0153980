//! `kpi explain CODE`.

use crate::load::LoadError;
use kpi_compiler::diagnostic::{all_codes, explain};
use std::process::ExitCode;

pub fn run(code: Option<String>, list: bool) -> Result<ExitCode, LoadError> {
    if list || code.is_none() {
        for code in all_codes() {
            let title = explain(code).and_then(|t| t.lines().next()).unwrap_or(code);
            println!("{}", title.trim_start_matches("# "));
        }
        return Ok(ExitCode::SUCCESS);
    }
    let code = code.unwrap_or_default();
    match explain(&code) {
        Some(text) => {
            print!("{text}");
            Ok(ExitCode::SUCCESS)
        }
        None => {
            eprintln!(
                "error: no diagnostic has the code `{code}`; `kpi explain --list` shows every code"
            );
            Ok(ExitCode::from(1))
        }
    }
}
