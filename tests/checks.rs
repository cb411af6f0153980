//! Checks that fail on a real lake, through `kpi run`: a row check, a `unique` check and a
//! partition check each fail exactly the days whose data breaks them, computed in plain Rust
//! over the raw files; a failed KPI-day is not published (its previous partition stays), the
//! run exits 1, and its failure names the day and the check (file, line, text). A check holds
//! only when its condition is true: NULL fails it, and `x is null or …` lets NULLs through.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
#[path = "common/outputs.rs"]
mod outputs;
#[path = "common/runs.rs"]
mod runs;
#[path = "common/test_lake.rs"]
mod test_lake;
#[path = "common/test_raw.rs"]
mod test_raw;
#[path = "common/value_cases.rs"]
mod value_cases;

use chrono::NaiveDate;
use outputs::{Published, Table};
use runs::Outcome;
use std::collections::{BTreeMap, BTreeSet};
use value_cases::{Case, group, pristine};

/// Day → company → that company's events of the day.
fn events_per_company() -> BTreeMap<NaiveDate, BTreeMap<Option<i64>, i64>> {
    let raw = &pristine().1;
    raw.days()
        .into_iter()
        .map(|d| {
            let groups = group(raw.events_of(d), |e| e.company_id);
            (
                d,
                groups
                    .into_iter()
                    .map(|(c, g)| (c, g.len() as i64))
                    .collect(),
            )
        })
        .collect()
}

/// A bound that some days' figures reach and others' do not.
fn splitting(figures: &BTreeMap<NaiveDate, i64>) -> i64 {
    let mut sorted: Vec<i64> = figures.values().copied().collect();
    sorted.sort_unstable();
    let bound = sorted[sorted.len() / 2];
    let reached = figures.values().filter(|f| **f >= bound).count();
    assert!(reached > 0 && reached < figures.len(), "{figures:?}");
    bound
}

/// (day → error) of the KPI's failures.
fn failures(out: &Outcome, kpi: &str) -> BTreeMap<String, String> {
    out.failures()
        .into_iter()
        .filter(|(k, _, _)| k == kpi)
        .map(|(_, day, error)| (day, error))
        .collect()
}

/// Day → the location the local catalog points the KPI's partition at.
fn locations(case: &Case, kpi: &str) -> BTreeMap<String, String> {
    let catalog = outputs::catalog(case.lake.path());
    catalog["tables"][format!("test_kpi.{kpi}")]["partitions"]
        .as_object()
        .map(|p| {
            p.iter()
                .map(|(d, v)| (d.clone(), v["location"].as_str().unwrap().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

fn days_of(published: &Published, kpi: &str) -> BTreeSet<String> {
    published
        .keys()
        .filter(|(k, _)| k == kpi)
        .map(|(_, d)| d.clone())
        .collect()
}

fn all_days() -> BTreeSet<String> {
    pristine()
        .1
        .days()
        .iter()
        .map(ToString::to_string)
        .collect()
}

fn text_of<T: ToString>(days: impl IntoIterator<Item = T>) -> BTreeSet<String> {
    days.into_iter().map(|d| d.to_string()).collect()
}

/// Asserts the error of a failed KPI-day names the check by its file, line and text, and says
/// how many rows (or groups) broke it, when that is known; the failure itself names the KPI
/// and the day. Only what any wording of the message must say is asserted.
fn assert_names(error: &str, check: &str, count: Option<usize>) {
    let label = format!("checks.kpi:{check}");
    assert!(error.contains(&label), "{label:?} is not in {error:?}");
    if let Some(count) = count {
        // The first number after the check's text.
        let after = &error[error.find(&label).unwrap() + label.len()..];
        let first = after
            .split(|c: char| !c.is_ascii_digit())
            .find_map(|n| n.parse::<usize>().ok());
        assert_eq!(first, Some(count), "{error:?}");
    }
}

const BUSY: &str = "/// Events per company.
kpi busy_companies {
  from events e
  group by e.company_id
  measure events = count(*)
  check CONDITION
}
";

#[test]
fn a_failing_row_check_keeps_the_previous_partition_and_names_the_check_and_the_day() {
    let per_day = events_per_company();
    let busiest: BTreeMap<NaiveDate, i64> = per_day
        .iter()
        .map(|(d, c)| (*d, *c.values().max().unwrap()))
        .collect();
    let bound = splitting(&busiest);
    let case = Case::new(
        None,
        &[("checks.kpi", &BUSY.replace("CONDITION", "events > 0"))],
    );
    let first = case.run(&[]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    let before = (case.published(), locations(&case, "busy_companies"));
    assert_eq!(days_of(&before.0, "busy_companies"), all_days());

    // The same KPI, now with a bound the busiest days break.
    let condition = format!("events < {bound}");
    std::fs::write(
        case.project.path().join("checks.kpi"),
        BUSY.replace("CONDITION", &condition),
    )
    .unwrap();
    let out = case.run(&[]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let failed = failures(&out, "busy_companies");
    let breaking = text_of(busiest.iter().filter(|(_, b)| **b >= bound).map(|(d, _)| d));
    assert_eq!(failed.keys().cloned().collect::<BTreeSet<_>>(), breaking);
    for (day, error) in &failed {
        let rows = per_day[&test_raw_day(day)]
            .values()
            .filter(|n| **n >= bound)
            .count();
        assert_names(error, &format!("6: {condition}"), Some(rows));
    }
    // Failed days keep the partition of the first run; the others are the new definition's.
    let after = (case.published(), locations(&case, "busy_companies"));
    assert_eq!(days_of(&after.0, "busy_companies"), all_days());
    for day in all_days() {
        let key = ("busy_companies".to_string(), day.clone());
        if breaking.contains(&day) {
            assert_eq!(after.1[&day], before.1[&day], "{day} keeps its partition");
            assert_eq!(after.0[&key], before.0[&key]);
        } else {
            assert_ne!(after.1[&day], before.1[&day], "{day} is republished");
            assert_eq!(after.0[&key], before.0[&key], "{day}: the same rows");
        }
    }
}

fn test_raw_day(day: &str) -> NaiveDate {
    NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap()
}

#[test]
fn a_failing_unique_check_fails_only_the_day_with_duplicates() {
    // On the 4th, each company has one row per kind of event; on the other days, one row.
    let day = test_lake::day(3);
    let text = format!(
        "/// Events per company, split by kind on one day.
kpi kinds {{
  from events e
  group by e.company_id,
    kind = case when day = date '{day}' then e.kind else 'any' end
  measure events = count(*)
  check unique(company_id)
}}
"
    );
    let case = Case::new(None, &[("checks.kpi", &text)]);
    let out = case.run(&[]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let failed = failures(&out, "kinds");
    assert_eq!(
        failed.keys().cloned().collect::<Vec<_>>(),
        vec![day.to_string()]
    );
    let duplicated = group(pristine().1.events_of(day), |e| e.company_id)
        .values()
        .filter(|g| g.iter().map(|e| &e.kind).collect::<BTreeSet<_>>().len() > 1)
        .count();
    assert!(duplicated > 1);
    assert_names(
        &failed[&day.to_string()],
        "7: unique(company_id)",
        Some(duplicated),
    );
    let mut published = all_days();
    published.remove(&day.to_string());
    assert_eq!(days_of(&case.published(), "kinds"), published);
}

#[test]
fn a_failing_partition_check_fails_the_days_whose_total_breaks_it() {
    let totals: BTreeMap<NaiveDate, i64> = events_per_company()
        .into_iter()
        .map(|(d, c)| (d, c.values().sum()))
        .collect();
    let bound = splitting(&totals);
    let condition = format!("sum(events) < {bound}");
    let case = Case::new(
        None,
        &[("checks.kpi", &BUSY.replace("CONDITION", &condition))],
    );
    let out = case.run(&[]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let failed = failures(&out, "busy_companies");
    let breaking = text_of(totals.iter().filter(|(_, t)| **t >= bound).map(|(d, _)| d));
    assert_eq!(failed.keys().cloned().collect::<BTreeSet<_>>(), breaking);
    for error in failed.values() {
        assert_names(error, &format!("6: {condition}"), None);
    }
    let published = days_of(&case.published(), "busy_companies");
    assert_eq!(
        published,
        all_days().difference(&breaking).cloned().collect()
    );
}

const DURATIONS: &str = "/// The longest event per company: NULL where no event has a duration.
kpi longest {
  from events e
  group by e.company_id
  measure longest = max(e.duration_ms)
  check CONDITION
}

/// The same for one company, checked over the partition.
kpi longest_of_three {
  from events e
  where e.company_id = 3
  group by e.company_id
  measure longest = max(e.duration_ms)
  check max(longest) > 0
}
";

#[test]
fn null_fails_a_check_and_is_null_or_lets_it_through() {
    // The one company-day whose events all lack a duration has a NULL `longest`.
    let raw = &pristine().1;
    let null_days: BTreeSet<String> = raw
        .days()
        .into_iter()
        .filter(|d| {
            group(raw.events_of(*d), |e| e.company_id)
                .values()
                .any(|g| g.iter().all(|e| e.duration_ms.is_none()))
        })
        .map(|d| d.to_string())
        .collect();
    let (company, index) = test_lake::NO_DURATIONS;
    assert_eq!(
        null_days,
        text_of([test_lake::day(index)]),
        "company {company}"
    );

    let case = Case::new(
        None,
        &[("checks.kpi", &DURATIONS.replace("CONDITION", "longest > 0"))],
    );
    let out = case.run(&[]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let row = failures(&out, "longest");
    assert_eq!(row.keys().cloned().collect::<BTreeSet<_>>(), null_days);
    let partition = failures(&out, "longest_of_three");
    assert_eq!(
        partition.keys().cloned().collect::<BTreeSet<_>>(),
        null_days
    );
    for day in &null_days {
        assert_names(&row[day], "6: longest > 0", Some(1));
        assert_names(&partition[day], "15: max(longest) > 0", None);
    }
    let published = case.published();
    let expected: BTreeSet<String> = all_days().difference(&null_days).cloned().collect();
    assert_eq!(days_of(&published, "longest"), expected);
    assert_eq!(days_of(&published, "longest_of_three"), expected);

    // Allowing NULL in so many words publishes every day, the NULL row included.
    let allowing = DURATIONS.replace("CONDITION", "longest is null or longest > 0");
    std::fs::write(case.project.path().join("checks.kpi"), allowing).unwrap();
    let out = case.run(&["--kpi", "longest"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let published = case.published();
    assert_eq!(days_of(&published, "longest"), all_days());
    let day = null_days.iter().next().unwrap();
    let table: &Table = &published[&("longest".to_string(), day.clone())];
    let at = |c: &str| table.columns.iter().position(|x| x == c).unwrap();
    let null_row = table
        .rows
        .iter()
        .find(|r| r[at("company_id")].as_deref() == Some(&company.to_string()))
        .unwrap();
    assert_eq!(
        null_row[at("longest")],
        None,
        "{day}: company {company} is published, NULL"
    );
}
