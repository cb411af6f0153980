//! Plan + SQL bundle + the state machine's Task states → the build manifest
//! ([`kpi_contract::Manifest`]), the one thing a runtime reads of a build.

use crate::catalog::TableFormat;
use crate::ir;
use crate::lower::Plan;
use crate::sql::SqlBundle;
use crate::types::Type;
use kpi_contract::hive::{Column, Field, HiveType};
use kpi_contract::manifest::{self, Manifest, SourceFormat, SourceKind, TaskBinding};

/// The Hive type a value of `ty` is stored as (an untyped `null` as a string).
pub fn hive_type(ty: &Type) -> HiveType {
    match ty {
        Type::Boolean => HiveType::Boolean,
        Type::TinyInt => HiveType::TinyInt,
        Type::SmallInt => HiveType::SmallInt,
        Type::Int => HiveType::Int,
        Type::BigInt => HiveType::BigInt,
        Type::Float => HiveType::Float,
        Type::Double => HiveType::Double,
        Type::Decimal { precision, scale } => HiveType::Decimal {
            precision: *precision,
            scale: *scale,
        },
        Type::String | Type::Null | Type::Unknown => HiveType::String,
        Type::Varchar { length } => HiveType::Varchar { length: *length },
        Type::Char { length } => HiveType::Char { length: *length },
        Type::Date => HiveType::Date,
        Type::Timestamp => HiveType::Timestamp,
        Type::Binary => HiveType::Binary,
        Type::Array { element } => HiveType::Array {
            element: Box::new(hive_type(element)),
        },
        Type::Map { key, value } => HiveType::Map {
            key: Box::new(hive_type(key)),
            value: Box::new(hive_type(value)),
        },
        Type::Struct { fields } => HiveType::Struct {
            fields: fields
                .iter()
                .map(|f| Field {
                    name: f.name.clone(),
                    ty: hive_type(&f.ty),
                })
                .collect(),
        },
    }
}

fn columns(columns: &[ir::Column]) -> Vec<Column> {
    columns
        .iter()
        .map(|c| Column {
            name: c.name.clone(),
            ty: hive_type(&c.ty),
            doc: c.doc.clone(),
        })
        .collect()
}

/// The ARN a local run gives a child state machine (deploying gives the real one).
pub fn local_arn(project: &str, suffix: &str) -> String {
    format!("arn:aws:states:us-east-1:000000000000:stateMachine:kpi-{project}{suffix}")
}

pub fn manifest(
    plan: &Plan,
    sql: &SqlBundle,
    states: &[TaskBinding],
    machine: &crate::asl::StateMachine,
    top_file: &str,
) -> Manifest {
    let sources = plan
        .sources
        .iter()
        .map(|s| manifest::Source {
            name: s.name.clone(),
            database: s.database.clone(),
            table: s.table.clone(),
            kind: match s.kind {
                ir::SourceKind::Events => SourceKind::Events,
                ir::SourceKind::Snapshot => SourceKind::Snapshot,
                ir::SourceKind::Table => SourceKind::Table,
            },
            partition: s.partition.clone(),
            location: s.location.clone(),
            format: match &s.format {
                TableFormat::Json => SourceFormat::Json,
                TableFormat::Parquet => SourceFormat::Parquet,
                TableFormat::Other(serde) => SourceFormat::Other(serde.clone()),
            },
            columns: columns(&s.columns),
        })
        .collect();
    let kpis = plan
        .kpis
        .iter()
        .map(|k| manifest::Kpi {
            name: k.name.clone(),
            doc: k.doc.clone(),
            fingerprint: k.fingerprint.clone(),
            level: k.level,
            upstream: k.upstream.clone(),
            reads: k.reads.clone(),
            location: k.location.clone(),
            attempts_location: k.attempts_location.clone(),
            columns: columns(&k.columns),
            dimensions: k.dimensions.clone(),
            statements: sql
                .kpis
                .iter()
                .find(|s| s.kpi == k.name)
                .map(|s| s.statements.clone())
                .unwrap_or_default(),
        })
        .collect();
    let settings = &plan.settings;
    let substitutions = [
        ("WorkGroup", settings.workgroup.clone()),
        ("Database", settings.database.clone()),
        (
            "QueryResultsLocation",
            format!("{}_athena_results/", settings.location),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .chain(
        machine
            .children
            .iter()
            .map(|c| (c.substitution(), local_arn(&settings.project, &c.suffix()))),
    )
    .collect();
    let machines = machine
        .children
        .iter()
        .map(|c| manifest::MachineFile {
            suffix: c.suffix(),
            file: c.file(),
            substitution: Some(c.substitution()),
        })
        .chain([manifest::MachineFile {
            suffix: String::new(),
            file: top_file.to_string(),
            substitution: None,
        }])
        .collect();
    Manifest {
        version: manifest::VERSION,
        generated_by: "kpi — do not edit".into(),
        project: plan.settings.clone(),
        sources,
        kpis,
        states: states.to_vec(),
        machines,
        substitutions,
    }
}
