//! No input makes the compiler panic, overflow its stack or hang: every prefix of every corpus
//! file, random bytes, an empty file, pathological nesting, and lines over 64 KiB and 1 MiB
//! (long names, strings, `+` chains, `in` lists, a one-line Glue snapshot) go through parse,
//! check and both renderers, and through the whole build when they check clean. Tests run on
//! 2 MiB thread stacks, a quarter of the CLI's main thread, each input within a time bound.
//! Long lines and the fuzz target's shapes are in `robust/long_lines.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
#[path = "robust/long_lines.rs"]
mod long_lines;
#[path = "../fuzz/src/one_input.rs"]
mod one_input;

use common::root;
use kpi_compiler::diagnostic::{
    JsonDiagnostic, RenderOptions, Severity, render_human, render_json,
};
use kpi_compiler::span::{FileId, Sources};
use rand::{Rng, SeedableRng};
use std::path::PathBuf;

struct Fixture {
    yaml: String,
    catalog: String,
}

fn fixture() -> Fixture {
    let shared = std::fs::read_to_string(root().join("tests/project.yaml")).unwrap();
    Fixture {
        yaml: format!("catalog: catalog/\n{shared}"),
        catalog: std::fs::read_to_string(root().join("tests/catalog/lake.yaml")).unwrap(),
    }
}

/// What the front end reported on one project, rendered both ways.
struct Reported {
    human: String,
    json: Vec<JsonDiagnostic>,
}

/// Runs the whole front end on one `.kpi` text (and optionally other project texts) and
/// renders what it reports.
fn front_end(kpi: &str, yaml: &str, catalog: &str) -> usize {
    front_end_files(kpi, yaml, &[("catalog/lake.yaml", catalog)])
        .human
        .len()
}

fn front_end_files(kpi: &str, yaml: &str, catalogs: &[(&str, &str)]) -> Reported {
    let mut sources = Sources::new();
    let project_file = sources.add("kpi.yaml", yaml);
    let catalog_files: Vec<FileId> = catalogs
        .iter()
        .map(|(name, text)| sources.add(*name, *text))
        .collect();
    let kpi_file = sources.add("input.kpi", kpi);
    let (project, mut diagnostics) = kpi_compiler::project::parse_project(&sources, project_file);
    let checked =
        kpi_compiler::check_project(&sources, project.as_ref(), &catalog_files, &[kpi_file]);
    let clean = !checked.has_errors() && !diagnostics.iter().any(|d| d.is_error());
    diagnostics.extend(checked.diagnostics);
    // A project that checks clean goes on through SQL, the state machine and SAM.
    if let (true, Some(project), Some(program)) = (clean, &project, &checked.program) {
        let (artifacts, built) =
            kpi_compiler::build::build(&sources, project, &checked.catalog, program);
        assert!(artifacts.files.contains_key("statemachine.asl.json"));
        assert!(artifacts.files.contains_key("template.yaml"));
        diagnostics.extend(built);
    }
    let human = render_human(&diagnostics, &sources, RenderOptions::default());
    let json = render_json(&diagnostics, &sources);
    assert_eq!(json.len(), diagnostics.len());
    Reported { human, json }
}

/// The one error reported: its rendering names `file:line:column` as JSON does, and no line
/// of the rendering is long (the excerpt is cut around the label).
fn assert_rendered_at(reported: &Reported, file: &str, line: usize, column: usize, label: &str) {
    let errors: Vec<&JsonDiagnostic> = reported
        .json
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    assert_eq!(errors.len(), 1, "{}", reported.human);
    let e = errors[0];
    assert_eq!(
        (e.file.as_deref(), e.line, e.column),
        (Some(file), Some(line), Some(column))
    );
    let place = format!("[{file}:{line}:{column}]");
    assert!(
        reported.human.contains(&place),
        "{place} in {}",
        reported.human
    );
    assert!(reported.human.contains(label), "{}", reported.human);
    let longest = reported.human.lines().map(|l| l.chars().count()).max();
    assert!(longest < Some(400), "{longest:?} characters on one line");
}

#[test]
fn errors_past_column_65535_render_with_their_place_and_a_bounded_excerpt() {
    let f = fixture();
    let list = vec!["'post'"; 20_000].join(", ");
    let kpi = format!(
        "kpi x {{\n  from events e\n  where e.kind in ({list}) and e.knd = 'b'\n  measure n = count(*)\n}}\n"
    );
    let column = kpi.lines().nth(2).unwrap().find("knd").unwrap() + 1;
    assert!(column > 100_000);
    let reported = front_end_files(&kpi, &f.yaml, &[("catalog/lake.yaml", &f.catalog)]);
    assert_rendered_at(
        &reported,
        "input.kpi",
        3,
        column,
        "`e` has no column of this name",
    );

    // A Glue snapshot saved on one line, with a long description and a bad type at its end.
    let pipelines = root().join("pipelines");
    let read = |path: &str| std::fs::read_to_string(pipelines.join(path)).unwrap();
    let glue = read("catalog/master.json");
    let mut glue: serde_json::Value = serde_json::from_str(&glue).unwrap();
    glue["TableList"][0]["Description"] = "x".repeat(70_000).into();
    let last = glue["TableList"].as_array().unwrap().len() - 1;
    glue["TableList"][last]["StorageDescriptor"]["Columns"][0]["Type"] = "bgint".into();
    let one_line = serde_json::to_string(&glue).unwrap();
    let column = one_line.find("\"bgint\"").unwrap() + 2;
    assert!(column > 70_000);
    let catalogs = [
        ("catalog/app_logs.json", read("catalog/app_logs.json")),
        ("catalog/master.json", one_line),
    ];
    let catalogs: Vec<(&str, &str)> = catalogs.iter().map(|(n, t)| (*n, t.as_str())).collect();
    let reported = front_end_files("", &read("kpi.yaml"), &catalogs);
    assert_rendered_at(
        &reported,
        "catalog/master.json",
        1,
        column,
        "unknown type `bgint`",
    );
}

fn corpus_files() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut pending = vec![
        root().join("tests/cases"),
        root().join("tests/errors"),
        root().join("pipelines"),
    ];
    while let Some(dir) = pending.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                if !p.ends_with("snapshots") {
                    pending.push(p);
                }
            } else if p.extension().is_some_and(|e| e == "kpi") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn prefixes(text: &str) -> impl Iterator<Item = &str> {
    text.char_indices().map(|(i, _)| &text[..i]).chain([text])
}

#[test]
fn every_prefix_of_every_corpus_file() {
    let f = fixture();
    let files = corpus_files();
    assert!(files.len() >= 40);
    let mut runs = 0;
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        for prefix in prefixes(&text) {
            front_end(prefix, &f.yaml, &f.catalog);
            runs += 1;
        }
    }
    assert!(runs > 10_000, "{runs}");
}

#[test]
fn every_prefix_of_the_project_and_catalog_files() {
    let f = fixture();
    let kpi = std::fs::read_to_string(root().join("pipelines/activity.kpi")).unwrap();
    for prefix in prefixes(&f.yaml) {
        front_end(&kpi, prefix, &f.catalog);
    }
    for prefix in prefixes(&f.catalog).step_by(3) {
        front_end(&kpi, &f.yaml, prefix);
    }
    let pipelines = root().join("pipelines");
    let read = |path: &str| std::fs::read_to_string(pipelines.join(path)).unwrap();
    let glue = read("catalog/master.json");
    for prefix in prefixes(&glue).step_by(7) {
        front_end(&kpi, &f.yaml, prefix);
    }
}

#[test]
fn random_bytes_and_token_soup() {
    let f = fixture();
    let mut rng = rand::rngs::SmallRng::seed_from_u64(0x6b7069);
    let tokens = [
        "kpi ",
        "x ",
        "{",
        "}",
        "from ",
        "events ",
        "e ",
        "join ",
        "left ",
        "on ",
        "where ",
        "group by ",
        "measure ",
        "check ",
        "= ",
        "count(",
        "distinct ",
        "*",
        ")",
        "(",
        ",",
        ".",
        "e.kind ",
        "'a'",
        "'",
        "day ",
        "- ",
        "+ ",
        "over ",
        "30 ",
        "days ",
        "ending ",
        "and ",
        "or ",
        "not ",
        "in ",
        "is ",
        "null ",
        "between ",
        "case ",
        "when ",
        "then ",
        "else ",
        "end ",
        "///",
        "//",
        "\n",
        "`",
        "[",
        "]",
        "date '2024-02-30'",
        "99999999999999999999999 ",
        "é",
        "\u{0}",
        "/",
        "%",
        "||",
    ];
    assert_eq!(
        front_end("", &f.yaml, &f.catalog),
        0,
        "an empty file is a valid, empty project"
    );
    for _ in 0..3000 {
        let len = rng.random_range(0..200);
        let bytes: Vec<u8> = (0..len).map(|_| rng.random()).collect();
        front_end(&String::from_utf8_lossy(&bytes), &f.yaml, &f.catalog);
        let soup: String = (0..rng.random_range(0..80))
            .map(|_| tokens[rng.random_range(0..tokens.len())])
            .collect();
        front_end(&soup, &f.yaml, &f.catalog);
    }
    for _ in 0..500 {
        let bytes: Vec<u8> = (0..rng.random_range(0..300))
            .map(|_| rng.random())
            .collect();
        let junk = String::from_utf8_lossy(&bytes);
        front_end("", &junk, &f.catalog);
        front_end("", &f.yaml, &junk);
    }
}

#[test]
fn pathological_nesting_is_an_error_not_a_crash() {
    let f = fixture();
    let n = 100_000;
    // (input, whether it must be rejected): long flat sequences are fine, deep nesting is not.
    let cases = [
        (
            format!(
                "kpi x {{ from events e where {}true{} measure n = count(*) }}",
                "(".repeat(n),
                ")".repeat(n)
            ),
            true,
        ),
        ("(".repeat(n), true),
        (
            format!(
                "kpi x {{ from events e where {}true measure n = count(*) }}",
                "not ".repeat(n)
            ),
            false,
        ),
        (
            format!(
                "kpi x {{ from events e measure n = {}count(*) }}",
                "-".repeat(n)
            ),
            false,
        ),
        (
            format!(
                "kpi x {{ from events e measure n = count(*){} }}",
                " + 1".repeat(n)
            ),
            true,
        ),
        (
            format!(
                "kpi x {{ from events e where {}true{} measure n = count(*) }}",
                "case when true then ".repeat(n),
                " end".repeat(n)
            ),
            true,
        ),
        (
            format!(
                "kpi x {{ from events e where e.attributes{} = 'a' measure n = count(*) }}",
                "['k']".repeat(n)
            ),
            true,
        ),
        ("{".repeat(n), true),
        ("kpi x { ".repeat(n), true),
        ("/// doc\n".repeat(n), true),
    ];
    for (text, rejected) in cases {
        let mut sources = Sources::new();
        let id = sources.add("deep.kpi", text.as_str());
        let (_, errors) = kpi_compiler::syntax::parse(&sources, id);
        assert_eq!(!errors.is_empty(), rejected, "{}", &text[..40]);
        front_end(&text, &f.yaml, &f.catalog);
    }
}
