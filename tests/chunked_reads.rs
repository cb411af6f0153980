//! A 366-day backfill of `pipelines/` on a generated 400-day lake, in chunks of 100 days: the
//! files each write actually read, as DuckDB's own file system log recorded them, are exactly
//! the files of its chunk's reach (the source partitions of every window, the upstream KPI
//! partitions), so every partition is read once per chunk whose windows cover it and no more:
//! `(N + ⌈N/C⌉·L) / (N + L)` times in all for a window with a lead-in of L days. The test also
//! prints, per KPI, that ratio and the Athena estimate against one query per KPI-day.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

mod common;

use common::{copy_tree, kpi, root};
use kpi_contract::manifest::{Kpi, Manifest, Target};
use kpi_contract::{Day, DayRange};
use kpi_runtime::cost::Estimate;
use kpi_runtime::inputs;
use kpi_runtime::lake::{Lake, LocalCatalog};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

#[test]
fn every_chunk_reads_exactly_its_reach_once() {
    let lake_dir = tempfile::tempdir().unwrap();
    let sample = kpi()
        .args([
            "sample-data",
            "--days",
            "400",
            "--companies",
            "2",
            "--seed",
            "3",
            "--out",
        ])
        .arg(lake_dir.path())
        .output()
        .unwrap();
    assert!(
        sample.status.success(),
        "{}",
        String::from_utf8_lossy(&sample.stderr)
    );
    let project = tempfile::tempdir().unwrap();
    copy_tree(&root().join("pipelines"), project.path());
    let first = Day::parse("2024-01-01").unwrap().add_days(34).unwrap();
    let last = first.add_days(365).unwrap();
    let out = kpi()
        .arg("run")
        .arg("--project")
        .arg(project.path())
        .arg("--lake")
        .arg(lake_dir.path())
        .args([
            "--from",
            &first.to_string(),
            "--to",
            &last.to_string(),
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let manifest = Manifest::read(&project.path().join("target/kpi/manifest.json")).unwrap();
    let lake = Lake::open(lake_dir.path()).unwrap();
    let catalog = lake.read_catalog().unwrap();
    let range = DayRange::new(first, last).unwrap();
    let n = range.len() as f64;
    let c = f64::from(manifest.project.chunk_days);
    println!(
        "{:<38} {:>6} {:>6} {:>7} {:>7} {:>11} {:>11} {:>9} {:>9}",
        "KPI",
        "reads",
        "files",
        "ratio",
        "formula",
        "per-day B",
        "chunked B",
        "per-day $",
        "chunked $"
    );
    let (mut all_reads, mut all_files) = (0usize, 0usize);
    let (mut schema_reads, mut schema_bytes) = (0u64, 0u64);
    let (mut per_day_total, mut chunked_total) = (Estimate::default(), Estimate::default());
    for kpi in &manifest.kpis {
        let writes: Vec<&Value> = report["queries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|q| q["kpi"] == kpi.name.as_str() && q["role"] == "write")
            .collect();
        assert_eq!(writes.len(), 4, "{}: 366 days in chunks of 100", kpi.name);
        let mut reads = 0;
        let mut distinct = BTreeSet::new();
        for q in &writes {
            let chunk = DayRange::new(
                Day::parse(q["days"]["first"].as_str().unwrap()).unwrap(),
                Day::parse(q["days"]["last"].as_str().unwrap()).unwrap(),
            )
            .unwrap();
            let opened: BTreeMap<String, u64> = q["files_read"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| {
                    let path = f["path"].as_str().unwrap().to_string();
                    (path, f["bytes"].as_u64().unwrap())
                })
                .collect();
            let reach = reach(&lake, &catalog, &manifest, kpi, chunk);
            // Binding a view reads the schema of its first file (of each file, for a KPI's
            // table, whose columns may differ between definitions): only footers. Any
            // other read beyond the reach, or a file of the reach not read, is a fault.
            let mut read = BTreeSet::new();
            for (path, bytes) in &opened {
                if reach.contains(path) {
                    read.insert(path.clone());
                } else {
                    // Each bind reads the 8-byte tail (the footer's length), then the footer
                    // with it; a view named twice in a query is bound twice.
                    let footer = footer_bytes(std::path::Path::new(path)) + 8;
                    assert!(
                        bytes.is_multiple_of(footer),
                        "{} {chunk}: read {bytes} bytes of {path}, beyond its reach and not \
                         whole reads of its {footer}-byte footer",
                        kpi.name
                    );
                    schema_reads += 1;
                    schema_bytes += bytes;
                }
            }
            let unread: Vec<_> = reach.difference(&read).collect();
            assert!(
                unread.is_empty(),
                "{} {chunk}: files of the reach not read: {unread:#?}",
                kpi.name
            );
            reads += read.len();
            distinct.extend(read);
        }
        // The expected ratio, table by table (each of its reads' windows end together, so
        // the longest lead-in is the table's): (N + ⌈N/C⌉·L) / (N + L) for one table.
        let mut leads: BTreeMap<String, u32> = BTreeMap::new();
        for r in kpi.reads.iter().filter(|r| r.partitioned) {
            let lead = leads.entry(format!("{:?}", r.target)).or_default();
            *lead = (*lead).max(r.window.lead_in());
        }
        let expected_reads: f64 = leads
            .values()
            .map(|&l| n + (n / c).ceil() * f64::from(l))
            .sum();
        let expected_files: f64 = leads.values().map(|&l| n + f64::from(l)).sum();
        let formula = expected_reads / expected_files;
        let ratio = reads as f64 / distinct.len() as f64;
        // The estimate of one query per KPI-day over the same files, beside the chunks' own.
        let per_day: Estimate = range
            .days()
            .map(|d| {
                let bytes: u64 = reach(&lake, &catalog, &manifest, kpi, DayRange::one(d))
                    .iter()
                    .filter_map(|f| std::fs::metadata(f).ok())
                    .map(|m| m.len())
                    .sum();
                // Its check reads the day's published files.
                let output: u64 = published(&lake, &catalog, &manifest, &kpi.name, d)
                    .iter()
                    .filter_map(|f| std::fs::metadata(f).ok())
                    .map(|m| m.len())
                    .sum();
                Estimate::query(bytes) + Estimate::query(output)
            })
            .sum();
        let chunked: Estimate = report["kpis"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["kpi"] == kpi.name.as_str())
            .map(|k| serde_json::from_value(k["estimate"].clone()).unwrap())
            .unwrap();
        println!(
            "{:<38} {reads:>6} {:>6} {ratio:>7.4} {formula:>7.4} {:>11} {:>11} {:>9.4} {:>9.4}",
            kpi.name,
            distinct.len(),
            per_day.bytes,
            chunked.bytes,
            per_day.dollars,
            chunked.dollars
        );
        assert!(
            (ratio - formula).abs() < 1e-12,
            "{}: {ratio} reads per file, expected {formula}",
            kpi.name
        );
        assert!(chunked.queries < per_day.queries);
        per_day_total = per_day_total + per_day;
        chunked_total = chunked_total + chunked;
        all_reads += reads;
        all_files += distinct.len();
    }
    println!(
        "total: {all_reads} reads of {all_files} files ({:.4}); Athena: per-day {} queries, {} B, ${:.4}; chunked {} queries, {} B, ${:.4}",
        all_reads as f64 / all_files as f64,
        per_day_total.queries,
        per_day_total.bytes,
        per_day_total.dollars,
        chunked_total.queries,
        chunked_total.bytes,
        chunked_total.dollars
    );
    println!("schema reads beyond the reaches: {schema_reads} footers, {schema_bytes} bytes");
    assert!(chunked_total.bytes < per_day_total.bytes);
    assert!(chunked_total.dollars < per_day_total.dollars);
}

/// A Parquet file's footer: its metadata, the metadata's length and the closing magic.
fn footer_bytes(path: &std::path::Path) -> u64 {
    let bytes = std::fs::read(path).unwrap();
    let tail = &bytes[bytes.len() - 8..];
    assert_eq!(&tail[4..], b"PAR1", "{}", path.display());
    u64::from(u32::from_le_bytes(tail[..4].try_into().unwrap())) + 8
}

/// The files a KPI's query over `range` must read: each source window's files (staged copies
/// of JSON are what is read) and each upstream window's published files.
fn reach(
    lake: &Lake,
    catalog: &LocalCatalog,
    manifest: &Manifest,
    kpi: &Kpi,
    range: DayRange,
) -> BTreeSet<String> {
    let mut reach = BTreeSet::new();
    for (source, file) in inputs::source_files(lake, manifest, kpi, range) {
        reach.insert(staged_or_raw(lake, source, &file));
    }
    for r in &kpi.reads {
        if let (Target::Kpi(u), Some(days)) = (&r.target, r.window.of_range(range)) {
            for d in days.days() {
                reach.extend(published(lake, catalog, manifest, u, d));
            }
        }
    }
    reach
}

/// The files of a KPI's published partition of a day.
fn published(
    lake: &Lake,
    catalog: &LocalCatalog,
    manifest: &Manifest,
    kpi: &str,
    day: Day,
) -> Vec<String> {
    let Some(p) = catalog.partition(&manifest.project.database, kpi, day) else {
        return Vec::new();
    };
    let dir = lake.path_of(&p.location).unwrap();
    p.files
        .iter()
        .map(|f| dir.join(&f.name).to_string_lossy().to_string())
        .collect()
}

/// The file a query reads for a source file: its staged Parquet copy (JSON lines are staged
/// once), or the file itself.
fn staged_or_raw(
    lake: &Lake,
    source: &kpi_contract::manifest::Source,
    file: &std::path::Path,
) -> String {
    kpi_runtime::staging::staged_copy(lake, source, file)
        .unwrap_or_else(|| file.to_path_buf())
        .to_string_lossy()
        .to_string()
}
