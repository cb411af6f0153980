//! Lines over 64 KiB and 1 MiB, and the fuzz target's input shapes on seeded bytes, through
//! the whole compiler (check, render, and build when clean), each input on a 2 MiB stack and
//! within a time bound. The suite runs the fuzz target's shapes (`fuzz/src/one_input.rs`)
//! here as a bounded property test; `scripts/fuzz` runs the target itself.

use super::one_input;
use rand::{Rng, SeedableRng};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Longest one input may take through the whole compiler before it counts as a hang: far
/// above the slowest measured (5 s for a 1.1 MB `in` list, 12 s for 3 MiB), so a shared,
/// loaded machine does not make it flaky.
const PER_INPUT: Duration = Duration::from_secs(60);

/// Runs one project on a 2 MiB stack and fails if it panics or takes longer than
/// [`PER_INPUT`]. Returns what the compiler made of it and how long it took.
fn bounded(what: &str, project: one_input::Project) -> (one_input::Outcome, Duration) {
    let (done, outcome) = mpsc::channel();
    let started = Instant::now();
    let worker = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || {
            let outcome = one_input::run(&project);
            let _ = done.send(outcome);
        })
        .expect("thread");
    match outcome.recv_timeout(PER_INPUT) {
        Ok(outcome) => {
            worker.join().expect("no panic");
            (outcome, started.elapsed())
        }
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("{what}: still running after {PER_INPUT:?}"),
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            let _ = worker.join();
            panic!("{what}: the compiler panicked")
        }
    }
}

/// One shape, one length: what the whole compiler must make of it.
struct LongLine {
    what: &'static str,
    project: one_input::Project,
    /// The one error the check must report; `None`: it checks clean and is built, where only
    /// Athena and Step Functions limits (E07xx) may still refuse it.
    error: Option<&'static str>,
}

fn long_lines(len: usize) -> Vec<LongLine> {
    use one_input::*;
    let line = |p: &Project| {
        p.kpi
            .lines()
            .chain(p.catalogs.iter().map(|c| c.1.as_str()))
            .map(str::len)
            .max()
    };
    let case = |what, project, error| LongLine {
        what,
        project,
        error,
    };
    let cases = vec![
        case("unknown column", long_identifier(0, len, ""), Some("E0202")),
        case(
            "backquoted unknown column",
            long_identifier(1, len, "aé b"),
            Some("E0202"),
        ),
        case("alias", long_identifier(2, len, ""), None),
        case("measure name", long_identifier(3, len, ""), Some("E0608")),
        case("KPI name", long_identifier(4, len, ""), Some("E0608")),
        case("string literal", long_string(len), None),
        case("+ chain", long_plus_chain(len / 4), Some("E0002")),
        case("in list", long_in_list(len / 7, false), None),
        case(
            "in list with a number last",
            long_in_list(len / 7, true),
            Some("E0306"),
        ),
        case("one-line Glue snapshot", one_line_catalog(len, 0), None),
        case(
            "one-line Glue snapshot, many columns",
            one_line_catalog(0, len / 30),
            None,
        ),
    ];
    for case in &cases {
        assert!(
            line(&case.project) >= Some(len),
            "{}: the longest line is shorter than {len}",
            case.what
        );
    }
    cases
}

#[test]
fn lines_over_64_kib_and_1_mib_go_through_the_whole_compiler() {
    let mut slowest = Duration::ZERO;
    for len in [70_000, 1_100_000] {
        for case in long_lines(len) {
            let what = format!("{} over {len} bytes", case.what);
            let (outcome, took) = bounded(&what, case.project);
            eprintln!("{what}: {took:?}");
            slowest = slowest.max(took);
            match case.error {
                Some(code) => {
                    assert_eq!(outcome.errors, [code], "{what}");
                    assert_eq!(outcome.built, None, "{what}");
                }
                None => {
                    let built = outcome.built.unwrap_or(0);
                    assert!(built >= 9, "{what}: built {built} files, {outcome:?}");
                    let limits = outcome.errors.iter().all(|c| c.starts_with("E07"));
                    assert!(limits, "{what}: {:?}", outcome.errors);
                }
            }
        }
    }
    eprintln!("slowest long line: {slowest:?}");
}

#[test]
fn token_soup_on_one_long_line() {
    for (len, seed) in [(70_000, [3u8, 1, 4]), (1_100_000, [1, 5, 9])] {
        let (outcome, _) = bounded("token soup", one_input::token_soup_line(len, &seed));
        assert!(
            !outcome.errors.is_empty() || outcome.built.is_some(),
            "{outcome:?}"
        );
    }
}

/// The fuzz target's shapes on seeded random bytes: raw text in each file, mutations of the
/// pipelines KPIs, and long lines up to 1.25 MiB (3 MiB in the fuzz target; the suite keeps
/// to a size it runs in about half a minute on two cores). Counts what was built and rejected, so a
/// generator that stops reaching the build fails here.
#[test]
fn generated_projects_never_panic_overflow_or_hang() {
    let mut rng = rand::rngs::SmallRng::seed_from_u64(0x6c6f6e67);
    let (mut built, mut rejected, mut long) = (0, 0, 0);
    let started = Instant::now();
    let runs = 250;
    for i in 0..runs {
        let len = rng.random_range(1..48);
        let mut bytes: Vec<u8> = (0..len).map(|_| rng.random()).collect();
        // Mostly mutations of valid KPIs, which reach the build.
        if i % 2 == 0 {
            bytes[0] = 3;
        }
        let project = one_input::project_sized(&bytes, 5 << 18);
        let longest = project.kpi.lines().map(str::len).max().unwrap_or(0);
        if longest > 1 << 16 {
            long += 1;
        }
        let (outcome, _) = bounded(&format!("input {bytes:?}"), project);
        if outcome.built.is_some() {
            built += 1;
        } else {
            rejected += 1;
        }
    }
    eprintln!(
        "{runs} generated projects in {:?}: {built} built, {rejected} rejected, {long} with a line over 64 KiB",
        started.elapsed()
    );
    assert!(
        built >= runs / 10,
        "only {built} of {runs} reached the build"
    );
    assert!(
        long >= runs / 20,
        "only {long} of {runs} had a line over 64 KiB"
    );
}
