//! The events of one execution, in the shape of `GetExecutionHistory` (id, previousEventId,
//! timestamp, type, and the type's details object).

use serde_json::{Map, Value, json};

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
