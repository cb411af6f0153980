//! Test support: a definition and an input into an execution, run on a thread with a small
//! (2 MiB) stack under a deadline, with the virtual clock and the JSONata engine bound.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kpi_asl::{self as asl, Execution, Options, VirtualClock};
use serde_json::Value;
use std::sync::mpsc;
use std::time::Duration;

/// The stack every execution in these tests runs on: what a spawned thread gets by default.
pub const STACK: usize = 2 * 1024 * 1024;

/// Runs `f` on a thread with a 2 MiB stack; fails the test if it takes longer than `limit`.
pub fn on_small_stack<T: Send + 'static>(
    limit: Duration,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .stack_size(STACK)
        .spawn(move || {
            let _ = tx.send(f());
        })
        .expect("spawn a test thread");
    match rx.recv_timeout(limit) {
        Ok(v) => v,
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("did not finish within {limit:?}"),
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("the execution thread panicked"),
    }
}

/// Runs a definition on an input with Map iterations on `map_workers` threads.
pub fn run_with(def: Value, input: Value, map_workers: usize) -> Execution {
    on_small_stack(Duration::from_secs(120), move || {
        let machine = asl::parse_definition(&def).expect("a valid definition");
        let clock = VirtualClock::starting_now();
        let engine = asl::jsonata::Engine;
        let mut opts = Options::new(&clock);
        opts.jsonata = Some(&engine);
        opts.map_workers = map_workers;
        asl::execute(&machine, input, &opts)
    })
}

/// Runs a definition on an input.
pub fn run(def: Value, input: Value) -> Execution {
    run_with(def, input, 1)
}

/// A one-state JSONata machine whose Pass `Output` is `{"r": <expr>}`.
pub fn jsonata_pass(expr: &str) -> Value {
    serde_json::json!({"QueryLanguage": "JSONata", "StartAt": "E", "States": {
        "E": {"Type": "Pass", "Output": {"r": format!("{{% {expr} %}}")}, "End": true}}})
}

/// `(error, cause)` of a failed execution, or the output of a succeeded one as the error.
pub fn failure(e: &Execution) -> (String, String) {
    match (&e.error, &e.cause) {
        (Some(err), cause) => (err.clone(), cause.clone().unwrap_or_default()),
        (None, _) => (
            "SUCCEEDED".into(),
            e.output.as_ref().map(Value::to_string).unwrap_or_default(),
        ),
    }
}
