//! `kpi sample-data`: command-line options → a generated sample lake and a printed report
//! (events, events per second, malformed lines, bytes).

use crate::load::LoadError;
use kpi_sample::{SampleError, SampleOptions, SampleReport, generate};
use std::path::PathBuf;
use std::process::ExitCode;

/// `kpi sample-data --out LAKE [--days N] [--companies N] [--seed S] [--start YYYY-MM-DD]
/// [--large]`: flags given override the preset (`--large` picks the benchmark preset).
pub fn run(
    out: PathBuf,
    days: Option<u32>,
    companies: Option<u32>,
    seed: Option<u64>,
    start: Option<String>,
    large: bool,
) -> Result<ExitCode, LoadError> {
    let mut options = if large {
        SampleOptions::large()
    } else {
        SampleOptions::default()
    };
    if let Some(days) = days {
        options.days = days;
    }
    if let Some(companies) = companies {
        options.companies = companies;
    }
    if let Some(seed) = seed {
        options.seed = seed;
    }
    if let Some(start) = start {
        match SampleOptions::parse_start(&start) {
            Ok(date) => options.start = date,
            Err(e) => return Ok(usage_error(&e)),
        }
    }
    match generate(&out, &options) {
        Ok(report) => {
            print_report(&out, &options, &report);
            Ok(ExitCode::SUCCESS)
        }
        Err(SampleError::Io { path, error }) => Err(LoadError::Io { path, error }),
        Err(e @ SampleError::DuckDb(_)) => Err(LoadError::Io {
            path: out,
            error: std::io::Error::other(e.to_string()),
        }),
        Err(e @ SampleError::Invalid(_)) => Ok(usage_error(&e)),
    }
}

fn usage_error(error: &SampleError) -> ExitCode {
    eprintln!("error: {error}");
    ExitCode::from(1)
}

fn print_report(out: &std::path::Path, options: &SampleOptions, report: &SampleReport) {
    println!(
        "Sample lake in {} ({} days from {}, seed {}{})",
        out.display(),
        report.days,
        options.start.format("%Y-%m-%d"),
        options.seed,
        if options.large { ", large preset" } else { "" }
    );
    println!(
        "  companies        {:>14}",
        grouped(u64::from(report.companies))
    );
    println!("  members          {:>14}", grouped(report.members));
    println!(
        "  events           {:>14}   {} events/s over {:.2} s",
        grouped(report.events),
        grouped(report.events_per_second().round() as u64),
        report.seconds
    );
    println!("  malformed lines  {:>14}", grouped(report.malformed_lines));
    println!(
        "  bytes            {:>14}   {:.1} MiB",
        grouped(report.bytes),
        report.bytes as f64 / (1024.0 * 1024.0)
    );
}

/// 1234567 → "1,234,567".
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
