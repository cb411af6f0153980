//! `kpi debug ast|ir`: the compiler's representations as JSON, for people and snapshots.

use crate::load::{self, LoadError};
use crate::{Format, output};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn matches(name: &str, file: Option<&Path>) -> bool {
    file.is_none_or(|f| {
        let wanted = f.to_string_lossy().replace('\\', "/");
        name == wanted
            || name.ends_with(&format!("/{wanted}"))
            || wanted.ends_with(&format!("/{name}"))
    })
}

pub fn ast(project: Option<PathBuf>, file: Option<PathBuf>) -> Result<ExitCode, LoadError> {
    if let (None, Some(path)) = (&project, &file) {
        // A lone file needs no project: parse it as it is.
        if !Path::new("kpi.yaml").exists() && load::find_project(None).is_err() {
            let text = std::fs::read_to_string(path).map_err(|error| LoadError::Io {
                path: path.clone(),
                error,
            })?;
            let mut sources = kpi_compiler::span::Sources::new();
            let id = sources.add(path.to_string_lossy(), text);
            let (ast, errors) = kpi_compiler::syntax::parse(&sources, id);
            println!("{}", serde_json::to_string_pretty(&ast).unwrap_or_default());
            let diagnostics: Vec<_> = errors.iter().map(|e| e.to_diagnostic()).collect();
            output::diagnostics(&diagnostics, &sources, Format::Human);
            return Ok(if diagnostics.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            });
        }
    }
    let dir = load::find_project(project)?;
    let loaded = load::load(&dir)?;
    let mut asts = serde_json::Map::new();
    let mut diagnostics = Vec::new();
    for id in &loaded.kpi_files {
        let name = loaded.sources.name(*id).to_string();
        if !matches(&name, file.as_deref()) {
            continue;
        }
        let (ast, errors) = kpi_compiler::syntax::parse(&loaded.sources, *id);
        diagnostics.extend(errors.iter().map(|e| e.to_diagnostic()));
        asts.insert(name, serde_json::to_value(&ast).unwrap_or_default());
    }
    println!(
        "{}",
        serde_json::to_string_pretty(&asts).unwrap_or_default()
    );
    output::diagnostics(&diagnostics, &loaded.sources, Format::Human);
    Ok(if diagnostics.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

pub fn ir(project: Option<PathBuf>, file: Option<PathBuf>) -> Result<ExitCode, LoadError> {
    let dir = load::find_project(project)?;
    let (loaded, checked) = super::load_and_check(&dir)?;
    let diagnostics = checked.diagnostics;
    if let Some(mut program) = checked.program {
        program.kpis.retain(|k| matches(&k.file, file.as_deref()));
        println!(
            "{}",
            serde_json::to_string_pretty(&program).unwrap_or_default()
        );
    }
    output::diagnostics(&diagnostics, &loaded.sources, Format::Human);
    let failed = diagnostics.iter().any(|d| d.is_error());
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
