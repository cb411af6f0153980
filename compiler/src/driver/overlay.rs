//! [`Overlay`]: files held in memory, over an optional base [`FileSource`] → one source.

use super::{Entry, EntryKind, FileSource, SourceError, normalize};
use std::collections::BTreeMap;

/// Files held in memory, shown over an optional base source: the editor's unsaved buffers over
/// the disk, or a whole project in a test.
#[derive(Default)]
pub struct Overlay<'a> {
    base: Option<&'a dyn FileSource>,
    files: BTreeMap<String, Vec<u8>>,
}

impl<'a> Overlay<'a> {
    /// Only the files added.
    pub fn new() -> Overlay<'a> {
        Overlay::default()
    }

    /// The files added, over `base`.
    pub fn over(base: &'a dyn FileSource) -> Overlay<'a> {
        Overlay {
            base: Some(base),
            files: BTreeMap::new(),
        }
    }

    /// Adds (or replaces) a file.
    pub fn file(mut self, path: &str, bytes: impl Into<Vec<u8>>) -> Overlay<'a> {
        self.files.insert(normalize("", path), bytes.into());
        self
    }

    /// The names directly under `dir` of the files held in memory, with their kinds.
    fn own_entries(&self, dir: &str) -> BTreeMap<String, EntryKind> {
        let prefix = if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        };
        let mut out = BTreeMap::new();
        for path in self.files.keys() {
            if let Some(rest) = path.strip_prefix(&prefix) {
                match rest.split_once('/') {
                    Some((d, _)) => out.insert(d.to_string(), EntryKind::Dir),
                    None => out.insert(rest.to_string(), EntryKind::File),
                };
            }
        }
        out
    }
}

impl FileSource for Overlay<'_> {
    fn kind(&self, path: &str) -> Result<Option<EntryKind>, SourceError> {
        if self.files.contains_key(path) {
            return Ok(Some(EntryKind::File));
        }
        let below = format!("{path}/");
        if path.is_empty() || self.files.keys().any(|p| p.starts_with(&below)) {
            return Ok(Some(EntryKind::Dir));
        }
        self.base.map_or(Ok(None), |b| b.kind(path))
    }

    fn list(&self, dir: &str) -> Result<Vec<Entry>, SourceError> {
        let mut entries = self.own_entries(dir);
        if let Some(base) = self.base
            && base.kind(dir)? == Some(EntryKind::Dir)
        {
            for e in base.list(dir)? {
                entries.entry(e.name).or_insert(e.kind);
            }
        }
        Ok(entries
            .into_iter()
            .map(|(name, kind)| Entry { name, kind })
            .collect())
    }

    fn read(&self, path: &str) -> Result<Vec<u8>, SourceError> {
        match (self.files.get(path), self.base) {
            (Some(bytes), _) => Ok(bytes.clone()),
            (None, Some(base)) => base.read(path),
            (None, None) => Err(SourceError::Unreadable {
                path: path.to_string(),
                reason: "no such file".into(),
            }),
        }
    }
}
