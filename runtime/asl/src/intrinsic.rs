//! Intrinsic-function text (`States.Format('{}', $.a)`) into a call tree, and a call tree plus a
//! path resolver into a value. Errors are `States.IntrinsicFailure` messages.

use serde_json::Value;

/// A piece of a string literal, as `States.Format` sees it.
#[derive(Debug, Clone, PartialEq)]
pub enum Piece {
    Text(String),
    Hole,
}

/// One argument of an intrinsic call.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    Str {
        text: String,
        pieces: Vec<Piece>,
    },
    Literal(Value),
    /// A path: `$...`, `$$...` or `$var...`.
    Path(String),
    Call(Call),
}

/// A call `States.Name(args...)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub name: String,
    pub args: Vec<Arg>,
}

/// Whether a `.$` value is an intrinsic call rather than a path.
pub fn looks_like_call(s: &str) -> bool {
    s.trim_start().starts_with("States.")
}

/// Parses a whole intrinsic expression.
pub fn parse(s: &str) -> Result<Call, String> {
    let mut p = P {
        c: s.chars().collect(),
        i: 0,
    };
    p.ws();
    let call = p.call(0)?;
    p.ws();
    if p.i != p.c.len() {
        return Err(format!("unexpected text after the function call in '{s}'"));
    }
    Ok(call)
}

struct P {
    c: Vec<char>,
    i: usize,
}

impl P {
    fn peek(&self) -> Option<char> {
        self.c.get(self.i).copied()
    }

    fn ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.i += 1;
        }
    }

    fn call(&mut self, depth: usize) -> Result<Call, String> {
        if depth > 10 {
            return Err("intrinsic functions may be nested at most 10 deep".into());
        }
        let start = self.i;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '.')
        {
            self.i += 1;
        }
        let name: String = self.c[start..self.i].iter().collect();
        self.ws();
        if self.peek() != Some('(') {
            return Err(format!("expected '(' after {name}"));
        }
        self.i += 1;
        let mut args = Vec::new();
        self.ws();
        if self.peek() == Some(')') {
            self.i += 1;
            return Ok(Call { name, args });
        }
        loop {
            self.ws();
            args.push(self.arg(depth)?);
            self.ws();
            match self.peek() {
                Some(',') => self.i += 1,
                Some(')') => {
                    self.i += 1;
                    return Ok(Call { name, args });
                }
                _ => return Err(format!("expected ',' or ')' in the arguments of {name}")),
            }
        }
    }

    fn arg(&mut self, depth: usize) -> Result<Arg, String> {
        match self.peek() {
            Some('\'') => self.string(),
            Some('$') => {
                let start = self.i;
                let mut depth_b = 0i32;
                let mut quote: Option<char> = None;
                while let Some(c) = self.peek() {
                    match (quote, c) {
                        (Some(q), c) if c == q => quote = None,
                        (Some(_), _) => {}
                        (None, '\'' | '"') if depth_b > 0 => quote = Some(c),
                        (None, '[' | '(') => depth_b += 1,
                        (None, ']') => depth_b -= 1,
                        (None, ')') if depth_b > 0 => depth_b -= 1,
                        (None, ',' | ')') if depth_b == 0 => break,
                        _ => {}
                    }
                    self.i += 1;
                }
                let p: String = self.c[start..self.i].iter().collect();
                Ok(Arg::Path(p.trim_end().to_string()))
            }
            Some(c) if c.is_ascii_alphabetic() => {
                let save = self.i;
                for (word, v) in [
                    ("true", Value::Bool(true)),
                    ("false", Value::Bool(false)),
                    ("null", Value::Null),
                ] {
                    let end = self.i + word.len();
                    if self.c.len() >= end && self.c[self.i..end].iter().collect::<String>() == word
                    {
                        let after = self.c.get(end).copied();
                        if !after.is_some_and(|a| a.is_ascii_alphanumeric() || a == '.' || a == '(')
                        {
                            self.i = end;
                            return Ok(Arg::Literal(v));
                        }
                    }
                }
                self.i = save;
                Ok(Arg::Call(self.call(depth + 1)?))
            }
            Some(_) => {
                let start = self.i;
                while self
                    .peek()
                    .is_some_and(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E'))
                {
                    self.i += 1;
                }
                let t: String = self.c[start..self.i].iter().collect();
                serde_json::from_str::<Value>(&t)
                    .ok()
                    .filter(Value::is_number)
                    .map(Arg::Literal)
                    .ok_or_else(|| format!("invalid argument '{t}'"))
            }
            None => Err("unexpected end of the intrinsic function".into()),
        }
    }

    fn string(&mut self) -> Result<Arg, String> {
        self.i += 1;
        let mut text = String::new();
        let mut pieces = Vec::new();
        let mut cur = String::new();
        loop {
            let Some(c) = self.peek() else {
                return Err("unterminated string literal".into());
            };
            self.i += 1;
            match c {
                '\\' => {
                    let Some(n) = self.peek() else {
                        return Err("unterminated string literal".into());
                    };
                    self.i += 1;
                    text.push(n);
                    cur.push(n);
                }
                '\'' => break,
                '{' if self.peek() == Some('}') => {
                    self.i += 1;
                    text.push_str("{}");
                    pieces.push(Piece::Text(std::mem::take(&mut cur)));
                    pieces.push(Piece::Hole);
                }
                _ => {
                    text.push(c);
                    cur.push(c);
                }
            }
        }
        pieces.push(Piece::Text(cur));
        Ok(Arg::Str { text, pieces })
    }
}
