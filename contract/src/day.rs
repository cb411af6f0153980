//! `YYYY-MM-DD` ↔ [`Day`], a calendar day counted from 1970-01-01, and [`DayRange`], the days
//! from one to another. Partition values, chunk bounds and windows are all days.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A calendar day of the proleptic Gregorian calendar, years 0001 to 9999.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(i32);

/// The first and the last day of a range, both included; `first <= last`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct DayRange {
    pub first: Day,
    pub last: Day,
}

const MIN: i32 = -719_162; // 0001-01-01
const MAX: i32 = 2_932_896; // 9999-12-31

fn leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Days in a month of a year.
pub fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 if leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl Day {
    /// 1970-01-01.
    pub const EPOCH: Day = Day(0);

    /// The day of a calendar date, if it exists (and is in years 0001 to 9999).
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Option<Day> {
        if !(1..=9999).contains(&year)
            || !(1..=12).contains(&month)
            || day == 0
            || day > days_in_month(year, month)
        {
            return None;
        }
        // Days from civil, counting years from March so that February is last.
        let y = if month <= 2 { year - 1 } else { year };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = month as i32;
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i32 - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        Some(Day(era * 146_097 + doe - 719_468))
    }

    /// `YYYY-MM-DD`, exactly ten characters, a real calendar date.
    pub fn parse(text: &str) -> Option<Day> {
        let b = text.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let digits = |r: std::ops::Range<usize>| -> Option<u32> {
            let part = text.get(r)?;
            part.bytes()
                .all(|c| c.is_ascii_digit())
                .then(|| part.parse().ok())?
        };
        Day::from_ymd(digits(0..4)? as i32, digits(5..7)?, digits(8..10)?)
    }

    /// Days since 1970-01-01 (negative before).
    pub fn number(self) -> i32 {
        self.0
    }

    /// The day `n` days since 1970-01-01, within years 0001 to 9999.
    pub fn from_number(n: i64) -> Option<Day> {
        let n = i32::try_from(n).ok()?;
        (MIN..=MAX).contains(&n).then_some(Day(n))
    }

    /// `n` days later (earlier when negative), if still within years 0001 to 9999.
    pub fn add_days(self, n: i64) -> Option<Day> {
        Day::from_number(i64::from(self.0) + n)
    }

    /// Days from `earlier` to `self`.
    pub fn since(self, earlier: Day) -> i64 {
        i64::from(self.0) - i64::from(earlier.0)
    }

    /// Year, month (1-12) and day of month (1-31).
    pub fn ymd(self) -> (i32, u32, u32) {
        let z = self.0 + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = yoe + era * 400 + i32::from(month <= 2);
        (year, month, day)
    }

    /// ISO day of the week: Monday 1 to Sunday 7.
    pub fn weekday(self) -> u32 {
        // 1970-01-01 was a Thursday.
        ((self.0 + 3).rem_euclid(7) + 1) as u32
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

impl Serialize for Day {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Day {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Day, D::Error> {
        let text = String::deserialize(d)?;
        Day::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format!("`{text}` is not a calendar day YYYY-MM-DD"))
        })
    }
}

impl DayRange {
    /// The range from `first` to `last`, if `first <= last`.
    pub fn new(first: Day, last: Day) -> Option<DayRange> {
        (first <= last).then_some(DayRange { first, last })
    }

    pub fn one(day: Day) -> DayRange {
        DayRange {
            first: day,
            last: day,
        }
    }

    /// How many days the range holds.
    pub fn len(self) -> u32 {
        u32::try_from(self.last.since(self.first) + 1).unwrap_or(u32::MAX)
    }

    /// Never true: a range holds at least one day.
    pub fn is_empty(self) -> bool {
        false
    }

    pub fn contains(self, day: Day) -> bool {
        self.first <= day && day <= self.last
    }

    /// Every day of the range, oldest first.
    pub fn days(self) -> impl Iterator<Item = Day> {
        (self.first.0..=self.last.0).map(Day)
    }

    /// The range cut into consecutive ranges of at most `size` days (`size` at least 1).
    pub fn chunks(self, size: u32) -> Vec<DayRange> {
        let size = i32::try_from(size.max(1)).unwrap_or(i32::MAX);
        let mut out = Vec::new();
        let mut first = self.first.0;
        while first <= self.last.0 {
            let last = first.saturating_add(size - 1).min(self.last.0);
            out.push(DayRange {
                first: Day(first),
                last: Day(last),
            });
            first = last + 1;
        }
        out
    }

    /// Sorted days grouped into maximal runs of consecutive days.
    pub fn runs(days: &[Day]) -> Vec<DayRange> {
        let mut sorted = days.to_vec();
        sorted.sort();
        sorted.dedup();
        let mut out: Vec<DayRange> = Vec::new();
        for day in sorted {
            match out.last_mut() {
                Some(run) if run.last.0 + 1 == day.0 => run.last = day,
                _ => out.push(DayRange::one(day)),
            }
        }
        out
    }
}

impl fmt::Display for DayRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.first == self.last {
            write!(f, "{}", self.first)
        } else {
            write!(f, "{} to {}", self.first, self.last)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_round_trip_through_their_text_and_number() {
        for (text, n) in [
            ("1970-01-01", 0),
            ("2024-01-01", 19_723),
            ("2024-02-29", 19_782),
            ("1969-12-31", -1),
            ("0001-01-01", MIN),
            ("9999-12-31", MAX),
        ] {
            let day = Day::parse(text).unwrap();
            assert_eq!(day.number(), n, "{text}");
            assert_eq!(day.to_string(), text);
            assert_eq!(Day::from_number(i64::from(n)), Some(day));
        }
        // Every day of four centuries, one after another.
        let mut day = Day::parse("1900-01-01").unwrap();
        for _ in 0..146_097 {
            let next = day.add_days(1).unwrap();
            assert_eq!(Day::parse(&next.to_string()), Some(next));
            assert_eq!(next.since(day), 1);
            day = next;
        }
    }

    #[test]
    fn only_real_dates_parse() {
        for bad in [
            "2023-02-29",
            "1900-02-29",
            "2024-13-01",
            "2024-00-10",
            "2024-04-31",
            "2024-1-01",
            "2024-01-01 ",
            "+024-01-01",
            "0000-01-01",
            "２０２４-01-01",
        ] {
            assert_eq!(Day::parse(bad), None, "{bad}");
        }
        assert!(Day::parse("2000-02-29").is_some());
        assert_eq!(Day::parse("9999-12-31").unwrap().add_days(1), None);
    }

    #[test]
    fn weekdays_are_iso() {
        assert_eq!(Day::parse("2024-01-01").unwrap().weekday(), 1); // a Monday
        assert_eq!(Day::parse("2024-03-03").unwrap().weekday(), 7);
        assert_eq!(Day::parse("1970-01-01").unwrap().weekday(), 4);
    }

    #[test]
    fn ranges_cut_into_chunks_and_days_into_runs() {
        let d = |s: &str| Day::parse(s).unwrap();
        let range = DayRange::new(d("2024-01-01"), d("2024-12-31")).unwrap();
        assert_eq!(range.len(), 366);
        let chunks = range.chunks(100);
        assert_eq!(
            chunks.iter().map(|c| c.len()).collect::<Vec<_>>(),
            [100, 100, 100, 66]
        );
        assert_eq!(chunks[1].first, d("2024-04-10"));
        let runs = DayRange::runs(&[
            d("2024-01-03"),
            d("2024-01-01"),
            d("2024-01-02"),
            d("2024-01-05"),
        ]);
        assert_eq!(
            runs.iter().map(ToString::to_string).collect::<Vec<_>>(),
            ["2024-01-01 to 2024-01-03", "2024-01-05"]
        );
        assert_eq!(
            serde_json::to_string(&DayRange::one(d("2024-01-05"))).unwrap(),
            r#"{"first":"2024-01-05","last":"2024-01-05"}"#
        );
        assert!(serde_json::from_str::<Day>("\"2024-02-30\"").is_err());
    }
}
