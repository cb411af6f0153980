//! Shared by the `asl_*` tests: small projects in memory (or the starter project from disk)
//! → plan, SQL bundle, state machine; and the validators of `scripts/validate`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(dead_code)]

use kpi_compiler::asl::{StateMachine, emit_asl};
use kpi_compiler::diagnostic::Diagnostic;
use kpi_compiler::ir::Program;
use kpi_compiler::lower::{Plan, lower};
use kpi_compiler::project::Project;
use kpi_compiler::span::Sources;
use kpi_compiler::sql::{SqlBundle, emit_sql};
use kpi_contract::manifest::{LocalAction, Role, Statement};
use kpi_contract::{Param, SqlText};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

#[path = "../../tests/support/tools.rs"]
pub mod tools;

pub const CATALOG: &str = "databases:
  lake:
    events:
      format: json
      location: s3://lake-bucket/raw/events/
      columns:
        event_id: bigint
        company_id: bigint
        member_id: bigint
        kind: string
      partition_keys:
        dt: string
    members:
      format: parquet
      location: s3://lake-bucket/master/members/
      columns:
        member_id: bigint
        company_id: bigint
        department_id: bigint
      partition_keys:
        dt: string
";

pub fn project_yaml(time_zone: &str, concurrency: u32) -> String {
    format!(
        "name: small\ncatalog: catalog/\nsources:\n  events:\n    table: lake.events\n    kind: events\n    partition: dt\n  members:\n    table: lake.members\n    kind: snapshot\n    partition: dt\ntarget:\n  database: kpi_out\n  location: s3://out-bucket/kpi/\n  workgroup: kpi-wg\n  concurrency: {concurrency}\n  crawler: lake-crawler\n  history_start: 2024-01-01\n  time_zone: {time_zone}\n"
    )
}

/// Two level-0 KPIs and one level-1 KPI reading both over windows.
pub const SMALL_KPIS: &str = "/// Members who did anything, per company.
kpi daily_active {
  from events e
  where e.kind in ('post', 'comment')
  group by e.company_id
  measure active = count(distinct e.member_id)
  check active > 0
}

/// It's a \"quote\" {brace} test: per department.
kpi by_department {
  from events e
  join members m on m.member_id = e.member_id
  where e.kind = 'it''s {x}'
  group by e.company_id, m.department_id
  measure events = count(*)
}

kpi weekly {
  from daily_active d over 7 days
  join by_department b on b.company_id = d.company_id
  group by d.company_id
  measure total = sum(b.events)
}
";

/// `n` level-0 KPIs and `n / 4` level-1 KPIs, each reading one level-0 KPI over 7 days.
pub fn many_kpis(n: usize) -> String {
    let mut out = String::new();
    for i in 0..n {
        let _ = writeln!(
            out,
            "kpi k{i} {{\n  from events e\n  where e.kind = 'k{i}'\n  group by e.company_id\n  measure n = count(*)\n  check n > 0\n}}\n"
        );
    }
    for i in 0..n / 4 {
        let _ = writeln!(
            out,
            "kpi up{i} {{\n  from k{i} k over 7 days\n  group by k.company_id\n  measure n = sum(k.n)\n}}\n"
        );
    }
    out
}

pub struct Built {
    pub plan: Plan,
    pub sql: SqlBundle,
}

/// Parses and checks a project given as (name, text) files; the checker must report nothing.
fn check(
    yaml: &str,
    catalog: &[(&str, &str)],
    kpis: &[(&str, &str)],
) -> (Sources, Project, kpi_compiler::catalog::Catalog, Program) {
    let mut sources = Sources::new();
    let yaml_id = sources.add("kpi.yaml", yaml.to_string());
    let catalog_ids: Vec<_> = catalog
        .iter()
        .map(|(n, t)| sources.add(*n, t.to_string()))
        .collect();
    let kpi_ids: Vec<_> = kpis
        .iter()
        .map(|(n, t)| sources.add(*n, t.to_string()))
        .collect();
    let (project, errors) = kpi_compiler::project::parse_project(&sources, yaml_id);
    assert!(errors.is_empty(), "{errors:?}");
    let project = project.expect("project");
    let checked = kpi_compiler::check_project(&sources, Some(&project), &catalog_ids, &kpi_ids);
    assert!(!checked.has_errors(), "{:?}", checked.diagnostics);
    let program = checked.program.expect("program");
    (sources, project, checked.catalog, program)
}

/// `kpi build` in memory for a project given as (name, text) files: every artifact and every
/// diagnostic (the checker's must be none).
pub fn full_build(
    yaml: &str,
    catalog: &[(&str, &str)],
    kpis: &[(&str, &str)],
) -> (kpi_compiler::build::Artifacts, Vec<Diagnostic>) {
    let (sources, project, catalog, program) = check(yaml, catalog, kpis);
    kpi_compiler::build::build(&sources, &project, &catalog, &program)
}

/// The contract gives every KPI a check statement (`04_check`, role `Check`, over the chunk's
/// days and the attempt); a KPI of the bundle without one gets one with those parameters, so
/// these tests depend only on statement names, roles and parameters.
pub fn with_checks(mut sql: SqlBundle) -> SqlBundle {
    for kpi in &mut sql.kpis {
        if kpi.statements.iter().any(|s| s.role == Role::Check) {
            continue;
        }
        let mut text = SqlText::text(format!(
            "SELECT dt, rows, failure FROM \"{}__attempts\" WHERE dt BETWEEN '",
            kpi.kpi
        ));
        text.push_param(Param::FirstDay);
        text.push_text("' AND '");
        text.push_param(Param::LastDay);
        text.push_text("' AND attempt = '");
        text.push_param(Param::Attempt);
        text.push_text("'");
        kpi.statements.push(Statement {
            name: "04_check".into(),
            role: Role::Check,
            athena: text,
            local: LocalAction::Nothing,
        });
    }
    sql
}

/// Parses, checks, lowers and emits SQL for a project given as (name, text) files.
pub fn build(yaml: &str, catalog: &[(&str, &str)], kpis: &[(&str, &str)]) -> Built {
    let (_, project, catalog, program) = check(yaml, catalog, kpis);
    let plan = lower(&program, &project, &catalog, &BTreeMap::new());
    let sql = with_checks(emit_sql(&plan));
    Built { plan, sql }
}

/// A project folder: its `kpi.yaml`, `catalog/` and `.kpi` files, or for a case of
/// `tests/cases/` without them, the shared `tests/project.yaml` and `tests/catalog/`.
pub fn project_dir(dir: &Path) -> Built {
    let read = |p: &Path| std::fs::read_to_string(p).expect("read");
    let root = repo_root();
    let own = dir.join("kpi.yaml").is_file();
    let yaml = if own {
        read(&dir.join("kpi.yaml"))
    } else {
        format!(
            "catalog: catalog/\n{}",
            read(&root.join("tests/project.yaml"))
        )
    };
    let catalog_dir = if own {
        dir.join("catalog")
    } else {
        root.join("tests/catalog")
    };
    let mut files: Vec<(String, String, bool)> = Vec::new();
    for (folder, is_catalog) in [(catalog_dir, true), (dir.to_path_buf(), false)] {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&folder)
            .expect("dir")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .collect();
        entries.sort();
        for p in entries {
            let name = p.file_name().expect("name").to_string_lossy().to_string();
            if is_catalog && (name.ends_with(".json") || name.ends_with(".yaml")) {
                files.push((format!("catalog/{name}"), read(&p), true));
            } else if !is_catalog && name.ends_with(".kpi") {
                files.push((name, read(&p), false));
            }
        }
    }
    let c: Vec<(&str, &str)> = files
        .iter()
        .filter(|f| f.2)
        .map(|(a, b, _)| (a.as_str(), b.as_str()))
        .collect();
    let k: Vec<(&str, &str)> = files
        .iter()
        .filter(|f| !f.2)
        .map(|(a, b, _)| (a.as_str(), b.as_str()))
        .collect();
    build(&yaml, &c, &k)
}

pub fn small(time_zone: &str) -> Built {
    build(
        &project_yaml(time_zone, 4),
        &[("catalog/lake.yaml", CATALOG)],
        &[("small.kpi", SMALL_KPIS)],
    )
}

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

/// The starter project in `pipelines/`, read from disk.
pub fn starter() -> Built {
    project_dir(&repo_root().join("pipelines"))
}

/// The machine of a project whose executions span at most `max_days` days.
pub fn machine(built: &Built, max_days: u32) -> (StateMachine, Vec<Diagnostic>) {
    let mut plan = built.plan.clone();
    plan.settings.max_backfill_days = max_days;
    emit_asl(&plan, &built.sql)
}

/// `scripts/validate/run TOOL FILE`: (valid, output). A missing validator fails the test
/// (see `tests/support/tools.rs`); `None` only when skipping was asked for (`KPI_ALLOW_SKIP=1`).
pub fn validate(tool: &str, file: &Path) -> Option<(bool, String)> {
    let test = format!("validator {tool} on {}", file.display());
    if !tools::require(&test, tools::for_validator(tool)) {
        return None;
    }
    let root = repo_root();
    let out = Command::new(root.join("scripts/validate/run"))
        .arg(tool)
        .arg(file)
        .current_dir(&root)
        .output()
        .expect("run validator");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.status.code() == Some(3) && !tools::validator_failed_to_start(&test, tool, &text) {
        return None;
    }
    Some((out.status.success(), text))
}

/// A fresh directory under the target dir's tmp (or the system temp dir).
pub fn scratch(name: &str) -> PathBuf {
    let base = option_env!("CARGO_TARGET_TMPDIR")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let dir = base.join(format!("asl-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// Source tables of [`generated`].
pub const GENERATED_TABLES: usize = 10;

/// A catalog of [`GENERATED_TABLES`] event tables of 20 columns each.
pub fn generated_catalog() -> String {
    let mut out = String::from("databases:\n  lake:\n");
    for t in 0..GENERATED_TABLES {
        let _ = writeln!(
            out,
            "    t{t}:\n      format: json\n      location: s3://lake-bucket/raw/t{t}/\n      columns:"
        );
        out.push_str("        id: bigint\n        company_id: bigint\n        member_id: bigint\n        kind: string\n        ts: timestamp\n        amount: double\n");
        for c in 0..14 {
            let _ = writeln!(
                out,
                "        c{c}: {}",
                if c % 2 == 0 { "string" } else { "bigint" }
            );
        }
        out.push_str("      partition_keys:\n        dt: string\n");
    }
    out
}

pub fn generated_yaml() -> String {
    let mut out = String::from("name: generated\ncatalog: catalog/\nsources:\n");
    for t in 0..GENERATED_TABLES {
        let _ = writeln!(
            out,
            "  s{t}:\n    table: lake.t{t}\n    kind: events\n    partition: dt"
        );
    }
    out.push_str("target:\n  database: kpi_out\n  location: s3://out-bucket/kpi/\n  workgroup: kpi-wg\n  concurrency: 16\n  crawler: lake-crawler\n  history_start: 2024-01-01\n  time_zone: Europe/Paris\n");
    out
}

/// `n` KPIs in the shape of `benches/check.rs`: each reads a source over a window of 1 to 30
/// days with a left join, a filter, two dimensions, four measures and a check; every tenth
/// is followed by a level-1 KPI reading the one before it (no check). Documented.
pub fn generated_kpis(n: usize) -> String {
    let mut out = String::new();
    let mut count = 0;
    let mut i = 0;
    while count < n {
        let t = i % GENERATED_TABLES;
        let u = (i + 1) % GENERATED_TABLES;
        let _ = write!(
            out,
            "/// KPI number {i}: events and members per company and bucket.\nkpi k{i} {{\n  from s{t} e over {} days\n  left join s{u} o on o.member_id = e.member_id and o.kind = 'comment'\n  where e.kind in ('post', 'comment') and e.amount > {i} and lower(e.c0) like 'a%'\n  group by e.company_id, bucket = e.c1 % 10\n  measure events = count(*)\n  measure members = count(distinct e.member_id)\n  measure amount = sum(e.amount where o.id is not null)\n  measure per_member = amount / members\n  check events > 0\n}}\n\n",
            1 + i % 30
        );
        count += 1;
        if i % 10 == 9 && count < n {
            let _ = write!(
                out,
                "kpi k{i}_daily {{\n  from k{} d over 7 days\n  group by d.company_id, d.bucket\n  measure events = sum(d.events)\n  measure amount = sum(d.amount)\n}}\n\n",
                i - 1
            );
            count += 1;
        }
        i += 1;
    }
    out
}

/// [`generated_kpis`] built.
pub fn generated(n: usize) -> Built {
    build(
        &generated_yaml(),
        &[("catalog/lake.yaml", &generated_catalog())],
        &[("generated.kpi", &generated_kpis(n))],
    )
}
