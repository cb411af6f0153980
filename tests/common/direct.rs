//! A build's write and check statements, run straight on a local engine, chunk by chunk and
//! KPI by KPI in dependency order, with no state machine, catalog or publication: each KPI's
//! table becomes a view over the files its writes made. For tests that judge the SQL itself,
//! and for the benchmark's baselines.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kpi_contract::manifest::{LocalAction, Manifest, Role};
use kpi_contract::sql::{Attempt, Values};
use kpi_contract::{Day, DayRange};
use kpi_runtime::engine::{Engine, ident, literal};
use kpi_runtime::lake::Lake;

/// Runs every KPI of `manifest` over `days`, in chunks of `chunk_days`. A check that fails a
/// day panics, naming it.
pub fn backfill(engine: &Engine, lake: &Lake, manifest: &Manifest, days: &[Day], chunk_days: u32) {
    let conn = engine.connection();
    let sql_lake = lake.sql_root().unwrap();
    let attempt = Attempt::new("direct").unwrap();
    let mut kpis: Vec<_> = manifest.kpis.iter().collect();
    kpis.sort_by_key(|k| (k.level, k.name.clone()));
    for kpi in kpis {
        std::fs::create_dir_all(lake.path_of(&kpi.attempts_location).unwrap()).unwrap();
        for chunk in kpi_runtime::plan::chunks(days, chunk_days) {
            run_chunk(conn, &sql_lake, &attempt, kpi, chunk);
        }
        let dir = lake.path_of(&kpi.attempts_location).unwrap();
        let mut columns: Vec<String> = kpi.columns.iter().map(|c| ident(&c.name)).collect();
        columns.push("\"dt\"".into());
        conn.execute_batch(&format!(
            "CREATE OR REPLACE VIEW {}.{} AS SELECT {} FROM read_parquet({}, union_by_name = true, hive_partitioning = false);",
            ident(&manifest.project.database),
            ident(&kpi.name),
            columns.join(", "),
            literal(&format!("{}/dt=*/attempt=direct/*.parquet", dir.display()))
        ))
        .unwrap();
    }
}

fn run_chunk(
    conn: &duckdb::Connection,
    lake: &kpi_contract::sql::Lake,
    attempt: &Attempt,
    kpi: &kpi_contract::manifest::Kpi,
    chunk: DayRange,
) {
    let values = Values {
        days: chunk,
        attempt,
        lake: Some(lake),
    };
    for s in kpi.statements.iter().filter(|s| s.role != Role::Setup) {
        let LocalAction::Sql { sql } = &s.local else {
            continue;
        };
        let text = sql.render(&values);
        if s.role == Role::Check {
            let failure: Option<String> = conn
                .query_row(
                    &format!("SELECT min(c.dt || ': ' || c.failure) FROM ({text}) AS c"),
                    [],
                    |r| r.get(0),
                )
                .unwrap_or_else(|e| panic!("{} check of {chunk}: {e}", kpi.name));
            assert_eq!(failure, None, "{}: a check failed", kpi.name);
        } else {
            conn.execute_batch(&text)
                .unwrap_or_else(|e| panic!("{} write of {chunk}: {e}\n{text}", kpi.name));
        }
        // Days without rows get no directory from DuckDB; the views only need the others.
    }
}
