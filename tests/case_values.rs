//! Every case of `tests/cases/`, run by `kpi run` over every day of the generated test lake,
//! each KPI-day compared with the same KPI written in plain Rust over the raw files.

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
use test_raw::{Event, Member, RawLake};
use value_cases::{avg, check_case, days_ago, distinct, div, group, max, sum_int, table};

fn is(e: &Event, kind: &str) -> bool {
    e.kind.as_deref() == Some(kind)
}

fn social(e: &Event) -> bool {
    ["post", "comment", "reaction", "thanks"]
        .iter()
        .any(|k| is(e, k))
}

/// Member id → their row of the day's snapshot.
fn snapshot(raw: &RawLake, day: NaiveDate) -> BTreeMap<i64, &Member> {
    raw.members_of(day)
        .iter()
        .filter_map(|m| Some((m.member_id?, m)))
        .collect()
}

/// The value of a company-keyed expected table's column, by company.
fn by_company(e: &Expected, column: &str) -> BTreeMap<i64, V> {
    e.rows
        .iter()
        .filter_map(|r| match r["company_id"] {
            V::Int(c) => Some((c, r[column].clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn case_insensitive_keywords() {
    check_case("tests/cases/case_insensitive_keywords", |raw, day| {
        let posts = raw
            .events_of(day)
            .iter()
            .filter(|e| is(e, "post") && e.client.is_some());
        let shouting = table(&["company_id"], group(posts, |e| e.company_id), |k, g| {
            vec![("company_id", V::opt(*k)), ("posts", g.len().into())]
        });
        BTreeMap::from([("shouting", shouting)])
    });
}

#[test]
fn checks_and_docs() {
    check_case("tests/cases/checks_and_docs", |raw, day| {
        let logins = raw.events_of(day).iter().filter(|e| is(e, "login"));
        let groups = group(logins, |e| (e.company_id, e.client.clone()));
        let logins = table(&["company_id", "client"], groups, |(c, client), g| {
            vec![
                ("company_id", V::opt(*c)),
                ("client", V::opt(client.clone())),
                ("members", distinct(g.iter().map(|e| e.member_id))),
                ("logins", g.len().into()),
            ]
        });
        BTreeMap::from([("logins", logins)])
    });
}

/// Daily and 30-day active members per company, as `engagement_basics` defines them.
fn active(raw: &RawLake, day: NaiveDate, days: i64) -> Expected {
    let events = raw.window(day, days, 0).into_iter().filter(|e| social(e));
    table(&["company_id"], group(events, |e| e.company_id), |c, g| {
        let mut row = vec![
            ("company_id", V::opt(*c)),
            ("active", distinct(g.iter().map(|e| e.member_id))),
        ];
        if days == 1 {
            row.push(("actions", g.len().into()));
        }
        row
    })
}

#[test]
fn engagement_basics() {
    check_case("tests/cases/engagement_basics", |raw, day| {
        let daily = active(raw, day, 1);
        let monthly = active(raw, day, 30);
        let members = snapshot(raw, day);
        let joined = raw
            .events_of(day)
            .iter()
            .filter(|e| social(e))
            .filter_map(|e| {
                let m = members.get(&e.member_id?)?;
                Some((e, m.department_id))
            });
        let groups = group(joined, |(e, d)| (e.company_id, *d));
        let by_department = table(&["company_id", "department_id"], groups, |(c, d), g| {
            vec![
                ("company_id", V::opt(*c)),
                ("department_id", V::opt(*d)),
                ("active", distinct(g.iter().map(|(e, _)| e.member_id))),
            ]
        });
        let (d, m) = (by_company(&daily, "active"), by_company(&monthly, "active"));
        let mut stickiness = Expected::new(&["company_id"]);
        for (c, a) in &d {
            if let Some(b) = m.get(c) {
                stickiness.row([("company_id", (*c).into()), ("ratio", div(a, b))]);
            }
        }
        BTreeMap::from([
            ("daily_active_members", daily),
            ("daily_active_members_by_department", by_department),
            ("monthly_active_members", monthly),
            ("stickiness", stickiness),
        ])
    });
}

#[test]
fn filtered_aggregates() {
    check_case("tests/cases/filtered_aggregates", |raw, day| {
        let groups = group(raw.events_of(day), |e| e.company_id);
        let mix = table(&["company_id"], groups, |c, g| {
            let n = |kind: &str| g.iter().filter(|e| is(e, kind)).count();
            let mobile = g
                .iter()
                .filter(|e| matches!(e.client.as_deref(), Some("ios" | "android")))
                .count();
            let long_views = g
                .iter()
                .filter(|e| is(e, "view") && e.duration_ms.is_some_and(|d| d > 10_000))
                .map(|e| e.duration_ms);
            vec![
                ("company_id", V::opt(*c)),
                ("posts", n("post").into()),
                ("comments", n("comment").into()),
                ("reactions", n("reaction").into()),
                (
                    "posters",
                    distinct(g.iter().filter(|e| is(e, "post")).map(|e| e.member_id)),
                ),
                ("mobile_share", div(&mobile.into(), &g.len().into())),
                (
                    "comments_per_post",
                    div(&n("comment").into(), &n("post").into()),
                ),
                ("long_views", sum_int(long_views)),
            ]
        });
        BTreeMap::from([("activity_mix", mix)])
    });
}

/// (company, member) of a `member_actions` row.
type MemberKey = (Option<i64>, Option<i64>);

/// `member_actions` of a day: (company, member) → (actions, distinct kinds).
fn member_actions(raw: &RawLake, day: NaiveDate) -> BTreeMap<MemberKey, (i64, i64)> {
    group(raw.events_of(day), |e| (e.company_id, e.member_id))
        .into_iter()
        .map(|(k, g)| {
            let kinds: BTreeSet<_> = g.iter().filter_map(|e| e.kind.clone()).collect();
            (k, (g.len() as i64, kinds.len() as i64))
        })
        .collect()
}

#[test]
fn kpi_on_kpi() {
    check_case("tests/cases/kpi_on_kpi", |raw, day| {
        let today = member_actions(raw, day);
        let actions = table(
            &["company_id", "member_id"],
            group(&today, |(k, _)| **k),
            |k, g| {
                let (n, kinds) = g[0].1;
                vec![
                    ("company_id", V::opt(k.0)),
                    ("member_id", V::opt(k.1)),
                    ("actions", (*n).into()),
                    ("kinds", (*kinds).into()),
                ]
            },
        );
        let member_kinds = table(
            &["company_id", "member_id"],
            group(&today, |(k, _)| **k),
            |k, g| {
                vec![
                    ("company_id", V::opt(k.0)),
                    ("member_id", V::opt(k.1)),
                    ("kinds", g[0].1.1.into()),
                ]
            },
        );
        let heavy = today.iter().filter(|(_, (n, _))| *n >= 10);
        let heavy = table(&["company_id"], group(heavy, |((c, _), _)| *c), |c, g| {
            vec![
                ("company_id", V::opt(*c)),
                ("members", g.len().into()),
                ("actions", sum_int(g.iter().map(|(_, (n, _))| Some(*n)))),
                ("most_kinds", max(g.iter().map(|(_, (_, k))| Some(*k)))),
            ]
        });
        let week: Vec<(MemberKey, (i64, i64))> = (0..7)
            .flat_map(|i| member_actions(raw, days_ago(day, i)))
            .collect();
        let weekly = table(&["company_id"], group(&week, |((c, _), _)| *c), |c, g| {
            vec![
                ("company_id", V::opt(*c)),
                ("actions", sum_int(g.iter().map(|(_, (n, _))| Some(*n)))),
                ("average", avg(g.iter().map(|(_, (_, k))| Some(*k as f64)))),
            ]
        });
        let (h, w) = (
            by_company(&heavy, "actions"),
            by_company(&weekly, "actions"),
        );
        let mut share = Expected::new(&["company_id"]);
        for (c, a) in &h {
            if let Some(b) = w.get(c) {
                share.row([("company_id", (*c).into()), ("share", div(a, b))]);
            }
        }
        BTreeMap::from([
            ("member_actions", actions),
            ("heavy_users", heavy),
            ("member_kinds", member_kinds),
            ("weekly_actions", weekly),
            ("heavy_share", share),
        ])
    });
}

/// Current members and those of them without any event in the 30 days ending on the day.
fn silent_members(raw: &RawLake, day: NaiveDate) -> Expected {
    let seen: BTreeSet<i64> = raw
        .window(day, 30, 0)
        .iter()
        .filter_map(|e| e.member_id)
        .collect();
    let current = raw.members_of(day).iter().filter(|m| m.left_on.is_none());
    table(&["company_id"], group(current, |m| m.company_id), |c, g| {
        let members = distinct(g.iter().map(|m| m.member_id));
        let silent = distinct(
            g.iter()
                .filter(|m| m.member_id.is_none_or(|id| !seen.contains(&id)))
                .map(|m| m.member_id),
        );
        vec![
            ("company_id", V::opt(*c)),
            ("members", members.clone()),
            ("silent", silent.clone()),
            ("share", div(&silent, &members)),
        ]
    })
}

#[test]
fn left_join_silent() {
    check_case("tests/cases/left_join_silent", |raw, day| {
        BTreeMap::from([("silent_members", silent_members(raw, day))])
    });
}

#[test]
fn nested_types() {
    check_case("tests/cases/nested_types", |raw, day| {
        let kept = raw.events_of(day).iter().filter(|e| {
            let Some(c) = &e.context else { return false };
            let version = c.device.as_ref().and_then(|d| d.version);
            let campaign = e.attributes.as_ref().and_then(|a| a.get("campaign"));
            let tags = c.tags.as_deref().unwrap_or_default();
            version.is_some_and(|v| v >= 2)
                && campaign.is_some()
                && tags.iter().any(|t| t == "beta")
                && !tags.is_empty()
        });
        let os = |e: &&Event| {
            e.context
                .as_ref()
                .and_then(|c| c.device.as_ref())
                .and_then(|d| d.os.clone())
        };
        let events_by_os = table(&["os"], group(kept, os), |o, g| {
            let first = g.iter().map(|e| {
                e.context
                    .as_ref()
                    .and_then(|c| c.tags.as_ref())
                    .and_then(|t| t.first().cloned())
            });
            vec![
                ("os", V::opt(o.clone())),
                ("events", g.len().into()),
                ("first_tag_users", distinct(first)),
            ]
        });
        BTreeMap::from([("events_by_os", events_by_os)])
    });
}

#[test]
fn self_join_reply_rate() {
    check_case("tests/cases/self_join_reply_rate", |raw, day| {
        BTreeMap::from([("reply_rate", reply_rate(raw, day))])
    });
}

fn reply_rate(raw: &RawLake, day: NaiveDate) -> Expected {
    let events = raw.events_of(day);
    let commented: BTreeSet<&str> = events
        .iter()
        .filter(|c| is(c, "comment"))
        .filter_map(|c| c.target_post_id.as_deref())
        .collect();
    let posts = events.iter().filter(|p| is(p, "post"));
    table(&["company_id"], group(posts, |p| p.company_id), |c, g| {
        let ids = || g.iter().map(|p| p.event_id.clone());
        let replied =
            distinct(ids().filter(|id| id.as_deref().is_some_and(|id| commented.contains(id))));
        let posts = distinct(ids());
        vec![
            ("company_id", V::opt(*c)),
            ("posts", posts.clone()),
            ("replied", replied.clone()),
            ("rate", div(&replied, &posts)),
        ]
    })
}

#[test]
fn snapshot_dimensions() {
    check_case("tests/cases/snapshot_dimensions", |raw, day| {
        let members = snapshot(raw, day);
        let departments: BTreeMap<i64, Option<String>> = raw.departments[&day]
            .iter()
            .filter_map(|d| Some((d.department_id?, d.name.clone())))
            .collect();
        let joined = raw
            .events_of(day)
            .iter()
            .filter(|e| is(e, "thanks"))
            .filter_map(|e| {
                let sender = members.get(&e.member_id?)?;
                let receiver = members.get(&e.target_member_id?)?;
                let name = departments.get(&sender.department_id?)?;
                Some((
                    e,
                    sender.department_id,
                    receiver.department_id,
                    name.clone(),
                ))
            });
        let groups = group(joined, |(e, _, _, name)| (e.company_id, name.clone()));
        let flow = table(&["company_id", "department"], groups, |(c, name), g| {
            let cross = g
                .iter()
                .filter(|(_, a, b, _)| a.is_some() && b.is_some() && a != b)
                .count();
            vec![
                ("company_id", V::opt(*c)),
                ("department", V::opt(name.clone())),
                ("sent", g.len().into()),
                ("cross_department", cross.into()),
                ("cross_share", div(&cross.into(), &g.len().into())),
            ]
        });
        BTreeMap::from([("thanks_flow", flow)])
    });
}

#[test]
fn unpartitioned_lookup() {
    check_case("tests/cases/unpartitioned_lookup", |raw, day| {
        let active = raw.companies[&day]
            .iter()
            .filter(|c| c.active == Some(true));
        let groups = group(active, |c| c.industry.clone());
        let by_industry = table(&["industry"], groups, |industry, g| {
            let values: Vec<i128> = g.iter().filter_map(|c| c.contract_value).collect();
            let known = g
                .iter()
                .filter(|c| {
                    raw.countries
                        .iter()
                        .any(|k| k.code.is_some() && k.code == c.industry)
                })
                .count();
            vec![
                ("industry", V::opt(industry.clone())),
                ("companies", g.len().into()),
                (
                    "contract_value",
                    if values.is_empty() {
                        V::Null
                    } else {
                        V::Decimal(values.iter().sum(), 2)
                    },
                ),
                ("known", known.into()),
            ]
        });
        BTreeMap::from([("companies_by_industry", by_industry)])
    });
}

/// Members of the day's snapshot who joined `first` to `last` days before it, and those of
/// them with an event in the `days` days ending on it.
fn cohort(
    raw: &RawLake,
    day: NaiveDate,
    first: i64,
    last: i64,
    days: i64,
    names: [&'static str; 2],
) -> Expected {
    let seen: BTreeSet<i64> = raw
        .window(day, days, 0)
        .iter()
        .filter_map(|e| e.member_id)
        .collect();
    let joined = raw.members_of(day).iter().filter(|m| {
        m.joined_on
            .is_some_and(|j| j >= days_ago(day, first) && j <= days_ago(day, last))
    });
    table(&["company_id"], group(joined, |m| m.company_id), |c, g| {
        let all = distinct(g.iter().map(|m| m.member_id));
        let active = distinct(g.iter().map(|m| m.member_id.filter(|id| seen.contains(id))));
        vec![
            ("company_id", V::opt(*c)),
            (names[0], all.clone()),
            (names[1], active.clone()),
            ("rate", div(&active, &all)),
        ]
    })
}

#[test]
fn windows_and_cohorts() {
    check_case("tests/cases/windows_and_cohorts", |raw, day| {
        BTreeMap::from([
            (
                "activation",
                cohort(raw, day, 6, 0, 1, ["joined", "activated"]),
            ),
            (
                "retention_28d",
                cohort(raw, day, 34, 28, 7, ["cohort", "retained"]),
            ),
            ("silent_members", silent_members(raw, day)),
        ])
    });
}

/// `round(x, digits)` on a double, as both engines compute it: half away from zero.
fn round(x: f64, digits: i32) -> f64 {
    let p = 10f64.powi(digits);
    (x * p).round() / p
}

#[test]
fn expressions() {
    check_case("tests/cases/expressions", |raw, day| {
        let members = snapshot(raw, day);
        let first = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        let kept = raw.events_of(day).iter().filter_map(|e| {
            let m = *members.get(&e.member_id?)?;
            let (kind, client, ts) = (e.kind.as_deref()?, e.client.as_deref()?, e.ts?);
            let joined = m.joined_on?;
            let tenure = (day - joined).num_days();
            let id = e.event_id.as_deref()?;
            let keep = (kind.starts_with('p') || !["view", "login"].contains(&kind))
                && ts.date() == day
                && joined >= first
                && joined <= days_ago(day, 1)
                && tenure % 7 == 0
                && client.trim().to_lowercase() != "bot"
                && format!("{id}-{}", e.member_id?).chars().count() > 3
                && kind.to_uppercase().starts_with('P')
                && !id.starts_with("xx")
                && e.duration_ms? > 0
                && m.score.unwrap_or(0.5) >= 0.0;
            keep.then_some((e, m, tenure))
        });
        let groups = group(kept, |(e, _, tenure)| {
            let ts = e.ts.unwrap();
            let label = if *tenure < 30 { "new" } else { "settled" };
            (
                e.company_id,
                ts.format("%H").to_string().parse::<i64>().unwrap(),
                label,
            )
        });
        let weekday = i64::from(chrono::Datelike::weekday(&day).number_from_monday());
        let tour = table(
            &["company_id", "weekday", "hour_of_day", "tenure"],
            groups,
            |(c, hour, tenure), g| {
                let durations = || g.iter().map(|(e, _, _)| e.duration_ms);
                let events = g.len() as i64;
                let total: i64 = durations().flatten().sum();
                let mean = total as f64 / durations().flatten().count() as f64;
                let scores: Vec<f64> = g.iter().filter_map(|(_, m, _)| m.score).collect();
                let score = if scores.is_empty() {
                    V::Null
                } else {
                    let lowest = scores.iter().copied().fold(f64::INFINITY, f64::min);
                    V::Float(round(scores.iter().sum::<f64>() * 2.5 - lowest.abs(), 2))
                };
                let members: BTreeSet<i64> = g.iter().filter_map(|(e, _, _)| e.member_id).collect();
                vec![
                    ("company_id", V::opt(*c)),
                    ("weekday", weekday.into()),
                    ("hour_of_day", (*hour).into()),
                    ("tenure", (*tenure).into()),
                    ("events", events.into()),
                    ("mean_duration", mean.into()),
                    ("total_duration", total.into()),
                    ("longest", max(durations())),
                    (
                        "earliest",
                        V::opt(g.iter().filter_map(|(e, _, _)| e.ts).min()),
                    ),
                    ("reach", V::Approx(members.len() as i64)),
                    ("score", score),
                    ("per_event", (total as f64 / events as f64).into()),
                    ("blended", (mean.max(0.0) + 1.0 - events as f64).into()),
                ]
            },
        );
        BTreeMap::from([("expression_tour", tour)])
    });
}
