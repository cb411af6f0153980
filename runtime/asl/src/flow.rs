//! Map and Parallel states: their items or branches, run in order or on worker threads, into
//! the array of results, with the events and budgets of inline and distributed iterations.

use super::definition::{MapState, ParallelState, StateMachine};
use super::error::Failure;
use super::history::History;
use super::interp::{Frame, Run, history_full, map_item};
use super::limits::{self, Measure};
use super::map_settings::Tolerance;
use super::template::{Scope, resolve, template};
use serde_json::{Value, json};

/// What became of one Map item run on a worker thread: its result and the events it
/// recorded, or its value and input when it never started.
enum Iteration {
    Done(Result<Value, Failure>, History),
    NotStarted,
}

/// How a Map runs its items: the processor, inline or as child executions, under a name.
#[derive(Clone, Copy)]
pub(crate) struct Items<'m> {
    pub name: &'m str,
    pub processor: &'m StateMachine,
    pub distributed: bool,
}

impl Run<'_> {
    /// A JSONPath Map: items, selector, iterations; returns the array of results.
    pub(crate) fn map_jsonpath(
        &mut self,
        m: &MapState,
        input: &Value,
        ctx: &Value,
        frame: &Frame,
    ) -> Result<Value, Failure> {
        let scope = Scope {
            input,
            context: ctx,
            vars: &frame.vars,
        };
        let items = match &m.items_path {
            super::definition::PathField::Path(p) => resolve(p, scope)?,
            _ => input.clone(),
        };
        let Value::Array(items) = items else {
            return Err(Failure::runtime(format!(
                "Invalid path '{}': The ItemsPath field must refer to an array, not {}",
                match &m.items_path {
                    super::definition::PathField::Path(p) => p.as_str(),
                    _ => "$",
                },
                items
            )));
        };
        let (concurrency, tolerance) = self.map_settings(m, scope)?;
        let mut inputs = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let item_input = match &m.item_selector {
                Some(sel) => {
                    let mut c = ctx.clone();
                    if let Value::Object(o) = &mut c {
                        o.insert("Map".into(), map_item(i, item.clone()));
                    }
                    template(
                        sel,
                        Scope {
                            input,
                            context: &c,
                            vars: &frame.vars,
                        },
                    )?
                }
                None => item.clone(),
            };
            inputs.push((item.clone(), item_input));
        }
        let map = Items {
            name: ctx
                .pointer("/State/Name")
                .and_then(Value::as_str)
                .unwrap_or("Map"),
            processor: &m.processor,
            distributed: m.distributed,
        };
        self.iterate(map, inputs, tolerance, concurrency, frame)
    }

    /// Runs each item through the processor: in order, or on up to `Options::map_workers`
    /// threads (never more than the state's MaxConcurrency). Either way the history holds
    /// each inline iteration's events together, in item order, and the first failing item
    /// (by index) fails the Map. A distributed Map's items are child executions: their events
    /// are theirs, and the parent records only the Map Run.
    pub(crate) fn iterate(
        &mut self,
        map: Items<'_>,
        inputs: Vec<(Value, Value)>,
        tolerance: Tolerance,
        concurrency: Option<i64>,
        frame: &Frame,
    ) -> Result<Value, Failure> {
        let total = inputs.len();
        self.event(
            "MapStateStarted",
            Some(("mapStateStartedEventDetails", json!({"length": total}))),
        );
        if map.distributed {
            let arn = format!(
                "arn:aws:states:us-east-1:000000000000:mapRun:{}/{}:{}",
                self.opts.state_machine_name, map.name, self.opts.execution_name
            );
            self.event(
                "MapRunStarted",
                Some(("mapRunStartedEventDetails", json!({"mapRunArn": arn}))),
            );
        }
        let result = self.items(map, inputs, tolerance, concurrency, frame);
        let outcome = if result.is_ok() {
            "Succeeded"
        } else {
            "Failed"
        };
        if map.distributed {
            self.event(&format!("MapRun{outcome}"), None);
        }
        self.event(&format!("MapState{outcome}"), None);
        result
    }

    fn items(
        &mut self,
        map: Items<'_>,
        inputs: Vec<(Value, Value)>,
        tolerance: Tolerance,
        concurrency: Option<i64>,
        frame: &Frame,
    ) -> Result<Value, Failure> {
        let total = inputs.len();
        let tolerant = tolerance.count.is_some() || tolerance.percentage.is_some();
        let workers = match concurrency {
            Some(c) if c > 0 => (c as usize).min(self.opts.map_workers),
            _ => self.opts.map_workers,
        }
        .clamp(1, total.max(1));
        let mut done: Vec<Option<Iteration>> = if workers > 1 {
            self.run_items_concurrently(map, &inputs, frame, workers, tolerant)
        } else {
            Vec::new()
        };
        let mut out = Vec::with_capacity(total);
        let mut bytes = 2usize;
        let mut failed = 0u64;
        for (i, (item, input)) in inputs.into_iter().enumerate() {
            let result = match done.get_mut(i).and_then(Option::take) {
                Some(Iteration::Done(result, history)) => {
                    self.history.absorb(history);
                    result
                }
                Some(Iteration::NotStarted) => continue,
                None if self.halted() => Err(history_full()),
                None => self.iteration(map, i, item, input, frame),
            };
            if self.halted() {
                // Every event recorded on a worker counted: the history keeps them all.
                for d in done.iter_mut().filter_map(Option::take) {
                    if let Iteration::Done(_, history) = d {
                        self.history.absorb(history);
                    }
                }
                return Err(history_full());
            }
            let value = match result {
                Ok(v) => v,
                Err(e) if !tolerant => return Err(e),
                Err(e) => {
                    failed += 1;
                    e.output()
                }
            };
            // The results array is a payload too: stop as soon as it passes the limit.
            bytes += 1 + match limits::payload(&value) {
                Measure::Within { bytes, .. } => bytes,
                _ => limits::MAX_PAYLOAD_BYTES,
            };
            if bytes > limits::MAX_PAYLOAD_BYTES {
                return Err(Failure::result_too_large());
            }
            out.push(value);
        }
        if tolerant {
            let over_count = tolerance.count.is_some_and(|c| failed > c);
            let over_pct = tolerance
                .percentage
                .is_some_and(|p| total > 0 && (failed as f64) * 100.0 / (total as f64) > p);
            if over_count || over_pct {
                return Err(Failure::new(
                    "States.ExceedToleratedFailureThreshold",
                    "The specified tolerance threshold was exceeded.",
                ));
            }
        }
        Ok(Value::Array(out))
    }

    /// One item: inline, with its iteration events in this history; distributed, as a child
    /// execution with a history and an event budget of its own.
    fn iteration(
        &mut self,
        map: Items<'_>,
        i: usize,
        item: Value,
        input: Value,
        frame: &Frame,
    ) -> Result<Value, Failure> {
        let mut f = Frame {
            vars: frame.vars.clone(),
            map_item: Some((i, item)),
        };
        if map.distributed {
            let mut child = self.child(true);
            let result = child.machine(map.processor, input, &mut f);
            return if child.halted() {
                Err(history_full())
            } else {
                result
            };
        }
        let details = json!({"name": map.name, "index": i});
        self.event(
            "MapIterationStarted",
            Some(("mapIterationStartedEventDetails", details.clone())),
        );
        let result = self.machine(map.processor, input, &mut f);
        let (kind, key) = match result {
            Ok(_) => ("MapIterationSucceeded", "mapIterationSucceededEventDetails"),
            Err(_) => ("MapIterationFailed", "mapIterationFailedEventDetails"),
        };
        self.event(kind, Some((key, details)));
        result
    }

    /// Items taken in index order by `workers` threads, each iteration recording its own
    /// history (inline ones drawing on this execution's event budget). After a failure (when
    /// none is tolerated), or once the history is full, no further item starts.
    fn run_items_concurrently(
        &self,
        map: Items<'_>,
        inputs: &[(Value, Value)],
        frame: &Frame,
        workers: usize,
        tolerant: bool,
    ) -> Vec<Option<Iteration>> {
        use std::sync::Mutex;
        use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
        let results: Vec<Mutex<Option<Iteration>>> = (0..inputs.len())
            .map(|_| Mutex::new(Some(Iteration::NotStarted)))
            .collect();
        let next = AtomicUsize::new(0);
        let stop = AtomicBool::new(false);
        std::thread::scope(|scope| {
            for _ in 0..workers {
                scope.spawn(|| {
                    loop {
                        if stop.load(Ordering::SeqCst) || self.halted() {
                            break;
                        }
                        let i = next.fetch_add(1, Ordering::SeqCst);
                        let Some((item, input)) = inputs.get(i) else {
                            break;
                        };
                        let mut child = self.child(false);
                        let result = child.iteration(map, i, item.clone(), input.clone(), frame);
                        if result.is_err() && !tolerant {
                            stop.store(true, Ordering::SeqCst);
                        }
                        if let Ok(mut r) = results[i].lock() {
                            *r = Some(Iteration::Done(result, child.history));
                        }
                    }
                });
            }
        });
        results
            .into_iter()
            .map(|m| m.into_inner().ok().flatten())
            .collect()
    }

    /// Runs each branch on the same input, in order.
    pub(crate) fn parallel(
        &mut self,
        p: &ParallelState,
        input: Value,
        frame: &Frame,
    ) -> Result<Value, Failure> {
        self.event("ParallelStateStarted", None);
        let mut out = Vec::with_capacity(p.branches.len());
        let mut bytes = 2usize;
        for b in &p.branches {
            let mut f = Frame {
                vars: frame.vars.clone(),
                map_item: None,
            };
            let result = self.machine(b, input.clone(), &mut f).and_then(|v| {
                bytes += 1 + match limits::payload(&v) {
                    Measure::Within { bytes, .. } => bytes,
                    _ => limits::MAX_PAYLOAD_BYTES,
                };
                if bytes > limits::MAX_PAYLOAD_BYTES {
                    return Err(Failure::result_too_large());
                }
                Ok(v)
            });
            match result {
                Ok(v) => out.push(v),
                Err(e) => {
                    self.event(
                        "ParallelStateFailed",
                        Some((
                            "executionFailedEventDetails",
                            json!({"error": e.error, "cause": e.cause}),
                        )),
                    );
                    return Err(e);
                }
            }
        }
        self.event("ParallelStateSucceeded", None);
        Ok(Value::Array(out))
    }
}
