//! `kpi.yaml` text → [`Project`], checking every field and reporting every mistake.

use super::date::Date;
use super::errors::{self, is_identifier};
use super::yaml::{Key, Node, Value, parse_yaml};
use super::{Located, Project, SourceDecl, SourceKind, Target};
use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::span::{FileId, Sources, Span};

const PROJECT_FIELDS: [&str; 4] = ["name", "catalog", "sources", "target"];
const SOURCE_FIELDS: [&str; 3] = ["table", "kind", "partition"];
const TARGET_FIELDS: [&str; 7] = [
    "database",
    "location",
    "workgroup",
    "concurrency",
    "crawler",
    "history_start",
    "time_zone",
];
const TIME_ZONE_AREAS: [&str; 11] = [
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

/// Parses and checks `kpi.yaml`. The project is returned only when the file has no errors,
/// so later stages never see a half-valid project.
pub fn parse_project(sources: &Sources, file: FileId) -> (Option<Project>, Vec<Diagnostic>) {
    let root = match parse_yaml(sources, file) {
        Ok(root) => root,
        Err(e) => return (None, vec![errors::syntax(&e)]),
    };
    let mut p = Checker {
        diagnostics: Vec::new(),
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

struct Checker {
    diagnostics: Vec<Diagnostic>,
}

type Entries = [(Key, Node)];

impl Checker {
    /// A mapping's entries; an empty value (`sources:` with nothing after) counts as empty.
    fn mapping<'a>(&mut self, node: &'a Node, field: &str) -> Option<&'a Entries> {
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

    fn unknown_fields(&mut self, entries: &Entries, section: &str, known: &[&str]) {
        for (key, _) in entries {
            if !known.contains(&key.name.as_str()) {
                self.diagnostics
                    .push(errors::unknown_field(key, section, known));
            }
        }
    }

    fn required<'a>(
        &mut self,
        entries: &'a Entries,
        owner: Span,
        section: &str,
        field: &str,
    ) -> Option<&'a (Key, Node)> {
        let found = entries.iter().find(|(k, _)| k.name == field);
        if found.is_none() {
            self.diagnostics
                .push(errors::missing_field(owner, section, field));
        }
        found
    }

    fn optional<'a>(entries: &'a Entries, field: &str) -> Option<&'a Node> {
        entries
            .iter()
            .find(|(k, _)| k.name == field)
            .map(|(_, n)| n)
    }

    fn string(&mut self, node: &Node, field: &str) -> Option<Located<String>> {
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

    fn identifier(&mut self, name: Located<String>, what: &str) -> Option<Located<String>> {
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
            (None, true) => self
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

    fn target(&mut self, key: &Key, node: &Node) -> Option<Target> {
        let section = "`target`";
        let entries = self.mapping(node, "target")?;
        self.unknown_fields(entries, section, &TARGET_FIELDS);
        let field = |p: &mut Self, name: &str| {
            p.required(entries, key.span, section, name)
                .and_then(|(_, n)| p.string(n, name))
        };
        let database = field(self, "database").and_then(|d| self.identifier(d, "target database"));
        let location = field(self, "location").and_then(|l| self.location(l));
        let workgroup = field(self, "workgroup").and_then(|w| self.workgroup(w));
        let concurrency = self
            .required(entries, key.span, section, "concurrency")
            .and_then(|(_, n)| self.concurrency(n));
        let crawler = match Self::optional(entries, "crawler") {
            Some(n) => Some(
                self.string(n, "crawler")
                    .and_then(|c| self.non_empty(c, "crawler"))?,
            ),
            None => None,
        };
        let history_start =
            field(self, "history_start").and_then(|d| match Date::parse(&d.value) {
                Ok(date) => Some(Located {
                    value: date,
                    span: d.span,
                }),
                Err(e) => {
                    let help = "Write a real calendar date as YYYY-MM-DD, e.g. `2024-01-01`.";
                    self.diagnostics.push(errors::invalid_value(
                        d.span,
                        "history_start",
                        format!("invalid date: {e}"),
                        help,
                    ));
                    None
                }
            });
        let time_zone = match Self::optional(entries, "time_zone") {
            Some(n) => Some(
                self.string(n, "time_zone")
                    .and_then(|tz| self.time_zone(tz))?,
            ),
            None => None,
        };
        Some(Target {
            database: database?,
            location: location?,
            workgroup: workgroup?,
            concurrency: concurrency?,
            crawler,
            history_start: history_start?,
            time_zone,
        })
    }

    fn non_empty(&mut self, value: Located<String>, field: &str) -> Option<Located<String>> {
        if value.value.trim().is_empty() {
            let help = format!("Give `{field}` a name.");
            self.diagnostics.push(errors::invalid_value(
                value.span,
                field,
                "this is empty",
                help,
            ));
            return None;
        }
        Some(value)
    }

    fn location(&mut self, l: Located<String>) -> Option<Located<String>> {
        let v = &l.value;
        let problem = if !v.starts_with("s3://") {
            Some("the location must start with `s3://`")
        } else if v.len() <= "s3://".len() || v["s3://".len()..].starts_with('/') {
            Some("the location has no bucket")
        } else if v.chars().any(char::is_whitespace) {
            Some("the location contains whitespace")
        } else if !v.ends_with('/') {
            Some("the location must end with `/`")
        } else {
            None
        };
        match problem {
            None => Some(l),
            Some(what) => {
                let help = "Write an S3 prefix such as `s3://company-lake/kpi/`.";
                self.diagnostics
                    .push(errors::invalid_value(l.span, "location", what, help));
                None
            }
        }
    }

    fn workgroup(&mut self, w: Located<String>) -> Option<Located<String>> {
        let ok = (1..=128).contains(&w.value.len())
            && w.value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
        if ok {
            return Some(w);
        }
        let what = "an Athena workgroup name has 1 to 128 letters, digits, `.`, `_` or `-`";
        let help = "Use the workgroup's name as Athena shows it, e.g. `primary`.";
        self.diagnostics
            .push(errors::invalid_value(w.span, "workgroup", what, help));
        None
    }

    fn concurrency(&mut self, node: &Node) -> Option<Located<u32>> {
        let Value::Int(n) = node.value else {
            self.diagnostics
                .push(errors::wrong_shape(node, "concurrency", "an integer"));
            return None;
        };
        match u32::try_from(n) {
            Ok(v) if (1..=MAX_CONCURRENCY).contains(&n) => Some(Located {
                value: v,
                span: node.span,
            }),
            _ => {
                let what = format!("{n} is outside 1..={MAX_CONCURRENCY}");
                let help = "Choose a number of parallel queries from 1 to 100, below your Athena DML quota.";
                self.diagnostics
                    .push(errors::invalid_value(node.span, "concurrency", what, help));
                None
            }
        }
    }

    fn time_zone(&mut self, tz: Located<String>) -> Option<Located<String>> {
        if tz.value == "UTC" {
            return Some(tz);
        }
        let segment_ok = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+'))
        };
        let mut parts = tz.value.split('/');
        let area = parts.next().unwrap_or("");
        let rest: Vec<&str> = parts.collect();
        if TIME_ZONE_AREAS.contains(&area) && !rest.is_empty() && rest.iter().all(|s| segment_ok(s))
        {
            return Some(tz);
        }
        let help = match did_you_mean(area, TIME_ZONE_AREAS) {
            Some(a) if !rest.is_empty() && a != area => {
                format!("Did you mean `{a}/{}`?", rest.join("/"))
            }
            _ => "Write `UTC` or an IANA time zone name such as `Europe/Paris`.".to_string(),
        };
        let what = format!("`{}` is not an IANA time zone name", tz.value);
        self.diagnostics
            .push(errors::invalid_value(tz.span, "time_zone", what, help));
        None
    }
}
