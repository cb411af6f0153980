//! The events of one execution, in the shape of `GetExecutionHistory` (id, previousEventId,
//! timestamp, type, and the type's details object), and the budget of events and event data
//! they draw from.

use super::limits::{MAX_HISTORY_DATA_BYTES, MAX_HISTORY_EVENTS};
use serde_json::{Map, Value, json};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

/// One history event.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEvent {
    pub id: u64,
    pub previous_event_id: u64,
    pub timestamp: String,
    /// The event type, e.g. `PassStateEntered`.
    pub kind: String,
    /// The details key (e.g. `stateEnteredEventDetails`) and object, if any.
    pub details: Option<(String, Value)>,
}

impl HistoryEvent {
    /// The event as `GetExecutionHistory` returns it.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("id".into(), json!(self.id));
        m.insert("previousEventId".into(), json!(self.previous_event_id));
        m.insert("timestamp".into(), json!(self.timestamp));
        m.insert("type".into(), json!(self.kind));
        if let Some((k, v)) = &self.details {
            m.insert(k.clone(), v.clone());
        }
        Value::Object(m)
    }
}

/// The events recorded so far.
#[derive(Debug, Default, Clone)]
pub struct History {
    pub events: Vec<HistoryEvent>,
    last: u64,
}

impl History {
    /// Records an event after the previous one; returns its id.
    pub fn push(&mut self, timestamp: String, kind: &str, details: Option<(&str, Value)>) -> u64 {
        let id = self.events.len() as u64 + 1;
        self.events.push(HistoryEvent {
            id,
            previous_event_id: self.last,
            timestamp,
            kind: kind.to_string(),
            details: details.map(|(k, v)| (k.to_string(), v)),
        });
        self.last = id;
        id
    }

    /// The id of the last event (0 before the first).
    pub fn last_id(&self) -> u64 {
        self.last
    }

    /// Appends the events of a history recorded apart (a Map iteration run on another
    /// thread), renumbered to follow this one's.
    pub fn absorb(&mut self, other: History) {
        let base = self.events.len() as u64;
        for e in other.events {
            let id = e.id + base;
            let previous_event_id = if e.previous_event_id == 0 {
                self.last
            } else {
                e.previous_event_id + base
            };
            self.events.push(HistoryEvent {
                id,
                previous_event_id,
                ..e
            });
            self.last = id;
        }
    }

    /// The whole history as `{"events": [...]}`.
    pub fn to_json(&self) -> Value {
        json!({ "events": self.events.iter().map(HistoryEvent::to_json).collect::<Vec<_>>() })
    }
}

/// A JSON value as the text AWS puts in history details.
pub fn text(v: &Value) -> Value {
    Value::String(v.to_string())
}

impl Budget {
    /// `text(v)`, or null (dropped as truncated) once no more event data is kept.
    pub fn text(&self, v: &Value) -> Value {
        if self.data_spent() {
            Value::Null
        } else {
            text(v)
        }
    }
}

/// What one execution's histories draw from, shared by the threads of its inline Map
/// iterations (a distributed Map's child executions have budgets of their own): 24,999 events
/// before the last one, and the event data kept in full.
#[derive(Debug, Default)]
pub(crate) struct Budget {
    events: AtomicU64,
    data: AtomicUsize,
    exhausted: AtomicBool,
}

impl Budget {
    /// Takes one event; false, and exhausted from then on, once 24,999 are taken. The last
    /// event (`ExecutionSucceeded` or `ExecutionFailed`) takes none, so it is at most 25,000th.
    pub fn take_event(&self) -> bool {
        let taken = self
            .events
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n + 1 < MAX_HISTORY_EVENTS).then_some(n + 1)
            })
            .is_ok();
        if !taken {
            self.exhausted.store(true, Ordering::SeqCst);
        }
        taken
    }

    /// Whether an event was refused: the execution must end.
    pub fn exhausted(&self) -> bool {
        self.exhausted.load(Ordering::SeqCst)
    }

    /// Whether event data is no longer kept: then it need not even be printed.
    pub fn data_spent(&self) -> bool {
        self.data.load(Ordering::SeqCst) >= MAX_HISTORY_DATA_BYTES
    }

    /// Takes `bytes` of event data; false once the data budget is spent.
    fn take_data(&self, bytes: usize) -> bool {
        let taken = self
            .data
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |d| {
                (d + bytes <= MAX_HISTORY_DATA_BYTES).then_some(d + bytes)
            })
            .is_ok();
        if !taken {
            // Spent for good: later data is not even printed.
            self.data.store(MAX_HISTORY_DATA_BYTES, Ordering::SeqCst);
        }
        taken
    }

    /// The details of an event, their data dropped (and marked truncated) once the budget
    /// for it is spent.
    pub fn details(&self, mut details: Value) -> Value {
        const DATA: [&str; 3] = ["input", "output", "parameters"];
        let Value::Object(m) = &mut details else {
            return details;
        };
        let bytes: usize = DATA
            .iter()
            .filter_map(|k| m.get(*k).and_then(Value::as_str))
            .map(str::len)
            .sum();
        // Data left unprinted (null) because the budget was spent is dropped the same way.
        let unprinted = DATA.iter().any(|k| m.get(*k).is_some_and(Value::is_null));
        if unprinted || (bytes > 0 && !self.take_data(bytes)) {
            for k in DATA {
                if m.remove(k).is_some() {
                    m.insert(format!("{k}Details"), json!({"truncated": true}));
                }
            }
        }
        details
    }
}
