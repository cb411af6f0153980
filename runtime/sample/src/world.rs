//! Sample options → the simulated population: companies (heavy-tailed sizes), their
//! departments, and members who join, move between departments and leave over time, each
//! with a role, a preferred client and an activity level (a few very active, many quiet).

use super::SampleOptions;
use super::dist::{Rng, cumulative};
use chrono::{Datelike, NaiveDate, Weekday};

/// Days since 1970-01-01.
pub fn day_number(date: NaiveDate) -> i32 {
    date.num_days_from_ce() - 719_163
}

/// The weekday of a day number (1970-01-01 was a Thursday).
pub fn weekday(day: i32) -> Weekday {
    match day.rem_euclid(7) {
        0 => Weekday::Thu,
        1 => Weekday::Fri,
        2 => Weekday::Sat,
        3 => Weekday::Sun,
        4 => Weekday::Mon,
        5 => Weekday::Tue,
        _ => Weekday::Wed,
    }
}

pub fn is_weekend(day: i32) -> bool {
    matches!(weekday(day), Weekday::Sat | Weekday::Sun)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Member,
    Manager,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Member => "member",
            Role::Manager => "manager",
            Role::Admin => "admin",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Client {
    Web,
    Ios,
    Android,
}

impl Client {
    pub fn as_str(self) -> &'static str {
        match self {
            Client::Web => "web",
            Client::Ios => "ios",
            Client::Android => "android",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Company {
    pub id: i64,
    pub name: String,
    pub industry: &'static str,
    pub size_band: &'static str,
    /// The yearly contract value in cents (a `decimal(12,2)` in the snapshot).
    pub contract_cents: i64,
    /// Hours ahead of UTC where most of its members work.
    pub utc_offset: i32,
    /// Indices into `World::departments`.
    pub departments: std::ops::Range<usize>,
}

#[derive(Debug, Clone)]
pub struct Department {
    pub id: i64,
    pub company: u32,
    pub name: String,
}

#[derive(Debug, Clone)]
pub struct Member {
    pub id: i64,
    pub company: u32,
    /// Index into `World::departments` of the department the member joined.
    pub department: u32,
    /// Moves to another department of the company: (first day there, department), in day
    /// order.
    pub moves: Vec<(i32, u32)>,
    pub role: Role,
    /// Day number of the first day as a member.
    pub joined: i32,
    /// Day number of the day they left (not a member from that day on).
    pub left: Option<i32>,
    /// Relative activity: heavy-tailed, mean about 1.
    pub activity: f32,
    pub client: Client,
    /// Last octet of the member's office address.
    pub host: u8,
}

impl Member {
    /// A member on `day`: joined on or before it, and not yet left.
    pub fn is_active(&self, day: i32) -> bool {
        self.joined <= day && self.left.is_none_or(|left| day < left)
    }
}

#[derive(Debug, Clone)]
pub struct World {
    pub companies: Vec<Company>,
    pub departments: Vec<Department>,
    /// In id order, which is join order.
    pub members: Vec<Member>,
    pub first_day: i32,
    pub days: u32,
}

const INDUSTRIES: [&str; 10] = [
    "software",
    "manufacturing",
    "retail",
    "finance",
    "healthcare",
    "logistics",
    "education",
    "media",
    "energy",
    "public sector",
];
const DEPARTMENTS: [&str; 16] = [
    "Engineering",
    "Sales",
    "Marketing",
    "Finance",
    "Human Resources",
    "Operations",
    "Customer Support",
    "Legal",
    "Product",
    "Design",
    "IT",
    "Research",
    "Procurement",
    "Logistics",
    "Quality",
    "Facilities",
];
const REGIONS: [&str; 4] = ["EMEA", "APAC", "Americas", "Japan"];
const SYLLABLES: [&str; 16] = [
    "ka", "to", "ri", "no", "sa", "mi", "ven", "lo", "tar", "el", "qu", "zen", "ora", "bi", "dex",
    "lum",
];
const SUFFIXES: [&str; 6] = ["Corp", "Inc", "GmbH", "KK", "Ltd", "Group"];
/// UTC offsets of the companies' home offices, and how common each is.
const OFFSETS: [(i32, f64); 5] = [(9, 0.4), (1, 0.2), (0, 0.1), (-5, 0.2), (-8, 0.1)];

/// Share of members who almost never do anything.
const LURKERS: f64 = 0.3;
/// Daily probability that a member leaves (about 2% a month).
const LEAVE_RATE: f64 = 0.0007;
/// Daily joins per member on a working day (about 10% a month).
const JOIN_RATE: f64 = 0.0045;
/// Daily probability that a member moves to another department of the company (about 3% a
/// month).
const MOVE_RATE: f64 = 0.001;

impl World {
    pub fn build(options: &SampleOptions) -> World {
        let first_day = day_number(options.start);
        let mut rng = Rng::new(options.seed, 1);
        let n = options.companies as usize;
        let sizes = company_sizes(&mut rng, n, options.large);
        let offset_weights = cumulative(&OFFSETS.map(|(_, w)| w));
        let mut world = World {
            companies: Vec::with_capacity(n),
            departments: Vec::new(),
            members: Vec::new(),
            first_day,
            days: options.days,
        };
        let mut initial = Vec::new();
        for (c, &size) in sizes.iter().enumerate() {
            let company = world.new_company(&mut rng, c, size, &offset_weights);
            world.companies.push(company);
            let start = initial.len();
            let mut active = 0;
            let mut attempts = 0;
            while active < size && attempts < size * 4 + 8 {
                attempts += 1;
                let joined = first_day - 1 - rng.below(900) as i32;
                let member = world.new_member(&mut rng, c, joined);
                if member.is_active(first_day) {
                    active += 1;
                }
                initial.push(member);
            }
            if let Some(first) = initial[start..].iter_mut().min_by_key(|m| m.joined) {
                first.role = Role::Admin;
            }
        }
        initial.sort_by_key(|m| m.joined);
        world.members = initial;
        for day in first_day..first_day + options.days as i32 {
            let factor = if is_weekend(day) { 0.05 } else { 1.38 };
            for (c, &size) in sizes.iter().enumerate() {
                let joins = rng.poisson(size as f64 * JOIN_RATE * factor);
                for _ in 0..joins {
                    let member = world.new_member(&mut rng, c, day);
                    world.members.push(member);
                }
            }
        }
        for (i, member) in world.members.iter_mut().enumerate() {
            member.id = 100_001 + i as i64;
        }
        world.draw_moves(options.seed);
        world
    }

    /// Department moves within the generated days, from their own stream, so that adding
    /// them shifted no other draw. A move takes effect from its day's snapshot on.
    fn draw_moves(&mut self, seed: u64) {
        let mut rng = Rng::new(seed, 2);
        let end = self.first_day + self.days as i32;
        for member in &mut self.members {
            let departments = self.companies[member.company as usize].departments.clone();
            if departments.len() < 2 {
                continue;
            }
            let last = member.left.unwrap_or(end).min(end);
            let mut day = member.joined.max(self.first_day);
            let mut current = member.department;
            loop {
                day += 1 + rng.exponential(1.0 / MOVE_RATE) as i32;
                if day >= last {
                    break;
                }
                // Any other department of the company, uniformly.
                let mut next = departments.start + rng.index(departments.len() - 1);
                if next as u32 >= current {
                    next += 1;
                }
                current = next as u32;
                member.moves.push((day, current));
            }
        }
    }

    fn new_company(&mut self, rng: &mut Rng, c: usize, size: usize, offsets: &[f64]) -> Company {
        let mut name = String::new();
        for i in 0..2 + rng.index(2) {
            let syllable = SYLLABLES[rng.index(SYLLABLES.len())];
            if i == 0 {
                name.push_str(&syllable[..1].to_uppercase());
                name.push_str(&syllable[1..]);
            } else {
                name.push_str(syllable);
            }
        }
        name.push(' ');
        name.push_str(SUFFIXES[rng.index(SUFFIXES.len())]);
        let size_band = match size {
            0..50 => "1-49",
            50..250 => "50-249",
            250..1000 => "250-999",
            1000..5000 => "1000-4999",
            _ => "5000+",
        };
        let seat_price = rng.range(40.0, 140.0);
        let contract_cents = (size as f64 * seat_price * 100.0).round() as i64;
        let count = ((size as f64).sqrt() / 1.6).round().clamp(1.0, 60.0) as usize;
        let first = self.departments.len();
        let company_id = c as i64 + 1;
        for k in 0..count {
            let base = DEPARTMENTS[k % DEPARTMENTS.len()];
            let name = match k / DEPARTMENTS.len() {
                0 => base.to_string(),
                r => format!("{base} {}", REGIONS[(r - 1) % REGIONS.len()]),
            };
            self.departments.push(Department {
                id: company_id * 100 + k as i64 + 1,
                company: c as u32,
                name,
            });
        }
        Company {
            id: company_id,
            name,
            industry: INDUSTRIES[rng.index(INDUSTRIES.len())],
            size_band,
            contract_cents,
            utc_offset: OFFSETS[rng.weighted(offsets)].0,
            departments: first..first + count,
        }
    }

    fn new_member(&self, rng: &mut Rng, c: usize, joined: i32) -> Member {
        let company = &self.companies[c];
        let count = company.departments.len();
        // Department sizes fall off with their rank: a few big departments, many small ones.
        let weights: Vec<f64> = (0..count)
            .map(|k| 1.0 / (k as f64 + 1.0).powf(0.8))
            .collect();
        let department = company.departments.start + rng.weighted(&cumulative(&weights));
        let r = rng.unit();
        let role = if r < 0.02 {
            Role::Admin
        } else if r < 0.14 {
            Role::Manager
        } else {
            Role::Member
        };
        let tenure = 1 + rng.exponential(1.0 / LEAVE_RATE) as i32;
        let end = self.first_day + self.days as i32;
        let left = Some(joined.saturating_add(tenure)).filter(|&d| d < end);
        let activity = if rng.chance(LURKERS) {
            rng.range(0.01, 0.06)
        } else {
            rng.pareto(0.3, 1.25, 60.0)
        };
        let c_roll = rng.unit();
        let client = if c_roll < 0.55 {
            Client::Web
        } else if c_roll < 0.8 {
            Client::Ios
        } else {
            Client::Android
        };
        Member {
            id: 0,
            company: c as u32,
            department: department as u32,
            moves: Vec::new(),
            role,
            joined,
            left,
            activity: activity as f32,
            client,
            host: 2 + rng.below(250) as u8,
        }
    }

    /// Members in the snapshot of `day`: everyone who had joined by then, left or not.
    pub fn members_on(&self, day: i32) -> usize {
        self.members.iter().filter(|m| m.joined <= day).count()
    }
}

/// Heavy-tailed headcounts: a Zipf-like rank curve with some noise, in shuffled order.
fn company_sizes(rng: &mut Rng, n: usize, large: bool) -> Vec<usize> {
    let scale = if large { 4.0 } else { 1.0 };
    let mut sizes: Vec<usize> = (0..n)
        .map(|k| {
            let base = 12.0 * (n as f64 / (k as f64 + 0.5)).powf(1.0 / 1.1);
            (base.min(20_000.0) * scale * rng.range(0.85, 1.15))
                .round()
                .max(3.0) as usize
        })
        .collect();
    for i in (1..n).rev() {
        let j = rng.index(i + 1);
        sizes.swap(i, j);
    }
    sizes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_move_within_their_company_on_generated_days_only() {
        let options = SampleOptions {
            days: 60,
            ..SampleOptions::default()
        };
        let world = World::build(&options);
        let end = world.first_day + world.days as i32;
        let mut moved = 0;
        for m in &world.members {
            let mut previous = (m.joined.max(world.first_day), m.department);
            for &(day, department) in &m.moves {
                assert!(day > previous.0 && day < end, "{m:?}");
                assert!(m.left.is_none_or(|left| day < left), "{m:?}");
                assert_ne!(department, previous.1, "{m:?}");
                assert_eq!(world.departments[department as usize].company, m.company);
                previous = (day, department);
            }
            moved += usize::from(!m.moves.is_empty());
        }
        // About 3% a month over two months, of members present at some point.
        let share = moved as f64 / world.members.len() as f64;
        assert!(
            share > 0.02 && share < 0.1,
            "{moved} of {}",
            world.members.len()
        );
    }
}
