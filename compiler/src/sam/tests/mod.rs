//! Tests of the template's policies: a small project → its plan (locations then set on the
//! plan itself) → the template → the policy documents IAM would get once deployed, as
//! `scripts/validate/iam.py --print-policies` resolves them after the real SAM transform.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod diagnostics;
mod policies;

#[path = "../../../../tests/support/tools.rs"]
mod tools;

use crate::lower::Plan;
use crate::span::Sources;
use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;

/// The account the resolved ARNs name, with the colon that follows it.
pub const ACCOUNT_PREFIX: &str = "123456789012:";

const CATALOG: &str = "databases:
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

const PROJECT: &str = "name: small
catalog: catalog/
sources:
  events:
    table: lake.events
    kind: events
    partition: dt
  members:
    table: lake.members
    kind: snapshot
    partition: dt
target:
  database: kpi_out
  location: s3://out-bucket/kpi/
  workgroup: kpi-wg
  concurrency: 4
  crawler: lake-crawler
  history_start: 2024-01-01
  time_zone: UTC
";

const KPIS: &str = "kpi daily_active {
  from events e
  group by e.company_id
  measure active = count(distinct e.member_id)
}

kpi by_department {
  from events e
  join members m on m.member_id = e.member_id
  group by e.company_id, m.department_id
  measure events = count(*)
}

kpi weekly {
  from daily_active d over 7 days
  group by d.company_id
  measure total = max(d.active)
}
";

/// The plan of a project whose sources are in `lake-bucket` (read only) and whose KPI tables
/// are in `out-bucket/kpi/`.
pub fn plan() -> Plan {
    let (artifacts, diagnostics) = build(PROJECT);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    artifacts.plan
}

/// `kpi build` in memory of the project with `project` as its `kpi.yaml`.
pub fn build(project: &str) -> (crate::build::Artifacts, Vec<crate::diagnostic::Diagnostic>) {
    let mut sources = Sources::new();
    let yaml = sources.add("kpi.yaml", project.to_string());
    let catalog = sources.add("catalog/lake.yaml", CATALOG.to_string());
    let kpis = sources.add("small.kpi", KPIS.to_string());
    let (project, errors) = crate::project::parse_project(&sources, yaml);
    assert!(errors.is_empty(), "{errors:?}");
    let project = project.expect("project");
    let checked = crate::check_project(&sources, Some(&project), &[catalog], &[kpis]);
    assert!(!checked.has_errors(), "{:?}", checked.diagnostics);
    let program = checked.program.expect("program");
    crate::build::build(&sources, &project, &checked.catalog, &program)
}

/// The project's `kpi.yaml` with the KPI tables at `location`.
pub fn project_at(location: &str) -> String {
    PROJECT.replace("s3://out-bucket/kpi/", location)
}

/// The policy documents of a deployed template, by resource (and policy) name.
pub struct Policies {
    pub documents: serde_json::Map<String, Value>,
}

impl Policies {
    /// The statements of the state machine's role.
    pub fn role_statements(&self) -> Vec<&Value> {
        self.documents["StateMachineRole.StateMachineRolePolicy0"]["Statement"]
            .as_array()
            .expect("role statements")
            .iter()
            .collect()
    }

    /// The role's statements that allow `action`.
    pub fn role_granting(&self, action: &str) -> Vec<&Value> {
        self.role_statements()
            .into_iter()
            .filter(|st| strings(&st["Action"]).iter().any(|a| a == action))
            .collect()
    }
}

/// A string or an array of strings, as IAM allows for Action and Resource.
pub fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items
            .iter()
            .map(|v| v.as_str().expect("a string").to_string())
            .collect(),
        other => panic!("not a string or strings: {other}"),
    }
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kpi-sam-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// The policies of `plan`'s template once deployed; `None` only when the validators are
/// missing and skipping was asked for.
pub fn policies(plan: &Plan, name: &str) -> Option<Policies> {
    if !tools::require(&format!("sam policies {name}"), tools::for_validator("iam")) {
        return None;
    }
    let dir = scratch(name);
    let definition = "statemachine.asl.json";
    std::fs::write(dir.join(definition), "{}").expect("write definition");
    let template = dir.join("template.yaml");
    std::fs::write(&template, super::emit_sam(plan, definition)).expect("write template");
    let root = tools::repo_root();
    let out = Command::new(root.join("scripts/validate/run"))
        .args(["iam", "--print-policies"])
        .arg(&template)
        .output()
        .expect("run scripts/validate/run iam");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "iam.py failed ({}):\n{text}{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let line = text
        .lines()
        .find(|l| l.starts_with('{'))
        .unwrap_or_else(|| panic!("no policies printed:\n{text}"));
    let value: Value = serde_json::from_str(line).expect("policies JSON");
    let _ = std::fs::remove_dir_all(&dir);
    Some(Policies {
        documents: value["policies"].as_object().expect("policies").clone(),
    })
}
