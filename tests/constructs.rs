//! Every construct of the language with a value test (functions apart, in `functions.rs`):
//! windows, KPIs without `group by`, operators, nested types, decimals; the cases of
//! `tests/values/`, run by `kpi run` over every day of the generated test lake, each KPI-day
//! compared with the same KPI written in plain Rust over the raw files.

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
use outputs::{Expected, V};
use std::collections::{BTreeMap, BTreeSet};
use test_raw::Event;
use value_cases::{
    avg, check_case, count, days_ago, distinct, div, group, max, min, sum_int, table,
};

fn is(e: &Event, kind: &str) -> bool {
    e.kind.as_deref() == Some(kind)
}

#[test]
fn windows_ending_early_and_over_a_snapshot_and_a_kpi() {
    check_case("tests/values/windows", |raw, day| {
        let early = raw.window(day, 3, 2);
        let earlier_window = table(&["company_id"], group(early, |e| e.company_id), |c, g| {
            vec![
                ("company_id", V::opt(*c)),
                ("active", distinct(g.iter().map(|e| e.member_id))),
                ("events", g.len().into()),
            ]
        });
        let snapshots = (0..3).flat_map(|i| raw.members_of(days_ago(day, i)));
        let member_days = table(
            &["company_id"],
            group(snapshots, |m| m.company_id),
            |c, g| {
                vec![
                    ("company_id", V::opt(*c)),
                    ("member_days", g.len().into()),
                    ("members", distinct(g.iter().map(|m| m.member_id))),
                    (
                        "first_snapshot",
                        min(g.iter().map(|m| Some(m.dt.to_string()))),
                    ),
                    ("departments", distinct(g.iter().map(|m| m.department_id))),
                ]
            },
        );
        let daily = |d: NaiveDate| group(raw.events_of(d), |e| e.company_id);
        let daily_events = table(&["company_id"], daily(day), |c, g| {
            vec![("company_id", V::opt(*c)), ("events", g.len().into())]
        });
        // The KPI's rows of the two days before: (company, day, events).
        let before: Vec<(Option<i64>, NaiveDate, i64)> = (1..3)
            .flat_map(|i| {
                let d = days_ago(day, i);
                daily(d)
                    .into_iter()
                    .map(move |(c, g)| (c, d, g.len() as i64))
            })
            .collect();
        let previous_days = table(&["company_id"], group(&before, |r| r.0), |c, g| {
            vec![
                ("company_id", V::opt(*c)),
                ("events", sum_int(g.iter().map(|r| Some(r.2)))),
                ("partitions", distinct(g.iter().map(|r| Some(r.1)))),
                ("busiest", max(g.iter().map(|r| Some(r.2)))),
            ]
        });
        BTreeMap::from([
            ("earlier_window", earlier_window),
            ("member_days", member_days),
            ("daily_events", daily_events),
            ("previous_days", previous_days),
        ])
    });
}

#[test]
fn windows_read_as_distinct_rows_give_the_values_of_every_row() {
    check_case("tests/values/distinct_windows", |raw, day| {
        // quiet_members: each member of the day, with its posts of the 5 days, or none.
        let posts = raw.window(day, 5, 0);
        let mut joined: Vec<(&test_raw::Member, Option<&Event>)> = Vec::new();
        for m in raw.members_of(day) {
            let theirs: Vec<&Event> = posts
                .iter()
                .copied()
                .filter(|e| m.member_id.is_some() && e.member_id == m.member_id && is(e, "post"))
                .collect();
            if theirs.is_empty() {
                joined.push((m, None));
            }
            joined.extend(theirs.into_iter().map(|e| (m, Some(e))));
        }
        let quiet = table(
            &["company_id"],
            group(&joined, |r| r.0.company_id),
            |c, g| {
                let events = || g.iter().filter_map(|(_, e)| *e);
                vec![
                    ("company_id", V::opt(*c)),
                    ("members", distinct(g.iter().map(|(m, _)| m.member_id))),
                    (
                        "quiet",
                        distinct(
                            g.iter()
                                .filter(|(_, e)| e.is_none_or(|e| e.event_id.is_none()))
                                .map(|(m, _)| m.member_id),
                        ),
                    ),
                    ("longest", max(events().map(|e| e.duration_ms))),
                    (
                        "client",
                        max(events().map(|e| e.client.as_ref().map(|c| c.to_lowercase()))),
                    ),
                ]
            },
        );
        // long_writers: posts and comments of over 100 ms in the 4 days.
        let long = raw.window(day, 4, 0).into_iter().filter(|e| {
            (is(e, "post") || is(e, "comment")) && e.duration_ms.is_some_and(|d| d > 100)
        });
        let client = |e: &Event| {
            e.client
                .as_ref()
                .map_or_else(|| "none".to_string(), |c| c.to_lowercase())
        };
        let writers = table(
            &["company_id", "client"],
            group(long, |e| (e.company_id, client(e))),
            |(c, label), g| {
                vec![
                    ("company_id", V::opt(*c)),
                    ("client", label.clone().into()),
                    ("writers", distinct(g.iter().map(|e| e.member_id))),
                    (
                        "referrers",
                        distinct(
                            g.iter()
                                .map(|e| e.context.as_ref().and_then(|x| x.referrer.clone())),
                        ),
                    ),
                    ("shortest", min(g.iter().map(|e| e.duration_ms))),
                    ("first_day", min(g.iter().map(|e| Some(e.dt.to_string())))),
                ]
            },
        );
        BTreeMap::from([("quiet_members", quiet), ("long_writers", writers)])
    });
}

#[test]
fn a_kpi_without_group_by_has_one_row_per_day_even_without_input_rows() {
    let compared = check_case("tests/values/no_group_by", |raw, day| {
        let all = raw.events_of(day);
        let durations = || all.iter().map(|e| e.duration_ms);
        let mut totals = Expected::new(&[]);
        let net = match sum_int(durations()) {
            V::Int(n) => V::Int(-n + 10 % 3),
            other => other,
        };
        totals.row([
            ("events", all.len().into()),
            ("members", distinct(all.iter().map(|e| e.member_id))),
            (
                "members_estimate",
                V::Approx(
                    all.iter()
                        .filter_map(|e| e.member_id)
                        .collect::<BTreeSet<_>>()
                        .len() as i64,
                ),
            ),
            (
                "mean_duration",
                avg(durations().map(|d| d.map(|d| d as f64))),
            ),
            ("shortest", min(durations())),
            ("longest", max(durations())),
            ("first_kind", min(all.iter().map(|e| e.kind.clone()))),
            ("last_client", max(all.iter().map(|e| e.client.clone()))),
            (
                "view_time",
                sum_int(all.iter().filter(|e| is(e, "view")).map(|e| e.duration_ms)),
            ),
            ("net", net),
        ]);
        let posts: Vec<&Event> = all
            .iter()
            .filter(|e| e.company_id == Some(4) && is(e, "post"))
            .collect();
        let mut quiet = Expected::new(&[]);
        quiet.row([
            ("posts", posts.len().into()),
            ("authors", distinct(posts.iter().map(|e| e.member_id))),
            ("longest", max(posts.iter().map(|e| e.duration_ms))),
        ]);
        BTreeMap::from([("day_totals", totals), ("quiet_company_posts", quiet)])
    });
    // Company 4 has no posts on two days: those days still have their one row, counted 0.
    assert!(compared > 0);
    let raw = &value_cases::pristine().1;
    let empty = raw
        .days()
        .into_iter()
        .filter(|d| {
            !raw.events_of(*d)
                .iter()
                .any(|e| e.company_id == Some(4) && is(e, "post"))
        })
        .count();
    assert!(empty >= 2, "{empty} days without posts of company 4");
}

/// SQL's `LIKE`, for the patterns the cases use (`%` any text, `_` one character).
fn like(text: &str, pattern: &str) -> bool {
    fn at(t: &[char], p: &[char]) -> bool {
        match p.split_first() {
            None => t.is_empty(),
            Some(('%', rest)) => (0..=t.len()).any(|i| at(&t[i..], rest)),
            Some(('_', rest)) => !t.is_empty() && at(&t[1..], rest),
            Some((c, rest)) => t.first() == Some(c) && at(&t[1..], rest),
        }
    }
    at(
        &text.chars().collect::<Vec<_>>(),
        &pattern.chars().collect::<Vec<_>>(),
    )
}

#[test]
fn operators_in_where_and_on_computed_dimensions_and_arithmetic() {
    check_case("tests/values/operators", |raw, day| {
        let members: BTreeMap<i64, &test_raw::Member> = raw
            .members_of(day)
            .iter()
            .filter_map(|m| Some((m.member_id?, m)))
            .collect();
        let kept = raw.events_of(day).iter().filter_map(|e| {
            let m = *members.get(&e.member_id?)?;
            let joined = m.joined_on?;
            let (kind, client, duration) =
                (e.kind.as_deref()?, e.client.as_deref()?, e.duration_ms?);
            let keep = joined < days_ago(day, 3)
                && (!like(kind, "%o%") || like(kind, "p_st"))
                && !["login", "view"].contains(&kind)
                && !(100..=5000).contains(&duration)
                && client != "android"
                && client != "web";
            let bucket = (e.member_id? - 20) % 3;
            keep.then(|| (e, joined, format!("{kind}/{client}"), bucket))
        });
        let groups = group(kept, |(e, joined, label, bucket)| {
            (
                e.company_id,
                label.clone(),
                *bucket,
                (day - *joined).num_days(),
            )
        });
        let tour = table(
            &["company_id", "label", "bucket", "tenure_days"],
            groups,
            |(c, label, bucket, tenure), g| {
                let durations = || g.iter().map(|(e, _, _, _)| e.duration_ms.unwrap());
                let thanks = g.iter().filter(|(e, _, _, _)| is(e, "thanks")).count();
                let next_week = g
                    .iter()
                    .filter(|(_, joined, _, _)| {
                        *joined + chrono::Duration::days(400) > day + chrono::Duration::days(7)
                    })
                    .map(|(e, _, _, _)| e.member_id);
                vec![
                    ("company_id", V::opt(*c)),
                    ("label", label.clone().into()),
                    ("bucket", (*bucket).into()),
                    ("tenure_days", (*tenure).into()),
                    ("events", g.len().into()),
                    ("negated", (-durations().sum::<i64>()).into()),
                    ("per_thanks", div(&g.len().into(), &thanks.into())),
                    ("remainder", durations().map(|d| d % 7).sum::<i64>().into()),
                    ("next_week", distinct(next_week)),
                ]
            },
        );
        let logic = table(
            &["company_id"],
            group(raw.events_of(day), |e| e.company_id),
            |c, g| {
                let n = |f: &dyn Fn(&Event) -> bool| g.iter().filter(|e| f(e)).count();
                let matched = n(&|e| {
                    e.member_id
                        .and_then(|id| members.get(&id))
                        .is_some_and(|m| m.score.is_some_and(|s| s > 5.0))
                });
                let client = |e: &Event| e.client.clone();
                vec![
                    ("company_id", V::opt(*c)),
                    ("events", g.len().into()),
                    ("matched", matched.into()),
                    ("no_client", n(&|e| e.client.is_none()).into()),
                    (
                        "not_web",
                        n(&|e| client(e).is_some_and(|c| c != "web")).into(),
                    ),
                    (
                        "web_or_long",
                        n(&|e| {
                            client(e).as_deref() == Some("web")
                                || e.duration_ms.is_some_and(|d| d > 30_000)
                        })
                        .into(),
                    ),
                    (
                        "unknown_or",
                        n(&|e| e.client.is_none() || client(e).as_deref() == Some("ios")).into(),
                    ),
                    (
                        "short_not_in",
                        n(&|e| e.duration_ms.is_some_and(|d| ![1, 2, 3].contains(&d))).into(),
                    ),
                ]
            },
        );
        BTreeMap::from([("operator_tour", tour), ("null_logic", logic)])
    });
}

#[test]
fn struct_fields_array_elements_and_map_values() {
    check_case("tests/values/nested", |raw, day| {
        let referrer = |e: &&Event| e.context.as_ref().and_then(|c| c.referrer.clone());
        let groups = group(raw.events_of(day), |e| (e.company_id, referrer(e)));
        let nested = table(&["company_id", "referrer"], groups, |(c, r), g| {
            let context = || g.iter().filter_map(|e| e.context.as_ref());
            let device = || context().filter_map(|c| c.device.as_ref());
            let tags = || context().filter_map(|c| c.tags.as_ref());
            let attributes = || g.iter().filter_map(|e| e.attributes.as_ref());
            vec![
                ("company_id", V::opt(*c)),
                ("referrer", V::opt(r.clone())),
                ("events", g.len().into()),
                (
                    "with_context",
                    count(context().map(|c| c.session_id.as_ref())),
                ),
                ("versions", sum_int(device().map(|d| d.version))),
                ("oses", distinct(device().map(|d| d.os.clone()))),
                ("tags", sum_int(tags().map(|t| Some(t.len() as i64)))),
                (
                    "second_tags",
                    tags().filter(|t| t.len() >= 2).count().into(),
                ),
                (
                    "betas",
                    tags()
                        .filter(|t| t.iter().any(|x| x == "beta"))
                        .count()
                        .into(),
                ),
                (
                    "ab_b",
                    attributes()
                        .filter(|a| a.get("ab").is_some_and(|v| v == "b"))
                        .count()
                        .into(),
                ),
                (
                    "campaigns",
                    attributes()
                        .filter(|a| a.contains_key("campaign"))
                        .count()
                        .into(),
                ),
                ("ips", distinct(context().map(|c| c.ip.clone()))),
                (
                    "pipe_nulls",
                    count(g.iter().map(|e| e.kind.as_ref().and(e.client.as_ref()))),
                ),
            ]
        });
        BTreeMap::from([("nested_values", nested)])
    });
}

/// A sum of cents at scale 2, NULL without values.
fn decimal_sum(values: impl IntoIterator<Item = Option<i128>>) -> V {
    let v: Vec<i128> = values.into_iter().flatten().collect();
    if v.is_empty() {
        V::Null
    } else {
        V::Decimal(v.iter().sum(), 2)
    }
}

#[test]
fn decimals_booleans_and_fixed_length_text() {
    check_case("tests/values/decimals", |raw, day| {
        let companies = &raw.companies[&day];
        let groups = group(companies, |c| (c.active, c.industry.clone()));
        let values = table(&["active", "industry"], groups, |(active, industry), g| {
            let cents = || g.iter().map(|c| c.contract_value);
            let total = decimal_sum(cents());
            vec![
                ("active", V::opt(*active)),
                ("industry", V::opt(industry.clone())),
                ("companies", g.len().into()),
                ("total", total.clone()),
                ("mean", avg(cents().map(|c| c.map(|c| c as f64 / 100.0)))),
                (
                    "smallest",
                    cents()
                        .flatten()
                        .min()
                        .map_or(V::Null, |c| V::Decimal(c, 2)),
                ),
                (
                    "largest",
                    cents()
                        .flatten()
                        .max()
                        .map_or(V::Null, |c| V::Decimal(c, 2)),
                ),
                ("doubled", decimal_sum(cents().map(|c| c.map(|c| c * 2)))),
                ("per_company", div(&total, &g.len().into())),
                ("valued", count(cents())),
            ]
        });
        let window: Vec<&test_raw::Company> = (0..2)
            .flat_map(|i| raw.companies.get(&days_ago(day, i)).into_iter().flatten())
            .collect();
        let groups = group(window, |c| (c.company_id, c.name.clone()));
        let windowed = table(&["company_id", "name"], groups, |(id, name), g| {
            vec![
                ("company_id", V::opt(*id)),
                ("name", V::opt(name.clone())),
                ("snapshots", g.len().into()),
                ("total", decimal_sum(g.iter().map(|c| c.contract_value))),
            ]
        });
        BTreeMap::from([("contract_values", values), ("contract_window", windowed)])
    });
}

/// Constants stand for their literals in a filter, a dimension, measures, a percentile's
/// fraction and a check, typed as those literals (`1.5` a decimal, `-1` a bigint).
#[test]
fn constants_read_as_their_literals() {
    check_case("tests/values/constants", |raw, day| {
        let kept = raw
            .events_of(day)
            .iter()
            .filter(|e| matches!(e.kind.as_deref(), Some("post" | "comment" | "login")));
        let groups = group(kept, |e| {
            (e.company_id, e.duration_ms.unwrap_or(0) > 20_000)
        });
        let weighted = table(&["company_id", "slow"], groups, |(c, slow), g| {
            let posts = g.iter().filter(|e| is(e, "post")).count() as i128;
            let comments = g.iter().filter(|e| is(e, "comment")).count() as i128;
            let mut durations: Vec<i64> = g.iter().filter_map(|e| e.duration_ms).collect();
            durations.sort();
            let rank = durations.len().div_ceil(2).max(1);
            vec![
                ("company_id", V::opt(*c)),
                ("slow", (*slow).into()),
                ("posts", (posts as i64).into()),
                ("comments", (comments as i64).into()),
                ("score", V::Decimal(posts * 30 + comments * 15, 1)),
                ("median_duration", V::opt(durations.get(rank - 1).copied())),
                (
                    "shifted",
                    sum_int(g.iter().map(|e| e.duration_ms.map(|d| d - 1))),
                ),
            ]
        });
        BTreeMap::from([("weighted_activity", weighted)])
    });
}

/// Each KPI's fingerprint in the plan of a project folder.
fn fingerprints(project: &std::path::Path) -> BTreeMap<String, String> {
    let plan = common::run_in(project, &["debug", "plan"]);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    let plan: serde_json::Value = serde_json::from_str(&plan.stdout).unwrap();
    plan["kpis"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            let name = k["name"].as_str().unwrap().to_string();
            (name, k["fingerprint"].as_str().unwrap().to_string())
        })
        .collect()
}

/// A changed constant changes the fingerprint of the KPIs that read it, and only theirs; a
/// constant renamed everywhere it is read, or a comment beside it, changes nothing.
#[test]
fn a_changed_constant_changes_the_fingerprints_of_its_readers_only() {
    let project = common::project_from(&common::root().join("tests/cases/constants"));
    let weights = project.path().join("weights.kpi");
    let original = std::fs::read_to_string(&weights).unwrap();
    let before = fingerprints(project.path());
    assert_eq!(before.len(), 2, "{before:?}");

    std::fs::write(&weights, original.replace("= 1.5", "= 2.5")).unwrap();
    let changed = fingerprints(project.path());
    assert_ne!(changed["engagement_score"], before["engagement_score"]);
    assert_eq!(changed["plain_posts"], before["plain_posts"]);

    std::fs::write(&weights, format!("// the weights\n{original}")).unwrap();
    assert_eq!(fingerprints(project.path()), before);
    let score = project.path().join("score.kpi");
    let readers = std::fs::read_to_string(&score).unwrap();
    std::fs::write(
        &weights,
        original.replace("post_weight", "weight_of_a_post"),
    )
    .unwrap();
    std::fs::write(&score, readers.replace("post_weight", "weight_of_a_post")).unwrap();
    assert_eq!(fingerprints(project.path()), before);
    std::fs::write(&score, &readers).unwrap();
    std::fs::write(
        &weights,
        original.replace("const strict = true", "const strict = false"),
    )
    .unwrap();
    let filtered = fingerprints(project.path());
    assert_ne!(filtered["engagement_score"], before["engagement_score"]);
    assert_eq!(filtered["plain_posts"], before["plain_posts"]);
}
