//! `kpi run` on a project and a lake → its exit code, JSON report and standard error.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::Value;
use std::path::Path;

pub struct Outcome {
    pub code: i32,
    pub report: Value,
    pub stderr: String,
}

impl Outcome {
    /// (KPI, day) of every failure the report lists, with its error.
    pub fn failures(&self) -> Vec<(String, String, String)> {
        self.report["failures"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|f| {
                let text = |k: &str| f[k].as_str().unwrap_or_default().to_string();
                (text("kpi"), text("day"), text("error"))
            })
            .collect()
    }

    /// KPI-days the run computed.
    pub fn kpi_days(&self) -> u64 {
        self.report["kpi_days"].as_u64().unwrap()
    }
}

pub fn run(project: &Path, lake: &Path, extra: &[&str]) -> Outcome {
    let out = crate::common::kpi()
        .arg("run")
        .arg("--project")
        .arg(project)
        .arg("--lake")
        .arg(lake)
        .args(["--format", "json"])
        .args(extra)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    Outcome {
        code: out.status.code().unwrap_or(-1),
        report: serde_json::from_str(&stdout).unwrap_or(Value::Null),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}
