//! Source positions: `Span` (file + byte range) and the `Sources` table that owns the texts.

use serde::Serialize;

/// Index of a file in [`Sources`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct FileId(pub u32);

/// A byte range in one source file. Converted to miette's types only when rendered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Span {
        Span {
            file,
            start: clamp_u32(start),
            end: clamp_u32(end.max(start)),
        }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    pub fn len(self) -> usize {
        (self.end - self.start) as usize
    }

    pub fn is_empty(self) -> bool {
        self.start == self.end
    }
}

/// Characters that no name may hold: controls (C0, DEL, C1), and the invisible format
/// characters that hide or reorder text on screen (zero-width spaces, joiners, bidirectional
/// overrides, the byte-order mark). A name that holds one cannot be read back as written.
pub fn is_hidden_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{200b}'..='\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{2069}'
                | '\u{feff}'
        )
}

fn clamp_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// One input text and the name it is shown under (a path relative to the project).
#[derive(Clone, Debug)]
pub struct SourceFile {
    pub name: String,
    pub text: String,
    lines: LineIndex,
}

/// Where each line starts, and how many characters precede every [`CHECKPOINT_BYTES`], so a
/// position is found without scanning the text: a file can have a megabyte-long line and
/// thousands of diagnostics on it.
#[derive(Clone, Debug, Default)]
struct LineIndex {
    starts: Vec<usize>,
    /// Characters before byte `k * CHECKPOINT_BYTES` (snapped down to a character boundary).
    chars: Vec<usize>,
}

const CHECKPOINT_BYTES: usize = 1024;

impl LineIndex {
    fn new(text: &str) -> LineIndex {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        let mut chars = Vec::with_capacity(text.len() / CHECKPOINT_BYTES + 1);
        let mut count = 0;
        let mut at = 0;
        for k in 0..=text.len() / CHECKPOINT_BYTES {
            let boundary = floor_char_boundary(text, k * CHECKPOINT_BYTES);
            count += text[at..boundary].chars().count();
            at = boundary;
            chars.push(count);
        }
        LineIndex { starts, chars }
    }

    /// 0-based line of a byte offset.
    fn line(&self, offset: usize) -> usize {
        self.starts
            .partition_point(|&s| s <= offset)
            .saturating_sub(1)
    }

    /// Characters before a byte offset (a character boundary).
    fn chars_before(&self, text: &str, offset: usize) -> usize {
        let k = (offset / CHECKPOINT_BYTES).min(self.chars.len().saturating_sub(1));
        let boundary = floor_char_boundary(text, k * CHECKPOINT_BYTES);
        self.chars.get(k).copied().unwrap_or(0) + text[boundary..offset].chars().count()
    }
}

/// The largest character boundary at or before `offset` (clamped to the text).
pub fn floor_char_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// Every text the compiler was handed; spans index into it.
#[derive(Clone, Debug, Default)]
pub struct Sources {
    files: Vec<SourceFile>,
}

/// A 1-based line and column, the column counted in characters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct LineCol {
    pub line: usize,
    pub column: usize,
}

impl Sources {
    pub fn new() -> Sources {
        Sources::default()
    }

    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> FileId {
        let id = FileId(clamp_u32(self.files.len()));
        let text = text.into();
        self.files.push(SourceFile {
            name: name.into(),
            lines: LineIndex::new(&text),
            text,
        });
        id
    }

    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }

    pub fn name(&self, id: FileId) -> &str {
        self.get(id).map_or("<unknown>", |f| f.name.as_str())
    }

    pub fn text(&self, id: FileId) -> &str {
        self.get(id).map_or("", |f| f.text.as_str())
    }

    pub fn iter(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(clamp_u32(i)), f))
    }

    /// Line and column of a byte offset (clamped to the text, snapped to a char boundary).
    pub fn line_col(&self, file: FileId, offset: u32) -> LineCol {
        let Some(f) = self.get(file) else {
            return LineCol { line: 1, column: 1 };
        };
        let offset = floor_char_boundary(&f.text, offset as usize);
        let line = f.lines.line(offset);
        let start = f.lines.starts.get(line).copied().unwrap_or(0);
        LineCol {
            line: line + 1,
            column: f.lines.chars_before(&f.text, offset) - f.lines.chars_before(&f.text, start)
                + 1,
        }
    }

    /// The byte range of 0-based line `line` of a file, without its `\n` (`None` past the
    /// last line).
    pub fn line_range(&self, file: FileId, line: usize) -> Option<(usize, usize)> {
        let f = self.get(file)?;
        let start = *f.lines.starts.get(line)?;
        let end = f
            .lines
            .starts
            .get(line + 1)
            .map_or(f.text.len(), |next| next - 1);
        Some((start, end))
    }

    /// The 0-based line of a byte offset (clamped to the text).
    pub fn line_of(&self, file: FileId, offset: usize) -> usize {
        self.get(file)
            .map_or(0, |f| f.lines.line(offset.min(f.text.len())))
    }

    /// The byte offset of a 1-based line and character column (used for positions that
    /// other parsers report as line/column).
    pub fn offset_of(&self, file: FileId, line: usize, column: usize) -> usize {
        let text = self.text(file);
        let mut offset = 0;
        for _ in 1..line {
            match text[offset..].find('\n') {
                Some(i) => offset += i + 1,
                None => return text.len(),
            }
        }
        let rest = &text[offset..];
        let line_end = rest.find('\n').unwrap_or(rest.len());
        let in_line = rest[..line_end]
            .char_indices()
            .nth(column.saturating_sub(1))
            .map_or(line_end, |(i, _)| i);
        offset + in_line
    }

    pub fn slice(&self, span: Span) -> &str {
        let text = self.text(span.file);
        text.get(span.start as usize..span.end as usize)
            .unwrap_or("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters() {
        let mut sources = Sources::new();
        let f = sources.add("a.kpi", "ab\nçé x\n");
        assert_eq!(sources.line_col(f, 0), LineCol { line: 1, column: 1 });
        let x = sources.text(f).find('x').unwrap() as u32;
        assert_eq!(sources.line_col(f, x), LineCol { line: 2, column: 4 });
        assert_eq!(sources.offset_of(f, 2, 4), x as usize);
        assert_eq!(sources.line_col(f, 10_000), LineCol { line: 3, column: 1 });
        assert_eq!(sources.line_range(f, 1), Some((3, 9)));
        assert_eq!(sources.line_range(f, 2), Some((10, 10)));
        assert_eq!(sources.line_range(f, 3), None);
        assert_eq!(sources.line_of(f, x as usize), 1);
    }

    #[test]
    fn columns_on_a_long_line_of_mixed_characters() {
        let line: String = "aé€😀".repeat(5_000);
        let text = format!("x\n{line}z\n");
        let mut sources = Sources::new();
        let f = sources.add("a.kpi", text.as_str());
        let z = text.find('z').unwrap() as u32;
        assert_eq!(
            sources.line_col(f, z),
            LineCol {
                line: 2,
                column: 20_001
            }
        );
        // Inside a character: snapped to its start.
        let inside = text.find('€').unwrap() as u32 + 1;
        assert_eq!(sources.line_col(f, inside), LineCol { line: 2, column: 3 });
    }
}
