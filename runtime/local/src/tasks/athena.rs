//! `athena:startQueryExecution.sync` and `athena:getQueryResults` on the local engine.

use super::{Event, LocalAws, QueryRecord, Written, service_error};
use crate::engine::{duckdb_type, ident, literal};
use crate::inputs;
use crate::reads;
use kpi_asl::{TaskContext, TaskError};
use kpi_contract::manifest::{Kpi, LocalAction, Role, Statement};
use kpi_contract::sql::{Attempt, Values};
use kpi_contract::{DayRange, aws};
use serde_json::{Value, json};
use std::time::Instant;

/// A query that ended FAILED, as the `.sync` integration reports it.
fn query_failed(id: &str, reason: &str) -> TaskError {
    let cause = json!({"QueryExecution": {"QueryExecutionId": id,
        "Status": {"State": "FAILED", "StateChangeReason": reason}}});
    TaskError {
        error: "Athena.AmazonAthenaException".into(),
        cause: cause.to_string(),
    }
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Setup => "setup",
        Role::Write => "write",
        Role::Check => "check",
    }
}

/// What one statement run did.
struct Outcome {
    rows: u64,
    files_read: Vec<reads::FileRead>,
    sql: Option<String>,
}

impl LocalAws<'_> {
    /// The KPI, chunk and attempt whose statement renders to exactly `query`.
    fn identify(
        &self,
        state: &str,
        query: &str,
    ) -> Option<(&Kpi, &Statement, Option<DayRange>, Option<Attempt>)> {
        let binding = self.bindings.get(state)?;
        binding.kpis.iter().find_map(|name| {
            let kpi = self.manifest.kpi(name)?;
            let statement = kpi.statement(&binding.statement)?;
            let found = statement.athena.bindings(query)?;
            let days = match (found.first_day, found.last_day) {
                (Some(first), Some(last)) => Some(DayRange::new(first, last)?),
                _ => None,
            };
            Some((kpi, statement, days, found.attempt))
        })
    }

    pub(super) fn start_query(
        &self,
        parameters: &Value,
        context: &TaskContext,
    ) -> Result<Value, TaskError> {
        let id = self.next_id();
        let query = parameters["QueryString"].as_str().unwrap_or("");
        let Some((kpi, statement, days, attempt)) = self.identify(&context.state_name, query)
        else {
            return Err(query_failed(
                &id,
                &format!(
                    "the query of state `{}` is not a statement of this build (see manifest.json)",
                    context.state_name
                ),
            ));
        };
        let start = Instant::now();
        let outcome = match statement.role {
            Role::Setup => self.setup(kpi, statement),
            Role::Write | Role::Check => match (days, &attempt) {
                (Some(days), Some(attempt)) if statement.role == Role::Write => {
                    self.write(kpi, statement, days, attempt)
                }
                (Some(days), Some(attempt)) => self.check(&id, kpi, statement, days, attempt),
                _ => Err(format!(
                    "statement {} of `{}` ran without its days and attempt",
                    statement.name, kpi.name
                )),
            },
        };
        let duration_ms = start.elapsed().as_secs_f64() * 1000.0;
        let file_bytes = outcome.as_ref().map_or(0, |o| {
            o.files_read
                .iter()
                .filter(|f| !crate::reads::schema_only(f))
                .filter_map(|f| std::fs::metadata(&f.path).ok())
                .map(|m| m.len())
                .sum()
        });
        self.record(QueryRecord {
            id: id.clone(),
            kpi: kpi.name.clone(),
            days,
            statement: statement.name.clone(),
            role: role_name(statement.role).into(),
            start_ms: self.elapsed_ms(start),
            duration_ms,
            rows: outcome.as_ref().map_or(0, |o| o.rows),
            files_read: outcome
                .as_ref()
                .map(|o| o.files_read.clone())
                .unwrap_or_default(),
            file_bytes,
            error: outcome.as_ref().err().cloned(),
            // A failed write or check shows the SQL it ran, as a successful one does.
            sql: match (&outcome, days, &attempt) {
                (Ok(o), _, _) => o.sql.clone(),
                (Err(_), Some(days), Some(attempt)) if statement.role != Role::Setup => {
                    self.local_sql(statement, days, attempt).ok()
                }
                (Err(_), _, _) => None,
            },
        });
        match outcome {
            Ok(o) => Ok(json!({"QueryExecution": {
                "QueryExecutionId": id,
                "Query": query,
                "StatementType": if statement.role.is_ddl() { "DDL" } else { "DML" },
                "Status": {"State": "SUCCEEDED"},
                "Statistics": {
                    "EngineExecutionTimeInMillis": duration_ms.round() as u64,
                    "TotalExecutionTimeInMillis": duration_ms.round() as u64,
                    "DataScannedInBytes": o.files_read.iter().map(|f| f.bytes).sum::<u64>()
                },
                "WorkGroup": parameters["WorkGroup"].clone()
            }})),
            Err(reason) => {
                if let Some(days) = days {
                    self.fail_days(kpi, days.days(), &reason);
                }
                Err(query_failed(&id, &reason))
            }
        }
    }

    fn setup(&self, kpi: &Kpi, statement: &Statement) -> Result<Outcome, String> {
        if statement.local == LocalAction::RegisterTable {
            let engine = self.engine.lock().map_err(|_| "the engine is poisoned")?;
            let mut catalog = self.catalog.lock().map_err(|_| "the catalog is poisoned")?;
            if catalog.create_table(&self.manifest.project.database, &kpi.name, &kpi.fingerprint) {
                self.save(&catalog)?;
            }
            engine
                .refresh_kpi_view(self.lake, kpi, &catalog)
                .map_err(|e| e.0)?;
        }
        Ok(Outcome {
            rows: 0,
            files_read: Vec::new(),
            sql: None,
        })
    }

    fn local_sql(
        &self,
        statement: &Statement,
        days: DayRange,
        attempt: &Attempt,
    ) -> Result<String, String> {
        match &statement.local {
            LocalAction::Sql { sql } => Ok(sql.render(&Values {
                days,
                attempt,
                lake: Some(&self.sql_lake),
            })),
            _ => Err(format!("statement {} has no local SQL", statement.name)),
        }
    }

    /// Brings the views of the KPIs that `kpi` reads up to date with the catalog.
    fn refresh_upstream_views(&self, kpi: &Kpi) -> Result<(), String> {
        let engine = self.engine.lock().map_err(|_| "the engine is poisoned")?;
        let mut stale = self
            .stale_views
            .lock()
            .map_err(|_| "the catalog is poisoned")?;
        let catalog = self.catalog.lock().map_err(|_| "the catalog is poisoned")?;
        for upstream in &kpi.upstream {
            if stale.remove(upstream)
                && let Some(upstream) = self.manifest.kpi(upstream)
            {
                engine
                    .refresh_kpi_view(self.lake, upstream, &catalog)
                    .map_err(|e| e.0)?;
            }
        }
        Ok(())
    }

    /// Every source file the chunk reads must be whole (the planner left out the days that
    /// read a damaged one; a file damaged since fails the whole chunk, naming it).
    fn check_inputs(&self, kpi: &Kpi, days: DayRange) -> Result<(), String> {
        let engine = self.engine.lock().map_err(|_| "the engine is poisoned")?;
        let files = inputs::source_files(self.lake, self.manifest, kpi, days);
        match self.health.first_damaged(&engine, &files) {
            Some(why) => Err(why),
            None => Ok(()),
        }
    }

    fn write(
        &self,
        kpi: &Kpi,
        statement: &Statement,
        days: DayRange,
        attempt: &Attempt,
    ) -> Result<Outcome, String> {
        if days.len() > kpi_contract::limits::MAX_CHUNK_DAYS {
            return Err(format!(
                "{} days in one write; Athena writes at most {} partitions per query",
                days.len(),
                kpi_contract::limits::MAX_CHUNK_DAYS
            ));
        }
        let prefixes: Vec<_> = days
            .days()
            .map(|d| (d, aws::attempt_prefix(&kpi.attempts_location, d, attempt)))
            .collect();
        {
            let catalog = self.catalog.lock().map_err(|_| "the catalog is poisoned")?;
            let published = catalog.published();
            if let Some((_, p)) = prefixes
                .iter()
                .find(|(_, p)| published.contains(p.as_str()))
            {
                return Err(format!(
                    "attempt {attempt} would write into {p}, which a published partition points at; every execution must have its own attempts"
                ));
            }
        }
        self.refresh_upstream_views(kpi)?;
        self.check_inputs(kpi, days)?;
        let mut dirs = Vec::new();
        for (_, prefix) in &prefixes {
            let dir = self.lake.path_of(prefix).map_err(|e| e.0)?;
            // A fresh prefix: what an earlier try of this very attempt left goes first.
            let _ = std::fs::remove_dir_all(&dir);
            dirs.push(dir);
        }
        let root = self.lake.path_of(&kpi.attempts_location).map_err(|e| e.0)?;
        std::fs::create_dir_all(&root)
            .map_err(|e| format!("cannot create {}: {e}", root.display()))?;
        let sql = self.local_sql(statement, days, attempt)?;
        let (rows, files_read) = self
            .with_logged_connection(|conn| reads::execute(conn, &sql))?
            .map_err(|e| e.0)?;
        // A day without rows still gets its prefix, holding an empty file of the schema, so
        // every day of the chunk can be published and read.
        for ((day, _), dir) in prefixes.iter().zip(&dirs) {
            if crate::lake::data_files(dir).is_empty() {
                self.write_empty(kpi, dir)
                    .map_err(|e| format!("{day}: {e}"))?;
            }
        }
        let inputs = days
            .days()
            .map(|d| (d, inputs::inputs_digest(self.lake, self.manifest, kpi, d)))
            .collect();
        if let Ok(mut written) = self.written.lock() {
            written.insert((kpi.name.clone(), attempt.to_string()), Written { inputs });
        }
        Ok(Outcome {
            rows,
            files_read,
            sql: Some(sql),
        })
    }

    /// An empty Parquet file with the attempts table's columns.
    fn write_empty(&self, kpi: &Kpi, dir: &std::path::Path) -> Result<(), String> {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let mut columns = Vec::new();
        for c in &kpi.columns {
            columns.push(format!(
                "CAST(NULL AS {}) AS {}",
                duckdb_type(&c.ty).map_err(|e| e.0)?,
                ident(&c.name)
            ));
        }
        columns.push("CAST(NULL AS VARCHAR) AS \"dt\"".into());
        columns.push("CAST(NULL AS VARCHAR) AS \"attempt\"".into());
        let path = dir.join("data_0.parquet");
        let sql = format!(
            "COPY (SELECT {} WHERE false) TO {} (FORMAT parquet, COMPRESSION snappy)",
            columns.join(", "),
            literal(&path.to_string_lossy())
        );
        self.with_connection(|conn| conn.execute_batch(&sql))?
            .map_err(|e| crate::engine::EngineError::from(e).0)
    }

    fn check(
        &self,
        id: &str,
        kpi: &Kpi,
        statement: &Statement,
        days: DayRange,
        attempt: &Attempt,
    ) -> Result<Outcome, String> {
        let sql = self.local_sql(statement, days, attempt)?;
        let (rows, files_read) = self
            .with_logged_connection(|conn| reads::query(conn, &sql))?
            .map_err(|e| e.0)?;
        for row in &rows.rows {
            if let (Some(Some(day)), Some(Some(failure))) = (row.first(), row.get(2))
                && let Some(day) = kpi_contract::Day::parse(day)
            {
                self.fail_days(kpi, [day], failure);
            }
        }
        let n = rows.rows.len() as u64;
        if let Ok(mut results) = self.results.lock() {
            results.insert(id.to_string(), rows);
        }
        Ok(Outcome {
            rows: n,
            files_read,
            sql: Some(sql),
        })
    }

    pub(super) fn query_results(&self, parameters: &Value) -> Result<Value, TaskError> {
        let id = parameters["QueryExecutionId"].as_str().unwrap_or("");
        let rows = self
            .results
            .lock()
            .ok()
            .and_then(|r| r.get(id).cloned())
            .ok_or_else(|| {
                service_error(
                    "Athena",
                    "InvalidRequestException",
                    format!("QueryExecution {id} was not found or has no results"),
                )
            })?;
        let cell = |v: &Option<String>| match v {
            Some(text) => json!({"VarCharValue": text}),
            None => json!({}),
        };
        let mut out = vec![
            json!({"Data": rows.columns.iter().map(|c| json!({"VarCharValue": c})).collect::<Vec<_>>()}),
        ];
        out.extend(
            rows.rows
                .iter()
                .map(|r| json!({"Data": r.iter().map(cell).collect::<Vec<_>>()})),
        );
        Ok(json!({
            "ResultSet": {
                "Rows": out,
                "ResultSetMetadata": {
                    "ColumnInfo": rows.columns.iter().map(|c| json!({"Name": c, "Type": "varchar"})).collect::<Vec<_>>()
                }
            },
            "UpdateCount": 0
        }))
    }

    pub(super) fn note_published(&self, kpi: &Kpi, day: kpi_contract::Day) {
        if let Ok(mut stale) = self.stale_views.lock() {
            stale.insert(kpi.name.clone());
        }
        (self.on_event)(Event::Published {
            kpi: &kpi.name,
            day,
        });
    }
}
