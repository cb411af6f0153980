//! `$toMillis`, `$fromMillis`, `$now`, `$millis` and `$formatNumber`. ISO 8601 parsing follows
//! what JSONata 2.0.6 does on Node.js (its regex check, then V8's `Date.parse`): a day up to 31
//! rolls over into the next month, month 13 or day 32 give NaN. Pictures support the numeric
//! components Y M D H m s f and the offset Z; anything else is an "unsupported" error.

use super::eval::{R, err};
use super::funcs::round;
use super::value::Val;
use super::{Ctx, JsonataError};

const MAX_TIME: f64 = 8.64e15;

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + if m <= 2 { 1 } else { 0 }, m, d)
}

/// `Date.UTC` with JavaScript's month overflow.
fn utc(y: i64, month0: i64, d: i64, h: i64, mi: i64, s: i64, ms: i64) -> f64 {
    let y = y + month0.div_euclid(12);
    let m = month0.rem_euclid(12) + 1;
    let days = days_from_civil(y, m, 1) + d - 1;
    (((days * 24 + h) * 60 + mi) * 60 + s) as f64 * 1000.0 + ms as f64
}

fn iso_millis(t: &str) -> Result<f64, JsonataError> {
    let check = regex::Regex::new(r"^[0-9]{4}(-[01][0-9])*(-[0-3][0-9])*(T[0-2][0-9]:[0-5][0-9]:[0-5][0-9])*(\.[0-9]+)?([+-][0-2][0-9]:?[0-5][0-9]|Z)?$")
        .map_err(|e| err("unsupported", e.to_string(), 0))?;
    if !check.is_match(t) {
        return Err(err(
            "D3110",
            format!(
                "The argument of the toMillis function must be an ISO 8601 formatted timestamp. Given {t:?}"
            ),
            0,
        ));
    }
    let shape = regex::Regex::new(r"^([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?(?:T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?)?(Z|[+-][0-9]{2}:?[0-9]{2})?$")
        .map_err(|e| err("unsupported", e.to_string(), 0))?;
    let Some(c) = shape.captures(t) else {
        return Ok(f64::NAN);
    };
    let g = |i: usize, d: i64| {
        c.get(i)
            .and_then(|m| m.as_str().parse::<i64>().ok())
            .unwrap_or(d)
    };
    let (y, mo, d, h, mi, s) = (g(1, 0), g(2, 1), g(3, 1), g(4, 0), g(5, 0), g(6, 0));
    let ms = c.get(7).map_or(0, |m| {
        m.as_str()
            .chars()
            .chain("00".chars())
            .take(3)
            .collect::<String>()
            .parse::<i64>()
            .unwrap_or(0)
    });
    let has_time = c.get(4).is_some();
    if !(1..=12).contains(&mo)
        || !(1..=31).contains(&d)
        || h > 24
        || (h == 24 && (mi, s, ms) != (0, 0, 0))
    {
        return Ok(f64::NAN);
    }
    let mut offset = 0;
    if let Some(z) = c.get(8).map(|m| m.as_str()).filter(|z| *z != "Z") {
        let digits: String = z[1..].chars().filter(char::is_ascii_digit).collect();
        let (oh, om) = (
            digits[..2].parse::<i64>().unwrap_or(0),
            digits[2..].parse::<i64>().unwrap_or(0),
        );
        if !has_time || oh > 23 || om > 59 {
            return Ok(f64::NAN);
        }
        offset = (oh * 60 + om) * if z.starts_with('-') { -1 } else { 1 };
    }
    let v = utc(y, mo - 1, d, h, mi, s, ms) - offset as f64 * 60000.0;
    Ok(if v.abs() > MAX_TIME { f64::NAN } else { v })
}

enum Part {
    Lit(String),
    Comp(char, String),
}

fn picture(p: &str) -> Result<Vec<Part>, JsonataError> {
    let mut out = Vec::new();
    let mut lit = String::new();
    let chars: Vec<char> = p.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if (c == '[' || c == ']') && chars.get(i + 1) == Some(&c) {
            lit.push(c);
            i += 2;
        } else if c == '[' {
            let end = chars[i..].iter().position(|&x| x == ']').ok_or_else(|| {
                err(
                    "D3135",
                    "No matching closing bracket ']' in date/time picture string",
                    0,
                )
            })? + i;
            let spec: String = chars[i + 1..end]
                .iter()
                .filter(|c| !c.is_whitespace())
                .collect();
            let mut sc = spec.chars();
            let comp = sc.next().unwrap_or(' ');
            let pres: String = sc.collect();
            let ok = match comp {
                'Y' | 'M' | 'D' | 'H' | 'm' | 's' | 'f' => {
                    !pres.is_empty()
                        && pres.chars().all(|x| x == '0' || x == '1')
                        && !(comp == 'Y' && pres.len() == 2)
                }
                'Z' => pres == "01:01" || pres == "0101",
                _ => false,
            };
            if !ok {
                return Err(err(
                    "unsupported",
                    format!(
                        "date/time picture component [{spec}] is not supported by this evaluator"
                    ),
                    0,
                ));
            }
            if !lit.is_empty() {
                out.push(Part::Lit(std::mem::take(&mut lit)));
            }
            out.push(Part::Comp(comp, pres));
            i = end + 1;
        } else {
            lit.push(c);
            i += 1;
        }
    }
    if !lit.is_empty() {
        out.push(Part::Lit(lit));
    }
    Ok(out)
}

/// JSONata's reading of a `±HHMM` zone: `parseInt`, then hours `floor(n / 100)` and minutes
/// `n % 100` (so "-0530" is -06:30, as jsonata-js 2.0.6 prints it).
fn tz_minutes(tz: Option<&str>) -> Result<i64, JsonataError> {
    let Some(tz) = tz else { return Ok(0) };
    let t = tz.trim_start();
    let (sign, digits) = match t.strip_prefix('-') {
        Some(r) => (-1, r),
        None => (1, t.strip_prefix('+').unwrap_or(t)),
    };
    let digits: String = digits.chars().take_while(char::is_ascii_digit).collect();
    let n: i64 = digits.parse::<i64>().map_err(|_| {
        err(
            "unsupported",
            format!("time zone {tz:?} is not of the form ±HHMM"),
            0,
        )
    })? * sign;
    Ok(n.div_euclid(100) * 60 + n % 100)
}

fn offset_text(mins: i64, colon: bool) -> String {
    let sign = if mins < 0 { '-' } else { '+' };
    let a = mins.abs();
    format!(
        "{sign}{:02}{}{:02}",
        a / 60,
        if colon { ":" } else { "" },
        a % 60
    )
}

fn format(millis: f64, pic: Option<&str>, tz: Option<&str>) -> Result<String, JsonataError> {
    if !millis.is_finite() || millis.abs() > MAX_TIME {
        return Err(err(
            "unsupported",
            "$fromMillis of a time outside the JavaScript Date range gives NaN fields",
            0,
        ));
    }
    let off = tz_minutes(tz)?;
    let local = millis.floor() as i64 + off * 60000;
    let (days, ms) = (local.div_euclid(86_400_000), local.rem_euclid(86_400_000));
    let (y, mo, d) = civil_from_days(days);
    let Some(pic) = pic else {
        let z = if off == 0 {
            "Z".to_string()
        } else {
            offset_text(off, true)
        };
        let base = format(
            millis,
            Some("[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01].[f001]"),
            tz,
        )?;
        return Ok(base + &z);
    };
    let mut out = String::new();
    for part in picture(pic)? {
        match part {
            Part::Lit(l) => out.push_str(&l),
            Part::Comp('Z', p) => out.push_str(&offset_text(off, p.contains(':'))),
            Part::Comp(c, p) => {
                let v = match c {
                    'Y' => y,
                    'M' => mo,
                    'D' => d,
                    'H' => ms / 3_600_000,
                    'm' => ms / 60_000 % 60,
                    's' => ms / 1000 % 60,
                    _ => ms % 1000,
                };
                let width = p.len();
                let sign = if v < 0 { "-" } else { "" };
                out.push_str(&format!("{sign}{:0width$}", v.abs()));
            }
        }
    }
    Ok(out)
}

fn parse_with(t: &str, pic: &str) -> Result<Option<f64>, JsonataError> {
    let parts = picture(pic)?;
    let mut re = String::from("^");
    let mut comps = Vec::new();
    for p in &parts {
        match p {
            Part::Lit(l) => re.push_str(&regex::escape(l)),
            Part::Comp('Z', _) => {
                re.push_str("([+-][0-9]{2}:?[0-9]{2})");
                comps.push('Z');
            }
            Part::Comp(c, p) => {
                re.push_str(&if p.len() > 1 {
                    format!("([0-9]{{{}}})", p.len())
                } else {
                    "([0-9]+)".into()
                });
                comps.push(*c);
            }
        }
    }
    re.push('$');
    let re = regex::Regex::new(&re).map_err(|e| err("unsupported", e.to_string(), 0))?;
    let Some(caps) = re.captures(t) else {
        return Ok(None);
    };
    let mut f = std::collections::HashMap::new();
    let mut off = 0;
    for (i, c) in comps.iter().enumerate() {
        let s = caps.get(i + 1).map_or("", |m| m.as_str());
        if *c == 'Z' {
            off = tz_minutes(Some(&s.replace(':', "")))?;
        } else {
            f.insert(*c, s.parse::<i64>().unwrap_or(0));
        }
    }
    if !(f.contains_key(&'Y') && f.contains_key(&'M') && f.contains_key(&'D')) {
        return Err(err(
            "unsupported",
            "a $toMillis picture without [Y], [M] and [D]",
            0,
        ));
    }
    let g = |c: char| f.get(&c).copied().unwrap_or(0);
    Ok(Some(
        utc(g('Y'), g('M') - 1, g('D'), g('H'), g('m'), g('s'), g('f')) - off as f64 * 60000.0,
    ))
}

fn now_millis(cx: &Ctx) -> f64 {
    cx.now_millis
}

pub(crate) fn call(name: &str, a0: Option<Val>, a1: Option<Val>, a2: Option<Val>, cx: &Ctx) -> R {
    let s = |v: &Option<Val>| match v {
        Some(Val::Str(x)) => Some(x.to_string()),
        _ => None,
    };
    match name {
        "millis" => Ok(Some(Val::Num(now_millis(cx)))),
        "now" => Ok(Some(Val::str(&format(
            now_millis(cx),
            s(&a0).as_deref(),
            s(&a1).as_deref(),
        )?))),
        "fromMillis" => match a0 {
            Some(Val::Num(m)) => Ok(Some(Val::str(&format(
                m,
                s(&a1).as_deref(),
                s(&a2).as_deref(),
            )?))),
            _ => Ok(None),
        },
        _ => match (s(&a0), s(&a1)) {
            (None, _) => Ok(None),
            (Some(t), None) => Ok(Some(Val::Num(iso_millis(&t)?))),
            (Some(t), Some(p)) => Ok(parse_with(&t, &p)?.map(Val::Num)),
        },
    }
}

/// `$formatNumber` for decimal pictures such as `#,##0.00`, `0.0#`, `000` and a `%` suffix.
pub(crate) fn format_number(v: Option<Val>, pic: Option<Val>) -> R {
    let (Some(Val::Num(x)), Some(Val::Str(p))) = (v, pic) else {
        return Ok(None);
    };
    let active = |c: char| matches!(c, '0'..='9' | '#' | '.' | ',');
    let start = p.find(active).unwrap_or(p.len());
    let end = p.rfind(active).map_or(start, |i| i + 1);
    let (prefix, body, suffix) = (&p[..start], &p[start..end], &p[end..]);
    if p.contains(';')
        || p.contains('e')
        || body.chars().any(|c| c.is_ascii_digit() && c != '0')
        || p.contains('‰')
    {
        return Err(err(
            "unsupported",
            format!("$formatNumber picture {p:?} is not supported by this evaluator"),
            0,
        ));
    }
    let x = if prefix.contains('%') || suffix.contains('%') {
        x * 100.0
    } else {
        x
    };
    let (int_pic, frac_pic) = body.split_once('.').unwrap_or((body, ""));
    let min_int = int_pic.chars().filter(|c| *c == '0').count();
    let min_frac = frac_pic.chars().filter(|c| *c == '0').count();
    let max_frac = frac_pic.chars().filter(|c| *c == '0' || *c == '#').count();
    let group = int_pic.rfind(',').map(|i| int_pic.len() - i - 1);
    let r = round(x, max_frac as f64);
    let fixed = format!("{:.*}", max_frac, r.abs());
    let (ip, fp) = fixed.split_once('.').unwrap_or((&fixed, ""));
    let mut fp = fp.to_string();
    while fp.len() > min_frac && fp.ends_with('0') {
        fp.pop();
    }
    let mut ip = ip.trim_start_matches('0').to_string();
    while ip.len() < min_int.max(if fp.is_empty() { 1 } else { 0 }) {
        ip.insert(0, '0');
    }
    if let Some(g) = group.filter(|g| *g > 0) {
        let digits: Vec<char> = ip.chars().collect();
        let mut grouped = String::new();
        for (i, c) in digits.iter().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(g) {
                grouped.push(',');
            }
            grouped.push(*c);
        }
        ip = grouped;
    }
    let sign = if r < 0.0 { "-" } else { "" };
    let num = if fp.is_empty() {
        ip
    } else {
        format!("{ip}.{fp}")
    };
    Ok(Some(Val::str(&format!("{sign}{prefix}{num}{suffix}"))))
}
