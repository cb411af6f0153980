//! Each accepted and refused form of the SerDe's scalar rules, one assertion per form.

use super::*;

fn ts(text: &str) -> Option<String> {
    timestamp(text).map(|t| t.format("%Y-%m-%d %H:%M:%S%.3f").to_string())
}

#[test]
fn timestamps_with_and_without_fraction_and_zone_are_read_in_utc() {
    let cases = [
        ("2024-01-04T00:38:29.642Z", "2024-01-04 00:38:29.642"),
        ("2024-01-04T00:38:29Z", "2024-01-04 00:38:29.000"),
        ("2024-01-04t00:38:29z", "2024-01-04 00:38:29.000"),
        ("2024-01-04T09:38:29.642+09:00", "2024-01-04 00:38:29.642"),
        ("2024-01-04T09:38:29+0900", "2024-01-04 00:38:29.000"),
        ("2024-01-03T19:38:29-05:00", "2024-01-04 00:38:29.000"),
        ("2024-01-04T00:38Z", "2024-01-04 00:38:00.000"),
        ("2024-01-04 00:38:29.642", "2024-01-04 00:38:29.642"),
        ("2024-01-04 00:38:29", "2024-01-04 00:38:29.000"),
        ("2024-1-4 0:38:29", "2024-01-04 00:38:29.000"),
        ("2024-01-04T00:38:29.642", "2024-01-04 00:38:29.642"),
        ("2024-01-04T00:38:29", "2024-01-04 00:38:29.000"),
        // Nanoseconds are kept to the millisecond, half up.
        ("2024-01-04 00:38:29.6425", "2024-01-04 00:38:29.643"),
        ("2024-01-04T23:59:59.9999Z", "2024-01-05 00:00:00.000"),
        // Whole seconds up to 12 characters, milliseconds from 13; decimal seconds.
        ("1704328709", "2024-01-04 00:38:29.000"),
        ("1704328709642", "2024-01-04 00:38:29.642"),
        ("1704328709.6429", "2024-01-04 00:38:29.642"),
    ];
    for (text, want) in cases {
        assert_eq!(ts(text).as_deref(), Some(want), "{text}");
    }
}

#[test]
fn timestamps_athena_refuses_are_refused() {
    for text in [
        "2024-01-04 00:38:29+09:00",
        "2024-01-04 00:38:29Z",
        "2024-01-04",
        "2024-13-04T00:00:00Z",
        "2024-01-04T25:00:00",
        "yesterday",
        "",
        "2024-01-04 00:38",
        "2024-01-04 00:38:29.",
        "2024-01-04T00:38:29.1234567891Z",
    ] {
        assert_eq!(ts(text), None, "{text}");
    }
    assert_eq!(
        ts("2024-01-04T00:38:29.Z").as_deref(),
        Some("2024-01-04 00:38:29.000")
    );
}

#[test]
fn dates_take_the_day_before_a_space_or_a_day_number() {
    let d = |t: &str| date(t).map(|d| d.to_string());
    assert_eq!(d("2024-02-29").as_deref(), Some("2024-02-29"));
    assert_eq!(d("2024-2-9").as_deref(), Some("2024-02-09"));
    assert_eq!(d("2024-02-29 13:00:00").as_deref(), Some("2024-02-29"));
    assert_eq!(d("19782").as_deref(), Some("2024-02-29"));
    assert_eq!(d("-1").as_deref(), Some("1969-12-31"));
    assert_eq!(d("2023-02-29"), None);
    assert_eq!(d("29/02/2024"), None);
}

#[test]
fn integers_accept_hex_octal_and_truncated_decimals_within_range() {
    assert_eq!(integer("42", 64), Some(42));
    assert_eq!(integer("-42", 8), Some(-42));
    assert_eq!(integer("+7", 16), Some(7));
    assert_eq!(integer("0x1F", 32), Some(31));
    assert_eq!(integer("017", 32), Some(15));
    assert_eq!(integer("09", 32), Some(9));
    assert_eq!(integer("1.9", 32), Some(1));
    assert_eq!(integer("-1.9", 32), Some(-1));
    assert_eq!(integer("1e3", 32), Some(1000));
    assert_eq!(integer("127", 8), Some(127));
    assert_eq!(integer("128", 8), None);
    assert_eq!(integer("-129", 8), None);
    assert_eq!(integer("9223372036854775807", 64), Some(i64::MAX));
    assert_eq!(integer("9223372036854775808", 64), None);
    assert_eq!(integer("abc", 64), None);
    assert_eq!(integer("", 64), None);
}

#[test]
fn decimals_round_half_up_and_refuse_overflow() {
    assert_eq!(decimal("1234.5", 12, 2).as_deref(), Some("1234.50"));
    assert_eq!(decimal("1234.565", 12, 2).as_deref(), Some("1234.57"));
    assert_eq!(decimal("-1234.565", 12, 2).as_deref(), Some("-1234.57"));
    assert_eq!(decimal("0.004", 12, 2).as_deref(), Some("0.00"));
    assert_eq!(decimal("-0.004", 12, 2).as_deref(), Some("0.00"));
    assert_eq!(decimal("9.995", 3, 2), None);
    assert_eq!(decimal("9.994", 3, 2).as_deref(), Some("9.99"));
    assert_eq!(decimal("1.5e2", 5, 0).as_deref(), Some("150"));
    assert_eq!(decimal("12", 5, 0).as_deref(), Some("12"));
    assert_eq!(decimal("1e40", 38, 0), None);
    assert_eq!(decimal("12,5", 5, 1), None);
}

#[test]
fn doubles_accept_java_forms() {
    assert_eq!(double("1.5"), Some(1.5));
    assert_eq!(double("-2e3"), Some(-2000.0));
    assert_eq!(double("1.5d"), Some(1.5));
    assert_eq!(double("Infinity"), Some(f64::INFINITY));
    assert_eq!(double("-Infinity"), Some(f64::NEG_INFINITY));
    assert!(double("NaN").is_some_and(f64::is_nan));
    assert_eq!(double("inf"), None);
    assert_eq!(double("one"), None);
}
