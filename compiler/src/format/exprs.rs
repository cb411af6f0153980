//! AST expressions → text: on one line with only the parentheses the grammar needs, or broken
//! over lines when a clause does not fit in [`WIDTH`].

use crate::syntax::ast::{BinaryOp, CallArgs, Expr, ExprKind, Ident, Literal, UnaryOp};

/// The longest line the formatter makes when it can break one.
pub const WIDTH: usize = 100;

/// Binding strength, loosest first, as `grammar.pest` nests its rules.
const OR: u8 = 1;
const AND: u8 = 2;
const NOT: u8 = 3;
const PREDICATE: u8 = 4;
const SUM: u8 = 5;
const PRODUCT: u8 = 6;
const NEG: u8 = 7;
const POSTFIX: u8 = 8;
const PRIMARY: u8 = 9;

/// Prints expressions of one file; names are printed as written (case and backquotes kept),
/// since the AST holds them lower-cased.
pub struct Printer<'a> {
    pub text: &'a str,
}

fn level(op: BinaryOp) -> u8 {
    match op {
        BinaryOp::Or => OR,
        BinaryOp::And => AND,
        BinaryOp::Add | BinaryOp::Sub | BinaryOp::Concat => SUM,
        BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => PRODUCT,
        _ => PREDICATE,
    }
}

fn precedence(e: &Expr) -> u8 {
    match &e.kind {
        ExprKind::Binary { op, .. } => level(*op),
        ExprKind::Unary {
            op: UnaryOp::Not, ..
        } => NOT,
        ExprKind::Unary {
            op: UnaryOp::Neg, ..
        } => NEG,
        ExprKind::IsNull { .. }
        | ExprKind::InList { .. }
        | ExprKind::Like { .. }
        | ExprKind::Between { .. } => PREDICATE,
        ExprKind::Index { .. } => POSTFIX,
        _ => PRIMARY,
    }
}

/// An operator chain `a op b op c` (left-associative, one binding level; comparisons do not
/// chain): its operands, each after its operator (the first has none).
pub fn chain(e: &Expr) -> Option<Vec<(Option<BinaryOp>, &Expr)>> {
    let ExprKind::Binary { op, .. } = &e.kind else {
        return None;
    };
    let at = level(*op);
    if at == PREDICATE {
        return None;
    }
    let mut out = Vec::new();
    let mut node = e;
    while let ExprKind::Binary { op, left, right } = &node.kind {
        if level(*op) != at {
            break;
        }
        out.push((Some(*op), &**right));
        node = left;
    }
    out.push((None, node));
    out.reverse();
    Some(out)
}

/// Width in characters, as an editor counts columns.
pub fn width(s: &str) -> usize {
    s.chars().count()
}

impl Printer<'_> {
    pub fn ident(&self, ident: &Ident) -> String {
        self.text
            .get(ident.span.start as usize..ident.span.end as usize)
            .unwrap_or(&ident.name)
            .to_string()
    }

    /// `e` on one line, in parentheses when it binds looser than `min`.
    pub fn wrapped(&self, e: &Expr, min: u8) -> String {
        if precedence(e) < min {
            format!("({})", self.flat(e))
        } else {
            self.flat(e)
        }
    }

    /// The operands of a chain as the chain prints them, with their operators.
    fn pieces<'e>(&self, e: &'e Expr) -> Option<Vec<Piece<'e>>> {
        let operands = chain(e)?;
        let min = precedence(e) + 1;
        Some(
            operands
                .into_iter()
                .map(|(op, x)| Piece {
                    op,
                    expr: x,
                    text: self.wrapped(x, min),
                    paren: precedence(x) < min,
                })
                .collect(),
        )
    }

    pub fn flat(&self, e: &Expr) -> String {
        match &e.kind {
            ExprKind::Literal { value } => literal(value),
            ExprKind::Day => "day".into(),
            ExprKind::Path { parts } => parts
                .iter()
                .map(|p| self.ident(p))
                .collect::<Vec<_>>()
                .join("."),
            ExprKind::Index { base, index } => {
                format!("{}[{}]", self.wrapped(base, POSTFIX), self.flat(index))
            }
            ExprKind::Unary { op, operand } => match op {
                UnaryOp::Not => format!("not {}", self.wrapped(operand, PREDICATE)),
                UnaryOp::Neg => format!("-{}", self.wrapped(operand, POSTFIX)),
            },
            ExprKind::Binary { op, left, right } => {
                let at = level(*op);
                // Comparisons take sums on both sides; a chain takes its own level on the left.
                let (l, r) = if at == PREDICATE {
                    (SUM, SUM)
                } else {
                    (at, at + 1)
                };
                format!(
                    "{} {} {}",
                    self.wrapped(left, l),
                    op.symbol(),
                    self.wrapped(right, r)
                )
            }
            ExprKind::IsNull { operand, negated } => format!(
                "{} is {}null",
                self.wrapped(operand, SUM),
                if *negated { "not " } else { "" }
            ),
            ExprKind::InList {
                operand,
                list,
                negated,
            } => format!(
                "{} {}in ({})",
                self.wrapped(operand, SUM),
                not(*negated),
                list.iter()
                    .map(|x| self.flat(x))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            ExprKind::Like {
                operand,
                pattern,
                negated,
            } => format!(
                "{} {}like {}",
                self.wrapped(operand, SUM),
                not(*negated),
                self.wrapped(pattern, SUM)
            ),
            ExprKind::Between {
                operand,
                low,
                high,
                negated,
            } => format!(
                "{} {}between {} and {}",
                self.wrapped(operand, SUM),
                not(*negated),
                self.wrapped(low, SUM),
                self.wrapped(high, SUM)
            ),
            ExprKind::Call { name, args } => format!("{}({})", self.ident(name), self.args(args)),
            ExprKind::Case { whens, otherwise } => {
                let mut out = String::from("case");
                for (when, then) in whens {
                    out += &format!(" when {} then {}", self.flat(when), self.flat(then));
                }
                if let Some(e) = otherwise {
                    out += &format!(" else {}", self.flat(e));
                }
                out + " end"
            }
        }
    }

    fn args(&self, args: &CallArgs) -> String {
        let mut out = if args.star {
            "*".to_string()
        } else {
            let list: Vec<String> = args.args.iter().map(|a| self.flat(a)).collect();
            let distinct = if args.distinct { "distinct " } else { "" };
            format!("{distinct}{}", list.join(", "))
        };
        if let Some(filter) = &args.filter {
            out += &format!(" where {}", self.flat(filter));
        }
        out
    }

    /// A clause `head expr` at two spaces' indent, continuation lines at four:
    ///
    /// 1. on one line when it fits (and `one_per_line` is off);
    /// 2. with `break_after_head`, the expression alone on the next line when it fits there;
    /// 3. an operator chain one operand per line, operator first; an operand that still does
    ///    not fit is wrapped ([`Printer::wrap`]).
    ///
    /// `trailing` holds the comment that ends each operand's line, if any; one forces 3.
    pub fn clause(
        &self,
        head: &str,
        e: &Expr,
        break_after_head: bool,
        one_per_line: bool,
        trailing: &[Option<String>],
    ) -> Vec<String> {
        let flat = self.flat(e);
        let pieces = self.pieces(e).filter(|p| p.len() > 1);
        let one_per_line = one_per_line || trailing.iter().any(Option::is_some);
        if (!one_per_line || pieces.is_none()) && 2 + width(head) + width(&flat) <= WIDTH {
            return vec![format!("  {head}{flat}")];
        }
        if break_after_head && !one_per_line && 4 + width(&flat) <= WIDTH {
            return vec![format!("  {}", head.trim_end()), format!("    {flat}")];
        }
        let Some(pieces) = pieces else {
            return vec![format!("  {head}{flat}")];
        };
        let mut lines = Vec::new();
        for (i, piece) in pieces.into_iter().enumerate() {
            let (lead, col) = match piece.op {
                None => (format!("  {head}"), 2 + width(head)),
                Some(op) => (format!("    {} ", op.symbol()), 5 + width(op.symbol())),
            };
            let mut part = self.wrap(&piece, col);
            if let Some(first) = part.first_mut() {
                *first = format!("{lead}{first}");
            }
            if let (Some(last), Some(Some(comment))) = (part.last_mut(), trailing.get(i)) {
                *last = format!("{last} {comment}");
            }
            lines.extend(part);
        }
        lines
    }

    /// An operand already printed as `text`, placed at column `col`: as it is when it fits;
    /// else, if it is a chain, over as few lines as fit, its operands spread evenly and each
    /// line after the first aligned under the first operand (one past its `(`, when it is in
    /// parentheses). The first line is returned without indent, the others with theirs.
    fn wrap(&self, piece: &Piece<'_>, col: usize) -> Vec<String> {
        if col + width(&piece.text) <= WIDTH {
            return vec![piece.text.clone()];
        }
        let Some(pieces) = self.pieces(piece.expr).filter(|p| p.len() > 1) else {
            return vec![piece.text.clone()];
        };
        let paren = piece.paren;
        let inner = if paren { col + 1 } else { col };
        let words: Vec<String> = pieces
            .iter()
            .map(|p| match p.op {
                None => p.text.clone(),
                Some(op) => format!("{} {}", op.symbol(), p.text),
            })
            .collect();
        let n = words.len();
        let mut best = Vec::new();
        for k in 1..=n {
            let lines = spread(&words, k);
            let last = lines.len() - 1;
            let fits = lines.iter().enumerate().all(|(i, l)| {
                let extra = usize::from(paren && (i == 0 || i == last));
                inner + width(l) + extra <= WIDTH
            });
            best = lines;
            if fits {
                break;
            }
        }
        let last = best.len() - 1;
        best.into_iter()
            .enumerate()
            .map(|(i, l)| {
                let open = if paren && i == 0 { "(" } else { "" };
                let close = if paren && i == last { ")" } else { "" };
                let indent = if i == 0 {
                    String::new()
                } else {
                    " ".repeat(inner)
                };
                format!("{indent}{open}{l}{close}")
            })
            .collect()
    }
}

/// An operand of a chain, printed on one line.
struct Piece<'e> {
    op: Option<BinaryOp>,
    expr: &'e Expr,
    text: String,
    /// Printed in parentheses: it binds looser than the chain.
    paren: bool,
}

/// `words` over `k` lines, as evenly as they go (the first lines take one more).
fn spread(words: &[String], k: usize) -> Vec<String> {
    let (base, extra) = (words.len() / k, words.len() % k);
    let mut out = Vec::new();
    let mut at = 0;
    for i in 0..k {
        let take = base + usize::from(i < extra);
        out.push(words[at..at + take].join(" "));
        at += take;
    }
    out
}

fn not(negated: bool) -> &'static str {
    if negated { "not " } else { "" }
}

fn literal(value: &Literal) -> String {
    match value {
        Literal::Integer(n) => n.to_string(),
        Literal::Decimal(d) => d.clone(),
        Literal::String(s) => quote(s),
        Literal::Boolean(b) => b.to_string(),
        Literal::Null => "null".into(),
        Literal::Date(d) => format!("date {}", quote(d)),
    }
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}
