//! `athena:startQueryExecution.sync` and `athena:getQueryResults` through `aws-sdk-athena`.

use super::json::{self, object, opt_i32, opt_str, opt_strings, req_str};
use super::{Call, Check, Services, bad_parameters, is_throttle, task_error};
use aws_sdk_athena::types::{
    EncryptionConfiguration, EncryptionOption, QueryExecution, QueryExecutionContext,
    QueryExecutionState, ResultConfiguration, ResultReuseByAgeConfiguration,
    ResultReuseConfiguration,
};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use kpi_asl::TaskError;
use kpi_contract::manifest::Role;
use kpi_contract::{Day, DayRange};
use serde_json::{Value, json};

const START: &str = "Athena StartQueryExecution";

/// The error a query that ended FAILED or CANCELLED gives its `.sync` Task. AWS does not
/// document the name; public workflows catch this one, and the machine catches
/// `States.TaskFailed` after it anyway.
pub const QUERY_FAILED: &str = "Athena.AmazonAthenaException";

/// StartQueryExecution's request, as the machine passes it.
struct Start {
    query: String,
    token: Option<String>,
    context: Option<QueryExecutionContext>,
    results: Option<ResultConfiguration>,
    workgroup: Option<String>,
    parameters: Option<Vec<String>>,
    reuse: Option<ResultReuseConfiguration>,
}

fn start_request(v: &Value) -> Result<Start, String> {
    let what = "StartQueryExecution";
    let m = object(
        v,
        what,
        &[
            "QueryString",
            "ClientRequestToken",
            "QueryExecutionContext",
            "ResultConfiguration",
            "WorkGroup",
            "ExecutionParameters",
            "ResultReuseConfiguration",
        ],
    )?;
    let context = match m.get("QueryExecutionContext") {
        None | Some(Value::Null) => None,
        Some(c) => {
            let what = "QueryExecutionContext";
            let c = object(c, what, &["Database", "Catalog"])?;
            Some(
                QueryExecutionContext::builder()
                    .set_database(opt_str(c, "Database", what)?)
                    .set_catalog(opt_str(c, "Catalog", what)?)
                    .build(),
            )
        }
    };
    let results = match m.get("ResultConfiguration") {
        None | Some(Value::Null) => None,
        Some(r) => {
            let what = "ResultConfiguration";
            let r = object(
                r,
                what,
                &[
                    "OutputLocation",
                    "ExpectedBucketOwner",
                    "EncryptionConfiguration",
                ],
            )?;
            let encryption = match r.get("EncryptionConfiguration") {
                None | Some(Value::Null) => None,
                Some(e) => {
                    let what = "ResultConfiguration.EncryptionConfiguration";
                    let e = object(e, what, &["EncryptionOption", "KmsKey"])?;
                    let option = req_str(e, "EncryptionOption", what)?;
                    Some(
                        EncryptionConfiguration::builder()
                            .encryption_option(EncryptionOption::from(option.as_str()))
                            .set_kms_key(opt_str(e, "KmsKey", what)?)
                            .build()
                            .map_err(|e| format!("{what}: {e}"))?,
                    )
                }
            };
            Some(
                ResultConfiguration::builder()
                    .set_output_location(opt_str(r, "OutputLocation", what)?)
                    .set_expected_bucket_owner(opt_str(r, "ExpectedBucketOwner", what)?)
                    .set_encryption_configuration(encryption)
                    .build(),
            )
        }
    };
    let reuse = match m.get("ResultReuseConfiguration") {
        None | Some(Value::Null) => None,
        Some(r) => {
            let what = "ResultReuseConfiguration";
            let r = object(r, what, &["ResultReuseByAgeConfiguration"])?;
            match r.get("ResultReuseByAgeConfiguration") {
                None | Some(Value::Null) => None,
                Some(a) => {
                    let what = "ResultReuseConfiguration.ResultReuseByAgeConfiguration";
                    let a = object(a, what, &["Enabled", "MaxAgeInMinutes"])?;
                    let enabled = a.get("Enabled").and_then(Value::as_bool).unwrap_or(false);
                    Some(
                        ResultReuseConfiguration::builder()
                            .result_reuse_by_age_configuration(
                                ResultReuseByAgeConfiguration::builder()
                                    .enabled(enabled)
                                    .set_max_age_in_minutes(opt_i32(a, "MaxAgeInMinutes", what)?)
                                    .build(),
                            )
                            .build(),
                    )
                }
            }
        }
    };
    Ok(Start {
        query: req_str(m, "QueryString", what)?,
        token: opt_str(m, "ClientRequestToken", what)?,
        context,
        results,
        workgroup: opt_str(m, "WorkGroup", what)?,
        parameters: opt_strings(m, "ExecutionParameters", what)?,
        reuse,
    })
}

impl Services<'_> {
    /// The KPI and chunk whose statement of `state` renders to exactly `query`, and whether
    /// it is a check.
    fn identify(&self, state: &str, query: &str) -> Option<(String, Option<DayRange>, bool)> {
        let binding = self.bindings.get(state)?;
        binding.kpis.iter().find_map(|name| {
            let kpi = self.manifest.kpi(name)?;
            let statement = kpi.statement(&binding.statement)?;
            let found = statement.athena.bindings(query)?;
            let days = match (found.first_day, found.last_day) {
                (Some(first), Some(last)) => DayRange::new(first, last),
                _ => None,
            };
            Some((kpi.name.clone(), days, statement.role == Role::Check))
        })
    }

    pub(super) fn start_query_sync(
        &self,
        parameters: &Value,
        call: &mut Call,
    ) -> Result<Value, TaskError> {
        let start = start_request(parameters).map_err(|e| bad_parameters(START, e))?;
        let identified = self.identify(&call.state, &start.query);
        if let Some((kpi, days, _)) = &identified {
            call.kpi = Some(kpi.clone());
            call.days = *days;
        }
        let outcome = self.aws.block_on(self.run_query(start, call));
        let state = call.state.clone();
        let fail = |why: &TaskError| {
            if let Some((kpi, Some(days), _)) = &identified {
                let text = format!("{}: {}", why.error, why.cause);
                self.fail_days(kpi, days.days(), &state, &text);
            }
        };
        let execution = match outcome {
            Ok(execution) => execution,
            Err(e) => {
                fail(&e);
                return Err(e);
            }
        };
        call.scanned = execution
            .statistics()
            .and_then(|s| s.data_scanned_in_bytes());
        let status = execution.status();
        match status.and_then(|s| s.state()) {
            Some(QueryExecutionState::Succeeded) => {
                if let (Some((kpi, Some(days), true)), Some(id)) =
                    (&identified, execution.query_execution_id())
                    && let Ok(mut checks) = self.checks.lock()
                {
                    checks.insert(
                        id.to_string(),
                        Check {
                            kpi: kpi.clone(),
                            days: *days,
                        },
                    );
                }
                Ok(json!({"QueryExecution": json::query_execution_json(&execution)}))
            }
            state => {
                let reason = status
                    .and_then(|s| {
                        s.state_change_reason()
                            .or_else(|| s.athena_error().and_then(|e| e.error_message()))
                    })
                    .map_or_else(
                        || {
                            format!(
                                "query {} ended {}",
                                execution.query_execution_id().unwrap_or("?"),
                                state.map_or("without a state", |s| s.as_str())
                            )
                        },
                        str::to_string,
                    );
                let e = TaskError {
                    error: QUERY_FAILED.into(),
                    cause: reason,
                };
                fail(&e);
                Err(e)
            }
        }
    }

    /// Starts the query and polls it until it ends (SUCCEEDED, FAILED or CANCELLED).
    async fn run_query(&self, start: Start, call: &mut Call) -> Result<QueryExecution, TaskError> {
        let started = self
            .athena
            .start_query_execution()
            .query_string(start.query)
            .set_client_request_token(start.token)
            .set_query_execution_context(start.context)
            .set_result_configuration(start.results)
            .set_work_group(start.workgroup)
            .set_execution_parameters(start.parameters)
            .set_result_reuse_configuration(start.reuse)
            .send()
            .await
            .map_err(|e| task_error("Athena", START, e))?;
        let Some(id) = started.query_execution_id else {
            return Err(TaskError {
                error: "States.TaskFailed".into(),
                cause: "Athena StartQueryExecution answered without a QueryExecutionId".into(),
            });
        };
        call.query_execution_id = Some(id.clone());
        let what = format!("Athena GetQueryExecution of {id}");
        let mut wait = self.settings.first_poll;
        let mut throttled = 0;
        loop {
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(self.settings.longest_poll);
            let answer = self
                .athena
                .get_query_execution()
                .query_execution_id(&id)
                .send()
                .await;
            let execution = match answer {
                Ok(out) => out.query_execution.ok_or_else(|| TaskError {
                    error: "States.TaskFailed".into(),
                    cause: format!("{what} answered without the QueryExecution"),
                })?,
                Err(e)
                    if e.as_service_error()
                        .and_then(|s| s.code())
                        .is_some_and(is_throttle)
                        && throttled < self.settings.throttled_polls =>
                {
                    throttled += 1;
                    continue;
                }
                Err(e) => return Err(task_error("Athena", &what, e)),
            };
            throttled = 0;
            match execution.status().and_then(|s| s.state()) {
                Some(
                    QueryExecutionState::Succeeded
                    | QueryExecutionState::Failed
                    | QueryExecutionState::Cancelled,
                ) => return Ok(execution),
                Some(QueryExecutionState::Queued | QueryExecutionState::Running) => {}
                Some(other) => {
                    return Err(TaskError {
                        error: "States.TaskFailed".into(),
                        cause: format!("{what} answered the unknown state {}", other.as_str()),
                    });
                }
                None => {
                    return Err(TaskError {
                        error: "States.TaskFailed".into(),
                        cause: format!("{what} answered without a state"),
                    });
                }
            }
        }
    }

    pub(super) fn query_results(
        &self,
        parameters: &Value,
        call: &mut Call,
    ) -> Result<Value, TaskError> {
        let what = "GetQueryResults";
        let (id, max, token) = object(
            parameters,
            what,
            &["QueryExecutionId", "MaxResults", "NextToken"],
        )
        .and_then(|m| {
            Ok((
                req_str(m, "QueryExecutionId", what)?,
                opt_i32(m, "MaxResults", what)?,
                opt_str(m, "NextToken", what)?,
            ))
        })
        .map_err(|e| bad_parameters("Athena GetQueryResults", e))?;
        call.query_execution_id = Some(id.clone());
        let check = self.checks.lock().ok().and_then(|c| c.get(&id).cloned());
        if let Some(c) = &check {
            call.kpi = Some(c.kpi.clone());
            call.days = Some(c.days);
        }
        let out = self
            .aws
            .block_on(
                self.athena
                    .get_query_results()
                    .query_execution_id(&id)
                    .set_max_results(max)
                    .set_next_token(token)
                    .send(),
            )
            .map_err(|e| task_error("Athena", &format!("Athena GetQueryResults of {id}"), e))?;
        let rows = out.result_set().map(|r| r.rows()).unwrap_or_default();
        if let Some(c) = &check {
            // One row per day: the day, its rows, why it fails (NULL when it passes).
            for row in rows {
                let cell = |i: usize| row.data().get(i).and_then(|d| d.var_char_value());
                if let (Some(day), Some(failure)) = (cell(0).and_then(Day::parse), cell(2))
                    && c.days.contains(day)
                {
                    self.fail_days(&c.kpi, [day], &call.state, &format!("check: {failure}"));
                }
            }
        }
        let columns: Vec<Value> = out
            .result_set()
            .and_then(|r| r.result_set_metadata())
            .map(|m| m.column_info().iter().map(json::column_info_json).collect())
            .unwrap_or_default();
        let mut answer = json!({
            "UpdateCount": out.update_count().unwrap_or(0),
            "ResultSet": {
                "Rows": json::rows_json(rows),
                "ResultSetMetadata": {"ColumnInfo": columns}
            }
        });
        if let Some(next) = out.next_token() {
            answer["NextToken"] = json!(next);
        }
        Ok(answer)
    }
}
