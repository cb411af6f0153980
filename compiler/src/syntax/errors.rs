//! Syntax errors as data, and their wording (the one place it lives).

use crate::check::MAX_WINDOW_DAYS;
use crate::diagnostic::Diagnostic;
use crate::span::Span;

/// Where a whole number was written, for the help on one that is too large.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NumberContext {
    /// `over N days` or `ending day - N`: only whole numbers of days.
    Window,
    /// An integer literal, which could be written as a decimal instead.
    Expression,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SyntaxError {
    /// pest could not go on; `expected` holds friendly names of what would have fitted.
    Unexpected {
        span: Span,
        found: Option<String>,
        expected: Vec<String>,
        /// The keyword a misspelt word there stands for.
        keyword: Option<String>,
    },
    /// A `kpi` block whose `}` is missing: `span` is where it was expected, `open` the `{`.
    Unclosed {
        span: Span,
        open: Span,
    },
    TooDeep {
        span: Span,
        limit: usize,
    },
    DuplicateClause {
        span: Span,
        clause: &'static str,
        first: Span,
    },
    InvalidDate {
        span: Span,
        text: String,
    },
    NumberTooLarge {
        span: Span,
        text: String,
        context: NumberContext,
    },
    UnterminatedString {
        span: Span,
    },
    /// A backquoted name holding a character that cannot be seen (`span` is that character).
    HiddenCharInName {
        span: Span,
        char: char,
    },
}

impl SyntaxError {
    pub fn to_diagnostic(&self) -> Diagnostic {
        match self {
            SyntaxError::Unexpected {
                span,
                found,
                expected,
                keyword,
            } => {
                let wanted = match expected.as_slice() {
                    [] => "something else".to_string(),
                    [one] => one.clone(),
                    [init @ .., last] => format!("{} or {}", init.join(", "), last),
                };
                let label = match found {
                    Some(f) => format!("expected {wanted}, found `{f}`"),
                    None => format!("expected {wanted} after this, found the end of the file"),
                };
                let help = match keyword {
                    Some(k) => format!("Did you mean `{k}`?"),
                    None => {
                        format!("Write {wanted} here; see docs/language.md for the shape of a KPI.")
                    }
                };
                Diagnostic::error("E0001", "syntax error")
                    .label(*span, label)
                    .help(help)
            }
            SyntaxError::Unclosed { span, open } => Diagnostic::error("E0008", "missing `}`")
                .label(*span, "expected `}` here, to close the KPI")
                .secondary(*open, "this `{` is never closed")
                .help("Add `}` after the KPI's last clause."),
            SyntaxError::TooDeep { span, limit } => {
                Diagnostic::error("E0002", "expression nested too deeply")
                    .label(*span, format!("this goes past {limit} levels of nesting"))
                    .help("Split the expression into named measures or simpler conditions.")
            }
            SyntaxError::DuplicateClause {
                span,
                clause,
                first,
            } => {
                let help = if *clause == "where" {
                    "Combine both conditions in one `where` clause with `and`."
                } else {
                    "List every item in one clause, separated by commas."
                };
                Diagnostic::error("E0003", format!("second `{clause}` clause"))
                    .label(*span, format!("a KPI has at most one `{clause}`"))
                    .secondary(*first, "the first one is here")
                    .help(help)
            }
            SyntaxError::InvalidDate { span, text } => {
                Diagnostic::error("E0004", "invalid date literal")
                    .label(*span, format!("`{text}` is not a calendar date"))
                    .help("Write dates as date 'YYYY-MM-DD' with a real month and day.")
            }
            SyntaxError::NumberTooLarge {
                span,
                text,
                context: NumberContext::Window,
            } => Diagnostic::error("E0005", "number too large")
                .label(
                    *span,
                    format!("`{text}` days does not fit in a 64-bit integer"),
                )
                .help(format!(
                    "Write a whole number of days up to {MAX_WINDOW_DAYS}, such as `over 30 days`."
                )),
            SyntaxError::NumberTooLarge {
                span,
                text,
                context: NumberContext::Expression,
            } => Diagnostic::error("E0005", "number too large")
                .label(*span, "this does not fit in a 64-bit integer")
                .help(format!(
                    "Use a smaller number, or write it as a decimal: `{text}.0`."
                )),
            SyntaxError::UnterminatedString { span } => {
                Diagnostic::error("E0006", "unterminated string")
                    .label(*span, "this string has no closing quote")
                    .help("Close the string with `'`; write a quote inside a string as `''`.")
            }
            SyntaxError::HiddenCharInName { span, char } => {
                Diagnostic::error("E0009", "invisible character in a name")
                    .label(
                        *span,
                        format!(
                            "this is U+{:04X}, a control or formatting character",
                            *char as u32
                        ),
                    )
                    .help("Remove the character from the name: names hold visible characters only.")
            }
        }
    }
}
