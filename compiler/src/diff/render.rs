//! A [`Diff`] → text for people: GitHub-flavoured markdown (a summary table first, the rest in
//! `<details>`) for a pull request comment, or plain text for a terminal. Every word and
//! number is chosen here; the minijinja templates only lay them out.

use super::render_data::{DataView, data_view};
use super::{Backfill, Change, ColumnChangeKind, Diff, Nature};
use minijinja::{Environment, UndefinedBehavior};
use serde::Serialize;

#[derive(Serialize)]
struct View {
    title: String,
    /// The widest KPI name, for the text layout's columns.
    width: usize,
    verdict: String,
    rows: Vec<Row>,
    settings: Vec<Line>,
    history: Vec<String>,
    drift: Vec<Line>,
    errors: Vec<String>,
    details: Vec<Detail>,
    fingerprint_only: String,
    backfill: Vec<String>,
    backfill_rows: Vec<BackfillRow>,
    /// `kpi diff --data`: none without it.
    data: Option<DataView>,
    /// `kpi diff --artifacts`: none without it.
    artifacts: Option<ArtifactsView>,
}

#[derive(Serialize)]
struct ArtifactsView {
    head: String,
    files: Vec<ArtifactView>,
    /// In markdown, what was cut to fit a comment.
    cut: String,
}

#[derive(Serialize)]
struct ArtifactView {
    /// `athena/stickiness/03_write.sql: changed, +3 −1`.
    summary: String,
    path: String,
    unified: String,
}

/// GitHub refuses comments over 65,536 characters: the artifacts' diffs get at most this much
/// of a markdown comment, whole files first, and a note of what was left out.
const MARKDOWN_ARTIFACT_CHARS: usize = 40_000;

fn artifacts_view(files: &[super::ArtifactDiff], budget: Option<usize>) -> ArtifactsView {
    let head = match files.len() {
        0 => "Generated files: none differs".to_string(),
        1 => "Generated files: 1 differs".to_string(),
        n => format!("Generated files: {n} differ"),
    };
    let mut used = 0;
    let mut out = Vec::new();
    let mut left_out = Vec::new();
    for f in files {
        let change = match f.change {
            Change::Added => "added",
            Change::Removed => "removed",
            Change::Changed => "changed",
        };
        let summary = format!(
            "{}: {change}, +{} −{}",
            f.path, f.added_lines, f.removed_lines
        );
        if budget.is_some_and(|b| used + f.unified.len() > b) {
            left_out.push(f.path.clone());
            continue;
        }
        used += f.unified.len();
        out.push(ArtifactView {
            summary,
            path: f.path.clone(),
            unified: f.unified.clone(),
        });
    }
    let cut = match left_out.len() {
        0 => String::new(),
        n => format!(
            "{n} more file(s) left out to fit the comment ({}); `kpi diff --artifacts` prints them all.",
            left_out.join(", ")
        ),
    };
    ArtifactsView {
        head,
        files: out,
        cut,
    }
}

#[derive(Serialize)]
struct BackfillRow {
    kpi: String,
    days: u64,
    chunks: usize,
    queries: u64,
    bytes: String,
    dollars: String,
    /// The same, in words.
    line: String,
}

#[derive(Serialize)]
struct Row {
    kpi: String,
    change: String,
    nature: String,
    breaking: String,
    downstream: String,
    recompute: String,
}

#[derive(Serialize)]
struct Line {
    head: String,
    items: Vec<String>,
}

#[derive(Serialize)]
struct Detail {
    kpi: String,
    summary: String,
    reasons: Vec<String>,
    schema: Vec<String>,
    downstream: Vec<String>,
}

fn change_word(c: Change) -> &'static str {
    match c {
        Change::Added => "added",
        Change::Removed => "removed",
        Change::Changed => "changed",
    }
}

fn nature_word(n: Nature) -> &'static str {
    match n {
        Nature::Semantic => "semantic",
        Nature::Metadata => "metadata",
        Nature::Cosmetic => "cosmetic",
    }
}

fn column_word(c: ColumnChangeKind) -> &'static str {
    match c {
        ColumnChangeKind::Added => "added",
        ColumnChangeKind::Removed => "removed",
        ColumnChangeKind::Retyped => "retyped",
        ColumnChangeKind::Meaning => "computed differently",
    }
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `1.2 GB`: decimal units, as Athena bills.
fn bytes_text(bytes: u64) -> String {
    let units = [
        (1_000_000_000_000, "TB"),
        (1_000_000_000, "GB"),
        (1_000_000, "MB"),
        (1_000, "kB"),
    ];
    for (size, unit) in units {
        if bytes >= size {
            return format!("{:.1} {unit}", bytes as f64 / size as f64);
        }
    }
    format!("{bytes} B")
}

fn duration_text(seconds: u64) -> String {
    match seconds {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min {} s", s / 60, s % 60),
        s => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    }
}

fn view(diff: &Diff, budget: Option<usize>) -> View {
    let semantic = diff
        .kpis
        .iter()
        .filter(|k| k.nature == Nature::Semantic)
        .count();
    let verdict = if !diff.errors.is_empty() {
        format!(
            "The head does not check ({}), so its KPIs cannot be compared.",
            plural(diff.errors.len() as u64, "error", "errors")
        )
    } else if diff.kpis.is_empty() && diff.settings.is_empty() && diff.drift.is_empty() {
        "No KPI changes.".to_string()
    } else if diff.semantic {
        format!(
            "Semantic change: {} of {} compute differently{}.",
            plural(semantic as u64, "KPI", "KPIs"),
            diff.head.kpis,
            if diff.breaking {
                "; breaking for readers"
            } else {
                ""
            }
        )
    } else {
        "No semantic change: only documentation, text or layout.".to_string()
    };
    let rows = diff
        .kpis
        .iter()
        .map(|k| Row {
            kpi: k.name.clone(),
            change: change_word(k.change).into(),
            nature: nature_word(k.nature).into(),
            breaking: if k.breaking { "yes" } else { "no" }.into(),
            downstream: {
                let must = k.downstream.iter().filter(|d| d.must_recompute).count();
                match k.downstream.len() {
                    0 => String::new(),
                    n => format!("{n} ({must} must recompute)"),
                }
            },
            recompute: if k.recompute { "yes" } else { "no" }.into(),
        })
        .collect();
    let settings = diff
        .settings
        .iter()
        .map(|s| Line {
            head: format!("`{}`: {} → {}", s.setting, s.base, s.head),
            items: vec![s.effect.clone()],
        })
        .collect();
    let mut history = Vec::new();
    if let Some(h) = &diff.history {
        history.push(format!(
            "`history_start` moves from {} to {}.",
            h.base, h.head
        ));
        if let Some(r) = h.added {
            history.push(format!(
                "Days added: {r} ({}).",
                plural(r.len().into(), "day", "days")
            ));
        }
        if let Some(r) = h.removed {
            history.push(format!(
                "Days removed: {r} ({}); their partitions stay until deleted.",
                plural(r.len().into(), "day", "days")
            ));
        }
        for c in &h.cut {
            history.push(format!(
                "`{}`: windows cut differently on {}.",
                c.kpi, c.days
            ));
        }
    }
    let drift = diff
        .drift
        .iter()
        .map(|t| {
            let mut items: Vec<String> = t
                .columns
                .iter()
                .map(|c| match (&c.base, &c.head) {
                    (Some(b), Some(h)) => {
                        format!("`{}` {}: `{b}` → `{h}`", c.column, column_word(c.change))
                    }
                    (Some(ty), None) | (None, Some(ty)) => format!(
                        "`{}` {} (`{ty}`){}",
                        c.column,
                        column_word(c.change),
                        c.renames
                            .as_ref()
                            .map_or_else(String::new, |old| format!(": perhaps `{old}` renamed"))
                    ),
                    (None, None) => format!("`{}` {}", c.column, column_word(c.change)),
                })
                .collect();
            if !t.read_by.is_empty() {
                let names: Vec<String> = t.read_by.iter().map(|k| format!("`{k}`")).collect();
                items.push(format!("read by {}", names.join(", ")));
            }
            Line {
                head: format!("`{}` {}", t.table, change_word(t.change)),
                items,
            }
        })
        .collect();
    let errors = diff
        .errors
        .iter()
        .map(|e| {
            let at = match (&e.file, e.line, e.column) {
                (Some(f), Some(l), Some(c)) => format!("{f}:{l}:{c}: "),
                _ => String::new(),
            };
            let kpi = e
                .kpi
                .as_ref()
                .map_or_else(String::new, |k| format!(" (in `{k}`)"));
            format!("{at}[{}] {}{kpi}", e.code, e.message)
        })
        .collect();
    let details = diff
        .kpis
        .iter()
        .map(|k| Detail {
            kpi: k.name.clone(),
            summary: format!(
                "{}, {}{}",
                change_word(k.change),
                nature_word(k.nature),
                if k.breaking { ", breaking" } else { "" }
            ),
            reasons: k.reasons.clone(),
            schema: k
                .schema
                .iter()
                .map(|c| {
                    format!(
                        "`{}` {}{}: {}",
                        c.column,
                        column_word(c.change),
                        if c.breaking {
                            " (breaking)"
                        } else {
                            " (non-breaking)"
                        },
                        c.reason
                    )
                })
                .collect(),
            downstream: k
                .downstream
                .iter()
                .map(|d| {
                    format!(
                        "`{}`: {} ({})",
                        d.kpi,
                        if d.must_recompute {
                            "must recompute"
                        } else {
                            "values unchanged"
                        },
                        d.reason
                    )
                })
                .collect(),
        })
        .collect();
    let fingerprint_only = if diff.fingerprint_only.is_empty() {
        String::new()
    } else {
        let names: Vec<String> = diff
            .fingerprint_only
            .iter()
            .map(|k| format!("`{k}`"))
            .collect();
        format!(
            "Values unchanged, but recomputed by `kpi run` (an upstream fingerprint changed): {}.",
            names.join(", ")
        )
    };
    let (backfill, backfill_rows) = diff
        .backfill
        .as_ref()
        .map(backfill_view)
        .unwrap_or_default();
    let width = diff
        .kpis
        .iter()
        .map(|k| k.name.len())
        .chain(
            diff.backfill
                .iter()
                .flat_map(|b| b.kpis.iter().map(|k| k.name.len())),
        )
        .max()
        .unwrap_or(3)
        .max(3);
    View {
        width,
        title: format!("kpi diff: {} → {}", diff.base.revision, diff.head.revision),
        verdict,
        rows,
        settings,
        history,
        drift,
        errors,
        details,
        fingerprint_only,
        backfill,
        backfill_rows,
        data: diff.data.as_ref().map(data_view),
        artifacts: diff.artifacts.as_deref().map(|a| artifacts_view(a, budget)),
    }
}

fn backfill_view(b: &Backfill) -> (Vec<String>, Vec<BackfillRow>) {
    let mut lines = Vec::new();
    let Some(range) = b.range else {
        lines.push(format!(
            "Nothing to recompute: the last day ({}) is before history_start.",
            b.last_from
        ));
        return (lines, Vec::new());
    };
    if b.kpis.is_empty() {
        lines.push("Nothing to recompute.".into());
        return (lines, Vec::new());
    }
    lines.push(format!(
        "{} over {range} (to {}), in {}.",
        plural(b.kpi_days, "KPI-day", "KPI-days"),
        b.last_from,
        plural(b.queries, "Athena query", "Athena queries")
    ));
    lines.push(match b.cost {
        Some(c) => format!(
            "Scans at most {} ({} billed): ${:.4} on Athena.",
            bytes_text(c.bytes),
            bytes_text(c.billed_bytes),
            c.dollars
        ),
        None => "Bytes and dollars: unknown without --lake.".into(),
    });
    lines.push(format!(
        "About {} of wall time at concurrency {} (assuming {} s per write and {} s per check; levels one after another).",
        duration_text(b.wall.seconds),
        b.wall.concurrency,
        b.wall.write_seconds,
        b.wall.check_seconds
    ));
    let rows = b
        .kpis
        .iter()
        .map(|k| {
            let bytes = k
                .cost
                .map_or_else(|| "unknown".into(), |c| bytes_text(c.bytes));
            let dollars = k
                .cost
                .map_or_else(|| "unknown".into(), |c| format!("${:.4}", c.dollars));
            BackfillRow {
                kpi: k.name.clone(),
                days: k.days,
                chunks: k.chunks.len(),
                queries: k.queries,
                line: format!(
                    "{}, {}, {}, {}",
                    plural(k.days, "day", "days"),
                    plural(k.chunks.len() as u64, "chunk", "chunks"),
                    plural(k.queries, "query", "queries"),
                    match k.cost {
                        Some(_) => format!("{bytes}, {dollars}"),
                        None => "bytes unknown".into(),
                    }
                ),
                bytes,
                dollars,
            }
        })
        .collect();
    (lines, rows)
}

fn render(diff: &Diff, name: &str, text: &str, budget: Option<usize>) -> String {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    env.set_keep_trailing_newline(true);
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    env.add_filter("pad", |s: String, width: usize| format!("{s:width$}"));
    // A markdown table cell: a `|` or a line break would end it.
    env.add_filter("cell", |s: String| {
        s.replace('|', "\\|").replace(['\n', '\r'], " ")
    });
    env.add_template(name, text)
        .and_then(|()| env.get_template(name))
        .and_then(|t| t.render(view(diff, budget)))
        .unwrap_or_else(|e| format!("internal error rendering {name}: {e}, please report\n"))
}

/// GitHub-flavoured markdown, for a pull request comment.
pub fn render_markdown(diff: &Diff) -> String {
    render(
        diff,
        "diff.md",
        include_str!("templates/diff.md.j2"),
        Some(MARKDOWN_ARTIFACT_CHARS),
    )
}

/// Plain text, for a terminal.
pub fn render_text(diff: &Diff) -> String {
    render(
        diff,
        "diff.txt",
        include_str!("templates/diff.txt.j2"),
        None,
    )
}
