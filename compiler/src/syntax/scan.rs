//! Text → chunks: splits a `.kpi` file into one chunk per top-level `kpi` block (so one
//! syntax error does not hide the next KPI's), and bounds nesting before pest recurses.

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
}

/// Splits at every `}` that closes a top-level block. Strings, backquoted names and comments
/// are skipped so braces inside them do not count.
pub fn chunks(file: FileId, text: &str) -> Vec<Chunk> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut braces = 0usize;
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
                        });
                        start = i;
                        nesting = 0;
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
                if word.eq_ignore_ascii_case("case") {
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
        });
    }
    out
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
