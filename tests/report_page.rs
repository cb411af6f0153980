//! The run report's page as a browser shows it: `kpi run --report` on a generated lake, then
//! headless Chromium takes a 1280×800 screenshot (kept in `$KPI_ARTIFACTS_DIR`, else
//! `target/artifacts/`) and dumps the DOM, whose summary must give the JSON report's numbers.
//! Chromium is required (`tests/support/tools.rs`), unless `KPI_ALLOW_SKIP=1` outside CI.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
#[path = "support/tools.rs"]
mod tools;

use common::{copy_tree, kpi, root};
use serde_json::Value;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use tools::Tool;

fn grouped(whole: u64) -> String {
    let digits = whole.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Seconds as the page prints them: two decimals, thousands grouped.
fn seconds(s: f64) -> String {
    let cents = (s * 100.0).round() as u64;
    format!("{}.{:02} s", grouped(cents / 100), cents % 100)
}

/// The text of the element with `id` in the DOM.
fn by_id<'a>(dom: &'a str, id: &str) -> &'a str {
    let open = format!("id=\"{id}\">");
    let start = dom
        .find(&open)
        .unwrap_or_else(|| panic!("no #{id} in the page"))
        + open.len();
    let end = start + dom[start..].find('<').unwrap();
    &dom[start..end]
}

fn chromium(args: &[&str], profile: &Path) -> std::process::Output {
    let out = Command::new("chromium")
        .args([
            "--headless",
            "--disable-gpu",
            "--no-sandbox",
            "--hide-scrollbars",
            "--window-size=1280,800",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .output()
        .expect("chromium runs");
    assert!(
        out.status.success(),
        "chromium {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Width, height and the RGB(A) pixels of an 8-bit PNG, its scanlines unfiltered.
fn decode_png(png: &[u8]) -> (u32, u32, usize, Vec<u8>) {
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "a PNG file");
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    let (mut at, mut idat) = (8, Vec::new());
    let (mut width, mut height, mut channels) = (0, 0, 0);
    while at + 8 <= png.len() {
        let len = be(&png[at..]) as usize;
        let kind = &png[at + 4..at + 8];
        let data = &png[at + 8..at + 8 + len];
        match kind {
            b"IHDR" => {
                width = be(data);
                height = be(&data[4..]);
                assert_eq!(data[8], 8, "8 bits per channel");
                channels = match data[9] {
                    2 => 3,
                    6 => 4,
                    other => panic!("colour type {other}"),
                };
            }
            b"IDAT" => idat.extend_from_slice(data),
            _ => {}
        }
        at += 12 + len;
    }
    let mut raw = Vec::new();
    flate2::read::ZlibDecoder::new(&idat[..])
        .read_to_end(&mut raw)
        .unwrap();
    let stride = width as usize * channels;
    let mut pixels = vec![0u8; stride * height as usize];
    for y in 0..height as usize {
        let filter = raw[y * (stride + 1)];
        let line = &raw[y * (stride + 1) + 1..(y + 1) * (stride + 1)];
        for x in 0..stride {
            let a = if x >= channels {
                pixels[y * stride + x - channels]
            } else {
                0
            } as i16;
            let b = if y > 0 {
                pixels[(y - 1) * stride + x]
            } else {
                0
            } as i16;
            let c = if x >= channels && y > 0 {
                pixels[(y - 1) * stride + x - channels]
            } else {
                0
            } as i16;
            let predicted = match filter {
                0 => 0,
                1 => a,
                2 => b,
                3 => (a + b) / 2,
                4 => {
                    let p = a + b - c;
                    let (pa, pb, pc) = ((p - a).abs(), (p - b).abs(), (p - c).abs());
                    if pa <= pb && pa <= pc {
                        a
                    } else if pb <= pc {
                        b
                    } else {
                        c
                    }
                }
                other => panic!("PNG filter {other}"),
            };
            pixels[y * stride + x] = (line[x] as i16 + predicted) as u8;
        }
    }
    (width, height, channels, pixels)
}

fn artifacts_dir() -> PathBuf {
    std::env::var_os("KPI_ARTIFACTS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/artifacts"))
}

#[test]
fn the_report_page_renders_the_summary_of_the_json_report() {
    if !tools::require("report_page", &[Tool::Chromium]) {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let (project, lake) = (work.path().join("project"), work.path().join("lake"));
    copy_tree(&root().join("pipelines"), &project);
    let options = kpi_sample::SampleOptions {
        days: 36,
        companies: 8,
        seed: 7,
        ..kpi_sample::SampleOptions::default()
    };
    kpi_sample::generate(&lake, &options, &kpi_runtime::parquet::DuckDbParquet).unwrap();
    let page = work.path().join("report.html");
    let out = kpi()
        .arg("run")
        .arg("--project")
        .arg(&project)
        .arg("--lake")
        .arg(&lake)
        .args([
            "--from",
            "2024-01-20",
            "--to",
            "2024-02-05",
            "--format",
            "json",
        ])
        .arg("--report")
        .arg(&page)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let html = std::fs::read_to_string(&page).unwrap();

    // Self-contained: nothing fetched from anywhere.
    for reference in ["src=", "href=", "@import", "http://", "https://"] {
        assert!(!html.contains(reference), "the page holds `{reference}`");
    }
    for (i, _) in html.match_indices("url(") {
        let inside = html[i + 4..].trim_start_matches(['"', '\'']);
        assert!(!inside.starts_with("http"), "an outside url( at {i}");
    }

    let profile = work.path().join("chromium");
    let url = format!("file://{}", page.display());
    let dir = artifacts_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let shot = dir.join("report-page.png");
    let _ = std::fs::remove_file(&shot);
    chromium(
        &[&format!("--screenshot={}", shot.display()), &url],
        &profile,
    );
    let (width, height, channels, pixels) = decode_png(&std::fs::read(&shot).unwrap());
    assert_eq!((width, height), (1280, 800));
    let colours: std::collections::BTreeSet<&[u8]> = pixels.chunks(channels).collect();
    let inked = pixels
        .chunks(channels)
        .filter(|p| p[..3].iter().any(|&v| v < 200))
        .count();
    assert!(
        colours.len() > 20,
        "{} colours: a blank page",
        colours.len()
    );
    assert!(
        inked * 100 > pixels.len() / channels,
        "{inked} dark pixels of {}",
        pixels.len() / channels
    );

    let dom = String::from_utf8(chromium(&["--dump-dom", &url], &profile).stdout).unwrap();
    let kpis = report["kpis"].as_array().unwrap();
    let sum = |key: &str| kpis.iter().map(|k| k[key].as_u64().unwrap()).sum::<u64>();
    let wall = report["seconds"].as_f64().unwrap();
    assert_eq!(by_id(&dom, "wall"), seconds(wall));
    assert_eq!(by_id(&dom, "kpi-days"), grouped(sum("succeeded")));
    assert_eq!(sum("succeeded"), report["kpi_days"].as_u64().unwrap());
    let queries = report["queries"].as_array().unwrap();
    let query_ms: f64 = queries
        .iter()
        .filter(|q| q["role"] != "publish")
        .map(|q| q["duration_ms"].as_f64().unwrap())
        .sum();
    assert!(
        queries.iter().any(|q| q["role"] == "publish"),
        "catalog writes are recorded"
    );
    assert_eq!(by_id(&dom, "query-time"), seconds(query_ms / 1000.0));
    let kpi_seconds: f64 = kpis.iter().map(|k| k["seconds"].as_f64().unwrap()).sum();
    assert_eq!(by_id(&dom, "total-query"), seconds(kpi_seconds));
    assert!(
        dom.contains(&format!("{} B, ", grouped(sum("bytes_read")))),
        "bytes read"
    );
    let dollars: f64 = kpis
        .iter()
        .map(|k| k["estimate"]["dollars"].as_f64().unwrap())
        .sum();
    assert_eq!(by_id(&dom, "athena"), format!("${dollars:.4}"));
    // The parts of the wall time add up to it (each rounded to 10 ms).
    let part = |id: &str| -> f64 {
        let text = by_id(&dom, id);
        text.trim_end_matches(" s")
            .replace(',', "")
            .parse()
            .unwrap()
    };
    let parts: f64 = [
        "part-before",
        "part-queries",
        "part-catalog",
        "part-machine",
        "part-after",
    ]
    .iter()
    .map(|id| part(id))
    .sum();
    assert!((parts - wall).abs() <= 0.03, "parts {parts} s of {wall} s");
    assert!(
        part("part-before") > 0.0,
        "planning and staging come before the first query"
    );
    for k in kpis {
        assert!(
            dom.contains(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td>",
                k["kpi"].as_str().unwrap(),
                k["level"],
                grouped(k["days"].as_u64().unwrap())
            )),
            "a row for {}",
            k["kpi"]
        );
    }
    // The slowest query's SQL is in the page, one <details> away.
    let slowest = queries
        .iter()
        .filter(|q| q["role"] != "publish")
        .max_by(|a, b| {
            a["duration_ms"]
                .as_f64()
                .unwrap()
                .total_cmp(&b["duration_ms"].as_f64().unwrap())
        })
        .unwrap();
    let sql = slowest["sql"].as_str().expect("the slowest query ran SQL");
    let first_line = sql.lines().find(|l| !l.trim().is_empty()).unwrap().trim();
    let escaped = first_line
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    assert!(dom.contains("<details><summary>SQL</summary><pre>"));
    assert!(
        dom.contains(&escaped),
        "the SQL of the slowest query: {first_line}"
    );
    let lanes = dom.matches("<div class=\"lane\">").count();
    assert!(
        (1..=std::thread::available_parallelism().map_or(64, |n| n.get())).contains(&lanes),
        "{lanes} worker lanes"
    );
    assert_eq!(dom.matches("class=\"bar ").count(), queries.len());
}
