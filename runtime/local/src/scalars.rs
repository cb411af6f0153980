//! Text of one JSON value → a Hive scalar, by the rules of Athena's OpenX JSON SerDe (the
//! reader Athena engine 3 uses, `io.trino.hive.formats.line.openxjson`), in its strict mode:
//! with `use.null.for.invalid.data` left at its default (false), a value that does not convert
//! fails the query, so here it is an error, never a NULL.
//!
//! What is accepted, type by type (and where the local engine is deliberately stricter):
//! - integers: decimal text with an optional sign, `0x1F` hex, `017` octal, or any decimal
//!   number (`1.9`, `1e3`), truncated toward zero; out of the type's range is an error.
//! - `float`, `double`: Java's `Double.parseDouble` forms, with `NaN`, `Infinity`, `-Infinity`.
//! - `decimal(p,s)`: any decimal number, rounded half up to `s` places; more than `p` digits is
//!   an error.
//! - `date`: `y-M-d` (text after a space is ignored), or a whole number of days since 1970.
//! - `timestamp`: `yyyy-MM-ddTHH:mm[:ss[.f…]]` with `Z`, `+HH:MM` or `+HHMM` (converted to
//!   UTC); `y-M-d H:m:s[.f…]` or `yyyy-MM-ddTHH:mm[:ss[.f…]]` without a zone (taken as UTC);
//!   whole numbers of seconds (up to 12 characters) or milliseconds (13 or more); decimal
//!   seconds. A zone after a space separator (`2024-01-04 09:38:29+09:00`) is refused, as
//!   Athena refuses it. Kept to milliseconds (half up), Athena's timestamp precision. Athena
//!   parses leniently (hour 24 or 30 February roll over); here they are errors.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime};

/// A decimal number as text gives it: `digits × 10^exponent`, digits without leading zeros.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Number {
    negative: bool,
    digits: Vec<u8>,
    exponent: i64,
}

/// Parses what Java's `new BigDecimal(text)` accepts: sign, digits, a point, an exponent.
fn number(text: &str) -> Option<Number> {
    let bytes = text.as_bytes();
    let (negative, mut i) = match bytes.first() {
        Some(b'-') => (true, 1),
        Some(b'+') => (false, 1),
        _ => (false, 0),
    };
    let mut digits = Vec::new();
    let mut exponent: i64 = 0;
    let mut seen = false;
    let mut point = false;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'0'..=b'9' => {
                seen = true;
                if !(digits.is_empty() && b == b'0') {
                    digits.push(b - b'0');
                }
                if point {
                    exponent -= 1;
                }
            }
            b'.' if !point => point = true,
            _ => break,
        }
        i += 1;
    }
    if !seen {
        return None;
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        let e: i64 = text.get(i + 1..)?.parse().ok()?;
        exponent = exponent.checked_add(e)?;
    } else if i != bytes.len() {
        return None;
    }
    Some(Number {
        negative,
        digits,
        exponent,
    })
}

/// The number truncated toward zero, when it fits in an `i64`.
fn truncated(n: &Number) -> Option<i64> {
    let keep = (n.digits.len() as i64 + n.exponent).max(0);
    if keep > 19 {
        return None;
    }
    let mut value: i128 = 0;
    for k in 0..keep {
        let d = n.digits.get(k as usize).copied().unwrap_or(0);
        value = value * 10 + i128::from(d);
    }
    i64::try_from(if n.negative { -value } else { value }).ok()
}

/// Java's `Long.parseLong`: an optional sign and decimal digits only.
fn java_long(text: &str, radix: u32) -> Option<i64> {
    let body = text.strip_prefix(['+', '-']).unwrap_or(text);
    if body.is_empty() || !body.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    i64::from_str_radix(text, radix).ok()
}

/// Decimal, hex (`0x…`) or octal (`0…`) text, as the SerDe reads integers and day numbers.
fn decimal_hex_octal(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() >= 3 && b[0] == b'0' && b[1].eq_ignore_ascii_case(&b'x') && b[2].is_ascii_hexdigit()
    {
        return java_long(&text[2..], 16);
    }
    if b.len() >= 2
        && b[0] == b'0'
        && (b'0'..=b'8').contains(&b[1])
        && let Some(v) = java_long(&text[1..], 8)
    {
        return Some(v);
    }
    java_long(text, 10)
}

/// An integer of `bits` bits.
pub fn integer(text: &str, bits: u32) -> Option<i64> {
    let value = decimal_hex_octal(text).or_else(|| truncated(&number(text)?))?;
    let max = (1i64 << (bits - 1)) - 1;
    (-max - 1..=max).contains(&value).then_some(value)
}

/// A double, as Java's `Double.parseDouble` reads it (hex floats aside).
pub fn double(text: &str) -> Option<f64> {
    let t = text.trim();
    let unsigned = t.strip_prefix(['+', '-']).unwrap_or(t);
    match unsigned {
        "NaN" => return Some(f64::NAN),
        "Infinity" => {
            return Some(if t.starts_with('-') {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            });
        }
        _ => {}
    }
    let t = t.strip_suffix(['f', 'F', 'd', 'D']).unwrap_or(t);
    if !t
        .bytes()
        .all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b))
    {
        return None;
    }
    t.parse().ok()
}

/// `decimal(precision, scale)` as canonical text (`-12.50`), rounded half up.
pub fn decimal(text: &str, precision: u32, scale: u32) -> Option<String> {
    let n = number(text)?;
    let shift = n.exponent + i64::from(scale);
    let mut unscaled: Vec<u8> = n.digits.clone();
    if shift >= 0 {
        if unscaled.is_empty() {
            // Zero, whatever its exponent.
        } else if unscaled.len() as i64 + shift > i64::from(precision) {
            return None;
        } else {
            unscaled.extend(std::iter::repeat_n(0, shift as usize));
        }
    } else {
        let drop = (-shift) as usize;
        let keep = unscaled.len().saturating_sub(drop);
        let round_up = drop <= unscaled.len() && unscaled[keep] >= 5;
        unscaled.truncate(keep);
        if round_up {
            let mut i = unscaled.len();
            loop {
                if i == 0 {
                    unscaled.insert(0, 1);
                    break;
                }
                i -= 1;
                if unscaled[i] == 9 {
                    unscaled[i] = 0;
                } else {
                    unscaled[i] += 1;
                    break;
                }
            }
        }
    }
    while unscaled.first() == Some(&0) {
        unscaled.remove(0);
    }
    if unscaled.len() > precision as usize {
        return None;
    }
    let scale = scale as usize;
    let mut padded = vec![0u8; (scale + 1).saturating_sub(unscaled.len())];
    padded.extend(&unscaled);
    let (int, frac) = padded.split_at(padded.len() - scale);
    let digit = |d: &u8| char::from(b'0' + d);
    let mut out = String::new();
    if n.negative && !unscaled.is_empty() {
        out.push('-');
    }
    out.extend(int.iter().map(digit));
    if scale > 0 {
        out.push('.');
        out.extend(frac.iter().map(digit));
    }
    Some(out)
}

/// Reads a run of ASCII digits of `min..=max` length at `*i`.
fn digits(b: &[u8], i: &mut usize, min: usize, max: usize) -> Option<u32> {
    let start = *i;
    while *i < b.len() && *i - start < max && b[*i].is_ascii_digit() {
        *i += 1;
    }
    if *i - start < min {
        return None;
    }
    std::str::from_utf8(&b[start..*i]).ok()?.parse().ok()
}

fn expect(b: &[u8], i: &mut usize, c: u8) -> Option<()> {
    (b.get(*i) == Some(&c)).then(|| *i += 1)
}

/// `y-M-d` with a year of 1 to 10 digits and one- or two-digit month and day (`iso`: exactly
/// `yyyy-MM-dd`, at least four year digits).
fn date_part(b: &[u8], i: &mut usize, iso: bool) -> Option<NaiveDate> {
    let year = digits(b, i, if iso { 4 } else { 1 }, 10)?;
    expect(b, i, b'-')?;
    let month = digits(b, i, if iso { 2 } else { 1 }, 2)?;
    expect(b, i, b'-')?;
    let day = digits(b, i, if iso { 2 } else { 1 }, 2)?;
    NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)
}

/// `H:m[:s[.f]]`; seconds are required unless `iso`, and ISO takes exactly two digits.
fn time_part(b: &[u8], i: &mut usize, iso: bool) -> Option<NaiveTime> {
    let (min, max) = if iso { (2, 2) } else { (1, 2) };
    let hour = digits(b, i, min, max)?;
    expect(b, i, b':')?;
    let minute = digits(b, i, min, max)?;
    let mut second = 0;
    let mut nanos = 0;
    if b.get(*i) == Some(&b':') || !iso {
        expect(b, i, b':')?;
        second = digits(b, i, min, max)?;
        if b.get(*i) == Some(&b'.') {
            *i += 1;
            let start = *i;
            let fraction = digits(b, i, 0, 9);
            match fraction {
                Some(f) => nanos = f * 10u32.pow(9 - (*i - start) as u32),
                // ISO allows a bare point; Hive's form wants a digit after it.
                None if !iso => return None,
                None => {}
            }
        }
    }
    NaiveTime::from_hms_nano_opt(hour, minute, second, nanos)
}

/// `Z`, `+HH:MM` or `+HHMM` → seconds east of UTC.
fn offset(b: &[u8], i: &mut usize) -> Option<i64> {
    if b.get(*i).is_some_and(|c| c.eq_ignore_ascii_case(&b'z')) {
        *i += 1;
        return Some(0);
    }
    let sign = match b.get(*i) {
        Some(b'+') => 1,
        Some(b'-') => -1,
        _ => return None,
    };
    *i += 1;
    let hours = digits(b, i, 2, 2)?;
    if b.get(*i) == Some(&b':') {
        *i += 1;
    }
    let minutes = digits(b, i, 2, 2)?;
    (hours <= 18 && minutes < 60).then(|| sign * i64::from(hours * 3600 + minutes * 60))
}

fn whole<T>(b: &[u8], i: usize, value: Option<T>) -> Option<T> {
    value.filter(|_| i == b.len())
}

/// An ISO date-time (`T`, case-insensitive), with a zone when `zoned`.
fn iso(b: &[u8], zoned: bool) -> Option<NaiveDateTime> {
    let mut i = 0;
    let date = date_part(b, &mut i, true)?;
    if !b.get(i)?.eq_ignore_ascii_case(&b't') {
        return None;
    }
    i += 1;
    let time = time_part(b, &mut i, true)?;
    let local = date.and_time(time);
    if !zoned {
        return whole(b, i, Some(local));
    }
    let east = offset(b, &mut i)?;
    whole(b, i, local.checked_sub_signed(Duration::seconds(east)))
}

/// Hive's own form: `y-M-d[ H:m:s[.f]]`.
fn hive(b: &[u8]) -> Option<NaiveDateTime> {
    let mut i = 0;
    let date = date_part(b, &mut i, false)?;
    if i == b.len() {
        return date.and_hms_opt(0, 0, 0);
    }
    expect(b, &mut i, b' ')?;
    let time = time_part(b, &mut i, false)?;
    whole(b, i, Some(date.and_time(time)))
}

fn has_zone(t: &str) -> bool {
    if t.ends_with(['z', 'Z']) {
        return true;
    }
    let b = t.as_bytes();
    let n = b.len();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    let sign = |k: usize| matches!(b[k], b'+' | b'-');
    (n >= 6 && digits(n - 4..n) && sign(n - 5))
        || (n >= 7 && digits(n - 2..n) && b[n - 3] == b':' && digits(n - 5..n - 3) && sign(n - 6))
}

/// A timestamp, in UTC, to the millisecond.
pub fn timestamp(text: &str) -> Option<NaiveDateTime> {
    let b = text.as_bytes();
    let value = if text.find(':').is_some_and(|i| i > 0) {
        let zoned = if has_zone(text) { iso(b, true) } else { None };
        zoned.or_else(|| hive(b)).or_else(|| iso(b, false))?
    } else {
        if text.is_empty()
            || !text
                .bytes()
                .all(|c| c.is_ascii_digit() || b"-+.".contains(&c))
        {
            return None;
        }
        let millis = if text.contains('.') {
            let mut n = number(text)?;
            n.exponent += 3;
            truncated(&n)?
        } else {
            let n = java_long(text, 10)?;
            if text.len() >= 13 {
                n
            } else {
                n.checked_mul(1000)?
            }
        };
        DateTime::from_timestamp_millis(millis)?.naive_utc()
    };
    let nanos = i64::from(value.and_utc().timestamp_subsec_nanos());
    let rounded = (nanos + 500_000) / 1_000_000 * 1_000_000;
    value.checked_add_signed(Duration::nanoseconds(rounded - nanos))
}

/// A date: `y-M-d` (anything after a space ignored), or days since 1970-01-01.
pub fn date(text: &str) -> Option<NaiveDate> {
    let t = text.trim();
    let head = t.split(' ').next().unwrap_or(t);
    let b = head.as_bytes();
    let mut i = 0;
    if let Some(d) = date_part(b, &mut i, false).filter(|_| i == b.len()) {
        return Some(d);
    }
    let days = decimal_hex_octal(t)?;
    NaiveDate::from_ymd_opt(1970, 1, 1)?.checked_add_signed(Duration::try_days(days)?)
}

#[cfg(test)]
#[path = "scalars_tests.rs"]
mod tests;
