//! Diagnostic → text: miette's graphical report for people, one JSON array for tools.

use super::excerpt::{CONTEXT_LINES, Excerpt, visible_char};
use super::{Diagnostic, Label, Severity};
use crate::span::{Sources, Span};
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan};
use serde::Serialize;
use std::fmt;

#[derive(Clone, Copy, Debug)]
pub struct RenderOptions {
    pub color: bool,
    /// Terminal width used to wrap messages.
    pub width: usize,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            color: false,
            width: 100,
        }
    }
}

/// Renders every diagnostic as miette does, each followed by a blank line.
pub fn render_human(
    diagnostics: &[Diagnostic],
    sources: &Sources,
    options: RenderOptions,
) -> String {
    let theme = if options.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(options.width)
        .with_context_lines(CONTEXT_LINES)
        .with_links(false);
    let mut out = String::new();
    for diagnostic in diagnostics {
        let report = Report::new(diagnostic, sources);
        let mut rendered = String::new();
        if handler.render_report(&mut rendered, &report).is_ok() {
            out.push_str(&rendered);
        } else {
            // Still the code, the place and the message, never a panic or nothing.
            let place = diagnostic.primary.as_ref().map_or(String::new(), |l| {
                format!(" at {}", note("", l.span, sources).trim_start())
            });
            out.push_str(&format!(
                "{}[{}]: {}{place}\n",
                severity_word(diagnostic.severity),
                diagnostic.code.0,
                shown(&diagnostic.message)
            ));
        }
        out.push('\n');
    }
    out
}

fn severity_word(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// The machine-readable shape of one diagnostic. Lines and columns are 1-based; columns count
/// characters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct JsonDiagnostic {
    pub file: Option<String>,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub end_line: Option<usize>,
    pub end_column: Option<usize>,
    pub code: String,
    pub severity: Severity,
    pub message: String,
    pub label: Option<String>,
    pub help: Option<String>,
}

pub fn render_json(diagnostics: &[Diagnostic], sources: &Sources) -> Vec<JsonDiagnostic> {
    diagnostics
        .iter()
        .map(|d| {
            let place = d.primary.as_ref().map(|l| {
                let start = sources.line_col(l.span.file, l.span.start);
                let end = sources.line_col(l.span.file, l.span.end);
                (sources.name(l.span.file).to_string(), start, end)
            });
            JsonDiagnostic {
                file: place.as_ref().map(|p| p.0.clone()),
                line: place.as_ref().map(|p| p.1.line),
                column: place.as_ref().map(|p| p.1.column),
                end_line: place.as_ref().map(|p| p.2.line),
                end_column: place.as_ref().map(|p| p.2.column),
                code: d.code.0.to_string(),
                severity: d.severity,
                message: d.message.clone(),
                label: d.primary.as_ref().map(|l| l.message.clone()),
                help: d.help.clone(),
            }
        })
        .collect()
}

/// Adapter that lets miette render our [`Diagnostic`]. Labels in other files than the
/// primary one cannot be drawn in the same snippet, so they become notes with a position.
struct Report {
    severity: Severity,
    message: String,
    help: Option<String>,
    source: Option<Excerpt>,
    labels: Vec<LabeledSpan>,
}

impl Report {
    fn new(d: &Diagnostic, sources: &Sources) -> Report {
        let mut labels = Vec::new();
        let mut notes = Vec::new();
        let mut source = None;
        if let Some(primary) = &d.primary {
            let file = primary.span.file;
            let drawn: Vec<&Label> = std::iter::once(primary)
                .chain(d.secondary.iter().filter(|l| l.span.file == file))
                .collect();
            let ranges: Vec<(usize, usize)> = drawn
                .iter()
                .map(|l| (l.span.start as usize, l.span.end as usize))
                .collect();
            let (excerpt, spans) = Excerpt::new(sources, file, &ranges);
            source = Some(excerpt);
            for (i, (label, span)) in drawn.iter().zip(spans).enumerate() {
                let text = Some(shown(&label.message));
                labels.push(if i == 0 {
                    LabeledSpan::new_primary_with_span(text, span)
                } else {
                    LabeledSpan::new_with_span(text, span)
                });
            }
            for Label { span, message } in d.secondary.iter().filter(|l| l.span.file != file) {
                notes.push(note(message, *span, sources));
            }
        } else if let Some(label) = d.secondary.first() {
            notes.push(note(&label.message, label.span, sources));
        }
        let help = match (&d.help, notes.is_empty()) {
            (Some(h), true) => Some(shown(h)),
            (Some(h), false) => Some(format!("{}\nnote: {}", shown(h), notes.join("\nnote: "))),
            (None, false) => Some(format!("note: {}", notes.join("\nnote: "))),
            (None, true) => None,
        };
        Report {
            severity: d.severity,
            message: format!("[{}] {}", d.code.0, shown(&d.message)),
            help,
            source,
            labels,
        }
    }
}

fn note(message: &str, span: Span, sources: &Sources) -> String {
    let at = sources.line_col(span.file, span.start);
    format!(
        "{} ({}:{}:{})",
        shown(message),
        shown(sources.name(span.file)),
        at.line,
        at.column
    )
}

/// Longest message, label or help shown, in characters; a longer one (a name pasted from a
/// megabyte-long line) keeps its start and end.
const MAX_MESSAGE_CHARS: usize = 400;

/// A message as it is safe to print: control characters made visible, newlines kept, and
/// bounded in length.
fn shown(text: &str) -> String {
    let visible = |c: char| if c == '\n' { c } else { visible_char(c) };
    let count = text.chars().count();
    if count <= MAX_MESSAGE_CHARS {
        return text.chars().map(visible).collect();
    }
    let keep = MAX_MESSAGE_CHARS / 2;
    let head: String = text.chars().take(keep).map(visible).collect();
    let tail: String = text.chars().skip(count - keep).map(visible).collect();
    format!("{head}…{tail}")
}

impl fmt::Debug for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Report {}

impl miette::Diagnostic for Report {
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            None
        } else {
            Some(Box::new(self.labels.iter().cloned()))
        }
    }
}
