//! `kpi sfn run DEFINITION.json [--input JSON | --input @FILE] [--history]`: an ASL document and
//! an input into a local execution; prints the output (or `{"error", "cause"}`) as JSON.
//!
//! When the definition is a built state machine (a `manifest.json` lies beside it), its Athena
//! tasks run on the local engine over `--lake` (default: `lake` beside the project the
//! definition lies in, as for `kpi run`). Other Task resources fail with `States.Runtime`,
//! "unsupported resource".
//!
//! Exit codes: 0 SUCCEEDED, 1 FAILED, 2 unreadable file, invalid JSON input, invalid
//! definition or unusable lake. With `--history`, stdout holds one document: the result (`status`, `output` or
//! `error`/`cause`) plus `events`, the execution history in the shape of `GetExecutionHistory`.

use crate::error::CliError;
use crate::output;
use kpi_asl::{self as asl, Options, RealClock, Status};
use kpi_runtime::manifest::Manifest;
use kpi_runtime::run::with_local_aws;
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Run any Amazon States Language document locally and print its output (or its error and
/// cause) as JSON. Exit 0 when the execution succeeded, 1 when it failed, 2 when the definition
/// or the input cannot be read. Athena tasks of a built state machine (manifest.json beside
/// it) run on the local engine; other Task resources fail as unsupported.
///
/// Example: `kpi sfn run machine.asl.json --input '{"n": 3}' --history`
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The state machine definition (JSON).
    #[arg(value_name = "DEFINITION.json")]
    pub definition: PathBuf,
    /// The execution input: JSON text, or @FILE to read it from a file. Default `{}`.
    #[arg(long, value_name = "JSON|@FILE")]
    pub input: Option<String>,
    /// Also print the execution history, in the shape of GetExecutionHistory.
    #[arg(long)]
    pub history: bool,
    /// For a built state machine (manifest.json beside it): the lake its Athena tasks run on.
    /// Default: `lake` beside the project the definition belongs to (found at or above it,
    /// else at or above the current directory), else `lake` in the current directory.
    #[arg(long, value_name = "DIR")]
    pub lake: Option<PathBuf>,
}

fn read(path: &Path) -> Result<String, CliError> {
    std::fs::read_to_string(path).map_err(CliError::io("read", path))
}

fn print_json(v: &Value) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(v)
        .map_err(|e| CliError::usage(format!("cannot print the result: {e}")))?;
    output::print(&format!("{text}\n"))
}

/// The default lake of a built state machine: beside its project, else `./lake`.
fn default_lake(definition: &Path) -> PathBuf {
    crate::load::find_project(None, Some(definition))
        .map_or_else(|_| PathBuf::from("lake"), |dir| dir.default_lake())
}

pub fn run(args: RunArgs) -> Result<ExitCode, CliError> {
    let RunArgs {
        definition,
        input,
        history,
        lake,
    } = args;
    let mut text = read(&definition)?;
    // A built state machine (its manifest beside it) runs as deploying it would make it.
    let manifest_path = definition.with_file_name("manifest.json");
    let manifest = if manifest_path.is_file() {
        let manifest = Manifest::read(&manifest_path).map_err(CliError::usage)?;
        text = manifest.substitute(&text);
        Some(manifest)
    } else {
        None
    };
    let machine = asl::parse_definition_text(&text).map_err(|e| {
        CliError::usage(format!(
            "invalid state machine {}: {e}",
            definition.display()
        ))
    })?;
    // The children it starts are the build's files beside it.
    let machine = match &manifest {
        Some(manifest) => {
            let dir = definition.parent().unwrap_or(Path::new("."));
            let top = definition
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("");
            kpi_runtime::tasks::deployed_machine(manifest, top, |f| {
                std::fs::read_to_string(dir.join(f)).ok()
            })
            .map_err(CliError::usage)?
        }
        None => machine,
    };
    let input_text = match input.as_deref() {
        None => "{}".to_string(),
        Some(s) => match s.strip_prefix('@') {
            Some(file) => read(Path::new(file))?,
            None => s.to_string(),
        },
    };
    let input: Value = serde_json::from_str(&input_text)
        .map_err(|e| CliError::usage(format!("the input is not valid JSON: {e}")))?;
    let clock = RealClock;
    let name = definition
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("local-state-machine");
    let engine = kpi_asl::jsonata::Engine;
    let opts = Options {
        state_machine_name: name,
        jsonata: Some(&engine),
        ..Options::new(&clock)
    };
    // A built state machine: its Athena and Glue tasks run on the local engine and catalog.
    let exec = if let Some(manifest) = &manifest {
        let lake = lake.unwrap_or_else(|| default_lake(&definition));
        output::detail(format!("lake {}", crate::load::shown(&lake).display()));
        let command = format!("kpi sfn run {}", definition.display());
        // Every execution has its own name (Step Functions requires it), so its attempts
        // write fresh prefixes and never touch what an earlier one published.
        let execution = format!(
            "kpi-sfn-{}-{}",
            chrono::Utc::now().format("%Y%m%dT%H%M%S%.6fZ"),
            std::process::id()
        );
        let outcome = with_local_aws(manifest, &lake, &command, |aws| {
            asl::execute(
                &machine,
                input,
                &Options {
                    tasks: Some(aws),
                    execution_name: &execution,
                    ..opts
                },
            )
        });
        outcome.map_err(CliError::usage)?
    } else {
        asl::execute(&machine, input, &opts)
    };
    if history {
        let mut doc = match exec.result_json() {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        doc.insert("events".into(), exec.history.to_json()["events"].clone());
        print_json(&Value::Object(doc))?;
    } else {
        match exec.status {
            Status::Succeeded => print_json(exec.output.as_ref().unwrap_or(&Value::Null))?,
            Status::Failed => {
                let mut m = Map::new();
                m.insert(
                    "error".into(),
                    exec.error.clone().map_or(Value::Null, Value::String),
                );
                m.insert(
                    "cause".into(),
                    exec.cause.clone().map_or(Value::Null, Value::String),
                );
                print_json(&Value::Object(m))?;
            }
        }
    }
    Ok(match exec.status {
        Status::Succeeded => ExitCode::SUCCESS,
        Status::Failed => ExitCode::from(1),
    })
}
