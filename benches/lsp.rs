//! `kpi lsp` on the generated 1,000-file project (`support/generated.rs`, as `benches/check.rs`
//! makes it): a file is opened, then edited in turn to introduce a mistake (`e.knd` for
//! `e.kind`) and to fix it, and each edit is timed from the `didChange` sent to the
//! `publishDiagnostics` received for that file, holding the one error or none. Also timed:
//! the first compile (`didOpen` to that file's diagnostics), and each edit to the end of its
//! whole burst of notifications (a request sent after the file's diagnostics is answered only
//! once the server has published every file).
//!
//! Prints the medians of the rounds; the goal is 100 ms from edit to diagnostics.
//! `KPI_BENCH_ROUNDS=N` (20), `KPI_BENCH_FILES=N` (1,000); `KPI_BENCH_BIN=/path/to/kpi` times
//! another binary (another revision's) instead of this one. `cargo bench --no-default-features
//! --bench lsp`. Under `cargo test` it runs one round on 100 files, as a smoke test.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

#[path = "support/generated.rs"]
mod generated;
#[path = "../tests/support/jsonrpc.rs"]
mod jsonrpc;

use jsonrpc::Peer;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(120);

/// A JSON-RPC client of `kpi lsp` over its stdio.
struct Client {
    peer: Peer,
    next_id: i64,
}

impl Client {
    fn start(bin: &Path, project: &Path) -> Client {
        let mut command = Command::new(bin);
        command.arg("lsp").current_dir(project);
        let mut client = Client {
            peer: Peer::spawn(command),
            next_id: 1,
        };
        let root = format!("file://{}", project.display());
        client.request(
            "initialize",
            json!({"processId": null, "rootUri": root, "capabilities": {}}),
        );
        client.notify("initialized", json!({}));
        client
    }

    fn send(&mut self, message: &Value) {
        self.peer.send(message);
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    fn next(&self) -> Value {
        self.peer.next(TIMEOUT)
    }

    /// Sends a request and waits for its answer, passing over notifications.
    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let m = self.next();
            if m["id"] == id {
                assert!(m.get("error").is_none(), "{method}: {m}");
                return m["result"].clone();
            }
        }
    }

    /// Waits for the diagnostics of `uri`; the time they arrived and how many there were.
    fn diagnostics(&self, uri: &str) -> (Instant, usize) {
        loop {
            let m = self.next();
            if m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri {
                let count = m["params"]["diagnostics"].as_array().unwrap().len();
                return (Instant::now(), count);
            }
        }
    }
}

fn median(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn ms(seconds: f64) -> String {
    format!("{:.1} ms", seconds * 1e3)
}

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let var = |name: &str, default: usize| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let files = var("KPI_BENCH_FILES", if bench { 1_000 } else { 100 });
    let rounds = var("KPI_BENCH_ROUNDS", if bench { 20 } else { 1 }).max(1);
    let dir = tempfile::Builder::new()
        .prefix("kpi-bench-lsp")
        .tempdir()
        .unwrap();
    generated::generate(dir.path(), files);
    // A windowed KPI with a join in the middle of the project: `k{n}_by_department`.
    let n = (files / 2 / 5) * 5 + 1;
    let name = format!("f{:03}/k{n}.kpi", n / generated::PER_FOLDER);
    let path = dir.path().join(&name);
    let fixed = std::fs::read_to_string(&path).unwrap();
    let broken = fixed.replacen("e.kind in", "e.knd in", 1);
    assert_ne!(fixed, broken, "{name} has no `e.kind in`");
    let uri = format!("file://{}", path.display());
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    println!(
        "kpi lsp on {files} generated KPI files, {rounds} rounds on {cores} cores; editing {name}"
    );

    let bin = std::env::var_os("KPI_BENCH_BIN")
        .map_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_kpi")), PathBuf::from);
    println!("binary: {}", bin.display());
    let mut client = Client::start(&bin, dir.path());
    let sent = Instant::now();
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "kpi", "version": 1, "text": fixed}}),
    );
    let (at, count) = client.diagnostics(&uri);
    assert_eq!(count, 0, "{name} should check clean");
    let opened = at - sent;
    let symbols = json!({"textDocument": {"uri": uri}});
    client.request("textDocument/documentSymbol", symbols.clone());
    println!(
        "didOpen → publishDiagnostics (first compile): {}",
        ms(opened.as_secs_f64())
    );

    let mut version = 1;
    let mut to_file = [Vec::new(), Vec::new()];
    let mut to_all = [Vec::new(), Vec::new()];
    for round in 0..rounds {
        for (k, (text, expected)) in [(&broken, 1), (&fixed, 0)].into_iter().enumerate() {
            version += 1;
            let sent = Instant::now();
            client.notify(
                "textDocument/didChange",
                json!({"textDocument": {"uri": uri, "version": version},
                       "contentChanges": [{"text": text}]}),
            );
            let (at, count) = client.diagnostics(&uri);
            assert_eq!(count, expected, "round {round}: diagnostics of {name}");
            // Answered once every notification of this compile is out.
            client.request("textDocument/documentSymbol", symbols.clone());
            to_file[k].push((at - sent).as_secs_f64());
            to_all[k].push(sent.elapsed().as_secs_f64());
        }
    }
    client.request("shutdown", Value::Null);
    client.notify("exit", Value::Null);

    println!(
        "\n{:<28} {:>16} {:>22}",
        "edit", "to its diagnostics", "to the last publication"
    );
    for (k, label) in ["introduces a mistake", "fixes it"].iter().enumerate() {
        println!(
            "{label:<28} {:>16} {:>22}",
            ms(median(&to_file[k])),
            ms(median(&to_all[k]))
        );
    }
    let all: Vec<f64> = to_file.concat();
    println!(
        "median didChange → publishDiagnostics over {} edits: {} (goal: 100 ms)",
        all.len(),
        ms(median(&all))
    );
}
