//! One diagnostic's labels in a file → the excerpt miette draws: only the lines around the
//! labels, each long line cut to windows around them, control characters made visible, and the
//! line and column numbers still those of the file.
//!
//! miette draws a label from its column with a formatting width, which panics past 65,535, and
//! copies the whole line; a bounded excerpt keeps one long line (a one-line catalog snapshot,
//! a generated `.kpi` file) readable and the renderer safe.

use crate::span::{FileId, Sources, floor_char_boundary, is_hidden_char};
use miette::{MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};

/// Lines longer than this (in bytes) are cut to windows around the labels.
pub const MAX_LINE_BYTES: usize = 240;
/// How much of a long line is kept on each side of a label's start or end.
const WINDOW_BYTES: usize = 60;
/// How much of a long line without labels is kept.
const CONTEXT_BYTES: usize = 2 * WINDOW_BYTES;
/// Lines of context miette shows before and after a label (as the handler is configured).
pub const CONTEXT_LINES: usize = 1;
const CUT: &str = "…";

/// The text miette reads for one diagnostic, and where its lines are in the file.
#[derive(Debug)]
pub struct Excerpt {
    name: String,
    text: String,
    /// 0-based line of the file where `text` starts.
    first_line: usize,
    /// For each label start: its offset in `text` and its 0-based column (in characters) in
    /// the file, so the header names the file's column.
    columns: Vec<(usize, usize)>,
}

impl Excerpt {
    /// The excerpt of `file` for byte ranges `spans` (all in this file), and each range as an
    /// offset and length in the excerpt. Lines are found through the file's line index, so the
    /// cost is that of the lines drawn, not of the file.
    pub fn new(
        sources: &Sources,
        file: FileId,
        spans: &[(usize, usize)],
    ) -> (Excerpt, Vec<SourceSpan>) {
        let text = sources.text(file);
        let spans: Vec<(usize, usize)> = spans
            .iter()
            .map(|&(start, end)| {
                let start = floor_char_boundary(text, start);
                (start, ceil_boundary(text, end.clamp(start, text.len())))
            })
            .collect();
        let low = spans.iter().map(|s| s.0).min().unwrap_or(0);
        let high = spans.iter().map(|s| s.1).max().unwrap_or(0);
        let first_line = sources.line_of(file, low).saturating_sub(CONTEXT_LINES);
        // One line more than miette shows: where a label ends at a newline it reads one further.
        let last_line = sources.line_of(file, high) + CONTEXT_LINES + 1;
        let mut points: Vec<usize> = spans.iter().flat_map(|&(s, e)| [s, e]).collect();
        points.sort_unstable();
        points.dedup();
        let mut builder = Builder {
            text,
            out: String::new(),
            mapped: Vec::new(),
        };
        for line in first_line..=last_line {
            let Some((start, end)) = sources.line_range(file, line) else {
                break;
            };
            if line > first_line {
                builder.out.push('\n');
            }
            let from = points.partition_point(|&p| p < start);
            let to = points.partition_point(|&p| p <= end);
            builder.line(start, end, &points[from..to]);
        }
        let at = |offset: usize| {
            builder
                .mapped
                .iter()
                .find(|(o, _)| *o == offset)
                .map_or(0, |(_, e)| *e)
        };
        let mapped: Vec<SourceSpan> = spans
            .iter()
            .map(|&(s, e)| {
                let start = at(s);
                SourceSpan::new(start.into(), at(e).saturating_sub(start))
            })
            .collect();
        let columns = spans
            .iter()
            .map(|&(s, _)| (at(s), sources.line_col(file, s as u32).column - 1))
            .collect();
        let excerpt = Excerpt {
            name: sources.name(file).to_string(),
            text: builder.out,
            first_line,
            columns,
        };
        (excerpt, mapped)
    }
}

struct Builder<'a> {
    text: &'a str,
    out: String,
    /// File offset → excerpt offset, for every label boundary.
    mapped: Vec<(usize, usize)>,
}

impl Builder<'_> {
    /// Copies the line `start..end` (without its newline): whole when short, else the windows
    /// around `points` joined by `…`.
    fn line(&mut self, start: usize, end: usize, points: &[usize]) {
        let end_of_text = match self.text[start..end].strip_suffix('\r') {
            Some(_) => end - 1,
            None => end,
        };
        if end_of_text - start <= MAX_LINE_BYTES {
            self.copy(start, end_of_text, points);
            self.map_past(end_of_text, end, points);
            return;
        }
        let mut windows: Vec<(usize, usize)> = if points.is_empty() {
            vec![(start, start + CONTEXT_BYTES)]
        } else {
            points
                .iter()
                .map(|&p| (p.saturating_sub(WINDOW_BYTES), p + WINDOW_BYTES))
                .collect()
        };
        for w in &mut windows {
            w.0 = floor_char_boundary(self.text, w.0.max(start));
            w.1 = ceil_boundary(self.text, w.1.min(end_of_text));
        }
        let mut merged: Vec<(usize, usize)> = Vec::new();
        for w in windows {
            match merged.last_mut() {
                Some(last) if w.0 <= last.1 + CUT.len() => last.1 = last.1.max(w.1),
                _ => merged.push(w),
            }
        }
        let mut at = start;
        for (from, to) in merged {
            if from > at {
                self.out.push_str(CUT);
            }
            self.copy(from, to, points);
            at = to;
        }
        if at < end_of_text {
            self.out.push_str(CUT);
        }
        self.map_past(at.max(end_of_text), end, points);
    }

    /// Copies `from..to` with control characters made visible, recording label boundaries.
    fn copy(&mut self, from: usize, to: usize, points: &[usize]) {
        for (i, c) in self.text[from..to].char_indices() {
            if points.contains(&(from + i)) {
                self.mapped.push((from + i, self.out.len()));
            }
            self.out.push(visible_char(c));
        }
        if points.contains(&to) {
            self.mapped.push((to, self.out.len()));
        }
    }

    /// Boundaries in a part of the line that is not copied (a `\r`, a cut tail) sit at the
    /// excerpt's current end.
    fn map_past(&mut self, from: usize, to: usize, points: &[usize]) {
        for &p in points.iter().filter(|&&p| p > from && p <= to) {
            self.mapped.push((p, self.out.len()));
        }
    }
}

/// A character as it is safe to print on a terminal: C0 controls as their Unicode pictures,
/// other hidden characters (controls, bidirectional overrides, zero-width ones) as U+FFFD.
/// Tabs stay (miette expands them).
pub fn visible_char(c: char) -> char {
    match c {
        '\t' => c,
        '\u{0}'..='\u{1f}' => char::from_u32(0x2400 + c as u32).unwrap_or('\u{fffd}'),
        '\u{7f}' => '\u{2421}',
        c if is_hidden_char(c) => '\u{fffd}',
        _ => c,
    }
}

fn ceil_boundary(text: &str, mut offset: usize) -> usize {
    offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset += 1;
    }
    offset
}

impl SourceCode for Excerpt {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let inner = self
            .text
            .read_span(span, context_lines_before, context_lines_after)?;
        // miette counts columns in bytes of the excerpt; the header names the file's column.
        let column = match self.columns.iter().find(|(o, _)| *o == span.offset()) {
            Some((_, column)) if context_lines_before == 0 => *column,
            _ => inner.column(),
        };
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            *inner.span(),
            inner.line() + self.first_line,
            column,
            // Counted from the file's start, as miette's own sources count it.
            inner.line_count() + self.first_line,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn excerpt(text: &str, spans: &[(usize, usize)]) -> (Excerpt, Vec<SourceSpan>) {
        let mut sources = Sources::new();
        let file = sources.add("f.kpi", text);
        Excerpt::new(&sources, file, spans)
    }

    #[test]
    fn short_lines_are_kept_whole_around_the_label() {
        let text = "a\nb\nc x\nd\ne\nf\n";
        let x = text.find('x').unwrap();
        let (e, spans) = excerpt(text, &[(x, x + 1)]);
        assert_eq!(e.text, "b\nc x\nd\ne");
        assert_eq!(e.first_line, 1);
        assert_eq!(&e.text[spans[0].offset()..][..1], "x");
        let contents = e.read_span(&spans[0], 0, 0).unwrap();
        assert_eq!((contents.line(), contents.column()), (2, 2));
    }

    #[test]
    fn a_long_line_is_cut_around_the_label_and_keeps_its_column() {
        let text = format!(
            "kpi x {{\n  where {}bad{} \n}}\n",
            "a".repeat(100_000),
            "b".repeat(100_000)
        );
        let bad = text.find("bad").unwrap();
        let (e, spans) = excerpt(&text, &[(bad, bad + 3)]);
        assert!(e.text.len() < 3 * MAX_LINE_BYTES, "{}", e.text.len());
        assert_eq!(&e.text[spans[0].offset()..][..3], "bad");
        let line = e.text.lines().nth(1).unwrap();
        assert!(line.starts_with('…') && line.ends_with('…'), "{line}");
        let contents = e.read_span(&spans[0], 0, 0).unwrap();
        assert_eq!((contents.line(), contents.column()), (1, 100_008));
    }

    #[test]
    fn control_characters_become_visible() {
        let text = "a\u{1b}[31m\u{1}b\r\n";
        let (e, _) = excerpt(text, &[(0, 1)]);
        assert_eq!(e.text, "a\u{241b}[31m\u{2401}b\n");
        assert_eq!(visible_char('\u{202e}'), '\u{fffd}');
    }

    #[test]
    fn spans_at_the_end_of_the_text_and_inside_characters_are_clamped() {
        let text = "é";
        let (e, spans) = excerpt(text, &[(1, 99)]);
        assert_eq!(e.text, "é");
        assert_eq!((spans[0].offset(), spans[0].len()), (0, 2));
    }
}
