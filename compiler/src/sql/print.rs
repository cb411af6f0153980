//! SQL tree ([`Stmt`]) → [`SqlText`] in one dialect. The printer is the only place SQL text is
//! made: identifiers and literals go through the dialect's one quoting function each, and
//! run-time values become typed parameters inside string literals the printer opens and
//! closes itself. Every compound expression is parenthesized, so no precedence rule of either
//! dialect can regroup it.

use super::ast::{
    Agg, BinOp, Expr, From, Func, JoinKind, Lit, Name, Path, PathPart, Select, Stmt, Table,
};
use super::dialect::{Dialect, Piece, Shape};
use kpi_contract::{Param, SqlText};

/// The statement's text, after `header` (comment lines, each ending with a newline).
pub fn print(stmt: &Stmt, dialect: &dyn Dialect, header: &str) -> SqlText {
    let mut p = Printer {
        d: dialect,
        out: SqlText::text(header),
        compact: false,
    };
    p.stmt(stmt);
    p.text("\n");
    p.out
}

/// The same statement on one line, without indentation: the text the state machine sends,
/// which travels in its definition (bounded to 1 MB by Step Functions).
pub fn print_compact(stmt: &Stmt, dialect: &dyn Dialect) -> SqlText {
    let mut p = Printer {
        d: dialect,
        out: SqlText::default(),
        compact: true,
    };
    p.stmt(stmt);
    p.out
}

struct Printer<'a> {
    d: &'a dyn Dialect,
    out: SqlText,
    compact: bool,
}

/// How to print one argument of a dialect's [`Shape`].
enum ShapeArg<'e> {
    Expr(&'e Expr),
    Ident(&'e str),
    Path(&'e Path),
}

impl Printer<'_> {
    /// A line break and the indentation of the next line (a space, compact).
    fn newline(&self, indent: usize) -> String {
        if self.compact {
            " ".into()
        } else {
            format!("\n{}", "  ".repeat(indent))
        }
    }

    fn text(&mut self, s: &str) {
        self.out.push_text(s);
    }

    fn ident(&mut self, name: &str) {
        let quoted = self.d.quote_ident(name);
        self.text(&quoted);
    }

    fn name(&mut self, name: &Name) {
        self.ident(&name.schema);
        self.text(".");
        self.ident(&name.table);
    }

    /// A string literal holding a parameter's value.
    fn param(&mut self, p: Param) {
        self.text("'");
        self.out.push_param(p);
        self.text("'");
    }

    /// A string literal holding a path under the local lake.
    fn path(&mut self, path: &Path) {
        self.text("'");
        for part in &path.0 {
            match part {
                // Inside the literal: quotes doubled, as the dialect's literals do.
                PathPart::Text(t) => self.text(&t.replace('\'', "''")),
                PathPart::Param(p) => self.out.push_param(*p),
            }
        }
        self.text("'");
    }

    fn shape(&mut self, shape: Shape, args: &[ShapeArg<'_>]) {
        for piece in shape {
            match piece {
                Piece::Text(t) => self.text(t),
                Piece::Arg(i) => match args.get(*i) {
                    Some(ShapeArg::Expr(e)) => self.expr(e),
                    Some(ShapeArg::Ident(s)) => self.ident(s),
                    Some(ShapeArg::Path(p)) => self.path(p),
                    None => self.text("NULL"),
                },
            }
        }
    }

    fn stmt(&mut self, stmt: &Stmt) {
        match stmt {
            Stmt::Insert { table, query } => {
                self.text("INSERT INTO ");
                self.name(table);
                let nl = self.newline(0);
                self.text(&nl);
                self.select(query, 0);
            }
            Stmt::CopyPartitioned {
                query,
                dir,
                partition_by,
            } => {
                self.text("COPY (");
                let nl = self.newline(0);
                self.text(&nl);
                self.select(query, 0);
                self.text(&nl);
                self.text(") TO ");
                self.path(dir);
                self.text(" (FORMAT parquet, COMPRESSION snappy, PARTITION_BY (");
                for (i, c) in partition_by.iter().enumerate() {
                    if i > 0 {
                        self.text(", ");
                    }
                    self.ident(c);
                }
                // Each attempt writes fresh directories beside the others, which stay.
                self.text("), OVERWRITE_OR_IGNORE true, WRITE_PARTITION_COLUMNS true)");
            }
            Stmt::Query(query) => self.select(query, 0),
        }
    }

    fn select(&mut self, s: &Select, indent: usize) {
        let nl = self.newline(indent);
        if !s.with.is_empty() {
            self.text("WITH ");
            for (i, (name, query)) in s.with.iter().enumerate() {
                if i > 0 {
                    self.text(",");
                    self.text(&nl);
                }
                self.ident(name);
                self.text(" AS (");
                self.text(&self.newline(indent + 1));
                self.select(query, indent + 1);
                self.text(&nl);
                self.text(")");
            }
            self.text(&nl);
        }
        self.text(match (s.distinct, s.star || s.columns.is_empty()) {
            (false, true) => "SELECT *",
            (false, false) => "SELECT",
            (true, true) => "SELECT DISTINCT *",
            (true, false) => "SELECT DISTINCT",
        });
        for (i, (expr, alias)) in s.columns.iter().enumerate() {
            if i > 0 || s.star {
                self.text(",");
            }
            self.text(&self.newline(indent + 1));
            self.expr(expr);
            self.text(" AS ");
            self.ident(alias);
        }
        if let Some(from) = &s.from {
            self.text(&nl);
            self.from(from, indent);
        }
        if let Some(filter) = &s.filter {
            self.text(&nl);
            self.text("WHERE ");
            self.expr(filter);
        }
        self.list(&nl, "GROUP BY ", &s.group_by);
        if let Some(having) = &s.having {
            self.text(&nl);
            self.text("HAVING ");
            self.expr(having);
        }
        self.list(&nl, "ORDER BY ", &s.order_by);
    }

    fn list(&mut self, nl: &str, keyword: &str, items: &[Expr]) {
        if items.is_empty() {
            return;
        }
        self.text(nl);
        self.text(keyword);
        for (i, e) in items.iter().enumerate() {
            if i > 0 {
                self.text(", ");
            }
            self.expr(e);
        }
    }

    fn from(&mut self, from: &From, indent: usize) {
        self.text("FROM ");
        self.table(&from.first, indent);
        for join in &from.joins {
            self.text(&self.newline(indent));
            self.text(match join.kind {
                JoinKind::Inner => "JOIN ",
                JoinKind::Left => "LEFT JOIN ",
                JoinKind::Cross => "CROSS JOIN ",
            });
            self.table(&join.table, indent);
            if let Some(on) = &join.on {
                self.text(&self.newline(indent + 1));
                self.text("ON ");
                self.expr(on);
            }
        }
    }

    fn table(&mut self, t: &Table, indent: usize) {
        match t {
            Table::Named { name, alias } => {
                self.name(name);
                self.text(" AS ");
                self.ident(alias);
            }
            Table::With { name, alias } => {
                self.ident(name);
                if alias != name {
                    self.text(" AS ");
                    self.ident(alias);
                }
            }
            Table::Subquery { query, alias } => {
                self.text("(");
                self.text(&self.newline(indent + 1));
                self.select(query, indent + 1);
                self.text(&self.newline(indent));
                self.text(") AS ");
                self.ident(alias);
            }
            Table::DaySeries {
                first,
                last,
                alias,
                column,
            } => {
                let shape = self.d.day_series();
                self.shape(
                    shape,
                    &[
                        ShapeArg::Expr(first),
                        ShapeArg::Expr(last),
                        ShapeArg::Ident(alias),
                        ShapeArg::Ident(column),
                    ],
                );
            }
            Table::Files { pattern, alias } => {
                let shape = self.d.read_files();
                self.shape(shape, &[ShapeArg::Path(pattern)]);
                self.text(" AS ");
                self.ident(alias);
            }
        }
    }

    fn lit(&mut self, lit: &Lit) {
        match lit {
            Lit::Int(n) => self.text(&n.to_string()),
            Lit::Decimal(text) => self.text(text),
            Lit::Str(s) => {
                let q = self.d.quote_string(s);
                self.text(&q);
            }
            Lit::Bool(b) => self.text(if *b { "TRUE" } else { "FALSE" }),
            Lit::Null => self.text("NULL"),
            Lit::Date(s) => {
                let q = self.d.quote_string(s);
                self.text("DATE ");
                self.text(&q);
            }
        }
    }

    fn args(&mut self, args: &[Expr]) {
        for (i, a) in args.iter().enumerate() {
            if i > 0 {
                self.text(", ");
            }
            self.expr(a);
        }
    }

    fn wrapped(&mut self, open: &str, e: &Expr, close: &str) {
        self.text(open);
        self.expr(e);
        self.text(close);
    }

    fn expr(&mut self, e: &Expr) {
        match e {
            Expr::Column(q, name) => {
                self.ident(q);
                self.text(".");
                self.ident(name);
            }
            Expr::Field(base, name) => {
                self.expr(base);
                self.text(".");
                self.ident(name);
            }
            Expr::Lit(lit) => self.lit(lit),
            Expr::Param(p) => self.param(*p),
            Expr::DateParam(p) => {
                self.text("DATE ");
                self.param(*p);
            }
            Expr::Not(x) => self.wrapped("(NOT ", x, ")"),
            Expr::Neg(x) => self.wrapped("(-", x, ")"),
            Expr::Binary(op, l, r) => {
                self.text("(");
                self.expr(l);
                self.text(match op {
                    BinOp::Or => " OR ",
                    BinOp::And => " AND ",
                    BinOp::Eq => " = ",
                    BinOp::NotEq => " <> ",
                    BinOp::Lt => " < ",
                    BinOp::LtEq => " <= ",
                    BinOp::Gt => " > ",
                    BinOp::GtEq => " >= ",
                    BinOp::Add => " + ",
                    BinOp::Sub => " - ",
                    BinOp::Mul => " * ",
                    BinOp::Div => " / ",
                    BinOp::Mod => " % ",
                    BinOp::Concat => " || ",
                });
                self.expr(r);
                self.text(")");
            }
            Expr::IsNull { operand, negated } => {
                self.wrapped(
                    "(",
                    operand,
                    if *negated {
                        " IS NOT NULL)"
                    } else {
                        " IS NULL)"
                    },
                );
            }
            Expr::InList {
                operand,
                list,
                negated,
            } => {
                self.wrapped("(", operand, if *negated { " NOT IN (" } else { " IN (" });
                self.args(list);
                self.text("))");
            }
            Expr::Like {
                operand,
                pattern,
                negated,
            } => {
                self.wrapped("(", operand, if *negated { " NOT LIKE " } else { " LIKE " });
                self.wrapped("", pattern, ")");
            }
            Expr::Between {
                operand,
                low,
                high,
                negated,
            } => {
                self.wrapped(
                    "(",
                    operand,
                    if *negated {
                        " NOT BETWEEN "
                    } else {
                        " BETWEEN "
                    },
                );
                self.wrapped("", low, " AND ");
                self.wrapped("", high, ")");
            }
            Expr::Case { whens, otherwise } => {
                self.text("(CASE");
                for (c, v) in whens {
                    self.wrapped(" WHEN ", c, " THEN ");
                    self.expr(v);
                }
                if let Some(o) = otherwise {
                    self.wrapped(" ELSE ", o, "");
                }
                self.text(" END)");
            }
            Expr::Cast(x, ty) => {
                let ty = self.d.cast_type(ty);
                self.wrapped("CAST(", x, &format!(" AS {ty})"));
            }
            Expr::TryCast(x, ty) => {
                let ty = self.d.cast_type(ty);
                self.wrapped("TRY_CAST(", x, &format!(" AS {ty})"));
            }
            Expr::Call(func, args) => self.call(func, args),
            Expr::Element(base, index) => {
                let shape = self.d.element();
                self.shape(shape, &[ShapeArg::Expr(base), ShapeArg::Expr(index)]);
            }
            Expr::AddDays(date, days) => {
                let shape = self.d.add_days();
                self.shape(shape, &[ShapeArg::Expr(date), ShapeArg::Expr(days)]);
            }
            Expr::DayText(date) => {
                let shape = self.d.day_text();
                self.shape(shape, &[ShapeArg::Expr(date)]);
            }
            Expr::Percentile {
                exact,
                value,
                fraction,
                rows,
            } => {
                let shape = if *exact {
                    self.d.exact_percentile()
                } else {
                    self.d.approx_percentile()
                };
                let fraction = Expr::Lit(Lit::Decimal(fraction.clone()));
                self.shape(
                    shape,
                    &[
                        ShapeArg::Expr(value),
                        ShapeArg::Expr(&fraction),
                        ShapeArg::Expr(rows),
                    ],
                );
            }
            Expr::Aggregate { agg, arg, filter } => {
                self.aggregate(*agg, arg.as_deref());
                if let Some(f) = filter {
                    self.wrapped(" FILTER (WHERE ", f, ")");
                }
            }
        }
    }

    fn call(&mut self, func: &Func, args: &[Expr]) {
        let name = match func {
            Func::Plain(name) => name,
            Func::Cardinality => self.d.cardinality(),
            Func::Contains => self.d.array_contains(),
            Func::DayOfWeek => self.d.day_of_week(),
            Func::ConcatWs => "concat_ws",
            Func::DaysBetween => {
                self.text("date_diff('day', ");
                self.args(args);
                self.text(")");
                return;
            }
            Func::Elapsed(unit) => {
                let name = self.d.elapsed();
                self.text(&format!("{name}('{}', ", unit.name()));
                self.args(args);
                self.text(")");
                return;
            }
            Func::Truncate(unit) => {
                self.text(&format!("date_trunc('{}', ", unit.name()));
                self.args(args);
                self.text(")");
                return;
            }
        };
        self.text(name);
        self.text("(");
        self.args(args);
        self.text(")");
    }

    fn aggregate(&mut self, agg: Agg, arg: Option<&Expr>) {
        let (open, close) = match agg {
            Agg::CountStar => {
                self.text("count(*)");
                return;
            }
            Agg::Count => ("count(", ")"),
            Agg::CountDistinct => ("count(DISTINCT ", ")"),
            Agg::ApproxDistinct => {
                let name = self.d.approx_distinct();
                self.text(name);
                ("(", ")")
            }
            Agg::Sum => ("sum(", ")"),
            Agg::Avg => ("avg(", ")"),
            Agg::Min => ("min(", ")"),
            Agg::Max => ("max(", ")"),
            Agg::CountIf => ("count_if(", ")"),
        };
        self.text(open);
        match arg {
            Some(a) => self.expr(a),
            None => self.text("NULL"),
        }
        self.text(close);
    }
}
