//! One KPI → its statements: create the output and attempts tables, write the day to a fresh
//! attempt prefix, check it, then point the day's partition at it.

use super::dialect::{Athena, Dialect, DuckDb, hive_ddl_type};
use super::expr::ExprWriter;
use super::params::{ATTEMPT, DAY, LAKE, SqlText};
use crate::ir::{Check, JoinUse, RelationTarget, TExpr, Window};
use crate::lower::{KpiPlan, Migration, Plan};
use crate::syntax::ast::JoinKind;
use minijinja::{Environment, UndefinedBehavior, Value};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Clone, Debug, Serialize)]
pub struct SqlBundle {
    pub kpis: Vec<KpiSql>,
}

#[derive(Clone, Debug, Serialize)]
pub struct KpiSql {
    pub kpi: String,
    pub statements: Vec<Statement>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StatementRole {
    /// Creates a table if it does not exist (Athena DDL).
    Setup,
    /// Writes the day's rows to the attempt's fresh prefix.
    Write,
    /// Fails when a check does not hold on the attempt's rows.
    Check,
    /// Points the day's partition at the attempt (Athena DDL).
    Publish,
}

/// What the local runtime does for a statement.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LocalAction {
    Sql {
        sql: SqlText,
    },
    /// Nothing to do locally: the local catalog has no table definitions.
    CreateTable,
    /// Records in the local catalog that the day's partition is the attempt's directory.
    SwitchPartition,
}

#[derive(Clone, Debug, Serialize)]
pub struct Statement {
    /// File stem and Task name part: `01_create_table`, `03_write`…
    pub name: String,
    pub role: StatementRole,
    /// Athena counts DDL against its own, smaller quota.
    pub ddl: bool,
    pub athena: SqlText,
    pub local: LocalAction,
}

pub fn emit_sql(plan: &Plan) -> SqlBundle {
    let env = environment();
    SqlBundle {
        kpis: plan.kpis.iter().map(|k| kpi_sql(plan, k, &env)).collect(),
    }
}

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    env.set_keep_trailing_newline(true);
    for (name, text) in [
        (
            "create_table",
            include_str!("templates/create_table.sql.j2"),
        ),
        ("write", include_str!("templates/write.sql.j2")),
        ("check", include_str!("templates/check.sql.j2")),
        (
            "add_partition",
            include_str!("templates/add_partition.sql.j2"),
        ),
        (
            "set_location",
            include_str!("templates/set_location.sql.j2"),
        ),
    ] {
        // The templates are part of the binary; a broken one fails every build test.
        let _ = env.add_template(name, text);
    }
    env.add_filter("ident", |s: String| Athena.quote_ident(&s));
    env.add_filter("hive_ident", |s: String| hive_ident(&s));
    env.add_filter("hive_string", |s: String| hive_string(&s));
    env
}

fn render(env: &Environment<'_>, name: &str, ctx: Value) -> String {
    env.get_template(name)
        .and_then(|t| t.render(ctx))
        .unwrap_or_else(|e| format!("-- internal error rendering {name}: {e}\n"))
}

fn hive_ident(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// Hive string literal: backslash escapes, as Athena's DDL parser reads them.
fn hive_string(text: &str) -> String {
    let mut out = String::from("'");
    for c in text.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// `s3://bucket/prefix/` → `{lake}/bucket/prefix/`.
fn local_path(s3: &str) -> String {
    format!("{LAKE}/{}", s3.trim_start_matches("s3://"))
}

fn kpi_sql(plan: &Plan, kpi: &KpiPlan, env: &Environment<'_>) -> KpiSql {
    let db = &plan.settings.database;
    let table = format!("{}.{}", hive_ident(db), hive_ident(&kpi.name));
    let attempts_table = format!(
        "{}.{}",
        hive_ident(db),
        hive_ident(&format!("{}__attempts", kpi.name))
    );
    let columns: Vec<Value> = kpi
        .columns
        .iter()
        .map(|c| {
            Value::from_serialize(BTreeMap::from([
                ("name", Some(c.name.clone())),
                ("type", Some(hive_ddl_type(&c.ty))),
                ("doc", c.doc.clone()),
            ]))
        })
        .collect();
    let ddl = |table: &str, location: &str, partitions: &[&str], doc: Option<&String>| {
        render(
            env,
            "create_table",
            minijinja::context! { table, columns => columns.clone(), doc, partitions, location, fingerprint => kpi.fingerprint },
        )
    };
    let attempt_dir = format!("{}dt={DAY}/attempt={ATTEMPT}/", kpi.attempts_location);
    let mut statements = Vec::new();
    if let Migration::AddColumns(added) = &kpi.migration {
        // The snapshot's table has fewer columns: append the new ones to both tables.
        let list: Vec<String> = added
            .iter()
            .map(|c| match &c.doc {
                Some(doc) => format!(
                    "{} {} COMMENT {}",
                    hive_ident(&c.name),
                    hive_ddl_type(&c.ty),
                    hive_string(doc)
                ),
                None => format!("{} {}", hive_ident(&c.name), hive_ddl_type(&c.ty)),
            })
            .collect();
        for (name, t) in [
            ("00_add_columns", &table),
            ("00_add_columns_attempts", &attempts_table),
        ] {
            statements.push(Statement {
                name: name.into(),
                role: StatementRole::Setup,
                ddl: true,
                athena: SqlText::from_marked(&format!(
                    "-- generated by kpi — do not edit\nALTER TABLE {t} ADD COLUMNS ({})\n",
                    list.join(", ")
                )),
                local: LocalAction::CreateTable,
            });
        }
    }
    statements.extend([
        Statement {
            name: "01_create_table".into(),
            role: StatementRole::Setup,
            ddl: true,
            athena: SqlText::from_marked(&ddl(&table, &kpi.location, &["dt"], kpi.doc.as_ref())),
            local: LocalAction::CreateTable,
        },
        Statement {
            name: "02_create_attempts_table".into(),
            role: StatementRole::Setup,
            ddl: true,
            athena: SqlText::from_marked(&ddl(
                &attempts_table,
                &kpi.attempts_location,
                &["dt", "attempt"],
                None,
            )),
            local: LocalAction::CreateTable,
        },
        Statement {
            name: "03_write".into(),
            role: StatementRole::Write,
            ddl: false,
            athena: SqlText::from_marked(&write(
                plan,
                kpi,
                env,
                &Athena,
                &format!(
                    "INSERT INTO {}",
                    Athena.quote_ident(db)
                        + "."
                        + &Athena.quote_ident(&format!("{}__attempts", kpi.name))
                ),
                "",
                true,
            )),
            local: LocalAction::Sql {
                sql: SqlText::from_marked(&write(
                    plan,
                    kpi,
                    env,
                    &DuckDb,
                    "COPY (",
                    &format!(
                        ") TO '{}data.parquet' (FORMAT parquet, COMPRESSION snappy)",
                        local_path(&attempt_dir)
                    ),
                    false,
                )),
            },
        },
    ]);
    if !kpi.definition.checks.is_empty() {
        let athena_source = format!(
            "(SELECT * FROM {}.{} WHERE \"dt\" = '{DAY}' AND \"attempt\" = '{ATTEMPT}')",
            Athena.quote_ident(db),
            Athena.quote_ident(&format!("{}__attempts", kpi.name))
        );
        let local_source = format!("read_parquet('{}*.parquet')", local_path(&attempt_dir));
        statements.push(Statement {
            name: "04_check".into(),
            role: StatementRole::Check,
            ddl: false,
            athena: SqlText::from_marked(&checks(kpi, env, &Athena, &athena_source)),
            local: LocalAction::Sql {
                sql: SqlText::from_marked(&checks(kpi, env, &DuckDb, &local_source)),
            },
        });
    }
    let location = format!("'{}'", attempt_dir.replace('\'', "\\'"));
    let day_literal = format!("'{DAY}'");
    statements.push(Statement {
        name: "05_add_partition".into(),
        role: StatementRole::Publish,
        ddl: true,
        athena: SqlText::from_marked(&render(
            env,
            "add_partition",
            minijinja::context! { table, day_literal, location },
        )),
        local: LocalAction::SwitchPartition,
    });
    statements.push(Statement {
        name: "06_set_location".into(),
        role: StatementRole::Publish,
        ddl: true,
        athena: SqlText::from_marked(&render(
            env,
            "set_location",
            minijinja::context! { table, day_literal, location },
        )),
        local: LocalAction::SwitchPartition,
    });
    KpiSql {
        kpi: kpi.name.clone(),
        statements,
    }
}

/// The relation as a subquery reading only the days it needs.
fn relation_sql(plan: &Plan, target: &RelationTarget, window: Window, d: &dyn Dialect) -> String {
    let (database, table, partition) = match target {
        RelationTarget::Source(name) => match plan.source(name) {
            Some(s) => (s.database.clone(), s.table.clone(), s.partition.clone()),
            None => (String::new(), name.clone(), None),
        },
        RelationTarget::Kpi(name) => (
            plan.settings.database.clone(),
            name.clone(),
            Some("dt".to_string()),
        ),
    };
    let from = format!("{}.{}", d.quote_ident(&database), d.quote_ident(&table));
    let Some(partition) = partition else {
        return format!("(SELECT * FROM {from})");
    };
    let column = d.quote_ident(&partition);
    let day = format!("DATE '{DAY}'");
    let bound = |offset: i64| {
        if offset == 0 {
            format!("'{DAY}'")
        } else {
            d.partition_text(&d.add_days(&day, &offset.to_string()))
        }
    };
    let newest = -i64::from(window.ends_before);
    let oldest = newest - i64::from(window.days) + 1;
    let predicate = if window.days <= 1 {
        format!("{column} = {}", bound(newest))
    } else {
        format!("{column} BETWEEN {} AND {}", bound(oldest), bound(newest))
    };
    format!("(SELECT * FROM {from} WHERE {predicate})")
}

fn write(
    plan: &Plan,
    kpi: &KpiPlan,
    env: &Environment<'_>,
    d: &dyn Dialect,
    head: &str,
    tail: &str,
    partition_columns: bool,
) -> String {
    let def = &kpi.definition;
    let measures: BTreeMap<String, TExpr> = def
        .measures
        .iter()
        .map(|m| (m.name.clone(), m.expr.clone()))
        .collect();
    let w = ExprWriter {
        dialect: d,
        measures: &measures,
        outputs_are_columns: false,
    };
    let mut columns = Vec::new();
    for dim in &def.dimensions {
        columns.push(BTreeMap::from([
            ("name", dim.name.clone()),
            ("sql", w.output(&dim.expr, &dim.ty)),
        ]));
    }
    for m in &def.measures {
        columns.push(BTreeMap::from([
            ("name", m.name.clone()),
            ("sql", w.output(&m.expr, &m.ty)),
        ]));
    }
    let mut relations = def.relations.iter();
    let from = relations
        .next()
        .map(|r| {
            format!(
                "{} AS {}",
                relation_sql(plan, &r.target, r.window, d),
                d.quote_ident(&r.alias)
            )
        })
        .unwrap_or_default();
    let joins: Vec<BTreeMap<&str, String>> = relations
        .filter_map(|r| {
            let JoinUse { kind, on } = r.join.as_ref()?;
            Some(BTreeMap::from([
                (
                    "kind",
                    if *kind == JoinKind::Left {
                        "LEFT JOIN"
                    } else {
                        "JOIN"
                    }
                    .to_string(),
                ),
                (
                    "relation",
                    format!(
                        "{} AS {}",
                        relation_sql(plan, &r.target, r.window, d),
                        d.quote_ident(&r.alias)
                    ),
                ),
                ("on", w.write(on)),
            ]))
        })
        .collect();
    let group_by: Vec<String> = def
        .dimensions
        .iter()
        .map(|dim| w.write(&dim.expr))
        .collect();
    render(
        env,
        "write",
        minijinja::context! {
            kpi => kpi.name,
            head,
            tail,
            columns,
            day_text => format!("'{DAY}'"),
            attempt_text => format!("'{ATTEMPT}'"),
            partition_columns,
            from,
            joins,
            filter => def.filter.as_ref().map(|f| w.write(f)),
            group_by,
        },
    )
}

fn checks(kpi: &KpiPlan, env: &Environment<'_>, d: &dyn Dialect, attempt: &str) -> String {
    let empty = BTreeMap::new();
    let w = ExprWriter {
        dialect: d,
        measures: &empty,
        outputs_are_columns: true,
    };
    let mut out = Vec::new();
    for (i, check) in kpi.definition.checks.iter().enumerate() {
        let column = format!("check_{}", i + 1);
        let sql = match check {
            // A check holds only where its condition is true: a NULL fails it, as it fails a
            // partition check (write `x is null or …` to let NULLs through).
            Check::Row { condition, .. } => {
                format!("count_if(NOT coalesce({}, FALSE))", w.write(condition))
            }
            Check::Partition { condition, .. } => format!(
                "(CASE WHEN coalesce({}, FALSE) THEN 0 ELSE 1 END)",
                w.write(condition)
            ),
            Check::Unique { columns, .. } => {
                let cols: Vec<String> = columns.iter().map(|c| d.quote_ident(c)).collect();
                format!(
                    "(SELECT count(*) FROM (SELECT 1 AS {} FROM {attempt} AS {} GROUP BY {} HAVING count(*) > 1) AS {})",
                    d.quote_ident("duplicate"),
                    d.quote_ident("u"),
                    cols.join(", "),
                    d.quote_ident("duplicates")
                )
            }
        };
        let label = kpi
            .check_labels
            .get(i)
            .cloned()
            .unwrap_or_else(|| column.clone());
        let what = match check {
            Check::Row { .. } => "rows",
            Check::Partition { .. } => "partition",
            Check::Unique { .. } => "duplicated groups",
        };
        // The day goes into the message as a parameter; the label is the check's own text.
        let label: String = label
            .chars()
            .filter(|c| !c.is_control())
            .collect::<String>()
            .replace('\'', "''");
        let message = format!(
            "'kpi {} day {DAY}: check failed ({label}) on ' || CAST({} AS VARCHAR) || {}",
            kpi.name,
            d.quote_ident(&column),
            d.quote_string(&format!(" {what}"))
        );
        out.push(BTreeMap::from([
            ("column", column),
            ("sql", sql),
            ("fail", d.fail(&message)),
        ]));
    }
    render(
        env,
        "check",
        minijinja::context! { kpi => kpi.name, checks => out, attempt },
    )
}
