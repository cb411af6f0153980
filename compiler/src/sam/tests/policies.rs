//! Each grant of the role and topic policies, as IAM reads it once deployed → its exact
//! Resource and Condition. Locations are set on the plan itself, so the emitter is judged on
//! its own, whatever the front end would let through.

use super::{ACCOUNT_PREFIX, Policies, plan, policies, strings};
use serde_json::{Value, json};

/// `(Resource, allowed s3:prefix values)` of every statement granting `s3:ListBucket`.
fn listings(p: &Policies) -> Vec<(String, Option<Vec<String>>)> {
    let mut out: Vec<_> = p
        .role_granting("s3:ListBucket")
        .iter()
        .flat_map(|st| {
            let prefixes = st["Condition"]["StringLike"]["s3:prefix"]
                .as_array()
                .map(|v| v.iter().map(|p| p.as_str().unwrap().to_string()).collect());
            strings(&st["Resource"])
                .into_iter()
                .map(move |r| (r, prefixes.clone()))
        })
        .collect();
    out.sort();
    out
}

fn some(prefixes: &[&str]) -> Option<Vec<String>> {
    Some(prefixes.iter().map(|p| p.to_string()).collect())
}

#[test]
fn listing_stays_inside_each_folder_read_or_written() {
    let Some(p) = policies(&plan(), "listing") else {
        return;
    };
    assert_eq!(
        listings(&p),
        vec![
            (
                "arn:aws:s3:::lake-bucket".to_string(),
                some(&["master/members/*", "raw/events/*"])
            ),
            ("arn:aws:s3:::out-bucket".to_string(), some(&["kpi/*"])),
            (
                "arn:aws:s3:::out-bucket".to_string(),
                some(&["kpi/_athena_results/*"])
            ),
        ]
    );
}

#[test]
fn query_results_are_written_and_listed_only_in_their_folder() {
    let Some(p) = policies(&plan(), "results") else {
        return;
    };
    let results: Vec<&Value> = p
        .role_granting("s3:PutObject")
        .into_iter()
        .filter(|st| {
            strings(&st["Resource"])
                .iter()
                .any(|r| r.contains("_athena_results"))
        })
        .collect();
    assert_eq!(results.len(), 1, "{results:?}");
    assert_eq!(
        strings(&results[0]["Resource"]),
        ["arn:aws:s3:::out-bucket/kpi/_athena_results/*"]
    );
    assert!(listings(&p).contains(&(
        "arn:aws:s3:::out-bucket".to_string(),
        some(&["kpi/_athena_results/*"])
    )));
}

#[test]
fn multipart_uploads_are_listed_only_in_buckets_written() {
    let Some(p) = policies(&plan(), "uploads") else {
        return;
    };
    let mut buckets: Vec<String> = p
        .role_granting("s3:ListBucketMultipartUploads")
        .iter()
        .flat_map(|st| strings(&st["Resource"]))
        .collect();
    buckets.sort();
    buckets.dedup();
    // lake-bucket holds only sources: read, never written.
    assert_eq!(buckets, ["arn:aws:s3:::out-bucket"]);
}

#[test]
fn only_the_failure_rule_may_publish_to_the_topic() {
    let Some(p) = policies(&plan(), "topic") else {
        return;
    };
    let topic = &p.documents["FailureTopicPolicy"]["Statement"];
    assert_eq!(topic.as_array().unwrap().len(), 1);
    assert_eq!(
        topic[0]["Principal"],
        json!({"Service": "events.amazonaws.com"})
    );
    assert_eq!(
        topic[0]["Condition"],
        json!({"ArnEquals": {"aws:SourceArn": format!("arn:aws:events:us-east-1:{ACCOUNT_PREFIX}rule/FailureRule")}})
    );
}

#[test]
fn a_location_without_its_slash_grants_its_folder_only() {
    let mut plan = plan();
    let events = plan
        .sources
        .iter_mut()
        .find(|s| s.name == "events")
        .unwrap();
    // Common in real Glue snapshots; `events*` would also match `events_private/`.
    events.location = Some("s3://lake-bucket/raw/events".into());
    let Some(p) = policies(&plan, "no-slash") else {
        return;
    };
    let read: Vec<String> = p
        .role_granting("s3:GetObject")
        .iter()
        .flat_map(|st| strings(&st["Resource"]))
        .filter(|r| r.contains("lake-bucket"))
        .collect();
    assert_eq!(
        read,
        [
            "arn:aws:s3:::lake-bucket/master/members/*",
            "arn:aws:s3:::lake-bucket/raw/events/*"
        ]
    );
    assert_eq!(
        listings(&p)[0],
        (
            "arn:aws:s3:::lake-bucket".to_string(),
            some(&["master/members/*", "raw/events/*"])
        )
    );
}

#[test]
fn a_bucket_root_grants_the_bucket_and_lists_it_all() {
    let mut plan = plan();
    let events = plan
        .sources
        .iter_mut()
        .find(|s| s.name == "events")
        .unwrap();
    events.location = Some("s3://events-bucket".into());
    let Some(p) = policies(&plan, "root") else {
        return;
    };
    let read: Vec<String> = p
        .role_granting("s3:GetObject")
        .iter()
        .flat_map(|st| strings(&st["Resource"]))
        .filter(|r| r.contains("events-bucket"))
        .collect();
    assert_eq!(read, ["arn:aws:s3:::events-bucket/*"]);
    // No `s3:prefix` condition: one on a missing prefix would refuse listing the root.
    assert!(listings(&p).contains(&("arn:aws:s3:::events-bucket".to_string(), None)));
}

#[test]
fn wildcard_locations_are_never_granted() {
    for location in [
        "s3://*/",
        "s3://lake-bucket/raw/*/",
        "s3://lake-bucket/${aws:userid}/",
    ] {
        let mut plan = plan();
        let events = plan
            .sources
            .iter_mut()
            .find(|s| s.name == "events")
            .unwrap();
        events.location = Some(location.into());
        let Some(p) = policies(&plan, "wildcard") else {
            return;
        };
        let resources: Vec<String> = p
            .role_statements()
            .iter()
            .flat_map(|st| strings(&st["Resource"]))
            .collect();
        for r in &resources {
            let tail = r.rsplit(':').next().unwrap();
            assert!(
                !r.starts_with("arn:aws:s3:::")
                    || !tail.trim_end_matches('*').contains(['*', '?', '$']),
                "{location} gave {r}"
            );
            assert_ne!(r, "arn:aws:s3:::*/*", "{location}");
        }
        // The other source is still granted, exactly.
        assert!(resources.contains(&"arn:aws:s3:::lake-bucket/master/members/*".to_string()));
        assert!(
            !resources.iter().any(|r| r.contains("raw/")),
            "{location}: {resources:?}"
        );
    }
}

fn glue(rest: &str) -> String {
    format!("arn:aws:glue:us-east-1:{ACCOUNT_PREFIX}{rest}")
}

#[test]
fn partitions_are_published_with_exactly_the_sdk_calls_on_exactly_the_output_tables() {
    let Some(p) = policies(&plan(), "publish") else {
        return;
    };
    let publish = p.role_granting("glue:BatchUpdatePartition");
    assert_eq!(publish.len(), 1, "{publish:?}");
    assert_eq!(
        strings(&publish[0]["Action"]),
        [
            "glue:GetTable",
            "glue:BatchCreatePartition",
            "glue:BatchUpdatePartition",
            "glue:BatchGetPartition"
        ]
    );
    assert_eq!(
        strings(&publish[0]["Resource"]),
        [
            glue("catalog"),
            glue("database/kpi_out"),
            glue("table/kpi_out/by_department"),
            glue("table/kpi_out/daily_active"),
            glue("table/kpi_out/weekly"),
        ]
    );
    let find: Vec<&Value> = p
        .role_granting("glue:BatchGetPartition")
        .into_iter()
        .filter(|st| strings(&st["Action"]) == ["glue:BatchGetPartition"])
        .collect();
    assert_eq!(find.len(), 1, "{find:?}");
    assert_eq!(
        strings(&find[0]["Resource"]),
        [
            glue("catalog"),
            glue("database/lake"),
            glue("table/lake/events"),
            glue("table/lake/members"),
        ]
    );
}

#[test]
fn check_results_are_read_from_the_workgroup_only() {
    let Some(p) = policies(&plan(), "results-rows") else {
        return;
    };
    let resources: Vec<String> = p
        .role_granting("athena:GetQueryResults")
        .iter()
        .flat_map(|st| strings(&st["Resource"]))
        .collect();
    assert_eq!(
        resources,
        [format!(
            "arn:aws:athena:us-east-1:{ACCOUNT_PREFIX}workgroup/kpi-wg"
        )]
    );
}
