//! Every function of the language with a value test: the cases `tests/values/functions`,
//! `event_functions`, `null_arguments` and `map_cardinality`, run by `kpi run` over every day
//! of the generated test lake, each KPI-day compared with plain Rust over the raw files
//! (Athena's semantics: a function given a NULL returns NULL).

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
#[path = "common/translated.rs"]
mod translated;
#[path = "common/value_cases.rs"]
mod value_cases;

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};
use outputs::V;
use std::collections::BTreeMap;
use value_cases::{
    Case, check_case, check_published, count, days_ago, distinct, group, max, min, sum_f64,
    sum_int, table,
};

/// `round(x, digits)` on a double, as both engines compute it: half away from zero.
fn round(x: f64, digits: i32) -> f64 {
    let p = 10f64.powi(digits);
    (x * p).round() / p
}

#[test]
fn every_function_without_timestamps() {
    check_case("tests/values/functions", |raw, day| {
        let departments: BTreeMap<i64, &test_raw::Department> = raw.departments[&day]
            .iter()
            .filter_map(|d| Some((d.department_id?, d)))
            .collect();
        let kept = raw.members_of(day).iter().filter_map(|m| {
            let d = *departments.get(&m.department_id?)?;
            let role = m.role.as_deref()?;
            (role.to_lowercase().starts_with("me") || role.to_uppercase() == "ADMIN")
                .then_some((m, d))
        });
        let groups = group(kept, |(m, d)| {
            let name = d.name.clone().unwrap();
            (
                m.company_id,
                name.trim().to_string(),
                format!("{name}!").to_uppercase(),
                name.chars().count() as i64,
                name.trim().chars().take(3).collect::<String>(),
                m.joined_on.unwrap().year().to_string(),
            )
        });
        let weekday = i64::from(day.weekday().number_from_monday());
        let functions = table(
            &[
                "company_id",
                "department",
                "shout",
                "name_length",
                "first_letters",
                "weekday",
                "joined_year",
            ],
            groups,
            |(c, department, shout, length, letters, year), g| {
                let scores = || g.iter().map(|(m, _)| m.score);
                let flags = || g.iter().map(|(m, _)| m.flags.as_ref());
                let tenure = g
                    .iter()
                    .map(|(m, _)| m.joined_on.map(|j| (day - j).num_days()));
                let text_tenure = g.iter().map(|(m, _)| {
                    m.joined_text.as_deref().map(|t| {
                        (day - NaiveDate::parse_from_str(t, "%Y-%m-%d").unwrap()).num_days()
                    })
                });
                let ids = g.iter().map(|(m, _)| m.member_id);
                let greatest = scores().map(|s| s.unwrap_or(0.0).max(1.5));
                let least = scores().map(|s| s.unwrap_or(0.0).min(1.5));
                vec![
                    ("company_id", V::opt(*c)),
                    ("department", department.clone().into()),
                    ("shout", shout.clone().into()),
                    ("name_length", (*length).into()),
                    ("first_letters", letters.clone().into()),
                    ("weekday", weekday.into()),
                    ("joined_year", year.clone().into()),
                    ("members", g.len().into()),
                    ("total_score", sum_f64(scores())),
                    (
                        "score_abs",
                        match sum_f64(scores().map(|s| s.map(f64::abs))) {
                            V::Float(x) => V::Float(round(x, 3)),
                            other => other,
                        },
                    ),
                    ("rounded", sum_f64(scores().map(|s| s.map(f64::round)))),
                    (
                        "with_default",
                        sum_f64(scores().map(|s| Some(s.unwrap_or(0.0)))),
                    ),
                    ("best", V::opt(greatest.reduce(f64::max))),
                    ("worst", V::opt(least.reduce(f64::min))),
                    (
                        "not_three",
                        count(flags().map(|f| f.map(Vec::len).filter(|n| *n != 3))),
                    ),
                    (
                        "first_flags",
                        sum_int(flags().map(|f| f.and_then(|f| f.first().copied().flatten()))),
                    ),
                    (
                        "with_two",
                        flags()
                            .filter(|f| f.is_some_and(|f| f.contains(&Some(2))))
                            .count()
                            .into(),
                    ),
                    ("tenure", max(tenure)),
                    ("text_tenure", max(text_tenure)),
                    (
                        "tenths",
                        sum_int(scores().map(|s| s.map(|s| (s * 10.0).round() as i64))),
                    ),
                    ("ids", sum_f64(ids.clone().map(|i| i.map(|i| i as f64)))),
                    ("from_text", sum_int(ids)),
                    (
                        "role_tails",
                        distinct(g.iter().map(|(m, _)| {
                            m.role
                                .as_ref()
                                .map(|r| r.chars().skip(1).collect::<String>())
                        })),
                    ),
                ]
            },
        );
        BTreeMap::from([("member_functions", functions)])
    });
}

#[test]
fn timestamps_their_date_hour_and_weekday() {
    check_case("tests/values/event_functions", |raw, day| {
        let stamped = raw.events_of(day).iter().filter(|e| e.ts.is_some());
        let groups = group(stamped, |e| {
            let ts = e.ts.unwrap();
            (
                e.company_id,
                i64::from(ts.hour()),
                i64::from(ts.weekday().number_from_monday()),
            )
        });
        let by_hour = table(
            &["company_id", "hour_of_day", "weekday"],
            groups,
            |(c, h, w), g| {
                let dates = || g.iter().map(|e| e.ts.unwrap().date());
                vec![
                    ("company_id", V::opt(*c)),
                    ("hour_of_day", (*h).into()),
                    ("weekday", (*w).into()),
                    ("events", g.len().into()),
                    ("first_at", V::opt(g.iter().filter_map(|e| e.ts).min())),
                    ("last_at", V::opt(g.iter().filter_map(|e| e.ts).max())),
                    (
                        "late",
                        dates().filter(|d| *d == days_ago(day, 1)).count().into(),
                    ),
                    ("on_day", dates().filter(|d| *d == day).count().into()),
                    (
                        "ages",
                        dates().map(|d| (day - d).num_days()).sum::<i64>().into(),
                    ),
                ]
            },
        );
        BTreeMap::from([("events_by_hour", by_hour)])
    });
}

/// greatest, least and concat return NULL when an argument is NULL, as on Athena (DuckDB's
/// own skip NULL arguments: the DuckDB dialect guards them).
#[test]
fn functions_given_a_null_argument_return_null() {
    check_case("tests/values/null_arguments", |raw, day| {
        let members = raw.members_of(day);
        let groups = group(members, |m| m.company_id);
        let nulls = table(&["company_id"], groups, |c, g| {
            let scored = count(g.iter().map(|m| m.score));
            let texts = count(
                g.iter()
                    .map(|m| m.joined_text.as_ref().and(m.role.as_ref())),
            );
            vec![
                ("company_id", V::opt(*c)),
                ("members", g.len().into()),
                ("greatest_scores", scored.clone()),
                ("least_scores", scored),
                ("concat_texts", texts.clone()),
                ("pipe_texts", texts),
            ]
        });
        BTreeMap::from([("null_arguments", nulls)])
    });
}

/// cardinality of a map counts its entries (DuckDB's len() is not defined on maps).
#[test]
fn the_cardinality_of_a_map() {
    check_case("tests/values/map_cardinality", |raw, day| {
        let groups = group(raw.events_of(day), |e| e.company_id);
        let entries = table(&["company_id"], groups, |c, g| {
            let sizes = || {
                g.iter()
                    .map(|e| e.attributes.as_ref().map(|a| a.len() as i64))
            };
            vec![
                ("company_id", V::opt(*c)),
                ("events", g.len().into()),
                ("entries", sum_int(sizes())),
                ("empty", sizes().filter(|n| *n == Some(0)).count().into()),
            ]
        });
        BTreeMap::from([("map_entries", entries)])
    });
}

/// Runs a case folder over every day of the test lake, compares every KPI-day with `oracle`,
/// and the case's Athena SQL, translated to DuckDB by sqlglot, with what it published.
fn check_case_and_its_athena_sql(
    folder: &str,
    oracle: impl Fn(&test_raw::RawLake, NaiveDate) -> BTreeMap<&'static str, outputs::Expected>,
) {
    let case = Case::new(Some(folder), &[]);
    let out = case.run(&[]);
    assert_eq!(
        out.code,
        0,
        "{folder}: {}\n{:#?}",
        out.stderr,
        out.failures()
    );
    let published = case.published();
    let compared = check_published(folder, &published, oracle);
    assert!(compared > 100, "{folder}: only {compared} values compared");
    let last = test_lake::day(test_lake::DAYS - 1).to_string();
    let rows = translated::athena_translation_matches(
        case.project.path(),
        case.lake.path(),
        &published,
        test_lake::FIRST,
        &last,
    );
    assert!(rows > 0 || std::env::var("KPI_ALLOW_SKIP").is_ok_and(|v| v == "1"));
}

/// A timestamp truncated to its minute, hour or day.
fn truncated(ts: NaiveDateTime, unit: &str) -> NaiveDateTime {
    let t = ts.with_nanosecond(0).unwrap().with_second(0).unwrap();
    match unit {
        "minute" => t,
        "hour" => t.with_minute(0).unwrap(),
        _ => t.date().and_hms_opt(0, 0, 0).unwrap(),
    }
}

/// Whole units from `a` to `b`, truncated toward zero (Trino's date_diff).
fn elapsed(a: Option<NaiveDateTime>, b: Option<NaiveDateTime>, unit_ms: i64) -> Option<i64> {
    Some((b? - a?).num_milliseconds() / unit_ms)
}

/// seconds_between, minutes_between and hours_between count whole units elapsed, negative
/// when the second timestamp is earlier, truncated toward zero (so 59.5 s back is -59, and
/// 10:59:30 to 11:00:10 is no hour); trunc_minute, trunc_hour and trunc_day give timestamps.
#[test]
fn timestamp_differences_and_truncation() {
    check_case_and_its_athena_sql("tests/values/timestamps", |raw, day| {
        let events = raw.events_of(day);
        let groups = group(events.iter(), |e| {
            (e.company_id, e.ts.map(|t| truncated(t, "hour")))
        });
        let per_hour = table(&["company_id", "hour_start"], groups, |(c, h), g| {
            let ts = || g.iter().map(|e| e.ts);
            let since = |unit: &str, ms: i64| {
                sum_int(ts().map(|t| elapsed(t.map(|t| truncated(t, unit)), t, ms)))
            };
            vec![
                ("company_id", V::opt(*c)),
                ("hour_start", V::opt(*h)),
                ("events", g.len().into()),
                (
                    "day_start",
                    min(ts().map(|t| t.map(|t| truncated(t, "day")))),
                ),
                (
                    "minutes_seen",
                    distinct(ts().map(|t| t.map(|t| truncated(t, "minute")))),
                ),
                ("seconds_into_hour", since("hour", 1000)),
                ("minutes_into_day", since("day", 60_000)),
                ("hours_into_day", since("day", 3_600_000)),
                (
                    "seconds_back_to_minute",
                    sum_int(ts().map(|t| elapsed(t, t.map(|t| truncated(t, "minute")), 1000))),
                ),
            ]
        });
        let pairs = events
            .iter()
            .filter(|p| p.kind.as_deref() == Some("post"))
            .flat_map(|p| {
                events
                    .iter()
                    .filter(move |l| {
                        l.kind.as_deref() == Some("login")
                            && l.member_id.is_some()
                            && l.member_id == p.member_id
                    })
                    .map(move |l| (p, l))
            });
        let by_company = group(pairs, |(p, _)| p.company_id);
        let waits = table(&["company_id"], by_company, |c, g| {
            let between = |ms: i64| g.iter().map(move |(p, l)| elapsed(l.ts, p.ts, ms));
            vec![
                ("company_id", V::opt(*c)),
                ("pairs", g.len().into()),
                ("seconds", sum_int(between(1000))),
                ("minutes", sum_int(between(60_000))),
                ("hours", sum_int(between(3_600_000))),
                ("longest_wait", max(between(1000))),
                ("timed", count(between(1000))),
            ]
        });
        BTreeMap::from([("events_per_hour", per_hour), ("post_after_login", waits)])
    });
}

/// The nearest-rank percentile of the non-NULL values: the value at rank
/// `max(1, ceil(p × n))` of the `n` sorted values (`p` in millionths, in integers: exact).
fn nearest_rank<T: Clone>(
    values: impl IntoIterator<Item = Option<T>>,
    p: u64,
    less: impl Fn(&T, &T) -> std::cmp::Ordering,
) -> Option<T> {
    let mut sorted: Vec<T> = values.into_iter().flatten().collect();
    sorted.sort_by(&less);
    let n = sorted.len() as u64;
    let rank = (p * n).div_ceil(1_000_000).max(1);
    sorted.get(rank as usize - 1).cloned()
}

/// An estimate of the percentile: within the values 5% of the ranks (and one) either side.
fn near_rank(values: impl IntoIterator<Item = Option<f64>>, p: f64) -> V {
    let mut sorted: Vec<f64> = values.into_iter().flatten().collect();
    sorted.sort_by(f64::total_cmp);
    if sorted.is_empty() {
        return V::Null;
    }
    let n = sorted.len() as f64;
    let low = (((p - 0.05) * n).ceil() as i64 - 1).clamp(1, sorted.len() as i64);
    let high = (((p + 0.05) * n).ceil() as i64 + 1).clamp(1, sorted.len() as i64);
    V::Within(sorted[low as usize - 1], sorted[high as usize - 1])
}

/// percentile(x, p) is the nearest rank of the non-NULL values (as Athena's sorted array
/// and DuckDB's quantile_disc compute it), of the rows of a `where` alone when there is one,
/// of numbers, doubles and timestamps alike; approx_percentile lies near it. Over a window a
/// row counts once per day that reads it.
#[test]
fn exact_and_approximate_percentiles() {
    check_case_and_its_athena_sql("tests/values/percentiles", |raw, day| {
        let by_company = group(raw.events_of(day).iter(), |e| e.company_id);
        let ints = |a: &i64, b: &i64| a.cmp(b);
        let floats = |a: &f64, b: &f64| a.total_cmp(b);
        let percentiles = table(&["company_id"], by_company, |c, g| {
            let durations = || g.iter().map(|e| e.duration_ms);
            let seconds = || durations().map(|d| d.map(|d| d as f64 / 1000.0));
            let post_durations = g
                .iter()
                .filter(|e| e.kind.as_deref() == Some("post"))
                .map(|e| e.duration_ms);
            vec![
                ("company_id", V::opt(*c)),
                ("events", g.len().into()),
                ("lowest", V::opt(nearest_rank(durations(), 0, ints))),
                ("median", V::opt(nearest_rank(durations(), 500_000, ints))),
                ("p07", V::opt(nearest_rank(durations(), 70_000, ints))),
                ("p90", V::opt(nearest_rank(durations(), 900_000, ints))),
                (
                    "highest",
                    V::opt(nearest_rank(durations(), 1_000_000, ints)),
                ),
                (
                    "median_post",
                    V::opt(nearest_rank(post_durations, 500_000, ints)),
                ),
                (
                    "late_quarter",
                    V::opt(nearest_rank(g.iter().map(|e| e.ts), 750_000, |a, b| {
                        a.cmp(b)
                    })),
                ),
                (
                    "median_score",
                    V::opt(nearest_rank(seconds(), 500_000, floats)),
                ),
                (
                    "approx_median",
                    near_rank(durations().map(|d| d.map(|d| d as f64)), 0.5),
                ),
                ("approx_p90_seconds", near_rank(seconds(), 0.9)),
            ]
        });
        let window = group(raw.window(day, 3, 0), |e| e.company_id);
        let weekly = table(&["company_id"], window, |c, g| {
            vec![
                ("company_id", V::opt(*c)),
                ("members", distinct(g.iter().map(|e| e.member_id))),
                (
                    "median",
                    V::opt(nearest_rank(g.iter().map(|e| e.duration_ms), 500_000, ints)),
                ),
                (
                    "median_hour",
                    V::opt(nearest_rank(
                        g.iter().map(|e| e.ts.map(|t| i64::from(t.hour()))),
                        500_000,
                        ints,
                    )),
                ),
            ]
        });
        BTreeMap::from([
            ("duration_percentiles", percentiles),
            ("weekly_duration_median", weekly),
        ])
    });
}
