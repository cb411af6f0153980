//! String, number and regular-expression functions, as jsonata-js 2.0.6 defines them
//! (strings are measured in code points; regex positions in UTF-16 units).

use super::bounds;
use super::eval::{R, apply, err, to_string};
use super::regex::{Rx, map_utf16, unmap};
use super::value::{Func, Val, js_num, precision15, truthy};
use super::{Ctx, coll};
use base64::Engine;

fn s(v: Option<Val>) -> Option<String> {
    match v {
        Some(Val::Str(x)) => Some(x.to_string()),
        _ => None,
    }
}
fn n(v: &Option<Val>) -> Option<f64> {
    match v {
        Some(Val::Num(x)) => Some(*x),
        _ => None,
    }
}
fn num(x: f64) -> R {
    Ok(Some(Val::Num(x)))
}
fn text(x: &str) -> R {
    Ok(Some(Val::str(x)))
}

/// JavaScript `Array.prototype.slice` on code points.
fn slice(chars: &[char], start: f64, end: Option<f64>) -> String {
    let len = chars.len() as f64;
    let clamp = |x: f64| -> usize {
        let x = x.trunc();
        let x = if x < 0.0 {
            (len + x).max(0.0)
        } else {
            x.min(len)
        };
        x as usize
    };
    let a = clamp(start);
    let b = end.map_or(chars.len(), clamp);
    if a >= b {
        String::new()
    } else {
        chars[a..b].iter().collect()
    }
}

fn regex_of(v: &Option<Val>) -> Option<&Rx> {
    match v {
        Some(Val::Func(f)) => match &**f {
            Func::Regex(rx) => Some(rx),
            _ => None,
        },
        _ => None,
    }
}

pub(crate) fn call(
    name: &str,
    a0: Option<Val>,
    a1: Option<Val>,
    a2: Option<Val>,
    all: &[Option<Val>],
    cx: &Ctx,
) -> R {
    if !matches!(
        name,
        "string"
            | "boolean"
            | "not"
            | "exists"
            | "number"
            | "formatNumber"
            | "error"
            | "assert"
            | "append"
            | "type"
    ) && !coll::NAMES.contains(&name)
        && a0.is_none()
    {
        return Ok(None);
    }
    match name {
        "string" => match a0 {
            None => Ok(None),
            Some(v) => {
                if a1.as_ref().is_some_and(truthy) {
                    return Ok(Some(Val::str(&pretty(&v)?)));
                }
                Ok(Some(Val::str(&to_string(&v)?)))
            }
        },
        "substring" => {
            let chars: Vec<char> = s(a0).unwrap_or_default().chars().collect();
            let mut start = n(&a1).unwrap_or(0.0);
            if chars.len() as f64 + start < 0.0 {
                start = 0.0;
            }
            match n(&a2) {
                None => text(&slice(&chars, start, None)),
                Some(l) if l <= 0.0 => text(""),
                Some(l) => {
                    let end = if start >= 0.0 {
                        start + l
                    } else {
                        chars.len() as f64 + start + l
                    };
                    text(&slice(&chars, start, Some(end)))
                }
            }
        }
        "substringBefore" | "substringAfter" => {
            let x = s(a0).unwrap_or_default();
            let t = s(a1).unwrap_or_else(|| "undefined".into());
            match x.find(&t) {
                Some(i) if name == "substringBefore" => text(&x[..i]),
                Some(i) => text(&x[i + t.len()..]),
                None => text(&x),
            }
        }
        "lowercase" => text(&s(a0).unwrap_or_default().to_lowercase()),
        "uppercase" => text(&s(a0).unwrap_or_default().to_uppercase()),
        "length" => num(s(a0).unwrap_or_default().chars().count() as f64),
        "trim" => {
            let x = s(a0).unwrap_or_default();
            let mut out = String::new();
            let mut space = false;
            for c in x.chars() {
                if matches!(c, ' ' | '\t' | '\n' | '\r') {
                    space = true;
                } else {
                    if space && !out.is_empty() {
                        out.push(' ');
                    }
                    space = false;
                    out.push(c);
                }
            }
            text(&out)
        }
        "pad" => {
            let x = s(a0).unwrap_or_default();
            let width = n(&a1).unwrap_or(0.0);
            let ch = s(a2)
                .filter(|c| !c.is_empty())
                .unwrap_or_else(|| " ".into());
            let len = x.chars().count() as f64;
            let missing = width.abs().trunc() - len;
            if missing <= 0.0 {
                return text(&x);
            }
            bounds::room(
                (x.len() as f64 + missing * ch.len() as f64).min(usize::MAX as f64) as usize,
            )?;
            let padding: String = ch.chars().cycle().take(missing as usize).collect();
            text(&if width > 0.0 {
                x + &padding
            } else {
                padding + &x
            })
        }
        "contains" => {
            let x = s(a0).unwrap_or_default();
            match (&a1, regex_of(&a1)) {
                (Some(Val::Str(t)), _) => Ok(Some(Val::Bool(x.contains(&**t)))),
                (_, Some(rx)) => Ok(Some(Val::Bool(
                    !rx.matches(&map_utf16(&x)?, Some(1))?.is_empty(),
                ))),
                _ => Ok(None),
            }
        }
        "match" => {
            let x = map_utf16(&s(a0).unwrap_or_default())?;
            let limit = n(&a2);
            if limit.is_some_and(|l| l < 0.0) {
                return Err(err(
                    "D3040",
                    "Third argument of match function must evaluate to a positive number",
                    0,
                ));
            }
            let Some(rx) = regex_of(&a1) else {
                return Err(err(
                    "T0410",
                    "Argument 2 of function \"match\" does not match function signature",
                    0,
                ));
            };
            let ms = rx.matches(&x, limit.map(|l| l.ceil() as usize))?;
            // Each match is an object of three fields: about 40 bytes beyond its text.
            bounds::room(ms.iter().map(|m| 2 * (m.end - m.start) + 40).sum())?;
            let out = ms
                .iter()
                .map(|m| {
                    let groups = m
                        .groups
                        .iter()
                        .map(|g| g.map_or(Val::Null, |(a, b)| Val::str(&unmap(&x[a..b]))))
                        .collect();
                    Val::obj(vec![
                        ("match".into(), Val::str(&unmap(&x[m.start..m.end]))),
                        (
                            "index".into(),
                            Val::Num(x[..m.start].chars().count() as f64),
                        ),
                        ("groups".into(), Val::arr(groups)),
                    ])
                })
                .collect();
            Ok(Some(Val::seq(out)))
        }
        "replace" => replace(
            s(a0).unwrap_or_default(),
            a1,
            a2,
            all.get(3).cloned().flatten(),
            cx,
        ),
        "split" => {
            let x = s(a0).unwrap_or_default();
            let limit = n(&a2);
            if limit.is_some_and(|l| l < 0.0) {
                return Err(err(
                    "D3020",
                    "Third argument of split function must evaluate to a positive number",
                    0,
                ));
            }
            let limit = limit.map(|l| l.trunc() as usize);
            // Every part costs its text, and never less than a byte.
            let parts = x.split(match &a1 {
                Some(Val::Str(sep)) if !sep.is_empty() => &**sep,
                _ => "",
            });
            bounds::room(x.len() + parts.take(limit.unwrap_or(usize::MAX)).count())?;
            let parts: Vec<String> = match (&a1, regex_of(&a1)) {
                (Some(Val::Str(sep)), _) if sep.is_empty() => x.chars().map(String::from).collect(),
                (Some(Val::Str(sep)), _) => x.split(&**sep).map(String::from).collect(),
                (_, Some(rx)) => {
                    let m = map_utf16(&x)?;
                    let ms = rx.matches(&m, limit)?;
                    let mut out = Vec::new();
                    let mut start = 0;
                    for mm in &ms {
                        out.push(unmap(&m[start..mm.start]));
                        start = mm.end;
                    }
                    out.push(unmap(&m[start..]));
                    out
                }
                _ => return Ok(None),
            };
            let parts = parts.into_iter().take(limit.unwrap_or(usize::MAX));
            Ok(Some(Val::arr(parts.map(|p| Val::str(&p)).collect())))
        }
        "base64encode" => {
            let x = s(a0).unwrap_or_default();
            bounds::room(x.len().div_ceil(3) * 4)?;
            text(&base64::engine::general_purpose::STANDARD.encode(x))
        }
        "base64decode" => {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(s(a0).unwrap_or_default())
                .map_err(|e| err("D3137", format!("invalid base64: {e}"), 0))?;
            text(&String::from_utf8_lossy(&bytes))
        }
        _ => number_fn(name, a0, a1, a2, cx),
    }
}

fn pretty(v: &Val) -> Result<String, super::JsonataError> {
    match v {
        Val::Str(_) | Val::Func(_) => to_string(v),
        _ => {
            let j = super::value::to_json(v).unwrap_or(serde_json::Value::Null);
            serde_json::to_string_pretty(&j).map_err(|e| err("D3001", e.to_string(), 0))
        }
    }
}

fn replace(x: String, pat: Option<Val>, rep: Option<Val>, limit: Option<Val>, cx: &Ctx) -> R {
    let limit = n(&limit);
    if limit.is_some_and(|l| l < 0.0) {
        return Err(err(
            "D3011",
            "Fourth argument of replace function must evaluate to a positive number",
            0,
        ));
    }
    let limit = limit.map(|l| l.ceil() as usize);
    if let Some(Val::Str(p)) = &pat {
        if p.is_empty() {
            return Err(err(
                "D3010",
                "Second argument of replace function cannot be an empty string",
                0,
            ));
        }
        let Some(Val::Str(r)) = &rep else {
            return Err(err(
                "T0410",
                "Argument 3 of function \"replace\" does not match function signature",
                0,
            ));
        };
        let mut out = String::new();
        let mut rest = x.as_str();
        let mut count = 0;
        while let Some(i) = rest.find(&**p) {
            if limit.is_some_and(|l| count >= l) {
                break;
            }
            bounds::room(out.len() + i + r.len())?;
            out.push_str(&rest[..i]);
            out.push_str(r);
            rest = &rest[i + p.len()..];
            count += 1;
        }
        out.push_str(rest);
        return text(&out);
    }
    let Some(rx) = regex_of(&pat) else {
        return Ok(None);
    };
    let m = map_utf16(&x)?;
    let ms = rx.matches(&m, limit)?;
    let mut out = String::new();
    let mut pos = 0;
    for mm in &ms {
        bounds::room(out.len())?;
        cx.deadline.tick()?;
        out.push_str(&m[pos..mm.start]);
        let groups: Vec<Option<&str>> =
            mm.groups.iter().map(|g| g.map(|(a, b)| &m[a..b])).collect();
        let whole = &m[mm.start..mm.end];
        match &rep {
            Some(Val::Str(r)) => out.push_str(&substitute(&map_utf16(r)?, whole, &groups)),
            Some(Val::Func(f)) => {
                let gv = groups
                    .iter()
                    .map(|g| g.map_or(Val::Null, |t| Val::str(&unmap(t))))
                    .collect();
                let mo = Val::obj(vec![
                    ("match".into(), Val::str(&unmap(whole))),
                    (
                        "index".into(),
                        Val::Num(m[..mm.start].chars().count() as f64),
                    ),
                    ("groups".into(), Val::arr(gv)),
                ]);
                match apply(f, vec![Some(mo)], &None, cx)? {
                    Some(Val::Str(t)) => out.push_str(&map_utf16(&t)?),
                    _ => {
                        return Err(err(
                            "D3012",
                            "Attempted to replace a matched string with a non-string value",
                            0,
                        ));
                    }
                }
            }
            _ => {
                return Err(err(
                    "T0410",
                    "Argument 3 of function \"replace\" does not match function signature",
                    0,
                ));
            }
        }
        pos = mm.end;
    }
    out.push_str(&m[pos..]);
    text(&unmap(&out))
}

/// JSONata's `$n` substitution in a replacement string.
fn substitute(r: &str, whole: &str, groups: &[Option<&str>]) -> String {
    let chars: Vec<char> = r.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '$' {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        i += 1;
        match chars.get(i) {
            Some('$') => {
                out.push('$');
                i += 1;
            }
            Some('0') => {
                out.push_str(whole);
                i += 1;
            }
            _ => {
                let max_digits = if groups.is_empty() {
                    1
                } else {
                    (groups.len() as f64).log10().floor() as usize + 1
                };
                let digits: String = chars[i..]
                    .iter()
                    .take(max_digits)
                    .take_while(|c| c.is_ascii_digit())
                    .collect();
                let mut idx: Option<usize> = digits.parse().ok();
                let mut used = digits.len();
                if max_digits > 1 && idx.is_some_and(|k| k > groups.len()) {
                    let shorter: String = digits.chars().take(max_digits - 1).collect();
                    idx = shorter.parse().ok();
                    used = shorter.len();
                }
                match idx {
                    Some(k) => {
                        if let Some(Some(g)) = k.checked_sub(1).and_then(|k| groups.get(k)) {
                            out.push_str(g);
                        }
                        i += used;
                    }
                    None => out.push('$'),
                }
            }
        }
    }
    out
}

fn number_fn(name: &str, a0: Option<Val>, a1: Option<Val>, _a2: Option<Val>, cx: &Ctx) -> R {
    match name {
        "number" => match a0 {
            None => Ok(None),
            Some(Val::Num(x)) => num(x),
            Some(Val::Bool(b)) => num(if b { 1.0 } else { 0.0 }),
            Some(Val::Str(t)) => parse_number(&t).map_or_else(
                || {
                    Err(err(
                        "D3030",
                        format!(
                            "Unable to cast value to a number: {}",
                            to_string(&Val::Str(t.clone())).unwrap_or_default()
                        ),
                        0,
                    ))
                },
                num,
            ),
            Some(_) => Err(err("D3030", "Unable to cast value to a number", 0)),
        },
        "floor" => num(n(&a0).unwrap_or(f64::NAN).floor()),
        "ceil" => num(n(&a0).unwrap_or(f64::NAN).ceil()),
        "abs" => num(n(&a0).unwrap_or(f64::NAN).abs()),
        "sqrt" => {
            let x = n(&a0).unwrap_or(f64::NAN);
            if x < 0.0 {
                return Err(err(
                    "D3060",
                    "The sqrt function cannot be applied to a negative number",
                    0,
                ));
            }
            num(x.sqrt())
        }
        "power" => {
            let r = n(&a0).unwrap_or(f64::NAN).powf(n(&a1).unwrap_or(f64::NAN));
            if !r.is_finite() {
                return Err(err(
                    "D3061",
                    "The power function has resulted in a value that cannot be represented as a JSON number",
                    0,
                ));
            }
            num(r)
        }
        "round" => num(round(n(&a0).unwrap_or(f64::NAN), n(&a1).unwrap_or(0.0))),
        "formatNumber" => super::datetime::format_number(a0, a1),
        _ => coll::call(name, a0, a1, _a2, cx),
    }
}

/// `$number` of a string: JSON-like decimals, or 0x/0o/0b integers.
fn parse_number(t: &str) -> Option<f64> {
    let re = regex::Regex::new(r"^-?[0-9]+(\.[0-9]+)?([Ee][-+]?[0-9]+)?$").ok()?;
    if re.is_match(t) {
        return t.parse::<f64>().ok().filter(|x| x.is_finite());
    }
    let radix = |p: &str, r: u32| {
        t.strip_prefix(p)
            .and_then(|d| u64::from_str_radix(d, r).ok())
            .map(|x| x as f64)
    };
    radix("0x", 16)
        .or_else(|| radix("0X", 16))
        .or_else(|| radix("0o", 8))
        .or_else(|| radix("0O", 8))
        .or_else(|| radix("0b", 2))
        .or_else(|| radix("0B", 2))
}

/// `$round`: half to even, at `precision` decimal places (via the decimal exponent, as JS does).
pub(crate) fn round(x: f64, precision: f64) -> f64 {
    let shift = |v: f64, p: f64| -> f64 {
        let s = js_num(v);
        let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
        let e: f64 = e.parse().unwrap_or(0.0);
        format!("{m}e{}", js_num(e + p)).parse().unwrap_or(f64::NAN)
    };
    let p = precision.trunc();
    let v = if p != 0.0 { shift(x, p) } else { x };
    let mut r = (v + 0.5).floor();
    if (r - v).abs() == 0.5 && (r % 2.0).abs() == 1.0 {
        r -= 1.0;
    }
    if p != 0.0 {
        r = shift(r, -p);
    }
    let _ = precision15;
    if r == 0.0 { 0.0 } else { r }
}
