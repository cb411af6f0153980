//! Project sources + catalog → [`BoundSource`]s: each source resolved to its catalog table.

use super::errors;
use super::{BoundSource, Project};
use crate::catalog::Catalog;
use crate::diagnostic::{Diagnostic, did_you_mean};

pub fn bind_sources(project: &Project, catalog: &Catalog) -> (Vec<BoundSource>, Vec<Diagnostic>) {
    let mut bound = Vec::new();
    let mut diagnostics = Vec::new();
    for decl in &project.sources {
        let Some(table) = catalog.table(&decl.database, &decl.table) else {
            let name = format!("{}.{}", decl.database, decl.table);
            let all = catalog.table_names();
            let same_db = catalog
                .tables
                .keys()
                .filter(|(db, _)| *db == decl.database)
                .map(|(_, t)| t.as_str());
            let suggestion = did_you_mean(&name, all.iter().map(String::as_str)).or_else(|| {
                did_you_mean(&decl.table, same_db).map(|t| format!("{}.{t}", decl.database))
            });
            diagnostics.push(errors::unknown_table(decl.table_span, &name, suggestion));
            continue;
        };
        if let (Some(partition), Some(span)) = (&decl.partition, decl.partition_span) {
            let is_key = table.partition_keys.iter().any(|k| &k.name == partition);
            if !is_key {
                let keys: Vec<&str> = table
                    .partition_keys
                    .iter()
                    .map(|k| k.name.as_str())
                    .collect();
                let is_column = table.columns.iter().any(|c| &c.name == partition);
                let name = format!("{}.{}", table.database, table.name);
                diagnostics.push(errors::unknown_partition(
                    span, partition, &name, &keys, is_column,
                ));
                continue;
            }
        }
        bound.push(BoundSource {
            name: decl.name.clone(),
            name_span: decl.name_span,
            kind: decl.kind,
            partition: decl.partition.clone(),
            table: table.clone(),
        });
    }
    (bound, diagnostics)
}
