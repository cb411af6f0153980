//! The deployed state machine: create or update it (publishing a version each time its
//! definition changes), start executions, follow them, list them, redrive a failed one.

use crate::Aws;
use crate::error::{AwsError, sdk};
use aws_sdk_sfn::types::{ExecutionStatus, HistoryEventType, Tag};
use serde_json::Value;
use std::collections::BTreeMap;

/// What `kpi deploy` sends.
#[derive(Debug, Clone)]
pub struct Deployment {
    pub name: String,
    /// The definition with its substitutions filled in.
    pub definition: String,
    pub role_arn: String,
    pub tags: BTreeMap<String, String>,
    /// Written on the version a change publishes (the definition's digest).
    pub version_description: String,
}

/// What is deployed under a name now.
#[derive(Debug, Clone)]
pub struct Deployed {
    pub arn: String,
    pub definition: String,
    pub role_arn: String,
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Created {
        arn: String,
        version: Option<String>,
    },
    Updated {
        arn: String,
        version: Option<String>,
    },
    /// The definition and role are what is deployed; tags were brought up to date if needed.
    Unchanged { arn: String, retagged: bool },
}

/// The state machine named `name`, if one is deployed (ListStateMachines, every page).
pub fn find(aws: &Aws, name: &str) -> Result<Option<Deployed>, AwsError> {
    let sfn = aws.sfn();
    let mut token: Option<String> = None;
    let arn = loop {
        let page = aws
            .block_on(
                sfn.list_state_machines()
                    .set_next_token(token.clone())
                    .send(),
            )
            .map_err(|e| sdk("Step Functions ListStateMachines", e))?;
        if let Some(found) = page.state_machines.iter().find(|m| m.name == name) {
            break Some(found.state_machine_arn.clone());
        }
        token = page.next_token.filter(|t| !t.is_empty());
        if token.is_none() {
            break None;
        }
    };
    let Some(arn) = arn else {
        return Ok(None);
    };
    let described = aws
        .block_on(sfn.describe_state_machine().state_machine_arn(&arn).send())
        .map_err(|e| sdk(&format!("Step Functions DescribeStateMachine of {name}"), e))?;
    let tags = aws
        .block_on(sfn.list_tags_for_resource().resource_arn(&arn).send())
        .map_err(|e| sdk(&format!("Step Functions ListTagsForResource of {name}"), e))?
        .tags
        .unwrap_or_default()
        .into_iter()
        .filter_map(|t| Some((t.key?, t.value.unwrap_or_default())))
        .collect();
    Ok(Some(Deployed {
        arn,
        definition: described.definition,
        role_arn: described.role_arn,
        tags,
    }))
}

/// Whether two definitions mean the same machine (the same JSON, whatever the layout).
pub fn same_definition(a: &str, b: &str) -> bool {
    match (
        serde_json::from_str::<Value>(a),
        serde_json::from_str::<Value>(b),
    ) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

fn tags(map: &BTreeMap<String, String>) -> Vec<Tag> {
    map.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

/// Creates the machine, or updates it when its definition or role changed (publishing a
/// version), or leaves it alone.
pub fn deploy(
    aws: &Aws,
    deployment: &Deployment,
    deployed: Option<&Deployed>,
) -> Result<Outcome, AwsError> {
    let sfn = aws.sfn();
    let name = &deployment.name;
    let Some(current) = deployed else {
        let out = aws
            .block_on(
                sfn.create_state_machine()
                    .name(name)
                    .definition(&deployment.definition)
                    .role_arn(&deployment.role_arn)
                    .r#type(aws_sdk_sfn::types::StateMachineType::Standard)
                    .set_tags(Some(tags(&deployment.tags)))
                    .publish(true)
                    .version_description(&deployment.version_description)
                    .send(),
            )
            .map_err(|e| sdk(&format!("Step Functions CreateStateMachine of {name}"), e))?;
        return Ok(Outcome::Created {
            arn: out.state_machine_arn,
            version: out.state_machine_version_arn,
        });
    };
    let retag = deployment
        .tags
        .iter()
        .any(|(k, v)| current.tags.get(k) != Some(v));
    if retag {
        aws.block_on(
            sfn.tag_resource()
                .resource_arn(&current.arn)
                .set_tags(Some(tags(&deployment.tags)))
                .send(),
        )
        .map_err(|e| sdk(&format!("Step Functions TagResource of {name}"), e))?;
    }
    if same_definition(&current.definition, &deployment.definition)
        && current.role_arn == deployment.role_arn
    {
        return Ok(Outcome::Unchanged {
            arn: current.arn.clone(),
            retagged: retag,
        });
    }
    let out = aws
        .block_on(
            sfn.update_state_machine()
                .state_machine_arn(&current.arn)
                .definition(&deployment.definition)
                .role_arn(&deployment.role_arn)
                .publish(true)
                .version_description(&deployment.version_description)
                .send(),
        )
        .map_err(|e| sdk(&format!("Step Functions UpdateStateMachine of {name}"), e))?;
    Ok(Outcome::Updated {
        arn: current.arn.clone(),
        version: out.state_machine_version_arn,
    })
}

/// Starts one execution; returns its ARN.
pub fn start(aws: &Aws, machine: &str, name: &str, input: &Value) -> Result<String, AwsError> {
    let out = aws
        .block_on(
            aws.sfn()
                .start_execution()
                .state_machine_arn(machine)
                .name(name)
                .input(input.to_string())
                .send(),
        )
        .map_err(|e| sdk(&format!("Step Functions StartExecution {name}"), e))?;
    Ok(out.execution_arn)
}

/// An execution as DescribeExecution tells it.
#[derive(Debug, Clone, PartialEq)]
pub struct Execution {
    pub arn: String,
    pub name: String,
    pub status: String,
    pub started: String,
    pub stopped: Option<String>,
    pub input: Option<Value>,
    pub error: Option<String>,
    pub cause: Option<String>,
    pub redrive_count: i32,
}

impl Execution {
    pub fn is_running(&self) -> bool {
        self.status == ExecutionStatus::Running.as_str()
            || self.status == ExecutionStatus::PendingRedrive.as_str()
    }
}

fn date(t: &aws_smithy_types::DateTime) -> String {
    t.fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_default()
}

pub fn describe(aws: &Aws, arn: &str) -> Result<Execution, AwsError> {
    let d = aws
        .block_on(aws.sfn().describe_execution().execution_arn(arn).send())
        .map_err(|e| sdk(&format!("Step Functions DescribeExecution of {arn}"), e))?;
    Ok(Execution {
        arn: d.execution_arn,
        name: d.name.unwrap_or_default(),
        status: d.status.as_str().to_string(),
        started: date(&d.start_date),
        stopped: d.stop_date.as_ref().map(date),
        input: d.input.and_then(|i| serde_json::from_str(&i).ok()),
        error: d.error,
        cause: d.cause,
        redrive_count: d.redrive_count.unwrap_or(0),
    })
}

/// The latest executions of a machine, newest first.
pub fn list(aws: &Aws, machine: &str, limit: i32) -> Result<Vec<Execution>, AwsError> {
    let out = aws
        .block_on(
            aws.sfn()
                .list_executions()
                .state_machine_arn(machine)
                .max_results(limit)
                .send(),
        )
        .map_err(|e| sdk("Step Functions ListExecutions", e))?;
    Ok(out
        .executions
        .into_iter()
        .map(|e| Execution {
            arn: e.execution_arn,
            name: e.name,
            status: e.status.as_str().to_string(),
            started: date(&e.start_date),
            stopped: e.stop_date.as_ref().map(date),
            input: None,
            error: None,
            cause: None,
            redrive_count: e.redrive_count.unwrap_or(0),
        })
        .collect())
}

/// Redrives a failed execution from where it failed; returns when the redrive started.
pub fn redrive(aws: &Aws, arn: &str) -> Result<String, AwsError> {
    let out = aws
        .block_on(aws.sfn().redrive_execution().execution_arn(arn).send())
        .map_err(|e| sdk(&format!("Step Functions RedriveExecution of {arn}"), e))?;
    Ok(date(&out.redrive_date))
}

/// The last failed Task of an execution: its state, error and cause (GetExecutionHistory,
/// newest first, every page until one is found).
pub fn last_failure(aws: &Aws, arn: &str) -> Result<Option<TaskFailure>, AwsError> {
    let sfn = aws.sfn();
    let mut token: Option<String> = None;
    let mut failure: Option<TaskFailure> = None;
    loop {
        let page = aws
            .block_on(
                sfn.get_execution_history()
                    .execution_arn(arn)
                    .reverse_order(true)
                    .set_next_token(token.clone())
                    .send(),
            )
            .map_err(|e| sdk(&format!("Step Functions GetExecutionHistory of {arn}"), e))?;
        for event in &page.events {
            match (&event.r#type, &mut failure) {
                (HistoryEventType::TaskFailed, None) => {
                    let d = event.task_failed_event_details.as_ref();
                    failure = Some(TaskFailure {
                        state: None,
                        resource: d.map(|d| d.resource.clone()).unwrap_or_default(),
                        error: d.and_then(|d| d.error.clone()),
                        cause: d.and_then(|d| d.cause.clone()),
                    });
                }
                (HistoryEventType::TaskStateEntered, Some(f)) if f.state.is_none() => {
                    f.state = event
                        .state_entered_event_details
                        .as_ref()
                        .map(|d| d.name.clone());
                    return Ok(failure);
                }
                _ => {}
            }
        }
        token = page.next_token.filter(|t| !t.is_empty());
        if token.is_none() {
            return Ok(failure);
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskFailure {
    pub state: Option<String>,
    pub resource: String,
    pub error: Option<String>,
    pub cause: Option<String>,
}

/// A short digest of a definition: the `kpi:fingerprint` tag and the version's description.
pub fn digest(definition: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(definition.as_bytes())
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}
