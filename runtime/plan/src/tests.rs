//! The run plan: due KPI-days, selection, ordering, executions cut by span.

use super::*;

/// Three KPIs: `a` and `b` read sources; `c` reads `a` over 2 days and `b` on the day; `d`
/// reads `c`.
fn manifest(max_backfill_days: u32) -> Manifest {
    let kpi = |name: &str, level: usize, reads: Value| {
        let upstream: Vec<String> = reads
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["target"]["kind"] == "kpi")
            .map(|r| r["target"]["name"].as_str().unwrap().to_string())
            .collect();
        json!({"name": name, "doc": null, "fingerprint": format!("f-{name}"), "level": level,
               "upstream": upstream, "reads": reads, "location": "", "attempts_location": "",
               "columns": [], "dimensions": [], "statements": []})
    };
    let read = |kind: &str, name: &str, days: u32| {
        json!({"target": {"kind": kind, "name": name},
               "window": {"days": days, "ends_before": 0}, "partitioned": true})
    };
    serde_json::from_value(json!({
        "version": 3, "generated_by": "test",
        "project": {"project": "p", "database": "db", "location": "s3://b/", "workgroup": "w",
                    "concurrency": 4, "crawler": null, "history_start": "2024-01-01",
                    "time_zone": "UTC", "chunk_days": 100, "max_backfill_days": max_backfill_days},
        "sources": [],
        "states": [],
        "machines": [{"suffix": "", "file": "statemachine.asl.json", "substitution": null}],
        "substitutions": {},
        "kpis": [
            kpi("a", 0, json!([read("source", "events", 1)])),
            kpi("b", 0, json!([read("source", "events", 1)])),
            kpi("c", 1, json!([read("kpi", "a", 2), read("kpi", "b", 1)])),
            kpi("d", 2, json!([read("kpi", "c", 1)])),
        ]
    }))
    .unwrap()
}

fn day(s: &str) -> Day {
    Day::parse(s).unwrap()
}

fn days(from: &str, n: i64) -> Vec<Day> {
    (0..n).map(|i| day(from).add_days(i).unwrap()).collect()
}

fn all(m: &Manifest) -> BTreeSet<String> {
    select(m, &[]).unwrap()
}

fn publish(catalog: &mut Partitions, kpi: &str, d: Day, fingerprint: &str) {
    let sequence = catalog
        .published
        .values()
        .map(|days| days.len() as u64)
        .sum::<u64>()
        + 1;
    catalog.publish(
        kpi,
        d,
        Published {
            fingerprint: fingerprint.into(),
            sequence,
            inputs: None,
        },
    );
}

#[test]
fn an_empty_lake_computes_everything_in_one_execution() {
    let m = manifest(366);
    let p = plan(
        &m,
        &Partitions::default(),
        &days("2024-01-01", 3),
        &all(&m),
        false,
    );
    assert_eq!(p.kpi_days(), 12);
    assert_eq!(p.executions.len(), 1);
    assert_eq!(p.executions[0].kpis, ["a", "b", "c", "d"]);
    assert_eq!(
        p.executions[0].input()["dates"].as_array().unwrap().len(),
        3
    );
    assert_eq!(p.executions[0].input()["dates"][0], "2024-01-01");
}

#[test]
fn only_missing_stale_and_downstream_kpi_days_are_due() {
    let m = manifest(366);
    let range = days("2024-01-01", 3);
    let mut catalog = Partitions::default();
    for kpi in ["a", "b", "c", "d"] {
        for d in &range {
            publish(&mut catalog, kpi, *d, &format!("f-{kpi}"));
        }
    }
    let p = plan(&m, &catalog, &range, &all(&m), false);
    assert_eq!((p.kpi_days(), p.up_to_date), (0, 12));
    assert!(p.executions.is_empty());

    // b changed its definition on one day's partition; a was rewritten on the 2nd.
    publish(&mut catalog, "b", day("2024-01-03"), "old");
    publish(&mut catalog, "a", day("2024-01-02"), "f-a");
    let p = plan(&m, &catalog, &range, &all(&m), false);
    let due = |k: &str| p.due.get(k).cloned().unwrap_or_default();
    assert_eq!(due("a"), BTreeSet::new());
    assert_eq!(due("b"), BTreeSet::from([day("2024-01-03")]));
    // c reads a over 2 days: the 2nd and 3rd read a's 2nd; the 3rd also reads b's 3rd; d follows c.
    assert_eq!(
        due("c"),
        BTreeSet::from([day("2024-01-02"), day("2024-01-03")])
    );
    assert_eq!(due("d"), due("c"));
    assert_eq!(p.executions.len(), 2);
    assert_eq!(p.executions[0].kpis, ["b"]);
    assert_eq!(p.executions[1].kpis, ["c", "d"]);
    assert_eq!(plan(&m, &catalog, &range, &all(&m), true).kpi_days(), 12);
}

#[test]
fn a_selected_kpi_brings_what_it_reads_and_a_plus_what_reads_it() {
    let m = manifest(366);
    let names = |asked: &[&str]| {
        select(&m, &asked.iter().map(|s| s.to_string()).collect::<Vec<_>>())
            .unwrap()
            .into_iter()
            .collect::<Vec<_>>()
    };
    assert_eq!(names(&["c"]), ["a", "b", "c"]);
    assert_eq!(names(&["a"]), ["a"]);
    assert_eq!(names(&["a+"]), ["a", "b", "c", "d"]);
    assert_eq!(names(&["c+"]), ["a", "b", "c", "d"]);
    assert_eq!(names(&["d+"]), ["a", "b", "c", "d"]);
    assert!(select(&m, &["e".to_string()]).unwrap_err().contains("`e`"));
    // Only what was asked for is computed: a's day is not brought by c being asked for b.
    let p = plan(
        &m,
        &Partitions::default(),
        &days("2024-01-01", 1),
        &select(&m, &["a".into()]).unwrap(),
        false,
    );
    assert_eq!(p.due.keys().collect::<Vec<_>>(), ["a"]);
}

#[test]
fn upstream_days_a_window_reads_are_brought_in_when_missing() {
    let m = manifest(366);
    // c on the 5th reads a on the 4th and 5th: a's 4th is computed too, b's only on the 5th.
    let p = plan(
        &m,
        &Partitions::default(),
        &[day("2024-01-05")],
        &select(&m, &["c".into()]).unwrap(),
        false,
    );
    assert_eq!(
        p.due["a"],
        BTreeSet::from([day("2024-01-04"), day("2024-01-05")])
    );
    assert_eq!(p.due["b"], BTreeSet::from([day("2024-01-05")]));
    // Never before history_start.
    let p = plan(
        &m,
        &Partitions::default(),
        &[day("2024-01-01")],
        &select(&m, &["c".into()]).unwrap(),
        false,
    );
    assert_eq!(p.due["a"], BTreeSet::from([day("2024-01-01")]));
}

#[test]
fn executions_are_cut_by_span_not_by_count() {
    let m = manifest(366);
    // 800 days, one of them already computed: the due days still span at most 366 days each.
    let range = days("2024-01-01", 800);
    let mut catalog = Partitions::default();
    for kpi in ["a", "b", "c", "d"] {
        publish(&mut catalog, kpi, day("2024-03-01"), &format!("f-{kpi}"));
    }
    let p = plan(&m, &catalog, &range, &all(&m), false);
    for e in &p.executions {
        let span = e.days.last().unwrap().since(e.days[0]) + 1;
        assert!(span <= 366, "{span}");
    }
    let sizes: Vec<usize> = p.executions.iter().map(|e| e.days.len()).collect();
    // a and b skip the computed day; c and d read a on the day before, which is due.
    assert_eq!(sizes, [365, 366, 68, 366, 366, 68]);
    assert_eq!(p.executions[0].kpis, ["a", "b"]);
    assert_eq!(p.executions[3].kpis, ["c", "d"]);
    // A shorter limit from kpi.yaml.
    let m = manifest(30);
    let p = plan(
        &m,
        &Partitions::default(),
        &days("2024-01-01", 61),
        &all(&m),
        false,
    );
    assert_eq!(
        p.executions
            .iter()
            .map(|e| e.days.len())
            .collect::<Vec<_>>(),
        [30, 30, 1]
    );
}

#[test]
fn scattered_days_are_cut_at_the_runs_the_machine_accepts() {
    // 366 days, chunks of 100: four runs per execution (and at least four).
    let m = manifest(366);
    let scattered: Vec<Day> = (0..10)
        .map(|i| day("2024-01-01").add_days(i * 3).unwrap())
        .collect();
    let p = plan(
        &m,
        &Partitions::default(),
        &scattered,
        &select(&m, &["a".into()]).unwrap(),
        false,
    );
    let sizes: Vec<usize> = p.executions.iter().map(|e| e.days.len()).collect();
    assert_eq!(sizes, [4, 4, 2]);
    for e in &p.executions {
        assert!(DayRange::runs(&e.days).len() <= 4);
    }
}

#[test]
fn executions_come_after_those_computing_what_they_read() {
    // a is due on day 1 only and b on day 2 only, c and d on both.
    let m = manifest(366);
    let range = days("2024-01-01", 2);
    let mut catalog = Partitions::default();
    publish(&mut catalog, "a", day("2024-01-02"), "f-a");
    publish(&mut catalog, "b", day("2024-01-01"), "f-b");
    let p = plan(&m, &catalog, &range, &all(&m), false);
    let order: Vec<&[String]> = p.executions.iter().map(|e| e.kpis.as_slice()).collect();
    let position = |k: &str| {
        order
            .iter()
            .position(|ks| ks.iter().any(|x| x == k))
            .unwrap()
    };
    assert!(position("a") < position("c") && position("b") < position("c"));
    assert!(position("c") <= position("d"));
}

#[test]
fn chunks_are_runs_of_consecutive_days_cut_at_the_chunk_size() {
    let mut ds = days("2024-01-01", 250);
    ds.retain(|d| *d != day("2024-02-15"));
    let cut = chunks(&ds, 100);
    assert_eq!(
        cut.iter().map(|c| c.len()).collect::<Vec<_>>(),
        [45, 100, 100, 4]
    );
}

#[test]
fn a_day_that_fails_before_the_run_takes_exactly_its_readers_with_it() {
    let m = manifest(366);
    let mut p = plan(
        &m,
        &Partitions::default(),
        &days("2024-01-01", 4),
        &all(&m),
        false,
    );
    let left_out = p.leave_out(&m, |kpi, d| {
        (kpi.name == "a" && d == day("2024-01-02")).then(|| "damaged".to_string())
    });
    let names: Vec<String> = left_out
        .iter()
        .map(|(k, d, _)| format!("{k} {d}"))
        .collect();
    // c reads a over 2 days: its 2nd and 3rd; d reads c on the day.
    assert_eq!(
        names,
        [
            "a 2024-01-02",
            "c 2024-01-02",
            "c 2024-01-03",
            "d 2024-01-02",
            "d 2024-01-03"
        ]
    );
    assert_eq!(left_out[1].2, "upstream a 2024-01-02 failed");
    assert_eq!(p.due["a"].len(), 3);
    assert_eq!(p.due["b"].len(), 4);
    assert_eq!(
        p.due["c"],
        BTreeSet::from([day("2024-01-01"), day("2024-01-04")])
    );
    // The executions hold what is left.
    let planned: usize = p
        .executions
        .iter()
        .map(|e| {
            e.kpis
                .iter()
                .map(|k| e.days.iter().filter(|d| p.due[k].contains(d)).count())
                .sum::<usize>()
        })
        .sum();
    assert_eq!(planned, p.kpi_days());
}

#[test]
fn a_day_published_before_an_upstream_day_it_reads_is_due_unless_its_time_is_unknown() {
    let m = manifest(366);
    let d = day("2024-01-05");
    let at = |catalog: &mut Partitions, kpi: &str, sequence: u64| {
        catalog.publish(
            kpi,
            d,
            Published {
                fingerprint: format!("f-{kpi}"),
                sequence,
                inputs: None,
            },
        );
    };
    let selected = select(&m, &["c".into()]).unwrap();
    let due = |catalog: &Partitions| {
        let p = plan(&m, catalog, &[d], &selected, false);
        p.due.keys().cloned().collect::<Vec<_>>()
    };
    // Publication times as Glue keeps them (milliseconds); c reads a over 2 days and b on
    // its day.
    let mut catalog = Partitions::default();
    at(&mut catalog, "a", 1_700_000_000_000);
    catalog.publish(
        "a",
        day("2024-01-04"),
        Published {
            fingerprint: "f-a".into(),
            sequence: 1_700_000_000_000,
            inputs: None,
        },
    );
    at(&mut catalog, "b", 1_700_000_000_000);
    at(&mut catalog, "c", 1_700_000_000_500);
    assert_eq!(due(&catalog), Vec::<String>::new());
    // b republished after c's day was: c is due, b is not.
    at(&mut catalog, "b", 1_700_000_001_000);
    assert_eq!(due(&catalog), ["c"]);
    // c's own time unknown (published before kpi.published was written): nothing to compare.
    at(&mut catalog, "c", 0);
    assert_eq!(due(&catalog), Vec::<String>::new());
}
