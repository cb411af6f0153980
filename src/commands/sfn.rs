//! `kpi sfn run DEFINITION.json [--input JSON | --input @FILE] [--history]`: an ASL document and
//! an input into a local execution; prints the output (or `{"error", "cause"}`) as JSON.
//!
//! When the definition is a built state machine (a `manifest.json` lies beside it), its Athena
//! tasks run on the local engine over `--lake` (default `./lake`), as in `kpi run`. Other Task
//! resources fail with `States.Runtime`, "unsupported resource".
//!
//! Exit codes: 0 SUCCEEDED, 1 FAILED, 2 unreadable file, invalid JSON input, invalid
//! definition or unusable lake. With `--history`, stdout holds one document: the result (`status`, `output` or
//! `error`/`cause`) plus `events`, the execution history in the shape of `GetExecutionHistory`.

use crate::load::LoadError;
use kpi_asl::{self as asl, Options, RealClock, Status};
use kpi_runtime::manifest::Manifest;
use kpi_runtime::run::with_local_aws;
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn read(path: &Path) -> Result<String, LoadError> {
    std::fs::read_to_string(path).map_err(|error| LoadError::Io {
        path: path.to_path_buf(),
        error,
    })
}

fn print_json(v: &Value) {
    match serde_json::to_string_pretty(v) {
        Ok(s) => println!("{s}"),
        Err(e) => eprintln!("error: cannot print the result: {e}"),
    }
}

pub fn run(
    definition: PathBuf,
    input: Option<String>,
    history: bool,
    lake: Option<PathBuf>,
) -> Result<ExitCode, LoadError> {
    let mut text = read(&definition)?;
    // A built state machine (its manifest beside it) runs as deploying it would make it.
    let manifest_path = definition.with_file_name("manifest.json");
    if manifest_path.is_file()
        && let Ok(manifest) = Manifest::read(&manifest_path)
    {
        text = manifest.substitute(&text);
    }
    let machine = match asl::parse_definition_text(&text) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("error: invalid state machine {}: {e}", definition.display());
            return Ok(ExitCode::from(2));
        }
    };
    let input_text = match input.as_deref() {
        None => "{}".to_string(),
        Some(s) => match s.strip_prefix('@') {
            Some(file) => read(Path::new(file))?,
            None => s.to_string(),
        },
    };
    let input: Value = match serde_json::from_str(&input_text) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("error: the input is not valid JSON: {e}");
            return Ok(ExitCode::from(2));
        }
    };
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
    // A built state machine: its manifest lies beside it, and Athena runs on the local engine.
    let manifest_path = definition.with_file_name("manifest.json");
    let exec = if manifest_path.is_file() {
        let manifest = match Manifest::read(&manifest_path) {
            Ok(m) => m,
            Err(e) => {
                eprintln!("error: {e}");
                return Ok(ExitCode::from(2));
            }
        };
        let lake = lake.unwrap_or_else(|| PathBuf::from("lake"));
        let command = format!("kpi sfn run {}", definition.display());
        // Every execution has its own name (Step Functions requires it), so its attempts
        // write fresh prefixes and never touch what an earlier one published.
        let execution = format!(
            "kpi-sfn-{}-{}",
            chrono::Utc::now().format("%Y%m%dT%H%M%S%.6fZ"),
            std::process::id()
        );
        let outcome = with_local_aws(&manifest, &lake, &command, |aws| {
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
        match outcome {
            Ok(exec) => exec,
            Err(e) => {
                eprintln!("error: {e}");
                return Ok(ExitCode::from(2));
            }
        }
    } else {
        asl::execute(&machine, input, &opts)
    };
    if history {
        let mut doc = match exec.result_json() {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        doc.insert("events".into(), exec.history.to_json()["events"].clone());
        print_json(&Value::Object(doc));
    } else {
        match exec.status {
            Status::Succeeded => print_json(exec.output.as_ref().unwrap_or(&Value::Null)),
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
                print_json(&Value::Object(m));
            }
        }
    }
    Ok(match exec.status {
        Status::Succeeded => ExitCode::SUCCESS,
        Status::Failed => ExitCode::from(1),
    })
}
