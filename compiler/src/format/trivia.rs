//! Comments of a file → the nodes they belong to. The grammar skips comments, so the
//! formatter reads them beside the AST ([`crate::syntax::comments`]) and hands each to the
//! node it is next to: on the same line after a node, it trails that node; otherwise it leads
//! the next one, as doc comments lead what they document.

use crate::syntax::Comment;

/// A comment as it is printed, and whether a blank line comes before it.
#[derive(Clone, Debug)]
pub struct Note {
    pub text: String,
    pub blank: bool,
}

/// The comments of one file, handed out in order.
pub struct Comments<'a> {
    pub text: &'a str,
    list: Vec<Comment>,
    next: usize,
}

impl<'a> Comments<'a> {
    pub fn new(text: &'a str) -> Comments<'a> {
        Comments {
            text,
            list: crate::syntax::comments(text),
            next: 0,
        }
    }

    /// The comments not handed out yet that start before `end`.
    pub fn until(&mut self, end: usize) -> Vec<Comment> {
        let from = self.next;
        while self.list.get(self.next).is_some_and(|c| c.start < end) {
            self.next += 1;
        }
        self.list[from..self.next].to_vec()
    }

    /// The comments between a node ending at `prev_end` and the next starting at `start`:
    /// the one on the node's own line (it trails the node; a doc comment never does), and the
    /// rest as notes leading the next node.
    pub fn gap(&mut self, prev_end: usize, start: usize) -> (Option<String>, Vec<Note>) {
        let mut found = self.until(start).into_iter().peekable();
        let mut at = prev_end;
        let trailing = found
            .next_if(|c| !c.doc && !self.text[prev_end.min(c.start)..c.start].contains('\n'))
            .map(|c| {
                at = c.end;
                self.print(c)
            });
        let mut notes = Vec::new();
        for c in found {
            notes.push(Note {
                text: self.print(c),
                blank: blank_between(self.text, at, c.start),
            });
            at = c.end;
        }
        (trailing, notes)
    }

    /// The comments inside a node that the layout has no place for: they go before it.
    pub fn inside(&mut self, end: usize) -> Vec<Note> {
        self.until(end)
            .into_iter()
            .map(|c| Note {
                text: self.print(c),
                blank: false,
            })
            .collect()
    }

    /// Where the last comment between `prev_end` and `start` ends; `prev_end` when there is
    /// none. A blank line before a node is looked for after it.
    pub fn last_end(&self, prev_end: usize, start: usize) -> usize {
        self.list
            .iter()
            .filter(|c| c.start >= prev_end && c.end <= start)
            .map(|c| c.end)
            .max()
            .unwrap_or(prev_end)
    }

    /// The first offset at or after `from` that is neither blank, a comment, nor a `)` or
    /// `,` left over from the previous node: where the next node's keyword starts.
    pub fn next_token(&self, from: usize) -> usize {
        let bytes = self.text.as_bytes();
        let mut i = from;
        while i < bytes.len() {
            if let Ok(n) = self.list.binary_search_by_key(&i, |c| c.start) {
                i = self.list[n].end;
            } else if bytes[i].is_ascii_whitespace() || bytes[i] == b')' || bytes[i] == b',' {
                i += 1;
            } else {
                break;
            }
        }
        i
    }

    /// The end of a node spanning `start..end` without the blanks and comments pest may
    /// have taken in after its last token (an optional rule tried and not found).
    pub fn trim_end(&self, start: usize, end: usize) -> usize {
        let mut end = end;
        loop {
            let trimmed = start + self.text[start..end].trim_end().len();
            match self
                .list
                .iter()
                .rev()
                .find(|c| c.end == trimmed && c.start >= start)
            {
                Some(c) => end = c.start,
                None => return trimmed,
            }
        }
    }

    /// A comment as printed: a doc comment as `/// text` (the text the AST holds), any other
    /// as written, without trailing blanks.
    fn print(&self, c: Comment) -> String {
        let written = self.text[c.start..c.end].trim_end();
        if !c.doc {
            return written.to_string();
        }
        let body = &written[3..];
        let body = body.strip_prefix(' ').unwrap_or(body);
        if body.is_empty() {
            "///".into()
        } else {
            format!("/// {body}")
        }
    }
}

/// Whether the text between `a` and `b` holds an empty line.
pub fn blank_between(text: &str, a: usize, b: usize) -> bool {
    let Some(between) = text.get(a.min(b)..b) else {
        return false;
    };
    let lines: Vec<&str> = between.split('\n').collect();
    lines.len() > 2
        && lines[1..lines.len() - 1]
            .iter()
            .any(|l| l.trim().is_empty())
}
