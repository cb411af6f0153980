//! `kpi diff --data`: the KPIs whose rows can differ, computed for some days with each
//! side's definitions in a scratch lake of its own over the real lake's sources (which is
//! never written to nor locked), their rows compared key by key (`kpi_compiler::diff::data`).

use crate::error::CliError;
use crate::output;
use kpi_compiler::build::STATE_MACHINE_FILE;
use kpi_compiler::diff::{DataDiff, Diff, Rows, compare_rows};
use kpi_compiler::driver::Compiled;
use kpi_contract::hive::HiveType;
use kpi_contract::{Day, DayRange};
use kpi_runtime::manifest::Manifest;
use kpi_runtime::query::Table;
use kpi_runtime::scratch::ScratchLake;
use std::path::Path;

/// `DAY` or `FROM..TO`.
pub fn parse_days(text: &str) -> Result<DayRange, CliError> {
    let day = |d: &str| {
        Day::parse(d.trim()).ok_or_else(|| {
            CliError::usage(format!(
                "--data takes a day YYYY-MM-DD or a range FROM..TO; `{d}` is not a day"
            ))
        })
    };
    let (first, last) = match text.split_once("..") {
        Some((f, t)) => (day(f)?, day(t)?),
        None => (day(text)?, day(text)?),
    };
    DayRange::new(first, last)
        .ok_or_else(|| CliError::usage(format!("--data {text}: {first} is after {last}")))
}

/// One side, built: its manifest and state machine.
struct Side {
    manifest: Manifest,
    machine: kpi_asl::StateMachine,
}

fn side(compiled: &Compiled, name: &str) -> Result<Side, CliError> {
    let Some(artifacts) = &compiled.artifacts else {
        return Err(CliError::usage(format!(
            "--data computes both sides, and {name} does not check"
        )));
    };
    let text = |file: &str| artifacts.files.get(file).map_or("", String::as_str);
    let manifest = Manifest::parse(text("manifest.json")).map_err(CliError::usage)?;
    let machine = kpi_runtime::tasks::deployed_machine(&manifest, STATE_MACHINE_FILE, |f| {
        artifacts.files.get(f).cloned()
    })
    .map_err(|e| CliError::usage(format!("{name}: {e}")))?;
    Ok(Side { manifest, machine })
}

/// Computes the KPIs whose rows can differ for `days` on both sides and compares them.
pub fn data(
    result: &Diff,
    base: &Compiled,
    head: &Compiled,
    lake: &Path,
    days: DayRange,
) -> Result<DataDiff, CliError> {
    if !lake.is_dir() {
        return Err(CliError::usage(format!("no lake at {}", lake.display())));
    }
    let base = side(base, &format!("the base {}", result.base.revision))?;
    let head = side(head, &format!("the head {}", result.head.revision))?;
    let mut every: Vec<String> = head.manifest.kpis.iter().map(|k| k.name.clone()).collect();
    every.extend(
        base.manifest
            .kpis
            .iter()
            .filter(|k| head.manifest.kpi(&k.name).is_none())
            .map(|k| k.name.clone()),
    );
    let kpis = result.data_kpis(&every);
    let concurrency = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let compute = |s: &Side, name: &str| -> Result<ScratchLake, CliError> {
        let scratch = ScratchLake::new(lake, &s.manifest).map_err(CliError::usage)?;
        let mine: Vec<String> = kpis
            .iter()
            .filter(|k| s.manifest.kpi(k).is_some())
            .cloned()
            .collect();
        if !mine.is_empty() {
            output::detail(format!(
                "computing {} of {name} for {}..{} in {}",
                mine.join(", "),
                days.first,
                days.last,
                scratch.root().display()
            ));
            scratch
                .compute(&s.machine, &s.manifest, &mine, days, concurrency)
                .map_err(|e| CliError::usage(format!("{name}: {e}")))?;
        }
        Ok(scratch)
    };
    let base_lake = compute(&base, &result.base.revision)?;
    let head_lake = compute(&head, &result.head.revision)?;
    let mut out = Vec::new();
    for kpi in &kpis {
        let rows = |s: &Side, l: &ScratchLake| -> Result<Rows, CliError> {
            let table = l.rows(&s.manifest, kpi, days).map_err(CliError::usage)?;
            Ok(typed(&s.manifest, kpi, table))
        };
        let b = rows(&base, &base_lake)?;
        let h = rows(&head, &head_lake)?;
        // `dt` first: over a range, a KPI's examples read day by day.
        let mut key = vec!["dt".to_string()];
        key.extend(
            head.manifest
                .kpi(kpi)
                .or_else(|| base.manifest.kpi(kpi))
                .map(|k| k.dimensions.clone())
                .unwrap_or_default(),
        );
        out.push(compare_rows(kpi, &key, &b, &h));
    }
    Ok(DataDiff { days, kpis: out })
}

/// The rows with each column's type from the manifest (`dt` is text).
fn typed(manifest: &Manifest, kpi: &str, table: Table) -> Rows {
    let ty = |c: &str| {
        manifest
            .kpi(kpi)
            .and_then(|k| k.columns.iter().find(|x| x.name == c))
            .map_or(HiveType::String, |x| x.ty.clone())
    };
    Rows {
        columns: table.columns.iter().map(|c| (c.clone(), ty(c))).collect(),
        rows: table.rows,
    }
}
