//! pest parse tree → AST. The only module that knows pest; it never leaks past `parse`.
//! `exprs.rs` builds expressions, `failure.rs` turns pest's failures into syntax errors.
//! `direct/` parses the chunks that parse cleanly to the same AST without pest (most of a
//! project's files, several times faster); pest parses the others, for their errors.

mod direct;
mod exprs;
mod failure;
#[cfg(test)]
mod tests;

use super::ast::*;
use super::errors::{NumberContext, SyntaxError};
use super::scan::{self, MAX_NESTING};
use crate::span::{FileId, Sources, Span, is_hidden_char};
use pest::Parser as _;
use pest::iterators::Pair;

#[derive(pest_derive::Parser)]
#[grammar = "syntax/grammar.pest"]
struct Grammar;

/// Deepest expression tree built. Long operator chains (`a + b + c …`) deepen the tree one
/// level per operator; the bound keeps later recursive passes within the stack.
pub const MAX_EXPR_DEPTH: usize = 256;

/// Parses one `.kpi` file. Each top-level block is parsed on its own, so a syntax error in
/// one KPI still lets the others parse and be checked.
pub fn parse(sources: &Sources, file: FileId) -> (File, Vec<SyntaxError>) {
    parse_chunks(sources, file, true)
}

/// [`parse`], through pest alone: what `direct/` is held to.
#[cfg(test)]
pub(crate) fn parse_with_pest(sources: &Sources, file: FileId) -> (File, Vec<SyntaxError>) {
    parse_chunks(sources, file, false)
}

fn parse_chunks(sources: &Sources, file: FileId, direct: bool) -> (File, Vec<SyntaxError>) {
    let text = sources.text(file);
    let mut kpis = Vec::new();
    let mut consts = Vec::new();
    let mut errors = Vec::new();
    for chunk in scan::chunks(file, text) {
        if let Some(span) = chunk.too_deep {
            errors.push(SyntaxError::TooDeep {
                span,
                limit: MAX_NESTING,
            });
            continue;
        }
        let slice = &text[chunk.start..chunk.end];
        if direct && let Some((found, kpi)) = direct::chunk(file, chunk.start, slice) {
            consts.extend(found);
            kpis.extend(kpi);
            continue;
        }
        let mut builder = Builder {
            file,
            offset: chunk.start,
            errors: Vec::new(),
        };
        match Grammar::parse(Rule::chunk, slice) {
            Ok(mut pairs) => {
                for item in pairs
                    .next()
                    .into_iter()
                    .flat_map(|chunk| chunk.into_inner())
                {
                    match item.as_rule() {
                        Rule::kpi_def => kpis.push(builder.kpi(item)),
                        Rule::const_def => consts.push(builder.constant(item)),
                        _ => {}
                    }
                }
            }
            Err(e) => {
                let error = builder.syntax_error(slice, &e, chunk.unclosed);
                builder.errors.push(error);
            }
        }
        errors.append(&mut builder.errors);
    }
    (File { kpis, consts }, errors)
}

struct Builder {
    file: FileId,
    offset: usize,
    errors: Vec<SyntaxError>,
}

impl Builder {
    /// The pair's span without the whitespace pest may have consumed at its end.
    fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        let s = pair.as_span();
        let trimmed = s.as_str().trim_end().len();
        Span::new(
            self.file,
            self.offset + s.start(),
            self.offset + s.start() + trimmed,
        )
    }

    fn constant(&mut self, pair: Pair<'_, Rule>) -> Const {
        let span = self.span(&pair);
        let mut docs = Vec::new();
        let mut name = None;
        let mut value = None;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::doc => docs.push(doc_text(&p)),
                Rule::ident => name = Some(self.ident(p)),
                Rule::const_value => value = Some(self.expr(p)),
                _ => {}
            }
        }
        Const {
            doc: join_docs(docs),
            name: name.unwrap_or_else(|| Ident {
                name: String::new(),
                span,
            }),
            value: value.unwrap_or(Expr {
                kind: ExprKind::Literal {
                    value: Literal::Null,
                },
                span,
            }),
            span,
        }
    }

    fn kpi(&mut self, pair: Pair<'_, Rule>) -> Kpi {
        let span = self.span(&pair);
        let mut docs = Vec::new();
        let mut name = None;
        let mut from = None;
        let mut joins = Vec::new();
        let mut filter: Option<Expr> = None;
        let mut group_by: Vec<Dimension> = Vec::new();
        let mut group_span: Option<Span> = None;
        let mut measures = Vec::new();
        let mut checks = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::doc => docs.push(doc_text(&p)),
                Rule::ident => name = Some(self.ident(p)),
                Rule::from_clause => from = p.into_inner().nth(1).map(|r| self.relation(r)),
                Rule::join_clause => joins.push(self.join(p)),
                Rule::where_clause => {
                    let clause_span = self.span(&p);
                    let expr = p.into_inner().nth(1).map(|e| self.expr(e));
                    match (&filter, expr) {
                        (Some(first), _) => self.errors.push(SyntaxError::DuplicateClause {
                            span: clause_span,
                            clause: "where",
                            first: first.span,
                        }),
                        (None, expr) => filter = expr,
                    }
                }
                Rule::group_clause => {
                    let clause_span = self.span(&p);
                    if let Some(first) = group_span {
                        self.errors.push(SyntaxError::DuplicateClause {
                            span: clause_span,
                            clause: "group by",
                            first,
                        });
                    } else {
                        group_span = Some(clause_span);
                        group_by = p
                            .into_inner()
                            .filter(|d| d.as_rule() == Rule::dimension)
                            .map(|d| self.dimension(d))
                            .collect();
                    }
                }
                Rule::measure_clause => measures.push(self.measure(p)),
                Rule::check_clause => {
                    let span = self.span(&p);
                    if let Some(e) = p.into_inner().nth(1) {
                        checks.push(Check {
                            expr: self.expr(e),
                            span,
                        });
                    }
                }
                _ => {}
            }
        }
        let name = name.unwrap_or_else(|| Ident {
            name: String::new(),
            span,
        });
        let from = from.unwrap_or_else(|| Relation {
            name: name.clone(),
            alias: None,
            window: None,
            span,
        });
        Kpi {
            doc: join_docs(docs),
            name,
            from,
            joins,
            filter,
            group_by,
            measures,
            checks,
            span,
        }
    }

    fn relation(&mut self, pair: Pair<'_, Rule>) -> Relation {
        let span = self.span(&pair);
        let mut name = None;
        let mut alias = None;
        let mut window = None;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::ident => name = Some(self.ident(p)),
                Rule::alias => alias = p.into_inner().next().map(|i| self.ident(i)),
                Rule::window => window = Some(self.window(p)),
                _ => {}
            }
        }
        let name = name.unwrap_or(Ident {
            name: String::new(),
            span,
        });
        Relation {
            name,
            alias,
            window,
            span,
        }
    }

    fn window(&mut self, pair: Pair<'_, Rule>) -> Window {
        let span = self.span(&pair);
        let mut days = 1;
        let mut ends_before = 0;
        for p in pair.into_inner() {
            match p.as_rule() {
                // A number too large was reported; `1` keeps later checks quiet.
                Rule::integer => {
                    days = Some(self.integer(&p, NumberContext::Window))
                        .filter(|d| *d > 0 || p.as_str().trim_start_matches('0').is_empty())
                        .unwrap_or(1)
                }
                Rule::window_end => {
                    if let Some(n) = p.into_inner().find(|q| q.as_rule() == Rule::integer) {
                        ends_before = self.integer(&n, NumberContext::Window);
                    }
                }
                _ => {}
            }
        }
        Window {
            days,
            ends_before,
            span,
        }
    }

    fn join(&mut self, pair: Pair<'_, Rule>) -> Join {
        let span = self.span(&pair);
        let mut kind = JoinKind::Inner;
        let mut relation = None;
        let mut on = None;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::join_kind if p.clone().into_inner().any(|k| k.as_rule() == Rule::kw_left) => {
                    kind = JoinKind::Left;
                }
                Rule::relation => relation = Some(self.relation(p)),
                Rule::expr => on = Some(self.expr(p)),
                _ => {}
            }
        }
        let relation = relation.unwrap_or_else(|| Relation {
            name: Ident {
                name: String::new(),
                span,
            },
            alias: None,
            window: None,
            span,
        });
        let on = on.unwrap_or(Expr {
            kind: ExprKind::Literal {
                value: Literal::Boolean(true),
            },
            span,
        });
        Join {
            kind,
            relation,
            on,
            span,
        }
    }

    /// The parts shared by dimensions and measures: doc comments, an optional name, an
    /// expression (`name = expr` may sit inside a `named` pair).
    fn documented(&mut self, pair: Pair<'_, Rule>) -> (Option<String>, Option<Ident>, Expr, Span) {
        let span = self.span(&pair);
        let mut docs = Vec::new();
        let mut name = None;
        let mut expr = None;
        let mut pending: Vec<Pair<'_, Rule>> = pair.into_inner().collect();
        pending.reverse();
        while let Some(p) = pending.pop() {
            match p.as_rule() {
                Rule::doc => docs.push(doc_text(&p)),
                Rule::named => pending.extend(p.into_inner().collect::<Vec<_>>().into_iter().rev()),
                Rule::ident => name = Some(self.ident(p)),
                Rule::expr => expr = Some(self.expr(p)),
                _ => {}
            }
        }
        let expr = expr.unwrap_or(Expr {
            kind: ExprKind::Literal {
                value: Literal::Null,
            },
            span,
        });
        (join_docs(docs), name, expr, span)
    }

    fn dimension(&mut self, pair: Pair<'_, Rule>) -> Dimension {
        let (doc, name, expr, span) = self.documented(pair);
        Dimension {
            doc,
            name,
            expr,
            span,
        }
    }

    fn measure(&mut self, pair: Pair<'_, Rule>) -> Measure {
        let (doc, name, expr, span) = self.documented(pair);
        let name = name.unwrap_or(Ident {
            name: String::new(),
            span,
        });
        Measure {
            doc,
            name,
            expr,
            span,
        }
    }

    fn ident(&mut self, pair: Pair<'_, Rule>) -> Ident {
        let span = self.span(&pair);
        let text = pair.as_str();
        // Only backquoted names can hold them; the first is reported, at its place.
        if let Some((i, c)) = text.char_indices().find(|(_, c)| is_hidden_char(*c)) {
            let at = span.start as usize + i;
            self.errors.push(SyntaxError::HiddenCharInName {
                span: Span::new(self.file, at, at + c.len_utf8()),
                char: c,
            });
        }
        let name = match text.strip_prefix('`').and_then(|t| t.strip_suffix('`')) {
            // Hive names are case-insensitive; backquotes only allow other characters.
            Some(quoted) => quoted.to_ascii_lowercase(),
            None => text.to_ascii_lowercase(),
        };
        // Checked without the hidden characters (already reported), so they never reach the
        // IR nor cascade into an unknown name.
        let name = name.chars().filter(|c| !is_hidden_char(*c)).collect();
        Ident { name, span }
    }

    fn integer(&mut self, pair: &Pair<'_, Rule>, context: NumberContext) -> u64 {
        pair.as_str().parse().unwrap_or_else(|_| {
            self.errors.push(SyntaxError::NumberTooLarge {
                span: self.span(pair),
                text: pair.as_str().to_string(),
                context,
            });
            0
        })
    }
}

fn doc_text(pair: &Pair<'_, Rule>) -> String {
    let text = pair.as_str().trim_start_matches("///");
    text.strip_prefix(' ')
        .unwrap_or(text)
        .trim_end()
        .to_string()
}

fn join_docs(docs: Vec<String>) -> Option<String> {
    if docs.is_empty() {
        None
    } else {
        Some(docs.join("\n"))
    }
}

fn unquote(s: &str) -> String {
    let inner = s
        .strip_prefix('\'')
        .and_then(|t| t.strip_suffix('\''))
        .unwrap_or(s);
    inner.replace("''", "'")
}

/// `YYYY-MM-DD` with a month and day that exist (leap years included).
pub fn is_calendar_date(text: &str) -> bool {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| text.get(r).and_then(|s| s.parse::<u32>().ok());
    let (Some(y), Some(m), Some(d)) = (num(0..4), num(5..7), num(8..10)) else {
        return false;
    };
    if !text[0..4].bytes().all(|c| c.is_ascii_digit()) {
        return false;
    }
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    d >= 1 && d <= days
}
