//! Which KPI-days a run computes, and in which executions of the state machine.
//!
//! A KPI-day is due when its partition is missing, was computed by another definition of the
//! KPI (its fingerprint differs), or reads an upstream KPI-day that is due or was rewritten
//! after it. Due KPI-days with the same days go to one execution, `{"dates", "kpis"}`;
//! executions run in dependency order, each covering at most the machine's day limit.

use super::athena::{day_number, day_text};
use super::lake::LocalCatalog;
use super::manifest::Manifest;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// One execution of the state machine: its input and the KPI-days it covers.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedExecution {
    pub kpis: Vec<String>,
    pub days: Vec<String>,
}

impl PlannedExecution {
    pub fn input(&self) -> Value {
        json!({"dates": self.days, "kpis": self.kpis})
    }
}

#[derive(Debug, Clone, Default)]
pub struct RunPlan {
    /// KPI → its due days, sorted.
    pub due: BTreeMap<String, BTreeSet<String>>,
    pub executions: Vec<PlannedExecution>,
    /// KPI-days in the range that are up to date and left alone.
    pub up_to_date: usize,
}

impl RunPlan {
    pub fn kpi_days(&self) -> usize {
        self.due.values().map(BTreeSet::len).sum()
    }
}

/// The most days one execution of a compiled state machine accepts.
pub const MAX_DAYS_PER_EXECUTION: usize = 366;

/// `selected`: the KPIs asked for (empty: all); their upstream KPIs are included.
pub fn plan(
    manifest: &Manifest,
    catalog: &LocalCatalog,
    days: &[String],
    selected: &[String],
    force: bool,
) -> RunPlan {
    let database = &manifest.project.database;
    // The selection, closed over upstream KPIs.
    let mut chosen: BTreeSet<&str> = if selected.is_empty() {
        manifest.kpis.iter().map(|k| k.name.as_str()).collect()
    } else {
        selected.iter().map(String::as_str).collect()
    };
    loop {
        let before = chosen.len();
        for k in &manifest.kpis {
            if chosen.contains(k.name.as_str()) {
                chosen.extend(k.upstream.iter().map(String::as_str));
            }
        }
        if chosen.len() == before {
            break;
        }
    }
    let mut kpis: Vec<_> = manifest
        .kpis
        .iter()
        .filter(|k| chosen.contains(k.name.as_str()))
        .collect();
    kpis.sort_by(|a, b| (a.level, &a.name).cmp(&(b.level, &b.name)));

    let mut due: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut up_to_date = 0;
    for kpi in &kpis {
        let mut mine = BTreeSet::new();
        for day in days {
            let own = catalog.partition(database, &kpi.name, day);
            let stale = force
                || own.is_none_or(|p| p.fingerprint != kpi.fingerprint)
                || kpi.reads.iter().any(|r| {
                    if r.target.kind != "kpi" {
                        return false;
                    }
                    let Some(n) = day_number(day) else {
                        return false;
                    };
                    r.window.days_for(n).any(|d| {
                        let d = day_text(d);
                        due.get(&r.target.name).is_some_and(|s| s.contains(&d))
                            || match (catalog.partition(database, &r.target.name, &d), own) {
                                (Some(up), Some(own)) => up.sequence > own.sequence,
                                _ => false,
                            }
                    })
                });
            if stale {
                mine.insert(day.clone());
            } else {
                up_to_date += 1;
            }
        }
        if !mine.is_empty() {
            due.insert(kpi.name.clone(), mine);
        }
    }
    let executions = group(manifest, &due);
    RunPlan {
        due,
        executions,
        up_to_date,
    }
}

/// Groups the due KPI-days into executions and orders them so that every KPI runs after the
/// executions that compute what it reads.
fn group(manifest: &Manifest, due: &BTreeMap<String, BTreeSet<String>>) -> Vec<PlannedExecution> {
    let level = |k: &str| manifest.kpi(k).map_or(0, |k| k.level);
    let upstream = |k: &str| {
        manifest
            .kpi(k)
            .map(|k| k.upstream.clone())
            .unwrap_or_default()
    };
    let by_days = |split_levels: bool| {
        let mut groups: BTreeMap<(usize, &BTreeSet<String>), Vec<String>> = BTreeMap::new();
        for (k, days) in due {
            let key = if split_levels { level(k) } else { 0 };
            groups.entry((key, days)).or_default().push(k.clone());
        }
        groups
            .into_iter()
            .map(|((_, days), kpis)| (kpis, days.clone()))
            .collect::<Vec<_>>()
    };
    let order = |groups: &[(Vec<String>, BTreeSet<String>)]| -> Option<Vec<usize>> {
        let owner: BTreeMap<&str, usize> = groups
            .iter()
            .enumerate()
            .flat_map(|(i, (ks, _))| ks.iter().map(move |k| (k.as_str(), i)))
            .collect();
        let mut done: Vec<usize> = Vec::new();
        while done.len() < groups.len() {
            let next = (0..groups.len()).find(|i| {
                !done.contains(i)
                    && groups[*i].0.iter().all(|k| {
                        upstream(k).iter().all(|u| {
                            owner
                                .get(u.as_str())
                                .is_none_or(|g| *g == *i || done.contains(g))
                        })
                    })
            })?;
            done.push(next);
        }
        Some(done)
    };
    let mut groups = by_days(false);
    let sequence = match order(&groups) {
        Some(s) => s,
        None => {
            groups = by_days(true);
            groups.sort_by_key(|(ks, _)| ks.iter().map(|k| level(k)).min());
            (0..groups.len()).collect()
        }
    };
    let mut out = Vec::new();
    for i in sequence {
        let (kpis, days) = &groups[i];
        let days: Vec<String> = days.iter().cloned().collect();
        for chunk in days.chunks(MAX_DAYS_PER_EXECUTION) {
            out.push(PlannedExecution {
                kpis: kpis.clone(),
                days: chunk.to_vec(),
            });
        }
    }
    out
}
