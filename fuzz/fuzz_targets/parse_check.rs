//! Fuzz target: any text as a `.kpi` file, kpi.yaml or catalog snapshot goes through parse,
//! check and both renderers without panicking, overflowing the stack or hanging.
#![no_main]

use kpi_compiler::diagnostic::{render_human, render_json, RenderOptions};
use kpi_compiler::span::Sources;
use libfuzzer_sys::fuzz_target;

const PROJECT: &str = include_str!("../../tests/project.yaml");
const CATALOG: &str = include_str!("../../tests/catalog/lake.yaml");
const KPI: &str = include_str!("../../pipelines/activity.kpi");

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    let text = String::from_utf8_lossy(rest);
    let yaml = format!("catalog: catalog/\n{PROJECT}");
    let (kpi, yaml, catalog) = match selector % 8 {
        0 => (KPI, yaml.as_str(), text.as_ref()),
        1 => (KPI, text.as_ref(), CATALOG),
        _ => (text.as_ref(), yaml.as_str(), CATALOG),
    };
    let mut sources = Sources::new();
    let project_file = sources.add("kpi.yaml", yaml);
    let catalog_file = sources.add("catalog/lake.yaml", catalog);
    let kpi_file = sources.add("input.kpi", kpi);
    let (project, mut diagnostics) = kpi_compiler::project::parse_project(&sources, project_file);
    let checked = kpi_compiler::check_project(&sources, project.as_ref(), &[catalog_file], &[kpi_file]);
    diagnostics.extend(checked.diagnostics);
    let _ = render_human(&diagnostics, &sources, RenderOptions::default());
    let _ = render_json(&diagnostics, &sources);
});
