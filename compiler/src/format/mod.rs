//! Format: `.kpi` text → the same definitions in the one canonical layout, every comment
//! kept. Printed from the AST, so the result parses to the same AST (spans aside) and
//! formatting it again changes nothing; comments come from a scan beside the AST
//! (`trivia.rs`), since the grammar skips them.
//!
//! The layout (`kpi.rs`, `exprs.rs`): a KPI's clauses two spaces in, in the order from,
//! joins, where, group by, measures, checks; one blank line between KPIs, and blank lines the
//! author left between clauses or comments kept (one at most); keywords in lower case, names
//! as written; only the parentheses the grammar needs. A run of measures whose `=` the author
//! aligned is aligned to its longest name. A clause longer than [`WIDTH`] breaks: a measure
//! first after its `=`, then any clause at its outermost operator chain, one operand a line;
//! a `where` of several `and`/`or` conditions always puts one a line.

mod exprs;
mod kpi;
mod trivia;

pub use exprs::WIDTH;

use crate::span::{FileId, Sources};
use crate::syntax::{self, SyntaxError};
use trivia::{Comments, Note, blank_between};

/// The canonical text of `file`, or its syntax errors (the same as `kpi check` reports):
/// a file that does not parse is never formatted.
pub fn format(sources: &Sources, file: FileId) -> Result<String, Vec<SyntaxError>> {
    let (ast, errors) = syntax::parse(sources, file);
    if !errors.is_empty() {
        return Err(errors);
    }
    let text = sources.text(file);
    let mut comments = Comments::new(text);
    let mut out: Vec<String> = Vec::new();
    let mut prev_end = 0;
    // KPIs and constants, in the file's order.
    let mut items: Vec<Item<'_>> = ast
        .kpis
        .iter()
        .map(Item::Kpi)
        .chain(ast.consts.iter().map(Item::Const))
        .collect();
    items.sort_by_key(|item| item.span().start);
    let mut after_kpi = false;
    for (i, item) in items.iter().enumerate() {
        let start = comments.next_token(prev_end);
        let (trailing, mut notes) = comments.gap(prev_end, start);
        if i == 0 {
            if let Some(text) = trailing {
                notes.insert(0, Note { text, blank: false });
            }
        } else if let Some(last) = out.last_mut() {
            kpi::push_trailing(last, trailing);
        }
        // A blank line around every KPI; between constants, where the author left one.
        let blank = if notes.is_empty() {
            i > 0
                && (after_kpi
                    || matches!(item, Item::Kpi(_))
                    || blank_between(text, prev_end, start))
        } else {
            blank_between(text, comments.last_end(prev_end, start), start)
        };
        push_notes(&mut out, notes, after_kpi);
        if blank {
            out.push(String::new());
        }
        match item {
            Item::Kpi(k) => kpi::kpi(&mut comments, k, &mut out),
            Item::Const(c) => {
                let printer = exprs::Printer { text };
                out.push(format!(
                    "const {} = {}",
                    printer.ident(&c.name),
                    printer.flat(&c.value)
                ));
            }
        }
        after_kpi = matches!(item, Item::Kpi(_));
        prev_end = item.span().end as usize;
    }
    let (trailing, mut notes) = comments.gap(prev_end, text.len());
    match out.last_mut() {
        Some(last) => kpi::push_trailing(last, trailing),
        None => {
            if let Some(text) = trailing {
                notes.insert(0, Note { text, blank: false });
            }
        }
    }
    push_notes(&mut out, notes, after_kpi);
    if out.is_empty() {
        return Ok(String::new());
    }
    Ok(out.join("\n") + "\n")
}

/// A top-level definition.
enum Item<'a> {
    Kpi(&'a syntax::ast::Kpi),
    Const(&'a syntax::ast::Const),
}

impl Item<'_> {
    fn span(&self) -> crate::span::Span {
        match self {
            Item::Kpi(k) => k.span,
            Item::Const(c) => c.span,
        }
    }
}

/// Top-level comments; the first after a KPI always has a blank line before it.
fn push_notes(out: &mut Vec<String>, notes: Vec<Note>, after_kpi: bool) {
    for (i, note) in notes.into_iter().enumerate() {
        if !out.is_empty() && (note.blank || (i == 0 && after_kpi)) {
            out.push(String::new());
        }
        out.push(note.text);
    }
}

#[cfg(test)]
mod tests;
