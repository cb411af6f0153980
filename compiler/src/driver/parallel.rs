//! Items → their results, computed on every core, in the items' order: the front end parses
//! files and checks the KPIs of a dependency level this way. Results never depend on how the
//! work was split, so output stays deterministic.

use std::num::NonZero;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Items a worker takes at a time: large enough that taking is cheap, small enough that one
/// slow item does not leave the other cores idle.
const BLOCK: usize = 8;

/// Below this many items, threads cost more than they save.
const MIN_ITEMS: usize = 2 * BLOCK;

/// Each worker's stack, as large as a main thread's: the parser and checker recurse as deep
/// on a worker as they would on the main thread.
const STACK_BYTES: usize = 8 << 20;

/// The cores this process may use, asked once: the standard library reads the cgroup's
/// quota from /proc and /sys on every call, and a check asks once per level.
fn cores() -> usize {
    static CORES: OnceLock<usize> = OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, NonZero::get))
}

/// `f` of every item, in order. A panic in `f` is resumed on the caller's thread.
pub fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let cores = cores();
    let workers = cores.min(items.len().div_ceil(BLOCK));
    if workers <= 1 || items.len() < MIN_ITEMS {
        return items.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let start = next.fetch_add(BLOCK, Ordering::Relaxed);
            if start >= items.len() {
                return done;
            }
            let end = (start + BLOCK).min(items.len());
            done.extend((start..end).map(|i| (i, f(&items[i]))));
        }
    };
    let mut slots: Vec<Option<R>> = std::iter::repeat_with(|| None).take(items.len()).collect();
    std::thread::scope(|scope| {
        // The calling thread works too; a worker that cannot be started leaves it the items.
        let helpers: Vec<_> = (1..workers)
            .filter_map(|_| {
                std::thread::Builder::new()
                    .stack_size(STACK_BYTES)
                    .spawn_scoped(scope, work)
                    .ok()
            })
            .collect();
        let mut finished = vec![work()];
        for helper in helpers {
            match helper.join() {
                Ok(done) => finished.push(done),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        for (i, result) in finished.into_iter().flatten() {
            slots[i] = Some(result);
        }
    });
    // Every index was taken by exactly one worker, so every slot is filled.
    slots.into_iter().flatten().collect()
}

/// Drops `items` on every core.
pub fn drop_all<T: Send>(mut items: Vec<T>) {
    let cores = cores();
    if cores <= 1 || items.len() < MIN_ITEMS {
        return;
    }
    let share = items.len().div_ceil(cores);
    std::thread::scope(|scope| {
        while items.len() > share {
            let tail = items.split_off(items.len() - share);
            // A worker that cannot be started drops its share here instead.
            let _ = std::thread::Builder::new().spawn_scoped(scope, move || drop(tail));
        }
        drop(std::mem::take(&mut items));
    });
}

#[cfg(test)]
mod tests {
    #[test]
    fn results_come_in_the_items_order() {
        let items: Vec<usize> = (0..1000).collect();
        let squares = super::map(&items, |i| i * i);
        assert_eq!(squares, items.iter().map(|i| i * i).collect::<Vec<_>>());
        assert_eq!(super::map(&items[..3], |i| i + 1), vec![1, 2, 3]);
        assert!(super::map(&[] as &[usize], |i| *i).is_empty());
    }

    #[test]
    #[should_panic(expected = "item 500")]
    fn a_panic_in_a_worker_reaches_the_caller() {
        let items: Vec<usize> = (0..1000).collect();
        super::map(&items, |i| {
            assert!(*i != 500, "item 500");
            *i
        });
    }
}
