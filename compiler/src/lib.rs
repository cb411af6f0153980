//! The kpi compiler: `.kpi` texts, `kpi.yaml` and a Glue catalog snapshot in; typed IR (and
//! later SQL, ASL and SAM) or diagnostics out. It does no IO: the caller reads files and hands
//! their text in through [`span::Sources`].

pub mod asl;
pub mod build;
pub mod catalog;
pub mod check;
pub mod diagnostic;
pub mod diff;
pub mod driver;
pub mod format;
pub mod ir;
pub mod lower;
pub mod project;
pub mod query;
pub mod sam;
pub mod span;
pub mod sql;
pub mod syntax;
pub mod types;

use diagnostic::Diagnostic;
use span::{FileId, Sources};

/// What `check_project` finds: the typed program (when the project file could be read) and
/// every diagnostic, sorted by place.
#[derive(Debug)]
pub struct CheckedProject {
    pub program: Option<ir::Program>,
    /// The catalog snapshot as read: `build` compares existing KPI tables with their new schema.
    pub catalog: catalog::Catalog,
    pub diagnostics: Vec<Diagnostic>,
}

impl CheckedProject {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// The front end: catalog snapshot → tables; kpi.yaml sources → bound to tables; every
/// `.kpi` file → AST → typed IR. Every stage runs even when an earlier one reported errors,
/// so one run shows every mistake.
pub fn check_project(
    sources: &Sources,
    project: Option<&project::Project>,
    catalog_files: &[FileId],
    kpi_files: &[FileId],
) -> CheckedProject {
    check_project_then(sources, project, catalog_files, kpi_files, AfterCheck::Free)
}

/// What becomes of the ASTs once the KPIs are checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AfterCheck {
    /// Freed, on every core.
    Free,
    /// Left to the operating system: the caller's process ends soon after, and freeing ten
    /// thousand ASTs would be a twentieth of its run.
    Leak,
}

/// [`check_project`], saying what becomes of the ASTs.
pub fn check_project_then(
    sources: &Sources,
    project: Option<&project::Project>,
    catalog_files: &[FileId],
    kpi_files: &[FileId],
    after: AfterCheck,
) -> CheckedProject {
    let (catalog, mut diagnostics) = catalog::parse_catalog(sources, catalog_files);
    let bound = match project {
        Some(project) => {
            let (bound, errors) = project::bind_sources(project, &catalog);
            // Without any snapshot file every table is unknown; that was reported once already.
            if !catalog_files.is_empty() {
                diagnostics.extend(errors);
            }
            bound
        }
        None => Vec::new(),
    };
    let ir_sources: Vec<ir::Source> = bound
        .iter()
        .map(|b| ir::Source {
            name: b.name.clone(),
            database: b.table.database.clone(),
            table: b.table.name.clone(),
            kind: b.kind,
            partition: b.partition.clone(),
            location: b.table.location.clone(),
            format: b.table.format.clone(),
            columns: b
                .table
                .columns
                .iter()
                .chain(&b.table.partition_keys)
                .map(|c| ir::Column {
                    name: c.name.clone(),
                    ty: c.ty.clone(),
                    doc: c.comment.clone(),
                })
                .collect(),
        })
        .collect();
    // Files parse independently: on every core, their diagnostics kept in file order.
    let mut parsed: Vec<(FileId, syntax::ast::File)> = Vec::with_capacity(kpi_files.len());
    for (id, (ast, errors)) in kpi_files.iter().zip(driver::parallel::map(kpi_files, |id| {
        let (ast, errors) = syntax::parse(sources, *id);
        let found: Vec<Diagnostic> = errors
            .iter()
            .map(syntax::SyntaxError::to_diagnostic)
            .collect();
        (ast, found)
    })) {
        diagnostics.extend(errors);
        parsed.push((*id, ast));
    }
    let files: Vec<check::ParsedFile<'_>> = parsed
        .iter()
        .map(|(id, ast)| check::ParsedFile {
            name: sources.name(*id),
            ast,
        })
        .collect();
    let Some(project) = project else {
        return CheckedProject {
            program: None,
            catalog,
            diagnostics: diagnostic::sorted(diagnostics),
        };
    };
    let broken = project
        .sources
        .iter()
        .filter(|s| !bound.iter().any(|b| b.name == s.name))
        .map(|s| s.name.clone())
        .collect();
    let (program, errors) = check::check(&files, &ir_sources, &broken);
    diagnostics.extend(errors.iter().map(check::CheckError::to_diagnostic));
    drop(files);
    match after {
        // Freeing ten thousand ASTs is a tenth of a check's time: on every core too.
        AfterCheck::Free => driver::parallel::drop_all(parsed),
        AfterCheck::Leak => std::mem::forget(parsed),
    }
    CheckedProject {
        program: Some(program),
        catalog,
        diagnostics: diagnostic::sorted(diagnostics),
    }
}
