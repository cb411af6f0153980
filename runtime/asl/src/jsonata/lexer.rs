//! Tokenizer for JSONata expressions: strings, numbers, names, variables, operators and
//! regular-expression literals (recognised where an operand is expected, as JSONata does).

use super::JsonataError;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    Str(String),
    Num(f64),
    Name(String),
    Var(String),
    Op(&'static str),
    Regex(String, String),
    End,
}

#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub tok: Tok,
    pub pos: usize,
}

const OPS2: [&str; 8] = ["..", ":=", "!=", ">=", "<=", "**", "~>", "?:"];
const OPS1: &str = ".[]{}(),@#;:?+-*/%|=<>^&!~";

fn is_stop(c: char) -> bool {
    c.is_whitespace() || OPS1.contains(c)
}

fn err(code: &str, message: String, position: usize) -> JsonataError {
    JsonataError {
        code: code.to_string(),
        message,
        position,
    }
}

/// Splits `src` into tokens. A `/` starts a regex when the previous token cannot end an operand.
pub(crate) fn tokenize(src: &str) -> Result<Vec<Token>, JsonataError> {
    let chars: Vec<char> = src.chars().collect();
    let mut out: Vec<Token> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c == '/' && chars.get(i + 1) == Some(&'*') {
            let mut j = i + 2;
            while j + 1 < chars.len() && !(chars[j] == '*' && chars[j + 1] == '/') {
                j += 1;
            }
            if j + 1 >= chars.len() {
                return Err(err("S0106", "comment has no closing tag".into(), i));
            }
            i = j + 2;
            continue;
        }
        let pos = i;
        let operand_before = matches!(
            out.last().map(|t| &t.tok),
            Some(Tok::Str(_) | Tok::Num(_) | Tok::Name(_) | Tok::Var(_) | Tok::Regex(..))
                | Some(Tok::Op(")" | "]" | "}"))
        );
        let operand_before = operand_before
            && !matches!(out.last().map(|t| &t.tok), Some(Tok::Name(n)) if n == "and" || n == "or" || n == "in");
        if c == '/' && !operand_before {
            let (tok, next) = scan_regex(&chars, i + 1)?;
            out.push(Token { tok, pos });
            i = next;
            continue;
        }
        if i + 1 < chars.len() {
            let two: String = chars[i..i + 2].iter().collect();
            if let Some(op) = OPS2.iter().find(|o| **o == two) {
                out.push(Token {
                    tok: Tok::Op(op),
                    pos,
                });
                i += 2;
                continue;
            }
        }
        if c == '"' || c == '\'' {
            let (s, next) = scan_string(&chars, i + 1, c)?;
            out.push(Token {
                tok: Tok::Str(s),
                pos,
            });
            i = next;
            continue;
        }
        if let Some(idx) = OPS1.find(c) {
            out.push(Token {
                tok: Tok::Op(&OPS1[idx..idx + c.len_utf8()]),
                pos,
            });
            i += 1;
            continue;
        }
        if c.is_ascii_digit() {
            let (n, next) =
                scan_number(&chars, i).ok_or_else(|| err("S0102", "bad number".into(), i))?;
            out.push(Token {
                tok: Tok::Num(n),
                pos,
            });
            i = next;
            continue;
        }
        if c == '`' {
            let mut j = i + 1;
            while j < chars.len() && chars[j] != '`' {
                j += 1;
            }
            if j >= chars.len() {
                return Err(err(
                    "S0105",
                    "quoted property name has no closing backquote".into(),
                    i,
                ));
            }
            out.push(Token {
                tok: Tok::Name(chars[i + 1..j].iter().collect()),
                pos,
            });
            i = j + 1;
            continue;
        }
        let var = c == '$';
        let mut j = if var { i + 1 } else { i };
        while j < chars.len() && !is_stop(chars[j]) {
            j += 1;
        }
        let name: String = chars[if var { i + 1 } else { i }..j].iter().collect();
        out.push(Token {
            tok: if var { Tok::Var(name) } else { Tok::Name(name) },
            pos,
        });
        i = j;
    }
    out.push(Token {
        tok: Tok::End,
        pos: chars.len(),
    });
    Ok(out)
}

fn scan_number(chars: &[char], start: usize) -> Option<(f64, usize)> {
    let mut j = start;
    let digits = |j: &mut usize| {
        let s = *j;
        while *j < chars.len() && chars[*j].is_ascii_digit() {
            *j += 1;
        }
        *j > s
    };
    if chars[j] == '0' {
        j += 1;
    } else {
        digits(&mut j);
    }
    if j + 1 < chars.len() && chars[j] == '.' && chars[j + 1].is_ascii_digit() {
        j += 1;
        digits(&mut j);
    }
    if j < chars.len() && (chars[j] == 'e' || chars[j] == 'E') {
        let mut k = j + 1;
        if k < chars.len() && (chars[k] == '+' || chars[k] == '-') {
            k += 1;
        }
        if digits(&mut k) {
            j = k;
        }
    }
    let text: String = chars[start..j].iter().collect();
    text.parse::<f64>().ok().map(|n| (n, j))
}

fn scan_string(chars: &[char], start: usize, quote: char) -> Result<(String, usize), JsonataError> {
    let mut s = String::new();
    let mut j = start;
    while j < chars.len() {
        let c = chars[j];
        if c == quote {
            return Ok((s, j + 1));
        }
        if c == '\\' {
            j += 1;
            let e = *chars
                .get(j)
                .ok_or_else(|| err("S0101", "unterminated string".into(), start))?;
            match e {
                '"' | '\\' | '/' | '\'' => s.push(e),
                'b' => s.push('\u{8}'),
                'f' => s.push('\u{c}'),
                'n' => s.push('\n'),
                'r' => s.push('\r'),
                't' => s.push('\t'),
                'u' => {
                    let hex = |k: usize| -> Option<u32> {
                        let h: String = chars.get(k..k + 4)?.iter().collect();
                        u32::from_str_radix(&h, 16).ok()
                    };
                    let at = j;
                    let bad = || err("S0104", "invalid unicode escape".into(), at);
                    let hi = hex(j + 1).ok_or_else(bad)?;
                    j += 4;
                    if (0xD800..0xDC00).contains(&hi)
                        && chars.get(j + 1) == Some(&'\\')
                        && chars.get(j + 2) == Some(&'u')
                    {
                        let lo = hex(j + 3).ok_or_else(bad)?;
                        let cp =
                            0x10000 + ((hi - 0xD800) << 10) + (lo.wrapping_sub(0xDC00) & 0x3FF);
                        s.push(char::from_u32(cp).ok_or_else(bad)?);
                        j += 6;
                    } else {
                        s.push(char::from_u32(hi).unwrap_or('\u{FFFD}'));
                    }
                }
                _ => {
                    return Err(err(
                        "S0103",
                        format!("unsupported escape sequence: \\{e}"),
                        j,
                    ));
                }
            }
        } else {
            s.push(c);
        }
        j += 1;
    }
    Err(err(
        "S0101",
        "string literal must be terminated by a matching quote".into(),
        start,
    ))
}

fn scan_regex(chars: &[char], start: usize) -> Result<(Tok, usize), JsonataError> {
    let mut depth = 0i32;
    let mut j = start;
    while j < chars.len() {
        let c = chars[j];
        let escaped = j > start && chars[j - 1] == '\\';
        if c == '/' && !escaped && depth == 0 {
            let pattern: String = chars[start..j].iter().collect();
            if pattern.is_empty() {
                return Err(err(
                    "S0301",
                    "empty regular expressions are not allowed".into(),
                    start,
                ));
            }
            let mut k = j + 1;
            while k < chars.len() && "gimsuy".contains(chars[k]) {
                k += 1;
            }
            let flags: String = chars[j + 1..k].iter().collect();
            return Ok((Tok::Regex(pattern, flags), k));
        }
        if !escaped && matches!(c, '(' | '[' | '{') {
            depth += 1;
        } else if !escaped && matches!(c, ')' | ']' | '}') {
            depth -= 1;
        }
        j += 1;
    }
    Err(err(
        "S0302",
        "no terminating / in regular expression".into(),
        start,
    ))
}
