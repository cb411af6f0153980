//! A value case's Athena SQL, translated to DuckDB by sqlglot (`scripts/validate/run
//! athena-to-duckdb`) and run over the same lake, gives the rows the case published: the
//! Athena text means what the DuckDB text means. Every KPI of the case must read sources only
//! (the translated query reads the sources' views) and must translate.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::outputs::Published;
use kpi_contract::manifest::{Manifest, Role};
use kpi_contract::sql::{Attempt, Values};
use kpi_contract::{Day, DayRange};
use kpi_runtime::engine::Engine;
use kpi_runtime::lake::Lake;
use std::collections::BTreeMap;
use std::path::Path;

/// Compares, for every KPI of the project and every day from `first` to `last` (one chunk),
/// the translated Athena write's rows with the published ones; returns the rows compared.
pub fn athena_translation_matches(
    project: &Path,
    lake: &Path,
    published: &Published,
    first: &str,
    last: &str,
) -> usize {
    let root = crate::common::root();
    if !root.join(".tools/stamp").exists() {
        assert!(
            std::env::var("KPI_ALLOW_SKIP").is_ok_and(|v| v == "1"),
            "sqlglot is not installed: run scripts/setup-validators (or set KPI_ALLOW_SKIP=1 to skip)"
        );
        eprintln!("SKIPPED (KPI_ALLOW_SKIP=1): sqlglot not installed");
        return 0;
    }
    let scratch = tempfile::tempdir().unwrap();
    let out = scratch.path().join("build");
    let build = crate::common::run_in(project, &["build", "--out", out.to_str().unwrap()]);
    assert_eq!(build.code, 0, "{}", build.stderr);
    let manifest =
        Manifest::parse(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    let days = DayRange::new(Day::parse(first).unwrap(), Day::parse(last).unwrap()).unwrap();
    let attempt = Attempt::new("a1").unwrap();
    let mut queries = Vec::new();
    for kpi in &manifest.kpis {
        let write = kpi
            .statements
            .iter()
            .find(|s| s.role == Role::Write)
            .unwrap();
        let sql = write.athena.render(&Values {
            days,
            attempt: &attempt,
            lake: None,
        });
        let select = sql
            .trim_start()
            .strip_prefix("INSERT INTO ")
            .and_then(|rest| rest.split_once(char::is_whitespace))
            .map(|(_, query)| query.to_string())
            .unwrap_or_else(|| panic!("{}: not an INSERT INTO: {sql}", kpi.name));
        let path = scratch.path().join(format!("{}.sql", kpi.name));
        std::fs::write(&path, select).unwrap();
        queries.push((kpi.name.clone(), path));
    }
    let run = std::process::Command::new(root.join("scripts/validate/run"))
        .arg("athena-to-duckdb")
        .args(queries.iter().map(|q| &q.1))
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let engine = Engine::open(&Lake::open(lake).unwrap(), &manifest).unwrap();
    let conn = engine.connection();
    let mut compared = 0;
    for (kpi, path) in &queries {
        let sql = std::fs::read_to_string(path.with_extension("sql.duckdb")).unwrap();
        assert!(
            !sql.is_empty(),
            "{kpi}: sqlglot did not translate it: {}",
            String::from_utf8_lossy(&run.stdout)
        );
        let Some(columns) = published
            .iter()
            .find(|((k, _), _)| k == kpi)
            .map(|(_, t)| t.columns.clone())
        else {
            panic!("{kpi}: nothing published");
        };
        let select = columns
            .iter()
            .map(|c| format!("CAST(\"{c}\" AS VARCHAR)"))
            .collect::<Vec<_>>()
            .join(", ");
        let mut stmt = conn
            .prepare(&format!(
                "SELECT CAST(dt AS VARCHAR), {select} FROM ({sql})"
            ))
            .unwrap_or_else(|e| panic!("{kpi}: {e}\n{sql}"));
        let n = columns.len();
        let mut theirs: BTreeMap<String, Vec<Vec<Option<String>>>> = BTreeMap::new();
        let rows = stmt
            .query_map([], |r| {
                let dt: String = r.get(0)?;
                let values: Vec<Option<String>> =
                    (0..n).map(|i| r.get(i + 1)).collect::<Result<_, _>>()?;
                Ok((dt, values))
            })
            .unwrap();
        for row in rows {
            let (dt, values) = row.unwrap();
            theirs.entry(dt).or_default().push(values);
        }
        for d in days.days() {
            let dt = d.to_string();
            let ours = published
                .get(&(kpi.clone(), dt.clone()))
                .unwrap_or_else(|| panic!("{kpi} {dt}: not published"));
            let mut got = theirs.remove(&dt).unwrap_or_default();
            got.sort();
            assert_eq!(got.len(), ours.rows.len(), "{kpi} {dt}: row counts");
            for (a, l) in got.iter().zip(&ours.rows) {
                for (i, c) in columns.iter().enumerate() {
                    let same = a[i] == l[i]
                        || a[i]
                            .as_deref()
                            .and_then(|x| x.parse::<f64>().ok())
                            .zip(l[i].as_deref().and_then(|y| y.parse::<f64>().ok()))
                            .is_some_and(|(x, y)| {
                                (x - y).abs() <= 1e-12 * x.abs().max(y.abs()).max(1.0)
                            });
                    assert!(
                        same,
                        "{kpi} {dt} column {c}: athena {:?} vs duckdb {:?}",
                        a[i], l[i]
                    );
                }
                compared += 1;
            }
        }
        assert!(theirs.is_empty(), "{kpi}: rows outside the days");
    }
    compared
}
