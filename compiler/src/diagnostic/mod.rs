//! Diagnostics: what every stage reports (data), and how it is shown (`render`).
//!
//! Each stage keeps its own error enum carrying spans, names and candidates; it converts to
//! [`Diagnostic`] in one place (`errors.rs` of that stage). Rendering (human or JSON) lives in
//! `render.rs`; long explanations (`kpi explain CODE`) in `compiler/explain/*.md`.

mod excerpt;
mod explain;
mod render;
mod suggest;

pub use explain::{all_codes, explain};
pub use render::{JsonDiagnostic, RenderOptions, render_human, render_json};
pub use suggest::{did_you_mean, edit_distance};

use crate::span::Span;
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// A highlighted place with a message describing it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

/// A stable diagnostic code such as `E0201`. Every code has an explanation file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Code(pub &'static str);

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    /// Short, lower-case title.
    pub message: String,
    /// The main place, when there is one (a missing file has none).
    pub primary: Option<Label>,
    pub secondary: Vec<Label>,
    /// One imperative sentence.
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code: Code(code),
            severity: Severity::Error,
            message: message.into(),
            primary: None,
            secondary: Vec::new(),
            help: None,
        }
    }

    pub fn warning(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message)
        }
    }

    pub fn label(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.primary = Some(Label {
            span,
            message: message.into(),
        });
        self
    }

    pub fn secondary(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.secondary.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn maybe_help(mut self, help: Option<String>) -> Diagnostic {
        if help.is_some() {
            self.help = help;
        }
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Sort key: file, position, code, so output is deterministic.
    pub fn sort_key(&self) -> (u32, u32, u32, Code) {
        match &self.primary {
            Some(l) => (l.span.file.0, l.span.start, l.span.end, self.code),
            None => (0, 0, 0, self.code),
        }
    }
}

/// Sorts diagnostics by place and drops exact duplicates.
pub fn sorted(mut diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
    diagnostics.sort_by(|a, b| {
        a.sort_key()
            .cmp(&b.sort_key())
            .then(a.message.cmp(&b.message))
    });
    diagnostics.dedup();
    diagnostics
}
