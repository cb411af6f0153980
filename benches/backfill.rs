//! A full backfill of pipelines/ over a generated sample lake, timed side by side with its
//! baselines in the same run, on fresh copies of the same lake:
//!
//! - `kpi run`: the compiled state machine through the interpreter, its Athena and Glue tasks
//!   on the local engine: one write and one check query per KPI per chunk of days.
//! - `set-based`: bare DuckDB running the same write and check statements, chunk by chunk, on
//!   one connection over the same staged lake, with no state machine or catalog: the floor
//!   for the runtime's own overhead.
//! - `per-day`: the same statements with one day per chunk: the work of one query per KPI-day,
//!   which re-reads every window.
//! - `raw JSON`: the set-based statements over views that read the JSON lines themselves,
//!   without kpi's Parquet staging. DuckDB's reader, skipping malformed lines, also turns
//!   values it cannot convert into NULL, so its rows may differ: they are counted, not
//!   asserted.
//!
//! Every variant is timed the same way, from opening the engine (which stages the sources)
//! to its last query; rounds are interleaved and medians reported, with ratios. Every other
//! variant's rows are compared with the runtime's: the benchmark fails if any differs.
//!
//! `cargo bench --bench backfill` (`-- --large` for the large preset; `KPI_BENCH_ROUNDS=N`).
//! Under `cargo test` it runs once over a small lake, as a smoke test.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

use kpi_contract::manifest::{LocalAction, Manifest, Role, SourceFormat};
use kpi_contract::sql::{Attempt, Values};
use kpi_contract::{Day, DayRange};
use kpi_runtime::engine::{Engine, duckdb_type, ident, literal};
use kpi_runtime::lake::Lake;
use kpi_runtime::run::{RunOptions, run};
use kpi_sample::{SampleOptions, generate};
use std::collections::BTreeMap;
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

/// Every KPI's published rows, as sorted text lines, read through the engine's views.
type Rows = BTreeMap<String, Vec<String>>;

fn rows_of(conn: &duckdb::Connection, manifest: &Manifest) -> Rows {
    let mut out = Rows::new();
    for kpi in &manifest.kpis {
        let sql = format!(
            "SELECT CAST(COLUMNS(*) AS VARCHAR) FROM {}.{} ORDER BY ALL",
            ident(&manifest.project.database),
            ident(&kpi.name)
        );
        let mut stmt = conn.prepare(&sql).unwrap();
        let mut rows = stmt.query([]).unwrap();
        let mut lines = Vec::new();
        while let Some(row) = rows.next().unwrap() {
            let n = row.as_ref().column_count();
            let cells: Vec<String> = (0..n)
                .map(|i| {
                    row.get::<_, Option<String>>(i)
                        .unwrap()
                        .unwrap_or_else(|| "NULL".into())
                })
                .collect();
            lines.push(cells.join("|"));
        }
        out.insert(kpi.name.clone(), lines);
    }
    out
}

/// Cells equal as text, or as numbers within 1e-9 relative (sums of doubles in other orders).
fn same_row(x: &str, y: &str) -> bool {
    x.split('|').count() == y.split('|').count()
        && x.split('|').zip(y.split('|')).all(|(p, q)| {
            p == q
                || match (p.parse::<f64>(), q.parse::<f64>()) {
                    (Ok(p), Ok(q)) => (p - q).abs() <= 1e-9 * p.abs().max(q.abs()).max(1.0),
                    _ => false,
                }
        })
}

fn same_rows(a: &Rows, b: &Rows, what: &str) {
    for (kpi, rows) in a {
        let other = &b[kpi];
        assert_eq!(
            rows.len(),
            other.len(),
            "{what}: {kpi} has another number of rows"
        );
        for (x, y) in rows.iter().zip(other) {
            assert!(same_row(x, y), "{what}: {kpi} differs: {x} vs {y}");
        }
    }
}

/// The rows of `b` that are not `a`'s (KPI by KPI, in order), and the KPIs they are in.
fn differing_rows(a: &Rows, b: &Rows) -> (usize, Vec<String>) {
    let mut n = 0;
    let mut kpis = Vec::new();
    for (kpi, rows) in a {
        let other = b.get(kpi).map_or(&[][..], Vec::as_slice);
        let differ = rows.len().abs_diff(other.len())
            + rows
                .iter()
                .zip(other)
                .filter(|(x, y)| !same_row(x, y))
                .count();
        if differ > 0 {
            n += differ;
            kpis.push(kpi.clone());
        }
    }
    (n, kpis)
}

/// The local runtime: the compiled state machine through the interpreter.
fn runtime(
    machine: &str,
    manifest: &Manifest,
    lake: &Path,
    days: &[Day],
    concurrency: usize,
) -> (f64, Rows) {
    let machine = kpi_asl::parse_definition_text(&manifest.substitute(machine)).unwrap();
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
    assert_eq!(
        report.kpis.iter().map(|k| k.succeeded).sum::<usize>(),
        manifest.kpis.len() * days.len()
    );
    let l = Lake::open(lake).unwrap();
    let engine = Engine::open(&l, manifest).unwrap();
    let catalog = l.read_catalog().unwrap();
    for kpi in &manifest.kpis {
        engine.refresh_kpi_view(&l, kpi, &catalog).unwrap();
    }
    (seconds, rows_of(engine.connection(), manifest))
}

/// Source views that read the raw files (JSON lines as they are), typed as the catalog says.
fn raw_views(conn: &duckdb::Connection, lake: &Lake, manifest: &Manifest) {
    for source in &manifest.sources {
        let root = lake.path_of(source.location.as_deref().unwrap()).unwrap();
        let partition = source.partition.clone().unwrap_or_default();
        let glob = literal(&format!("{}/{partition}=*/*", root.display()));
        let columns: Vec<String> = source
            .columns
            .iter()
            .filter(|c| c.name != partition)
            .map(|c| {
                format!(
                    "{}: {}",
                    literal(&c.name),
                    literal(&duckdb_type(&c.ty).unwrap())
                )
            })
            .collect();
        let reader = match source.format {
            SourceFormat::Json => format!(
                "read_json({glob}, format = 'newline_delimited', columns = {{{}}}, ignore_errors = true, hive_partitioning = true, hive_types = {{{}: 'VARCHAR'}})",
                columns.join(", "),
                literal(&partition)
            ),
            _ => format!(
                "read_parquet({glob}, hive_partitioning = true, hive_types = {{{}: 'VARCHAR'}})",
                literal(&partition)
            ),
        };
        conn.execute_batch(&format!(
            "CREATE OR REPLACE VIEW {}.{} AS SELECT * FROM {reader};",
            ident(&source.database),
            ident(&source.table)
        ))
        .unwrap();
    }
}

/// The write and check statements straight into one DuckDB connection, chunk by chunk, each
/// KPI's view then defined over what it wrote: no state machine, catalog or publication.
fn direct(
    manifest: &Manifest,
    lake_dir: &Path,
    days: &[Day],
    chunk_days: u32,
    raw: bool,
) -> (f64, Rows) {
    let start = Instant::now();
    let lake = Lake::open(lake_dir).unwrap();
    let engine = Engine::open(&lake, manifest).unwrap();
    let conn = engine.connection();
    if raw {
        raw_views(conn, &lake, manifest);
    }
    let sql_lake = lake.sql_root().unwrap();
    let attempt = Attempt::new("direct").unwrap();
    let mut kpis: Vec<_> = manifest.kpis.iter().collect();
    kpis.sort_by_key(|k| (k.level, k.name.clone()));
    for kpi in kpis {
        std::fs::create_dir_all(lake.path_of(&kpi.attempts_location).unwrap()).unwrap();
        for chunk in kpi_runtime::plan::chunks(days, chunk_days) {
            let values = Values {
                days: chunk,
                attempt: &attempt,
                lake: Some(&sql_lake),
            };
            for s in kpi.statements.iter().filter(|s| s.role != Role::Setup) {
                if let LocalAction::Sql { sql } = &s.local {
                    let text = sql.render(&values);
                    if s.role == Role::Check {
                        let n: i64 = conn
                            .query_row(
                                &format!(
                                    "SELECT count(*) FROM ({text}) AS c WHERE c.failure IS NOT NULL"
                                ),
                                [],
                                |r| r.get(0),
                            )
                            .unwrap_or_else(|e| panic!("{} check: {e}", kpi.name));
                        assert_eq!(n, 0, "{}: a check failed in {chunk}", kpi.name);
                    } else {
                        conn.execute_batch(&text)
                            .unwrap_or_else(|e| panic!("{} write: {e}", kpi.name));
                    }
                }
            }
        }
        let dir = lake.path_of(&kpi.attempts_location).unwrap();
        let mut columns: Vec<String> = kpi.columns.iter().map(|c| ident(&c.name)).collect();
        columns.push("\"dt\"".into());
        conn.execute_batch(&format!(
            "CREATE OR REPLACE VIEW {}.{} AS SELECT {} FROM read_parquet({}, hive_partitioning = false);",
            ident(&manifest.project.database),
            ident(&kpi.name),
            columns.join(", "),
            literal(&format!("{}/dt=*/attempt=direct/*.parquet", dir.display()))
        ))
        .unwrap();
    }
    let seconds = start.elapsed().as_secs_f64();
    (seconds, rows_of(conn, manifest))
}

fn median(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
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
            days: 8,
            companies: 4,
            ..SampleOptions::default()
        }
    };
    let rounds: usize = std::env::var("KPI_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if bench { 5 } else { 1 });
    let pristine = tempfile::tempdir().unwrap();
    let t = Instant::now();
    let sample = generate(
        pristine.path(),
        &options,
        &kpi_runtime::parquet::DuckDbParquet,
    )
    .unwrap();
    println!(
        "sample lake: {} days, {} events, generated in {:.1}s",
        options.days,
        sample.events,
        t.elapsed().as_secs_f64()
    );
    let (machine, manifest_text) = build();
    let manifest = Manifest::parse(&manifest_text).unwrap();
    let first = manifest.project.history_start;
    let range = DayRange::new(first, first.add_days(i64::from(options.days) - 1).unwrap()).unwrap();
    let days: Vec<Day> = range.days().collect();
    let chunk_days = manifest.project.chunk_days;
    println!(
        "full backfill: {} KPIs x {} days ({range}), chunks of {chunk_days} days",
        manifest.kpis.len(),
        days.len()
    );
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let names = [
        format!("kpi run --concurrency {cores} (default)"),
        "kpi run --concurrency 1".to_string(),
        "set-based statements, one connection".to_string(),
        "per-day statements, one connection".to_string(),
        "set-based over raw JSON (no staging)".to_string(),
    ];
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); names.len()];
    let mut raw_differ = (0, Vec::new());
    for round in 0..rounds {
        let lake = fresh_copy(pristine.path(), "kpi-bench-runtime");
        let (a, reference) = runtime(&machine, &manifest, lake.path(), &days, cores);
        let lake = fresh_copy(pristine.path(), "kpi-bench-runtime-1");
        let (b, rows) = runtime(&machine, &manifest, lake.path(), &days, 1);
        same_rows(&reference, &rows, "kpi run --concurrency 1");
        let lake = fresh_copy(pristine.path(), "kpi-bench-set");
        let (c, rows) = direct(&manifest, lake.path(), &days, chunk_days, false);
        same_rows(&reference, &rows, "set-based");
        let lake = fresh_copy(pristine.path(), "kpi-bench-day");
        let (d, rows) = direct(&manifest, lake.path(), &days, 1, false);
        same_rows(&reference, &rows, "per-day");
        let lake = fresh_copy(pristine.path(), "kpi-bench-raw");
        let (e, rows) = direct(&manifest, lake.path(), &days, chunk_days, true);
        // DuckDB's own JSON reader, told to skip malformed lines, also turns values it cannot
        // convert into NULL: its rows are not the same, and it is timed, not trusted.
        raw_differ = differing_rows(&reference, &rows);
        println!(
            "round {}: runtime {a:.2}s, runtime x1 {b:.2}s, set-based {c:.2}s, per-day {d:.2}s, raw JSON {e:.2}s",
            round + 1
        );
        for (t, x) in times.iter_mut().zip([a, b, c, d, e]) {
            t.push(x);
        }
    }
    let medians: Vec<f64> = times.iter().map(|t| median(t)).collect();
    println!(
        "\nmedians of {rounds} interleaved rounds, every variant's rows equal to the runtime's \
         but raw JSON's ({} rows differ, in {}):",
        raw_differ.0,
        if raw_differ.1.is_empty() {
            "none".to_string()
        } else {
            raw_differ.1.join(", ")
        }
    );
    println!(
        "{:<42} {:>9} {:>12} {:>11}",
        "", "wall (s)", "vs per-day", "vs set-based"
    );
    for (name, m) in names.iter().zip(&medians) {
        println!(
            "{name:<42} {m:>9.2} {:>11.2}x {:>11.2}x",
            m / medians[3],
            m / medians[2]
        );
    }
    println!(
        "\nkpi run is {:.1}x faster than per-day statements, and takes {:.2}x the time of the bare set-based statements.",
        medians[3] / medians[0],
        medians[0] / medians[2]
    );
}
