//! The Task resources of the compiled state machine, answered by the real services: the
//! local interpreter runs the machine, and each resource of [`kpi_contract::aws::RESOURCES`]
//! is one or more SDK calls (`kpi run --target athena`).
//!
//! - `athena`: `startQueryExecution.sync` starts the query with the token the machine passes
//!   and polls GetQueryExecution with backoff until it ends, as Step Functions' `.sync` does;
//!   `getQueryResults` returns a page of rows.
//! - `glue`: `getTable`, `batchCreatePartition`, `batchUpdatePartition`, `batchGetPartition`.
//! - `json`: the services' JSON shapes (field names as their JSON APIs spell them) to and from
//!   the SDK's types.
//!
//! A service's error becomes the name Step Functions gives it (`Athena.<Exception>`,
//! `Glue.<Exception>`) with the service's message as the cause; a query that ends FAILED or
//! CANCELLED is `Athena.AmazonAthenaException` with Athena's StateChangeReason as the cause.
//! Throttling is retried by the SDK (with backoff) before it reaches the machine, whose own
//! Retry then applies.

mod athena;
mod glue;
mod json;

use crate::Aws;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use kpi_asl::{TaskContext, TaskError, TaskHandler};
use kpi_contract::manifest::{Manifest, TaskBinding};
use kpi_contract::{Day, DayRange, aws};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How hard the services try.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// Attempts of one call on a throttle or a server error before the Task fails (the
    /// SDK's standard retry: exponential backoff with full jitter).
    pub attempts: u32,
    /// The wait before the first GetQueryExecution of a query, doubled after each poll ...
    pub first_poll: Duration,
    /// ... up to this.
    pub longest_poll: Duration,
    /// Polls in a row that may be throttled before the query's Task fails.
    pub throttled_polls: u32,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            attempts: 5,
            first_poll: Duration::from_millis(100),
            longest_poll: Duration::from_secs(5),
            throttled_polls: 10,
        }
    }
}

/// One Task the services answered.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub resource: String,
    pub state: String,
    /// The KPI it was for, when known (the statement's KPI, the Glue table's).
    pub kpi: Option<String>,
    /// The chunk a write or check ran for.
    pub days: Option<DayRange>,
    pub query_execution_id: Option<String>,
    /// Bytes Athena scanned for the query.
    pub scanned: Option<i64>,
    pub seconds: f64,
    pub error: Option<TaskError>,
}

/// A KPI-day the services saw fail, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayFailure {
    pub state: String,
    pub error: String,
}

/// What happened to a KPI-day, as it happens.
#[derive(Debug, Clone, Copy)]
pub enum Event<'a> {
    Published { kpi: &'a str, day: Day },
    Failed { kpi: &'a str, day: Day },
}

/// A check query's KPI and chunk, until its rows are read.
#[derive(Debug, Clone)]
struct Check {
    kpi: String,
    days: DayRange,
}

/// The AWS services a compiled state machine calls, through the SDK.
pub struct Services<'a> {
    aws: &'a Aws,
    athena: aws_sdk_athena::Client,
    glue: aws_sdk_glue::Client,
    manifest: &'a Manifest,
    bindings: HashMap<&'a str, &'a TaskBinding>,
    settings: Settings,
    calls: Mutex<Vec<Call>>,
    checks: Mutex<HashMap<String, Check>>,
    failures: Mutex<BTreeMap<(String, Day), DayFailure>>,
    published: Mutex<BTreeSet<(String, Day)>>,
    on_event: &'a (dyn Fn(Event<'_>) + Sync),
}

impl std::fmt::Debug for Services<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Services")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl<'a> Services<'a> {
    pub fn new(
        aws: &'a Aws,
        manifest: &'a Manifest,
        settings: Settings,
        on_event: &'a (dyn Fn(Event<'_>) + Sync),
    ) -> Services<'a> {
        Services {
            aws,
            athena: aws.athena_retrying(settings.attempts),
            glue: aws.glue_retrying(settings.attempts),
            manifest,
            bindings: manifest
                .states
                .iter()
                .map(|b| (b.state.as_str(), b))
                .collect(),
            settings,
            calls: Mutex::new(Vec::new()),
            checks: Mutex::new(HashMap::new()),
            failures: Mutex::new(BTreeMap::new()),
            published: Mutex::new(BTreeSet::new()),
            on_event,
        }
    }

    /// Every Task answered so far, in the order they ended.
    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().map(|c| c.clone()).unwrap_or_default()
    }

    /// Why each KPI-day the services saw fail failed (the first reason seen).
    pub fn failures(&self) -> BTreeMap<(String, Day), DayFailure> {
        self.failures.lock().map(|f| f.clone()).unwrap_or_default()
    }

    /// The KPI-days whose partitions Glue created or moved.
    pub fn published(&self) -> BTreeSet<(String, Day)> {
        self.published.lock().map(|p| p.clone()).unwrap_or_default()
    }

    fn record(&self, call: Call) {
        if let Ok(mut calls) = self.calls.lock() {
            calls.push(call);
        }
    }

    fn fail_days(&self, kpi: &str, days: impl IntoIterator<Item = Day>, state: &str, why: &str) {
        for day in days {
            if let Ok(mut f) = self.failures.lock() {
                f.entry((kpi.to_string(), day))
                    .or_insert_with(|| DayFailure {
                        state: state.to_string(),
                        error: why.to_string(),
                    });
            }
            (self.on_event)(Event::Failed { kpi, day });
        }
    }

    fn note_published(&self, kpi: &str, day: Day) {
        // A day published after all (a Task the machine retried) has not failed.
        if let Ok(mut f) = self.failures.lock() {
            f.remove(&(kpi.to_string(), day));
        }
        if let Ok(mut p) = self.published.lock() {
            p.insert((kpi.to_string(), day));
        }
        (self.on_event)(Event::Published { kpi, day });
    }
}

impl TaskHandler for Services<'_> {
    fn handles(&self, resource: &str) -> bool {
        aws::RESOURCES.contains(&resource)
    }

    fn call(
        &self,
        resource: &str,
        parameters: &Value,
        context: &TaskContext,
    ) -> Result<Value, TaskError> {
        let start = Instant::now();
        let mut call = Call {
            resource: resource.to_string(),
            state: context.state_name.clone(),
            kpi: None,
            days: None,
            query_execution_id: None,
            scanned: None,
            seconds: 0.0,
            error: None,
        };
        let result = match resource {
            aws::ATHENA_START_QUERY_SYNC => self.start_query_sync(parameters, &mut call),
            aws::ATHENA_GET_QUERY_RESULTS => self.query_results(parameters, &mut call),
            aws::GLUE_GET_TABLE => self.get_table(parameters, &mut call),
            aws::GLUE_BATCH_CREATE_PARTITION => self.batch_create_partition(parameters, &mut call),
            aws::GLUE_BATCH_UPDATE_PARTITION => self.batch_update_partition(parameters, &mut call),
            aws::GLUE_BATCH_GET_PARTITION => self.batch_get_partition(parameters, &mut call),
            other => Err(TaskError {
                error: "States.Runtime".into(),
                cause: format!(
                    "unsupported resource {other}: with --target athena, Task states run only {}",
                    aws::RESOURCES.join(", ")
                ),
            }),
        };
        call.seconds = start.elapsed().as_secs_f64();
        call.error = result.as_ref().err().cloned();
        self.record(call);
        result
    }
}

/// A parameter the machine passed that the service's API does not take as given: the
/// definition and this runtime disagree, which no Retry or Catch should hide.
fn bad_parameters(what: &str, why: impl std::fmt::Display) -> TaskError {
    TaskError {
        error: "States.Runtime".into(),
        cause: format!("the parameters of {what} are not what the API takes: {why}"),
    }
}

/// An SDK failure as Step Functions names it: `<Service>.<Exception>` with the service's
/// message, or `States.TaskFailed` when the service never answered.
fn task_error<E, R>(
    service: &str,
    what: &str,
    error: aws_sdk_glue::error::SdkError<E, R>,
) -> TaskError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    if let Some(e) = error.as_service_error()
        && let Some(code) = e.code()
    {
        let message = e.message().unwrap_or("").to_string();
        let cause = if is_throttle(code) {
            format!("{message} (throttled: {what} still failed after the SDK's retries)")
        } else {
            message
        };
        return TaskError {
            error: format!("{service}.{code}"),
            cause: cause.trim().to_string(),
        };
    }
    TaskError {
        error: "States.TaskFailed".into(),
        cause: crate::error::sdk(what, error).message,
    }
}

fn is_throttle(code: &str) -> bool {
    crate::error::THROTTLED.contains(&code)
}

#[cfg(test)]
mod tests;
