//! Numbers as the report prints them: digits grouped in thousands (`1,234,567`), fixed decimals.

/// `1234567` → `1,234,567`.
pub fn group_digits(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `1234.5678` with 2 places → `1,234.57`; the integer part grouped as [`group_digits`].
pub fn decimal(x: f64, places: usize) -> String {
    let text = format!("{:.places$}", x.abs());
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let grouped = whole
        .parse::<u64>()
        .map(group_digits)
        .unwrap_or_else(|_| whole.to_string());
    let sign = if x < 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0') {
        "-"
    } else {
        ""
    };
    if fraction.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}.{fraction}")
    }
}

/// Milliseconds as seconds with two decimals: `1234567.0` → `1,234.57 s`.
pub fn seconds(ms: f64) -> String {
    format!("{} s", decimal(ms / 1000.0, 2))
}

/// `part` as a percentage of `whole` with one decimal (`0.0 %` when `whole` is not positive).
pub fn percent(part: f64, whole: f64) -> String {
    let share = if whole > 0.0 {
        part / whole * 100.0
    } else {
        0.0
    };
    format!("{} %", decimal(share, 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_group_in_thousands() {
        assert_eq!(group_digits(0), "0");
        assert_eq!(group_digits(999), "999");
        assert_eq!(group_digits(1_000), "1,000");
        assert_eq!(group_digits(1_234_567), "1,234,567");
        assert_eq!(decimal(1234.5678, 2), "1,234.57");
        assert_eq!(decimal(999.999, 2), "1,000.00");
        assert_eq!(decimal(-1234.5, 1), "-1,234.5");
        assert_eq!(decimal(-0.001, 1), "0.0");
        assert_eq!(decimal(12_345.0, 0), "12,345");
        assert_eq!(seconds(1_234_567.0), "1,234.57 s");
        assert_eq!(percent(1.0, 3.0), "33.3 %");
        assert_eq!(percent(1.0, 0.0), "0.0 %");
    }
}
