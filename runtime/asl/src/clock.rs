//! Time for the interpreter: a real clock, and a virtual one that advances instantly so that
//! Wait states and retry back-off cost no time in tests (the time waited is recorded).

use chrono::{DateTime, Utc};
use std::sync::Mutex;
use std::time::Duration;

/// Where the interpreter gets the time and how it waits.
pub trait Clock: Send + Sync {
    /// The current time.
    fn now(&self) -> DateTime<Utc>;
    /// Waits for `d`.
    fn sleep(&self, d: Duration);
}

/// The system clock; `sleep` blocks the thread.
#[derive(Debug, Default, Clone, Copy)]
pub struct RealClock;

impl Clock for RealClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    fn sleep(&self, d: Duration) {
        std::thread::sleep(d);
    }
}

/// A clock that starts at a fixed time and advances only when slept on, instantly.
#[derive(Debug)]
pub struct VirtualClock {
    start: DateTime<Utc>,
    waited: Mutex<Duration>,
}

impl VirtualClock {
    /// A virtual clock starting at `start`.
    pub fn new(start: DateTime<Utc>) -> VirtualClock {
        VirtualClock {
            start,
            waited: Mutex::new(Duration::ZERO),
        }
    }

    /// A virtual clock starting at the real current time.
    pub fn starting_now() -> VirtualClock {
        VirtualClock::new(Utc::now())
    }

    /// The total virtual time slept so far.
    pub fn waited(&self) -> Duration {
        match self.waited.lock() {
            Ok(w) => *w,
            Err(poisoned) => *poisoned.into_inner(),
        }
    }
}

impl Clock for VirtualClock {
    fn now(&self) -> DateTime<Utc> {
        // A wait of years on end saturates at the latest representable time.
        chrono::Duration::from_std(self.waited())
            .ok()
            .and_then(|w| self.start.checked_add_signed(w))
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    }

    fn sleep(&self, d: Duration) {
        let mut w = match self.waited.lock() {
            Ok(w) => w,
            Err(poisoned) => poisoned.into_inner(),
        };
        *w = w.saturating_add(d);
    }
}
