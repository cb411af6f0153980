//! SQL: plan → `SqlBundle`, every KPI's statements in the Athena dialect (Hive DDL, Trino
//! DML) and the DuckDB dialect. Each KPI's backend IR becomes an SQL tree (`write.rs`,
//! `check.rs`, over `ast.rs`), which `print.rs` prints for a [`Dialect`]; the DDL comes from
//! minijinja templates, which hold layout only.

mod ast;
mod check;
mod dialect;
mod expr;
mod print;
mod reduce;
mod statements;
mod write;

pub use dialect::{Athena, Dialect, DuckDb, hive_ddl_type};
pub use statements::{hive_ident, hive_string};

use crate::lower::Plan;
use kpi_contract::SqlText;
use kpi_contract::manifest::Statement;
use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
pub struct SqlBundle {
    pub kpis: Vec<KpiSql>,
}

#[derive(Clone, Debug, Serialize)]
pub struct KpiSql {
    pub kpi: String,
    /// As they run: the Athena text on one line, as the state machine sends it.
    pub statements: Vec<Statement>,
    /// Each statement's Athena text laid out for reading (the `.sql` files), in order.
    pub readable: Vec<SqlText>,
}

pub fn emit_sql(plan: &Plan) -> SqlBundle {
    let env = statements::environment();
    SqlBundle {
        kpis: plan
            .kpis
            .iter()
            .map(|k| {
                let (statements, readable) = statements::kpi_statements(plan, k, &env)
                    .into_iter()
                    .unzip();
                KpiSql {
                    kpi: k.name.clone(),
                    statements,
                    readable,
                }
            })
            .collect(),
    }
}
