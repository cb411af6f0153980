//! Misspelling any column (qualified or not), table, KPI, or output name in a check of the
//! pipelines project gives exit code 1, the file, line and column of the name, and the intended
//! name as a suggestion.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{project_from, root, run_in};
use kpi_compiler::span::{FileId, Sources, Span};
use kpi_compiler::syntax::ast::{Expr, ExprKind, File, Relation};
use kpi_compiler::syntax::parse;

/// Swaps two neighbouring letters: one edit away, never the same name.
fn misspell(name: &str) -> Option<String> {
    let chars: Vec<char> = name.chars().collect();
    let i = (1..chars.len().saturating_sub(1))
        .find(|&i| chars[i] != chars[i + 1])
        .or(if chars.len() == 2 && chars[0] != chars[1] {
            Some(0)
        } else {
            None
        })?;
    let mut out = chars.clone();
    out.swap(i, i + 1);
    Some(out.into_iter().collect())
}

fn walk<'a>(e: &'a Expr, out: &mut Vec<&'a Expr>) {
    out.push(e);
    match &e.kind {
        ExprKind::Index { base, index } => {
            walk(base, out);
            walk(index, out);
        }
        ExprKind::Unary { operand, .. } | ExprKind::IsNull { operand, .. } => walk(operand, out),
        ExprKind::Binary { left, right, .. } => {
            walk(left, out);
            walk(right, out);
        }
        ExprKind::InList { operand, list, .. } => {
            walk(operand, out);
            list.iter().for_each(|x| walk(x, out));
        }
        ExprKind::Like {
            operand, pattern, ..
        } => {
            walk(operand, out);
            walk(pattern, out);
        }
        ExprKind::Between {
            operand, low, high, ..
        } => {
            walk(operand, out);
            walk(low, out);
            walk(high, out);
        }
        ExprKind::Call { args, .. } => {
            args.args.iter().for_each(|x| walk(x, out));
            if let Some(f) = &args.filter {
                walk(f, out);
            }
        }
        ExprKind::Case { whens, otherwise } => {
            for (c, v) in whens {
                walk(c, out);
                walk(v, out);
            }
            if let Some(o) = otherwise {
                walk(o, out);
            }
        }
        _ => {}
    }
}

/// Every (name, span) of a relation name, a column (qualified or not, and a measure read by a
/// later measure) or an output column named by a check, inside the file's KPIs.
fn names(file: &File) -> Vec<(String, Span)> {
    let mut out = Vec::new();
    for kpi in &file.kpis {
        let relations: Vec<&Relation> = std::iter::once(&kpi.from)
            .chain(kpi.joins.iter().map(|j| &j.relation))
            .collect();
        let aliases: Vec<&str> = relations
            .iter()
            .map(|r| r.alias_ident().name.as_str())
            .collect();
        out.extend(relations.iter().map(|r| (r.name.name.clone(), r.name.span)));
        let mut exprs = Vec::new();
        kpi.joins.iter().for_each(|j| walk(&j.on, &mut exprs));
        kpi.filter.iter().for_each(|f| walk(f, &mut exprs));
        kpi.group_by.iter().for_each(|d| walk(&d.expr, &mut exprs));
        kpi.measures.iter().for_each(|m| walk(&m.expr, &mut exprs));
        for e in exprs {
            if let ExprKind::Path { parts } = &e.kind {
                // `e.member_id` names a column after its alias; `member_id` or
                // `context.session_id` names it first.
                let column = if aliases.contains(&parts[0].name.as_str()) {
                    parts.get(1)
                } else {
                    parts.first()
                };
                if let Some(c) = column {
                    out.push((c.name.clone(), c.span));
                }
            }
        }
        let mut checks = Vec::new();
        kpi.checks.iter().for_each(|c| walk(&c.expr, &mut checks));
        for e in checks {
            if let ExprKind::Path { parts } = &e.kind {
                out.push((parts[0].name.clone(), parts[0].span));
            }
        }
    }
    out
}

/// How many names of each kind `names` must find in pipelines/, so a walk that stops
/// collecting a kind fails here rather than testing less.
fn kinds(file: &File) -> (usize, usize, usize) {
    let mut unqualified = 0;
    let mut in_checks = 0;
    for kpi in &file.kpis {
        let aliases: Vec<&str> = std::iter::once(&kpi.from)
            .chain(kpi.joins.iter().map(|j| &j.relation))
            .map(|r| r.alias_ident().name.as_str())
            .collect();
        let mut exprs = Vec::new();
        kpi.measures.iter().for_each(|m| walk(&m.expr, &mut exprs));
        kpi.group_by.iter().for_each(|d| walk(&d.expr, &mut exprs));
        kpi.filter.iter().for_each(|f| walk(f, &mut exprs));
        unqualified += exprs
            .iter()
            .filter(|e| matches!(&e.kind, ExprKind::Path { parts } if !aliases.contains(&parts[0].name.as_str())))
            .count();
        let mut checks = Vec::new();
        kpi.checks.iter().for_each(|c| walk(&c.expr, &mut checks));
        in_checks += checks
            .iter()
            .filter(|e| matches!(e.kind, ExprKind::Path { .. }))
            .count();
    }
    (file.kpis.len(), unqualified, in_checks)
}

#[test]
fn misspelt_names_point_at_themselves_and_suggest_the_intended_name() {
    let pipelines = root().join("pipelines");
    let mut tried = 0;
    let (mut kpis, mut unqualified, mut in_checks) = (0, 0, 0);
    let mut files: Vec<_> = std::fs::read_dir(&pipelines)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "kpi"))
        .collect();
    files.sort();
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let file_name = path.file_name().unwrap().to_string_lossy().to_string();
        let mut sources = Sources::new();
        let id: FileId = sources.add(file_name.clone(), text.clone());
        let (ast, errors) = parse(&sources, id);
        assert!(errors.is_empty());
        let (k, u, c) = kinds(&ast);
        (kpis, unqualified, in_checks) = (kpis + k, unqualified + u, in_checks + c);
        for (name, span) in names(&ast) {
            let Some(wrong) = misspell(&name) else {
                continue;
            };
            let project = project_from(&pipelines);
            let changed = format!(
                "{}{}{}",
                &text[..span.start as usize],
                wrong,
                &text[span.end as usize..]
            );
            std::fs::write(project.path().join(&file_name), changed).unwrap();
            let out = run_in(project.path(), &["check", "--format", "json"]);
            assert_eq!(out.code, 1, "`{wrong}` for `{name}` in {file_name}");
            let diagnostics: Vec<serde_json::Value> = serde_json::from_str(&out.stdout).unwrap();
            let at = sources.line_col(id, span.start);
            let hit = diagnostics
                .iter()
                .find(|d| d["line"] == at.line && d["column"] == at.column);
            let hit = hit.unwrap_or_else(|| {
                panic!(
                    "no diagnostic at {file_name}:{}:{} for `{wrong}`: {}",
                    at.line, at.column, out.stdout
                )
            });
            assert_eq!(hit["file"], file_name.as_str());
            assert_eq!(
                hit["help"],
                format!("Did you mean `{name}`?"),
                "{}",
                out.stdout
            );
            tried += 1;
        }
    }
    assert!(tried >= 50, "only {tried} names tried");
    // pipelines/ has 16 KPIs; every one has checks, and measures read earlier measures.
    assert_eq!(kpis, 16);
    assert!(unqualified >= 10, "{unqualified} unqualified columns");
    assert!(in_checks >= 40, "{in_checks} names in checks");
}

#[test]
fn misspelt_catalog_tables_in_kpi_yaml_are_caught() {
    let pipelines = root().join("pipelines");
    let yaml = std::fs::read_to_string(pipelines.join("kpi.yaml")).unwrap();
    let mut tried = 0;
    for (line_no, line) in yaml.lines().enumerate() {
        let Some(value) = line.trim_start().strip_prefix("table: ") else {
            continue;
        };
        let (db, table) = value.split_once('.').unwrap();
        let wrong = format!("{db}.{}", misspell(table).unwrap());
        let project = project_from(&pipelines);
        let changed = yaml.replacen(&format!("table: {value}"), &format!("table: {wrong}"), 1);
        std::fs::write(project.path().join("kpi.yaml"), changed).unwrap();
        let out = run_in(project.path(), &["check", "--format", "json"]);
        assert_eq!(out.code, 1);
        let diagnostics: Vec<serde_json::Value> = serde_json::from_str(&out.stdout).unwrap();
        let column = line.find("table: ").unwrap() + "table: ".len() + 1;
        let hit = diagnostics
            .iter()
            .find(|d| d["file"] == "kpi.yaml" && d["line"] == line_no + 1 && d["column"] == column);
        let hit = hit.unwrap_or_else(|| {
            panic!(
                "no diagnostic at kpi.yaml:{}:{column}: {}",
                line_no + 1,
                out.stdout
            )
        });
        assert!(
            hit["help"].as_str().unwrap().contains(value),
            "{}",
            out.stdout
        );
        tried += 1;
    }
    assert!(tried >= 3);
}
