//! pest's failures → syntax errors: what was expected, what was found, and a block whose
//! `}` is missing.

use super::{Builder, Rule};
use crate::span::Span;
use crate::syntax::errors::SyntaxError;

/// The grammar's keywords, for "did you mean" on a misspelt one.
const KEYWORDS: [&str; 30] = [
    "kpi", "from", "join", "left", "on", "where", "group", "by", "measure", "check", "over",
    "days", "day", "ending", "and", "or", "not", "in", "like", "is", "null", "true", "false",
    "between", "distinct", "case", "when", "then", "else", "end",
];

impl Builder {
    /// The syntax error for a chunk pest could not parse. `unclosed` is the offset of the
    /// chunk's `{` when the scanner found no `}` for it.
    pub(super) fn syntax_error(
        &self,
        slice: &str,
        e: &pest::error::Error<Rule>,
        unclosed: Option<usize>,
    ) -> SyntaxError {
        let pos = match e.location {
            pest::error::InputLocation::Pos(p) => p,
            pest::error::InputLocation::Span((s, _)) => s,
        }
        .min(slice.len());
        let rest = &slice[pos..];
        // Where the text before the failure ends: a missing token belongs right after it.
        let before = slice[..pos].trim_end().len();
        let after_last = Span::new(self.file, self.offset + before, self.offset + before);
        if let Some(open) = unclosed
            && rest.trim().is_empty()
        {
            return SyntaxError::Unclosed {
                span: after_last,
                open: Span::new(self.file, open, open + 1),
            };
        }
        let found = next_token(rest);
        let span = match found {
            Some(f) => Span::new(self.file, self.offset + pos, self.offset + pos + f.len()),
            None => after_last,
        };
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
            keyword: misspelt_keyword(found, &slice[..before]),
        }
    }
}

/// The keyword a misspelt word stands for: the word found where parsing stopped, or the word
/// just before it (`count(distnct e.x)` stops at `e`), unless that one is a field (`e.dayz`).
fn misspelt_keyword<'a>(found: Option<&'a str>, before: &'a str) -> Option<String> {
    let word = |w: &'a str| {
        let is_word = !w.is_empty() && w.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        (is_word && !KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(w))).then_some(w)
    };
    let start = before
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_ascii_alphanumeric() || *c == '_')
        .last()
        .map_or(before.len(), |(i, _)| i);
    let previous = (!before[..start].ends_with('.')).then(|| &before[start..]);
    [found, previous]
        .into_iter()
        .flatten()
        .filter_map(word)
        .find_map(|w| crate::diagnostic::did_you_mean(&w.to_ascii_lowercase(), KEYWORDS))
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
        Rule::close_brace => "`}`",
        Rule::close_paren => "`)`",
        Rule::close_bracket => "`]`",
        Rule::comma => "`,`",
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

#[cfg(test)]
mod tests {
    use super::misspelt_keyword;

    #[test]
    fn the_word_before_is_found_after_any_character() {
        assert_eq!(
            misspelt_keyword(Some("e"), "count(édistnct"),
            Some("distinct".into())
        );
        assert_eq!(misspelt_keyword(Some("x"), "é"), None);
        assert_eq!(misspelt_keyword(None, "e.dayz"), None);
        assert_eq!(
            misspelt_keyword(Some("messure"), ""),
            Some("measure".into())
        );
    }
}
