//! `kpi lsp`: JSON-RPC over stdio ↔ the compiler driver. Open buffers are an
//! [`Overlay`](kpi_compiler::driver::Overlay) over the disk; after each change the project holding the file is compiled again and every file
//! whose diagnostics changed gets them (an empty list when it became clean).
//!
//! Built on `lsp-server` (rust-analyzer's transport): synchronous, messages on crossbeam
//! channels, no async runtime. Requests are answered in turn on one thread; a burst of edits
//! is compiled once, when the queue is empty. On a project whose compile takes longer than
//! [`SLOW`], an edit first checks the edited file with only the files it reads
//! (`quick.rs`) and publishes its diagnostics, then compiles the whole project on a thread of
//! its own (`compile.rs`), so the editor hears about the file it edits within milliseconds and
//! the server keeps reading messages meanwhile; a request that reads the project waits for
//! that compile.

mod compile;
mod completion;
mod features;
mod quick;
mod text;

use crate::error::CliError;
use compile::{Finished, POLL, Root, SLOW, compile};
use kpi_compiler::driver::{Compiled, Options};
use lsp_server::{Connection, Message, Notification, Request, RequestId, Response};
use lsp_types as lsp;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::mpsc;
use std::time::Duration;

/// Serve the Language Server Protocol on standard input and output, for editors.
///
/// Diagnostics as you type (those of `kpi check`), hover, go to definition, references and
/// rename of KPIs, completion, formatting (`kpi fmt`), document symbols, and the command
/// `kpi.showSql` (a KPI's Athena SQL). Point the editor's LSP client at `kpi lsp` for `.kpi`
/// files; the project is the nearest directory at or above a file holding kpi.yaml.
///
/// Example: `kpi lsp`
#[derive(Debug, clap::Args)]
pub struct Args {}

/// The command that returns a KPI's generated Athena SQL (argument: the KPI's name).
pub const SHOW_SQL: &str = "kpi.showSql";

pub fn run(_args: Args) -> Result<ExitCode, CliError> {
    let (connection, threads) = Connection::stdio();
    let failed = |e: String| CliError::Io {
        action: "serve",
        path: PathBuf::from("standard input"),
        error: std::io::Error::other(e),
    };
    let capabilities = serde_json::to_value(capabilities()).map_err(|e| failed(e.to_string()))?;
    connection
        .initialize(capabilities)
        .map_err(|e| failed(e.to_string()))?;
    let (finished, compiled) = mpsc::channel();
    let mut server = Server {
        connection: &connection,
        open: BTreeMap::new(),
        projects: BTreeMap::new(),
        roots: BTreeMap::new(),
        finished,
        compiled,
        compiling: None,
        slow: std::env::var("KPI_LSP_SLOW_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .map_or(SLOW, Duration::from_millis),
    };
    server.serve().map_err(failed)?;
    drop(connection);
    threads.join().map_err(|e| failed(e.to_string()))?;
    Ok(ExitCode::SUCCESS)
}

fn capabilities() -> lsp::ServerCapabilities {
    lsp::ServerCapabilities {
        text_document_sync: Some(lsp::TextDocumentSyncCapability::Kind(
            lsp::TextDocumentSyncKind::FULL,
        )),
        hover_provider: Some(lsp::HoverProviderCapability::Simple(true)),
        definition_provider: Some(lsp::OneOf::Left(true)),
        references_provider: Some(lsp::OneOf::Left(true)),
        rename_provider: Some(lsp::OneOf::Left(true)),
        document_formatting_provider: Some(lsp::OneOf::Left(true)),
        document_symbol_provider: Some(lsp::OneOf::Left(true)),
        completion_provider: Some(lsp::CompletionOptions {
            trigger_characters: Some(vec![".".into()]),
            ..Default::default()
        }),
        code_lens_provider: Some(lsp::CodeLensOptions {
            resolve_provider: Some(false),
        }),
        execute_command_provider: Some(lsp::ExecuteCommandOptions {
            commands: vec![SHOW_SQL.into()],
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// One project as last compiled.
pub struct Project {
    pub root: PathBuf,
    pub compiled: Compiled,
}

impl Project {
    /// The path of a file the driver names relative to the root.
    pub fn path(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }
}

struct Server<'a> {
    connection: &'a Connection,
    /// Open buffers by path: what the editor shows, saved or not.
    open: BTreeMap<PathBuf, String>,
    projects: BTreeMap<PathBuf, Project>,
    roots: BTreeMap<PathBuf, Root>,
    finished: mpsc::Sender<Finished>,
    compiled: mpsc::Receiver<Finished>,
    /// The root and generation being compiled in the background, if any (one at a time).
    compiling: Option<(PathBuf, u64)>,
    /// [`SLOW`], unless set otherwise.
    slow: Duration,
}

/// A request's answer: its result, or an error message.
type Answer = Result<serde_json::Value, String>;

impl Server<'_> {
    fn serve(&mut self) -> Result<(), String> {
        loop {
            let message = if self.compiling.is_some() {
                match self.connection.receiver.recv_timeout(POLL) {
                    Ok(message) => Some(message),
                    Err(e) if e.is_timeout() => None,
                    Err(_) => return Ok(()),
                }
            } else {
                match self.connection.receiver.recv() {
                    Ok(message) => Some(message),
                    Err(_) => return Ok(()),
                }
            };
            while let Ok(finished) = self.compiled.try_recv() {
                self.install(finished)?;
            }
            match message {
                Some(Message::Request(request)) => {
                    if self
                        .connection
                        .handle_shutdown(&request)
                        .map_err(|e| e.to_string())?
                    {
                        return Ok(());
                    }
                    // Completion reads the buffer's text and formatting the buffer alone: an
                    // older compile serves them. Everything else reads the current one.
                    if !matches!(
                        request.method.as_str(),
                        "textDocument/completion" | "textDocument/formatting"
                    ) {
                        self.settle()?;
                    }
                    let id = request.id.clone();
                    let response = match self.request(request) {
                        Ok(value) => Response::new_ok(id, value),
                        Err(message) => error_response(id, message),
                    };
                    self.send(Message::Response(response))?;
                }
                Some(Message::Notification(notification)) => self.notification(notification),
                Some(Message::Response(_)) | None => {}
            }
            // Edits typed in a burst are compiled once, after the last.
            if self.connection.receiver.is_empty() {
                self.schedule()?;
            }
        }
    }

    fn send(&self, message: Message) -> Result<(), String> {
        self.connection
            .sender
            .send(message)
            .map_err(|e| e.to_string())
    }

    fn notification(&mut self, notification: Notification) {
        let params = notification.params;
        let path = match notification.method.as_str() {
            "textDocument/didOpen" => {
                serde_json::from_value::<lsp::DidOpenTextDocumentParams>(params)
                    .ok()
                    .and_then(|p| {
                        let path = text::uri_path(&p.text_document.uri)?;
                        self.open.insert(path.clone(), p.text_document.text);
                        Some(path)
                    })
            }
            "textDocument/didChange" => {
                serde_json::from_value::<lsp::DidChangeTextDocumentParams>(params)
                    .ok()
                    .and_then(|p| {
                        let path = text::uri_path(&p.text_document.uri)?;
                        // Full sync: the last change holds the whole text.
                        let change = p.content_changes.into_iter().last()?;
                        self.open.insert(path.clone(), change.text);
                        Some(path)
                    })
            }
            "textDocument/didClose" => {
                serde_json::from_value::<lsp::DidCloseTextDocumentParams>(params)
                    .ok()
                    .and_then(|p| {
                        let path = text::uri_path(&p.text_document.uri)?;
                        // Read from the disk again: not a buffer to check alone.
                        if let Some(root) = project_root(&path) {
                            self.changed(root, None);
                        }
                        self.open.remove(&path);
                        None
                    })
            }
            "textDocument/didSave" | "workspace/didChangeWatchedFiles" => {
                let known: Vec<PathBuf> = self.roots.keys().cloned().collect();
                for root in known {
                    self.changed(root, None);
                }
                None
            }
            _ => None,
        };
        if let Some(path) = path
            && let Some(root) = project_root(&path)
        {
            let name = path
                .strip_prefix(&root)
                .ok()
                .map(|p| p.to_string_lossy().replace('\\', "/"))
                .filter(|n| n.ends_with(".kpi"));
            self.changed(root, name);
        }
    }

    fn request(&mut self, request: Request) -> Answer {
        let params = request.params;
        match request.method.as_str() {
            "textDocument/formatting" => {
                let p: lsp::DocumentFormattingParams = parse(params)?;
                reply(self.format(&p.text_document.uri))
            }
            "textDocument/hover" => {
                let p: lsp::HoverParams = parse(params)?;
                let at = &p.text_document_position_params;
                let found = self
                    .at(&at.text_document.uri)
                    .and_then(|(project, name)| features::hover(project, &name, at.position));
                reply(found)
            }
            "textDocument/definition" => {
                let p: lsp::GotoDefinitionParams = parse(params)?;
                let at = &p.text_document_position_params;
                let found = self
                    .at(&at.text_document.uri)
                    .and_then(|(project, name)| features::definition(project, &name, at.position));
                reply(found)
            }
            "textDocument/references" => {
                let p: lsp::ReferenceParams = parse(params)?;
                let at = &p.text_document_position;
                let found = self.at(&at.text_document.uri).map(|(project, name)| {
                    features::references(project, &name, at.position)
                        .into_iter()
                        .map(|(uri, range)| lsp::Location::new(uri, range))
                        .collect::<Vec<_>>()
                });
                reply(found)
            }
            "textDocument/rename" => {
                let p: lsp::RenameParams = parse(params)?;
                let at = &p.text_document_position;
                let Some((project, name)) = self.at(&at.text_document.uri) else {
                    return Ok(serde_json::Value::Null);
                };
                reply(features::rename(project, &name, at.position, &p.new_name)?)
            }
            "textDocument/completion" => {
                let p: lsp::CompletionParams = parse(params)?;
                let at = &p.text_document_position;
                let text = text::uri_path(&at.text_document.uri)
                    .and_then(|path| self.open.get(&path).cloned())
                    .unwrap_or_default();
                let items = self
                    .at(&at.text_document.uri)
                    .map(|(project, _)| completion::completion(project, &text, at.position))
                    .unwrap_or_default();
                reply(items)
            }
            "textDocument/documentSymbol" => {
                let p: lsp::DocumentSymbolParams = parse(params)?;
                let found = self
                    .at(&p.text_document.uri)
                    .map(|(project, name)| features::symbols(project, &name));
                reply(found)
            }
            "textDocument/codeLens" => {
                let p: lsp::CodeLensParams = parse(params)?;
                let found = self
                    .at(&p.text_document.uri)
                    .map(|(project, name)| features::code_lenses(project, &name));
                reply(found)
            }
            "workspace/executeCommand" => {
                let p: lsp::ExecuteCommandParams = parse(params)?;
                if p.command != SHOW_SQL {
                    return Err(format!("unknown command {}", p.command));
                }
                let kpi = p
                    .arguments
                    .first()
                    .and_then(|a| a.as_str())
                    .ok_or("kpi.showSql takes a KPI's name")?;
                Ok(serde_json::Value::String(self.show_sql(kpi)?))
            }
            other => Err(format!("unsupported request {other}")),
        }
    }

    /// The project holding the file at `uri` and the file's name inside it.
    fn at(&self, uri: &lsp::Uri) -> Option<(&Project, String)> {
        let path = text::uri_path(uri)?;
        let root = project_root(&path)?;
        let project = self.projects.get(&root)?;
        let name = path
            .strip_prefix(&root)
            .ok()?
            .to_string_lossy()
            .replace('\\', "/");
        Some((project, name))
    }

    /// One edit replacing the whole buffer with its canonical layout; none when it is already
    /// formatted or does not parse (its diagnostics say why).
    fn format(&self, uri: &lsp::Uri) -> Vec<lsp::TextEdit> {
        let Some(current) = text::uri_path(uri).and_then(|p| self.open.get(&p)) else {
            return Vec::new();
        };
        let mut sources = kpi_compiler::span::Sources::new();
        let id = sources.add("buffer.kpi", current.clone());
        match kpi_compiler::format::format(&sources, id) {
            Ok(out) if out != *current => vec![lsp::TextEdit::new(text::whole(current), out)],
            _ => Vec::new(),
        }
    }

    /// The Athena statements of a KPI of any open project, as `kpi build` writes them.
    fn show_sql(&self, kpi: &str) -> Result<String, String> {
        let wanted = kpi.to_lowercase();
        for root in self.projects.keys() {
            let Some(compiled) = compile(
                root,
                &self.open,
                Options {
                    build: true,
                    ..Options::default()
                },
                None,
            ) else {
                continue;
            };
            let known = compiled
                .program
                .as_ref()
                .is_some_and(|p| p.kpis.iter().any(|k| k.name == wanted));
            if !known {
                continue;
            }
            let Some(artifacts) = compiled.artifacts else {
                return Err(format!("{kpi} has no SQL while the project has errors"));
            };
            let prefix = format!("athena/{wanted}/");
            let sql: Vec<String> = artifacts
                .files
                .iter()
                .filter(|(path, _)| path.starts_with(&prefix))
                .map(|(path, text)| format!("-- {path}\n{text}"))
                .collect();
            return Ok(sql.join("\n"));
        }
        Err(format!("no KPI {kpi} in an open project"))
    }
}

fn parse<T: serde::de::DeserializeOwned>(params: serde_json::Value) -> Result<T, String> {
    serde_json::from_value(params).map_err(|e| e.to_string())
}

fn reply(value: impl serde::Serialize) -> Answer {
    serde_json::to_value(value).map_err(|e| e.to_string())
}

fn error_response(id: RequestId, message: String) -> Response {
    // -32803: RequestFailed, a valid request that the project's state cannot satisfy (a name
    // taken, a KPI with errors); -32602 would blame the editor.
    Response::new_err(id, -32803, message)
}

/// The nearest directory at or above `file` holding kpi.yaml.
fn project_root(file: &Path) -> Option<PathBuf> {
    file.ancestors()
        .skip(1)
        .find(|d| d.join("kpi.yaml").is_file())
        .map(Path::to_path_buf)
}
