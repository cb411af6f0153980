//! Text → chunks: splits a `.kpi` file into one chunk per top-level `kpi` block (so one
//! syntax error does not hide the next KPI's), and bounds nesting before pest recurses. A
//! block left open ends where the next `kpi` keyword starts, or at the end of the file.

use crate::span::FileId;
use crate::span::Span;

/// Deepest nesting of `(`, `[` and `case … end` accepted. The parser recurses once per
/// level; the bound keeps hostile input from overflowing the stack.
pub const MAX_NESTING: usize = 64;

#[derive(Debug, PartialEq, Eq)]
pub struct Chunk {
    pub start: usize,
    pub end: usize,
    /// Where nesting first went past [`MAX_NESTING`], if it did.
    pub too_deep: Option<Span>,
    /// The offset of the block's `{` when its `}` is missing.
    pub unclosed: Option<usize>,
}

/// Splits at every `}` that closes a top-level block, and before a `kpi` keyword met inside a
/// block (`kpi` is reserved, so the block before it was not closed). Strings, backquoted names
/// and comments are skipped so braces and words inside them do not count.
pub fn chunks(file: FileId, text: &str) -> Vec<Chunk> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut braces = 0usize;
    let mut open = None;
    let mut nesting = 0usize;
    let mut too_deep = None;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\'' => i = skip_quoted(bytes, i, b'\''),
            b'`' => i = skip_quoted(bytes, i, b'`'),
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                i = text[i..].find('\n').map_or(bytes.len(), |n| i + n);
            }
            b'{' => {
                if braces == 0 {
                    open = Some(i);
                }
                braces += 1;
                i += 1;
            }
            b'}' => {
                i += 1;
                if braces > 0 {
                    braces -= 1;
                    if braces == 0 {
                        out.push(Chunk {
                            start,
                            end: i,
                            too_deep: too_deep.take(),
                            unclosed: None,
                        });
                        start = i;
                        nesting = 0;
                        open = None;
                    }
                }
            }
            b'(' | b'[' => {
                nesting += 1;
                if nesting > MAX_NESTING && too_deep.is_none() {
                    too_deep = Some(Span::new(file, i, i + 1));
                }
                i += 1;
            }
            b')' | b']' => {
                nesting = nesting.saturating_sub(1);
                i += 1;
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let word_end = bytes[i..]
                    .iter()
                    .position(|b| !(b.is_ascii_alphanumeric() || *b == b'_'))
                    .map_or(bytes.len(), |n| i + n);
                let word = &text[i..word_end];
                if word.eq_ignore_ascii_case("kpi") && braces > 0 && starts_line(bytes, i) {
                    out.push(Chunk {
                        start,
                        end: i,
                        too_deep: too_deep.take(),
                        unclosed: open.take(),
                    });
                    start = i;
                    braces = 0;
                    nesting = 0;
                } else if word.eq_ignore_ascii_case("case") {
                    nesting += 1;
                    if nesting > MAX_NESTING && too_deep.is_none() {
                        too_deep = Some(Span::new(file, i, word_end));
                    }
                } else if word.eq_ignore_ascii_case("end") {
                    nesting = nesting.saturating_sub(1);
                }
                i = word_end;
            }
            _ => i += 1,
        }
    }
    if !text[start..].trim().is_empty() || out.is_empty() {
        out.push(Chunk {
            start,
            end: bytes.len(),
            too_deep,
            unclosed: if braces > 0 { open } else { None },
        });
    }
    out
}

/// A `//` comment or a `///` doc comment: its byte range, up to (not including) the line's end.
/// The grammar skips comments; the formatter, which must keep them, reads them from here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Comment {
    pub start: usize,
    pub end: usize,
    /// Exactly three slashes: a doc comment, part of the AST (`////` is a plain comment).
    pub doc: bool,
}

/// Every comment of `text`, in order. Strings and backquoted names are skipped as [`chunks`]
/// skips them, so `//` inside them is not a comment.
pub fn comments(text: &str) -> Vec<Comment> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\'' => i = skip_quoted(bytes, i, b'\''),
            b'`' => i = skip_quoted(bytes, i, b'`'),
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                let end = text[i..].find('\n').map_or(bytes.len(), |n| i + n);
                let doc = text[i..].starts_with("///") && !text[i..].starts_with("////");
                out.push(Comment { start: i, end, doc });
                i = end;
            }
            _ => i += 1,
        }
    }
    out
}

/// Whether only spaces and tabs come before `i` on its line.
fn starts_line(bytes: &[u8], i: usize) -> bool {
    bytes[..i]
        .iter()
        .rev()
        .take_while(|b| **b != b'\n')
        .all(|b| *b == b' ' || *b == b'\t')
}

/// Index just past the closing quote (or the end of the line or text if it is missing).
fn skip_quoted(bytes: &[u8], open: usize, quote: u8) -> usize {
    let mut i = open + 1;
    while i < bytes.len() {
        if bytes[i] == quote {
            if quote == b'\'' && bytes.get(i + 1) == Some(&b'\'') {
                i += 2;
                continue;
            }
            return i + 1;
        }
        if bytes[i] == b'\n' && quote == b'`' {
            return i;
        }
        i += 1;
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_top_level_blocks_and_ignores_braces_in_strings() {
        let text = "kpi a { from x where y = '}' measure n = count(*) }\n// }\nkpi b { }";
        let chunks = chunks(FileId(0), text);
        assert_eq!(chunks.len(), 2);
        assert!(text[chunks[0].start..chunks[0].end].ends_with("count(*) }"));
        assert!(
            text[chunks[1].start..chunks[1].end]
                .trim_start()
                .starts_with("// }")
        );
    }

    #[test]
    fn an_unclosed_block_ends_at_the_next_kpi_or_the_end() {
        let text =
            "kpi a { from x measure n = count(*)\n\nkpi b { from x }\n  kpi c { from `kpi` e.kpi ";
        let chunks = chunks(FileId(0), text);
        let shown: Vec<(&str, Option<usize>)> = chunks
            .iter()
            .map(|c| (text[c.start..c.end].trim(), c.unclosed))
            .collect();
        assert_eq!(
            shown,
            [
                ("kpi a { from x measure n = count(*)", Some(6)),
                ("kpi b { from x }", None),
                ("kpi c { from `kpi` e.kpi", Some(text.rfind('{').unwrap())),
            ]
        );
    }

    #[test]
    fn finds_comments_but_not_slashes_in_strings_or_names() {
        let text = "/// doc\n//// line\nkpi a { from x where y = '// no' and `//` = 1 // yes\n}";
        let found: Vec<(&str, bool)> = comments(text)
            .iter()
            .map(|c| (&text[c.start..c.end], c.doc))
            .collect();
        assert_eq!(
            found,
            [("/// doc", true), ("//// line", false), ("// yes", false)]
        );
    }

    #[test]
    fn flags_deep_nesting() {
        let text = format!(
            "kpi a {{ from x where {}1{} }}",
            "(".repeat(100),
            ")".repeat(100)
        );
        let chunks = chunks(FileId(0), &text);
        let span = chunks[0].too_deep.unwrap();
        assert_eq!(span.start as usize, text.find('(').unwrap() + MAX_NESTING);
    }
}
