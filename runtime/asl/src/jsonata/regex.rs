//! JavaScript regular expressions (no `u` flag) on the `regex` crate: the pattern is translated
//! (`\d`, `\w`, `\s`, `.` as JavaScript defines them) and characters outside the Basic
//! Multilingual Plane are matched as two UTF-16 code units, mapped to private-use characters.

use super::JsonataError;

#[derive(Debug)]
pub(crate) struct Rx {
    re: regex::Regex,
    pub source: String,
}

/// One match: byte ranges into the mapped string.
pub(crate) struct Match {
    pub start: usize,
    pub end: usize,
    pub groups: Vec<Option<(usize, usize)>>,
}

const HI_BASE: u32 = 0xE000;
const LO_BASE: u32 = 0xE400;
const JS_SPACE: &str =
    "\\t\\n\\x0B\\x0C\\r \\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000\\uFEFF";

fn err(code: &str, message: String) -> JsonataError {
    JsonataError {
        code: code.into(),
        message,
        position: 0,
    }
}

/// Each astral character becomes two private-use characters standing for its surrogates.
pub(crate) fn map_utf16(s: &str) -> Result<String, JsonataError> {
    if !s.chars().any(|c| c as u32 > 0xFFFF) {
        return Ok(s.to_string());
    }
    if s.chars()
        .any(|c| (HI_BASE..LO_BASE + 0x400).contains(&(c as u32)))
    {
        return Err(err(
            "unsupported",
            "regular expression on a string mixing astral and private-use characters".into(),
        ));
    }
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let mut buf = [0u16; 2];
        let units = c.encode_utf16(&mut buf);
        if units.len() == 2 {
            out.push(char::from_u32(HI_BASE + (units[0] as u32 - 0xD800)).unwrap_or('\u{FFFD}'));
            out.push(char::from_u32(LO_BASE + (units[1] as u32 - 0xDC00)).unwrap_or('\u{FFFD}'));
        } else {
            out.push(c);
        }
    }
    Ok(out)
}

/// Undoes `map_utf16`; a lone half (a match that split a pair) becomes U+FFFD.
pub(crate) fn unmap(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        let u = c as u32;
        if (HI_BASE..LO_BASE).contains(&u) {
            if let Some(&n) = it.peek() {
                let l = n as u32;
                if (LO_BASE..LO_BASE + 0x400).contains(&l) {
                    it.next();
                    out.push(
                        char::from_u32(0x10000 + ((u - HI_BASE) << 10) + (l - LO_BASE))
                            .unwrap_or('\u{FFFD}'),
                    );
                    continue;
                }
            }
            out.push('\u{FFFD}');
        } else if (LO_BASE..LO_BASE + 0x400).contains(&u) {
            out.push('\u{FFFD}');
        } else {
            out.push(c);
        }
    }
    out
}

fn translate(pattern: &str, dot_all: bool) -> Result<String, JsonataError> {
    let pattern = map_utf16(pattern)?;
    let mut out = String::new();
    let mut in_class = false;
    let mut it = pattern.chars();
    while let Some(c) = it.next() {
        match c {
            '\\' => {
                let e = it
                    .next()
                    .ok_or_else(|| err("S0302", "regular expression ends with \\".into()))?;
                let rep: String = match (e, in_class) {
                    ('d', false) => "[0-9]".into(),
                    ('d', true) => "0-9".into(),
                    ('D', false) => "[^0-9]".into(),
                    ('w', false) => "[A-Za-z0-9_]".into(),
                    ('w', true) => "A-Za-z0-9_".into(),
                    ('W', false) => "[^A-Za-z0-9_]".into(),
                    ('s', false) => format!("[{JS_SPACE}]"),
                    ('s', true) => JS_SPACE.into(),
                    ('S', false) => format!("[^{JS_SPACE}]"),
                    ('D' | 'W' | 'S', true) => {
                        return Err(err(
                            "unsupported",
                            format!("regular expression class \\{e} inside [...]"),
                        ));
                    }
                    ('/', _) => "/".into(),
                    (c @ '1'..='9', false) => {
                        return Err(err(
                            "unsupported",
                            format!("regular expression back-reference \\{c}"),
                        ));
                    }
                    (c, _) if c.is_ascii_alphanumeric() => format!("\\{c}"),
                    (c, _) => regex::escape(&c.to_string()),
                };
                out.push_str(&rep);
            }
            '[' if !in_class => {
                in_class = true;
                out.push('[');
                let rest = it.as_str();
                if rest.starts_with("^]") || rest.starts_with(']') {
                    return Err(err(
                        "unsupported",
                        "regular expression class [] or [^]".into(),
                    ));
                }
            }
            '[' => out.push_str("\\["),
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            '.' if !in_class && !dot_all => out.push_str("[^\\n\\r\\u2028\\u2029]"),
            '&' | '~' | '-' if in_class => {
                if c == '-' {
                    out.push('-');
                } else {
                    out.push('\\');
                    out.push(c);
                }
            }
            c => out.push(c),
        }
    }
    Ok(out)
}

impl Rx {
    pub fn new(pattern: &str, flags: &str) -> Result<Rx, JsonataError> {
        let body = translate(pattern, flags.contains('s'))?;
        let mut prefix = String::new();
        if flags.contains('i') {
            prefix.push('i');
        }
        if flags.contains('m') {
            prefix.push('m');
        }
        let full = if prefix.is_empty() {
            body
        } else {
            format!("(?{prefix}){body}")
        };
        let re = regex::Regex::new(&full).map_err(|e| {
            err(
                "unsupported",
                format!("regular expression /{pattern}/ is not supported: {e}"),
            )
        })?;
        Ok(Rx {
            re,
            source: pattern.to_string(),
        })
    }

    /// The matches JSONata's matcher iterates over in `s` (already mapped), at most `limit`:
    /// each search starts where the previous match ended; a later empty match is error D1004.
    pub fn matches(&self, s: &str, limit: Option<usize>) -> Result<Vec<Match>, JsonataError> {
        let mut out = Vec::new();
        let mut from = 0;
        loop {
            if limit.is_some_and(|l| out.len() >= l) {
                break;
            }
            let Some(caps) = self.re.captures_at(s, from) else {
                break;
            };
            let Some(m0) = caps.get(0) else { break };
            if !out.is_empty() && m0.start() == m0.end() {
                return Err(err(
                    "D1004",
                    format!(
                        "regular expression /{}/ matches a zero-length string",
                        self.source
                    ),
                ));
            }
            let groups = (1..caps.len())
                .map(|i| caps.get(i).map(|g| (g.start(), g.end())))
                .collect();
            out.push(Match {
                start: m0.start(),
                end: m0.end(),
                groups,
            });
            from = m0.end();
            if from >= s.len() {
                break;
            }
        }
        Ok(out)
    }
}
