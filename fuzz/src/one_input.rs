//! One fuzz input (bytes) → a project (kpi.yaml, catalog snapshots, one `.kpi` file) → the
//! whole compiler: parse, check, both renderers and, when the project checks clean, the build
//! (SQL, state machine, SAM template, manifest). Shared by the cargo-fuzz target and the
//! bounded property test of `tests/robust.rs`, which includes this file by path.
//!
//! The first byte picks a shape; the following bytes fill it in. Besides raw text in each
//! file, the shapes grow long lines from a few bytes (identifiers, strings, `+` chains,
//! `in (…)` lists, token soup, a one-line Glue snapshot) up to several MiB, since the
//! renderer's panics came from lines over 64 KiB.

#![allow(dead_code)]

use kpi_compiler::diagnostic::{RenderOptions, render_human, render_json};
use kpi_compiler::span::{FileId, Sources};

const PROJECT: &str = include_str!("../../pipelines/kpi.yaml");
const APP_LOGS: &str = include_str!("../../pipelines/catalog/app_logs.json");
const MASTER: &str = include_str!("../../pipelines/catalog/master.json");
const KPI_FILES: [&str; 4] = [
    include_str!("../../pipelines/activity.kpi"),
    include_str!("../../pipelines/cohorts.kpi"),
    include_str!("../../pipelines/conversations.kpi"),
    include_str!("../../pipelines/engagement.kpi"),
];
/// Longest line a shape grows: past 1 MiB, well past miette's 65,535 columns.
pub const MAX_LONG: usize = 3 << 20;

/// The texts of one project.
#[derive(Clone, Debug)]
pub struct Project {
    pub yaml: String,
    /// `(name, text)`, as `catalog/…` files.
    pub catalogs: Vec<(String, String)>,
    pub kpi: String,
}

/// What the compiler made of a project.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// The code of every error, checks and build limits alike.
    pub errors: Vec<&'static str>,
    pub warnings: usize,
    /// Artifact files written, when the project checked clean and was built.
    pub built: Option<usize>,
}

impl Project {
    /// The pipelines project with `kpi` as its only `.kpi` file.
    pub fn with_kpi(kpi: String) -> Project {
        Project {
            yaml: PROJECT.to_string(),
            catalogs: vec![
                ("catalog/app_logs.json".into(), APP_LOGS.to_string()),
                ("catalog/master.json".into(), MASTER.to_string()),
            ],
            kpi,
        }
    }
}

/// Reads sizes and choices from the fuzz bytes; past their end, zeros.
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn byte(&mut self) -> u8 {
        let Some((&b, rest)) = self.0.split_first() else {
            return 0;
        };
        self.0 = rest;
        b
    }

    /// A size in `0..max`, from three bytes: small inputs reach megabytes.
    fn size(&mut self, max: usize) -> usize {
        let n = u32::from_le_bytes([self.byte(), self.byte(), self.byte(), 0]) as usize;
        n * max.max(1) / (1 << 24)
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(self.0).into_owned()
    }
}

/// Fuzz bytes → a project, long lines up to [`MAX_LONG`].
pub fn project(data: &[u8]) -> Project {
    project_sized(data, MAX_LONG)
}

/// Fuzz bytes → a project, long lines up to `max_long` bytes.
pub fn project_sized(data: &[u8], max_long: usize) -> Project {
    let mut b = Bytes(data);
    match b.byte() % 10 {
        0 => Project::with_kpi(b.text()),
        1 => Project {
            yaml: b.text(),
            ..Project::with_kpi(KPI_FILES[0].into())
        },
        2 => {
            let mut p = Project::with_kpi(KPI_FILES[0].into());
            p.catalogs[0].1 = b.text();
            p
        }
        3 => {
            let base = KPI_FILES[usize::from(b.byte()) % KPI_FILES.len()];
            let at = floor_boundary(base, b.size(base.len() + 1));
            Project::with_kpi(format!("{}{}{}", &base[..at], b.text(), &base[at..]))
        }
        4 => {
            let role = b.byte();
            let len = b.size(max_long);
            long_identifier(role, len, &b.text())
        }
        5 => long_string(b.size(max_long)),
        6 => long_plus_chain(b.size(max_long / 4)),
        7 => long_in_list(b.size(max_long / 7), b.byte() % 2 == 0),
        8 => {
            let description = b.size(max_long);
            one_line_catalog(description, b.size(max_long / 30))
        }
        _ => token_soup_line(b.size(max_long), data),
    }
}

fn floor_boundary(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// A name of `len` characters (drawn from `alphabet`, `_` by default) in one of five places:
/// a column, a backquoted column, an alias, a measure, a KPI.
pub fn long_identifier(role: u8, len: usize, alphabet: &str) -> Project {
    let chars: Vec<char> = alphabet
        .chars()
        .filter(|c| *c != '`' && *c != '\n')
        .collect();
    let name: String = if chars.is_empty() {
        "x".repeat(len.max(1))
    } else {
        chars.iter().cycle().take(len.max(1)).collect()
    };
    let kpi = match role % 5 {
        0 => format!(
            "kpi k {{\n  from events e\n  where e.{name} = 'x'\n  measure n = count(*)\n}}\n"
        ),
        1 => format!(
            "kpi k {{\n  from events e\n  where e.`{name}` = 'x'\n  measure n = count(*)\n}}\n"
        ),
        2 => format!(
            "kpi k {{\n  from events {name}\n  measure n = count(distinct {name}.member_id)\n}}\n"
        ),
        3 => format!("kpi k {{\n  from events e\n  measure {name} = count(*)\n}}\n"),
        _ => format!("kpi {name} {{\n  from events e\n  measure n = count(*)\n}}\n"),
    };
    Project::with_kpi(kpi)
}

/// A valid KPI comparing with a string literal of `len` characters.
pub fn long_string(len: usize) -> Project {
    let text = "ab'".repeat(len / 3 + 1);
    let literal = text.replace('\'', "''");
    Project::with_kpi(format!(
        "kpi k {{\n  from events e\n  where e.kind = '{literal}'\n  measure n = count(*)\n}}\n"
    ))
}

/// `count(*) + 1 + 1 …` with `terms` terms, on one line (past 256 terms: too deep, E0002).
pub fn long_plus_chain(terms: usize) -> Project {
    let chain = " + 1".repeat(terms);
    Project::with_kpi(format!(
        "kpi k {{\n  from events e\n  measure n = count(*){chain}\n}}\n"
    ))
}

/// `e.kind in ('k0', 'k1', …)` with `items` items on one line; with `typed_wrong`, the last one
/// is a number (E0306 at the end of the line).
pub fn long_in_list(items: usize, typed_wrong: bool) -> Project {
    let mut list: Vec<String> = (0..items.max(1)).map(|i| format!("'k{i}'")).collect();
    if typed_wrong && let Some(last) = list.last_mut() {
        *last = "1".into();
    }
    Project::with_kpi(format!(
        "kpi k {{\n  from events e\n  where e.kind in ({})\n  measure n = count(*)\n}}\n",
        list.join(", ")
    ))
}

/// The Glue snapshot of app_logs on one line, with a description of `description` characters
/// and `extra_columns` more columns, read by the pipelines KPIs of activity.kpi.
pub fn one_line_catalog(description: usize, extra_columns: usize) -> Project {
    let mut glue: serde_json::Value = serde_json::from_str(APP_LOGS).unwrap_or_default();
    if let Some(table) = glue.pointer_mut("/TableList/0") {
        table["Description"] = "d".repeat(description).into();
        if let Some(columns) = table
            .pointer_mut("/StorageDescriptor/Columns")
            .and_then(|c| c.as_array_mut())
        {
            columns.extend(
                (0..extra_columns)
                    .map(|i| serde_json::json!({"Name": format!("extra_{i}"), "Type": "string"})),
            );
        }
    }
    let mut p = Project::with_kpi(KPI_FILES[0].into());
    p.catalogs[0].1 = serde_json::to_string(&glue).unwrap_or_default();
    p
}

/// One line of `len` bytes of tokens chosen by the fuzz bytes, inside a KPI.
pub fn token_soup_line(len: usize, seed: &[u8]) -> Project {
    const TOKENS: [&str; 24] = [
        "e.kind ",
        "= ",
        "'a' ",
        "and ",
        "or ",
        "not ",
        "(",
        ") ",
        "count(*) ",
        "+ ",
        "1 ",
        "in ",
        ", ",
        "between ",
        "case ",
        "when ",
        "then ",
        "end ",
        "`x` ",
        "e.context.tags[1] ",
        "is null ",
        "like ",
        "date '2024-01-01' ",
        "day - 1 ",
    ];
    let mut line = String::with_capacity(len + 32);
    let mut i = 0usize;
    while line.len() < len {
        let pick = seed.get(i % seed.len().max(1)).copied().unwrap_or(0) as usize + i / 7;
        line.push_str(TOKENS[pick % TOKENS.len()]);
        i += 1;
    }
    Project::with_kpi(format!(
        "kpi k {{\n  from events e\n  where {line}\n  measure n = count(*)\n}}\n"
    ))
}

/// Runs the whole compiler on a project; panics only if the compiler does.
pub fn run(p: &Project) -> Outcome {
    let mut sources = Sources::new();
    let yaml = sources.add("kpi.yaml", p.yaml.as_str());
    let catalogs: Vec<FileId> = p
        .catalogs
        .iter()
        .map(|(name, text)| sources.add(name.as_str(), text.as_str()))
        .collect();
    let kpi = sources.add("input.kpi", p.kpi.as_str());
    let (project, mut diagnostics) = kpi_compiler::project::parse_project(&sources, yaml);
    let checked = kpi_compiler::check_project(&sources, project.as_ref(), &catalogs, &[kpi]);
    let clean = !checked.has_errors() && !diagnostics.iter().any(|d| d.is_error());
    diagnostics.extend(checked.diagnostics);
    let mut built = None;
    if let (true, Some(project), Some(program)) = (clean, &project, &checked.program) {
        let (artifacts, build_diagnostics) =
            kpi_compiler::build::build(&sources, project, &checked.catalog, program);
        diagnostics.extend(build_diagnostics);
        built = Some(artifacts.files.len());
    }
    let human = render_human(&diagnostics, &sources, RenderOptions::default());
    let json = render_json(&diagnostics, &sources);
    assert_eq!(json.len(), diagnostics.len());
    assert_eq!(human.is_empty(), diagnostics.is_empty());
    let errors: Vec<&'static str> = diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.code.0)
        .collect();
    Outcome {
        warnings: diagnostics.len() - errors.len(),
        errors,
        built,
    }
}
