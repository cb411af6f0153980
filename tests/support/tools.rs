//! The outside tools a test needs (the validators' Python venv and node modules, node itself,
//! the conformance corpus) → present, or a failure naming what is missing and how to install
//! it. Skipping is only ever asked for: with `KPI_ALLOW_SKIP=1` (and never under `CI=true`)
//! a test whose tool is missing prints `SKIPPED: …` and returns instead of failing.
//!
//! Shared by the test crates of the workspace: `#[path = ".../tests/support/tools.rs"] mod tools;`.

#![allow(dead_code, clippy::panic)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

/// How to get the validators' tools.
pub const INSTALL: &str = "run ./scripts/setup-validators";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Tool {
    /// `.tools/venv/bin/python`.
    Venv,
    Sqlglot,
    TrinoParser,
    CfnLint,
    SamTranslator,
    Parliament,
    /// `node` on the PATH.
    Node,
    /// `.tools/node/node_modules/asl-validator`.
    AslValidator,
    /// `.tools/node/node_modules/jsonata` (comes with asl-validator).
    Jsonata,
    /// `chromium` on the PATH: renders the run report's page headless.
    Chromium,
    /// `.tools/moto/bin/moto_server`: AWS's APIs emulated, for the AWS commands' tests.
    Moto,
}

impl Tool {
    pub fn name(self) -> &'static str {
        match self {
            Tool::Venv => "the validators' Python venv (.tools/venv)",
            Tool::Sqlglot => "sqlglot (Python, in .tools/venv)",
            Tool::TrinoParser => "trino-query-parser (Python, in .tools/venv)",
            Tool::CfnLint => "cfn-lint (Python, in .tools/venv)",
            Tool::SamTranslator => "aws-sam-translator (Python, in .tools/venv)",
            Tool::Parliament => "parliament (Python, in .tools/venv)",
            Tool::Node => "node",
            Tool::AslValidator => "asl-validator (node module, in .tools/node)",
            Tool::Jsonata => "jsonata (node module, in .tools/node)",
            Tool::Chromium => "chromium",
            Tool::Moto => "moto's server (Python, in .tools/moto)",
        }
    }

    fn python_module(self) -> Option<&'static str> {
        match self {
            Tool::Sqlglot => Some("sqlglot"),
            Tool::TrinoParser => Some("trino_query_parser"),
            Tool::CfnLint => Some("cfnlint"),
            Tool::SamTranslator => Some("samtranslator"),
            Tool::Parliament => Some("parliament"),
            _ => None,
        }
    }

    fn install(self) -> &'static str {
        match self {
            Tool::Node => "install Node.js (with npm), then run ./scripts/setup-validators",
            Tool::Chromium => {
                "run ./scripts/setup-validators as root on Debian, or install Chromium (`chromium` on the PATH)"
            }
            _ => INSTALL,
        }
    }

    /// Whether the tool is there; the reason when it is not.
    fn probe(self, root: &Path) -> Result<(), String> {
        let python = root.join(".tools/venv/bin/python");
        let modules = root.join(".tools/node/node_modules");
        if let Some(module) = self.python_module() {
            Tool::Venv.probe(root)?;
            let found = Command::new(&python)
                .args(["-c", "import importlib.util, sys; sys.exit(importlib.util.find_spec(sys.argv[1]) is None)"])
                .arg(module)
                .output()
                .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
            return if found.status.success() {
                Ok(())
            } else {
                Err(format!(
                    "Python module `{module}` is not in {}",
                    python.display()
                ))
            };
        }
        match self {
            Tool::Moto => {
                let server = root.join(".tools/moto/bin/moto_server");
                if server.is_file() {
                    Ok(())
                } else {
                    Err(format!("{} does not exist", server.display()))
                }
            }
            Tool::Venv if python.is_file() => Ok(()),
            Tool::Venv => Err(format!("{} does not exist", python.display())),
            Tool::Node => match Command::new("node").arg("--version").output() {
                Ok(out) if out.status.success() => Ok(()),
                Ok(out) => Err(format!("`node --version` exited with {}", out.status)),
                Err(e) => Err(format!("`node` cannot be run: {e}")),
            },
            Tool::Chromium => match Command::new("chromium").arg("--version").output() {
                Ok(out) if out.status.success() => Ok(()),
                Ok(out) => Err(format!("`chromium --version` exited with {}", out.status)),
                Err(e) => Err(format!("`chromium` cannot be run: {e}")),
            },
            Tool::AslValidator | Tool::Jsonata => {
                Tool::Node.probe(root)?;
                let dir = modules.join(if self == Tool::Jsonata {
                    "jsonata"
                } else {
                    "asl-validator"
                });
                if dir.is_dir() {
                    Ok(())
                } else {
                    Err(format!("{} does not exist", dir.display()))
                }
            }
            _ => Ok(()),
        }
    }
}

/// The tools each validator of `scripts/validate/run` needs.
pub fn for_validator(validator: &str) -> &'static [Tool] {
    match validator {
        "sql-athena-ddl" => &[Tool::Venv, Tool::Sqlglot],
        "sql-trino-dml" => &[Tool::Venv, Tool::TrinoParser],
        "sql-athena-any" | "athena-to-duckdb" => &[Tool::Venv, Tool::Sqlglot, Tool::TrinoParser],
        "asl" => &[Tool::Node, Tool::AslValidator],
        "sam" => &[Tool::Venv, Tool::CfnLint, Tool::SamTranslator],
        "iam" => &[Tool::Venv, Tool::SamTranslator, Tool::Parliament],
        other => panic!("no such validator `{other}` in scripts/validate"),
    }
}

/// The repository root: the nearest folder at or above the crate's that holds this file.
pub fn repo_root() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    here.ancestors()
        .find(|p| p.join("tests/support/tools.rs").is_file())
        .unwrap_or(here)
        .to_path_buf()
}

/// Something a test needs that is not there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Missing {
    pub what: String,
    pub why: String,
    pub install: String,
}

impl Missing {
    fn tool(tool: Tool, why: String) -> Missing {
        Missing {
            what: tool.name().to_string(),
            why,
            install: tool.install().to_string(),
        }
    }
}

/// What to do about what is missing.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Run,
    Skip(String),
    Fail(String),
}

/// The rule, apart from the environment: anything missing fails the test, unless skipping
/// was asked for (`allow_skip`) outside CI.
pub fn verdict(test: &str, missing: &[Missing], allow_skip: bool, ci: bool) -> Verdict {
    if missing.is_empty() {
        return Verdict::Run;
    }
    let text = missing
        .iter()
        .map(|m| format!("{} is missing ({}): {}", m.what, m.why, m.install))
        .collect::<Vec<_>>()
        .join("; ");
    if allow_skip && !ci {
        Verdict::Skip(format!("SKIPPED: {test}: {text} (KPI_ALLOW_SKIP=1)"))
    } else {
        let hint = if ci {
            "CI runs every test with everything it needs: .ci/run must install it"
        } else {
            "or set KPI_ALLOW_SKIP=1 to skip such tests"
        };
        Verdict::Fail(format!("{test} cannot run: {text} ({hint})"))
    }
}

fn env_is(name: &str, value: &str) -> bool {
    std::env::var(name).is_ok_and(|v| v == value)
}

fn decide(test: &str, missing: &[Missing]) -> bool {
    match verdict(
        test,
        missing,
        env_is("KPI_ALLOW_SKIP", "1"),
        env_is("CI", "true"),
    ) {
        Verdict::Run => true,
        Verdict::Skip(line) => {
            eprintln!("{line}");
            println!("{line}");
            false
        }
        Verdict::Fail(message) => panic!("{message}"),
    }
}

/// True when every tool is present. When one is missing: panics naming it and how to install
/// it, or, when skipping is allowed, prints `SKIPPED: …` and returns false.
pub fn require(test: &str, tools: &[Tool]) -> bool {
    static SEEN: OnceLock<Mutex<HashMap<Tool, Result<(), String>>>> = OnceLock::new();
    let root = repo_root();
    let missing: Vec<Missing> = tools
        .iter()
        .filter_map(|&tool| {
            let mut seen = SEEN
                .get_or_init(Default::default)
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            let result = seen
                .entry(tool)
                .or_insert_with(|| tool.probe(&root))
                .clone();
            result.err().map(|why| Missing::tool(tool, why))
        })
        .collect();
    decide(test, &missing)
}

/// Like [`require`], for a folder of test data that does not come with the repository.
pub fn require_dir(test: &str, what: &str, dir: &Path, install: &str) -> bool {
    if dir.is_dir() {
        return true;
    }
    decide(
        test,
        &[Missing {
            what: what.to_string(),
            why: format!("{} is not a folder", dir.display()),
            install: install.to_string(),
        }],
    )
}

/// When a validator says its tools are missing (`scripts/validate/run` exits 3), after
/// [`require`] found them: the same rule, with its message.
pub fn validator_failed_to_start(test: &str, validator: &str, output: &str) -> bool {
    decide(
        test,
        &[Missing {
            what: format!("the tools of validator `{validator}`"),
            why: output.trim().to_string(),
            install: INSTALL.to_string(),
        }],
    )
}
