//! Tests: `kpi.yaml` texts → projects and the exact place of every diagnostic.

use super::*;
use crate::catalog::parse_catalog;
use crate::diagnostic::Diagnostic;
use crate::span::Sources;

const GOOD: &str = "\
# kpi.yaml
name: engagement
catalog: catalog/
sources:
  events:
    table: app_logs.events
    kind: events
    partition: dt
  members:
    table: master.members
    kind: snapshot
    partition: dt
  companies:
    table: master.companies
    kind: table
target:
  database: kpi_output
  location: s3://company-lake/kpi/
  workgroup: kpi
  concurrency: 8
  crawler: lake-crawler
  history_start: 2024-01-01
  time_zone: Europe/Paris
";

fn parse(text: &str) -> (Sources, Option<Project>, Vec<(String, usize, usize)>) {
    let mut sources = Sources::new();
    let f = sources.add("kpi.yaml", text);
    let (project, diagnostics) = parse_project(&sources, f);
    let places = places(&sources, &diagnostics);
    (sources, project, places)
}

fn places(sources: &Sources, diagnostics: &[Diagnostic]) -> Vec<(String, usize, usize)> {
    diagnostics
        .iter()
        .map(|d| {
            let at = d
                .primary
                .as_ref()
                .map_or(crate::span::LineCol { line: 0, column: 0 }, |l| {
                    sources.line_col(l.span.file, l.span.start)
                });
            (d.code.0.to_string(), at.line, at.column)
        })
        .collect()
}

fn with(line: &str, replacement: &str) -> String {
    assert!(GOOD.contains(line), "{line}");
    GOOD.replacen(line, replacement, 1)
}

#[test]
fn parses_the_example() {
    let (sources, project, diags) = parse(GOOD);
    assert_eq!(diags, []);
    let p = project.unwrap();
    assert_eq!(p.name, "engagement");
    assert_eq!(
        p.catalog
            .iter()
            .map(|c| c.value.as_str())
            .collect::<Vec<_>>(),
        ["catalog/"]
    );
    let names: Vec<_> = p.sources.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["events", "members", "companies"]);
    let events = &p.sources[0];
    assert_eq!(
        (events.database.as_str(), events.table.as_str()),
        ("app_logs", "events")
    );
    assert_eq!(events.kind, SourceKind::Events);
    assert_eq!(events.partition.as_deref(), Some("dt"));
    assert_eq!(sources.slice(events.table_span), "app_logs.events");
    assert_eq!(sources.slice(events.name_span), "events");
    assert_eq!(sources.slice(events.partition_span.unwrap()), "dt");
    assert_eq!(p.sources[2].partition, None);
    assert_eq!(p.target.concurrency.value, 8);
    assert_eq!(
        p.target.history_start.value,
        Date {
            year: 2024,
            month: 1,
            day: 1
        }
    );
    assert_eq!(p.target.time_zone(), "Europe/Paris");
    assert_eq!(
        sources.slice(p.target.location.span),
        "s3://company-lake/kpi/"
    );
    assert_eq!(
        p.target.crawler.as_ref().map(|c| c.value.as_str()),
        Some("lake-crawler")
    );
}

#[test]
fn catalog_may_be_a_list_and_time_zone_defaults_to_utc() {
    let text = with("catalog: catalog/", "catalog: [a.json, b/]")
        .replace("  time_zone: Europe/Paris\n", "");
    let (_, project, diags) = parse(&text);
    assert_eq!(diags, []);
    let p = project.unwrap();
    assert_eq!(p.catalog.len(), 2);
    assert_eq!(p.target.time_zone(), "UTC");
}

#[test]
fn syntax_error_points_where_the_parser_stopped() {
    let (_, project, diags) = parse("name: x\ntarget:\n  database: a\n   workgroup: b\n");
    assert!(project.is_none());
    assert_eq!(diags, [("E0101".to_string(), 4, 13)]);
}

#[test]
fn unknown_field_suggests_the_known_one() {
    let mut sources = Sources::new();
    let f = sources.add(
        "kpi.yaml",
        with(
            "    partition: dt\n  members",
            "    partiton: dt\n  members",
        ),
    );
    let (project, diags) = parse_project(&sources, f);
    assert!(project.is_none());
    let codes = places(&sources, &diags);
    // The typo only: the field it stands for is not reported missing as well.
    assert_eq!(codes, [("E0102".to_string(), 8, 5)]);
    assert_eq!(diags[0].message, "unknown field `partiton`");
    assert_eq!(diags[0].help.as_deref(), Some("Did you mean `partition`?"));
}

#[test]
fn missing_fields_point_at_their_section() {
    let text = with("    table: master.members\n", "").replace("  workgroup: kpi\n", "");
    let (_, _, diags) = parse(&text);
    assert_eq!(
        diags,
        [("E0103".to_string(), 9, 3), ("E0103".to_string(), 15, 1)]
    );
    let (_, _, diags) = parse("");
    assert_eq!(diags.iter().filter(|d| d.0 == "E0103").count(), 4);
}

#[test]
fn every_bad_value_is_reported_at_its_place() {
    let text = with("kind: snapshot", "kind: snapshots")
        .replace("table: master.companies", "table: companies")
        .replace(
            "location: s3://company-lake/kpi/",
            "location: s3://company-lake/kpi",
        )
        .replace("concurrency: 8", "concurrency: 500")
        .replace("history_start: 2024-01-01", "history_start: 2024-02-30")
        .replace("time_zone: Europe/Paris", "time_zone: Eurpe/Paris");
    let (_, project, diags) = parse(&text);
    assert!(project.is_none());
    let expected = [(11, 11), (14, 12), (18, 34), (20, 16), (22, 18), (23, 14)];
    let expected: Vec<_> = expected
        .iter()
        .map(|&(l, c)| {
            let code = if l == 18 { "E0119" } else { "E0106" };
            (code.to_string(), l, c)
        })
        .collect();
    assert_eq!(diags, expected);
}

#[test]
fn wrong_shapes_and_names() {
    let text = with("name: engagement", "name: Engagement-2")
        .replace("concurrency: 8", "concurrency: eight")
        .replace("  members:\n", "  Members:\n")
        .replace("workgroup: kpi", "workgroup: [kpi]");
    let (_, _, diags) = parse(&text);
    let expected = [
        ("E0105", 2, 7),
        ("E0105", 9, 3),
        ("E0104", 19, 14),
        ("E0104", 20, 16),
    ];
    let expected: Vec<_> = expected
        .iter()
        .map(|&(c, l, col)| (c.to_string(), l, col))
        .collect();
    assert_eq!(diags, expected);
}

#[test]
fn partition_must_match_the_kind() {
    let text = with("    kind: table\n", "    kind: table\n    partition: dt\n");
    let (_, _, diags) = parse(&text);
    assert_eq!(diags, [("E0107".to_string(), 16, 16)]);
}

#[test]
fn garbage_never_panics() {
    let samples = [
        "",
        "-",
        "[]",
        "null",
        "name:",
        ": :",
        "{",
        "\u{0}",
        "\t\tname: x",
        "sources: [1, 2]",
        "target: 3",
        "sources:\n  a: 1\n",
        "catalog: []\n",
        "&a [*a]",
        "name: !!binary aGVsbG8=",
        "? [a]\n: b\n",
    ];
    for text in samples {
        let (_, project, diags) = parse(text);
        assert!(project.is_none() && !diags.is_empty(), "{text:?}");
    }
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..300 {
        let mut bytes = GOOD.as_bytes().to_vec();
        for _ in 0..4 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let i = (seed as usize) % bytes.len();
            bytes[i] = b" :-[{\"'x\n#&*!"[(seed >> 32) as usize % 13];
        }
        let _ = parse(&String::from_utf8_lossy(&bytes));
    }
}

const CATALOG: &str = "\
databases:
  app_logs:
    events:
      format: json
      columns:
        event_id: string
        day: string
      partition_keys:
        dt: string
  master:
    members:
      format: parquet
      columns:
        member_id: bigint
      partition_keys:
        dt: string
    companies:
      format: parquet
      columns:
        company_id: bigint
";

type Places = Vec<(String, usize, usize)>;

fn bind(project_text: &str) -> (Sources, Vec<BoundSource>, Places, Vec<Diagnostic>) {
    let mut sources = Sources::new();
    let p = sources.add("kpi.yaml", project_text);
    let c = sources.add("catalog.yaml", CATALOG);
    let (catalog, cdiags) = parse_catalog(&sources, &[c]);
    assert_eq!(cdiags, []);
    let (project, pdiags) = parse_project(&sources, p);
    assert_eq!(pdiags, []);
    let (bound, diags) = bind_sources(&project.unwrap(), &catalog);
    let at = places(&sources, &diags);
    (sources, bound, at, diags)
}

#[test]
fn binds_sources_to_tables() {
    let (_, bound, at, _) = bind(GOOD);
    assert_eq!(at, []);
    assert_eq!(bound.len(), 3);
    assert_eq!(bound[0].table.qualified_name(), "app_logs.events");
    assert_eq!(bound[1].partition.as_deref(), Some("dt"));
    assert_eq!(bound[2].kind, SourceKind::Table);
}

#[test]
fn unknown_table_and_partition_suggest() {
    let text = with("table: app_logs.events", "table: app_logs.event").replace(
        "table: master.members\n    kind: snapshot\n    partition: dt",
        "table: master.members\n    kind: snapshot\n    partition: dd",
    );
    let (_, bound, at, diags) = bind(&text);
    assert_eq!(bound.len(), 1);
    assert_eq!(
        at,
        [("E0108".to_string(), 6, 12), ("E0109".to_string(), 12, 16)]
    );
    assert_eq!(
        diags[0].help.as_deref(),
        Some("Did you mean `app_logs.events`?")
    );
    assert_eq!(diags[1].help.as_deref(), Some("Did you mean `dt`?"));
}

#[test]
fn a_regular_column_is_not_a_partition_key() {
    let text = with(
        "    partition: dt\n  members",
        "    partition: day\n  members",
    );
    let (_, _, at, diags) = bind(&text);
    assert_eq!(at, [("E0109".to_string(), 8, 16)]);
    assert!(
        diags[0]
            .primary
            .as_ref()
            .unwrap()
            .message
            .contains("is a column of `app_logs.events`")
    );
}
