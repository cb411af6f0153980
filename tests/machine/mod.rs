//! Support of `tests/local_machine.rs`: a project folder (or texts) → the compiled state
//! machine, parsed by the interpreter, with its SQL bundle; and [`Aws`], a Task handler that
//! answers every call the machine makes as Athena and Glue would and records it.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod aws;

pub use aws::{Aws, Call};

use kpi_compiler::lower::{Plan, lower};
use kpi_compiler::span::Sources;
use kpi_compiler::sql::{SqlBundle, emit_sql};
use serde_json::{Value, json};
use std::path::Path;

pub struct Built {
    pub plan: Plan,
    pub sql: SqlBundle,
    pub machine: kpi_asl::StateMachine,
    pub stats: kpi_compiler::asl::MachineStats,
}

/// The contract gives every KPI a check statement (`04_check`, role `check`, over the chunk's
/// days and the attempt); a KPI of the bundle without one gets one with those parameters, so
/// these tests depend only on statement names, roles and parameters.
pub fn with_checks(mut sql: SqlBundle) -> SqlBundle {
    for kpi in &mut sql.kpis {
        let has = kpi
            .statements
            .iter()
            .any(|s| serde_json::to_value(s.role).unwrap() == "check");
        if !has {
            let text = format!(
                "SELECT dt, rows, failure FROM \"{}__attempts\" WHERE dt BETWEEN '",
                kpi.kpi
            );
            kpi.statements.push(
                serde_json::from_value(json!({
                    "name": "04_check",
                    "role": "check",
                    "athena": [{"text": text}, {"param": "first_day"}, {"text": "' AND '"},
                               {"param": "last_day"}, {"text": "' AND attempt = '"},
                               {"param": "attempt"}, {"text": "'"}],
                    "local": {"kind": "nothing"},
                }))
                .unwrap(),
            );
        }
    }
    sql
}

/// Builds a project given as (path, text) files: `kpi.yaml`, catalog files under `catalog/`,
/// `.kpi` files. The checker must report nothing; SAM's substitutions are filled in.
pub fn build_files(files: &[(String, String)]) -> Built {
    let mut sources = Sources::new();
    let yaml = files
        .iter()
        .find(|(n, _)| n == "kpi.yaml")
        .expect("kpi.yaml");
    let yaml_id = sources.add("kpi.yaml", yaml.1.clone());
    let mut catalog_ids = Vec::new();
    let mut kpi_ids = Vec::new();
    for (name, text) in files {
        if name.starts_with("catalog/") {
            catalog_ids.push(sources.add(name, text.clone()));
        } else if name.ends_with(".kpi") {
            kpi_ids.push(sources.add(name, text.clone()));
        }
    }
    let (project, errors) = kpi_compiler::project::parse_project(&sources, yaml_id);
    assert!(errors.is_empty(), "{errors:?}");
    let project = project.expect("project");
    let checked = kpi_compiler::check_project(&sources, Some(&project), &catalog_ids, &kpi_ids);
    assert!(!checked.has_errors(), "{:?}", checked.diagnostics);
    let program = checked.program.expect("program");
    let labels = kpi_compiler::build::check_labels(&program, &sources);
    let plan = lower(&program, &project, &checked.catalog, &labels);
    let sql = with_checks(emit_sql(&plan));
    let (machine, diagnostics) = kpi_compiler::asl::emit_asl(&plan, &sql);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    let definition = machine
        .to_json()
        .replace("${WorkGroup}", "kpi")
        .replace("${Database}", &plan.settings.database)
        .replace("${QueryResultsLocation}", "s3://results/kpi/");
    Built {
        stats: machine.stats.clone(),
        machine: kpi_asl::parse_definition_text(&definition).expect("the interpreter reads it"),
        plan,
        sql,
    }
}

/// Builds a project folder (`pipelines/`).
pub fn build_dir(dir: &Path) -> Built {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d).expect("dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n != "target") {
                    pending.push(path);
                }
                continue;
            }
            let name = path
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            if name == "kpi.yaml" || name.starts_with("catalog/") || name.ends_with(".kpi") {
                files.push((name, std::fs::read_to_string(&path).expect("read")));
            }
        }
    }
    files.sort();
    build_files(&files)
}

impl Built {
    /// Runs the machine on `input` against `aws` (one Map worker: calls in definition order).
    pub fn run(&self, input: Value, aws: &Aws) -> kpi_asl::Execution {
        let clock = kpi_asl::VirtualClock::starting_now();
        let engine = kpi_asl::jsonata::Engine;
        let options = kpi_asl::Options {
            tasks: Some(aws),
            jsonata: Some(&engine),
            execution_name: "exec-1",
            ..kpi_asl::Options::new(&clock)
        };
        kpi_asl::execute(&self.machine, input, &options)
    }

    pub fn kpis_of_level(&self, level: usize) -> Vec<String> {
        self.plan
            .kpis
            .iter()
            .filter(|k| k.level == level)
            .map(|k| k.name.clone())
            .collect()
    }

    /// The Athena text of a KPI's statement for these days and attempt.
    pub fn text(
        &self,
        kpi: &str,
        statement: &str,
        first: &str,
        last: &str,
        attempt: &str,
    ) -> String {
        let s = self
            .sql
            .kpis
            .iter()
            .find(|k| k.kpi == kpi)
            .and_then(|k| k.statements.iter().find(|s| s.name == statement))
            .unwrap_or_else(|| panic!("{kpi} has no {statement}"));
        s.athena.render_with(|p| match p.name() {
            "first_day" => first.to_string(),
            "last_day" => last.to_string(),
            "attempt" => attempt.to_string(),
            other => panic!("an Athena statement holds {other}"),
        })
    }
}

/// A project of the test catalog (`tests/catalog/`, `tests/project.yaml` plus `target_extra`
/// under `target:`) with one `.kpi` file.
pub fn test_project(target_extra: &str, kpis: &str) -> Built {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let yaml = std::fs::read_to_string(root.join("tests/project.yaml")).unwrap();
    build_files(&[
        (
            "kpi.yaml".into(),
            format!("catalog: catalog/\n{yaml}{target_extra}"),
        ),
        (
            "catalog/lake.yaml".into(),
            std::fs::read_to_string(root.join("tests/catalog/lake.yaml")).unwrap(),
        ),
        ("project.kpi".into(), kpis.into()),
    ])
}

pub fn days_between(first: &str, last: &str) -> Vec<String> {
    let mut d = chrono::NaiveDate::parse_from_str(first, "%Y-%m-%d").unwrap();
    let end = chrono::NaiveDate::parse_from_str(last, "%Y-%m-%d").unwrap();
    let mut out = Vec::new();
    while d <= end {
        out.push(d.format("%Y-%m-%d").to_string());
        d = d.succ_opt().unwrap();
    }
    out
}
