//! The population and a day → that day's application events, in time order: sessions of
//! logins, views, posts, comments, reactions, thanks and profile updates, with comments and
//! reactions threaded onto earlier posts of the same company (today's or yesterday's) and
//! thanks and profile views aimed at colleagues. Each session's server writes its times in
//! its own way: every shape of timestamp Athena's JSON SerDe reads turns up.

use super::dist::{Rng, cumulative, mix};
use super::world::{Client, World, weekday};
use chrono::Weekday;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Login,
    View,
    Post,
    Comment,
    Reaction,
    Thanks,
    ProfileUpdate,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Login => "login",
            Kind::View => "view",
            Kind::Post => "post",
            Kind::Comment => "comment",
            Kind::Reaction => "reaction",
            Kind::Thanks => "thanks",
            Kind::ProfileUpdate => "profile_update",
        }
    }
}

/// How the server that logged a session wrote its times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeShape {
    /// `2024-01-04T00:38:29.642Z`: the web servers.
    UtcMillis,
    /// `2024-01-04T09:38:29.642+09:00`: the iOS API, in the company's local time.
    LocalMillis,
    /// `2024-01-04T09:38:29+0900`: the Android API, local time to the second.
    LocalSeconds,
    /// `2024-01-04 00:38:29.642`: the batch gateway, UTC with no zone.
    SpaceMillis,
    /// `2024-01-04T00:38:29`: the old Android API, UTC to the second with no zone.
    PlainSeconds,
}

impl TimeShape {
    /// The shape of a session's times: mostly by client, some through other paths.
    fn of(client: Client, session: u64) -> TimeShape {
        let roll = mix(session ^ 0x7153) % 20;
        match client {
            Client::Web if roll < 17 => TimeShape::UtcMillis,
            Client::Web => TimeShape::SpaceMillis,
            Client::Ios if roll < 14 => TimeShape::LocalMillis,
            Client::Ios => TimeShape::UtcMillis,
            Client::Android if roll < 12 => TimeShape::LocalSeconds,
            Client::Android if roll < 17 => TimeShape::PlainSeconds,
            Client::Android => TimeShape::UtcMillis,
        }
    }

    /// Whether the shape drops the milliseconds (the event's time is then a whole second).
    pub fn whole_seconds(self) -> bool {
        matches!(self, TimeShape::LocalSeconds | TimeShape::PlainSeconds)
    }
}

/// One event before serialisation. `key` is unique over the lake; the event id is a scrambled
/// form of it.
#[derive(Debug, Clone)]
pub struct Event {
    pub key: u64,
    /// Milliseconds since the start of the (UTC) day.
    pub ms: u32,
    /// Index into `World::members`.
    pub member: u32,
    pub kind: Kind,
    pub client: Client,
    pub session: u64,
    pub time_shape: TimeShape,
    /// The key of the post commented on or reacted to.
    pub target_post: Option<u64>,
    /// Index into `World::members` of the member thanked or viewed.
    pub target_member: Option<u32>,
}

/// Actions (besides the login opening a session), and how common each is.
const ACTIONS: [(Kind, f64); 6] = [
    (Kind::View, 0.50),
    (Kind::Reaction, 0.20),
    (Kind::Comment, 0.11),
    (Kind::Post, 0.08),
    (Kind::Thanks, 0.03),
    (Kind::ProfileUpdate, 0.02),
];
/// Mean actions of an average member on a working day at the start.
const ACTIONS_PER_MEMBER: f64 = 2.2;
/// Event volume grows by this factor every 30 days.
const MONTHLY_GROWTH: f64 = 1.2;
const DAY_MS: f64 = 86_400_000.0;

/// The event id of a key: 16 hex digits, unique because the scramble is a bijection.
pub fn event_id(key: u64, seed: u64) -> u64 {
    super::dist::mix(key ^ mix_seed(seed))
}

fn mix_seed(seed: u64) -> u64 {
    super::dist::mix(seed.rotate_left(17) ^ 0x5eed)
}

fn weekday_factor(day: i32) -> f64 {
    match weekday(day) {
        Weekday::Mon | Weekday::Thu => 1.05,
        Weekday::Tue | Weekday::Wed => 1.1,
        Weekday::Fri => 0.9,
        Weekday::Sat => 0.2,
        Weekday::Sun => 0.16,
    }
}

/// Generates the days in order; remembers yesterday's posts so that threads span midnight.
pub struct DayGenerator<'w> {
    world: &'w World,
    seed: u64,
    base: f64,
    initial_active: f64,
    action_weights: Vec<f64>,
    yesterday: Vec<Vec<u64>>,
}

impl<'w> DayGenerator<'w> {
    pub fn new(world: &'w World, seed: u64) -> Self {
        let active: Vec<f64> = world
            .members
            .iter()
            .filter(|m| m.is_active(world.first_day))
            .map(|m| f64::from(m.activity))
            .collect();
        let mean = active.iter().sum::<f64>() / active.len().max(1) as f64;
        DayGenerator {
            world,
            seed,
            base: ACTIONS_PER_MEMBER / mean.max(1e-6),
            initial_active: active.len().max(1) as f64,
            action_weights: cumulative(&ACTIONS.map(|(_, w)| w)),
            yesterday: vec![Vec::new(); world.companies.len()],
        }
    }

    /// The events of `day` (a day number), sorted by time.
    pub fn day(&mut self, day: i32) -> Vec<Event> {
        let world = self.world;
        let index = (day - world.first_day).max(0) as u64;
        let mut rng = Rng::new(self.seed, 1_000_000 + index);
        let mut by_company: Vec<Vec<u32>> = vec![Vec::new(); world.companies.len()];
        let mut by_department: Vec<Vec<u32>> = vec![Vec::new(); world.departments.len()];
        for (i, m) in world.members.iter().enumerate() {
            if m.is_active(day) {
                by_company[m.company as usize].push(i as u32);
                by_department[m.department as usize].push(i as u32);
            }
        }
        let active = by_company.iter().map(Vec::len).sum::<usize>().max(1) as f64;
        let elapsed = index as f64;
        // Total volume grows by MONTHLY_GROWTH whatever the headcount does.
        let growth = MONTHLY_GROWTH.powf(elapsed / 30.0) * self.initial_active / active;
        let scale = self.base * weekday_factor(day) * growth;
        let weekend = weekday_factor(day) < 0.5;

        let mut events = Vec::new();
        let mut per_session = Vec::new();
        for members in &by_company {
            for &i in members {
                let m = &world.members[i as usize];
                let actions = rng.poisson(scale * f64::from(m.activity));
                if actions == 0 {
                    continue;
                }
                let offset = world.companies[m.company as usize].utc_offset;
                let sessions = 1 + rng.poisson(f64::from(actions - 1) / 6.0) as usize;
                per_session.clear();
                per_session.resize(sessions, 0u32);
                for _ in 0..actions {
                    per_session[rng.index(sessions)] += 1;
                }
                for &count in &per_session {
                    let local = if !weekend && rng.chance(0.8) {
                        (13.0 + 2.8 * rng.normal()).clamp(5.5, 23.0)
                    } else {
                        rng.range(0.0, 24.0)
                    };
                    let hour = (local - f64::from(offset)).rem_euclid(24.0);
                    let mut ms = hour * 3_600_000.0;
                    let client = if rng.chance(0.8) {
                        m.client
                    } else {
                        [Client::Web, Client::Ios, Client::Android][rng.index(3)]
                    };
                    let session = rng.next_u64();
                    let time_shape = TimeShape::of(client, session);
                    let mut push = |kind: Kind, ms: f64| {
                        let mut ms = ms.min(DAY_MS - 1.0) as u32;
                        if time_shape.whole_seconds() {
                            ms -= ms % 1000;
                        }
                        events.push(Event {
                            key: 0,
                            ms,
                            member: i,
                            kind,
                            client,
                            session,
                            time_shape,
                            target_post: None,
                            target_member: None,
                        });
                    };
                    if rng.chance(0.6) {
                        push(Kind::Login, ms);
                    }
                    for _ in 0..count {
                        ms += 1000.0 + rng.exponential(45_000.0);
                        push(ACTIONS[rng.weighted(&self.action_weights)].0, ms);
                    }
                }
            }
        }
        events.sort_by_key(|e| e.ms);
        let mut today: Vec<Vec<u64>> = vec![Vec::new(); world.companies.len()];
        for (seq, e) in events.iter_mut().enumerate() {
            e.key = (index << 36) | seq as u64;
            let m = &world.members[e.member as usize];
            let c = m.company as usize;
            match e.kind {
                Kind::Post => today[c].push(e.key),
                Kind::Comment | Kind::Reaction => {
                    e.target_post = pick_post(&mut rng, &today[c], &self.yesterday[c]);
                    if e.target_post.is_none() {
                        e.kind = Kind::View;
                    }
                }
                Kind::Thanks => {
                    let colleagues = &by_department[m.department as usize];
                    let pool = if colleagues.len() > 1 && rng.chance(0.45) {
                        colleagues
                    } else {
                        &by_company[c]
                    };
                    e.target_member = pick_other(&mut rng, pool, e.member);
                    if e.target_member.is_none() {
                        e.kind = Kind::ProfileUpdate;
                    }
                }
                Kind::View if rng.chance(0.3) => {
                    e.target_member = pick_other(&mut rng, &by_company[c], e.member);
                }
                _ => {}
            }
        }
        self.yesterday = today;
        events
    }
}

/// An earlier post of the company: mostly today's (recent ones more often), else yesterday's.
fn pick_post(rng: &mut Rng, today: &[u64], yesterday: &[u64]) -> Option<u64> {
    if !today.is_empty() && (yesterday.is_empty() || rng.chance(0.7)) {
        let n = today.len();
        let index = if rng.chance(0.5) {
            rng.index(n)
        } else {
            n - 1 - (rng.exponential(4.0) as usize).min(n - 1)
        };
        Some(today[index])
    } else if !yesterday.is_empty() {
        Some(yesterday[rng.index(yesterday.len())])
    } else {
        None
    }
}

/// Someone in `pool` other than `me`, if there is anyone.
fn pick_other(rng: &mut Rng, pool: &[u32], me: u32) -> Option<u32> {
    if pool.len() < 2 {
        return None;
    }
    for _ in 0..8 {
        let other = pool[rng.index(pool.len())];
        if other != me {
            return Some(other);
        }
    }
    pool.iter().copied().find(|&o| o != me)
}
