//! Editor coordinates ↔ the compiler's: `file://` URIs ↔ paths, LSP positions (0-based lines,
//! UTF-16 code units) ↔ byte offsets, spans ↔ ranges.

use kpi_compiler::span::{Sources, Span};
use lsp_types::{Position, Range, Uri};
use std::path::{Path, PathBuf};

/// The path a `file://` URI names; `None` for any other scheme.
pub fn uri_path(uri: &Uri) -> Option<PathBuf> {
    let rest = uri.as_str().strip_prefix("file://")?;
    // `file://host/path` is not a local file; `file:///path` has an empty host.
    let path = rest.strip_prefix("localhost").unwrap_or(rest);
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                out.push((hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0)) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    Some(PathBuf::from(String::from_utf8(out).ok()?))
}

/// The `file://` URI of a path, with every byte outside the unreserved set escaped.
pub fn path_uri(path: &Path) -> Option<Uri> {
    let mut text = String::from("file://");
    for b in path.to_string_lossy().replace('\\', "/").bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            text.push(b as char);
        } else {
            text.push_str(&format!("%{b:02X}"));
        }
    }
    text.parse().ok()
}

/// The LSP position of a byte offset in `text`.
pub fn position(text: &str, offset: usize) -> Position {
    let offset = kpi_compiler::span::floor_char_boundary(text, offset);
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line = text[..line_start].matches('\n').count();
    let character: usize = text[line_start..offset].chars().map(char::len_utf16).sum();
    Position::new(to_u32(line), to_u32(character))
}

/// The byte offset of an LSP position (clamped to its line and to the text).
pub fn offset(text: &str, at: Position) -> usize {
    let mut start = 0;
    for _ in 0..at.line {
        match text[start..].find('\n') {
            Some(i) => start += i + 1,
            None => return text.len(),
        }
    }
    let line = &text[start..];
    let line = &line[..line.find('\n').unwrap_or(line.len())];
    let mut units = 0;
    for (i, c) in line.char_indices() {
        if units >= at.character as usize {
            return start + i;
        }
        units += c.len_utf16();
    }
    start + line.len()
}

pub fn range(text: &str, start: usize, end: usize) -> Range {
    Range::new(position(text, start), position(text, end))
}

pub fn span_range(sources: &Sources, span: Span) -> Range {
    range(
        sources.text(span.file),
        span.start as usize,
        span.end as usize,
    )
}

/// The whole text, for an edit that replaces it.
pub fn whole(text: &str) -> Range {
    range(text, 0, text.len())
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn columns_count_utf16_units() {
        let text = "a\n€𝄞x\n";
        assert_eq!(position(text, 2 + 3 + 4), Position::new(1, 3));
        assert_eq!(offset(text, Position::new(1, 3)), 9);
        assert_eq!(offset(text, Position::new(1, 99)), 10);
    }

    #[test]
    fn uris_round_trip() {
        let path = Path::new("/tmp/a b/é.kpi");
        let uri = path_uri(path).unwrap();
        assert_eq!(uri.as_str(), "file:///tmp/a%20b/%C3%A9.kpi");
        assert_eq!(uri_path(&uri).unwrap(), path);
    }
}
