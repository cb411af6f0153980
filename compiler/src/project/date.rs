//! `YYYY-MM-DD` text → [`Date`], a real calendar date.

use serde::Serialize;
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Date {
    pub year: u16,
    pub month: u8,
    pub day: u8,
}

/// Why a date did not parse, worded to follow "invalid date: ".
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DateError {
    Shape,
    Month(u8),
    Day { year: u16, month: u8, day: u8 },
}

impl fmt::Display for DateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DateError::Shape => f.write_str("expected YYYY-MM-DD"),
            DateError::Month(m) => write!(f, "there is no month {m}"),
            DateError::Day { year, month, day } => {
                write!(
                    f,
                    "{year:04}-{month:02} has {} days, not {day}",
                    days_in_month(*year, *month)
                )
            }
        }
    }
}

impl Date {
    pub fn parse(text: &str) -> Result<Date, DateError> {
        let bytes = text.as_bytes();
        let shape_ok = bytes.len() == 10
            && bytes[4] == b'-'
            && bytes[7] == b'-'
            && bytes
                .iter()
                .enumerate()
                .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
        if !shape_ok {
            return Err(DateError::Shape);
        }
        let number =
            |range: std::ops::Range<usize>| text.get(range).and_then(|s| s.parse::<u16>().ok());
        let (Some(year), Some(month), Some(day)) = (number(0..4), number(5..7), number(8..10))
        else {
            return Err(DateError::Shape);
        };
        let (month, day) = (month as u8, day as u8);
        if !(1..=12).contains(&month) {
            return Err(DateError::Month(month));
        }
        if day == 0 || day > days_in_month(year, month) {
            return Err(DateError::Day { year, month, day });
        }
        Ok(Date { year, month, day })
    }
}

fn days_in_month(year: u16, month: u8) -> u8 {
    let leap = (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_dates_only() {
        assert_eq!(
            Date::parse("2024-02-29"),
            Ok(Date {
                year: 2024,
                month: 2,
                day: 29
            })
        );
        assert_eq!(Date::parse("2024-01-01").unwrap().to_string(), "2024-01-01");
        assert_eq!(
            Date::parse("2023-02-29"),
            Err(DateError::Day {
                year: 2023,
                month: 2,
                day: 29
            })
        );
        assert_eq!(
            Date::parse("2024-02-30").unwrap_err().to_string(),
            "2024-02 has 29 days, not 30"
        );
        assert_eq!(Date::parse("2024-13-01"), Err(DateError::Month(13)));
        assert_eq!(Date::parse("2024-1-01"), Err(DateError::Shape));
        assert_eq!(Date::parse("２０２４-01-01"), Err(DateError::Shape));
        assert_eq!(
            Date::parse("1900-02-29").map(|_| ()),
            Err(DateError::Day {
                year: 1900,
                month: 2,
                day: 29
            })
        );
    }
}

impl Date {
    /// Days since 1970-01-01 (negative before), by the civil-from-days algorithm.
    pub fn day_number(self) -> i64 {
        let (y, m, d) = (
            i64::from(self.year),
            i64::from(self.month),
            i64::from(self.day),
        );
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (m + 9) % 12;
        let doy = (153 * mp + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The date `n` days after 1970-01-01; `None` outside years 0..=9999.
    pub fn from_day_number(n: i64) -> Option<Date> {
        let z = n + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        Some(Date {
            year: u16::try_from(year).ok().filter(|y| *y <= 9999)?,
            month: u8::try_from(month).ok()?,
            day: u8::try_from(day).ok()?,
        })
    }

    /// This date moved by `days` (negative moves back).
    pub fn add_days(self, days: i64) -> Option<Date> {
        Date::from_day_number(self.day_number() + days)
    }
}

#[cfg(test)]
mod day_number_tests {
    use super::Date;

    #[test]
    fn day_numbers_round_trip_across_leap_years() {
        let epoch = Date::parse("1970-01-01").unwrap();
        assert_eq!(epoch.day_number(), 0);
        assert_eq!(
            Date::parse("2024-03-01").unwrap().day_number()
                - Date::parse("2024-02-28").unwrap().day_number(),
            2
        );
        assert_eq!(
            Date::parse("2023-03-01").unwrap().day_number()
                - Date::parse("2023-02-28").unwrap().day_number(),
            1
        );
        for n in -700_000..2_900_000i64 {
            if n % 997 == 0 {
                let d = Date::from_day_number(n).unwrap();
                assert_eq!(d.day_number(), n);
                assert_eq!(Date::parse(&d.to_string()).unwrap(), d);
            }
        }
        assert_eq!(
            Date::parse("2024-01-31")
                .unwrap()
                .add_days(-29)
                .unwrap()
                .to_string(),
            "2024-01-02"
        );
    }
}
