//! `kpi fmt` changes no meaning: over every .kpi file of the repository and over generated
//! programs, formatting is idempotent, keeps every comment, gives the same AST (spans aside),
//! and for every project the same typed IR and the same KPI fingerprints. Messy inputs are
//! snapshotted formatted.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{corpus, project_from, root};
use kpi_compiler::driver::{self, Options, Overlay};
use kpi_compiler::span::Sources;
use kpi_compiler::syntax;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn format(text: &str) -> Option<String> {
    let mut sources = Sources::new();
    let id = sources.add("t.kpi", text);
    kpi_compiler::format::format(&sources, id).ok()
}

/// The AST as JSON without its spans: what the text means, not where it was written.
fn ast(text: &str) -> serde_json::Value {
    let mut sources = Sources::new();
    let id = sources.add("t.kpi", text);
    let (file, errors) = syntax::parse(&sources, id);
    assert!(errors.is_empty(), "{errors:?} in\n{text}");
    let mut value = serde_json::to_value(&file).unwrap();
    strip_spans(&mut value);
    value
}

fn strip_spans(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            map.remove("span");
            map.values_mut().for_each(strip_spans);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(strip_spans),
        _ => {}
    }
}

/// Every comment's text, sorted: a doc comment as the AST reads it, any other trimmed.
fn comment_texts(text: &str) -> Vec<String> {
    let mut out: Vec<String> = syntax::comments(text)
        .into_iter()
        .map(|c| {
            let written = text[c.start..c.end].trim_end();
            match written.strip_prefix("///").filter(|_| c.doc) {
                Some(body) => format!("///{}", body.strip_prefix(' ').unwrap_or(body)),
                None => written.to_string(),
            }
        })
        .collect();
    out.sort();
    out
}

/// The formatter's promises for one text that parses: returns the formatted text.
fn assert_formats(text: &str, what: &str) -> String {
    let once = format(text).unwrap_or_else(|| panic!("{what} parses but does not format"));
    let twice = format(&once).unwrap_or_else(|| panic!("{what}: the output does not parse"));
    assert_eq!(once, twice, "{what}: formatting is not idempotent");
    assert_eq!(ast(text), ast(&once), "{what}: the AST changed\n{once}");
    assert_eq!(
        comment_texts(text),
        comment_texts(&once),
        "{what}: comments changed\n{once}"
    );
    once
}

fn kpi_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() && name != "target" && !name.starts_with('.') {
            kpi_files(&path, out);
        } else if name.ends_with(".kpi") {
            out.push(path);
        }
    }
}

#[test]
fn every_kpi_file_of_the_repository_formats_without_changing_its_meaning() {
    let mut files = Vec::new();
    for dir in ["pipelines", "tests", "examples", "fuzz"] {
        if root().join(dir).is_dir() {
            kpi_files(&root().join(dir), &mut files);
        }
    }
    let mut formatted = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        if format(&text).is_none() {
            continue; // a syntax error of the error corpus
        }
        assert_formats(&text, &file.display().to_string());
        formatted += 1;
    }
    assert!(formatted >= 40, "only {formatted} corpus files formatted");
}

#[test]
fn the_pipelines_are_already_formatted() {
    let mut files = Vec::new();
    kpi_files(&root().join("pipelines"), &mut files);
    assert!(files.len() >= 4);
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        assert_eq!(
            format(&text).as_deref(),
            Some(text.as_str()),
            "{}",
            file.display()
        );
    }
}

/// Every file of a project laid out in `dir`, by its path inside it.
fn project_files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut pending = vec![PathBuf::new()];
    while let Some(rel) = pending.pop() {
        for entry in std::fs::read_dir(dir.join(&rel)).unwrap() {
            let entry = entry.unwrap();
            let path = rel.join(entry.file_name());
            if entry.path().is_dir() {
                pending.push(path);
            } else {
                let name = path.to_string_lossy().replace('\\', "/");
                out.insert(name, std::fs::read(entry.path()).unwrap());
            }
        }
    }
    out
}

/// The typed IR without spans and each KPI's fingerprint, of a project's files.
fn meaning(files: &BTreeMap<String, Vec<u8>>) -> (serde_json::Value, Vec<(String, String)>) {
    let overlay = files.iter().fold(Overlay::new(), |o, (path, bytes)| {
        o.file(path, bytes.clone())
    });
    let compiled = driver::compile(
        &overlay,
        &Options {
            build: true,
            ..Options::default()
        },
    )
    .expect("the project compiles");
    assert!(!compiled.has_errors(), "{:?}", compiled.diagnostics);
    let mut ir = serde_json::to_value(compiled.program.expect("a program")).unwrap();
    strip_spans(&mut ir);
    let plan = &compiled.artifacts.expect("artifacts").plan;
    let prints = plan
        .kpis
        .iter()
        .map(|k| (k.name.clone(), k.fingerprint.clone()))
        .collect();
    (ir, prints)
}

/// The projects of the repository: the pipelines and every case that checks clean.
fn projects() -> Vec<(String, BTreeMap<String, Vec<u8>>)> {
    let mut out = Vec::new();
    let pipelines = tempfile::tempdir().unwrap();
    common::copy_tree(&root().join("pipelines"), pipelines.path());
    out.push(("pipelines".to_string(), project_files(pipelines.path())));
    for folder in ["tests/cases", "tests/values"] {
        for case in corpus(folder) {
            let dir = project_from(&case);
            out.push((case.display().to_string(), project_files(dir.path())));
        }
    }
    out
}

fn formatted_project(files: &BTreeMap<String, Vec<u8>>) -> BTreeMap<String, Vec<u8>> {
    files
        .iter()
        .map(|(path, bytes)| {
            let bytes = if path.ends_with(".kpi") {
                let text = String::from_utf8(bytes.clone()).unwrap();
                assert_formats(&text, path).into_bytes()
            } else {
                bytes.clone()
            };
            (path.clone(), bytes)
        })
        .collect()
}

#[test]
fn every_project_keeps_its_typed_ir_and_fingerprints() {
    let projects = projects();
    assert!(projects.len() >= 15, "{} projects", projects.len());
    for (name, files) in projects {
        let before = meaning(&files);
        assert!(!before.1.is_empty(), "{name} has no KPI");
        assert_eq!(before, meaning(&formatted_project(&files)), "{name}");
    }
}

/// A project's .kpi files with their layout scrambled: indents, blank lines, comments on
/// their own lines and at line ends, padding around `=`. The meaning is untouched.
fn scramble(text: &str, rng: &mut SmallRng) -> String {
    let mut out = String::new();
    let mut n = 0;
    for line in text.lines() {
        let trimmed = line.trim_start();
        if rng.random_bool(0.15) && !trimmed.starts_with("///") {
            n += 1;
            out += &format!("{}// own line {n}\n", " ".repeat(rng.random_range(0..6)));
        }
        if rng.random_bool(0.1) {
            out.push('\n');
        }
        out += &" ".repeat(rng.random_range(0..7));
        let mut code = trimmed.to_string();
        if code.starts_with("measure ") && rng.random_bool(0.3) {
            code = code.replacen(
                " = ",
                &format!("{}= ", " ".repeat(rng.random_range(1..5))),
                1,
            );
        }
        out += &code;
        let is_comment = trimmed.starts_with("//");
        if !is_comment && !trimmed.is_empty() && rng.random_bool(0.2) {
            n += 1;
            out += &format!(" // at the end {n}");
        }
        out.push('\n');
    }
    out
}

#[test]
fn scrambled_projects_format_back_to_the_same_meaning() {
    let mut rng = SmallRng::seed_from_u64(7);
    for (name, files) in projects() {
        let before = meaning(&files);
        for round in 0..3 {
            let scrambled: BTreeMap<String, Vec<u8>> = files
                .iter()
                .map(|(path, bytes)| {
                    let bytes = if path.ends_with(".kpi") {
                        scramble(std::str::from_utf8(bytes).unwrap(), &mut rng).into_bytes()
                    } else {
                        bytes.clone()
                    };
                    (path.clone(), bytes)
                })
                .collect();
            let formatted = formatted_project(&scrambled);
            assert_eq!(before, meaning(&formatted), "{name}, round {round}");
        }
    }
}

/// A random expression of the grammar, and how loosely it binds (1 `or` … 9 a primary):
/// parenthesised where the grammar needs it, and now and then where it does not.
fn expr(rng: &mut SmallRng, depth: u32) -> String {
    gen_expr(rng, depth).0
}

fn gen_expr(rng: &mut SmallRng, depth: u32) -> (String, u8) {
    if depth == 0 || rng.random_bool(0.3) {
        let leaf = match rng.random_range(0..8) {
            0 => rng.random_range(0..1000).to_string(),
            1 => "1.5".into(),
            2 => "'it''s // not a comment'".into(),
            3 => "date '2024-02-29'".into(),
            4 => "day".into(),
            5 => "NULL".into(),
            6 => "E.Kind".into(),
            _ => "`odd name`.x".into(),
        };
        return (leaf, 9);
    }
    // An operand that must bind at least as tightly as `min`.
    let e = |rng: &mut SmallRng, min: u8| {
        let (text, level) = gen_expr(rng, depth - 1);
        if level < min || rng.random_bool(0.1) {
            format!("({text})")
        } else {
            text
        }
    };
    // Between operands, now and then a comment ends the line.
    let gap = |rng: &mut SmallRng| {
        if rng.random_bool(0.2) {
            format!(" // between {}\n   ", rng.random::<u16>())
        } else {
            " ".into()
        }
    };
    match rng.random_range(0..13) {
        0 => (format!("{}{}or {}", e(rng, 1), gap(rng), e(rng, 2)), 1),
        1 => (format!("{}{}AND {}", e(rng, 2), gap(rng), e(rng, 3)), 2),
        2 => (format!("not {}", e(rng, 4)), 3),
        3 => (format!("{} <= {}", e(rng, 5), e(rng, 5)), 4),
        4 => {
            let (a, g) = (e(rng, 5), gap(rng));
            (format!("{a}{g}- {} * {}", e(rng, 6), e(rng, 7)), 5)
        }
        5 => (format!("-{}", e(rng, 8)), 7),
        6 => (format!("{} is not null", e(rng, 5)), 4),
        7 => (
            format!("{} not in ({}, {})", e(rng, 5), e(rng, 0), e(rng, 0)),
            4,
        ),
        8 => (
            format!("{} between {} and {}", e(rng, 5), e(rng, 5), e(rng, 5)),
            4,
        ),
        9 => (
            format!("count(distinct {} where {})", e(rng, 0), e(rng, 0)),
            9,
        ),
        10 => (
            format!(
                "case when {} then {} else {} end",
                e(rng, 0),
                e(rng, 0),
                e(rng, 0)
            ),
            9,
        ),
        11 => (format!("{}[{}]", e(rng, 8), e(rng, 0)), 8),
        _ => (format!("{} || {} / {}", e(rng, 5), e(rng, 6), e(rng, 7)), 5),
    }
}

/// A random program: every clause kind in a random order, random spacing, comments and doc
/// comments wherever the grammar takes them.
fn program(rng: &mut SmallRng) -> String {
    let mut n = 0;
    let mut sp = |rng: &mut SmallRng| -> String {
        match rng.random_range(0..6) {
            0 => "\n".into(),
            1 => {
                n += 1;
                format!(" // c{n}\n  ")
            }
            2 => "\n\n    ".into(),
            _ => " ".into(),
        }
    };
    let mut out = String::new();
    for k in 0..rng.random_range(1..4) {
        if rng.random_bool(0.5) {
            out += &format!("/// Doc of k{k}.{}", sp(rng).replace("//", "///"));
            out += "\n";
        }
        out += &format!(
            "kpi k{k}{}{{{}from events e over {} days",
            sp(rng),
            sp(rng),
            rng.random_range(1..40)
        );
        let mut clauses = vec![
            format!("join members m on {}", expr(rng, 3)),
            format!("where{}{}", sp(rng), expr(rng, 4)),
            format!("group by {}, d = {}", expr(rng, 2), expr(rng, 2)),
            format!("check {}", expr(rng, 3)),
        ];
        for i in 0..rng.random_range(1..5) {
            let doc = if rng.random_bool(0.4) {
                "/// A measure.\n  "
            } else {
                ""
            };
            let pad = " ".repeat(rng.random_range(1..3));
            clauses.push(format!(
                "{doc}measure m{i}{pad}={}{}",
                sp(rng),
                expr(rng, 4)
            ));
        }
        while !clauses.is_empty() {
            let c = clauses.remove(rng.random_range(0..clauses.len()));
            out += &sp(rng);
            out += &c;
        }
        out += &format!("{}}}\n{}", sp(rng), sp(rng));
    }
    out
}

#[test]
fn generated_programs_format_idempotently_and_keep_their_meaning_and_comments() {
    let mut rng = SmallRng::seed_from_u64(42);
    let mut parsed = 0;
    for i in 0..400 {
        let text = program(&mut rng);
        if format(&text).is_none() {
            continue; // a number too large, a nesting too deep: not formatted
        }
        assert_formats(&text, &format!("program {i}:\n{text}"));
        parsed += 1;
    }
    assert!(
        parsed >= 300,
        "only {parsed} of 400 generated programs parsed"
    );
}

#[test]
fn messy_inputs_format_canonically() {
    for name in ["indentation", "comments", "alignment", "long_lines"] {
        let path = root().join(format!("tests/format/{name}.kpi"));
        let text = std::fs::read_to_string(&path).unwrap();
        let out = assert_formats(&text, name);
        insta::with_settings!({snapshot_path => "format/snapshots", prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!(name, out);
        });
    }
}

/// The case corpus formatted, every file under its path, in one snapshot: a change of the
/// layout shows in review as a diff of this file.
#[test]
fn the_case_corpus_formats_as_snapshotted() {
    let mut files = Vec::new();
    kpi_files(&root().join("tests/cases"), &mut files);
    files.sort();
    assert!(files.len() >= 10, "{} case files", files.len());
    let mut out = String::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let name = file.strip_prefix(root()).unwrap().display().to_string();
        let formatted = assert_formats(&text, &name);
        out.push_str(&format!("==> {name}\n{formatted}\n"));
    }
    insta::with_settings!({snapshot_path => "format/snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("case_corpus", out);
    });
}

#[test]
fn cut_and_damaged_corpus_files_either_fail_to_parse_or_format_with_every_promise_kept() {
    let mut files = Vec::new();
    kpi_files(&root().join("pipelines"), &mut files);
    kpi_files(&root().join("tests/cases"), &mut files);
    let mut rng = SmallRng::seed_from_u64(3);
    let mut formatted = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let boundaries: Vec<usize> = (0..=text.len())
            .filter(|i| text.is_char_boundary(*i))
            .collect();
        for _ in 0..40 {
            let cut = boundaries[rng.random_range(0..boundaries.len())];
            let from = boundaries[rng.random_range(0..boundaries.len())].min(cut);
            // A prefix, and the text with a piece taken out.
            for candidate in [
                text[..cut].to_string(),
                format!("{}{}", &text[..from], &text[cut..]),
            ] {
                if format(&candidate).is_some() {
                    assert_formats(&candidate, &format!("{} damaged", file.display()));
                    formatted += 1;
                }
            }
        }
    }
    assert!(formatted > 50, "only {formatted} damaged files parsed");
}
