//! Which KPI-days a run computes, and in which executions of the state machine.
//!
//! A KPI-day is due when its partition is missing, was computed by another definition of the
//! KPI (its fingerprint differs), no longer holds the files it was published with, read
//! source files that changed since, or reads an upstream KPI-day that is due or was
//! rewritten after it. Upstream KPI-days a due day's windows read are brought in when they
//! are due themselves. A due KPI-day whose window needs a source partition (on or after
//! `history_start`) that the lake lacks waits, and so do the due days that read it.
//! Due KPI-days with the same days go to one execution, `{"dates", "kpis"}`; executions run
//! in dependency order, each spanning at most the machine's `max_backfill_days`.
//!
//! The planner asks a [`PartitionStore`] what is published and which source partitions exist:
//! the local lake and its catalog, or Glue's partitions on AWS (whose Parameters carry the
//! same fingerprint, inputs digest and publication time).

mod store;

pub use store::{PartitionStore, Partitions, Published, source_key};

use kpi_contract::manifest::{Kpi, Manifest, Source, Target};
use kpi_contract::{Day, DayRange};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// One execution of the state machine: its input and the KPI-days it covers.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedExecution {
    pub kpis: Vec<String>,
    pub days: Vec<Day>,
}

impl PlannedExecution {
    pub fn input(&self) -> Value {
        json!({"dates": self.days, "kpis": self.kpis})
    }
}

/// A KPI-day that cannot run yet, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Waiting {
    pub kpi: String,
    pub day: Day,
    pub why: String,
}

#[derive(Debug, Clone, Default)]
pub struct RunPlan {
    /// KPI → its due days that can run.
    pub due: BTreeMap<String, BTreeSet<Day>>,
    /// Due KPI-days that wait for missing inputs.
    pub waiting: Vec<Waiting>,
    /// Published KPI-days whose files changed: recomputed, with what changed.
    pub damaged: Vec<(String, Day, String)>,
    pub executions: Vec<PlannedExecution>,
    /// KPI-days in the range that are up to date and left alone.
    pub up_to_date: usize,
}

impl RunPlan {
    pub fn kpi_days(&self) -> usize {
        self.due.values().map(BTreeSet::len).sum()
    }

    /// Leaves out the due KPI-days `failed` finds a reason to fail before they run (a damaged
    /// input), and the due days that read one of them; regroups the rest. Returns each left-out
    /// KPI-day with why.
    pub fn leave_out(
        &mut self,
        manifest: &Manifest,
        failed: impl Fn(&Kpi, Day) -> Option<String>,
    ) -> Vec<(String, Day, String)> {
        let mut out: Vec<(String, Day, String)> = Vec::new();
        let mut kpis: Vec<&Kpi> = manifest
            .kpis
            .iter()
            .filter(|k| self.due.contains_key(&k.name))
            .collect();
        kpis.sort_by(|a, b| (a.level, &a.name).cmp(&(b.level, &b.name)));
        for kpi in kpis {
            let days: Vec<Day> = self.due[&kpi.name].iter().copied().collect();
            for day in days {
                let upstream = upstream_days(kpi, day)
                    .into_iter()
                    .find(|(u, d)| out.iter().any(|(k, x, _)| k == u && x == d));
                let why = match upstream {
                    Some((u, d)) => Some(format!("upstream {u} {d} failed")),
                    None => failed(kpi, day),
                };
                if let Some(why) = why {
                    if let Some(set) = self.due.get_mut(&kpi.name) {
                        set.remove(&day);
                    }
                    out.push((kpi.name.clone(), day, why));
                }
            }
        }
        self.due.retain(|_, days| !days.is_empty());
        self.executions = group(manifest, &self.due);
        out
    }
}

/// The KPIs asked for: `name` brings what it reads (it cannot be computed without it);
/// `name+` also brings every KPI that reads it, downstream. Empty: all.
pub fn select(manifest: &Manifest, asked: &[String]) -> Result<BTreeSet<String>, String> {
    let mut chosen: BTreeSet<String> = BTreeSet::new();
    if asked.is_empty() {
        chosen.extend(manifest.kpis.iter().map(|k| k.name.clone()));
        return Ok(chosen);
    }
    for a in asked {
        let (name, downstream) = match a.strip_suffix('+') {
            Some(n) => (n, true),
            None => (a.as_str(), false),
        };
        if manifest.kpi(name).is_none() {
            return Err(format!("`{name}` is not a KPI of this project"));
        }
        chosen.insert(name.to_string());
        if downstream {
            loop {
                let before = chosen.len();
                for k in &manifest.kpis {
                    if k.upstream.iter().any(|u| chosen.contains(u)) {
                        chosen.insert(k.name.clone());
                    }
                }
                if chosen.len() == before {
                    break;
                }
            }
        }
    }
    loop {
        let before = chosen.len();
        for k in &manifest.kpis {
            if chosen.contains(&k.name) {
                chosen.extend(k.upstream.iter().cloned());
            }
        }
        if chosen.len() == before {
            return Ok(chosen);
        }
    }
}

/// The upstream KPI-days a KPI-day reads.
fn upstream_days(kpi: &Kpi, day: Day) -> Vec<(String, Day)> {
    let mut out = Vec::new();
    for read in &kpi.reads {
        if let (Target::Kpi(u), Some(reach)) = (&read.target, read.window.of_day(day)) {
            out.extend(reach.days().map(|d| (u.clone(), d)));
        }
    }
    out
}

/// `selected` from [`select`]: the due KPI-days among `days` (widened over the windows of the
/// KPIs that read them), given what `store` holds.
pub fn plan(
    manifest: &Manifest,
    store: &dyn PartitionStore,
    days: &[Day],
    selected: &BTreeSet<String>,
    force: bool,
) -> RunPlan {
    let start = manifest.project.history_start;
    let mut kpis: Vec<&Kpi> = manifest
        .kpis
        .iter()
        .filter(|k| selected.contains(&k.name))
        .collect();
    kpis.sort_by(|a, b| (a.level, &a.name).cmp(&(b.level, &b.name)));
    // The KPI-days to consider: those asked for, widened over upstream windows (downstream
    // first, so each KPI's days are complete before its upstreams widen from them).
    let asked: BTreeSet<Day> = days.iter().copied().collect();
    let mut considered: BTreeMap<&str, BTreeSet<Day>> = kpis
        .iter()
        .map(|k| (k.name.as_str(), asked.clone()))
        .collect();
    for kpi in kpis.iter().rev() {
        let own: Vec<Day> = considered
            .get(kpi.name.as_str())
            .map(|d| d.iter().copied().collect())
            .unwrap_or_default();
        for day in own {
            for (u, d) in upstream_days(kpi, day) {
                if d >= start
                    && let Some(set) = considered.get_mut(u.as_str())
                {
                    set.insert(d);
                }
            }
        }
    }
    let mut plan = RunPlan::default();
    let mut waiting: BTreeMap<(String, Day), String> = BTreeMap::new();
    for kpi in &kpis {
        let mut mine = BTreeSet::new();
        for &day in considered.get(kpi.name.as_str()).into_iter().flatten() {
            let own = store.published(&kpi.name, day);
            let damaged = own.as_ref().and_then(|_| store.damaged(kpi, day));
            let reads_due = |up: &(String, Day)| {
                plan.due.get(&up.0).is_some_and(|s| s.contains(&up.1))
                    || match (store.published(&up.0, up.1), &own) {
                        // A partition whose publication time is unknown (0: written before
                        // the store kept one) is compared with nothing.
                        (Some(up), Some(own)) => own.sequence > 0 && up.sequence > own.sequence,
                        _ => false,
                    }
            };
            let ups = upstream_days(kpi, day);
            let stale = force
                || own
                    .as_ref()
                    .is_none_or(|p| p.fingerprint != kpi.fingerprint)
                || damaged.is_some()
                || own.as_ref().is_some_and(|p| {
                    p.inputs.is_some()
                        && store
                            .inputs_digest(kpi, day)
                            .is_some_and(|now| p.inputs.as_deref() != Some(now.as_str()))
                })
                || ups.iter().any(reads_due);
            if !stale {
                if asked.contains(&day) {
                    plan.up_to_date += 1;
                }
                continue;
            }
            if let Some(why) = damaged {
                plan.damaged.push((kpi.name.clone(), day, why));
            }
            let blocked = ups
                .iter()
                .find_map(|up| {
                    waiting
                        .get(up)
                        .map(|_| format!("upstream {} {} waits", up.0, up.1))
                })
                .or_else(|| {
                    missing_partition(store, manifest, kpi, day)
                        .map(|p| format!("no partition {p}"))
                });
            match blocked {
                Some(why) => {
                    waiting.insert((kpi.name.clone(), day), why);
                }
                None => {
                    mine.insert(day);
                }
            }
        }
        if !mine.is_empty() {
            plan.due.insert(kpi.name.clone(), mine);
        }
    }
    plan.waiting = waiting
        .into_iter()
        .map(|((kpi, day), why)| Waiting { kpi, day, why })
        .collect();
    plan.executions = group(manifest, &plan.due);
    plan
}

/// The source a read reads, if it reads one.
pub fn source_of<'m>(
    manifest: &'m Manifest,
    read: &kpi_contract::manifest::Read,
) -> Option<&'m Source> {
    match &read.target {
        Target::Source(name) => manifest.source(name),
        Target::Kpi(_) => None,
    }
}

/// The first source partition on or after `history_start` that a KPI-day's windows need and
/// `store` lacks, as `database.table partition=day`.
pub fn missing_partition(
    store: &dyn PartitionStore,
    manifest: &Manifest,
    kpi: &Kpi,
    day: Day,
) -> Option<String> {
    for read in kpi.reads.iter().filter(|r| r.partitioned) {
        let Some(source) = source_of(manifest, read) else {
            continue;
        };
        let Some(reach) = read.window.of_day(day) else {
            continue;
        };
        for d in reach
            .days()
            .filter(|d| *d >= manifest.project.history_start)
        {
            if !store.source_partition(source, d) {
                return Some(format!(
                    "{}.{} {}={d}",
                    source.database,
                    source.table,
                    source.partition.as_deref().unwrap_or("dt")
                ));
            }
        }
    }
    None
}

/// Groups the due KPI-days into executions and orders them so that every KPI runs after the
/// executions that compute what it reads; each execution spans at most `max_backfill_days`
/// and holds at most the machine's `max_runs` runs of consecutive days.
fn group(manifest: &Manifest, due: &BTreeMap<String, BTreeSet<Day>>) -> Vec<PlannedExecution> {
    let level = |k: &str| manifest.kpi(k).map_or(0, |k| k.level);
    let upstream = |k: &str| {
        manifest
            .kpi(k)
            .map(|k| k.upstream.clone())
            .unwrap_or_default()
    };
    let by_days = |split_levels: bool| {
        let mut groups: BTreeMap<(usize, &BTreeSet<Day>), Vec<String>> = BTreeMap::new();
        for (k, days) in due {
            let key = if split_levels { level(k) } else { 0 };
            groups.entry((key, days)).or_default().push(k.clone());
        }
        groups
            .into_iter()
            .map(|((_, days), kpis)| (kpis, days.clone()))
            .collect::<Vec<_>>()
    };
    let order = |groups: &[(Vec<String>, BTreeSet<Day>)]| -> Option<Vec<usize>> {
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
    let settings = &manifest.project;
    let span = i64::from(settings.max_backfill_days.max(1));
    let runs = kpi_contract::limits::max_runs(settings.max_backfill_days, settings.chunk_days);
    let mut out = Vec::new();
    for i in sequence {
        let (kpis, days) = &groups[i];
        let mut current: Vec<Day> = Vec::new();
        let mut current_runs = 0;
        for &day in days {
            let new_run = current.last().is_none_or(|last| day.since(*last) > 1);
            let too_long = current
                .first()
                .is_some_and(|first| day.since(*first) >= span);
            if !current.is_empty() && (too_long || (new_run && current_runs == runs)) {
                out.push(PlannedExecution {
                    kpis: kpis.clone(),
                    days: std::mem::take(&mut current),
                });
                current_runs = 0;
            }
            if current.last().is_none_or(|last| day.since(*last) > 1) {
                current_runs += 1;
            }
            current.push(day);
        }
        if !current.is_empty() {
            out.push(PlannedExecution {
                kpis: kpis.clone(),
                days: current,
            });
        }
    }
    out
}

/// The chunks the state machine cuts an execution's days into for one KPI: maximal runs of
/// consecutive days, cut at `chunk_days` (the same rule as the machine's, for estimates).
pub fn chunks(days: &[Day], chunk_days: u32) -> Vec<DayRange> {
    DayRange::runs(days)
        .into_iter()
        .flat_map(|run| run.chunks(chunk_days))
        .collect()
}

#[cfg(test)]
mod tests;
