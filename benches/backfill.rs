//! Backfills 30 days of the sample lake with the local runtime and prints the wall time next
//! to two baselines measured in the same run, on the same generated lake:
//!
//! - `direct`: DuckDB running the same per-day write and check queries in one connection, with
//!   no state machine, catalog or attempts around them;
//!
//! Every variant starts from a fresh copy of the lake and is timed from opening the engine
//! (which stages the JSON sources as Parquet) to its last query.
//! - `set-based`: one query per KPI over the whole range: each KPI's per-day query as a
//!   `LATERAL` subquery over the list of days, which DuckDB decorrelates into one plan.
//!
//! The runtime runs once with one KPI-day at a time (the same work as `direct`, in the same
//! order) and once with as many at once as there are cores (`kpi run`'s default). Each is
//! measured twice, interleaved; the best time counts.
//!
//! `cargo bench --no-default-features --bench backfill` (add `-- --large` for the large
//! preset; `KPI_BENCH_DAYS=N` for another range length). Under `cargo test` it runs once over
//! 3 days of a small lake, as a smoke test.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

use kpi_runtime::engine::{Engine, ident, literal};
use kpi_runtime::lake::{Lake, LocalCatalog};
use kpi_runtime::manifest::{self, Local, Manifest, Values};
use kpi_runtime::run::{RunOptions, run};
use kpi_sample::{SampleOptions, generate};
use std::path::Path;
use std::time::Instant;

/// The state machine and manifest of pipelines/, as `kpi build` writes them.
fn build() -> (String, String) {
    let project = Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines");
    let out = tempfile::tempdir().unwrap();
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_kpi"))
        .arg("build")
        .arg("--project")
        .arg(&project)
        .arg("--out")
        .arg(out.path())
        .status()
        .unwrap();
    assert!(status.success(), "kpi build --project pipelines");
    let read = |name: &str| std::fs::read_to_string(out.path().join(name)).unwrap();
    (
        read(kpi_compiler::build::STATE_MACHINE_FILE),
        read("manifest.json"),
    )
}

fn day_text(start: chrono::NaiveDate, i: i64) -> String {
    (start + chrono::Duration::days(i))
        .format("%Y-%m-%d")
        .to_string()
}

fn fresh_copy(pristine: &Path, name: &str) -> tempfile::TempDir {
    let dir = tempfile::Builder::new().prefix(name).tempdir().unwrap();
    let status = std::process::Command::new("cp")
        .arg("-a")
        .arg(format!("{}/.", pristine.display()))
        .arg(dir.path())
        .status()
        .unwrap();
    assert!(status.success());
    dir
}

/// The local runtime: the compiled state machine through the interpreter.
fn runtime(
    machine: &str,
    manifest: &Manifest,
    lake: &Path,
    days: &[String],
    concurrency: usize,
) -> f64 {
    let machine = kpi_asl::parse_definition_text(machine).unwrap();
    let options = RunOptions {
        days: days.to_vec(),
        command: "bench".into(),
        concurrency,
        ..RunOptions::default()
    };
    let start = Instant::now();
    let report = run(&machine, manifest, lake, &options, &|_| {}).unwrap();
    let seconds = start.elapsed().as_secs_f64();
    assert!(report.succeeded(), "{}", report.to_text());
    assert_eq!(report.kpi_days, manifest.kpis.len() * days.len());
    seconds
}

/// The same per-day write and check queries, straight into one DuckDB connection.
fn direct(manifest: &Manifest, lake_dir: &Path, days: &[String]) -> f64 {
    let start = Instant::now();
    let lake = Lake::open(lake_dir).unwrap();
    let engine = Engine::open(&lake, manifest).unwrap();
    let mut catalog = LocalCatalog::default();
    let mut kpis: Vec<_> = manifest.kpis.iter().collect();
    kpis.sort_by_key(|k| (k.level, k.name.clone()));
    for kpi in &kpis {
        for day in days {
            let location = format!("{}dt={day}/attempt=direct/", kpi.attempts_location);
            std::fs::create_dir_all(lake.path_of(&location)).unwrap();
            for s in &kpi.statements {
                if let Local::Sql { sql } = &s.local {
                    let text = manifest::render(
                        sql,
                        &Values {
                            day,
                            attempt: "direct",
                            lake: engine.lake_text(),
                        },
                    );
                    engine.run(&text).unwrap();
                }
            }
            catalog.switch(
                &manifest.project.database,
                &kpi.name,
                day,
                kpi_runtime::lake::LocalPartition {
                    location,
                    fingerprint: kpi.fingerprint.clone(),
                    sequence: 0,
                    rows: 0,
                    inputs: None,
                },
            );
        }
        engine.refresh_kpi_view(&lake, kpi, &catalog).unwrap();
    }
    start.elapsed().as_secs_f64()
}

/// One query per KPI over the whole range: the per-day query as a LATERAL subquery.
fn set_based(manifest: &Manifest, lake_dir: &Path, days: &[String]) -> f64 {
    let lake = Lake::open(lake_dir).unwrap();
    let engine = Engine::open(&lake, manifest).unwrap();
    let conn = engine.connection();
    let day_list = days
        .iter()
        .map(|d| literal(d))
        .collect::<Vec<_>>()
        .join(", ");
    let mut kpis: Vec<_> = manifest.kpis.iter().collect();
    kpis.sort_by_key(|k| (k.level, k.name.clone()));
    let start = Instant::now();
    for kpi in &kpis {
        let write = kpi.statement("03_write").unwrap();
        let Local::Sql { sql } = &write.local else {
            panic!("{}: the write is SQL", kpi.name)
        };
        // The day as a column of the outer query instead of a literal.
        let text = manifest::render(
            sql,
            &Values {
                day: "\u{1}",
                attempt: "set",
                lake: engine.lake_text(),
            },
        );
        let text = text
            .replace("DATE '\u{1}'", "CAST(\"days\".\"day\" AS DATE)")
            .replace("'\u{1}'", "\"days\".\"day\"");
        let inner = text
            .split_once("COPY (\n")
            .and_then(|(_, rest)| rest.rsplit_once("\n) TO '"))
            .map(|(select, _)| select)
            .unwrap();
        let out = lake.path_of(&format!("{}set.parquet", kpi.attempts_location));
        std::fs::create_dir_all(out.parent().unwrap()).unwrap();
        conn.execute_batch(&format!(
            "COPY (SELECT \"q\".*, \"days\".\"day\" AS \"dt\" FROM (SELECT unnest([{day_list}]) AS \"day\") AS \"days\", LATERAL ({inner}) AS \"q\") TO {} (FORMAT parquet);
             CREATE OR REPLACE VIEW {}.{} AS SELECT * FROM read_parquet({});",
            literal(&out.to_string_lossy()),
            ident(&manifest.project.database),
            ident(&kpi.name),
            literal(&out.to_string_lossy()),
        ))
        .unwrap_or_else(|e| panic!("{}: {e}", kpi.name));
    }
    start.elapsed().as_secs_f64()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let bench = args.iter().any(|a| a == "--bench");
    let options = if args.iter().any(|a| a == "--large") {
        SampleOptions::large()
    } else if bench {
        SampleOptions::default()
    } else {
        SampleOptions {
            days: 10,
            companies: 5,
            ..SampleOptions::default()
        }
    };
    let n: i64 = std::env::var("KPI_BENCH_DAYS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if bench { 30 } else { 3 });
    let pristine = tempfile::tempdir().unwrap();
    let t = Instant::now();
    let sample = generate(pristine.path(), &options).unwrap();
    println!(
        "sample lake: {} days, {} events, generated in {:.1}s",
        options.days,
        sample.events,
        t.elapsed().as_secs_f64()
    );
    let (machine, manifest_text) = build();
    let manifest = Manifest::parse(&manifest_text).unwrap();
    // The last n days of the lake, so every window has its history.
    let first = i64::from(options.days) - n;
    let days: Vec<String> = (first..first + n)
        .map(|i| day_text(options.start, i))
        .collect();
    println!(
        "backfill: {} KPIs x {} days ({} to {})",
        manifest.kpis.len(),
        n,
        days[0],
        days[days.len() - 1]
    );
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let mut best = [f64::MAX; 4];
    for round in 0..if bench { 2 } else { 1 } {
        let lake = fresh_copy(pristine.path(), "kpi-bench-runtime");
        let a = runtime(&machine, &manifest, lake.path(), &days, 1);
        let lake = fresh_copy(pristine.path(), "kpi-bench-runtime-n");
        let a_n = runtime(&machine, &manifest, lake.path(), &days, cores);
        let lake = fresh_copy(pristine.path(), "kpi-bench-direct");
        let b = direct(&manifest, lake.path(), &days);
        let lake = fresh_copy(pristine.path(), "kpi-bench-set");
        let c = set_based(&manifest, lake.path(), &days);
        println!(
            "round {}: runtime {a:.2}s, runtime x{cores} {a_n:.2}s, direct {b:.2}s, set-based {c:.2}s",
            round + 1
        );
        for (best, t) in best.iter_mut().zip([a, a_n, b, c]) {
            *best = best.min(t);
        }
    }
    println!();
    println!("{:<40} {:>9} {:>10}", "", "wall (s)", "vs direct");
    for (name, s) in [
        ("kpi run --concurrency 1".to_string(), best[0]),
        (format!("kpi run --concurrency {cores} (default)"), best[1]),
        (
            "direct per-day queries, one connection".to_string(),
            best[2],
        ),
        ("set-based, one query per KPI".to_string(), best[3]),
    ] {
        println!("{name:<40} {s:>9.2} {:>9.2}x", s / best[2]);
    }
}
