//! The driver over in-memory projects: names, stages, E0007, E0118, overlays.

use super::*;

const PROJECT: &str = "name: t\ncatalog: catalog/\nsources:\n  events:\n    table: app_logs.events\n    kind: events\n    partition: dt\ntarget:\n  database: t_kpi\n  location: s3://lake/kpi/\n  workgroup: kpi\n  concurrency: 2\n  history_start: 2024-01-01\n";
const CATALOG: &str = "databases:\n  app_logs:\n    events:\n      location: s3://lake/app_logs/events/\n      format: json\n      columns:\n        member_id: bigint\n        kind: string\n      partition_keys:\n        dt: string\n";
const POSTS: &str =
    "kpi posts {\n  from events e\n  where e.kind = 'post'\n  measure posts = count(*)\n}\n";

fn project() -> Overlay<'static> {
    Overlay::new()
        .file("kpi.yaml", PROJECT)
        .file("catalog/app_logs.yaml", CATALOG)
        .file("posts.kpi", POSTS)
}

fn codes(compiled: &Compiled) -> Vec<&'static str> {
    compiled.diagnostics.iter().map(|d| d.code.0).collect()
}

#[test]
fn an_in_memory_project_builds_with_root_relative_names() {
    let compiled = compile(
        &project(),
        &Options {
            build: true,
            ..Options::default()
        },
    )
    .unwrap();
    assert_eq!(codes(&compiled), Vec::<&str>::new());
    let names: Vec<&str> = compiled
        .sources
        .iter()
        .map(|(_, f)| f.name.as_str())
        .collect();
    assert_eq!(names, ["kpi.yaml", "catalog/app_logs.yaml", "posts.kpi"]);
    let program = compiled.program.as_ref().unwrap();
    assert_eq!(
        program
            .kpis
            .iter()
            .map(|k| k.name.as_str())
            .collect::<Vec<_>>(),
        ["posts"]
    );
    let artifacts = compiled.artifacts.as_ref().unwrap();
    assert!(artifacts.files.contains_key("manifest.json"));
    assert!(
        artifacts
            .files
            .contains_key(crate::build::STATE_MACHINE_FILE)
    );
    assert!(
        artifacts
            .files
            .keys()
            .any(|k| k.starts_with("athena/posts/"))
    );
}

#[test]
fn a_process_that_exits_gets_what_a_freeing_one_gets() {
    let files = project().file(
        "broken.kpi",
        "kpi b {\n  from events e\n  measure n = count(e.nope)\n}\n",
    );
    let freed = compile(&files, &Options::default()).unwrap();
    let exiting = Options {
        process_exits: true,
        ..Options::default()
    };
    let left = compile(&files, &exiting).unwrap();
    assert_eq!(codes(&left), ["E0202"]);
    assert_eq!(codes(&left), codes(&freed));
    let names = |c: &Compiled| {
        let kpis = &c.program.as_ref().unwrap().kpis;
        kpis.iter().map(|k| k.name.clone()).collect::<Vec<_>>()
    };
    assert_eq!(names(&left), ["b", "posts"]);
    assert_eq!(names(&left), names(&freed));
}

#[test]
fn checking_alone_builds_nothing_and_sources_only_reads_no_kpi_file() {
    let checked = compile(&project(), &Options::default()).unwrap();
    assert!(checked.artifacts.is_none() && !checked.has_errors());
    let only = compile(
        &project().file("broken.kpi", "kpi {"),
        &Options {
            sources_only: true,
            build: true,
            ..Options::default()
        },
    )
    .unwrap();
    assert_eq!(codes(&only), Vec::<&str>::new());
    assert!(only.kpi_files.is_empty());
    let artifacts = only.artifacts.unwrap();
    assert!(artifacts.plan.kpis.is_empty());
    assert_eq!(
        artifacts
            .plan
            .sources
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>(),
        ["events"]
    );
}

#[test]
fn a_file_that_is_not_utf8_is_one_diagnostic_and_the_others_are_still_checked() {
    let mut bytes = b"kpi naive {\n  // na\xEFve\n".to_vec();
    bytes.extend_from_slice(b"  from events e\n  measure n = count(*)\n}\n");
    let files = project().file("latin1.kpi", bytes).file(
        "typo.kpi",
        "kpi typo {\n  from events e\n  measure n = count(distinct e.membr_id)\n}\n",
    );
    let compiled = compile(
        &files,
        &Options {
            build: true,
            ..Options::default()
        },
    )
    .unwrap();
    assert!(
        compiled.artifacts.is_none(),
        "nothing is built from a file that is not UTF-8"
    );
    let utf8: Vec<&Diagnostic> = compiled
        .diagnostics
        .iter()
        .filter(|d| d.code.0 == "E0007")
        .collect();
    assert_eq!(utf8.len(), 1, "{:?}", compiled.diagnostics);
    // `ï` in Latin-1 is 0xEF: line 2, after `  // na` (7 characters), byte offset 12 + 7.
    assert_eq!(
        utf8[0].message,
        "latin1.kpi is not valid UTF-8: byte 0xEF at line 2, column 8 (byte offset 19)"
    );
    let span = utf8[0].primary.as_ref().unwrap().span;
    assert_eq!(
        (compiled.sources.name(span.file), span.start, span.end),
        ("latin1.kpi", 19, 20)
    );
    assert!(
        codes(&compiled).contains(&"E0202"),
        "typo.kpi is still checked: {:?}",
        codes(&compiled)
    );
}

#[test]
fn kpi_yaml_and_catalog_files_that_are_not_utf8_are_diagnostics_too() {
    let files = project().file("catalog/app_logs.yaml", b"databases: {}\n# \xFF\n".to_vec());
    let compiled = compile(&files, &Options::default()).unwrap();
    let first = compiled
        .diagnostics
        .iter()
        .find(|d| d.code.0 == "E0007")
        .unwrap();
    assert!(
        first
            .message
            .starts_with("catalog/app_logs.yaml is not valid UTF-8: byte 0xFF at line 2, column 3"),
        "{}",
        first.message
    );
    let files = project().file("kpi.yaml", [PROJECT.as_bytes(), b"# \xC3\n"].concat());
    let compiled = compile(&files, &Options::default()).unwrap();
    assert!(
        codes(&compiled).contains(&"E0007"),
        "{:?}",
        codes(&compiled)
    );
}

#[test]
fn a_missing_or_empty_catalog_is_e0118_and_a_missing_kpi_yaml_is_no_project() {
    let files = Overlay::new()
        .file("kpi.yaml", PROJECT)
        .file("posts.kpi", POSTS);
    let compiled = compile(&files, &Options::default()).unwrap();
    let e = compiled
        .diagnostics
        .iter()
        .find(|d| d.code.0 == "E0118")
        .unwrap();
    assert_eq!(
        e.primary.as_ref().unwrap().message,
        "there is no file or directory catalog/"
    );
    let files = Overlay::new()
        .file("kpi.yaml", PROJECT)
        .file("catalog/README.md", "x");
    let compiled = compile(&files, &Options::default()).unwrap();
    let e = compiled
        .diagnostics
        .iter()
        .find(|d| d.code.0 == "E0118")
        .unwrap();
    assert_eq!(
        e.primary.as_ref().unwrap().message,
        "catalog/ holds no .json or .yaml file"
    );
    let err = compile(
        &Overlay::new().file("posts.kpi", POSTS),
        &Options::default(),
    )
    .unwrap_err();
    assert_eq!(err, SourceError::NoProject);
}

#[test]
fn an_overlay_shows_its_files_over_the_base() {
    let base = project();
    let edited = Overlay::over(&base).file(
        "posts.kpi",
        "kpi posts {\n  from events e\n  measure n = count(e.nope)\n}\n",
    );
    assert_eq!(
        codes(&compile(&base, &Options::default()).unwrap()),
        Vec::<&str>::new()
    );
    assert_eq!(
        codes(&compile(&edited, &Options::default()).unwrap()),
        ["E0202"]
    );
    let added = Overlay::over(&base).file(
        "more/other.kpi",
        "kpi other {\n  from posts p\n  measure n = sum(p.posts)\n}\n",
    );
    let compiled = compile(&added, &Options::default()).unwrap();
    assert_eq!(codes(&compiled), Vec::<&str>::new());
    let names: Vec<&str> = compiled
        .kpi_files
        .iter()
        .map(|f| compiled.sources.name(*f))
        .collect();
    assert_eq!(names, ["more/other.kpi", "posts.kpi"]);
}

#[test]
fn paths_are_normalised_in_the_text() {
    assert_eq!(normalize("", "./catalog/"), "catalog");
    assert_eq!(normalize("a/b", "../c.kpi"), "a/c.kpi");
    assert_eq!(
        normalize("", "../shared/catalog.json"),
        "../shared/catalog.json"
    );
    assert_eq!(normalize("", "x\\y.json"), "x/y.json");
    assert_eq!(normalize("", "/abs/cat.json"), "/abs/cat.json");
}
