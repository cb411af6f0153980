//! One chunk's text → the AST that pest's parse tree and [`super::Builder`] would give it, for
//! text that parses cleanly; anything else is declined and goes through pest, which reports
//! the errors. Each function is one rule of `grammar.pest` with PEG's meaning: it matches at
//! a position or fails there, alternatives are tried in the grammar's order, `x ~ y` skips
//! whitespace and comments between them (so a rule that ends with an optional or repeated part
//! takes the skip before it, which a node's span then carries, trailing whitespace trimmed).
//! No pest pairs, no call tracking, no retries of long prefixes: pest's per-rule costs were
//! two thirds of a `kpi check`. `tests.rs` holds both parsers to the same trees.
//!
//! What the builder would report (numbers too large, hidden characters in names, impossible
//! dates, duplicate clauses, expressions too deep) declines the chunk as well, so every
//! diagnostic still comes from one place.

mod exprs;

use super::join_docs;
use crate::span::{FileId, Span, is_hidden_char};
use crate::syntax::ast::*;

/// The chunk's constants and its KPI (`None` when it holds only whitespace, comments and
/// constants), or `None` when the chunk must go through pest.
pub(super) fn chunk(file: FileId, offset: usize, text: &str) -> Option<(Vec<Const>, Option<Kpi>)> {
    let mut p = Parser {
        text,
        b: text.as_bytes(),
        file,
        offset,
        declined: false,
    };
    let mut at = p.skip(0);
    let mut consts = Vec::new();
    while let Some((c, end)) = p.const_def(at) {
        consts.push(c);
        at = p.skip(end);
    }
    let (kpi, end) = match p.kpi_def(at) {
        Some((kpi, end)) => (Some(kpi), end),
        None => (None, at),
    };
    let end = p.skip(end);
    (end == text.len() && !p.declined).then_some((consts, kpi))
}

/// The grammar's keywords: no bare name may be one (`keyword` in the grammar).
const KEYWORDS: [&str; 30] = [
    "kpi", "from", "join", "left", "on", "where", "group", "by", "measure", "check", "over",
    "days", "day", "ending", "and", "or", "not", "in", "like", "is", "null", "true", "false",
    "between", "distinct", "case", "when", "then", "else", "end",
];

/// An expression, its depth as the builder counts it, and where its rule ended.
pub(super) type Parsed = (Expr, usize, usize);

pub(super) struct Parser<'a> {
    text: &'a str,
    b: &'a [u8],
    file: FileId,
    offset: usize,
    /// Something the builder would report was met: the chunk goes through pest.
    declined: bool,
}

pub(super) fn is_word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

enum Clause {
    Join(Join),
    Where(Expr),
    Group(Vec<Dimension>),
    Measure(Measure),
    Check(Check),
}

impl Parser<'_> {
    /// Pest's span of `start..end`, as `Builder::span` trims it.
    pub(super) fn span(&self, start: usize, end: usize) -> Span {
        let trimmed = self.text[start..end].trim_end().len();
        Span::new(
            self.file,
            self.offset + start,
            self.offset + start + trimmed,
        )
    }

    pub(super) fn decline<T>(&mut self) -> Option<T> {
        self.declined = true;
        None
    }

    /// `(WHITESPACE | COMMENT)*`: `////…` and `//` not followed by `/` are comments.
    pub(super) fn skip(&self, mut p: usize) -> usize {
        let b = self.b;
        loop {
            while p < b.len() && matches!(b[p], b' ' | b'\t' | b'\r' | b'\n') {
                p += 1;
            }
            let rest = &b[p..];
            if rest.starts_with(b"////") || (rest.starts_with(b"//") && rest.get(2) != Some(&b'/'))
            {
                p += rest.iter().position(|c| *c == b'\n').unwrap_or(rest.len());
            } else {
                return p;
            }
        }
    }

    pub(super) fn lit(&self, p: usize, s: &str) -> Option<usize> {
        self.b[p..].starts_with(s.as_bytes()).then_some(p + s.len())
    }

    /// `kw_*`: the keyword in any case, not followed by a name's character.
    pub(super) fn kw(&self, p: usize, k: &str) -> Option<usize> {
        let end = p + k.len();
        let word = self.b.get(p..end)?;
        (word.eq_ignore_ascii_case(k.as_bytes()) && !self.b.get(end).copied().is_some_and(is_word))
            .then_some(end)
    }

    fn word_end(&self, p: usize) -> usize {
        p + self.b[p..].iter().take_while(|c| is_word(**c)).count()
    }

    pub(super) fn ident(&mut self, p: usize) -> Option<(Ident, usize)> {
        let b = self.b;
        match b.get(p)? {
            b'`' => {
                let len = b[p + 1..]
                    .iter()
                    .take_while(|c| **c != b'`' && **c != b'\n')
                    .count();
                let close = p + 1 + len;
                if len == 0 || b.get(close) != Some(&b'`') {
                    return None;
                }
                let inner = &self.text[p + 1..close];
                if inner.chars().any(is_hidden_char) {
                    return self.decline();
                }
                let name = inner.to_ascii_lowercase();
                Some((
                    Ident {
                        name,
                        span: self.span(p, close + 1),
                    },
                    close + 1,
                ))
            }
            c if c.is_ascii_alphabetic() || *c == b'_' => {
                let end = self.word_end(p);
                let word = &b[p..end];
                if KEYWORDS
                    .iter()
                    .any(|k| word.eq_ignore_ascii_case(k.as_bytes()))
                {
                    return None;
                }
                Some((
                    Ident {
                        name: self.text[p..end].to_ascii_lowercase(),
                        span: self.span(p, end),
                    },
                    end,
                ))
            }
            _ => None,
        }
    }

    /// `ASCII_DIGIT+`: its text and end.
    pub(super) fn digits(&self, p: usize) -> Option<usize> {
        let n = self.b[p..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        (n > 0).then_some(p + n)
    }

    pub(super) fn number(&mut self, p: usize, end: usize) -> Option<u64> {
        match self.text[p..end].parse() {
            Ok(n) => Some(n),
            Err(_) => self.decline(),
        }
    }

    /// `doc`: its text as `doc_text` gives it, and its end.
    fn doc(&self, p: usize) -> Option<(String, usize)> {
        let rest = &self.b[p..];
        if !rest.starts_with(b"///") || rest.get(3) == Some(&b'/') {
            return None;
        }
        let end = p + rest.iter().position(|c| *c == b'\n').unwrap_or(rest.len());
        let text = self.text[p..end].trim_start_matches("///");
        let text = text.strip_prefix(' ').unwrap_or(text).trim_end();
        Some((text.to_string(), end))
    }

    /// `doc*`, and where the repetition ended.
    fn docs(&self, p: usize) -> (Vec<String>, usize) {
        let mut docs = Vec::new();
        let mut end = p;
        while let Some((doc, e)) = self.doc(if docs.is_empty() { p } else { self.skip(end) }) {
            docs.push(doc);
            end = e;
        }
        (docs, end)
    }

    /// `const_def`: `doc* ~ kw_const ~ ident ~ "=" ~ const_value`.
    fn const_def(&mut self, start: usize) -> Option<(Const, usize)> {
        let (docs, p) = self.docs(start);
        let p = self.kw(self.skip(p), "const")?;
        let (name, p) = self.ident(self.skip(p))?;
        let p = self.lit(self.skip(p), "=")?;
        let (value, end) = self.const_value(self.skip(p))?;
        let span = self.span(start, end);
        Some((
            Const {
                doc: join_docs(docs),
                name,
                value,
                span,
            },
            end,
        ))
    }

    fn kpi_def(&mut self, start: usize) -> Option<(Kpi, usize)> {
        let (docs, p) = self.docs(start);
        let p = self.kw(self.skip(p), "kpi")?;
        let (name, p) = self.ident(self.skip(p))?;
        let p = self.lit(self.skip(p), "{")?;
        let (from, mut p) = self.read_from(self.skip(p))?;
        let mut kpi = Kpi {
            doc: join_docs(docs),
            name,
            from,
            joins: Vec::new(),
            filter: None,
            group_by: Vec::new(),
            measures: Vec::new(),
            checks: Vec::new(),
            span: Span::new(self.file, 0, 0),
        };
        let (mut has_filter, mut has_group) = (false, false);
        while let Some((clause, e)) = self.clause(self.skip(p)) {
            p = e;
            match clause {
                Clause::Join(j) => kpi.joins.push(j),
                Clause::Where(e) => {
                    if std::mem::replace(&mut has_filter, true) {
                        return self.decline();
                    }
                    kpi.filter = Some(e);
                }
                Clause::Group(g) => {
                    if std::mem::replace(&mut has_group, true) {
                        return self.decline();
                    }
                    kpi.group_by = g;
                }
                Clause::Measure(m) => kpi.measures.push(m),
                Clause::Check(c) => kpi.checks.push(c),
            }
        }
        let end = self.lit(self.skip(p), "}")?;
        kpi.span = self.span(start, end);
        Some((kpi, end))
    }

    fn read_from(&mut self, p: usize) -> Option<(Relation, usize)> {
        let p = self.kw(p, "from")?;
        self.relation(self.skip(p))
    }

    fn relation(&mut self, start: usize) -> Option<(Relation, usize)> {
        let (name, p) = self.ident(start)?;
        let mut p = self.skip(p);
        let alias = match self.ident(p) {
            Some((alias, e)) => {
                p = self.skip(e);
                Some(alias)
            }
            None => None,
        };
        let window = match self.window(p) {
            Some((window, e)) => {
                p = e;
                Some(window)
            }
            None => None,
        };
        let span = self.span(start, p);
        Some((
            Relation {
                name,
                alias,
                window,
                span,
            },
            p,
        ))
    }

    fn window(&mut self, start: usize) -> Option<(Window, usize)> {
        let at = self.skip(self.kw(start, "over")?);
        let e = self.digits(at)?;
        let p = self.skip(e);
        let p = self.kw(p, "days").or_else(|| self.kw(p, "day"))?;
        let mut p = self.skip(p);
        let mut ends_before = 0;
        if let Some((before, e)) = self.window_end(p) {
            ends_before = before;
            p = e;
        }
        let days = self.number(at, e)?;
        Some((
            Window {
                days,
                ends_before,
                span: self.span(start, p),
            },
            p,
        ))
    }

    fn window_end(&mut self, p: usize) -> Option<(u64, usize)> {
        let p = self.skip(self.kw(p, "ending")?);
        let p = self.skip(self.kw(p, "day")?);
        let Some(minus) = self.lit(p, "-") else {
            return Some((0, p));
        };
        let at = self.skip(minus);
        match self.digits(at) {
            Some(e) => Some((self.number(at, e)?, e)),
            None => Some((0, p)),
        }
    }

    fn clause(&mut self, p: usize) -> Option<(Clause, usize)> {
        if let Some((j, e)) = self.join_clause(p) {
            return Some((Clause::Join(j), e));
        }
        if let Some(at) = self.kw(p, "where") {
            let (e, _, end) = self.expr(self.skip(at))?;
            return Some((Clause::Where(e), end));
        }
        if let Some((g, e)) = self.group_clause(p) {
            return Some((Clause::Group(g), e));
        }
        if let Some((m, e)) = self.measure_clause(p) {
            return Some((Clause::Measure(m), e));
        }
        let at = self.kw(p, "check")?;
        let (expr, _, end) = self.expr(self.skip(at))?;
        let span = self.span(p, end);
        Some((Clause::Check(Check { expr, span }), end))
    }

    fn join_clause(&mut self, start: usize) -> Option<(Join, usize)> {
        let left = self.kw(start, "left");
        let p = self.kw(self.skip(left.unwrap_or(start)), "join")?;
        let (relation, p) = self.relation(self.skip(p))?;
        let p = self.kw(self.skip(p), "on")?;
        let (on, _, end) = self.expr(self.skip(p))?;
        let kind = if left.is_some() {
            JoinKind::Left
        } else {
            JoinKind::Inner
        };
        let span = self.span(start, end);
        Some((
            Join {
                kind,
                relation,
                on,
                span,
            },
            end,
        ))
    }

    fn group_clause(&mut self, p: usize) -> Option<(Vec<Dimension>, usize)> {
        let p = self.skip(self.kw(p, "group")?);
        let p = self.skip(self.kw(p, "by")?);
        let (first, e) = self.dimension(p)?;
        let mut dimensions = vec![first];
        let mut end = self.skip(e);
        while let Some(comma) = self.lit(self.skip(end), ",") {
            let Some((d, e)) = self.dimension(self.skip(comma)) else {
                break;
            };
            dimensions.push(d);
            end = e;
        }
        Some((dimensions, end))
    }

    fn dimension(&mut self, start: usize) -> Option<(Dimension, usize)> {
        let (docs, p) = self.docs(start);
        let p = self.skip(p);
        let (name, (expr, _, end)) = match self.named(p) {
            Some((name, parsed)) => (Some(name), parsed),
            None => (None, self.expr(p)?),
        };
        let span = self.span(start, end);
        Some((
            Dimension {
                doc: join_docs(docs),
                name,
                expr,
                span,
            },
            end,
        ))
    }

    /// `named`: `ident = expr`, not `ident == …`.
    fn named(&mut self, p: usize) -> Option<(Ident, Parsed)> {
        let (name, p) = self.ident(p)?;
        let p = self.skip(p);
        if self.b[p..].starts_with(b"==") {
            return None;
        }
        let p = self.lit(p, "=")?;
        let parsed = self.expr(self.skip(p))?;
        Some((name, parsed))
    }

    fn measure_clause(&mut self, start: usize) -> Option<(Measure, usize)> {
        let (docs, p) = self.docs(start);
        let p = self.kw(self.skip(p), "measure")?;
        let (name, p) = self.ident(self.skip(p))?;
        let p = self.lit(self.skip(p), "=")?;
        let (expr, _, end) = self.expr(self.skip(p))?;
        let span = self.span(start, end);
        Some((
            Measure {
                doc: join_docs(docs),
                name,
                expr,
                span,
            },
            end,
        ))
    }
}
