//! Two plans → per KPI what changed: the backend IR part by part (what it reads, filter,
//! dimensions, measures, checks), its output schema column by column, and which KPIs
//! downstream of it read something whose values change.

use super::{Change, ColumnChange, ColumnChangeKind, Downstream, KpiChange, Nature, SettingChange};
use crate::driver::Compiled;
use crate::lower::{KpiPlan, Plan, fingerprint, meaning};
use crate::query::{Expr, ExprKind, Output, Query, Rule, Scan};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Which output columns of a KPI can hold other values after the change.
#[derive(Clone, Debug, PartialEq)]
enum Values {
    /// Every column (its rows changed: what it reads, its filter or its grain).
    All,
    /// Only these.
    Columns(BTreeSet<String>),
}

impl Values {
    fn touches(&self, read: &BTreeSet<String>) -> bool {
        match self {
            Values::All => true,
            Values::Columns(changed) => !changed.is_disjoint(read),
        }
    }
}

/// What one KPI's own definition changed, base → head.
#[derive(Default)]
struct Own {
    reasons: Vec<String>,
    breaking: Vec<String>,
    schema: Vec<ColumnChange>,
    rows_changed: bool,
    changed_columns: BTreeSet<String>,
}

pub(super) fn compare(
    base: &Plan,
    head: &Plan,
    base_compiled: &Compiled,
    head_compiled: &Compiled,
    settings: &[SettingChange],
) -> (Vec<KpiChange>, Vec<String>) {
    let everything: Vec<String> = settings
        .iter()
        .filter(|s| s.semantic)
        .map(|s| format!("`{}` changed: {}", s.setting, s.effect))
        .collect();
    let mut values: BTreeMap<&str, Values> = BTreeMap::new();
    let mut out = Vec::new();
    let mut fingerprint_only = Vec::new();
    for h in &head.kpis {
        let Some(b) = base.kpi(&h.name) else {
            values.insert(&h.name, Values::All);
            out.push(KpiChange {
                name: h.name.clone(),
                change: Change::Added,
                nature: Nature::Semantic,
                reasons: vec!["a new KPI".into()],
                breaking: false,
                schema: Vec::new(),
                downstream: Vec::new(),
                recompute: true,
            });
            continue;
        };
        let mut own = own_change(b, h);
        if own.reasons.is_empty() && fingerprint(&b.query, &[]) != fingerprint(&h.query, &[]) {
            // Every part means the same, yet the whole does not: the parts moved (measures
            // reordered). The columns' values stay; their order does not.
            own.reasons
                .push("its query changed form (the order of its columns)".into());
        }
        let mut reasons = everything.clone();
        reasons.extend(own.reasons.iter().cloned());
        let reads = kpi_reads(&h.query);
        for (upstream, columns) in &reads {
            if values
                .get(upstream.as_str())
                .is_some_and(|v| v.touches(columns))
            {
                reasons.push(format!("it reads `{upstream}`, whose values change"));
            }
        }
        let fingerprint_changed = b.fingerprint != h.fingerprint || !everything.is_empty();
        if !reasons.is_empty() {
            let upstream_or_all = reasons.len() > own.reasons.len();
            values.insert(
                &h.name,
                if own.rows_changed || upstream_or_all {
                    Values::All
                } else {
                    Values::Columns(own.changed_columns.clone())
                },
            );
            out.push(KpiChange {
                name: h.name.clone(),
                change: Change::Changed,
                nature: Nature::Semantic,
                breaking: !own.breaking.is_empty(),
                reasons: reasons.into_iter().chain(own.breaking).collect(),
                schema: own.schema,
                downstream: Vec::new(),
                recompute: true,
            });
            continue;
        }
        if fingerprint_changed {
            fingerprint_only.push(h.name.clone());
        }
        let form = form_change(b, h, base_compiled, head_compiled);
        if let Some((nature, reasons)) = form {
            out.push(KpiChange {
                name: h.name.clone(),
                change: Change::Changed,
                nature,
                reasons,
                breaking: false,
                schema: Vec::new(),
                downstream: Vec::new(),
                recompute: fingerprint_changed,
            });
        }
    }
    for b in base.kpis.iter().filter(|b| head.kpi(&b.name).is_none()) {
        out.push(KpiChange {
            name: b.name.clone(),
            change: Change::Removed,
            nature: Nature::Semantic,
            reasons: vec!["the KPI is no longer defined, so its table is no longer written".into()],
            breaking: true,
            schema: Vec::new(),
            downstream: Vec::new(),
            recompute: false,
        });
    }
    for change in out.iter_mut().filter(|c| c.nature == Nature::Semantic) {
        change.downstream = downstream(head, &change.name, &values);
    }
    (out, fingerprint_only)
}

/// Every KPI downstream of `root` in the head, in head order, with whether its values change.
fn downstream(head: &Plan, root: &str, values: &BTreeMap<&str, Values>) -> Vec<Downstream> {
    let mut reached: BTreeSet<&str> = BTreeSet::from([root]);
    let mut out = Vec::new();
    for k in &head.kpis {
        let via: Vec<&String> = k
            .upstream
            .iter()
            .filter(|u| reached.contains(u.as_str()))
            .collect();
        if via.is_empty() || k.name == root {
            continue;
        }
        reached.insert(&k.name);
        let must = values.contains_key(k.name.as_str());
        let names = via
            .iter()
            .map(|u| format!("`{u}`"))
            .collect::<Vec<_>>()
            .join(", ");
        out.push(Downstream {
            kpi: k.name.clone(),
            must_recompute: must,
            reason: if must {
                format!("reads {names}, and what it reads changes")
            } else {
                format!("reads {names}, but none of what it reads changes")
            },
        });
    }
    out
}

fn differ(a: &impl serde::Serialize, b: &impl serde::Serialize) -> bool {
    meaning(a) != meaning(b)
}

/// Whether two parts of two queries mean different things, an earlier measure named rather
/// than numbered (a measure added before it leaves it alone).
fn differ_in(bq: &Query, a: &impl serde::Serialize, hq: &Query, b: &impl serde::Serialize) -> bool {
    named(bq, meaning(a)) != named(hq, meaning(b))
}

fn named(query: &Query, mut value: Value) -> Value {
    fn walk(query: &Query, value: &mut Value) {
        match value {
            Value::Object(map) => {
                if map.get("kind").and_then(Value::as_str) == Some("measure")
                    && let Some(index) = map.get("index").and_then(Value::as_u64)
                {
                    let name = usize::try_from(index)
                        .ok()
                        .and_then(|i| query.measures.get(i))
                        .map(|m| m.name.clone());
                    map.insert("index".into(), name.map_or(Value::Null, Value::String));
                }
                map.values_mut().for_each(|v| walk(query, v));
            }
            Value::Array(items) => items.iter_mut().for_each(|v| walk(query, v)),
            _ => {}
        }
    }
    walk(query, &mut value);
    value
}

fn own_change(b: &KpiPlan, h: &KpiPlan) -> Own {
    let (bq, hq) = (&b.query, &h.query);
    let mut own = Own::default();
    if differ(&bq.relations, &hq.relations) {
        own.reasons
            .push("what it reads changed (sources, windows or joins)".into());
        own.rows_changed = true;
    }
    match (&bq.filter, &hq.filter) {
        (None, Some(_)) => own.reasons.push("a filter was added".into()),
        (Some(_), None) => own.reasons.push("the filter was removed".into()),
        (Some(x), Some(y)) if differ(x, y) => own.reasons.push("the filter changed".into()),
        _ => {}
    }
    if differ(&bq.filter, &hq.filter) {
        own.rows_changed = true;
    }
    let grain = |q: &Query| {
        q.dimensions
            .iter()
            .map(|d| d.name.clone())
            .collect::<Vec<_>>()
    };
    if grain(bq) != grain(hq) || differ(&bq.dimensions, &hq.dimensions) {
        own.reasons.push("the dimensions changed".into());
        own.rows_changed = true;
    }
    columns(&mut own, bq, hq, true);
    columns(&mut own, bq, hq, false);
    if differ_in(bq, &bq.checks, hq, &hq.checks) {
        own.reasons
            .push("the checks changed, so which days are published can change".into());
    }
    if own.schema.iter().any(|c| c.breaking) {
        own.breaking
            .push("breaking: the output schema changes incompatibly".into());
    }
    if own.rows_changed {
        own.breaking
            .push("breaking: its rows change, so every column's values can change".into());
    }
    own
}

/// Column by column, one kind of output (dimensions or measures).
fn columns(own: &mut Own, bq: &Query, hq: &Query, dimension: bool) {
    let what = if dimension { "dimension" } else { "measure" };
    let (base, head): (&[Output], &[Output]) = if dimension {
        (&bq.dimensions, &hq.dimensions)
    } else {
        (&bq.measures, &hq.measures)
    };
    for h in head {
        let Some(b) = base.iter().find(|b| b.name == h.name) else {
            let breaking = dimension;
            own.schema.push(ColumnChange {
                column: h.name.clone(),
                change: ColumnChangeKind::Added,
                breaking,
                reason: if breaking {
                    format!("a new {what}: each row splits by it")
                } else {
                    format!("a new {what}: readers of the other columns are unaffected")
                },
            });
            own.reasons.push(format!("{what} `{}` was added", h.name));
            own.changed_columns.insert(h.name.clone());
            continue;
        };
        if b.ty != h.ty {
            own.schema.push(ColumnChange {
                column: h.name.clone(),
                change: ColumnChangeKind::Retyped,
                breaking: true,
                reason: format!("its type changes from `{}` to `{}`", b.ty, h.ty),
            });
            own.reasons
                .push(format!("{what} `{}` changed type", h.name));
            own.changed_columns.insert(h.name.clone());
        } else if differ_in(bq, &b.expr, hq, &h.expr) {
            own.schema.push(ColumnChange {
                column: h.name.clone(),
                change: ColumnChangeKind::Meaning,
                breaking: true,
                reason: format!("the {what} is computed differently"),
            });
            own.reasons
                .push(format!("{what} `{}` is computed differently", h.name));
            own.changed_columns.insert(h.name.clone());
        }
    }
    for b in base
        .iter()
        .filter(|b| !head.iter().any(|h| h.name == b.name))
    {
        own.schema.push(ColumnChange {
            column: b.name.clone(),
            change: ColumnChangeKind::Removed,
            breaking: true,
            reason: format!("the {what} is no longer produced"),
        });
        own.reasons.push(format!("{what} `{}` was removed", b.name));
        own.changed_columns.insert(b.name.clone());
    }
}

/// A change that leaves the backend IR alone: documentation (metadata) or text (cosmetic).
fn form_change(
    b: &KpiPlan,
    h: &KpiPlan,
    base: &Compiled,
    head: &Compiled,
) -> Option<(Nature, Vec<String>)> {
    let mut docs = Vec::new();
    if b.doc != h.doc {
        docs.push("the KPI's doc comment changed".to_string());
    }
    for column in &h.columns {
        let before = b.columns.iter().find(|c| c.name == column.name);
        if before.is_some_and(|c| c.doc != column.doc) {
            docs.push(format!("the doc comment of `{}` changed", column.name));
        }
    }
    if !docs.is_empty() {
        return Some((Nature::Metadata, docs));
    }
    let mut text = Vec::new();
    for (x, y) in b.query.relations.iter().zip(&h.query.relations) {
        if x.alias != y.alias {
            text.push(format!("alias `{}` renamed to `{}`", x.alias, y.alias));
        }
    }
    if b.definition.file != h.definition.file {
        text.push(format!(
            "moved from {} to {}",
            b.definition.file, h.definition.file
        ));
    }
    let definition = |c: &Compiled, k: &KpiPlan| c.sources.slice(k.definition.span).to_string();
    if text.is_empty() && definition(base, b) != definition(head, h) {
        text.push("only its text changed (layout or comments)".into());
    }
    (!text.is_empty()).then_some((Nature::Cosmetic, text))
}

/// The columns a query reads from each upstream KPI.
fn kpi_reads(query: &Query) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut visit = |e: &Expr| {
        if let ExprKind::Column {
            relation, column, ..
        } = &e.kind
            && let Some(Scan::Kpi { name }) = query.relations.get(*relation).map(|r| &r.scan)
        {
            out.entry(name.clone()).or_default().insert(column.clone());
        }
    };
    for r in &query.relations {
        if let Some(join) = &r.join {
            join.on.walk(&mut visit);
        }
    }
    if let Some(f) = &query.filter {
        f.walk(&mut visit);
    }
    for o in query.outputs() {
        o.expr.walk(&mut visit);
    }
    for c in &query.checks {
        if let Rule::Row { condition } | Rule::Partition { condition } = &c.rule {
            condition.walk(&mut visit);
        }
    }
    // A KPI read only for its row count (`count(*)`) still depends on its rows.
    for r in &query.relations {
        if let Scan::Kpi { name } = &r.scan {
            out.entry(name.clone()).or_default().insert("*".into());
        }
    }
    out
}
