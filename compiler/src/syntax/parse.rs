//! pest parse tree → AST. The only file that knows pest; it never leaks past `parse`.

use super::ast::*;
use super::errors::SyntaxError;
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
    let text = sources.text(file);
    let mut kpis = Vec::new();
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
        let mut builder = Builder {
            file,
            offset: chunk.start,
            errors: Vec::new(),
        };
        match Grammar::parse(Rule::chunk, slice) {
            Ok(mut pairs) => {
                let kpi = pairs
                    .next()
                    .into_iter()
                    .flat_map(|chunk| chunk.into_inner())
                    .find(|p| p.as_rule() == Rule::kpi_def);
                if let Some(kpi) = kpi {
                    kpis.push(builder.kpi(kpi));
                }
            }
            Err(e) => builder.errors.push(builder.syntax_error(slice, &e)),
        }
        errors.append(&mut builder.errors);
    }
    (File { kpis }, errors)
}

struct Builder {
    file: FileId,
    offset: usize,
    errors: Vec<SyntaxError>,
}

type Built = (Expr, usize);

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

    fn syntax_error(&self, slice: &str, e: &pest::error::Error<Rule>) -> SyntaxError {
        let pos = match e.location {
            pest::error::InputLocation::Pos(p) => p,
            pest::error::InputLocation::Span((s, _)) => s,
        };
        let rest = &slice[pos.min(slice.len())..];
        let found = next_token(rest);
        let end = pos + found.map_or(0, str::len);
        let span = Span::new(self.file, self.offset + pos, self.offset + end);
        if rest.starts_with('\'')
            && found.is_some_and(|f| f.len() == rest.len().min(f.len()) && !f[1..].contains('\''))
        {
            return SyntaxError::UnterminatedString { span };
        }
        let mut expected: Vec<String> = match &e.variant {
            pest::error::ErrorVariant::ParsingError { positives, .. } => positives
                .iter()
                .filter_map(|r| friendly(*r))
                .map(str::to_string)
                .collect(),
            pest::error::ErrorVariant::CustomError { .. } => Vec::new(),
        };
        expected.sort();
        expected.dedup();
        SyntaxError::Unexpected {
            span,
            found: found.map(str::to_string),
            expected,
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
                    days = Some(self.integer(&p))
                        .filter(|d| *d > 0 || p.as_str().trim_start_matches('0').is_empty())
                        .unwrap_or(1)
                }
                Rule::window_end => {
                    if let Some(n) = p.into_inner().find(|q| q.as_rule() == Rule::integer) {
                        ends_before = self.integer(&n);
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

    fn integer(&mut self, pair: &Pair<'_, Rule>) -> u64 {
        pair.as_str().parse().unwrap_or_else(|_| {
            self.errors.push(SyntaxError::NumberTooLarge {
                span: self.span(pair),
            });
            0
        })
    }

    fn expr(&mut self, pair: Pair<'_, Rule>) -> Expr {
        self.built(pair).0
    }

    /// Builds an expression and its depth, folding operator chains left to right. Past
    /// [`MAX_EXPR_DEPTH`] the chain is cut and an error reported.
    fn built(&mut self, pair: Pair<'_, Rule>) -> Built {
        let span = self.span(&pair);
        match pair.as_rule() {
            Rule::expr | Rule::paren => match pair.into_inner().next() {
                Some(inner) => self.built(inner),
                None => (literal(Literal::Null, span), 1),
            },
            Rule::or_expr | Rule::and_expr | Rule::arith | Rule::product => self.chain(pair),
            Rule::not_expr | Rule::unary => {
                let mut ops = 0usize;
                let mut operand = None;
                let op = if pair.as_rule() == Rule::not_expr {
                    UnaryOp::Not
                } else {
                    UnaryOp::Neg
                };
                for p in pair.into_inner() {
                    match p.as_rule() {
                        Rule::not_op | Rule::neg_op => ops += 1,
                        _ => operand = Some(self.built(p)),
                    }
                }
                let (mut expr, mut depth) = operand.unwrap_or((literal(Literal::Null, span), 1));
                if ops % 2 == 1 {
                    expr = Expr {
                        kind: ExprKind::Unary {
                            op,
                            operand: Box::new(expr),
                        },
                        span,
                    };
                    depth += 1;
                }
                (expr, depth)
            }
            Rule::predicate => self.predicate(pair, span),
            Rule::postfix => {
                let mut inner = pair.into_inner();
                let (mut expr, mut depth) = match inner.next() {
                    Some(p) => self.built(p),
                    None => (literal(Literal::Null, span), 1),
                };
                for index in inner {
                    let at = expr.span.to(self.span(&index));
                    let (i, d) = match index.into_inner().next() {
                        Some(p) => self.built(p),
                        None => (literal(Literal::Null, at), 1),
                    };
                    depth = depth.max(d) + 1;
                    if depth > MAX_EXPR_DEPTH {
                        self.errors.push(SyntaxError::TooDeep {
                            span: at,
                            limit: MAX_EXPR_DEPTH,
                        });
                        break;
                    }
                    expr = Expr {
                        kind: ExprKind::Index {
                            base: Box::new(expr),
                            index: Box::new(i),
                        },
                        span: at,
                    };
                }
                (expr, depth)
            }
            Rule::path => {
                let parts = pair.into_inner().map(|p| self.ident(p)).collect();
                (
                    Expr {
                        kind: ExprKind::Path { parts },
                        span,
                    },
                    1,
                )
            }
            Rule::call => self.call(pair, span),
            Rule::case_expr => self.case(pair, span),
            Rule::integer => {
                let value = self.integer(&pair);
                if value > i64::MAX as u64 {
                    self.errors.push(SyntaxError::NumberTooLarge { span });
                }
                (
                    literal(Literal::Integer(value.min(i64::MAX as u64)), span),
                    1,
                )
            }
            Rule::decimal => (
                literal(Literal::Decimal(pair.as_str().to_string()), span),
                1,
            ),
            Rule::string => (literal(Literal::String(unquote(pair.as_str())), span), 1),
            Rule::kw_true => (literal(Literal::Boolean(true), span), 1),
            Rule::kw_false => (literal(Literal::Boolean(false), span), 1),
            Rule::kw_null => (literal(Literal::Null, span), 1),
            Rule::kw_day_value => (
                Expr {
                    kind: ExprKind::Day,
                    span,
                },
                1,
            ),
            Rule::date_literal => {
                let text = pair
                    .into_inner()
                    .next()
                    .map(|s| unquote(s.as_str()))
                    .unwrap_or_default();
                if !is_calendar_date(&text) {
                    self.errors.push(SyntaxError::InvalidDate {
                        span,
                        text: text.clone(),
                    });
                }
                (literal(Literal::Date(text), span), 1)
            }
            _ => (literal(Literal::Null, span), 1),
        }
    }

    fn chain(&mut self, pair: Pair<'_, Rule>) -> Built {
        let mut inner = pair.into_inner();
        let span0 = inner.peek().map(|p| self.span(&p));
        let (mut left, mut depth) = match inner.next() {
            Some(p) => self.built(p),
            None => {
                return (
                    literal(Literal::Null, span0.unwrap_or(Span::new(self.file, 0, 0))),
                    1,
                );
            }
        };
        while let Some(op_pair) = inner.next() {
            let op = binary_op(&op_pair);
            let Some(right_pair) = inner.next() else {
                break;
            };
            let (right, right_depth) = self.built(right_pair);
            depth = depth.max(right_depth) + 1;
            if depth > MAX_EXPR_DEPTH {
                self.errors.push(SyntaxError::TooDeep {
                    span: self.span(&op_pair),
                    limit: MAX_EXPR_DEPTH,
                });
                return (left, depth - 1);
            }
            let span = left.span.to(right.span);
            left = Expr {
                kind: ExprKind::Binary {
                    op,
                    left: Box::new(left),
                    right: Box::new(right),
                },
                span,
            };
        }
        (left, depth)
    }

    fn predicate(&mut self, pair: Pair<'_, Rule>, span: Span) -> Built {
        let mut inner = pair.into_inner();
        let (operand, depth) = match inner.next() {
            Some(p) => self.built(p),
            None => return (literal(Literal::Null, span), 1),
        };
        let Some(tail) = inner.next() else {
            return (operand, depth);
        };
        let rule = tail.as_rule();
        let mut negated = false;
        let mut parts = Vec::new();
        let mut op = BinaryOp::Eq;
        for p in tail.into_inner() {
            match p.as_rule() {
                Rule::negated => negated = true,
                Rule::cmp_op => op = binary_op(&p),
                Rule::kw_is
                | Rule::kw_null
                | Rule::kw_in
                | Rule::kw_like
                | Rule::kw_between
                | Rule::kw_and => {}
                _ => parts.push(self.built(p)),
            }
        }
        let depth = parts.iter().map(|(_, d)| *d).max().unwrap_or(0).max(depth) + 1;
        let mut exprs = parts.into_iter().map(|(e, _)| Box::new(e));
        let operand = Box::new(operand);
        let null = || Box::new(literal(Literal::Null, span));
        let kind = match rule {
            Rule::comparison => ExprKind::Binary {
                op,
                left: operand,
                right: exprs.next().unwrap_or_else(null),
            },
            Rule::is_null => ExprKind::IsNull { operand, negated },
            Rule::in_list => ExprKind::InList {
                operand,
                list: exprs.map(|e| *e).collect(),
                negated,
            },
            Rule::like => ExprKind::Like {
                operand,
                pattern: exprs.next().unwrap_or_else(null),
                negated,
            },
            _ => ExprKind::Between {
                operand,
                low: exprs.next().unwrap_or_else(null),
                high: exprs.next().unwrap_or_else(null),
                negated,
            },
        };
        (Expr { kind, span }, depth)
    }

    fn call(&mut self, pair: Pair<'_, Rule>, span: Span) -> Built {
        let mut name = Ident {
            name: String::new(),
            span,
        };
        let mut args = CallArgs {
            star: false,
            distinct: false,
            args: Vec::new(),
            filter: None,
        };
        let mut depth = 1;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::ident => name = self.ident(p),
                Rule::call_args => {
                    let mut after_where = false;
                    for q in p.into_inner() {
                        match q.as_rule() {
                            Rule::star => args.star = true,
                            Rule::distinct => args.distinct = true,
                            Rule::kw_where => after_where = true,
                            _ => {
                                let (e, d) = self.built(q);
                                depth = depth.max(d + 1);
                                if after_where {
                                    args.filter = Some(Box::new(e));
                                } else {
                                    args.args.push(e);
                                }
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        (
            Expr {
                kind: ExprKind::Call { name, args },
                span,
            },
            depth,
        )
    }

    fn case(&mut self, pair: Pair<'_, Rule>, span: Span) -> Built {
        let mut whens = Vec::new();
        let mut otherwise = None;
        let mut depth = 1;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::when_clause => {
                    let mut parts = p
                        .into_inner()
                        .filter(|q| q.as_rule() == Rule::expr)
                        .map(|q| self.built(q));
                    if let (Some((c, dc)), Some((v, dv))) = (parts.next(), parts.next()) {
                        depth = depth.max(dc.max(dv) + 1);
                        whens.push((c, v));
                    }
                }
                Rule::expr => {
                    let (e, d) = self.built(p);
                    depth = depth.max(d + 1);
                    otherwise = Some(Box::new(e));
                }
                _ => {}
            }
        }
        (
            Expr {
                kind: ExprKind::Case { whens, otherwise },
                span,
            },
            depth,
        )
    }
}

fn literal(value: Literal, span: Span) -> Expr {
    Expr {
        kind: ExprKind::Literal { value },
        span,
    }
}

fn binary_op(pair: &Pair<'_, Rule>) -> BinaryOp {
    match pair.as_str().to_ascii_lowercase().as_str() {
        "or" => BinaryOp::Or,
        "and" => BinaryOp::And,
        "=" => BinaryOp::Eq,
        "<>" | "!=" => BinaryOp::NotEq,
        "<" => BinaryOp::Lt,
        "<=" => BinaryOp::LtEq,
        ">" => BinaryOp::Gt,
        ">=" => BinaryOp::GtEq,
        "+" => BinaryOp::Add,
        "-" => BinaryOp::Sub,
        "||" => BinaryOp::Concat,
        "*" => BinaryOp::Mul,
        "/" => BinaryOp::Div,
        _ => BinaryOp::Mod,
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

/// The next token of the rest of the input, for "found …" in a syntax error.
fn next_token(rest: &str) -> Option<&str> {
    let c = rest.chars().next()?;
    let len = if c.is_alphanumeric() || c == '_' {
        rest.find(|ch: char| !(ch.is_alphanumeric() || ch == '_'))
            .unwrap_or(rest.len())
    } else if c == '\'' {
        rest[1..]
            .find('\'')
            .map_or_else(|| rest.find('\n').unwrap_or(rest.len()), |i| i + 2)
    } else {
        c.len_utf8()
    };
    Some(&rest[..len])
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

/// Friendly names for the rules pest says it expected.
fn friendly(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::kpi_def | Rule::kw_kpi => "`kpi`",
        Rule::doc => "a doc comment",
        Rule::from_clause | Rule::kw_from => "`from`",
        Rule::join_clause | Rule::join_kind | Rule::kw_join | Rule::kw_left => "`join`",
        Rule::where_clause | Rule::kw_where => "`where`",
        Rule::group_clause | Rule::kw_group => "`group by`",
        Rule::kw_by => "`by`",
        Rule::measure_clause | Rule::kw_measure => "`measure`",
        Rule::check_clause | Rule::kw_check => "`check`",
        Rule::kw_on => "`on`",
        Rule::window | Rule::kw_over => "`over`",
        Rule::kw_days | Rule::kw_day => "`days`",
        Rule::window_end | Rule::kw_ending => "`ending`",
        Rule::ident | Rule::alias | Rule::relation | Rule::path | Rule::named => "a name",
        Rule::expr
        | Rule::or_expr
        | Rule::and_expr
        | Rule::not_expr
        | Rule::predicate
        | Rule::arith
        | Rule::product
        | Rule::unary
        | Rule::postfix
        | Rule::call
        | Rule::paren
        | Rule::dimension => "an expression",
        Rule::integer => "a whole number",
        Rule::string | Rule::date_literal => "a string",
        Rule::cmp_op | Rule::comparison => "a comparison",
        Rule::add_op | Rule::mul_op => "an operator",
        Rule::kw_and => "`and`",
        Rule::kw_or => "`or`",
        Rule::kw_then => "`then`",
        Rule::kw_when => "`when`",
        Rule::kw_end | Rule::kw_else => "`end`",
        Rule::EOI => "the end of the file",
        _ => return None,
    })
}
