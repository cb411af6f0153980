//! `kpi check` of generated projects of 100, 1,000, 10,000 (and, with `-- --full`, 50,000)
//! KPI files, timed as a user runs it: the whole `kpi` process, from spawn to exit, on a warm
//! file cache (one untimed run first). Per size: the median wall time and CPU time (user +
//! system, from the kernel's accounting of waited-for children) of the rounds, the time per
//! file, and its ratio to the smallest size's, which stays near 1 when no step is quadratic.
//! Each round also times an empty project (kpi.yaml and the catalog, no `.kpi` file), right
//! before the project: the process's fixed cost (start-up, loading the dynamic libraries, the
//! catalog). The marginal time per file, the median of the rounds' (project − empty) / files,
//! is what a quadratic step would show; the raw time per file is dominated by the fixed cost at
//! 100 files.
//!
//! `KPI_BASELINE_BIN=/path/to/kpi` times a second binary (another revision's) in the same
//! rounds, interleaved, and prints the ratios baseline / this. `KPI_BENCH_ROUNDS=N` (5);
//! `KPI_BENCH_KEEP=DIR` keeps a copy of each project in `DIR/<files>`, to profile one.
//!
//! The projects are modelled on `pipelines/` (`support/generated.rs`, shared with the LSP
//! benchmark). Every project checks clean; the benchmark fails if a binary says otherwise.
//!
//! `cargo bench --no-default-features --bench check` (`-- --full` for 50,000). Under
//! `cargo test` it runs once on 100 files, as a smoke test.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

#[path = "support/generated.rs"]
mod generated;

use generated::generate;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// User + system seconds of every child this process has waited for, from /proc/self/stat
/// (fields 16 and 17, `cutime` and `cstime`, in clock ticks of 1/100 s).
fn children_cpu() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    // The command name may hold spaces; the fields after it are counted from its `)`.
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = after.split(' ').collect();
    // `after` starts at field 3 (state): cutime is field 16, cstime field 17.
    let ticks: u64 = fields[13].parse::<u64>().unwrap() + fields[14].parse::<u64>().unwrap();
    ticks as f64 / 100.0
}

/// One `kpi check` of the project: (wall, CPU) seconds. Fails unless it checks clean.
fn check(bin: &Path, project: &Path, files: usize) -> (f64, f64) {
    let cpu = children_cpu();
    let t = Instant::now();
    let out = Command::new(bin)
        .arg("check")
        .arg("--project")
        .arg(project)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let wall = t.elapsed().as_secs_f64();
    let cpu = children_cpu() - cpu;
    let stderr = String::from_utf8_lossy(&out.stderr);
    let kpis = files;
    let expected = format!("checked {kpis} KPIs in {files} files: no errors");
    assert!(
        out.status.success() && stderr.contains(&expected),
        "{} check of {files} files: {}\n{stderr}",
        bin.display(),
        out.status
    );
    (wall, cpu)
}

/// Largest over smallest.
fn spread(xs: &[f64]) -> f64 {
    xs.iter().copied().fold(f64::MIN, f64::max) / xs.iter().copied().fold(f64::MAX, f64::min)
}

fn median(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Medians of one binary at one size.
#[derive(Clone, Copy)]
struct Timing {
    wall: f64,
    cpu: f64,
    /// The empty project's wall time, in the same rounds.
    empty: f64,
    /// Median over the rounds of (wall − the round's empty wall) / files.
    marginal: f64,
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let bench = args.iter().any(|a| a == "--bench");
    let sizes: &[usize] = if args.iter().any(|a| a == "--full") {
        &[100, 1_000, 10_000, 50_000]
    } else if bench {
        &[100, 1_000, 10_000]
    } else {
        &[100]
    };
    let rounds: usize = std::env::var("KPI_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if bench { 5 } else { 1 });
    let mut bins = vec![("this".to_string(), PathBuf::from(env!("CARGO_BIN_EXE_kpi")))];
    if let Some(base) = std::env::var_os("KPI_BASELINE_BIN") {
        bins.push(("baseline".to_string(), PathBuf::from(base)));
    }
    let keep = std::env::var_os("KPI_BENCH_KEEP").map(PathBuf::from);
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    println!("kpi check, whole process, medians of {rounds} rounds on {cores} cores");
    let empty = tempfile::Builder::new()
        .prefix("kpi-bench-check-empty")
        .tempdir()
        .unwrap();
    generate(empty.path(), 0);
    let mut results: Vec<(usize, Vec<Timing>)> = Vec::new();
    for &files in sizes {
        let dir = tempfile::Builder::new()
            .prefix("kpi-bench-check")
            .tempdir()
            .unwrap();
        let t = Instant::now();
        generate(dir.path(), files);
        if let Some(keep) = &keep {
            let kept = keep.join(files.to_string());
            std::fs::create_dir_all(keep).unwrap();
            let status = Command::new("cp")
                .arg("-r")
                .arg(dir.path())
                .arg(&kept)
                .status();
            assert!(status.unwrap().success(), "copy to {}", kept.display());
        }
        println!(
            "\n{files} files generated in {:.1}s",
            t.elapsed().as_secs_f64()
        );
        // Warm the file cache and the binaries' pages.
        for (_, bin) in &bins {
            check(bin, empty.path(), 0);
            check(bin, dir.path(), files);
        }
        let mut walls = vec![Vec::new(); bins.len()];
        let mut cpus = vec![Vec::new(); bins.len()];
        let mut empties = vec![Vec::new(); bins.len()];
        let mut marginals = vec![Vec::new(); bins.len()];
        for round in 0..rounds {
            let mut line = format!("  round {}:", round + 1);
            for (b, (name, bin)) in bins.iter().enumerate() {
                let (empty_wall, _) = check(bin, empty.path(), 0);
                let (wall, cpu) = check(bin, dir.path(), files);
                let _ = write!(
                    line,
                    " {name} {wall:.3}s wall {cpu:.2}s CPU (empty {empty_wall:.3}s);"
                );
                walls[b].push(wall);
                cpus[b].push(cpu);
                empties[b].push(empty_wall);
                marginals[b].push((wall - empty_wall) / files as f64);
            }
            println!("{}", line.trim_end_matches(';'));
        }
        let timings = (0..bins.len())
            .map(|b| Timing {
                wall: median(&walls[b]),
                cpu: median(&cpus[b]),
                empty: median(&empties[b]),
                marginal: median(&marginals[b]),
            })
            .collect();
        results.push((files, timings));
    }
    println!(
        "\n{:<9} {:>8} {:>10} {:>9} {:>11} {:>14} {:>9} {:>15} {:>9}",
        "binary",
        "files",
        "wall (s)",
        "CPU (s)",
        "empty (s)",
        "wall per file",
        "vs first",
        "marginal/file",
        "vs first"
    );
    for (b, (name, _)) in bins.iter().enumerate() {
        let first = results[0].1[b].wall / results[0].0 as f64;
        let first_marginal = results[0].1[b].marginal;
        let mut per_file = Vec::new();
        let mut marginal = Vec::new();
        for (files, timings) in &results {
            let t = timings[b];
            let each = t.wall / *files as f64;
            per_file.push(each);
            marginal.push(t.marginal);
            println!(
                "{name:<9} {files:>8} {:>10.3} {:>9.2} {:>11.3} {:>11.1} µs {:>8.2}x {:>12.1} µs {:>8.2}x",
                t.wall,
                t.cpu,
                t.empty,
                each * 1e6,
                each / first,
                t.marginal * 1e6,
                t.marginal / first_marginal
            );
        }
        println!(
            "{name:<9} per file across the sweep, max / min: raw {:.2}x, marginal {:.2}x",
            spread(&per_file),
            spread(&marginal)
        );
    }
    if bins.len() == 2 {
        println!();
        for (files, timings) in &results {
            println!(
                "{files:>8} files: baseline / this = {:.2}x wall, {:.2}x CPU",
                timings[1].wall / timings[0].wall,
                timings[1].cpu / timings[0].cpu.max(0.01)
            );
        }
    }
}
