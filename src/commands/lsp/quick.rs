//! An edited file + the project as last compiled → the few `.kpi` files its diagnostics
//! depend on (the file and the files defining every KPI it reads, transitively), and a
//! [`FileSource`] showing only those, so the edited file is checked in a few milliseconds on
//! a project of thousands of files. The whole project is compiled after it: errors that need
//! the other files (a KPI name defined twice, errors the edit causes downstream) come then.

use kpi_compiler::driver::{Entry, EntryKind, FileSource, SourceError};
use kpi_compiler::ir::Program;
use kpi_compiler::span::Sources;
use kpi_compiler::syntax;
use std::collections::{BTreeSet, HashMap};

/// The `.kpi` files (named relative to the root) that checking `name`, whose text is now
/// `text`, reads: `name` itself and the files of the KPIs it reads, transitively, as
/// `program` (the last compile) places them. A KPI the program does not know is left out:
/// it is unknown in the whole project too.
pub fn files_read(program: &Program, name: &str, text: &str) -> BTreeSet<String> {
    let by_name: HashMap<&str, &kpi_compiler::ir::Kpi> =
        program.kpis.iter().map(|k| (k.name.as_str(), k)).collect();
    let mut sources = Sources::new();
    let id = sources.add(name, text.to_string());
    let (ast, _) = syntax::parse(&sources, id);
    let mut pending: Vec<String> = ast
        .kpis
        .iter()
        .flat_map(|k| std::iter::once(&k.from).chain(k.joins.iter().map(|j| &j.relation)))
        .map(|r| r.name.name.to_lowercase())
        .collect();
    let mut seen = BTreeSet::new();
    let mut files = BTreeSet::from([name.to_string()]);
    while let Some(kpi) = pending.pop() {
        if !seen.insert(kpi.clone()) {
            continue;
        }
        let Some(found) = by_name.get(kpi.as_str()) else {
            continue;
        };
        files.insert(found.file.clone());
        pending.extend(found.upstream.iter().cloned());
    }
    files
}

/// `base` with every `.kpi` file not in `keep` left out of its listings.
pub struct Only<'a> {
    pub base: &'a dyn FileSource,
    pub keep: &'a BTreeSet<String>,
}

impl FileSource for Only<'_> {
    fn kind(&self, path: &str) -> Result<Option<EntryKind>, SourceError> {
        self.base.kind(path)
    }

    fn list(&self, dir: &str) -> Result<Vec<Entry>, SourceError> {
        let mut entries = self.base.list(dir)?;
        entries.retain(|e| {
            let path = if dir.is_empty() {
                e.name.clone()
            } else {
                format!("{dir}/{}", e.name)
            };
            e.kind == EntryKind::Dir || !e.name.ends_with(".kpi") || self.keep.contains(&path)
        });
        Ok(entries)
    }

    fn read(&self, path: &str) -> Result<Vec<u8>, SourceError> {
        self.base.read(path)
    }
}
