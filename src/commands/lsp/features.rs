//! A position in a `.kpi` file → what is there (a KPI, a relation, a column, a measure, a
//! window), from the file's AST spans and the typed IR → hover, definition, references, rename,
//! symbols and code lenses.

use super::text::{offset, path_uri, span_range};
use super::{Project, SHOW_SQL};
use kpi_compiler::ir::{Additivity, Column, Program};
use kpi_compiler::span::{FileId, Span};
use kpi_compiler::syntax::{self, ast};
use lsp_types as lsp;
use std::collections::HashMap;

/// What the cursor is on.
enum Target {
    /// A KPI's name: where it is defined or read.
    Kpi(String),
    /// A source's name in a `from` or `join`.
    Source(String),
    /// `alias.column`: a column of what the relation reads (a source or a KPI).
    Column {
        relation: String,
        column: String,
    },
    /// A measure or dimension of a KPI, by its name there or as `alias.name` downstream.
    Output {
        kpi: String,
        name: String,
    },
    Window(ast::Window),
}

fn file_of(project: &Project, name: &str) -> Option<FileId> {
    project
        .compiled
        .sources
        .iter()
        .find(|(_, f)| f.name == name)
        .map(|(id, _)| id)
}

/// Every `.kpi` file of the project with its AST (spans index the compiled sources).
fn asts(project: &Project) -> Vec<(FileId, ast::File)> {
    let sources = &project.compiled.sources;
    project
        .compiled
        .kpi_files
        .iter()
        .map(|id| (*id, syntax::parse(sources, *id).0))
        .collect()
}

fn contains(span: Span, at: u32) -> bool {
    span.start <= at && at <= span.end
}

fn relations(kpi: &ast::Kpi) -> impl Iterator<Item = &ast::Relation> {
    std::iter::once(&kpi.from).chain(kpi.joins.iter().map(|j| &j.relation))
}

/// Every expression node of a KPI, outermost first.
fn exprs(kpi: &ast::Kpi) -> Vec<&ast::Expr> {
    let mut out = Vec::new();
    let roots = kpi
        .joins
        .iter()
        .map(|j| &j.on)
        .chain(&kpi.filter)
        .chain(kpi.group_by.iter().map(|d| &d.expr))
        .chain(kpi.measures.iter().map(|m| &m.expr))
        .chain(kpi.checks.iter().map(|c| &c.expr));
    for root in roots {
        walk(root, &mut out);
    }
    out
}

fn walk<'a>(e: &'a ast::Expr, out: &mut Vec<&'a ast::Expr>) {
    use ast::ExprKind as K;
    out.push(e);
    match &e.kind {
        K::Literal { .. } | K::Day | K::Path { .. } => {}
        K::Index { base, index } => {
            walk(base, out);
            walk(index, out);
        }
        K::Unary { operand, .. } | K::IsNull { operand, .. } => walk(operand, out),
        K::Binary { left, right, .. } => {
            walk(left, out);
            walk(right, out);
        }
        K::InList { operand, list, .. } => {
            walk(operand, out);
            list.iter().for_each(|x| walk(x, out));
        }
        K::Like {
            operand, pattern, ..
        } => {
            walk(operand, out);
            walk(pattern, out);
        }
        K::Between {
            operand, low, high, ..
        } => {
            walk(operand, out);
            walk(low, out);
            walk(high, out);
        }
        K::Call { args, .. } => {
            args.args.iter().for_each(|x| walk(x, out));
            if let Some(f) = &args.filter {
                walk(f, out);
            }
        }
        K::Case { whens, otherwise } => {
            for (when, then) in whens {
                walk(when, out);
                walk(then, out);
            }
            if let Some(o) = otherwise {
                walk(o, out);
            }
        }
    }
}

/// The name of what the relation aliased `alias` in `kpi` reads.
fn relation_named<'a>(kpi: &'a ast::Kpi, alias: &str) -> Option<&'a str> {
    relations(kpi)
        .find(|r| r.alias_ident().name == alias)
        .map(|r| r.name.name.as_str())
}

fn is_kpi(program: Option<&Program>, name: &str) -> bool {
    program.is_some_and(|p| p.kpis.iter().any(|k| k.name == name))
}

fn target(project: &Project, file: FileId, at: u32) -> Option<Target> {
    let program = project.compiled.program.as_ref();
    let (ast, _) = syntax::parse(&project.compiled.sources, file);
    let kpi = ast.kpis.iter().find(|k| contains(k.span, at))?;
    if contains(kpi.name.span, at) {
        return Some(Target::Kpi(kpi.name.name.clone()));
    }
    for r in relations(kpi) {
        if contains(r.name.span, at) {
            let name = r.name.name.clone();
            return Some(if is_kpi(program, &name) {
                Target::Kpi(name)
            } else {
                Target::Source(name)
            });
        }
        if let Some(w) = r.window.filter(|w| contains(w.span, at)) {
            return Some(Target::Window(w));
        }
    }
    let output = |name: &str| Target::Output {
        kpi: kpi.name.name.clone(),
        name: name.to_string(),
    };
    if let Some(m) = kpi.measures.iter().find(|m| contains(m.name.span, at)) {
        return Some(output(&m.name.name));
    }
    // The innermost path under the cursor.
    let path = exprs(kpi).into_iter().rev().find_map(|e| match &e.kind {
        ast::ExprKind::Path { parts } if contains(e.span, at) => Some(parts),
        _ => None,
    })?;
    let part = path.iter().position(|p| contains(p.span, at))?;
    match path.as_slice() {
        [only] => Some(output(&only.name)),
        [alias, column, ..] => {
            let relation = relation_named(kpi, &alias.name)?.to_string();
            if part == 0 {
                Some(if is_kpi(program, &relation) {
                    Target::Kpi(relation)
                } else {
                    Target::Source(relation)
                })
            } else if is_kpi(program, &relation) {
                Some(Target::Output {
                    kpi: relation,
                    name: column.name.clone(),
                })
            } else {
                Some(Target::Column {
                    relation,
                    column: column.name.clone(),
                })
            }
        }
        [] => None,
    }
}

fn at_offset(project: &Project, name: &str, at: lsp::Position) -> Option<(FileId, u32)> {
    let file = file_of(project, name)?;
    let text = project.compiled.sources.text(file);
    Some((file, u32::try_from(offset(text, at)).ok()?))
}

/// The columns of a source, or the output columns of a KPI.
pub(super) fn columns_of(program: &Program, relation: &str) -> Vec<Column> {
    if let Some(s) = program.sources.iter().find(|s| s.name == relation) {
        return s.columns.clone();
    }
    program
        .kpis
        .iter()
        .find(|k| k.name == relation)
        .map(|k| k.output_columns())
        .unwrap_or_default()
}

pub fn hover(project: &Project, name: &str, at: lsp::Position) -> Option<lsp::Hover> {
    let (file, at) = at_offset(project, name, at)?;
    let program = project.compiled.program.as_ref()?;
    let doc = |d: &Option<String>| d.as_deref().map(|d| format!("\n\n{d}")).unwrap_or_default();
    let text = match target(project, file, at)? {
        Target::Kpi(name) => {
            let kpi = program.kpis.iter().find(|k| k.name == name)?;
            let mut text = format!(
                "**kpi** `{}`{}\n\n| column | type |\n|---|---|\n",
                kpi.name,
                doc(&kpi.doc)
            );
            for c in kpi.output_columns() {
                text.push_str(&format!("| {} | {} |\n", c.name, c.ty));
            }
            text.push_str("| dt | string (partition) |\n");
            text
        }
        Target::Source(name) => {
            let s = program.sources.iter().find(|s| s.name == name)?;
            let partition = s
                .partition
                .as_deref()
                .map(|p| format!(", partitioned by `{p}`"))
                .unwrap_or_default();
            format!(
                "**source** `{}`: table `{}.{}` ({:?}{partition}), {} columns",
                s.name,
                s.database,
                s.table,
                s.kind,
                s.columns.len()
            )
            .to_lowercase()
        }
        Target::Column { relation, column } => {
            let c = columns_of(program, &relation)
                .into_iter()
                .find(|c| c.name == column)?;
            format!("`{relation}.{}`: `{}`{}", c.name, c.ty, doc(&c.doc))
        }
        Target::Output { kpi, name } => {
            let k = program.kpis.iter().find(|k| k.name == kpi)?;
            if let Some(m) = k.measures.iter().find(|m| m.name == name) {
                let additivity = match m.additivity {
                    Additivity::Additive => "additive",
                    Additivity::Extremum => "extremum (combines with min and max)",
                    Additivity::NonAdditive => "not additive",
                };
                format!(
                    "**measure** `{kpi}.{}`: `{}`, {additivity}{}",
                    m.name,
                    m.ty,
                    doc(&m.doc)
                )
            } else {
                let d = k.dimensions.iter().find(|d| d.name == name)?;
                format!(
                    "**dimension** `{kpi}.{}`: `{}`{}",
                    d.name,
                    d.ty,
                    doc(&d.doc)
                )
            }
        }
        Target::Window(w) => {
            let last = match w.ends_before {
                0 => "day".to_string(),
                k => format!("day - {k}"),
            };
            format!(
                "**window**: {} days, from day - {} to {last}",
                w.days,
                w.ends_before + w.days - 1
            )
        }
    };
    Some(lsp::Hover {
        contents: lsp::HoverContents::Markup(lsp::MarkupContent {
            kind: lsp::MarkupKind::Markdown,
            value: text,
        }),
        range: None,
    })
}

fn location(project: &Project, span: Span) -> Option<lsp::Location> {
    let sources = &project.compiled.sources;
    let uri = path_uri(&project.path(sources.name(span.file)))?;
    Some(lsp::Location::new(uri, span_range(sources, span)))
}

pub fn definition(
    project: &Project,
    name: &str,
    at: lsp::Position,
) -> Option<lsp::GotoDefinitionResponse> {
    let (file, at) = at_offset(project, name, at)?;
    let span = match target(project, file, at)? {
        Target::Kpi(name) => asts(project)
            .iter()
            .flat_map(|(_, f)| &f.kpis)
            .find(|k| k.name.name == name)
            .map(|k| k.name.span)?,
        Target::Source(name) | Target::Column { relation: name, .. } => project
            .compiled
            .project
            .as_ref()?
            .sources
            .iter()
            .find(|s| s.name == name)
            .map(|s| s.name_span)?,
        Target::Output { kpi, name } => asts(project)
            .iter()
            .flat_map(|(_, f)| &f.kpis)
            .find(|k| k.name.name == kpi)
            .and_then(|k| k.measures.iter().find(|m| m.name.name == name))
            .map(|m| m.name.span)?,
        Target::Window(_) => return None,
    };
    location(project, span).map(lsp::GotoDefinitionResponse::Scalar)
}

/// Every place the KPI or measure under the cursor is named, definition included.
fn occurrences(project: &Project, name: &str, at: lsp::Position) -> Vec<Span> {
    let Some((file, at)) = at_offset(project, name, at) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    match target(project, file, at) {
        Some(Target::Kpi(wanted)) => {
            for (_, f) in asts(project) {
                for kpi in &f.kpis {
                    if kpi.name.name == wanted {
                        out.push(kpi.name.span);
                    }
                    out.extend(
                        relations(kpi)
                            .filter(|r| r.name.name == wanted)
                            .map(|r| r.name.span),
                    );
                }
            }
        }
        Some(Target::Output { kpi: owner, name }) => {
            for (_, f) in asts(project) {
                for kpi in &f.kpis {
                    let own = kpi.name.name == owner;
                    if own {
                        out.extend(
                            kpi.measures
                                .iter()
                                .filter(|m| m.name.name == name)
                                .map(|m| m.name.span),
                        );
                    }
                    for e in exprs(kpi) {
                        let ast::ExprKind::Path { parts } = &e.kind else {
                            continue;
                        };
                        match parts.as_slice() {
                            [only] if own && only.name == name => out.push(only.span),
                            [alias, column, ..]
                                if column.name == name
                                    && relation_named(kpi, &alias.name) == Some(&owner) =>
                            {
                                out.push(column.span);
                            }
                            _ => {}
                        }
                    }
                }
            }
        }
        _ => {}
    }
    out.sort();
    out.dedup();
    out
}

pub fn references(project: &Project, name: &str, at: lsp::Position) -> Vec<(lsp::Uri, lsp::Range)> {
    occurrences(project, name, at)
        .into_iter()
        .filter_map(|s| location(project, s))
        .map(|l| (l.uri, l.range))
        .collect()
}

// lsp-types' `Uri` caches its parsed parts in a `Cell`; its hash and equality are its text.
#[allow(clippy::mutable_key_type)]
pub fn rename(
    project: &Project,
    name: &str,
    at: lsp::Position,
    new_name: &str,
) -> Result<Option<lsp::WorkspaceEdit>, String> {
    let mut chars = new_name.chars();
    let valid = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        return Err(format!(
            "`{new_name}` is not a name: letters, digits and `_`, not starting with a digit"
        ));
    }
    // A KPI renamed onto another relation's name would read that one instead.
    let new_lower = new_name.to_lowercase();
    let taken = project.compiled.program.as_ref().is_some_and(|p| {
        p.kpis.iter().any(|k| k.name == new_lower) || p.sources.iter().any(|s| s.name == new_lower)
    });
    let renames_kpi = at_offset(project, name, at)
        .and_then(|(file, at)| target(project, file, at))
        .is_some_and(|t| matches!(t, Target::Kpi(_)));
    if renames_kpi && taken {
        return Err(format!("a KPI or source named `{new_name}` already exists"));
    }
    let spans = occurrences(project, name, at);
    if spans.is_empty() {
        return Ok(None);
    }
    let mut changes: HashMap<lsp::Uri, Vec<lsp::TextEdit>> = HashMap::new();
    for span in spans {
        if let Some(l) = location(project, span) {
            changes
                .entry(l.uri)
                .or_default()
                .push(lsp::TextEdit::new(l.range, new_name.to_string()));
        }
    }
    Ok(Some(lsp::WorkspaceEdit::new(changes)))
}

pub fn symbols(project: &Project, name: &str) -> Vec<lsp::DocumentSymbol> {
    let Some(file) = file_of(project, name) else {
        return Vec::new();
    };
    let sources = &project.compiled.sources;
    let (ast, _) = syntax::parse(sources, file);
    #[allow(deprecated)] // `deprecated` is a field every literal must name.
    let symbol = |name: &str, detail: Option<String>, kind, span: Span, at: Span, children| {
        lsp::DocumentSymbol {
            name: name.to_string(),
            detail,
            kind,
            tags: None,
            deprecated: None,
            range: span_range(sources, span),
            selection_range: span_range(sources, at),
            children,
        }
    };
    ast.kpis
        .iter()
        .map(|kpi| {
            let dims = kpi.group_by.iter().filter_map(|d| {
                let n = d.name.as_ref()?;
                Some(symbol(
                    &n.name,
                    Some("dimension".into()),
                    lsp::SymbolKind::FIELD,
                    d.span,
                    n.span,
                    None,
                ))
            });
            let measures = kpi.measures.iter().map(|m| {
                symbol(
                    &m.name.name,
                    Some("measure".into()),
                    lsp::SymbolKind::FIELD,
                    m.span,
                    m.name.span,
                    None,
                )
            });
            let children = dims.chain(measures).collect();
            symbol(
                &kpi.name.name,
                Some("kpi".into()),
                lsp::SymbolKind::CLASS,
                kpi.span,
                kpi.name.span,
                Some(children),
            )
        })
        .collect()
}

/// "Show Athena SQL" above each KPI.
pub fn code_lenses(project: &Project, name: &str) -> Vec<lsp::CodeLens> {
    let Some(file) = file_of(project, name) else {
        return Vec::new();
    };
    let sources = &project.compiled.sources;
    let (ast, _) = syntax::parse(sources, file);
    ast.kpis
        .iter()
        .map(|kpi| lsp::CodeLens {
            range: span_range(sources, kpi.name.span),
            command: Some(lsp::Command::new(
                "Show Athena SQL".into(),
                SHOW_SQL.into(),
                Some(vec![serde_json::Value::String(kpi.name.name.clone())]),
            )),
            data: None,
        })
        .collect()
}
