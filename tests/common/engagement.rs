//! A sample lake's raw files → every KPI of `pipelines/` for a day, computed in plain Rust:
//! the events from the gzip JSON lines (flate2 and serde_json, malformed lines left out), the
//! members snapshots from their Parquet files (DuckDB's `read_parquet` on the files).

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::outputs::{Expected, V};
use chrono::NaiveDate;
use duckdb::Connection;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::Path;

/// The 16 KPIs of `pipelines/`.
pub const KPIS: [&str; 16] = [
    "actions_per_active_member",
    "activation",
    "cross_department_interactions",
    "daily_active_members",
    "daily_active_members_by_department",
    "engagement_score",
    "monthly_active_members",
    "monthly_active_members_by_department",
    "reply_rate",
    "retention_28d",
    "silent_members",
    "stickiness",
    "thanks_by_department",
    "thanks_received_by_department",
    "weekly_active_members",
    "weekly_active_members_by_department",
];

pub struct Event {
    pub id: String,
    pub member: i64,
    pub company: i64,
    pub kind: String,
    pub target_post: Option<String>,
    pub target_member: Option<i64>,
}

pub struct Member {
    pub member: i64,
    pub company: i64,
    pub department: i64,
    pub joined: NaiveDate,
    pub left: Option<NaiveDate>,
}

pub struct Raw {
    /// Day → its events (malformed lines left out).
    pub events: BTreeMap<NaiveDate, Vec<Event>>,
    /// Day → that day's members snapshot.
    pub members: BTreeMap<NaiveDate, Vec<Member>>,
}

pub fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

impl Raw {
    pub fn read(lake: &Path) -> Raw {
        let root = lake.join("engagement-lake");
        let mut events = BTreeMap::new();
        for entry in std::fs::read_dir(root.join("app_logs/events")).unwrap() {
            let dir = entry.unwrap().path();
            let day = date(&dir.file_name().unwrap().to_string_lossy()[3..]);
            let mut list = Vec::new();
            for file in std::fs::read_dir(&dir).unwrap() {
                let file = std::fs::File::open(file.unwrap().path()).unwrap();
                for line in BufReader::new(flate2::read::GzDecoder::new(file)).lines() {
                    let Ok(Value::Object(o)) = serde_json::from_str::<Value>(&line.unwrap()) else {
                        continue;
                    };
                    list.push(Event {
                        id: o["event_id"].as_str().unwrap().into(),
                        member: o["member_id"].as_i64().unwrap(),
                        company: o["company_id"].as_i64().unwrap(),
                        kind: o["kind"].as_str().unwrap().into(),
                        target_post: o["target_post_id"].as_str().map(String::from),
                        target_member: o["target_member_id"].as_i64(),
                    });
                }
            }
            events.insert(day, list);
        }
        let conn = Connection::open_in_memory().unwrap();
        let mut stmt = conn
            .prepare(&format!(
                "SELECT dt, member_id, company_id, department_id, CAST(joined_on AS VARCHAR),
                        CAST(left_on AS VARCHAR)
                 FROM read_parquet('{}/master/members/*/*.parquet', hive_partitioning = true,
                                   hive_types = {{'dt': 'VARCHAR'}})",
                root.display()
            ))
            .unwrap();
        let mut members: BTreeMap<NaiveDate, Vec<Member>> = BTreeMap::new();
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    date(&r.get::<_, String>(0)?),
                    Member {
                        member: r.get(1)?,
                        company: r.get(2)?,
                        department: r.get(3)?,
                        joined: date(&r.get::<_, String>(4)?),
                        left: r.get::<_, Option<String>>(5)?.map(|d| date(&d)),
                    },
                ))
            })
            .unwrap();
        for row in rows {
            let (day, m) = row.unwrap();
            members.entry(day).or_default().push(m);
        }
        Raw { events, members }
    }

    /// The events of the `days` days ending on `day`.
    pub fn window(&self, day: NaiveDate, days: i64) -> impl Iterator<Item = &Event> {
        (0..days).flat_map(move |i| {
            self.events
                .get(&(day - chrono::Duration::days(i)))
                .map(Vec::as_slice)
                .unwrap_or_default()
        })
    }

    /// Member id → their row of the snapshot of `day`.
    pub fn snapshot(&self, day: NaiveDate) -> BTreeMap<i64, &Member> {
        self.members[&day].iter().map(|m| (m.member, m)).collect()
    }

    /// Every KPI of the project for `day`.
    pub fn expected(&self, day: NaiveDate) -> BTreeMap<&'static str, Expected> {
        let mut out = BTreeMap::new();
        let snapshot = self.snapshot(day);
        for (kpi, days) in [
            ("daily_active_members", 1),
            ("weekly_active_members", 7),
            ("monthly_active_members", 30),
        ] {
            let mut e = Expected::new(&["company_id"]);
            for (company, (members, actions)) in active(self.window(day, days), |e| e.company) {
                if days == 1 {
                    e.row([
                        ("company_id", company.into()),
                        ("active", members.into()),
                        ("actions", actions.into()),
                    ]);
                } else {
                    e.row([("company_id", company.into()), ("active", members.into())]);
                }
            }
            out.insert(kpi, e);
        }
        // Per department of the day: each event joins the snapshot of the day computed.
        for (kpi, days) in [
            ("daily_active_members_by_department", 1),
            ("weekly_active_members_by_department", 7),
            ("monthly_active_members_by_department", 30),
        ] {
            let mut e = Expected::new(&["company_id", "department_id"]);
            let joined = self
                .window(day, days)
                .filter(|e| snapshot.contains_key(&e.member));
            for ((company, department), (members, _)) in
                active(joined, |e| (e.company, snapshot[&e.member].department))
            {
                e.row([
                    ("company_id", company.into()),
                    ("department_id", department.into()),
                    ("active", members.into()),
                ]);
            }
            out.insert(kpi, e);
        }
        out.insert("stickiness", stickiness(&out));
        out.insert("actions_per_active_member", self.actions_per_active(day));
        out.insert("reply_rate", self.reply_rate(day));
        let (sent, received) = self.thanks(day, &snapshot);
        out.insert("thanks_by_department", sent);
        out.insert("thanks_received_by_department", received);
        out.insert("cross_department_interactions", self.cross(day, &snapshot));
        for (kpi, first, last, days) in [("activation", 6, 0, 1), ("retention_28d", 34, 28, 7)] {
            out.insert(kpi, self.cohort(day, first, last, days));
        }
        out.insert("silent_members", self.silent(day));
        out.insert("engagement_score", engagement_score(&out));
        out
    }

    fn actions_per_active(&self, day: NaiveDate) -> Expected {
        let mut by_company: BTreeMap<i64, (BTreeSet<i64>, [i64; 4])> = BTreeMap::new();
        for e in self.window(day, 1).filter(|e| social(&e.kind)) {
            let entry = by_company.entry(e.company).or_default();
            entry.0.insert(e.member);
            entry.1[0] += 1;
            match e.kind.as_str() {
                "post" => entry.1[1] += 1,
                "comment" => entry.1[2] += 1,
                "reaction" => entry.1[3] += 1,
                _ => {}
            }
        }
        let mut e = Expected::new(&["company_id"]);
        for (company, (members, [actions, posts, comments, reactions])) in by_company {
            let active = members.len() as f64;
            e.row([
                ("company_id", company.into()),
                ("active", members.len().into()),
                ("actions", actions.into()),
                ("posts", posts.into()),
                ("comments", comments.into()),
                ("reactions", reactions.into()),
                ("posts_per_active", (posts as f64 / active).into()),
                ("comments_per_active", (comments as f64 / active).into()),
                ("reactions_per_active", (reactions as f64 / active).into()),
            ]);
        }
        e
    }

    fn reply_rate(&self, day: NaiveDate) -> Expected {
        let todays = &self.events[&day];
        let commented: BTreeSet<&str> = todays
            .iter()
            .filter(|e| e.kind == "comment")
            .filter_map(|e| e.target_post.as_deref())
            .collect();
        let mut posts: BTreeMap<i64, (BTreeSet<&str>, BTreeSet<&str>)> = BTreeMap::new();
        for p in todays.iter().filter(|e| e.kind == "post") {
            let entry = posts.entry(p.company).or_default();
            entry.0.insert(&p.id);
            if commented.contains(p.id.as_str()) {
                entry.1.insert(&p.id);
            }
        }
        let mut e = Expected::new(&["company_id"]);
        for (company, (all, replied)) in posts {
            e.row([
                ("company_id", company.into()),
                ("posts", all.len().into()),
                ("replied", replied.len().into()),
                ("rate", ratio(replied.len(), all.len())),
            ]);
        }
        e
    }

    /// Thanks cards by the sender's and by the thanked member's department of the day.
    fn thanks(&self, day: NaiveDate, snapshot: &BTreeMap<i64, &Member>) -> (Expected, Expected) {
        let mut sent: BTreeMap<(i64, i64), (i64, BTreeSet<i64>)> = BTreeMap::new();
        let mut received: BTreeMap<(i64, i64), (i64, BTreeSet<i64>)> = BTreeMap::new();
        for e in self.events[&day].iter().filter(|e| e.kind == "thanks") {
            if let Some(m) = snapshot.get(&e.member) {
                let entry = sent.entry((e.company, m.department)).or_default();
                entry.0 += 1;
                entry.1.insert(e.member);
            }
            if let Some(r) = e.target_member.and_then(|t| snapshot.get(&t)) {
                let entry = received.entry((r.company, r.department)).or_default();
                entry.0 += 1;
                entry.1.insert(r.member);
            }
        }
        let table = |groups: BTreeMap<(i64, i64), (i64, BTreeSet<i64>)>, names: [&str; 2]| {
            let mut e = Expected::new(&["company_id", "department_id"]);
            for ((company, department), (cards, members)) in groups {
                e.row([
                    ("company_id", company.into()),
                    ("department_id", department.into()),
                    (names[0], cards.into()),
                    (names[1], members.len().into()),
                ]);
            }
            e
        };
        (
            table(sent, ["sent", "senders"]),
            table(received, ["received", "recipients"]),
        )
    }

    /// Comments, reactions and thanks whose two members are both in the day's snapshot, and
    /// whether their departments differ.
    fn cross(&self, day: NaiveDate, snapshot: &BTreeMap<i64, &Member>) -> Expected {
        let posts: BTreeMap<&str, i64> = self
            .window(day, 30)
            .filter(|p| p.kind == "post")
            .map(|p| (p.id.as_str(), p.member))
            .collect();
        let mut groups: BTreeMap<i64, [BTreeSet<&str>; 3]> = BTreeMap::new();
        for e in &self.events[&day] {
            if !matches!(e.kind.as_str(), "comment" | "reaction" | "thanks") {
                continue;
            }
            let other = e
                .target_post
                .as_deref()
                .and_then(|p| posts.get(p).copied())
                .or(e.target_member);
            let (Some(a), Some(b)) = (
                snapshot.get(&e.member),
                other.and_then(|o| snapshot.get(&o)),
            ) else {
                continue;
            };
            if a.member == b.member {
                continue;
            }
            let entry = groups.entry(e.company).or_default();
            entry[0].insert(&e.id);
            if a.department != b.department {
                entry[1].insert(&e.id);
                if e.kind == "thanks" {
                    entry[2].insert(&e.id);
                }
            }
        }
        let mut out = Expected::new(&["company_id"]);
        for (company, [all, across, thanks]) in groups {
            out.row([
                ("company_id", company.into()),
                ("interactions", all.len().into()),
                ("across", across.len().into()),
                ("thanks_across", thanks.len().into()),
                ("share", ratio(across.len(), all.len())),
            ]);
        }
        out
    }

    /// Members of the day's snapshot who joined `first` to `last` days before it, and those of
    /// them with an event in the `days` days ending on it.
    fn cohort(&self, day: NaiveDate, first: i64, last: i64, days: i64) -> Expected {
        let from = day - chrono::Duration::days(first);
        let to = day - chrono::Duration::days(last);
        let seen: BTreeSet<i64> = self.window(day, days).map(|e| e.member).collect();
        let mut groups: BTreeMap<i64, (BTreeSet<i64>, BTreeSet<i64>)> = BTreeMap::new();
        for m in &self.members[&day] {
            if m.joined >= from && m.joined <= to {
                let entry = groups.entry(m.company).or_default();
                entry.0.insert(m.member);
                if seen.contains(&m.member) {
                    entry.1.insert(m.member);
                }
            }
        }
        let names = if first == 6 {
            ["joined", "activated"]
        } else {
            ["cohort", "retained"]
        };
        let mut e = Expected::new(&["company_id"]);
        for (company, (all, active)) in groups {
            e.row([
                ("company_id", company.into()),
                (names[0], all.len().into()),
                (names[1], active.len().into()),
                ("rate", ratio(active.len(), all.len())),
            ]);
        }
        e
    }

    fn silent(&self, day: NaiveDate) -> Expected {
        let seen: BTreeSet<i64> = self.window(day, 30).map(|e| e.member).collect();
        let mut groups: BTreeMap<i64, (usize, usize)> = BTreeMap::new();
        for m in self.members[&day].iter().filter(|m| m.left.is_none()) {
            let entry = groups.entry(m.company).or_default();
            entry.0 += 1;
            entry.1 += usize::from(!seen.contains(&m.member));
        }
        let mut e = Expected::new(&["company_id"]);
        for (company, (members, silent)) in groups {
            e.row([
                ("company_id", company.into()),
                ("members", members.into()),
                ("silent", silent.into()),
                ("share", ratio(silent, members)),
            ]);
        }
        e
    }
}

pub fn social(kind: &str) -> bool {
    matches!(kind, "post" | "comment" | "reaction" | "thanks")
}

/// A share as kpi divides: a double, NULL when the divisor is zero.
fn ratio(part: usize, whole: usize) -> V {
    if whole == 0 {
        V::Null
    } else {
        V::Float(part as f64 / whole as f64)
    }
}

/// Social events grouped by `key`: (distinct members, actions) per group.
fn active<'a, K: Ord>(
    events: impl Iterator<Item = &'a Event>,
    key: impl Fn(&Event) -> K,
) -> BTreeMap<K, (usize, i64)> {
    let mut groups: BTreeMap<K, (BTreeSet<i64>, i64)> = BTreeMap::new();
    for e in events.filter(|e| social(&e.kind)) {
        let entry = groups.entry(key(e)).or_default();
        entry.0.insert(e.member);
        entry.1 += 1;
    }
    groups
        .into_iter()
        .map(|(k, (members, actions))| (k, (members.len(), actions)))
        .collect()
}

/// Company → a column of a company-grained KPI's expected rows.
fn by_company(e: &Expected, column: &str) -> BTreeMap<i64, V> {
    e.rows
        .iter()
        .map(|r| {
            let V::Int(company) = r["company_id"] else {
                panic!("company_id")
            };
            (company, r[column].clone())
        })
        .collect()
}

fn float(v: &V) -> Option<f64> {
    match v {
        V::Float(x) => Some(*x),
        V::Int(n) => Some(*n as f64),
        _ => None,
    }
}

fn stickiness(out: &BTreeMap<&str, Expected>) -> Expected {
    let daily = by_company(&out["daily_active_members"], "active");
    let monthly = by_company(&out["monthly_active_members"], "active");
    let mut e = Expected::new(&["company_id"]);
    for (company, d) in &daily {
        if let Some(m) = monthly.get(company) {
            let (d, m) = (float(d).unwrap(), float(m).unwrap());
            e.row([
                ("company_id", (*company).into()),
                ("ratio", if m == 0.0 { V::Null } else { (d / m).into() }),
            ]);
        }
    }
    e
}

/// The weighted mean of the components present, as `engagement.kpi` defines it.
fn engagement_score(out: &BTreeMap<&str, Expected>) -> Expected {
    let share = by_company(&out["silent_members"], "share");
    let stickiness = by_company(&out["stickiness"], "ratio");
    let reply = by_company(&out["reply_rate"], "rate");
    let activation = by_company(&out["activation"], "rate");
    let mut e = Expected::new(&["company_id"]);
    for (company, silent) in &share {
        let s = stickiness.get(company).and_then(float).unwrap_or(0.0);
        let r = reply.get(company).and_then(float);
        let a = activation.get(company).and_then(float);
        let reach = 1.0 - float(silent).unwrap();
        // The weights are decimals (hundredths): 0.55, plus 0.25 and 0.20 when present.
        let weight = 55 + if r.is_some() { 25 } else { 0 } + if a.is_some() { 20 } else { 0 };
        let score = 100.0
            * (0.35 * s + 0.25 * r.unwrap_or(0.0) + 0.20 * a.unwrap_or(0.0) + 0.20 * reach)
            / (weight as f64 / 100.0);
        e.row([
            ("company_id", (*company).into()),
            ("stickiness", s.into()),
            ("reply_rate", V::opt(r)),
            ("activation", V::opt(a)),
            ("reach", reach.into()),
            ("weight", V::Decimal(weight, 2)),
            ("score", score.into()),
        ]);
    }
    e
}
