//! One KPI block → its lines: clauses in a fixed order (from, joins, where, group by,
//! measures, checks), two spaces in, each with the comments that lead and trail it.

use super::exprs::{Printer, WIDTH, chain, width};
use super::trivia::{Comments, Note, blank_between};
use crate::syntax::ast::{BinaryOp, Dimension, Expr, ExprKind, Join, JoinKind, Kpi, Relation};

enum Body<'k> {
    From(&'k Relation),
    Join(&'k Join),
    Where(&'k Expr),
    Group(Vec<Dim<'k>>),
    Measure {
        name: String,
        expr: &'k Expr,
        /// The `=` was padded in the text: the author aligned this run of measures.
        padded: bool,
    },
    Check(&'k Expr),
}

struct Dim<'k> {
    dimension: &'k Dimension,
    notes: Vec<Note>,
    trailing: Option<String>,
}

struct Clause<'k> {
    body: Body<'k>,
    /// Per operand of the clause's outermost operator chain, the comment ending its line.
    operand_notes: Vec<Option<String>>,
    notes: Vec<Note>,
    /// A blank line before the clause itself (after its notes, if any).
    blank: bool,
    trailing: Option<String>,
}

impl Clause<'_> {
    fn rank(&self) -> u8 {
        match self.body {
            Body::From(_) => 0,
            Body::Join(_) => 1,
            Body::Where(_) => 2,
            Body::Group(_) => 3,
            Body::Measure { .. } => 4,
            Body::Check(_) => 5,
        }
    }

    /// Whether a blank line comes before the first line printed for it.
    fn blank_first(&self) -> bool {
        self.notes.first().map_or(self.blank, |n| n.blank)
    }
}

/// Prints `kpi`, pushing its lines to `out`. The comments before its `kpi` keyword, and the
/// one after its `}` on the same line, are the caller's: they lie between KPIs.
pub fn kpi(comments: &mut Comments<'_>, kpi: &Kpi, out: &mut Vec<String>) {
    let printer = Printer {
        text: comments.text,
    };
    let text = comments.text;
    let header_end = kpi.name.span.end as usize;
    let open = comments.next_token(header_end);
    let mut prev_end = (open + 1).min(kpi.span.end as usize);
    // Comments between the name and `{`: the first on the name's line ends the header line,
    // the others lead the first clause.
    let (mut header_trailing, mut header_notes) = comments.gap(header_end, prev_end);

    let mut nodes: Vec<(usize, usize, Body<'_>)> = Vec::new();
    nodes.push((
        kpi.from.span.start as usize,
        kpi.from.span.end as usize,
        Body::From(&kpi.from),
    ));
    for join in &kpi.joins {
        nodes.push((
            join.span.start as usize,
            join.span.end as usize,
            Body::Join(join),
        ));
    }
    if let Some(filter) = &kpi.filter {
        nodes.push((
            filter.span.start as usize,
            filter.span.end as usize,
            Body::Where(filter),
        ));
    }
    if let (Some(first), Some(last)) = (kpi.group_by.first(), kpi.group_by.last()) {
        let end = comments.trim_end(first.span.start as usize, last.span.end as usize);
        nodes.push((first.span.start as usize, end, Body::Group(Vec::new())));
    }
    for m in &kpi.measures {
        let after = &text[m.name.span.end as usize..];
        let gap = after.len() - after.trim_start_matches([' ', '\t']).len();
        nodes.push((
            m.span.start as usize,
            m.span.end as usize,
            Body::Measure {
                name: printer.ident(&m.name),
                expr: &m.expr,
                padded: gap >= 2 && after[gap..].starts_with('='),
            },
        ));
    }
    for c in &kpi.checks {
        nodes.push((
            c.span.start as usize,
            c.span.end as usize,
            Body::Check(&c.expr),
        ));
    }
    nodes.sort_by_key(|(start, _, _)| *start);

    let mut clauses: Vec<Clause<'_>> = Vec::new();
    for (node_start, end, mut body) in nodes {
        let end = comments.trim_end(node_start, end);
        let start = comments.next_token(prev_end);
        let (trailing, mut notes) = comments.gap(prev_end, start);
        if !header_notes.is_empty() {
            header_notes.append(&mut notes);
            notes = std::mem::take(&mut header_notes);
        }
        match clauses.last_mut() {
            Some(c) => c.trailing = trailing,
            // A comment after `{` when one already ends the header line: it leads instead.
            None if header_trailing.is_some() => {
                if let Some(text) = trailing {
                    notes.insert(0, Note { text, blank: false });
                }
            }
            None => header_trailing = trailing,
        }
        let mut blank = blank_between(text, comments.last_end(prev_end, start), start);
        let mut operand_notes_of = Vec::new();
        if let Body::Group(dims) = &mut body {
            *dims = dimensions(comments, &kpi.group_by, start);
        } else {
            let mut inside = match expression(&body).and_then(chain).filter(|c| c.len() > 1) {
                Some(operands) => {
                    let operands: Vec<&Expr> = operands.into_iter().map(|(_, e)| e).collect();
                    let (notes, inside) = operand_notes(comments, &operands);
                    operand_notes_of = notes;
                    inside
                }
                None => Vec::new(),
            };
            inside.append(&mut comments.inside(end));
            if let Some(first) = inside.first_mut() {
                first.blank = blank;
                blank = false;
            }
            notes.append(&mut inside);
        }
        clauses.push(Clause {
            body,
            operand_notes: operand_notes_of,
            notes,
            blank,
            trailing: None,
        });
        prev_end = end;
    }
    let close = (kpi.span.end as usize).saturating_sub(1).max(prev_end);
    let (trailing, footer) = comments.gap(prev_end, close);
    match clauses.last_mut() {
        Some(c) => c.trailing = trailing,
        None => header_trailing = header_trailing.or(trailing),
    }
    clauses.sort_by_key(Clause::rank);

    let mut header = format!("kpi {} {{", printer.ident(&kpi.name));
    push_trailing(&mut header, header_trailing);
    out.push(header);
    let aligned = alignment(&clauses);
    let mut first = true;
    for (i, clause) in clauses.iter().enumerate() {
        for note in &clause.notes {
            if note.blank && !first {
                out.push(String::new());
            }
            out.push(format!("  {}", note.text));
            first = false;
        }
        if clause.blank && !first {
            out.push(String::new());
        }
        first = false;
        let mut lines = body(&printer, clause, aligned[i]);
        if let Some(last) = lines.last_mut() {
            push_trailing(last, clause.trailing.clone());
        }
        out.extend(lines);
    }
    for note in footer {
        if note.blank && !first {
            out.push(String::new());
        }
        out.push(format!("  {}", note.text));
        first = false;
    }
    out.push("}".into());
}

/// The dimensions of `group by` (whose keyword starts at `start`), each with its comments.
fn dimensions<'k>(
    comments: &mut Comments<'_>,
    group_by: &'k [Dimension],
    start: usize,
) -> Vec<Dim<'k>> {
    let mut dims: Vec<Dim<'k>> = Vec::new();
    let mut prev_end = start;
    for d in group_by {
        let anchor = d.name.as_ref().map_or(d.expr.span.start, |n| n.span.start) as usize;
        let (trailing, mut notes) = comments.gap(prev_end, anchor);
        match (dims.last_mut(), trailing) {
            (Some(last), trailing) => last.trailing = trailing,
            (None, Some(text)) => notes.insert(0, Note { text, blank: false }),
            (None, None) => {}
        }
        let end = comments.trim_end(anchor, d.span.end as usize);
        notes.append(&mut comments.inside(end));
        dims.push(Dim {
            dimension: d,
            notes,
            trailing: None,
        });
        prev_end = end;
    }
    dims
}

/// Per clause, the width its measure name is padded to: the longest name of its run of
/// measures (not broken by a blank line) when the author aligned that run, else its own.
fn alignment(clauses: &[Clause<'_>]) -> Vec<usize> {
    let mut widths: Vec<usize> = clauses
        .iter()
        .map(|c| match &c.body {
            Body::Measure { name, .. } => width(name),
            _ => 0,
        })
        .collect();
    let mut i = 0;
    while i < clauses.len() {
        if !matches!(clauses[i].body, Body::Measure { .. }) {
            i += 1;
            continue;
        }
        let mut j = i + 1;
        while j < clauses.len()
            && matches!(clauses[j].body, Body::Measure { .. })
            && !clauses[j].blank_first()
        {
            j += 1;
        }
        let padded = clauses[i..j]
            .iter()
            .any(|c| matches!(c.body, Body::Measure { padded: true, .. }));
        if padded {
            let longest = widths[i..j].iter().copied().max().unwrap_or(0);
            widths[i..j].iter_mut().for_each(|w| *w = longest);
        }
        i = j;
    }
    widths
}

/// The expression a clause prints after its head, if it is one.
fn expression<'k>(body: &Body<'k>) -> Option<&'k Expr> {
    match body {
        Body::Join(j) => Some(&j.on),
        Body::Where(e) | Body::Check(e) | Body::Measure { expr: e, .. } => Some(e),
        Body::From(_) | Body::Group(_) => None,
    }
}

/// The comments among the operands of a chain: the one on an operand's line after it ends
/// that line; the others, which no line break keeps, are returned to go before the clause.
fn operand_notes(
    comments: &mut Comments<'_>,
    operands: &[&Expr],
) -> (Vec<Option<String>>, Vec<Note>) {
    let mut trailing = vec![None; operands.len()];
    let mut inside = Vec::new();
    let mut prev_end: Option<usize> = None;
    for (i, operand) in operands.iter().enumerate() {
        let start = operand.span.start as usize;
        match prev_end {
            Some(end) => {
                let (t, mut notes) = comments.gap(end, start);
                trailing[i - 1] = t;
                notes.iter_mut().for_each(|n| n.blank = false);
                inside.append(&mut notes);
            }
            None => inside.append(&mut comments.inside(start)),
        }
        let end = comments.trim_end(start, operand.span.end as usize);
        inside.append(&mut comments.inside(end));
        prev_end = Some(end);
    }
    (trailing, inside)
}

fn body(printer: &Printer<'_>, clause: &Clause<'_>, name_width: usize) -> Vec<String> {
    let notes = &clause.operand_notes;
    match &clause.body {
        Body::From(r) => vec![format!("  from {}", relation(printer, r))],
        Body::Join(j) => {
            let kind = match j.kind {
                JoinKind::Inner => "join",
                JoinKind::Left => "left join",
            };
            let head = format!("{kind} {} on ", relation(printer, &j.relation));
            printer.clause(&head, &j.on, false, false, notes)
        }
        Body::Where(e) => {
            let conjunction = matches!(
                e.kind,
                ExprKind::Binary {
                    op: BinaryOp::And | BinaryOp::Or,
                    ..
                }
            ) && chain(e).is_some_and(|c| c.len() > 1);
            printer.clause("where ", e, false, conjunction, notes)
        }
        Body::Group(dims) => group(printer, dims),
        Body::Measure { name, expr, .. } => {
            let pad = " ".repeat(name_width.saturating_sub(width(name)));
            printer.clause(&format!("measure {name}{pad} = "), expr, true, false, notes)
        }
        Body::Check(e) => printer.clause("check ", e, false, false, notes),
    }
}

/// `group by a, b` on one line when it fits and no comment sits among the dimensions; else
/// `group by` alone and one dimension a line, four spaces in.
fn group(printer: &Printer<'_>, dims: &[Dim<'_>]) -> Vec<String> {
    let texts: Vec<String> = dims
        .iter()
        .map(|d| match &d.dimension.name {
            Some(name) => format!(
                "{} = {}",
                printer.ident(name),
                printer.flat(&d.dimension.expr)
            ),
            None => printer.flat(&d.dimension.expr),
        })
        .collect();
    let line = format!("  group by {}", texts.join(", "));
    let commented = dims
        .iter()
        .any(|d| !d.notes.is_empty() || d.trailing.is_some());
    if !commented && width(&line) <= WIDTH {
        return vec![line];
    }
    let mut lines = vec!["  group by".to_string()];
    for (i, (d, text)) in dims.iter().zip(texts).enumerate() {
        for note in &d.notes {
            if note.blank && i > 0 {
                lines.push(String::new());
            }
            lines.push(format!("    {}", note.text));
        }
        let comma = if i + 1 < dims.len() { "," } else { "" };
        let mut line = format!("    {text}{comma}");
        push_trailing(&mut line, d.trailing.clone());
        lines.push(line);
    }
    lines
}

fn relation(printer: &Printer<'_>, r: &Relation) -> String {
    let mut out = printer.ident(&r.name);
    if let Some(alias) = &r.alias {
        out += &format!(" {}", printer.ident(alias));
    }
    if let Some(w) = &r.window {
        let unit = if w.days == 1 { "day" } else { "days" };
        out += &format!(" over {} {unit}", w.days);
        if w.ends_before > 0 {
            out += &format!(" ending day - {}", w.ends_before);
        }
    }
    out
}

pub fn push_trailing(line: &mut String, trailing: Option<String>) {
    if let Some(t) = trailing {
        if line.is_empty() {
            *line = t;
        } else {
            *line += &format!(" {t}");
        }
    }
}
