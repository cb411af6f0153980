//! No input makes the front end panic, overflow its stack or hang: every prefix of every
//! corpus file, random bytes, an empty file and pathological nesting go through parse, check
//! and both renderers. Tests run on 2 MiB thread stacks, a quarter of the CLI's main thread.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::root;
use kpi_compiler::diagnostic::{RenderOptions, render_human, render_json};
use kpi_compiler::span::Sources;
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

/// Runs the whole front end on one `.kpi` text (and optionally other project texts) and
/// renders what it reports.
fn front_end(kpi: &str, yaml: &str, catalog: &str) -> usize {
    let mut sources = Sources::new();
    let project_file = sources.add("kpi.yaml", yaml);
    let catalog_file = sources.add("catalog/lake.yaml", catalog);
    let kpi_file = sources.add("input.kpi", kpi);
    let (project, mut diagnostics) = kpi_compiler::project::parse_project(&sources, project_file);
    let checked =
        kpi_compiler::check_project(&sources, project.as_ref(), &[catalog_file], &[kpi_file]);
    diagnostics.extend(checked.diagnostics);
    let human = render_human(&diagnostics, &sources, RenderOptions::default());
    let json = render_json(&diagnostics, &sources);
    assert_eq!(json.len(), diagnostics.len());
    human.len()
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
    let glue = std::fs::read_to_string(root().join("pipelines/catalog/master.json")).unwrap();
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
