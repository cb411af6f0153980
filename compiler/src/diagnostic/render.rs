//! Diagnostic → text: miette's graphical report for people, one JSON array for tools.

use super::{Diagnostic, Label, Severity};
use crate::span::{Sources, Span};
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan};
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
        .with_context_lines(1)
        .with_links(false);
    let mut out = String::new();
    for diagnostic in diagnostics {
        let report = Report::new(diagnostic, sources);
        if handler.render_report(&mut out, &report).is_err() {
            out.push_str(&format!(
                "{}[{}]: {}\n",
                severity_word(diagnostic.severity),
                diagnostic.code.0,
                diagnostic.message
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
    source: Option<NamedSource<String>>,
    labels: Vec<LabeledSpan>,
}

impl Report {
    fn new(d: &Diagnostic, sources: &Sources) -> Report {
        let mut labels = Vec::new();
        let mut notes = Vec::new();
        let mut source = None;
        if let Some(primary) = &d.primary {
            let file = primary.span.file;
            source = Some(
                NamedSource::new(sources.name(file), sources.text(file).to_string())
                    .with_language("kpi"),
            );
            labels.push(LabeledSpan::new_primary_with_span(
                Some(primary.message.clone()),
                source_span(primary.span, sources),
            ));
            for Label { span, message } in &d.secondary {
                if span.file == file {
                    labels.push(LabeledSpan::new_with_span(
                        Some(message.clone()),
                        source_span(*span, sources),
                    ));
                } else {
                    let at = sources.line_col(span.file, span.start);
                    notes.push(format!(
                        "{message} ({}:{}:{})",
                        sources.name(span.file),
                        at.line,
                        at.column
                    ));
                }
            }
        } else if let Some(label) = d.secondary.first() {
            let at = sources.line_col(label.span.file, label.span.start);
            notes.push(format!(
                "{} ({}:{}:{})",
                label.message,
                sources.name(label.span.file),
                at.line,
                at.column
            ));
        }
        let help = match (&d.help, notes.is_empty()) {
            (Some(h), true) => Some(h.clone()),
            (Some(h), false) => Some(format!("{h}\nnote: {}", notes.join("\nnote: "))),
            (None, false) => Some(format!("note: {}", notes.join("\nnote: "))),
            (None, true) => None,
        };
        Report {
            severity: d.severity,
            message: format!("[{}] {}", d.code.0, d.message),
            help,
            source,
            labels,
        }
    }
}

/// miette counts in bytes; a span past the end of the text is clamped so it still renders.
fn source_span(span: Span, sources: &Sources) -> SourceSpan {
    let len = sources.text(span.file).len();
    let start = (span.start as usize).min(len);
    let end = (span.end as usize).clamp(start, len);
    SourceSpan::new(start.into(), end - start)
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
