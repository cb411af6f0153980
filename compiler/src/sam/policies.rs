//! Plan → the state machine role's least-privilege IAM statements, and what could not be
//! granted as asked. Each statement grants one purpose: the Athena workgroup; the S3 folders
//! read (sources) and written (KPI tables, query results), listing only inside them; the Glue
//! tables Athena reads and writes; the Glue calls the state machine makes itself (publishing a
//! KPI's partitions, finding a source's partitions); log delivery, tracing and — only with
//! distributed Maps — its own child executions.

use super::errors::{GrantProblem, Owner};
use super::grants::{S3Prefix, glue_name_problem, s3_prefix};
use super::yaml::{Yaml, map, s, seq, strs, sub};
use crate::ir::RelationTarget;
use crate::lower::{Plan, SourcePlan};
use std::collections::{BTreeMap, BTreeSet};

/// What Athena does with the objects of a folder it writes (query results and INSERT INTO).
const WRITE_OBJECTS: [&str; 4] = [
    "s3:GetObject",
    "s3:PutObject",
    "s3:AbortMultipartUpload",
    "s3:ListMultipartUploadParts",
];

/// The Glue calls of the state machine's own Tasks (`arn:aws:states:::aws-sdk:glue:…`) that
/// publish a KPI-day: read the output table, create or update its partitions, read them back.
pub const PUBLISH_PARTITIONS: [&str; 4] = [
    "glue:GetTable",
    "glue:BatchCreatePartition",
    "glue:BatchUpdatePartition",
    "glue:BatchGetPartition",
];

/// The Glue call of the state machine's own Task that finds which source partitions exist.
pub const FIND_PARTITIONS: [&str; 1] = ["glue:BatchGetPartition"];

fn statement(sid: &str, actions: &[&str], resources: Vec<Yaml>) -> Yaml {
    map([
        ("Sid", s(sid)),
        ("Effect", s("Allow")),
        ("Action", strs(actions.iter().copied())),
        ("Resource", seq(resources)),
    ])
}

/// `${…}` is Sub syntax; a literal `${` must be written `${!`. (Locations and Glue names that
/// hold `$` are refused before they get here; this keeps the template valid regardless.)
fn sub_literal(text: &str) -> String {
    text.replace("${", "${!")
}

fn s3_objects(at: &S3Prefix) -> Yaml {
    sub(format!(
        "arn:${{AWS::Partition}}:s3:::{}/{}*",
        sub_literal(&at.bucket),
        sub_literal(&at.prefix)
    ))
}

fn s3_bucket(bucket: &str) -> Yaml {
    sub(format!(
        "arn:${{AWS::Partition}}:s3:::{}",
        sub_literal(bucket)
    ))
}

/// `s3:ListBucket` on `bucket`, only under `prefixes` (each ends with `/`; `p*` also matches
/// `p`). A whole bucket is listed without a condition: a `StringLike` on a missing
/// `s3:prefix` would refuse listing its root.
fn list_statement(sid: String, bucket: &str, prefixes: Vec<Yaml>, whole: bool) -> Yaml {
    let mut entries = vec![
        ("Sid", s(sid)),
        ("Effect", s("Allow")),
        ("Action", strs(["s3:ListBucket"])),
        ("Resource", s3_bucket(bucket)),
    ];
    if !whole {
        entries.push((
            "Condition",
            map([("StringLike", map([("s3:prefix", seq(prefixes))]))]),
        ));
    }
    map(entries)
}

/// One `ListBucket` statement per bucket, listing only inside its folders.
fn list_statements(sid: &str, folders: &BTreeSet<S3Prefix>) -> Vec<Yaml> {
    let mut by_bucket: BTreeMap<&str, Vec<&S3Prefix>> = BTreeMap::new();
    for f in folders {
        by_bucket.entry(f.bucket.as_str()).or_default().push(f);
    }
    by_bucket
        .into_iter()
        .enumerate()
        .map(|(i, (bucket, folders))| {
            let whole = folders.iter().any(|f| f.is_whole_bucket());
            let prefixes = folders
                .iter()
                .map(|f| s(format!("{}*", f.prefix)))
                .collect();
            list_statement(format!("{sid}{}", i + 1), bucket, prefixes, whole)
        })
        .collect()
}

fn glue(kind: &str, rest: &str) -> Yaml {
    sub(format!(
        "arn:${{AWS::Partition}}:glue:${{AWS::Region}}:${{AWS::AccountId}}:{kind}{rest}"
    ))
}

/// Sources some KPI reads, in plan order.
fn sources_read(plan: &Plan) -> Vec<&SourcePlan> {
    let read: BTreeSet<&str> = plan
        .kpis
        .iter()
        .flat_map(|k| k.reads.iter())
        .filter_map(|r| match &r.target {
            RelationTarget::Source(name) => Some(name.as_str()),
            RelationTarget::Kpi(_) => None,
        })
        .collect();
    plan.sources
        .iter()
        .filter(|s| read.contains(s.name.as_str()))
        .collect()
}

fn source_owner(source: &SourcePlan) -> Owner {
    Owner::Source {
        name: source.name.clone(),
        table: format!("{}.{}", source.database, source.table),
    }
}

/// Where a location may be granted, or the problem (recorded) that stops it.
fn folder(location: &str, owner: Owner, problems: &mut Vec<GrantProblem>) -> Option<S3Prefix> {
    match s3_prefix(location) {
        Ok(at) => {
            if at.is_whole_bucket() {
                problems.push(GrantProblem::WholeBucket {
                    owner,
                    location: location.to_string(),
                    bucket: at.bucket.clone(),
                });
            }
            Some(at)
        }
        Err(problem) => {
            problems.push(GrantProblem::Location {
                owner,
                location: location.to_string(),
                problem,
            });
            None
        }
    }
}

/// The catalog, database and table ARNs of the sources whose Glue names are exact.
fn source_tables(sources: &[&SourcePlan], problems: &mut Vec<GrantProblem>) -> Vec<Yaml> {
    let mut databases = BTreeSet::new();
    let mut tables = Vec::new();
    for source in sources {
        let bad = [&source.database, &source.table]
            .into_iter()
            .find_map(|n| glue_name_problem(n).map(|c| (n.clone(), c)));
        if let Some((name, found)) = bad {
            problems.push(GrantProblem::GlueName {
                owner: source_owner(source),
                name,
                found,
            });
            continue;
        }
        databases.insert(source.database.as_str());
        tables.push(glue(
            "table/",
            &format!(
                "{}/{}",
                sub_literal(&source.database),
                sub_literal(&source.table)
            ),
        ));
    }
    if tables.is_empty() {
        return tables;
    }
    let mut out = vec![glue("catalog", "")];
    out.extend(
        databases
            .iter()
            .map(|db| glue("database/", &sub_literal(db))),
    );
    out.extend(tables);
    out
}

/// The results folder, from the `QueryResultsBucket` and `QueryResultsPrefix` parameters
/// (the prefix is empty or ends with `/`, and holds no `*`, `?` or `$`: see its pattern).
fn results_objects() -> Yaml {
    sub("arn:${AWS::Partition}:s3:::${QueryResultsBucket}/${QueryResultsPrefix}*")
}

fn results_bucket() -> Yaml {
    sub("arn:${AWS::Partition}:s3:::${QueryResultsBucket}")
}

/// The role's statements for `plan`, and every grant made wider than a folder or refused.
/// `children`: the child state machines (`-g0`, `-g1`, …) the machine starts and waits for.
pub fn statements(
    plan: &Plan,
    distributed: bool,
    children: usize,
) -> (Vec<Yaml>, Vec<GrantProblem>) {
    let mut problems = Vec::new();
    let workgroup = || {
        sub("arn:${AWS::Partition}:athena:${AWS::Region}:${AWS::AccountId}:workgroup/${WorkGroup}")
    };
    let mut out = vec![
        statement(
            "AthenaWorkGroup",
            &[
                "athena:StartQueryExecution",
                "athena:StopQueryExecution",
                "athena:GetQueryExecution",
                "athena:GetWorkGroup",
            ],
            vec![workgroup()],
        ),
        // The state machine reads each check's result rows (`athena:getQueryResults`).
        statement(
            "ReadCheckResults",
            &["athena:GetQueryResults"],
            vec![workgroup()],
        ),
        statement(
            "AthenaCatalog",
            &["athena:GetDataCatalog"],
            vec![sub(
                "arn:${AWS::Partition}:athena:${AWS::Region}:${AWS::AccountId}:datacatalog/AwsDataCatalog",
            )],
        ),
    ];

    let sources = sources_read(plan);
    let read: BTreeSet<S3Prefix> = sources
        .iter()
        .filter_map(|s| {
            let location = s.location.as_deref()?;
            folder(location, source_owner(s), &mut problems)
        })
        .collect();
    if !read.is_empty() {
        let objects = read.iter().map(s3_objects).collect();
        out.push(statement("ReadSourceObjects", &["s3:GetObject"], objects));
        out.extend(list_statements("ListSourceFolders", &read));
    }
    let written = folder(&plan.settings.location, Owner::Target, &mut problems);
    if let Some(kpis) = &written {
        out.push(statement(
            "WriteKpiObjects",
            &WRITE_OBJECTS,
            vec![s3_objects(kpis)],
        ));
        out.extend(list_statements(
            "ListKpiFolder",
            &BTreeSet::from([kpis.clone()]),
        ));
    }
    out.push(statement(
        "WriteQueryResults",
        &WRITE_OBJECTS,
        vec![results_objects()],
    ));
    out.push(map([
        ("Sid", s("ListQueryResults")),
        ("Effect", s("Allow")),
        ("Action", strs(["s3:ListBucket"])),
        ("Resource", results_bucket()),
        (
            "Condition",
            map([(
                "StringLike",
                map([("s3:prefix", seq([sub("${QueryResultsPrefix}*")]))]),
            )]),
        ),
    ]));
    let buckets: BTreeSet<&str> = read
        .iter()
        .chain(written.iter())
        .map(|f| f.bucket.as_str())
        .collect();
    let mut locate: Vec<Yaml> = buckets.into_iter().map(s3_bucket).collect();
    locate.push(results_bucket());
    out.push(statement(
        "LocateBuckets",
        &["s3:GetBucketLocation"],
        locate,
    ));
    // Uploads are listed bucket-wide (the action takes no `s3:prefix`): only where Athena writes.
    let mut uploads: Vec<Yaml> = written.iter().map(|f| s3_bucket(&f.bucket)).collect();
    uploads.push(results_bucket());
    out.push(statement(
        "ListUploadsWhereWritten",
        &["s3:ListBucketMultipartUploads"],
        uploads,
    ));

    let sources_arns = source_tables(&sources, &mut problems);
    if !sources_arns.is_empty() {
        out.push(statement(
            "QuerySourceTables",
            &[
                "glue:GetDatabase",
                "glue:GetTable",
                "glue:GetPartition",
                "glue:GetPartitions",
                "glue:BatchGetPartition",
            ],
            sources_arns.clone(),
        ));
    }
    let kpi_table = |name: &str| glue("table/", &format!("${{Database}}/{}", sub_literal(name)));
    let kpi_database = || vec![glue("catalog", ""), glue("database/", "${Database}")];
    let mut queried = kpi_database();
    for kpi in &plan.kpis {
        queried.push(kpi_table(&kpi.name));
        queried.push(kpi_table(&format!("{}__attempts", kpi.name)));
    }
    // Athena's DDL and DML on the KPI tables and their attempts tables.
    out.push(statement(
        "QueryKpiTables",
        &[
            "glue:GetDatabase",
            "glue:GetTable",
            "glue:CreateTable",
            "glue:UpdateTable",
            "glue:GetPartition",
            "glue:GetPartitions",
            "glue:BatchGetPartition",
            "glue:CreatePartition",
            "glue:BatchCreatePartition",
            "glue:UpdatePartition",
        ],
        queried,
    ));
    // Glue wants the table, its database and the catalog for every call on a table.
    let mut published = kpi_database();
    published.extend(plan.kpis.iter().map(|k| kpi_table(&k.name)));
    out.push(statement(
        "PublishKpiPartitions",
        &PUBLISH_PARTITIONS,
        published,
    ));
    if !sources_arns.is_empty() {
        out.push(statement(
            "FindSourcePartitions",
            &FIND_PARTITIONS,
            sources_arns,
        ));
    }
    out.push(statement(
        "DeliverLogs",
        &[
            "logs:CreateLogDelivery",
            "logs:GetLogDelivery",
            "logs:UpdateLogDelivery",
            "logs:DeleteLogDelivery",
            "logs:ListLogDeliveries",
            "logs:PutResourcePolicy",
            "logs:DescribeResourcePolicies",
            "logs:DescribeLogGroups",
        ],
        vec![s("*")],
    ));
    out.push(statement(
        "Tracing",
        &[
            "xray:PutTraceSegments",
            "xray:PutTelemetryRecords",
            "xray:GetSamplingRules",
            "xray:GetSamplingTargets",
        ],
        vec![s("*")],
    ));
    if distributed {
        // Distributed Map runs each item as a child execution of this same state machine.
        out.push(statement(
            "StartChildExecutions",
            &["states:StartExecution"],
            vec![sub(
                "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:stateMachine:${StateMachineName}",
            )],
        ));
        out.push(statement(
            "WatchChildExecutions",
            &["states:DescribeExecution", "states:StopExecution"],
            vec![sub(
                "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:execution:${StateMachineName}/*",
            )],
        ));
    }
    if children > 0 {
        let machines = |kind: &str, tail: &str| -> Vec<Yaml> {
            (0..children)
                .map(|g| {
                    sub(format!(
                        "arn:${{AWS::Partition}}:states:${{AWS::Region}}:${{AWS::AccountId}}:{kind}:${{StateMachineName}}{}{tail}",
                        crate::asl::group_suffix(g)
                    ))
                })
                .collect()
        };
        // `startExecution.sync:2`: start each group's machine, follow its executions, and the
        // EventBridge rule Step Functions manages to learn when they end.
        out.push(statement(
            "StartGroupExecutions",
            &["states:StartExecution"],
            machines("stateMachine", ""),
        ));
        out.push(statement(
            "WatchGroupExecutions",
            &["states:DescribeExecution", "states:StopExecution"],
            machines("execution", ":*"),
        ));
        out.push(statement(
            "GroupExecutionEvents",
            &["events:PutTargets", "events:PutRule", "events:DescribeRule"],
            vec![sub(
                "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/StepFunctionsGetEventsForStepFunctionsExecutionRule",
            )],
        ));
    }
    (out, problems)
}
