//! One KPI → its statements, in both dialects: create the output and attempts tables (Hive
//! DDL, from templates), write a chunk of days to the attempt's fresh prefixes, and judge each
//! day of the chunk on the attempt's rows. Publishing the passing days is not SQL: the state
//! machine points each day's partition at its attempt through Glue.

use super::ast::{Expr, From, Name, Path, PathPart, Select, Stmt, Table};
use super::dialect::{Athena, DuckDb, hive_ddl_type};
use super::print::{print, print_compact};
use super::{check, write};
use crate::ir::Column;
use crate::lower::{KpiPlan, Migration, Plan};
use kpi_contract::aws::attempts_table;
use kpi_contract::manifest::{LocalAction, Role, Statement};
use kpi_contract::{Param, SqlText};
use minijinja::{Environment, UndefinedBehavior, Value};
use std::collections::BTreeMap;

pub fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    env.set_keep_trailing_newline(true);
    for (name, text) in [
        (
            "create_table",
            include_str!("templates/create_table.sql.j2"),
        ),
        ("add_columns", include_str!("templates/add_columns.sql.j2")),
    ] {
        // The templates are part of the binary; a broken one fails every build test.
        let _ = env.add_template(name, text);
    }
    env.add_filter("hive_ident", |s: String| hive_ident(&s));
    env.add_filter("hive_string", |s: String| hive_string(&s));
    env
}

fn render(env: &Environment<'_>, name: &str, ctx: Value) -> SqlText {
    SqlText::text(
        env.get_template(name)
            .and_then(|t| t.render(ctx))
            .unwrap_or_else(|e| format!("-- internal error rendering {name}: {e}\n")),
    )
}

/// A Hive identifier: backquoted, backquotes doubled.
pub fn hive_ident(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// A Hive string literal, as Athena's DDL parser reads it: backslash escapes, the one place
/// DDL literals (comments, locations) are escaped.
pub fn hive_string(text: &str) -> String {
    let mut out = String::from("'");
    for c in text.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// `s3://bucket/prefix/` → `{lake}/bucket/prefix/` followed by `rest`.
fn local(s3: &str, rest: &[PathPart]) -> Path {
    let mut parts = vec![
        PathPart::Param(Param::Lake),
        PathPart::Text(format!("/{}", s3.trim_start_matches("s3://"))),
    ];
    parts.extend_from_slice(rest);
    Path(parts)
}

fn ddl_columns(columns: &[Column]) -> Vec<Value> {
    columns
        .iter()
        .map(|c| {
            Value::from_serialize(BTreeMap::from([
                ("name", Some(c.name.clone())),
                ("type", Some(hive_ddl_type(&c.ty))),
                ("doc", c.doc.clone()),
            ]))
        })
        .collect()
}

/// A setup statement from its DDL laid out for reading: it runs on one line.
fn setup(name: &str, readable: SqlText, local: LocalAction) -> (Statement, SqlText) {
    let one_line = readable
        .display()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    (
        Statement {
            name: name.into(),
            role: Role::Setup,
            athena: SqlText::text(one_line),
            local,
        },
        readable,
    )
}

/// The rows one attempt wrote for the chunk, as each dialect reads them.
fn attempt_rows(plan: &Plan, kpi: &KpiPlan, athena: bool) -> Select {
    let first = if athena {
        Table::Named {
            name: Name {
                schema: plan.settings.database.clone(),
                table: attempts_table(&kpi.name),
            },
            alias: "kpi_scan".into(),
        }
    } else {
        Table::Files {
            pattern: local(
                &kpi.attempts_location,
                &[
                    PathPart::Text("dt=*/attempt=".into()),
                    PathPart::Param(Param::Attempt),
                    PathPart::Text("/*.parquet".into()),
                ],
            ),
            alias: "kpi_scan".into(),
        }
    };
    let in_chunk = Expr::Between {
        operand: Box::new(Expr::col("kpi_scan", "dt")),
        low: Box::new(Expr::Param(Param::FirstDay)),
        high: Box::new(Expr::Param(Param::LastDay)),
        negated: false,
    };
    let filter = if athena {
        in_chunk.and(Expr::col("kpi_scan", "attempt").eq(Expr::Param(Param::Attempt)))
    } else {
        in_chunk
    };
    Select {
        from: Some(From {
            first,
            joins: Vec::new(),
        }),
        filter: Some(filter),
        ..Select::default()
    }
}

/// Each statement, with its Athena text laid out for reading.
pub fn kpi_statements(
    plan: &Plan,
    kpi: &KpiPlan,
    env: &Environment<'_>,
) -> Vec<(Statement, SqlText)> {
    let db = &plan.settings.database;
    let table = format!("{}.{}", hive_ident(db), hive_ident(&kpi.name));
    let attempts = format!(
        "{}.{}",
        hive_ident(db),
        hive_ident(&attempts_table(&kpi.name))
    );
    let columns = ddl_columns(&kpi.columns);
    let create = |table: &str, location: &str, partitions: &[&str], doc: Option<&String>| {
        render(
            env,
            "create_table",
            minijinja::context! {
                table, columns => columns.clone(), doc, partitions,
                location, fingerprint => kpi.fingerprint
            },
        )
    };
    let mut statements = Vec::new();
    if let Migration::AddColumns(added) = &kpi.migration {
        // The snapshot's table has fewer columns: append the new ones to both tables.
        let added = ddl_columns(added);
        for (name, t) in [
            ("00_add_columns", &table),
            ("00_add_columns_attempts", &attempts),
        ] {
            statements.push(setup(
                name,
                render(
                    env,
                    "add_columns",
                    minijinja::context! { table => t, columns => added.clone() },
                ),
                LocalAction::Nothing,
            ));
        }
    }
    statements.push(setup(
        "01_create_table",
        create(&table, &kpi.location, &["dt"], kpi.doc.as_ref()),
        LocalAction::RegisterTable,
    ));
    statements.push(setup(
        "02_create_attempts_table",
        create(&attempts, &kpi.attempts_location, &["dt", "attempt"], None),
        LocalAction::Nothing,
    ));
    // One line naming the KPI and the statement, so Athena's query history says whose it is;
    // the files add the "do not edit" header.
    let header = |name: &str| format!("-- kpi {}: {name}\n", kpi.name);
    let write_header = header("03_write");
    let athena_write = Stmt::Insert {
        table: Name {
            schema: db.clone(),
            table: attempts_table(&kpi.name),
        },
        query: write::select(plan, kpi, true),
    };
    let duckdb_write = Stmt::CopyPartitioned {
        query: write::select(plan, kpi, true),
        dir: local(&kpi.attempts_location, &[]),
        partition_by: vec!["dt".into(), "attempt".into()],
    };
    statements.push((
        Statement {
            name: "03_write".into(),
            role: Role::Write,
            athena: print_compact(&athena_write, &Athena),
            local: LocalAction::Sql {
                sql: print(&duckdb_write, &DuckDb, &write_header),
            },
        },
        print(&athena_write, &Athena, &write_header),
    ));
    let check_header = header("04_check");
    let athena_check = Stmt::Query(check::select(kpi, attempt_rows(plan, kpi, true)));
    let duckdb_check = Stmt::Query(check::select(kpi, attempt_rows(plan, kpi, false)));
    statements.push((
        Statement {
            name: "04_check".into(),
            role: Role::Check,
            athena: print_compact(&athena_check, &Athena),
            local: LocalAction::Sql {
                sql: print(&duckdb_check, &DuckDb, &check_header),
            },
        },
        print(&athena_check, &Athena, &check_header),
    ));
    statements
}
