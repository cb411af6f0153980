//! `kpi debug ast|ir|plan`: the compiler's representations as JSON, for people and snapshots.

use super::{compile, exit};
use crate::error::CliError;
use crate::load::{ProjectDir, find_project};
use crate::output::{self, Format};
use kpi_compiler::driver::Options;
use kpi_compiler::span::Sources;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Print the compiler's intermediate representations as JSON.
///
/// Example: `kpi debug ast pipelines/activity.kpi`
#[derive(Debug, clap::Subcommand)]
pub enum Stage {
    /// The syntax tree as JSON: of FILE, or of every .kpi file of the project, keyed by the
    /// file's path inside the project. A FILE outside any project is parsed on its own.
    ///
    /// Example: `kpi debug ast pipelines/activity.kpi`
    Ast(Args),
    /// The typed IR as JSON: every KPI in dependency order, every expression typed; with FILE,
    /// only the KPIs defined in it (still checked against the whole project).
    ///
    /// Example: `kpi debug ir --project pipelines | jq '.kpis[].name'`
    Ir(Args),
    /// The plan as JSON: per KPI its level, upstreams, fingerprint and backend IR (the
    /// relational query over the days computed, which the SQL is printed from); with FILE,
    /// only the KPIs defined in it.
    ///
    /// Example: `kpi debug plan --project pipelines | jq '.kpis[0].query.relations'`
    Plan(Args),
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A .kpi file; default: every .kpi file of the project.
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// The project directory (holding kpi.yaml). Default: the nearest one at or above FILE,
    /// or else at or above the current directory.
    #[arg(long, value_name = "DIR")]
    pub project: Option<PathBuf>,
}

pub fn run(stage: Stage) -> Result<ExitCode, CliError> {
    match stage {
        Stage::Ast(args) => ast(args),
        Stage::Ir(args) => ir(args),
        Stage::Plan(args) => plan(args),
    }
}

fn json(value: &impl serde::Serialize) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| CliError::usage(format!("cannot print JSON: {e}")))?;
    output::print(&format!("{text}\n"))
}

/// The project the arguments name, or `None` for a lone FILE outside any project.
fn project(args: &Args) -> Result<Option<ProjectDir>, CliError> {
    match find_project(args.project.as_deref(), args.file.as_deref()) {
        Ok(dir) => Ok(Some(dir)),
        Err(CliError::NoProject { .. }) if args.project.is_none() && args.file.is_some() => {
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

fn ast(args: Args) -> Result<ExitCode, CliError> {
    let Some(dir) = project(&args)? else {
        return lone_ast(args.file.as_deref().unwrap_or(Path::new("")));
    };
    let wanted = args.file.as_deref().map(|f| dir.name_of(f)).transpose()?;
    let compiled = compile(&dir, Options::default())?;
    let mut asts = serde_json::Map::new();
    let mut diagnostics = Vec::new();
    for id in &compiled.kpi_files {
        let name = compiled.sources.name(*id);
        if wanted.as_deref().is_some_and(|w| w != name) {
            continue;
        }
        let (ast, errors) = kpi_compiler::syntax::parse(&compiled.sources, *id);
        diagnostics.extend(errors.iter().map(|e| e.to_diagnostic()));
        asts.insert(
            name.to_string(),
            serde_json::to_value(&ast).unwrap_or_default(),
        );
    }
    if let Some(w) = &wanted
        && !asts.contains_key(w)
    {
        return Err(CliError::usage(format!(
            "{} is not a .kpi file of the project {}",
            dir.show(w),
            dir.shown_root()
        )));
    }
    json(&asts)?;
    output::diagnostics(&diagnostics, &compiled.sources, &dir, Format::Human)?;
    Ok(exit(diagnostics.is_empty()))
}

/// A file outside any project: parsed as it is, shown under the path given.
fn lone_ast(path: &Path) -> Result<ExitCode, CliError> {
    let bytes = std::fs::read(path).map_err(CliError::io("read", path))?;
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            // The user's input, as E0007 is in a project: exit 1.
            output::error(format!(
                "{} is not valid UTF-8 (byte offset {})",
                path.display(),
                e.utf8_error().valid_up_to()
            ));
            return Ok(ExitCode::from(1));
        }
    };
    let mut sources = Sources::new();
    let id = sources.add(path.to_string_lossy(), text);
    let (ast, errors) = kpi_compiler::syntax::parse(&sources, id);
    json(&ast)?;
    let diagnostics: Vec<_> = errors.iter().map(|e| e.to_diagnostic()).collect();
    let here = ProjectDir {
        root: PathBuf::new(),
        shown: PathBuf::new(),
    };
    output::diagnostics(&diagnostics, &sources, &here, Format::Human)?;
    Ok(exit(diagnostics.is_empty()))
}

fn ir(args: Args) -> Result<ExitCode, CliError> {
    let dir = find_project(args.project.as_deref(), args.file.as_deref())?;
    let wanted = args.file.as_deref().map(|f| dir.name_of(f)).transpose()?;
    let mut compiled = compile(&dir, Options::default())?;
    if let Some(program) = &mut compiled.program {
        program
            .kpis
            .retain(|k| wanted.as_deref().is_none_or(|w| k.file == w));
        json(program)?;
    }
    output::diagnostics(
        &compiled.diagnostics,
        &compiled.sources,
        &dir,
        Format::Human,
    )?;
    Ok(exit(!compiled.has_errors()))
}

fn plan(args: Args) -> Result<ExitCode, CliError> {
    let dir = find_project(args.project.as_deref(), args.file.as_deref())?;
    let wanted = args.file.as_deref().map(|f| dir.name_of(f)).transpose()?;
    let compiled = compile(
        &dir,
        Options {
            build: true,
            ..Options::default()
        },
    )?;
    if let Some(artifacts) = &compiled.artifacts {
        let kpis: Vec<serde_json::Value> = artifacts
            .plan
            .kpis
            .iter()
            .filter(|k| wanted.as_deref().is_none_or(|w| k.definition.file == w))
            .map(|k| {
                serde_json::json!({
                    "name": k.name,
                    "level": k.level,
                    "upstream": k.upstream,
                    "fingerprint": k.fingerprint,
                    "query": k.query,
                })
            })
            .collect();
        json(&serde_json::json!({ "kpis": kpis }))?;
    }
    output::diagnostics(
        &compiled.diagnostics,
        &compiled.sources,
        &dir,
        Format::Human,
    )?;
    Ok(exit(!compiled.has_errors()))
}
