//! Days to compute → days needed: a backfill of days [a, b] for some KPIs also covers the
//! upstream days their windows reach, transitively.

use super::Plan;
use crate::ir::RelationTarget;
use crate::project::date::Date;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct DayRange {
    pub from: Date,
    pub to: Date,
}

/// For each KPI to compute over `range`, the range of its own days that must exist, widened
/// for every downstream KPI's window. KPIs not reached are absent.
pub fn coverage(plan: &Plan, kpis: &[String], range: DayRange) -> BTreeMap<String, DayRange> {
    let mut needed: BTreeMap<String, DayRange> = kpis.iter().map(|k| (k.clone(), range)).collect();
    // Downstream first, so each KPI's range is final before its upstreams widen from it.
    for kpi in plan.kpis.iter().rev() {
        let Some(own) = needed.get(&kpi.name).copied() else {
            continue;
        };
        for read in &kpi.reads {
            let RelationTarget::Kpi(upstream) = &read.target else {
                continue;
            };
            let back = i64::from(read.window.ends_before);
            let span = i64::from(read.window.days) - 1;
            let (Some(from), Some(to)) = (own.from.add_days(-back - span), own.to.add_days(-back))
            else {
                continue;
            };
            let entry = needed
                .entry(upstream.clone())
                .or_insert(DayRange { from, to });
            entry.from = entry.from.min(from);
            entry.to = entry.to.max(to);
        }
    }
    needed
}
