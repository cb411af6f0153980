//! JSONPath text (after the leading `$`) into the segments the evaluator in `jsonpath` walks:
//! dot and bracket names, indexes, unions, slices, wildcards, `..` and `[?(...)]` filters.

use super::jsonpath::{Filter, Operand, Seg};
use serde_json::Value;

pub(crate) struct Parser<'a> {
    pub s: &'a [u8],
    pub i: usize,
    pub text: &'a str,
    /// Filters, `!`s and parentheses open around the current position.
    pub depth: usize,
}

/// How deeply filters may nest (`!`, `(`, and filters in filters): parsing and evaluating
/// recurse once per level. Jayway documents no limit; real paths nest a few levels.
const MAX_FILTER_DEPTH: usize = 64;

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn ws(&mut self) {
        while self.peek() == Some(b' ') {
            self.i += 1;
        }
    }

    fn eat(&mut self, t: &str) -> bool {
        if self.text[self.i..].starts_with(t) {
            self.i += t.len();
            true
        } else {
            false
        }
    }

    /// Segments until the end, or (in a filter) until a character that cannot continue a path.
    pub fn segments(&mut self, in_filter: bool) -> Result<Vec<Seg>, String> {
        let mut segs = Vec::new();
        loop {
            match self.peek() {
                Some(b'.') if self.s.get(self.i + 1) == Some(&b'.') => {
                    self.i += 2;
                    let inner = if self.peek() == Some(b'[') {
                        self.bracket()?
                    } else {
                        self.dot_name(in_filter)?
                    };
                    segs.push(Seg::Descend(Box::new(inner)));
                }
                Some(b'.') => {
                    self.i += 1;
                    segs.push(self.dot_name(in_filter)?);
                }
                Some(b'[') => segs.push(self.bracket()?),
                _ => return Ok(segs),
            }
        }
    }

    fn dot_name(&mut self, in_filter: bool) -> Result<Seg, String> {
        let start = self.i;
        while let Some(c) = self.peek() {
            let stop = c == b'.'
                || c == b'['
                || (in_filter
                    && matches!(c, b' ' | b')' | b'=' | b'!' | b'<' | b'>' | b'&' | b'|'));
            if stop {
                break;
            }
            self.i += 1;
        }
        let name = &self.text[start..self.i];
        match name {
            "" => Err("empty name in path".into()),
            "*" => Ok(Seg::Wildcard),
            _ => Ok(Seg::Child(name.to_string())),
        }
    }

    fn quoted(&mut self) -> Result<String, String> {
        let q = self.peek().ok_or("unterminated string")?;
        self.i += 1;
        let mut out = String::new();
        let rest = &self.text[self.i..];
        let mut chars = rest.char_indices();
        while let Some((k, c)) = chars.next() {
            if c == '\\'
                && let Some((_, n)) = chars.next()
            {
                if n as u32 == u32::from(q) {
                    out.push(n);
                } else {
                    out.push(c);
                    out.push(n);
                }
                continue;
            }
            if c as u32 == u32::from(q) {
                self.i += k + 1;
                return Ok(out);
            }
            out.push(c);
        }
        Err("unterminated string in path".into())
    }

    fn int(&mut self) -> Option<i64> {
        self.ws();
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
        }
        let r = self.text[start..self.i].parse().ok();
        self.ws();
        r
    }

    fn bracket(&mut self) -> Result<Seg, String> {
        self.i += 1;
        self.ws();
        let seg = match self.peek() {
            Some(b'*') => {
                self.i += 1;
                Seg::Wildcard
            }
            Some(b'?') => {
                self.i += 1;
                self.ws();
                if !self.eat("(") {
                    return Err("expected '(' after '?'".into());
                }
                let f = self.filter_or()?;
                self.ws();
                if !self.eat(")") {
                    return Err("expected ')' closing the filter".into());
                }
                Seg::Filter(f)
            }
            Some(b'\'' | b'"') => {
                let mut keys = vec![Seg::Child(self.quoted()?)];
                self.ws();
                while self.eat(",") {
                    self.ws();
                    keys.push(Seg::Child(self.quoted()?));
                    self.ws();
                }
                if keys.len() == 1 {
                    keys.remove(0)
                } else {
                    Seg::Union(keys)
                }
            }
            _ => {
                let a = self.int();
                if self.eat(":") {
                    let b = self.int();
                    let c = if self.eat(":") { self.int() } else { None };
                    Seg::Slice(a, b, c)
                } else {
                    let mut idx = vec![Seg::Index(a.ok_or("expected an index in '[...]'")?)];
                    while self.eat(",") {
                        idx.push(Seg::Index(self.int().ok_or("expected an index")?));
                    }
                    if idx.len() == 1 {
                        idx.remove(0)
                    } else {
                        Seg::Union(idx)
                    }
                }
            }
        };
        self.ws();
        if !self.eat("]") {
            return Err("expected ']' in path".into());
        }
        Ok(seg)
    }

    fn filter_or(&mut self) -> Result<Filter, String> {
        let mut l = self.filter_and()?;
        loop {
            self.ws();
            if !self.eat("||") {
                return Ok(l);
            }
            let r = self.filter_and()?;
            l = Filter::Or(Box::new(l), Box::new(r));
        }
    }

    fn filter_and(&mut self) -> Result<Filter, String> {
        let mut l = self.filter_atom()?;
        loop {
            self.ws();
            if !self.eat("&&") {
                return Ok(l);
            }
            let r = self.filter_atom()?;
            l = Filter::And(Box::new(l), Box::new(r));
        }
    }

    fn filter_atom(&mut self) -> Result<Filter, String> {
        self.depth += 1;
        let atom = self.filter_atom_within();
        self.depth -= 1;
        atom
    }

    fn filter_atom_within(&mut self) -> Result<Filter, String> {
        if self.depth > MAX_FILTER_DEPTH {
            return Err(format!(
                "filters nest deeper than {MAX_FILTER_DEPTH} levels"
            ));
        }
        self.ws();
        if self.eat("!") {
            return Ok(Filter::Not(Box::new(self.filter_atom()?)));
        }
        if self.eat("(") {
            let f = self.filter_or()?;
            self.ws();
            if !self.eat(")") {
                return Err("expected ')' in filter".into());
            }
            return Ok(f);
        }
        let l = self.operand()?;
        self.ws();
        for op in ["==", "!=", "<=", ">=", "<", ">"] {
            if self.eat(op) {
                let r = self.operand()?;
                return Ok(Filter::Compare(l, op.to_string(), r));
            }
        }
        Ok(Filter::Exists(l))
    }

    fn operand(&mut self) -> Result<Operand, String> {
        self.ws();
        match self.peek() {
            Some(b'@') => {
                self.i += 1;
                Ok(Operand::Current(self.segments(true)?))
            }
            Some(b'$') => {
                self.i += 1;
                Ok(Operand::Root(self.segments(true)?))
            }
            Some(b'\'' | b'"') => Ok(Operand::Literal(Value::String(self.quoted()?))),
            _ => {
                let start = self.i;
                while self
                    .peek()
                    .is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'+' | b'.'))
                {
                    self.i += 1;
                }
                let word = &self.text[start..self.i];
                serde_json::from_str(word)
                    .map(Operand::Literal)
                    .map_err(|_| format!("invalid literal '{word}' in filter"))
            }
        }
    }
}
