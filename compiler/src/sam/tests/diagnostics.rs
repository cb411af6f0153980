//! What the role cannot be granted as asked → the diagnostics `kpi build` reports: W0720 for a
//! bucket's root, E0721 for a location or a Glue name that would widen a grant.

use super::{build, plan, project_at};
use crate::diagnostic::Severity;
use crate::sam::grant_diagnostics;

fn with_location(source: &str, location: &str) -> crate::lower::Plan {
    let mut plan = plan();
    let s = plan.sources.iter_mut().find(|s| s.name == source).unwrap();
    s.location = Some(location.into());
    plan
}

/// `(code, severity, message)` of each diagnostic.
fn found(plan: &crate::lower::Plan) -> Vec<(&'static str, Severity, String)> {
    grant_diagnostics(plan)
        .into_iter()
        .map(|d| (d.code.0, d.severity, d.message))
        .collect()
}

#[test]
fn exact_folders_give_no_diagnostic() {
    assert_eq!(found(&plan()), vec![]);
    // A missing trailing slash is normalised, silently: the grant is the folder.
    assert_eq!(
        found(&with_location("events", "s3://lake-bucket/raw/events")),
        vec![]
    );
}

#[test]
fn a_source_at_a_bucket_root_warns() {
    for location in ["s3://events-bucket", "s3://events-bucket/"] {
        assert_eq!(
            found(&with_location("events", location)),
            vec![(
                "W0720",
                Severity::Warning,
                format!(
                    "the role may read every object of bucket `events-bucket`: source `events` (table `lake.events`) is at `{location}`, the bucket's root"
                )
            )]
        );
    }
}

#[test]
fn kpi_tables_at_a_bucket_root_warn() {
    let mut plan = plan();
    plan.settings.location = "s3://out-bucket/".into();
    assert_eq!(
        found(&plan),
        vec![(
            "W0720",
            Severity::Warning,
            "the role may write every object of bucket `out-bucket`: the KPI tables' `target.location` is `s3://out-bucket/`, the bucket's root".to_string()
        )]
    );
}

#[test]
fn wildcards_and_invalid_locations_are_errors() {
    let cases = [
        (
            "s3://*/",
            "its bucket is not a valid bucket name (a bucket name holds only lower-case letters, digits, `.` and `-`)",
        ),
        (
            "s3://lake-bucket/raw/*/",
            "its key holds `*`, which IAM reads as a pattern or a policy variable",
        ),
        (
            "s3://lake-bucket/${aws:userid}/",
            "its key holds `$`, which IAM reads as a pattern or a policy variable",
        ),
        ("s3a://lake-bucket/raw/", "it does not start with `s3://`"),
    ];
    for (location, why) in cases {
        assert_eq!(
            found(&with_location("events", location)),
            vec![(
                "E0721",
                Severity::Error,
                format!(
                    "the role cannot be granted source `events` (table `lake.events`) at `{location}`: {why}"
                )
            )],
            "{location}"
        );
    }
    let mut plan = plan();
    plan.settings.location = "s3://out-bucket/k?i/".into();
    assert_eq!(found(&plan)[0].0, "E0721");
}

#[test]
fn glue_names_that_would_widen_an_arn_are_errors() {
    let mut plan = plan();
    let s = plan
        .sources
        .iter_mut()
        .find(|s| s.name == "events")
        .unwrap();
    s.table = "ev*".into();
    assert_eq!(
        found(&plan),
        vec![(
            "E0721",
            Severity::Error,
            "the role cannot be granted source `events` (table `lake.ev*`): the Glue name `ev*` holds `*`, which would widen its ARN".to_string()
        )]
    );
    // And the template grants that table nothing.
    let template = crate::sam::emit_sam(&plan, "statemachine.asl.json");
    assert!(!template.contains("ev*"), "{template}");
}

#[test]
fn every_code_has_an_explanation() {
    for code in ["W0720", "E0721"] {
        let text = crate::diagnostic::explain(code).unwrap_or_else(|| panic!("{code}"));
        assert!(text.starts_with(&format!("# {code}: ")), "{code}");
    }
}

#[test]
fn kpi_build_reports_them_with_the_template() {
    let (artifacts, diagnostics) = build(&project_at("s3://out-bucket/"));
    let codes: Vec<_> = diagnostics.iter().map(|d| (d.code.0, d.severity)).collect();
    assert_eq!(codes, [("W0720", Severity::Warning)]);
    // A warning: the template is still written, granting the bucket.
    assert!(artifacts.files["template.yaml"].contains("s3:::out-bucket/*'"));
}
