//! When and how `kpi lsp` compiles: per project root, the changes since its last compile →
//! the edited file checked alone (on a slow project), a whole compile in turn or on a thread
//! of its own, and the diagnostics that changed published.

use super::{Project, Server, quick, text};
use crate::load::Disk;
use kpi_compiler::diagnostic::{Diagnostic, Severity};
use kpi_compiler::driver::{self, Compiled, Options, Overlay};
use lsp_server::{Message, Notification};
use lsp_types as lsp;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A project whose last compile took longer is checked file first, then compiled in the
/// background; a faster one is compiled in turn, as each message is handled.
/// `KPI_LSP_SLOW_MS` sets it (tests set 0 to take the slow path on a small project).
pub(super) const SLOW: Duration = Duration::from_millis(30);

/// How often the loop looks for a finished background compile while messages are awaited.
pub(super) const POLL: Duration = Duration::from_millis(2);

/// What the server knows of one project root besides its last compile.
#[derive(Default)]
pub(super) struct Root {
    /// Bumped by every change of a file under the root.
    generation: u64,
    /// The generation `Server::projects` holds for this root (0: never compiled).
    compiled: u64,
    /// The generation whose edited file was last checked alone.
    quick: u64,
    /// The `.kpi` file changed last (relative to the root), while it is the only one changed
    /// since the last compile; `None` when several files or settings changed.
    edited: Option<String>,
    /// How long the last whole compile took.
    took: Duration,
    /// What each file was last sent (files sent an empty list included).
    published: BTreeMap<String, Vec<lsp::Diagnostic>>,
}

/// A whole compile finished on the background thread.
pub(super) struct Finished {
    root: PathBuf,
    generation: u64,
    compiled: Option<Compiled>,
    took: Duration,
}

impl Server<'_> {
    /// Records a change under `root`: of the `.kpi` file `name`, or of anything (`None`).
    pub(super) fn changed(&mut self, root: PathBuf, name: Option<String>) {
        let state = self.roots.entry(root).or_default();
        let alone =
            state.generation == state.compiled || state.edited.is_some() && state.edited == name;
        state.edited = if alone { name } else { None };
        state.generation += 1;
    }

    /// For every root changed since it was compiled: the edited file checked alone when the
    /// project is slow to compile, then the whole project, in the background when slow.
    pub(super) fn schedule(&mut self) -> Result<(), String> {
        let stale: Vec<PathBuf> = self
            .roots
            .iter()
            .filter(|(_, r)| r.generation > r.compiled)
            .map(|(root, _)| root.clone())
            .collect();
        for root in stale {
            let Some(state) = self.roots.get(&root) else {
                continue;
            };
            let slow = state.took > self.slow;
            if slow && state.quick < state.generation {
                self.check_edited(&root)?;
            }
            if self.compiling.is_some() {
                continue;
            }
            if slow {
                self.compile_in_background(&root);
            } else {
                self.compile_now(&root)?;
            }
        }
        Ok(())
    }

    /// Brings every project up to date: waits for the background compile, then compiles
    /// what is still stale in turn.
    pub(super) fn settle(&mut self) -> Result<(), String> {
        if self.compiling.is_some()
            && let Ok(finished) = self.compiled.recv()
        {
            self.install(finished)?;
        }
        let stale: Vec<PathBuf> = self
            .roots
            .iter()
            .filter(|(_, r)| r.generation > r.compiled)
            .map(|(root, _)| root.clone())
            .collect();
        for root in stale {
            self.compile_now(&root)?;
        }
        Ok(())
    }

    fn compile_now(&mut self, root: &Path) -> Result<(), String> {
        let generation = self.roots.get(root).map_or(0, |r| r.generation);
        let start = Instant::now();
        let compiled = compile(root, &self.open, Options::default(), None);
        self.install(Finished {
            root: root.to_path_buf(),
            generation,
            compiled,
            took: start.elapsed(),
        })
    }

    fn compile_in_background(&mut self, root: &Path) {
        let generation = self.roots.get(root).map_or(0, |r| r.generation);
        let root = root.to_path_buf();
        // Only the buffers of this project: usually one or two.
        let open: BTreeMap<PathBuf, String> = self
            .open
            .iter()
            .filter(|(path, _)| path.starts_with(&root))
            .map(|(path, text)| (path.clone(), text.clone()))
            .collect();
        let finished = self.finished.clone();
        self.compiling = Some((root.clone(), generation));
        std::thread::spawn(move || {
            let start = Instant::now();
            // A compiler panic must still answer, or a request would wait for it forever;
            // the old compile is kept (the panic's message is on standard error).
            let compiled = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                compile(&root, &open, Options::default(), None)
            }))
            .ok()
            .flatten();
            let _ = finished.send(Finished {
                root,
                generation,
                compiled,
                took: start.elapsed(),
            });
        });
    }

    /// Takes a whole compile in, unless the project changed while it ran: then the next one
    /// is due, and this one would publish what the editor no longer shows.
    pub(super) fn install(&mut self, finished: Finished) -> Result<(), String> {
        if self.compiling.as_ref().is_some_and(|(root, generation)| {
            *root == finished.root && *generation == finished.generation
        }) {
            self.compiling = None;
        }
        let state = self.roots.entry(finished.root.clone()).or_default();
        state.took = finished.took;
        if finished.generation < state.generation {
            return Ok(());
        }
        let Some(compiled) = finished.compiled else {
            state.compiled = finished.generation;
            return Ok(());
        };
        state.compiled = finished.generation;
        state.edited = None;
        let project = Project {
            root: finished.root.clone(),
            compiled,
        };
        self.publish(&project, None)?;
        self.projects.insert(finished.root, project);
        Ok(())
    }

    /// The edited file checked with only the files it reads, its diagnostics published.
    fn check_edited(&mut self, root: &Path) -> Result<(), String> {
        let Some(state) = self.roots.get_mut(root) else {
            return Ok(());
        };
        state.quick = state.generation;
        let (Some(name), Some(project)) = (state.edited.clone(), self.projects.get(root)) else {
            return Ok(());
        };
        let Some(text) = self.open.get(&root.join(&name)) else {
            return Ok(());
        };
        let Some(program) = project.compiled.program.as_ref() else {
            return Ok(());
        };
        let keep = quick::files_read(program, &name, text);
        let Some(compiled) = compile(root, &self.open, Options::default(), Some(&keep)) else {
            return Ok(());
        };
        let alone = Project {
            root: root.to_path_buf(),
            compiled,
        };
        self.publish(&alone, Some(&name))
    }

    /// Sends each file of the project (or only `only`) its diagnostics when they differ from
    /// what it was last sent, and an empty list to a file sent some that is no longer read.
    fn publish(&mut self, project: &Project, only: Option<&str>) -> Result<(), String> {
        let sources = &project.compiled.sources;
        let mut by_file: BTreeMap<String, Vec<lsp::Diagnostic>> = sources
            .iter()
            .map(|(_, f)| (f.name.clone(), Vec::new()))
            .collect();
        for d in &project.compiled.diagnostics {
            let name = d
                .primary
                .as_ref()
                .map_or("kpi.yaml", |l| sources.name(l.span.file));
            by_file
                .entry(name.to_string())
                .or_default()
                .push(to_lsp(project, d));
        }
        let state = self.roots.entry(project.root.clone()).or_default();
        if only.is_none() {
            for name in state.published.keys() {
                by_file.entry(name.clone()).or_default();
            }
        }
        if let Some(only) = only {
            by_file.retain(|name, _| name == only);
        }
        let mut messages = Vec::new();
        for (name, diagnostics) in by_file {
            if state.published.get(&name) == Some(&diagnostics) {
                continue;
            }
            let Some(uri) = text::path_uri(&project.path(&name)) else {
                continue;
            };
            let read = sources.iter().any(|(_, f)| f.name == name);
            if read || !diagnostics.is_empty() {
                state.published.insert(name, diagnostics.clone());
            } else {
                state.published.remove(&name);
            }
            messages.push(Notification::new(
                "textDocument/publishDiagnostics".into(),
                lsp::PublishDiagnosticsParams {
                    uri,
                    diagnostics,
                    version: None,
                },
            ));
        }
        for message in messages {
            self.send(Message::Notification(message))?;
        }
        Ok(())
    }
}

/// The project at `root` compiled with the open buffers over the disk; with `keep`, with only
/// those `.kpi` files.
pub(super) fn compile(
    root: &Path,
    open: &BTreeMap<PathBuf, String>,
    options: Options,
    keep: Option<&BTreeSet<String>>,
) -> Option<Compiled> {
    let disk = Disk { root };
    let mut overlay = Overlay::over(&disk);
    for (path, text) in open {
        if let Ok(inner) = path.strip_prefix(root) {
            overlay = overlay.file(&inner.to_string_lossy(), text.as_str());
        }
    }
    match keep {
        Some(keep) => driver::compile(
            &quick::Only {
                base: &overlay,
                keep,
            },
            &options,
        )
        .ok(),
        None => driver::compile(&overlay, &options).ok(),
    }
}

/// A compiler diagnostic as the editor shows it: the title, the help, and where to read more.
fn to_lsp(project: &Project, d: &Diagnostic) -> lsp::Diagnostic {
    let sources = &project.compiled.sources;
    let range = d
        .primary
        .as_ref()
        .map_or_else(lsp::Range::default, |l| text::span_range(sources, l.span));
    let mut message = d.message.clone();
    if let Some(label) = &d.primary {
        message.push_str(&format!(": {}", label.message));
    }
    if let Some(help) = &d.help {
        message.push_str(&format!("\nhelp: {help}"));
    }
    message.push_str(&format!("\nkpi explain {}", d.code.0));
    let related = d
        .secondary
        .iter()
        .filter_map(|l| {
            let uri = text::path_uri(&project.path(sources.name(l.span.file)))?;
            Some(lsp::DiagnosticRelatedInformation {
                location: lsp::Location::new(uri, text::span_range(sources, l.span)),
                message: l.message.clone(),
            })
        })
        .collect::<Vec<_>>();
    lsp::Diagnostic {
        range,
        severity: Some(match d.severity {
            Severity::Error => lsp::DiagnosticSeverity::ERROR,
            Severity::Warning => lsp::DiagnosticSeverity::WARNING,
        }),
        code: Some(lsp::NumberOrString::String(d.code.0.to_string())),
        source: Some("kpi".into()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        ..Default::default()
    }
}
