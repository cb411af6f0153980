//! Generated state machines (deep nesting, loops, large payloads, random intrinsic and JSONata
//! expressions, Map and Parallel nested in each other) and inputs into executions that must each
//! end, with a status, within a time bound, on a 2 MiB stack, under a memory cap, with an output
//! inside the payload limit and a well-formed history. Seeded: every run generates the same
//! definitions.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod generate;

use generate::Gen;
use kpi_asl::limits::{self, MAX_HISTORY_EVENTS, Measure};
use kpi_asl::{self as asl, Options, Status, VirtualClock};
use serde_json::Value;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Every allocation of this test binary is counted, and refused past the cap (which aborts
/// the test): the memory bound of the executions it runs.
const MEMORY_CAP: usize = 2 << 30;
#[global_allocator]
static ALLOCATOR: cap::Cap<std::alloc::System> = cap::Cap::new(std::alloc::System, MEMORY_CAP);

const RUNS: u64 = 300;
const SEED: u64 = 0x6b70_695f_6173_6c00;
/// No execution may take longer than this, however hostile its definition (generous: the 300
/// runs take about 7 s of CPU in all, but test machines are shared and often loaded).
const PER_RUN: Duration = Duration::from_secs(30);

/// What one run gave: its status, how long it took, whether its output and history were sound.
struct Outcome {
    status: Status,
    took: Duration,
    events: usize,
}

fn execute(def: Value, input: Value, workers: usize) -> Outcome {
    let machine = match asl::parse_definition(&def) {
        Ok(m) => m,
        // A definition may nest past what is allowed: refused, which is an outcome too.
        Err(_) => {
            return Outcome {
                status: Status::Failed,
                took: Duration::ZERO,
                events: 0,
            };
        }
    };
    let clock = VirtualClock::starting_now();
    let engine = asl::jsonata::TimedEngine(Duration::from_secs(2));
    let mut opts = Options::new(&clock);
    opts.jsonata = Some(&engine);
    opts.map_workers = workers;
    let start = Instant::now();
    let e = asl::execute(&machine, input, &opts);
    let took = start.elapsed();
    if let Some(out) = &e.output {
        assert!(
            matches!(limits::payload(out), Measure::Within { .. }),
            "an output past the payload limit"
        );
    }
    let events = &e.history.events;
    assert!(
        events.len() as u64 <= MAX_HISTORY_EVENTS,
        "{}",
        events.len()
    );
    let last = events.last().map(|e| e.kind.as_str());
    match e.status {
        Status::Succeeded => assert_eq!(last, Some("ExecutionSucceeded")),
        Status::Failed => assert_eq!(last, Some("ExecutionFailed")),
    }
    for (i, ev) in events.iter().enumerate() {
        assert_eq!(ev.id, i as u64 + 1);
    }
    Outcome {
        status: e.status,
        took,
        events: events.len(),
    }
}

/// Run `run`'s definition and input, as the seed generates them.
fn generated(run: u64) -> (Value, Value, usize) {
    let mut g = Gen::new(SEED ^ run, run.is_multiple_of(2));
    let jsonata = g.chance(0.4);
    let def = g.machine(0, jsonata);
    let input = g.input();
    let workers = g.pick(&[1, 1, 3]);
    (def, input, workers)
}

#[test]
fn generated_machines_end_within_bounds() {
    let started = Instant::now();
    // Two threads with 2 MiB stacks take the runs in turn; each reports every run it ends.
    let next = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let (tx, rx) = mpsc::channel();
    for _ in 0..2 {
        let (next, tx) = (next.clone(), tx.clone());
        std::thread::Builder::new()
            .stack_size(2 * 1024 * 1024)
            .spawn(move || {
                loop {
                    let run = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    if run >= RUNS {
                        break;
                    }
                    let (def, input, workers) = generated(run);
                    if tx.send((run, execute(def, input, workers))).is_err() {
                        break;
                    }
                }
            })
            .unwrap();
    }
    drop(tx);
    let (mut ok, mut failed, mut slowest, mut full) = (0, 0, Duration::ZERO, 0);
    for _ in 0..RUNS {
        // A run that hangs (or panics, closing its thread's channel) stops the results.
        let (run, outcome) = match rx.recv_timeout(PER_RUN) {
            Ok(r) => r,
            Err(e) => panic!(
                "no run ended within {PER_RUN:?} ({e:?}); runs taken: {}",
                next.load(std::sync::atomic::Ordering::SeqCst)
            ),
        };
        assert!(
            outcome.took <= PER_RUN,
            "run {run} took {:?}: {}",
            outcome.took,
            generated(run).0
        );
        match outcome.status {
            Status::Succeeded => ok += 1,
            Status::Failed => failed += 1,
        }
        if outcome.events as u64 == MAX_HISTORY_EVENTS {
            full += 1;
        }
        slowest = slowest.max(outcome.took);
    }
    let peak = ALLOCATOR.max_allocated();
    println!(
        "{RUNS} generated executions in {:.1?}: {ok} succeeded, {failed} failed, {full} ended at 25,000 events; slowest {slowest:.1?}; peak memory {} MiB",
        started.elapsed(),
        peak >> 20
    );
    assert!(
        ok > 0 && failed > 0,
        "the generator exercises both outcomes"
    );
    assert!(peak < MEMORY_CAP);
}
