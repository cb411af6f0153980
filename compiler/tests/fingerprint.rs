//! Fingerprints change with meaning and only with meaning: formatting, comments, docs and
//! aliases leave them alone; a changed filter, type, table or upstream changes them. The
//! fingerprint is a hash of the backend IR.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kpi_compiler::span::Sources;
use std::collections::BTreeMap;

const PROJECT: &str = "name: fp\ncatalog: c/\nsources:\n  events: {table: app.events, kind: events, partition: dt}\ntarget:\n  database: out\n  location: s3://bkt/kpi/\n  workgroup: wg\n  concurrency: 2\n  history_start: 2024-01-01\n";
const CATALOG: &str = "databases:\n  app:\n    events:\n      format: json\n      columns: {id: string, member_id: bigint, company_id: bigint, kind: string, amount: double}\n      partition_keys: {dt: string}\n";

fn fingerprints(kpis: &str) -> BTreeMap<String, String> {
    fingerprints_with(PROJECT, CATALOG, kpis)
}

fn fingerprints_with_catalog(kpis: &str, catalog: &str) -> BTreeMap<String, String> {
    fingerprints_with(PROJECT, catalog, kpis)
}

fn fingerprints_with(project: &str, catalog: &str, kpis: &str) -> BTreeMap<String, String> {
    let mut sources = Sources::new();
    let yaml = sources.add("kpi.yaml", project);
    let catalog = sources.add("c/app.yaml", catalog);
    let file = sources.add("a.kpi", kpis);
    let (project, diagnostics) = kpi_compiler::project::parse_project(&sources, yaml);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    let project = project.unwrap();
    let checked = kpi_compiler::check_project(&sources, Some(&project), &[catalog], &[file]);
    assert!(!checked.has_errors(), "{:?}", checked.diagnostics);
    let (artifacts, _) = kpi_compiler::build::build(
        &sources,
        &project,
        &checked.catalog,
        &checked.program.unwrap(),
    );
    artifacts
        .plan
        .kpis
        .iter()
        .map(|k| (k.name.clone(), k.fingerprint.clone()))
        .collect()
}

const BASE: &str = "kpi daily { from events e where e.kind = 'post' group by e.company_id measure n = count(distinct e.member_id) }
kpi weekly { from daily d over 7 days group by d.company_id measure n = avg(d.n) }";

#[test]
fn form_does_not_change_fingerprints() {
    let base = fingerprints(BASE);
    let reformatted = fingerprints(
        "// a comment\n/// Docs are comments too.\nKPI daily {\n  from events ev   // another alias\n  where ev.kind='post'\n  group by ev.company_id\n  /// measured\n  measure n=COUNT( distinct ev.member_id )\n}\n\n\nkpi weekly {\n from daily x over 7 days\n group by x.company_id\n measure n = avg(x.n)\n}\n",
    );
    assert_eq!(base, reformatted);
}

#[test]
fn meaning_changes_fingerprints_and_flows_downstream() {
    let base = fingerprints(BASE);
    let filter = fingerprints(&BASE.replace("'post'", "'comment'"));
    assert_ne!(base["daily"], filter["daily"]);
    assert_ne!(
        base["weekly"], filter["weekly"],
        "a changed upstream changes its readers"
    );
    let window = fingerprints(&BASE.replace("over 7 days", "over 14 days"));
    assert_eq!(base["daily"], window["daily"]);
    assert_ne!(base["weekly"], window["weekly"]);
    let aggregate =
        fingerprints(&BASE.replace("count(distinct e.member_id)", "count(e.member_id)"));
    assert_ne!(base["daily"], aggregate["daily"]);
}

#[test]
fn a_changed_column_type_changes_the_fingerprint() {
    // The same text over a catalog where the grouped column is text instead of bigint.
    let retyped = fingerprints_with_catalog(
        BASE,
        &CATALOG.replace("company_id: bigint", "company_id: string"),
    );
    let base = fingerprints(BASE);
    assert_ne!(base["daily"], retyped["daily"]);
    assert_ne!(
        base["weekly"], retyped["weekly"],
        "and so does its reader's"
    );
}

#[test]
fn what_the_kpi_reads_is_part_of_its_meaning() {
    // The same definition over another catalog table is another KPI.
    let other = fingerprints_with(
        &PROJECT.replace("app.events", "app.events_v2"),
        &CATALOG.replace("    events:", "    events_v2:"),
        BASE,
    );
    assert_ne!(fingerprints(BASE)["daily"], other["daily"]);
}

#[test]
fn fingerprints_are_pinned() {
    // SHA-256 over a canonical JSON form: the same on every platform and release. A change
    // here means every deployed KPI would look stale; bump the version string instead.
    let base = fingerprints(BASE);
    assert_eq!(base["daily"].len(), 64);
    assert_eq!(base["daily"], fingerprints(BASE)["daily"]);
    assert_eq!(base["daily"], PINNED_DAILY, "fingerprint of `daily` moved");
}

const PINNED_DAILY: &str = "06ad675ec61e6eee6b10d424e7d62f46b3fbb6833618c28a837cbbf292ceca25";
