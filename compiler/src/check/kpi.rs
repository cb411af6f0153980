//! One KPI's AST → typed IR: relations and windows, joins, filter, dimensions, measures, checks.

use super::errors::CheckError;
use super::exprs::{Constants, Mode, Named, ScopeRelation, Typer};
use super::names::{self, NameRole, is_output_name, reserved_column};
use crate::ir::{
    self, Additivity, Aggregate, Check, Column, RelationTarget, SourceKind, TExpr, TExprKind,
    Window,
};
use crate::syntax::ast::{self, BinaryOp, ExprKind};
use crate::types::Type;
use std::collections::{BTreeMap, BTreeSet};

/// Longest window accepted, in days (ten years).
pub const MAX_WINDOW_DAYS: u64 = 3660;

/// What a KPI exposes to the KPIs that read it.
#[derive(Clone, Debug)]
pub struct KpiSchema {
    /// Its output columns, then the partition column `dt`: what a reader sees.
    pub columns: Vec<Column>,
    pub dimensions: Vec<String>,
    pub additivity: BTreeMap<String, Additivity>,
}

pub struct Env<'a> {
    pub sources: BTreeMap<&'a str, &'a ir::Source>,
    /// Every KPI name; `None` for KPIs whose schema is unknown (on a cycle).
    pub kpis: &'a BTreeMap<&'a str, Option<KpiSchema>>,
    /// Sources that failed to bind: any column is accepted.
    pub broken: &'a BTreeSet<String>,
    /// The project's named constants.
    pub constants: &'a Constants,
}

pub fn check_kpi(
    kpi: &ast::Kpi,
    file: &str,
    env: &Env<'_>,
    errors: &mut Vec<CheckError>,
) -> (ir::Kpi, KpiSchema) {
    let mut scope: Vec<ScopeRelation> = Vec::new();
    let mut relations = Vec::new();
    let mut upstream = BTreeSet::new();
    let mut kpi_relations: BTreeMap<String, (String, Window)> = BTreeMap::new();
    let all =
        std::iter::once((&kpi.from, None)).chain(kpi.joins.iter().map(|j| (&j.relation, Some(j))));
    for (relation, join) in all {
        let (target, columns) = resolve(relation, env, errors);
        if let RelationTarget::Kpi(name) = &target {
            upstream.insert(name.clone());
        }
        let window = window(relation, &target, env, errors);
        let alias = relation.alias_ident();
        names::check_alias(&alias.name, alias.span, relation.alias.is_none(), errors);
        if let Some(first) = scope.iter().find(|r| r.alias == alias.name) {
            errors.push(CheckError::DuplicateAlias {
                span: alias.span,
                name: alias.name.clone(),
                first: first.span,
            });
        } else {
            scope.push(ScopeRelation {
                alias: alias.name.clone(),
                span: alias.span,
                columns,
            });
        }
        if let RelationTarget::Kpi(name) = &target {
            kpi_relations.insert(alias.name.clone(), (name.clone(), window));
        }
        let join = join.map(|j| {
            let on = on_clause(&j.on, &scope, env.constants, errors);
            ir::JoinUse { kind: j.kind, on }
        });
        relations.push(ir::RelationUse {
            alias: alias.name.clone(),
            target,
            join,
            window,
        });
    }

    let filter = kpi.filter.as_ref().map(|f| {
        Typer::new(&scope, Mode::Row("`where`"), &[], &[], errors)
            .with_constants(env.constants)
            .condition(f, "`where`")
    });

    let mut outputs: Vec<Named> = Vec::new();
    let mut dimensions = Vec::new();
    for d in &kpi.group_by {
        let expr = Typer::new(&scope, Mode::Row("`group by`"), &[], &[], errors)
            .with_constants(env.constants)
            .expr(&d.expr);
        let name = match (&d.name, &d.expr.kind) {
            (Some(n), _) => Some((n.name.clone(), n.span, None)),
            (None, ExprKind::Path { parts }) => parts.last().map(|p| {
                let path = parts.iter().map(|p| p.name.as_str()).collect::<Vec<_>>();
                (p.name.clone(), d.expr.span, Some(path.join(".")))
            }),
            (None, _) => {
                errors.push(CheckError::GroupByWithoutName { span: d.expr.span });
                None
            }
        };
        if let Some((name, span, from_column)) = name {
            let role = NameRole::Output { from_column };
            add_output(&mut outputs, &name, &expr.ty, span, role, errors);
            dimensions.push(ir::Dimension {
                name,
                doc: d.doc.clone(),
                ty: expr.ty.clone(),
                expr,
            });
        }
    }

    let declared: Vec<Named> = kpi
        .measures
        .iter()
        .map(|m| Named {
            name: m.name.name.clone(),
            ty: Type::Unknown,
            span: m.name.span,
        })
        .collect();
    let mut measures: Vec<ir::Measure> = Vec::new();
    let mut defined: Vec<Named> = Vec::new();
    let equal = equalities(&relations, filter.as_ref());
    for (i, m) in kpi.measures.iter().enumerate() {
        let later: Vec<Named> = declared[i + 1..]
            .iter()
            .filter(|n| n.name != m.name.name)
            .cloned()
            .collect();
        let expr = Typer::new(&scope, Mode::Measure, &defined, &later, errors)
            .with_constants(env.constants)
            .expr(&m.expr);
        non_additive_sums(&expr, &kpi_relations, &dimensions, &equal, env, errors);
        let additivity = additivity(&expr, &measures);
        let role = NameRole::Output { from_column: None };
        add_output(
            &mut outputs,
            &m.name.name,
            &expr.ty,
            m.name.span,
            role,
            errors,
        );
        defined.push(Named {
            name: m.name.name.clone(),
            ty: expr.ty.clone(),
            span: m.name.span,
        });
        measures.push(ir::Measure {
            name: m.name.name.clone(),
            doc: m.doc.clone(),
            ty: expr.ty.clone(),
            expr,
            additivity,
        });
    }
    if kpi.measures.is_empty() {
        errors.push(CheckError::NoMeasure {
            span: kpi.name.span,
            name: kpi.name.name.clone(),
        });
    }

    let checks = kpi
        .checks
        .iter()
        .filter_map(|c| check(c, &outputs, env.constants, errors))
        .collect();

    let result = ir::Kpi {
        name: kpi.name.name.clone(),
        doc: kpi.doc.clone(),
        file: file.to_string(),
        span: kpi.span,
        relations,
        filter,
        dimensions,
        measures,
        checks,
        upstream: upstream.into_iter().collect(),
    };
    let mut columns = result.output_columns();
    columns.push(partition_column());
    let schema = KpiSchema {
        columns,
        dimensions: result.dimensions.iter().map(|d| d.name.clone()).collect(),
        additivity: result
            .measures
            .iter()
            .map(|m| (m.name.clone(), m.additivity))
            .collect(),
    };
    (result, schema)
}

/// The KPIs' partition column, as a reader of a KPI sees it.
fn partition_column() -> Column {
    Column {
        name: "dt".into(),
        ty: Type::String,
        doc: None,
    }
}

fn resolve<'e>(
    relation: &ast::Relation,
    env: &Env<'e>,
    errors: &mut Vec<CheckError>,
) -> (RelationTarget, Option<&'e [Column]>) {
    let name = &relation.name.name;
    if let Some(source) = env.sources.get(name.as_str()).copied() {
        return (
            RelationTarget::Source(name.clone()),
            Some(source.columns.as_slice()),
        );
    }
    if env.broken.contains(name) {
        return (RelationTarget::Source(name.clone()), None);
    }
    let kpis: &'e BTreeMap<&'e str, Option<KpiSchema>> = env.kpis;
    if let Some(schema) = kpis.get(name.as_str()) {
        let columns = schema.as_ref().map(|s| s.columns.as_slice());
        return (RelationTarget::Kpi(name.clone()), columns);
    }
    let candidates = env
        .sources
        .keys()
        .map(|s| s.to_string())
        .chain(env.kpis.keys().map(|k| k.to_string()))
        .collect();
    errors.push(CheckError::UnknownRelation {
        span: relation.name.span,
        name: name.clone(),
        candidates,
    });
    (RelationTarget::Source(name.clone()), None)
}

fn window(
    relation: &ast::Relation,
    target: &RelationTarget,
    env: &Env<'_>,
    errors: &mut Vec<CheckError>,
) -> Window {
    let Some(w) = relation.window else {
        return Window::DAY;
    };
    if let RelationTarget::Source(name) = target
        && env
            .sources
            .get(name.as_str())
            .is_some_and(|s| s.kind == SourceKind::Table)
    {
        {
            errors.push(CheckError::WindowOnUnpartitioned {
                span: w.span,
                source: name.clone(),
            });
            return Window::DAY;
        }
    }
    if w.days == 0 {
        errors.push(CheckError::InvalidWindow {
            span: w.span,
            reason: "a window covers at least one day".into(),
        });
        return Window::DAY;
    }
    if w.days.saturating_add(w.ends_before) > MAX_WINDOW_DAYS {
        errors.push(CheckError::InvalidWindow {
            span: w.span,
            reason: format!("this reaches back more than {MAX_WINDOW_DAYS} days"),
        });
        return Window::DAY;
    }
    Window {
        days: u32::try_from(w.days).unwrap_or(1),
        ends_before: u32::try_from(w.ends_before).unwrap_or(0),
    }
}

/// Types a join condition; an `=` between two columns of different kinds is a join key
/// mismatch, reported as such rather than as a plain comparison error.
fn on_clause(
    on: &ast::Expr,
    scope: &[ScopeRelation],
    constants: &Constants,
    errors: &mut Vec<CheckError>,
) -> TExpr {
    let before = errors.len();
    let typed = Typer::new(scope, Mode::Row("`on`"), &[], &[], errors)
        .with_constants(constants)
        .condition(on, "`on`");
    let mut keys = Vec::new();
    conjuncts(&typed, &mut keys);
    for key in keys {
        if let TExprKind::Binary {
            op: BinaryOp::Eq,
            left,
            right,
        } = &key.kind
        {
            let both_columns = matches!(left.kind, TExprKind::Column { .. })
                && matches!(right.kind, TExprKind::Column { .. });
            if both_columns && !left.ty.comparable_with(&right.ty) {
                for e in errors[before..].iter_mut() {
                    if matches!(e, CheckError::Incomparable { span, .. } if *span == key.span) {
                        *e = CheckError::JoinKeyMismatch {
                            span: key.span,
                            left: left.ty.clone(),
                            right: right.ty.clone(),
                        };
                    }
                }
            }
        }
    }
    typed
}

fn conjuncts<'e>(expr: &'e TExpr, out: &mut Vec<&'e TExpr>) {
    match &expr.kind {
        TExprKind::Binary {
            op: BinaryOp::And,
            left,
            right,
        } => {
            conjuncts(left, out);
            conjuncts(right, out);
        }
        _ => out.push(expr),
    }
}

fn add_output(
    outputs: &mut Vec<Named>,
    name: &str,
    ty: &Type,
    span: crate::span::Span,
    role: NameRole,
    errors: &mut Vec<CheckError>,
) {
    if !is_output_name(name) {
        errors.push(CheckError::InvalidOutputName {
            span,
            name: name.into(),
        });
    } else if let Some(reserved) = reserved_column(name) {
        errors.push(CheckError::ReservedName {
            span,
            name: name.into(),
            reserved,
            role,
        });
    } else if let Some(first) = outputs.iter().find(|o| o.name == name) {
        errors.push(CheckError::DuplicateOutput {
            span,
            name: name.into(),
            first: first.span,
        });
    } else {
        outputs.push(Named {
            name: name.into(),
            ty: ty.clone(),
            span,
        });
    }
}

fn check(
    c: &ast::Check,
    outputs: &[Named],
    constants: &Constants,
    errors: &mut Vec<CheckError>,
) -> Option<Check> {
    if let ExprKind::Call { name, args } = &c.expr.kind
        && name.name == "unique"
    {
        {
            let mut columns = Vec::new();
            for a in &args.args {
                match &a.kind {
                    ExprKind::Path { parts }
                        if parts.len() == 1 && outputs.iter().any(|o| o.name == parts[0].name) =>
                    {
                        columns.push(parts[0].name.clone())
                    }
                    _ => {
                        let name = match &a.kind {
                            ExprKind::Path { parts } => parts
                                .iter()
                                .map(|p| p.name.as_str())
                                .collect::<Vec<_>>()
                                .join("."),
                            _ => "this expression".into(),
                        };
                        errors.push(CheckError::UnknownOutput {
                            span: a.span,
                            name,
                            candidates: outputs.iter().map(|o| o.name.clone()).collect(),
                        });
                    }
                }
            }
            if args.args.is_empty() {
                errors.push(CheckError::ArgumentCount {
                    span: c.expr.span,
                    function: "unique".into(),
                    expected: "one or more output columns".into(),
                    found: 0,
                });
            }
            return Some(Check::Unique {
                columns,
                span: c.span,
            });
        }
    }
    let mut typer = Typer::new(&[], Mode::Check, outputs, &[], errors).with_constants(constants);
    let condition = typer.condition(&c.expr, "a check");
    let (saw_aggregate, bare) = (typer.saw_aggregate, typer.bare_outputs.first().cloned());
    match (saw_aggregate, bare) {
        (true, Some((column, span))) => {
            errors.push(CheckError::MixedCheck { span, column });
            None
        }
        (true, None) => Some(Check::Partition {
            condition,
            span: c.span,
        }),
        (false, _) => Some(Check::Row {
            condition,
            span: c.span,
        }),
    }
}

fn additivity(expr: &TExpr, measures: &[ir::Measure]) -> Additivity {
    match &expr.kind {
        TExprKind::Aggregate {
            function: Aggregate::Count | Aggregate::Sum,
            ..
        } => Additivity::Additive,
        TExprKind::Aggregate {
            function: Aggregate::Min | Aggregate::Max,
            ..
        } => Additivity::Extremum,
        TExprKind::Aggregate { .. } => Additivity::NonAdditive,
        TExprKind::Output { name } => measures
            .iter()
            .find(|m| &m.name == name)
            .map_or(Additivity::NonAdditive, |m| m.additivity),
        TExprKind::Binary {
            op: BinaryOp::Add | BinaryOp::Sub,
            left,
            right,
        } => match (additivity(left, measures), additivity(right, measures)) {
            (Additivity::Additive, Additivity::Additive) => Additivity::Additive,
            _ => Additivity::NonAdditive,
        },
        TExprKind::Literal { .. } => Additivity::Additive,
        _ => Additivity::NonAdditive,
    }
}

/// Columns known equal through top-level `=` in `on` and `where` conditions, as a map from
/// each `alias.column` to a representative.
fn equalities(relations: &[ir::RelationUse], filter: Option<&TExpr>) -> BTreeMap<String, String> {
    let mut parent: BTreeMap<String, String> = BTreeMap::new();
    fn find(parent: &BTreeMap<String, String>, key: &str) -> String {
        let mut k = key.to_string();
        while let Some(p) = parent.get(&k) {
            if *p == k {
                break;
            }
            k = p.clone();
        }
        k
    }
    let mut exprs = Vec::new();
    for r in relations {
        if let Some(j) = &r.join {
            conjuncts(&j.on, &mut exprs);
        }
    }
    if let Some(f) = filter {
        conjuncts(f, &mut exprs);
    }
    for e in exprs {
        if let TExprKind::Binary {
            op: BinaryOp::Eq,
            left,
            right,
        } = &e.kind
            && let (Some(a), Some(b)) = (column_key(left), column_key(right))
        {
            {
                let (ra, rb) = (find(&parent, &a), find(&parent, &b));
                if ra != rb {
                    parent.insert(ra, rb);
                }
            }
        }
    }
    let keys: Vec<String> = parent.keys().cloned().collect();
    keys.into_iter()
        .map(|k| {
            let root = find(&parent, &k);
            (k, root)
        })
        .collect()
}

fn column_key(e: &TExpr) -> Option<String> {
    match &e.kind {
        TExprKind::Column {
            relation,
            column,
            fields,
        } if fields.is_empty() => Some(format!("{relation}.{column}")),
        _ => None,
    }
}

/// `sum(u.m)` where `m` is a distinct count (or average, or ratio) of upstream KPI `u` is
/// only meaningful when each group holds one row of `u`: one day, and every dimension of `u`
/// fixed by the `group by`.
fn non_additive_sums(
    expr: &TExpr,
    kpi_relations: &BTreeMap<String, (String, Window)>,
    dimensions: &[ir::Dimension],
    equal: &BTreeMap<String, String>,
    env: &Env<'_>,
    errors: &mut Vec<CheckError>,
) {
    let mut stack = vec![expr];
    while let Some(e) = stack.pop() {
        match &e.kind {
            TExprKind::Aggregate {
                function: Aggregate::Sum,
                arg: Some(arg),
                ..
            } => {
                let non_additive = |relation: &str, column: &str| {
                    let schema = kpi_relations
                        .get(relation)
                        .and_then(|(kpi, _)| env.kpis.get(kpi.as_str()));
                    let additivity = schema
                        .and_then(|s| s.as_ref())
                        .and_then(|s| s.additivity.get(column));
                    additivity == Some(&Additivity::NonAdditive)
                };
                let Some((relation, column)) = first_column(arg, &non_additive) else {
                    continue;
                };
                let (relation, column) = (&relation, &column);
                let Some((kpi, window)) = kpi_relations.get(relation) else {
                    continue;
                };
                let Some(Some(schema)) = env.kpis.get(kpi.as_str()) else {
                    continue;
                };
                if schema.additivity.get(column) != Some(&Additivity::NonAdditive) {
                    continue;
                }
                let root = |key: &str| equal.get(key).cloned().unwrap_or_else(|| key.to_string());
                let grouped: BTreeSet<String> = dimensions
                    .iter()
                    .filter_map(|d| column_key(&d.expr))
                    .map(|k| root(&k))
                    .collect();
                let missing = schema
                    .dimensions
                    .iter()
                    .find(|d| !grouped.contains(&root(&format!("{relation}.{d}"))));
                let reason = if window.days > 1 {
                    Some(format!(
                        "the rows summed differ in the day (the window covers {} days)",
                        window.days
                    ))
                } else {
                    missing.map(|d| {
                        format!("the rows summed differ in `{d}`, which is not grouped by")
                    })
                };
                if let Some(reason) = reason {
                    errors.push(CheckError::NonAdditiveSum {
                        span: e.span,
                        function: "sum".into(),
                        measure: column.clone(),
                        kpi: kpi.clone(),
                        reason,
                    });
                }
            }
            TExprKind::Binary { left, right, .. } => {
                stack.push(left);
                stack.push(right);
            }
            TExprKind::Unary { operand, .. } => stack.push(operand),
            TExprKind::Call { args, .. } => stack.extend(args.iter()),
            TExprKind::Case { whens, otherwise } => {
                for (c, v) in whens {
                    stack.push(c);
                    stack.push(v);
                }
                stack.extend(otherwise.iter().map(|b| &**b));
            }
            _ => {}
        }
    }
}

/// The first column reference in `expr` (depth first) that `wanted` accepts.
fn first_column(expr: &TExpr, wanted: &dyn Fn(&str, &str) -> bool) -> Option<(String, String)> {
    let mut stack = vec![expr];
    while let Some(e) = stack.pop() {
        match &e.kind {
            TExprKind::Column {
                relation, column, ..
            } if wanted(relation, column) => {
                return Some((relation.clone(), column.clone()));
            }
            TExprKind::Binary { left, right, .. } => {
                stack.push(right);
                stack.push(left);
            }
            TExprKind::Unary { operand, .. } => stack.push(operand),
            TExprKind::Call { args, .. } => stack.extend(args.iter().rev()),
            TExprKind::Case { whens, otherwise } => {
                stack.extend(otherwise.iter().map(|b| &**b));
                for (c, v) in whens.iter().rev() {
                    stack.push(v);
                    stack.push(c);
                }
            }
            _ => {}
        }
    }
    None
}
