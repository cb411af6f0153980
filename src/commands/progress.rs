//! `kpi run`'s progress on a terminal: the runtime's `Progress` events → indicatif bars, one
//! per level of the KPI DAG and one for the whole run with its rate and ETA. Hidden when stderr
//! is not a terminal, and with `--quiet`.

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use kpi_runtime::manifest::Manifest;
use kpi_runtime::run::Progress;
use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::sync::Mutex;

pub struct Bars<'a> {
    multi: MultiProgress,
    on: bool,
    manifest: &'a Manifest,
    /// Created when the run has planned: the total first, then one per level.
    bars: Mutex<Option<Planned>>,
}

struct Planned {
    total: ProgressBar,
    levels: BTreeMap<usize, ProgressBar>,
    failed: u64,
}

impl<'a> Bars<'a> {
    pub fn new(manifest: &'a Manifest) -> Bars<'a> {
        let on = std::io::stderr().is_terminal() && !crate::output::quiet();
        let target = if on {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        Bars {
            multi: MultiProgress::with_draw_target(target),
            on,
            manifest,
            bars: Mutex::new(None),
        }
    }

    fn style(&self, template: &str) -> ProgressStyle {
        let template = if crate::output::color() {
            template.replace("{bar:30}", "{bar:30.cyan/blue}")
        } else {
            template.to_string()
        };
        ProgressStyle::with_template(&template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .with_key(
                "rate",
                |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = write!(w, "{:.1}/s", state.per_sec());
                },
            )
            .progress_chars("=> ")
    }

    pub fn update(&self, event: Progress<'_>) {
        if !self.on {
            return;
        }
        let Ok(mut bars) = self.bars.lock() else {
            return;
        };
        match event {
            Progress::Planned {
                kpi_days,
                per_level,
                ..
            } => {
                let total = self.multi.add(ProgressBar::new(kpi_days as u64));
                total.set_style(self.style(
                    "{elapsed_precise} [{bar:30}] {pos}/{len} KPI-days  {rate}  ETA {eta}  {msg}",
                ));
                let mut levels = BTreeMap::new();
                for (level, due) in per_level {
                    let bar = self.multi.add(ProgressBar::new(due as u64));
                    bar.set_style(
                        self.style("  level {prefix:<3}    [{bar:30}] {pos}/{len}  {msg}"),
                    );
                    bar.set_prefix(level.to_string());
                    levels.insert(level, bar);
                }
                *bars = Some(Planned {
                    total,
                    levels,
                    failed: 0,
                });
            }
            Progress::Published { kpi, day } | Progress::Failed { kpi, day } => {
                let Some(planned) = bars.as_mut() else {
                    return;
                };
                let failed = matches!(event, Progress::Failed { .. });
                planned.failed += u64::from(failed);
                let level = self.manifest.kpi(kpi).map_or(0, |k| k.level);
                if let Some(bar) = planned.levels.get(&level) {
                    bar.inc(1);
                    bar.set_message(format!(
                        "{kpi} {day}{}",
                        if failed { " failed" } else { "" }
                    ));
                }
                planned.total.inc(1);
                if planned.failed > 0 {
                    planned
                        .total
                        .set_message(format!("{} failed", planned.failed));
                }
            }
        }
    }

    /// Takes the bars off the screen before the report is printed.
    pub fn finish(&self) {
        if let Ok(mut bars) = self.bars.lock()
            && let Some(planned) = bars.take()
        {
            for bar in planned.levels.values() {
                bar.finish_and_clear();
            }
            planned.total.finish_and_clear();
        }
        let _ = self.multi.clear();
    }
}
