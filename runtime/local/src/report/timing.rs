//! Where a run's time went: its records on one clock → the time covered by at least one
//! record, what the rest of the wall time was, lanes for a timeline, time per phase, and the
//! critical path through the state machine's stages.

use std::collections::BTreeMap;

/// An interval in milliseconds since the run started.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Span {
    pub start: f64,
    pub end: f64,
}

impl Span {
    pub fn len(self) -> f64 {
        (self.end - self.start).max(0.0)
    }
}

/// The time covered by at least one span (overlaps counted once).
pub fn covered_ms(spans: &[Span]) -> f64 {
    let mut sorted: Vec<Span> = spans.to_vec();
    sorted.sort_by(|a, b| a.start.total_cmp(&b.start));
    let mut total = 0.0;
    let mut current: Option<Span> = None;
    for s in sorted {
        current = match current {
            Some(c) if s.start <= c.end => Some(Span {
                start: c.start,
                end: c.end.max(s.end),
            }),
            Some(c) => {
                total += c.len();
                Some(s)
            }
            None => Some(s),
        };
    }
    total + current.map_or(0.0, Span::len)
}

/// The wall time no span covers, in three parts, so that
/// `before + between + after + covered_ms(spans) == wall`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Uncovered {
    /// Before the first span: planning the run, opening the engine, staging the sources.
    pub before: f64,
    /// Between the first span's start and the last one's end: the state machine itself
    /// (choosing states, evaluating JSONata, a Map waiting for its slowest item).
    pub between: f64,
    /// After the last span ends: reading the catalog back and building the report.
    pub after: f64,
}

pub fn uncovered(spans: &[Span], wall: f64) -> Uncovered {
    let first = spans.iter().map(|s| s.start).fold(f64::INFINITY, f64::min);
    let last = spans
        .iter()
        .map(|s| s.end)
        .fold(f64::NEG_INFINITY, f64::max);
    if spans.is_empty() {
        return Uncovered {
            before: wall.max(0.0),
            between: 0.0,
            after: 0.0,
        };
    }
    let before = first.clamp(0.0, wall);
    let after = (wall - last).max(0.0);
    Uncovered {
        before,
        between: (wall - before - after - covered_ms(spans)).max(0.0),
        after,
    }
}

/// A lane per span, in the spans' order: taken by start time, each goes to the lowest lane
/// free at its start (an interval ending exactly then frees it). For intervals this uses as
/// few lanes as the most spans ever running at once, so with the run's queries it is one lane
/// per busy worker, whichever connection ran them.
pub fn pack_lanes(spans: &[Span]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..spans.len()).collect();
    order.sort_by(|&a, &b| {
        spans[a]
            .start
            .total_cmp(&spans[b].start)
            .then(spans[a].end.total_cmp(&spans[b].end))
    });
    let mut lane_ends: Vec<f64> = Vec::new();
    let mut lanes = vec![0; spans.len()];
    for i in order {
        let s = spans[i];
        let lane = match lane_ends.iter().position(|&end| end <= s.start) {
            Some(free) => free,
            None => {
                lane_ends.push(f64::NEG_INFINITY);
                lane_ends.len() - 1
            }
        };
        lane_ends[lane] = s.end;
        lanes[i] = lane;
    }
    lanes
}

/// The order phases are shown in; a role not listed comes after these, by name.
pub const PHASES: [&str; 4] = ["setup", "write", "check", "publish"];

/// Milliseconds per role of `(role, duration)` pairs, in [`PHASES`] order, only roles present.
pub fn phase_totals<'a>(records: impl IntoIterator<Item = (&'a str, f64)>) -> Vec<(String, f64)> {
    let mut totals: BTreeMap<(usize, &str), f64> = BTreeMap::new();
    for (role, ms) in records {
        let rank = PHASES
            .iter()
            .position(|p| *p == role)
            .unwrap_or(PHASES.len());
        *totals.entry((rank, role)).or_default() += ms;
    }
    totals
        .into_iter()
        .map(|((_, role), ms)| (role.to_string(), ms))
        .collect()
}

/// A stage of the state machine: every KPI's setup, then one level of the KPI graph after
/// another. A stage starts only when the one before has ended, in every execution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stage {
    Setup,
    Level(usize),
}

/// A record as the critical path sees it.
#[derive(Debug, Clone)]
pub struct Timed<'a> {
    pub kpi: &'a str,
    pub stage: Stage,
    pub span: Span,
}

/// One stage of one execution on the critical path.
#[derive(Debug, Clone, PartialEq)]
pub struct StageSpan {
    /// Index into the run's executions.
    pub execution: usize,
    pub stage: Stage,
    /// From its first record's start to its last record's end.
    pub span: Span,
    /// The KPI whose record ends last: the one the next stage waits for.
    pub longest: String,
    /// Distinct KPIs with records in the stage.
    pub kpis: usize,
}

/// The critical path of a run. The state machine runs its stages one after another (setup,
/// level 0, level 1, …) and each stage is a Map that ends when its last item ends, so within
/// one execution the KPI whose last record ends last in a stage decides when the next stage
/// can start. The critical path is the chain of those stages, each with that KPI; executions
/// run one after another, so the run's path is theirs end to end. A KPI's critical-path time
/// is the length of the stages it ends last; shortening any other KPI does not make the run
/// finish sooner.
///
/// A record belongs to the execution whose window holds its start (the first one when none
/// does, as when `executions` is empty).
pub fn critical_path(records: &[Timed<'_>], executions: &[Span]) -> Vec<StageSpan> {
    let mut stages: BTreeMap<(usize, Stage), Vec<&Timed<'_>>> = BTreeMap::new();
    for r in records {
        let execution = executions
            .iter()
            .position(|e| e.start <= r.span.start && r.span.start <= e.end)
            .unwrap_or(0);
        stages.entry((execution, r.stage)).or_default().push(r);
    }
    stages
        .into_iter()
        .filter_map(|((execution, stage), rs)| {
            let start = rs
                .iter()
                .map(|r| r.span.start)
                .fold(f64::INFINITY, f64::min);
            let last = rs.iter().max_by(|a, b| a.span.end.total_cmp(&b.span.end))?;
            let mut names: Vec<&str> = rs.iter().map(|r| r.kpi).collect();
            names.sort_unstable();
            names.dedup();
            Some(StageSpan {
                execution,
                stage,
                span: Span {
                    start,
                    end: last.span.end,
                },
                longest: last.kpi.to_string(),
                kpis: names.len(),
            })
        })
        .collect()
}

/// Milliseconds of the critical path each KPI accounts for (only KPIs that end a stage).
pub fn critical_ms_by_kpi(path: &[StageSpan]) -> BTreeMap<&str, f64> {
    let mut by_kpi: BTreeMap<&str, f64> = BTreeMap::new();
    for s in path {
        *by_kpi.entry(s.longest.as_str()).or_default() += s.span.len();
    }
    by_kpi
}

/// Ticks for an axis from 0 to `wall` ms: a step of 1, 2 or 5 times a power of ten
/// milliseconds (at least 1 ms), the smallest that gives at most `most` intervals.
pub fn ticks_ms(wall: f64, most: usize) -> Vec<f64> {
    if wall <= 0.0 || most == 0 {
        return vec![0.0];
    }
    let mut exponent = 0;
    let step = loop {
        let power = 10f64.powi(exponent);
        if let Some(step) = [1.0, 2.0, 5.0]
            .iter()
            .map(|m| m * power)
            .find(|step| wall / step <= most as f64)
        {
            break step;
        }
        exponent += 1;
    };
    (0..)
        .map(|i| i as f64 * step)
        .take_while(|t| *t <= wall + 1e-9)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(start: f64, end: f64) -> Span {
        Span { start, end }
    }

    #[test]
    fn overlapping_spans_are_covered_once() {
        // [0,10] ∪ [5,15] = [0,15]; [20,30] alone; [25,26] inside it; touching [30,32].
        let spans = [
            span(20.0, 30.0),
            span(0.0, 10.0),
            span(5.0, 15.0),
            span(25.0, 26.0),
            span(30.0, 32.0),
        ];
        assert_eq!(covered_ms(&spans), 15.0 + 12.0);
        assert_eq!(covered_ms(&[]), 0.0);
    }

    #[test]
    fn the_wall_time_no_record_covers_is_split_before_between_and_after() {
        // Wall 100: the first record starts at 12, the last ends at 80.
        let spans = [
            span(12.0, 27.0),
            span(20.0, 24.0),
            span(40.0, 52.0),
            span(70.0, 80.0),
        ];
        // Covered: [12,27] = 15, [40,52] = 12, [70,80] = 10 → 37. Gaps inside: 27..40 (13)
        // and 52..70 (18) = 31.
        let u = uncovered(&spans, 100.0);
        assert_eq!(
            u,
            Uncovered {
                before: 12.0,
                between: 31.0,
                after: 20.0
            }
        );
        assert_eq!(u.before + u.between + u.after + covered_ms(&spans), 100.0);
        assert_eq!(uncovered(&[], 7.0).before, 7.0);
    }

    #[test]
    fn lanes_are_as_few_as_the_most_spans_at_once() {
        // A 0..10, B 2..4, C 4..6 (B's lane is free at 4), D 5..12, E 10..11 (A's lane).
        let spans = [
            span(0.0, 10.0),
            span(2.0, 4.0),
            span(4.0, 6.0),
            span(5.0, 12.0),
            span(10.0, 11.0),
        ];
        assert_eq!(pack_lanes(&spans), vec![0, 1, 1, 2, 0]);
        // Given in another order, the lanes follow the spans, not the input.
        assert_eq!(
            pack_lanes(&[spans[4], spans[0], spans[3], spans[1]]),
            vec![0, 0, 1, 1]
        );
    }

    #[test]
    fn phases_are_summed_per_role_in_their_order() {
        let records = [
            ("check", 3.0),
            ("write", 10.0),
            ("publish", 1.5),
            ("write", 20.0),
            ("vacuum", 2.0),
            ("check", 4.0),
        ];
        assert_eq!(
            phase_totals(records),
            vec![
                ("write".to_string(), 30.0),
                ("check".to_string(), 7.0),
                ("publish".to_string(), 1.5),
                ("vacuum".to_string(), 2.0)
            ]
        );
    }

    #[test]
    fn the_kpi_ending_each_stage_last_is_on_the_critical_path() {
        let t = |kpi, stage, start, end| Timed {
            kpi,
            stage,
            span: span(start, end),
        };
        // Execution 0 (0..100): setup 1..5 (b ends last), level 0 10..60 (a's check ends at
        // 60 though b's single query is longer), level 1 62..90 (c). Execution 1 (100..200):
        // level 0 110..150, b.
        let records = [
            t("a", Stage::Setup, 1.0, 3.0),
            t("b", Stage::Setup, 1.0, 5.0),
            t("a", Stage::Level(0), 10.0, 30.0),
            t("b", Stage::Level(0), 10.0, 55.0),
            t("a", Stage::Level(0), 30.0, 60.0),
            t("c", Stage::Level(1), 62.0, 90.0),
            t("a", Stage::Level(0), 110.0, 120.0),
            t("b", Stage::Level(0), 110.0, 150.0),
        ];
        let path = critical_path(&records, &[span(0.0, 100.0), span(100.0, 200.0)]);
        let summary: Vec<(usize, Stage, f64, &str, usize)> = path
            .iter()
            .map(|s| {
                (
                    s.execution,
                    s.stage,
                    s.span.len(),
                    s.longest.as_str(),
                    s.kpis,
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                (0, Stage::Setup, 4.0, "b", 2),
                (0, Stage::Level(0), 50.0, "a", 2),
                (0, Stage::Level(1), 28.0, "c", 1),
                (1, Stage::Level(0), 40.0, "b", 2),
            ]
        );
        let by_kpi = critical_ms_by_kpi(&path);
        assert_eq!(by_kpi["a"], 50.0);
        assert_eq!(by_kpi["b"], 44.0);
        assert_eq!(by_kpi["c"], 28.0);
    }

    #[test]
    fn axis_ticks_step_by_one_two_or_five() {
        assert_eq!(
            ticks_ms(4_100.0, 5),
            vec![0.0, 1000.0, 2000.0, 3000.0, 4000.0]
        );
        assert_eq!(ticks_ms(4_100.0, 10).len(), 9);
        assert_eq!(
            ticks_ms(13_000.0, 8),
            vec![0.0, 2000.0, 4000.0, 6000.0, 8000.0, 10000.0, 12000.0]
        );
        assert_eq!(
            ticks_ms(45_000.0, 10),
            (0..10).map(|i| i as f64 * 5000.0).collect::<Vec<_>>()
        );
        assert_eq!(
            ticks_ms(300.0, 10),
            (0..7).map(|i| i as f64 * 50.0).collect::<Vec<_>>()
        );
        assert_eq!(ticks_ms(0.0, 10), vec![0.0]);
    }
}
