//! `kpi check` of generated projects of 100, 1,000, 10,000 (and, with `-- --full`, 50,000)
//! KPI files, timed as a user runs it: the whole `kpi` process, from spawn to exit, on a warm
//! file cache (one untimed run first). Per size: the median wall time and CPU time (user +
//! system, from the kernel's accounting of waited-for children) of the rounds, the time per
//! file, and its ratio to the smallest size's, which stays near 1 when no step is quadratic.
//!
//! `KPI_BASELINE_BIN=/path/to/kpi` times a second binary (another revision's) in the same
//! rounds, interleaved, and prints the ratios baseline / this. `KPI_BENCH_ROUNDS=N` (5);
//! `KPI_BENCH_KEEP=DIR` keeps a copy of each project in `DIR/<files>`, to profile one.
//!
//! The projects are modelled on `pipelines/`: its kpi.yaml and Glue snapshot, one KPI per file
//! in folders of 100, with doc comments, windows of 1 to 30 days, joins to members and of
//! events to events, cohorts from the members snapshot, and every fifth KPI reading two
//! earlier ones. Every project checks clean; the benchmark fails if a binary says otherwise.
//!
//! `cargo bench --no-default-features --bench check` (`-- --full` for 50,000). Under
//! `cargo test` it runs once on 100 files, as a smoke test.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// Files per folder, as a large project would group them.
const PER_FOLDER: usize = 100;

/// The text of the `i`th KPI file; a KPI at `i % 5 == 4` reads the two before it.
fn kpi_file(i: usize) -> String {
    let days = 1 + i % 30;
    let mut out = format!("// Generated KPI file {i}.\n\n");
    match i % 5 {
        0 => {
            let _ = write!(
                out,
                "/// Members who did anything social on the day, per company (variant {i}).\n\
                 kpi k{i}_active {{\n  from events e\n  \
                 where e.kind in ('post', 'comment', 'reaction', 'thanks') and e.client <> 'bot{i}'\n  \
                 group by e.company_id\n  \
                 /// Distinct members with at least one social action.\n  \
                 measure active = count(distinct e.member_id)\n  \
                 /// Social actions.\n  measure actions = count(*)\n  \
                 check active > 0\n  check active <= actions\n  check unique(company_id)\n}}\n"
            );
        }
        1 => {
            let _ = write!(
                out,
                "/// Members active in the {days} days ending on the day, per department.\n\
                 kpi k{i}_by_department {{\n  from events e over {days} days\n  \
                 join members m on m.member_id = e.member_id\n  \
                 where e.kind in ('post', 'comment') and m.role <> 'guest'\n  \
                 group by e.company_id, m.department_id\n  \
                 /// Distinct members of the department with a post or comment.\n  \
                 measure active = count(distinct e.member_id)\n  \
                 check active > 0\n  check unique(company_id, department_id)\n}}\n"
            );
        }
        2 => {
            let _ = write!(
                out,
                "/// Share of the day's posts that got a comment, per company (variant {i}).\n\
                 kpi k{i}_replies {{\n  from events p\n  \
                 left join events c on c.target_post_id = p.event_id and c.kind = 'comment'\n  \
                 where p.kind = 'post'\n  group by p.company_id\n  \
                 /// Posts written on the day.\n  measure posts = count(distinct p.event_id)\n  \
                 /// Of them, posts with a comment.\n  \
                 measure replied = count(distinct p.event_id where c.event_id is not null)\n  \
                 /// replied / posts.\n  measure rate = replied / posts\n  \
                 check rate between 0 and 1\n  check unique(company_id)\n}}\n"
            );
        }
        3 => {
            let _ = write!(
                out,
                "/// New members who were active in the {days} days, per company (variant {i}).\n\
                 kpi k{i}_activation {{\n  from members m\n  \
                 left join events e over {days} days on e.member_id = m.member_id\n  \
                 where m.joined_on between day - 6 and day and m.left_on is null\n  \
                 group by m.company_id\n  \
                 /// Members who joined in the 7 days.\n  \
                 measure joined = count(distinct m.member_id)\n  \
                 /// Of them, members with an event.\n  \
                 measure activated = count(distinct e.member_id)\n  \
                 measure rate = activated / joined\n  \
                 check joined > 0\n  check rate between 0 and 1\n  check unique(company_id)\n}}\n"
            );
        }
        _ => {
            let _ = write!(
                out,
                "/// A score per company from two KPIs above (variant {i}).\n\
                 kpi k{i}_score {{\n  from k{}_active a\n  \
                 left join k{}_activation n on n.company_id = a.company_id\n  \
                 group by a.company_id\n  \
                 /// Actions per active member.\n  \
                 measure intensity = max(a.actions) / max(a.active)\n  \
                 /// Activation, 0 without new members.\n  \
                 measure activation = coalesce(max(n.rate), 0)\n  \
                 measure score = 100 * (0.5 * activation + 0.5 * least(intensity / 10, 1))\n  \
                 check score between 0 and 100\n  check unique(company_id)\n}}\n",
                i - 4,
                i - 1
            );
        }
    }
    out
}

/// Writes a project of `files` KPI files into `dir`: pipelines/'s kpi.yaml and catalog.
fn generate(dir: &Path, files: usize) {
    let pipelines = Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines");
    std::fs::create_dir_all(dir.join("catalog")).unwrap();
    std::fs::copy(pipelines.join("kpi.yaml"), dir.join("kpi.yaml")).unwrap();
    for entry in std::fs::read_dir(pipelines.join("catalog")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.join("catalog").join(entry.file_name())).unwrap();
    }
    for i in 0..files {
        let folder = dir.join(format!("f{:03}", i / PER_FOLDER));
        if i % PER_FOLDER == 0 {
            std::fs::create_dir_all(&folder).unwrap();
        }
        std::fs::write(folder.join(format!("k{i}.kpi")), kpi_file(i)).unwrap();
    }
}

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
            check(bin, dir.path(), files);
        }
        let mut walls = vec![Vec::new(); bins.len()];
        let mut cpus = vec![Vec::new(); bins.len()];
        for round in 0..rounds {
            let mut line = format!("  round {}:", round + 1);
            for (b, (name, bin)) in bins.iter().enumerate() {
                let (wall, cpu) = check(bin, dir.path(), files);
                let _ = write!(line, " {name} {wall:.3}s wall {cpu:.2}s CPU;");
                walls[b].push(wall);
                cpus[b].push(cpu);
            }
            println!("{}", line.trim_end_matches(';'));
        }
        let timings = walls
            .iter()
            .zip(&cpus)
            .map(|(w, c)| Timing {
                wall: median(w),
                cpu: median(c),
            })
            .collect();
        results.push((files, timings));
    }
    println!(
        "\n{:<9} {:>8} {:>10} {:>9} {:>14} {:>15}",
        "binary", "files", "wall (s)", "CPU (s)", "wall per file", "vs smallest"
    );
    for (b, (name, _)) in bins.iter().enumerate() {
        let first = results[0].1[b].wall / results[0].0 as f64;
        let mut per_file = Vec::new();
        for (files, timings) in &results {
            let t = timings[b];
            let each = t.wall / *files as f64;
            per_file.push(each);
            println!(
                "{name:<9} {files:>8} {:>10.3} {:>9.2} {:>11.1} µs {:>14.2}x",
                t.wall,
                t.cpu,
                each * 1e6,
                each / first
            );
        }
        let spread = per_file.iter().copied().fold(f64::MIN, f64::max)
            / per_file.iter().copied().fold(f64::MAX, f64::min);
        println!("{name:<9} time per file across the sweep: max / min = {spread:.2}x");
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
