//! An IANA time-zone name → its UTC offsets over the project's horizon, computed at compile
//! time, so the state machine can tell the local day of its start time with plain arithmetic
//! (JSONata's `$fromMillis` takes only a fixed offset).

use crate::project::date::Date;
use chrono::{DateTime, Offset, TimeZone};
use chrono_tz::Tz;

/// How far past `history_start` the offsets are computed.
pub const HORIZON_YEARS: i64 = 30;

/// From `at_millis` on (until the next entry), local time is UTC plus `offset_minutes`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OffsetChange {
    pub at_millis: i64,
    pub offset_minutes: i32,
}

/// The offsets of `zone` from `start` (00:00 UTC) for [`HORIZON_YEARS`] years: the first
/// entry is the offset in force at `start`, then one entry per change. `None` when chrono-tz
/// does not know the zone.
pub fn offset_changes(zone: &str, start: Date) -> Option<Vec<OffsetChange>> {
    let tz: Tz = zone.parse().ok()?;
    let offset_at = |secs: i64| -> Option<i32> {
        let utc = DateTime::from_timestamp(secs, 0)?.naive_utc();
        Some(tz.offset_from_utc_datetime(&utc).fix().local_minus_utc() / 60)
    };
    let begin = start.day_number() * 86_400;
    let end = begin + HORIZON_YEARS * 366 * 86_400;
    // Six hours is shorter than the gap between any two real transitions.
    let step = 6 * 3600;
    let mut current = offset_at(begin)?;
    let mut changes = vec![OffsetChange {
        at_millis: begin * 1000,
        offset_minutes: current,
    }];
    let mut t = begin;
    while t < end {
        let next = t + step;
        let offset = offset_at(next)?;
        if offset != current {
            // The first second at which the new offset holds.
            let (mut lo, mut hi) = (t, next);
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                if offset_at(mid)? == current {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            changes.push(OffsetChange {
                at_millis: hi * 1000,
                offset_minutes: offset,
            });
            current = offset;
        }
        t = next;
    }
    Some(changes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> Date {
        Date::parse(text).unwrap()
    }

    #[test]
    fn utc_has_one_offset() {
        let changes = offset_changes("UTC", day("2024-01-01")).unwrap();
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].offset_minutes, 0);
        assert_eq!(changes[0].at_millis, 1_704_067_200_000);
    }

    #[test]
    fn paris_switches_twice_a_year() {
        let changes = offset_changes("Europe/Paris", day("2024-01-01")).unwrap();
        assert_eq!(changes[0].offset_minutes, 60);
        // 2024-03-31 01:00 UTC: CET → CEST.
        assert_eq!(
            changes[1],
            OffsetChange {
                at_millis: 1_711_846_800_000,
                offset_minutes: 120
            }
        );
        // 2024-10-27 01:00 UTC: back to CET.
        assert_eq!(changes[2].at_millis, 1_729_990_800_000);
        assert_eq!(changes[2].offset_minutes, 60);
        assert!(
            changes.len() > 55 && changes.len() < 65,
            "{}",
            changes.len()
        );
    }

    #[test]
    fn unknown_zone_is_none() {
        assert!(offset_changes("Europe/Atlantis", day("2024-01-01")).is_none());
    }
}
