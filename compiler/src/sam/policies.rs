//! Plan → the state machine role's least-privilege IAM statements: the workgroup, the S3
//! prefixes read (sources) and written (KPI tables, query results), the Glue tables read and
//! the KPI tables written, log delivery, and — only with distributed Maps — itself.

use super::yaml::{Yaml, map, r#ref, s, seq, strs, sub, tag};
use crate::ir::RelationTarget;
use crate::lower::Plan;
use std::collections::{BTreeMap, BTreeSet};

fn statement(sid: &str, actions: &[&str], resources: Vec<Yaml>) -> Yaml {
    map([
        ("Sid", s(sid)),
        ("Effect", s("Allow")),
        ("Action", strs(actions.iter().copied())),
        ("Resource", seq(resources)),
    ])
}

/// `s3://bucket/prefix/` → (bucket, prefix).
fn split_s3(location: &str) -> Option<(String, String)> {
    let rest = location.strip_prefix("s3://")?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        return None;
    }
    Some((bucket.to_string(), prefix.to_string()))
}

/// `${…}` is Sub syntax; a literal `${` in a name must be written `${!`.
fn sub_literal(text: &str) -> String {
    text.replace("${", "${!")
}

fn s3_object(bucket: &str, prefix: &str) -> Yaml {
    sub(format!(
        "arn:${{AWS::Partition}}:s3:::{}/{}*",
        sub_literal(bucket),
        sub_literal(prefix)
    ))
}

fn s3_bucket(bucket: &str) -> Yaml {
    sub(format!(
        "arn:${{AWS::Partition}}:s3:::{}",
        sub_literal(bucket)
    ))
}

/// ListBucket only under the prefixes, one statement per bucket.
fn list_statements(sid: &str, prefixes: &BTreeMap<String, BTreeSet<String>>) -> Vec<Yaml> {
    prefixes
        .iter()
        .enumerate()
        .map(|(i, (bucket, prefixes))| {
            let patterns: Vec<Yaml> = prefixes
                .iter()
                .flat_map(|p| [s(p.clone()), s(format!("{p}*"))])
                .collect();
            map([
                ("Sid", s(format!("{sid}{}", i + 1))),
                ("Effect", s("Allow")),
                ("Action", strs(["s3:ListBucket"])),
                ("Resource", s3_bucket(bucket)),
                (
                    "Condition",
                    map([("StringLike", map([("s3:prefix", seq(patterns))]))]),
                ),
            ])
        })
        .collect()
}

fn glue(kind: &str, rest: &str) -> Yaml {
    sub(format!(
        "arn:${{AWS::Partition}}:glue:${{AWS::Region}}:${{AWS::AccountId}}:{kind}{rest}"
    ))
}

/// Sources some KPI reads, in plan order.
fn sources_read(plan: &Plan) -> Vec<&crate::lower::SourcePlan> {
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

pub fn statements(plan: &Plan, distributed: bool) -> Vec<Yaml> {
    let mut out = vec![
        statement(
            "AthenaWorkGroup",
            &[
                "athena:StartQueryExecution",
                "athena:StopQueryExecution",
                "athena:GetQueryExecution",
                "athena:GetQueryResults",
                "athena:GetWorkGroup",
            ],
            vec![sub(
                "arn:${AWS::Partition}:athena:${AWS::Region}:${AWS::AccountId}:workgroup/${WorkGroup}",
            )],
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
    let mut buckets: BTreeSet<String> = BTreeSet::new();
    let mut read_prefixes: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (bucket, prefix) in sources
        .iter()
        .filter_map(|s| s.location.as_deref().and_then(split_s3))
    {
        buckets.insert(bucket.clone());
        read_prefixes.entry(bucket).or_default().insert(prefix);
    }
    if !read_prefixes.is_empty() {
        let objects = read_prefixes
            .iter()
            .flat_map(|(b, ps)| ps.iter().map(move |p| s3_object(b, p)))
            .collect();
        out.push(statement("ReadSourceObjects", &["s3:GetObject"], objects));
        out.extend(list_statements("ListSourcePrefixes", &read_prefixes));
    }
    let mut write_prefixes: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    if let Some((bucket, prefix)) = split_s3(&plan.settings.location) {
        buckets.insert(bucket.clone());
        write_prefixes.entry(bucket).or_default().insert(prefix);
    }
    let mut written: Vec<Yaml> = write_prefixes
        .iter()
        .flat_map(|(b, ps)| ps.iter().map(move |p| s3_object(b, p)))
        .collect();
    // The results location is a parameter: CloudFormation can cut its bucket out, but not the
    // prefix (Fn::Split takes only a literal delimiter), so listing there is bucket-wide.
    let results_path = map([(
        "Path",
        tag(
            "Select",
            seq([
                Yaml::Int(1),
                tag("Split", seq([s("s3://"), r#ref("QueryResultsLocation")])),
            ]),
        ),
    )]);
    written.push(tag(
        "Sub",
        seq([
            s("arn:${AWS::Partition}:s3:::${Path}*"),
            results_path.clone(),
        ]),
    ));
    out.push(statement(
        "WriteKpiAndResultObjects",
        &[
            "s3:GetObject",
            "s3:PutObject",
            "s3:AbortMultipartUpload",
            "s3:ListMultipartUploadParts",
        ],
        written,
    ));
    out.extend(list_statements("ListKpiPrefixes", &write_prefixes));
    let results_bucket = tag(
        "Sub",
        seq([
            s("arn:${AWS::Partition}:s3:::${Bucket}"),
            map([(
                "Bucket",
                tag(
                    "Select",
                    seq([
                        Yaml::Int(0),
                        tag(
                            "Split",
                            seq([
                                s("/"),
                                tag(
                                    "Select",
                                    seq([
                                        Yaml::Int(1),
                                        tag(
                                            "Split",
                                            seq([s("s3://"), r#ref("QueryResultsLocation")]),
                                        ),
                                    ]),
                                ),
                            ]),
                        ),
                    ]),
                ),
            )]),
        ]),
    );
    let mut bucket_arns: Vec<Yaml> = buckets.iter().map(|b| s3_bucket(b)).collect();
    bucket_arns.push(results_bucket.clone());
    out.push(statement(
        "LocateBuckets",
        &["s3:GetBucketLocation", "s3:ListBucketMultipartUploads"],
        bucket_arns,
    ));
    out.push(statement(
        "ListResults",
        &["s3:ListBucket"],
        vec![results_bucket],
    ));

    let mut source_tables = vec![glue("catalog", "")];
    let databases: BTreeSet<&str> = sources.iter().map(|s| s.database.as_str()).collect();
    for db in &databases {
        source_tables.push(glue("database/", &sub_literal(db)));
    }
    for source in &sources {
        source_tables.push(glue(
            "table/",
            &format!(
                "{}/{}",
                sub_literal(&source.database),
                sub_literal(&source.table)
            ),
        ));
    }
    out.push(statement(
        "ReadSourceTables",
        &[
            "glue:GetDatabase",
            "glue:GetTable",
            "glue:GetPartition",
            "glue:GetPartitions",
            "glue:BatchGetPartition",
        ],
        source_tables,
    ));
    let mut kpi_tables = vec![glue("catalog", ""), glue("database/", "${Database}")];
    for kpi in &plan.kpis {
        for table in [kpi.name.clone(), format!("{}__attempts", kpi.name)] {
            kpi_tables.push(glue(
                "table/",
                &format!("${{Database}}/{}", sub_literal(&table)),
            ));
        }
    }
    out.push(statement(
        "WriteKpiTables",
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
        kpi_tables,
    ));
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
    out
}
