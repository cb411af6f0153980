//! Which KPI-days a run computes, and in which executions of the state machine.
//!
//! A KPI-day is due when its partition is missing, was computed by another definition of the
//! KPI (its fingerprint differs), or reads an upstream KPI-day that is due or was rewritten
//! after it. Due KPI-days with the same days go to one execution, `{"dates", "kpis"}`;
//! executions run in dependency order, each covering at most the machine's day limit.

use super::athena::{day_number, day_text, inputs_digest};
use super::lake::Lake;
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

/// `selected`: the KPIs asked for (empty: all); their upstream KPIs are included. With a
/// lake, a KPI-day whose source files changed since it was computed is stale too.
pub fn plan(
    manifest: &Manifest,
    catalog: &LocalCatalog,
    lake: Option<&Lake>,
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
                || own.is_some_and(|p| {
                    lake.is_some_and(|lake| {
                        p.inputs.is_some() && p.inputs != inputs_digest(lake, manifest, kpi, day)
                    })
                })
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lake::LocalPartition;

    /// Three KPIs: `a` and `b` read sources; `c` reads `a` over 2 days and `b` on the day.
    fn manifest() -> Manifest {
        let kpi = |name: &str, level: usize, reads: Value| {
            let upstream: Vec<String> = reads
                .as_array()
                .unwrap()
                .iter()
                .filter(|r| r["target"]["kind"] == "kpi")
                .map(|r| r["target"]["name"].as_str().unwrap().to_string())
                .collect();
            json!({"name": name, "fingerprint": format!("f-{name}"), "level": level,
                   "upstream": upstream, "reads": reads, "location": "", "attempts_location": "",
                   "columns": [], "statements": []})
        };
        let read = |kind: &str, name: &str, days: u32| {
            json!({"target": {"kind": kind, "name": name},
                   "window": {"days": days, "ends_before": 0}, "partitioned": true})
        };
        serde_json::from_value(json!({
            "project": {"project": "p", "database": "db", "location": "s3://b/",
                        "history_start": "2024-01-01"},
            "sources": [],
            "states": [],
            "kpis": [
                kpi("a", 0, json!([read("source", "events", 1)])),
                kpi("b", 0, json!([read("source", "events", 1)])),
                kpi("c", 1, json!([read("kpi", "a", 2), read("kpi", "b", 1)])),
            ]
        }))
        .unwrap()
    }

    fn days(from: &str, n: i64) -> Vec<String> {
        let first = day_number(from).unwrap();
        (first..first + n).map(day_text).collect()
    }

    fn publish(catalog: &mut LocalCatalog, kpi: &str, day: &str, fingerprint: &str) {
        catalog.switch(
            "db",
            kpi,
            day,
            LocalPartition {
                location: format!("s3://b/{kpi}/{day}/{}/", catalog.sequence),
                fingerprint: fingerprint.into(),
                sequence: 0,
                rows: 1,
                inputs: None,
            },
        );
    }

    #[test]
    fn an_empty_lake_computes_everything_in_one_execution() {
        let p = plan(
            &manifest(),
            &LocalCatalog::default(),
            None,
            &days("2024-01-01", 3),
            &[],
            false,
        );
        assert_eq!(p.kpi_days(), 9);
        assert_eq!(p.executions.len(), 1);
        assert_eq!(p.executions[0].kpis, ["a", "b", "c"]);
        assert_eq!(
            p.executions[0].input()["dates"].as_array().unwrap().len(),
            3
        );
    }

    #[test]
    fn only_missing_stale_and_downstream_kpi_days_are_due() {
        let m = manifest();
        let range = days("2024-01-01", 3);
        let mut catalog = LocalCatalog::default();
        for kpi in ["a", "b", "c"] {
            for d in &range {
                publish(&mut catalog, kpi, d, &format!("f-{kpi}"));
            }
        }
        let p = plan(&m, &catalog, None, &range, &[], false);
        assert_eq!((p.kpi_days(), p.up_to_date), (0, 9));
        assert!(p.executions.is_empty());

        // b changed its definition on one day's partition; a was rewritten on the 2nd.
        publish(&mut catalog, "b", "2024-01-03", "old");
        publish(&mut catalog, "a", "2024-01-02", "f-a");
        let p = plan(&m, &catalog, None, &range, &[], false);
        let due = |k: &str| p.due.get(k).cloned().unwrap_or_default();
        assert_eq!(due("a"), BTreeSet::new());
        assert_eq!(due("b"), BTreeSet::from(["2024-01-03".to_string()]));
        // c reads a over 2 days: the 2nd and 3rd read a's 2nd; the 3rd also reads b's 3rd.
        assert_eq!(
            due("c"),
            BTreeSet::from(["2024-01-02".to_string(), "2024-01-03".to_string()])
        );
        // b's days and c's days differ, so two executions, b's first.
        assert_eq!(p.executions.len(), 2);
        assert_eq!(p.executions[0].kpis, ["b"]);
        assert_eq!(p.executions[1].kpis, ["c"]);

        let forced = plan(&m, &catalog, None, &range, &[], true);
        assert_eq!(forced.kpi_days(), 9);
    }

    #[test]
    fn a_selected_kpi_brings_what_it_reads() {
        let p = plan(
            &manifest(),
            &LocalCatalog::default(),
            None,
            &days("2024-01-01", 1),
            &["c".into()],
            false,
        );
        assert_eq!(p.due.keys().collect::<Vec<_>>(), ["a", "b", "c"]);
        let p = plan(
            &manifest(),
            &LocalCatalog::default(),
            None,
            &days("2024-01-01", 1),
            &["a".into()],
            false,
        );
        assert_eq!(p.due.keys().collect::<Vec<_>>(), ["a"]);
    }

    #[test]
    fn long_ranges_are_split_into_executions_the_machine_accepts() {
        let p = plan(
            &manifest(),
            &LocalCatalog::default(),
            None,
            &days("2024-01-01", 800),
            &[],
            false,
        );
        let sizes: Vec<usize> = p.executions.iter().map(|e| e.days.len()).collect();
        assert_eq!(sizes, [366, 366, 68]);
        assert_eq!(p.executions[0].days[0], "2024-01-01");
        assert_eq!(
            p.executions[1].days[0],
            day_text(day_number("2024-01-01").unwrap() + 366)
        );
    }

    #[test]
    fn executions_come_after_those_computing_what_they_read() {
        // a is due on day 1 only and b on day 2 only, c on both: three groups, c last.
        let m = manifest();
        let range = days("2024-01-01", 2);
        let mut catalog = LocalCatalog::default();
        publish(&mut catalog, "a", "2024-01-02", "f-a");
        publish(&mut catalog, "b", "2024-01-01", "f-b");
        let p = plan(&m, &catalog, None, &range, &[], false);
        let order: Vec<&[String]> = p.executions.iter().map(|e| e.kpis.as_slice()).collect();
        let position = |k: &str| {
            order
                .iter()
                .position(|ks| ks.iter().any(|x| x == k))
                .unwrap()
        };
        assert!(position("a") < position("c") && position("b") < position("c"));
    }
}
