//! `kpi.yaml` text → [`Project`], checking every field and reporting every mistake.

use super::errors::{self, is_identifier};
use super::yaml::{Key, Node, Value, parse_yaml};
use super::{Located, Project, SourceDecl, SourceKind};
use crate::diagnostic::Diagnostic;
use crate::diagnostic::did_you_mean;
use crate::span::{FileId, Sources, Span};

const PROJECT_FIELDS: [&str; 4] = ["name", "catalog", "sources", "target"];
const SOURCE_FIELDS: [&str; 3] = ["table", "kind", "partition"];
pub(super) const TARGET_FIELDS: [&str; 9] = [
    "database",
    "location",
    "workgroup",
    "concurrency",
    "crawler",
    "history_start",
    "time_zone",
    "chunk_days",
    "max_backfill_days",
];
pub(super) const TIME_ZONE_AREAS: [&str; 11] = [
    "Africa",
    "America",
    "Antarctica",
    "Arctic",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
    "Etc",
];
pub const MAX_CONCURRENCY: i64 = 100;
/// Days one write computes by default: Athena's limit of partitions per write.
pub const DEFAULT_CHUNK_DAYS: u32 = kpi_contract::limits::MAX_CHUNK_DAYS;
/// The longest span of days one execution accepts by default (a leap year).
pub const DEFAULT_MAX_BACKFILL_DAYS: u32 = 366;
/// The longest span any execution may be given: ten years.
pub const MAX_BACKFILL_DAYS: i64 = 3660;

/// Parses and checks `kpi.yaml`. The project is returned only when the file has no errors,
/// so later stages never see a half-valid project.
pub fn parse_project(sources: &Sources, file: FileId) -> (Option<Project>, Vec<Diagnostic>) {
    let root = match parse_yaml(sources, file) {
        Ok(root) => root,
        Err(e) => return (None, vec![errors::syntax(&e)]),
    };
    let mut p = Checker {
        sources,
        diagnostics: Vec::new(),
        misspelt: Vec::new(),
    };
    let section = "the project file";
    let Some(entries) = p.mapping(&root, section) else {
        return (None, p.diagnostics);
    };
    // Missing top-level fields point at the first key (or the file's start when empty).
    let owner = entries
        .first()
        .map_or(Span::new(file, 0, 0), |(k, _)| k.span);
    p.unknown_fields(entries, section, &PROJECT_FIELDS);
    let name = p
        .required(entries, owner, section, "name")
        .and_then(|(_, n)| p.string(n, "name"))
        .and_then(|n| p.identifier(n, "project name"));
    let catalog = p
        .required(entries, owner, section, "catalog")
        .and_then(|(_, n)| p.catalog(n));
    let decls = p
        .required(entries, owner, section, "sources")
        .and_then(|(_, n)| p.sources(n));
    let target = p
        .required(entries, owner, section, "target")
        .and_then(|(k, n)| p.target(k, n));
    let project = match (name, catalog, decls, target) {
        (Some(name), Some(catalog), Some(sources), Some(target)) if p.diagnostics.is_empty() => {
            Some(Project {
                name: name.value,
                name_span: name.span,
                catalog,
                sources,
                target,
            })
        }
        _ => None,
    };
    (project, p.diagnostics)
}

pub(super) struct Checker<'a> {
    pub(super) sources: &'a Sources,
    pub(super) diagnostics: Vec<Diagnostic>,
    /// `(section, field)` pairs that a misspelt key already stands for: the misspelling was
    /// reported, so the field is not reported missing as well.
    misspelt: Vec<(String, String)>,
}

pub(super) type Entries = [(Key, Node)];

impl Checker<'_> {
    /// A mapping's entries; an empty value (`sources:` with nothing after) counts as empty.
    pub(super) fn mapping<'a>(&mut self, node: &'a Node, field: &str) -> Option<&'a Entries> {
        match &node.value {
            Value::Map(entries) => Some(entries),
            Value::Null => Some(&[]),
            _ => {
                self.diagnostics
                    .push(errors::wrong_shape(node, field, "a mapping"));
                None
            }
        }
    }

    pub(super) fn unknown_fields(&mut self, entries: &Entries, section: &str, known: &[&str]) {
        for (key, _) in entries {
            if !known.contains(&key.name.as_str()) {
                self.diagnostics
                    .push(errors::unknown_field(key, section, known));
                if let Some(meant) = did_you_mean(&key.name, known.iter().copied()) {
                    self.misspelt.push((section.to_string(), meant));
                }
            }
        }
    }

    pub(super) fn required<'a>(
        &mut self,
        entries: &'a Entries,
        owner: Span,
        section: &str,
        field: &str,
    ) -> Option<&'a (Key, Node)> {
        let found = entries.iter().find(|(k, _)| k.name == field);
        if found.is_none() && !self.is_misspelt(section, field) {
            self.diagnostics
                .push(errors::missing_field(owner, section, field));
        }
        found
    }

    fn is_misspelt(&self, section: &str, field: &str) -> bool {
        self.misspelt
            .iter()
            .any(|(s, f)| s == section && f == field)
    }

    pub(super) fn optional<'a>(entries: &'a Entries, field: &str) -> Option<&'a Node> {
        entries
            .iter()
            .find(|(k, _)| k.name == field)
            .map(|(_, n)| n)
    }

    pub(super) fn string(&mut self, node: &Node, field: &str) -> Option<Located<String>> {
        match &node.value {
            Value::String(s) => Some(Located {
                value: s.clone(),
                span: node.span,
            }),
            _ => {
                self.diagnostics
                    .push(errors::wrong_shape(node, field, "a string"));
                None
            }
        }
    }

    pub(super) fn identifier(
        &mut self,
        name: Located<String>,
        what: &str,
    ) -> Option<Located<String>> {
        if is_identifier(&name.value) {
            Some(name)
        } else {
            self.diagnostics
                .push(errors::not_identifier(name.span, what, &name.value));
            None
        }
    }

    fn catalog(&mut self, node: &Node) -> Option<Vec<Located<String>>> {
        let items: Vec<&Node> = match &node.value {
            Value::List(items) => items.iter().collect(),
            _ => vec![node],
        };
        if items.is_empty() {
            let help = "List at least one catalog snapshot file or directory.";
            self.diagnostics.push(errors::invalid_value(
                node.span,
                "catalog",
                "the list is empty",
                help,
            ));
            return None;
        }
        let before = self.diagnostics.len();
        let mut paths = Vec::new();
        for item in items {
            let Some(path) = self.string(item, "catalog") else {
                continue;
            };
            if path.value.trim().is_empty() {
                let help = "Give a path relative to the project directory, such as `catalog/`.";
                self.diagnostics.push(errors::invalid_value(
                    path.span,
                    "catalog",
                    "the path is empty",
                    help,
                ));
                continue;
            }
            paths.push(path);
        }
        (self.diagnostics.len() == before).then_some(paths)
    }

    fn sources(&mut self, node: &Node) -> Option<Vec<SourceDecl>> {
        let entries = self.mapping(node, "sources")?;
        let before = self.diagnostics.len();
        let decls: Vec<SourceDecl> = entries
            .iter()
            .filter_map(|(key, body)| self.source(key, body))
            .collect();
        (self.diagnostics.len() == before).then_some(decls)
    }

    fn source(&mut self, key: &Key, body: &Node) -> Option<SourceDecl> {
        let name_ok = is_identifier(&key.name);
        if !name_ok {
            self.diagnostics
                .push(errors::not_identifier(key.span, "source name", &key.name));
        }
        let section = format!("source `{}`", key.name);
        let entries = self.mapping(body, &section)?;
        self.unknown_fields(entries, &section, &SOURCE_FIELDS);
        let table = self
            .required(entries, key.span, &section, "table")
            .and_then(|(_, n)| self.string(n, "table"))
            .and_then(|t| self.table_name(t));
        let kind = self
            .required(entries, key.span, &section, "kind")
            .and_then(|(_, n)| self.string(n, "kind"))
            .and_then(|k| match SourceKind::from_name(&k.value) {
                Some(kind) => Some(Located {
                    value: kind,
                    span: k.span,
                }),
                None => {
                    self.diagnostics
                        .push(errors::unknown_kind(k.span, &k.value));
                    None
                }
            });
        let partition = match Self::optional(entries, "partition") {
            Some(n) => Some(self.partition(n)?),
            None => None,
        };
        let kind = kind?;
        match (&partition, kind.value.is_partitioned()) {
            (None, true) if !self.is_misspelt(&section, "partition") => self
                .diagnostics
                .push(errors::missing_partition(key.span, &key.name, kind.value)),
            (Some(p), false) => self
                .diagnostics
                .push(errors::partition_not_allowed(p.span, kind.span)),
            _ => {}
        }
        let ((database, table), table_span) = table?;
        if !name_ok {
            return None;
        }
        Some(SourceDecl {
            name: key.name.clone(),
            name_span: key.span,
            database,
            table,
            table_span,
            kind: kind.value,
            kind_span: kind.span,
            partition_span: partition.as_ref().map(|p| p.span),
            partition: partition.map(|p| p.value),
        })
    }

    /// `database.table`, lower-cased as Glue stores names.
    fn table_name(&mut self, name: Located<String>) -> Option<((String, String), Span)> {
        let part_ok = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        };
        match name.value.split_once('.') {
            Some((db, table)) if part_ok(db) && part_ok(table) => Some((
                (db.to_ascii_lowercase(), table.to_ascii_lowercase()),
                name.span,
            )),
            _ => {
                let what = format!("`{}` is not of the form `database.table`", name.value);
                let help = "Write the catalog table as `database.table`, e.g. `app_logs.events`.";
                self.diagnostics
                    .push(errors::invalid_value(name.span, "table", what, help));
                None
            }
        }
    }

    fn partition(&mut self, node: &Node) -> Option<Located<String>> {
        let p = self.string(node, "partition")?;
        let lower = p.value.to_ascii_lowercase();
        if !is_identifier(&lower) {
            self.diagnostics
                .push(errors::not_identifier(p.span, "partition column", &p.value));
            return None;
        }
        Some(Located {
            value: lower,
            span: p.span,
        })
    }
}
