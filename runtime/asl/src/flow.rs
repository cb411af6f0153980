//! Map and Parallel states: their items or branches, run in order, into the array of results,
//! with Map's concurrency and tolerated-failure settings and their AWS error wording.

use super::definition::{MapState, ParallelState, StateMachine};
use super::error::Failure;
use super::history::History;
use super::interp::{Frame, Run};
use super::template::{Scope, resolve, template};
use serde_json::{Value, json};

/// How many failed items a Map tolerates.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Tolerance {
    pub count: Option<u64>,
    pub percentage: Option<f64>,
}

fn quoted(v: &Value) -> String {
    match v {
        Value::String(s) => format!("\"{s}\""),
        other => format!("\"{other}\""),
    }
}

fn as_int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn as_float(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Reads the literal or `...Path` form of an integer Map setting.
fn int_setting(
    lit: Option<&Value>,
    path: Option<&str>,
    field: &str,
    scope: Scope<'_>,
) -> Result<Option<i64>, Failure> {
    if let Some(p) = path {
        let v = resolve(p, scope)?;
        return as_int(&v).map(Some).ok_or_else(|| {
            Failure::runtime(format!(
                "The {field}Path field refers to value {} which is not a valid integer: {p}",
                quoted(&v)
            ))
        });
    }
    match lit {
        None => Ok(None),
        Some(v) => as_int(v)
            .map(Some)
            .ok_or_else(|| Failure::runtime(format!("{field} must be an integer"))),
    }
}

/// A Map item (its value and its input) and, when it ran on another thread, its result and
/// the events it recorded.
type Iteration = ((Value, Value), Option<(Result<Value, Failure>, History)>);

impl Run<'_> {
    /// The Map settings that JSONPath mode reads from the state input.
    pub(crate) fn map_settings(
        &self,
        m: &MapState,
        scope: Scope<'_>,
    ) -> Result<(Option<i64>, Tolerance), Failure> {
        let conc = int_setting(
            m.max_concurrency.as_ref(),
            m.max_concurrency_path.as_deref(),
            "MaxConcurrency",
            scope,
        )?;
        if conc.is_some_and(|c| c < 0) {
            return Err(Failure::runtime("MaxConcurrency cannot be negative."));
        }
        let count = int_setting(
            m.tolerated_failure_count.as_ref(),
            m.tolerated_failure_count_path.as_deref(),
            "ToleratedFailureCount",
            scope,
        )?;
        if count.is_some_and(|c| c < 0) {
            return Err(Failure::runtime(
                "ToleratedFailureCount cannot be negative.",
            ));
        }
        let percentage = match (
            &m.tolerated_failure_percentage_path,
            &m.tolerated_failure_percentage,
        ) {
            (Some(p), _) => {
                let v = resolve(p, scope)?;
                Some(as_float(&v).ok_or_else(|| {
                    Failure::runtime(format!(
                        "The ToleratedFailurePercentagePath field refers to value {} which is not a valid float: {p}",
                        quoted(&v)
                    ))
                })?)
            }
            (None, Some(v)) => {
                Some(as_float(v).ok_or_else(|| {
                    Failure::runtime("ToleratedFailurePercentage must be a number")
                })?)
            }
            (None, None) => None,
        };
        if percentage.is_some_and(|p| !(0.0..=100.0).contains(&p)) {
            return Err(Failure::runtime(
                "ToleratedFailurePercentage must be between 0 and 100.",
            ));
        }
        Ok((
            conc,
            Tolerance {
                count: count.map(|c| c as u64),
                percentage,
            },
        ))
    }

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
                        o.insert("Map".into(), json!({"Item": {"Index": i, "Value": item}}));
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
        self.iterate(&m.processor, inputs, tolerance, concurrency, frame)
    }

    /// Runs each item through the processor: in order, or on up to `Options::map_workers`
    /// threads (never more than the state's MaxConcurrency). Either way the history holds
    /// each iteration's events together, in item order, and the first failing item (by index)
    /// fails the Map.
    pub(crate) fn iterate(
        &mut self,
        processor: &StateMachine,
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
        let tolerant = tolerance.count.is_some() || tolerance.percentage.is_some();
        let workers = match concurrency {
            Some(c) if c > 0 => (c as usize).min(self.opts.map_workers),
            _ => self.opts.map_workers,
        }
        .clamp(1, total.max(1));
        let mut out = Vec::with_capacity(total);
        let mut failed = 0u64;
        let outcomes = if workers > 1 {
            self.run_items_concurrently(processor, inputs, frame, workers, tolerant)
        } else {
            inputs.into_iter().map(|x| Some((x, None))).collect()
        };
        for (i, outcome) in outcomes.into_iter().enumerate() {
            let Some(((item, input), done)) = outcome else {
                continue;
            };
            let details = json!({"name": "Map", "index": i});
            self.event(
                "MapIterationStarted",
                Some(("mapIterationStartedEventDetails", details.clone())),
            );
            let result = match done {
                // Run on another thread: its events join the history here.
                Some((result, history)) => {
                    self.history.absorb(history);
                    result
                }
                None => {
                    let mut f = Frame {
                        vars: frame.vars.clone(),
                        map_item: Some((i, item)),
                    };
                    self.machine(processor, input, &mut f)
                }
            };
            match result {
                Ok(v) => {
                    self.event(
                        "MapIterationSucceeded",
                        Some(("mapIterationSucceededEventDetails", details)),
                    );
                    out.push(v);
                }
                Err(e) => {
                    self.event(
                        "MapIterationFailed",
                        Some(("mapIterationFailedEventDetails", details)),
                    );
                    if !tolerant {
                        self.event("MapStateFailed", None);
                        return Err(e);
                    }
                    failed += 1;
                    out.push(e.output());
                }
            }
        }
        if tolerant {
            let over_count = tolerance.count.is_some_and(|c| failed > c);
            let over_pct = tolerance
                .percentage
                .is_some_and(|p| total > 0 && (failed as f64) * 100.0 / (total as f64) > p);
            if over_count || over_pct {
                self.event("MapStateFailed", None);
                return Err(Failure::new(
                    "States.ExceedToleratedFailureThreshold",
                    "The specified tolerance threshold was exceeded.",
                ));
            }
        }
        self.event("MapStateSucceeded", None);
        Ok(Value::Array(out))
    }

    /// Items taken in index order by `workers` threads, each iteration recording its own
    /// history. After a failure (when none is tolerated) no further item starts; the items
    /// never started are `None`.
    fn run_items_concurrently(
        &self,
        processor: &StateMachine,
        inputs: Vec<(Value, Value)>,
        frame: &Frame,
        workers: usize,
        tolerant: bool,
    ) -> Vec<Option<Iteration>> {
        use std::sync::Mutex;
        use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
        let total = inputs.len();
        let slots: Vec<Mutex<Option<(Value, Value)>>> =
            inputs.into_iter().map(|x| Mutex::new(Some(x))).collect();
        let results: Vec<Mutex<Option<Iteration>>> = (0..total).map(|_| Mutex::new(None)).collect();
        let next = AtomicUsize::new(0);
        let stop = AtomicBool::new(false);
        std::thread::scope(|scope| {
            for _ in 0..workers {
                scope.spawn(|| {
                    loop {
                        if stop.load(Ordering::SeqCst) {
                            break;
                        }
                        let i = next.fetch_add(1, Ordering::SeqCst);
                        if i >= total {
                            break;
                        }
                        let Some((item, input)) = slots[i].lock().ok().and_then(|mut s| s.take())
                        else {
                            continue;
                        };
                        let mut child = self.child();
                        let mut f = Frame {
                            vars: frame.vars.clone(),
                            map_item: Some((i, item.clone())),
                        };
                        let result = child.machine(processor, input.clone(), &mut f);
                        if result.is_err() && !tolerant {
                            stop.store(true, Ordering::SeqCst);
                        }
                        if let Ok(mut r) = results[i].lock() {
                            *r = Some(((item, input), Some((result, child.history))));
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
        for b in &p.branches {
            let mut f = Frame {
                vars: frame.vars.clone(),
                map_item: None,
            };
            match self.machine(b, input.clone(), &mut f) {
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
