//! Pratt parser for JSONata, producing the processed tree that `eval` walks: paths are lists of
//! steps, a predicate on a step is one of its stages, a predicate on anything else filters it.

use super::JsonataError;
use super::bounds::{self, MAX_PARSE_DEPTH};
use super::lexer::{Tok, Token, tokenize};
use std::rc::Rc;

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Op {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Concat,
    And,
    Or,
    In,
}

#[derive(Debug)]
pub(crate) struct Lambda {
    pub params: Vec<String>,
    pub body: Node,
}

#[derive(Debug)]
pub(crate) struct Step {
    pub node: Node,
    pub stages: Vec<Node>,
    /// An array constructor as the first or last step: kept whole, not flattened.
    pub cons: bool,
}

#[derive(Debug)]
pub(crate) enum Node {
    Str(String),
    Num(f64),
    Bool(bool),
    Null,
    Regex(String, String, usize),
    Name(String),
    Var(String),
    Wildcard,
    Descendants,
    Path(Vec<Step>),
    Neg(Box<Node>, usize),
    Array(Vec<Node>),
    Range(Box<Node>, Box<Node>, usize),
    Object(Vec<(Node, Node)>, usize),
    Binary(Op, Box<Node>, Box<Node>, usize),
    Cond(Box<Node>, Box<Node>, Option<Box<Node>>),
    Block(Vec<Node>),
    Bind(String, Box<Node>),
    Lambda(Rc<Lambda>),
    Call(Box<Node>, Vec<Node>, usize),
    Apply(Box<Node>, Box<Node>, usize),
    Filter(Box<Node>, Vec<Node>),
}

struct Parser {
    toks: Vec<Token>,
    i: usize,
    /// How deep the tree being built nests here: one per enclosing expression and per
    /// operator applied to a left operand (a `+` chain nests as deep as it is long).
    level: usize,
}

fn lbp(t: &Tok) -> u8 {
    match t {
        Tok::Op(op) => match *op {
            "." => 75,
            "[" | "(" => 80,
            "{" => 70,
            "*" | "/" | "%" => 60,
            "+" | "-" | "&" => 50,
            "=" | "!=" | "<" | "<=" | ">" | ">=" | "~>" => 40,
            "?" => 20,
            ":=" => 10,
            "@" | "#" | "^" | "|" | "?:" => 80,
            _ => 0,
        },
        Tok::Name(n) if n == "and" => 30,
        Tok::Name(n) if n == "or" => 25,
        Tok::Name(n) if n == "in" => 40,
        _ => 0,
    }
}

fn unsupported(what: &str, pos: usize) -> JsonataError {
    JsonataError {
        code: "unsupported".into(),
        message: format!("JSONata construct not supported by this evaluator: {what}"),
        position: pos,
    }
}

fn syntax(message: String, pos: usize) -> JsonataError {
    JsonataError {
        code: "S0202".into(),
        message,
        position: pos,
    }
}

impl Parser {
    fn peek(&self) -> &Token {
        &self.toks[self.i.min(self.toks.len() - 1)]
    }
    fn next(&mut self) -> Token {
        let t = self.peek().clone();
        self.i += 1;
        t
    }
    fn is_op(&self, op: &str) -> bool {
        matches!(&self.peek().tok, Tok::Op(o) if *o == op)
    }
    fn expect(&mut self, op: &str) -> Result<(), JsonataError> {
        if self.is_op(op) {
            self.i += 1;
            Ok(())
        } else {
            let t = self.peek();
            Err(syntax(format!("expected {op:?}, got {:?}", t.tok), t.pos))
        }
    }

    fn expression(&mut self, rbp: u8) -> Result<Node, JsonataError> {
        let base = self.level;
        self.deeper()?;
        let t = self.next();
        let mut left = self.nud(t)?;
        while rbp < lbp(&self.peek().tok) {
            // A path step or a predicate joins the path it follows; anything else wraps it.
            if !matches!(self.peek().tok, Tok::Op("." | "[")) {
                self.deeper()?;
            }
            let t = self.next();
            left = self.led(t, left)?;
        }
        self.level = base;
        Ok(left)
    }

    fn deeper(&mut self) -> Result<(), JsonataError> {
        self.level += 1;
        if self.level > MAX_PARSE_DEPTH {
            return Err(JsonataError {
                position: self.peek().pos,
                ..bounds::too_deep()
            });
        }
        Ok(())
    }

    fn list(&mut self, close: &str, range: bool) -> Result<Vec<Node>, JsonataError> {
        let mut items = Vec::new();
        if !self.is_op(close) {
            loop {
                let mut item = self.expression(0)?;
                if range && self.is_op("..") {
                    let pos = self.next().pos;
                    let hi = self.expression(0)?;
                    item = Node::Range(Box::new(item), Box::new(hi), pos);
                }
                items.push(item);
                if !self.is_op(",") {
                    break;
                }
                self.i += 1;
            }
        }
        self.expect(close)?;
        Ok(items)
    }

    fn object_pairs(&mut self) -> Result<Vec<(Node, Node)>, JsonataError> {
        let mut pairs = Vec::new();
        if !self.is_op("}") {
            loop {
                let k = self.expression(0)?;
                self.expect(":")?;
                let v = self.expression(0)?;
                pairs.push((k, v));
                if !self.is_op(",") {
                    break;
                }
                self.i += 1;
            }
        }
        self.expect("}")?;
        Ok(pairs)
    }

    fn nud(&mut self, t: Token) -> Result<Node, JsonataError> {
        let pos = t.pos;
        Ok(match t.tok {
            Tok::Str(s) => Node::Str(s),
            Tok::Num(n) => Node::Num(n),
            Tok::Regex(p, f) => Node::Regex(p, f, pos),
            Tok::Var(v) => Node::Var(v),
            Tok::Name(n) => match n.as_str() {
                "true" => Node::Bool(true),
                "false" => Node::Bool(false),
                "null" => Node::Null,
                "function" | "λ" if self.is_op("(") => self.lambda()?,
                _ => Node::Path(vec![Step {
                    node: Node::Name(n),
                    stages: vec![],
                    cons: false,
                }]),
            },
            Tok::Op("-") => match self.expression(70)? {
                Node::Num(n) => Node::Num(-n),
                e => Node::Neg(Box::new(e), pos),
            },
            Tok::Op("*") => Node::Wildcard,
            Tok::Op("**") => Node::Descendants,
            Tok::Op("(") => {
                let mut items = Vec::new();
                while !self.is_op(")") {
                    items.push(self.expression(0)?);
                    if !self.is_op(";") {
                        break;
                    }
                    self.i += 1;
                }
                self.expect(")")?;
                Node::Block(items)
            }
            Tok::Op("[") => Node::Array(self.list("]", true)?),
            Tok::Op("{") => Node::Object(self.object_pairs()?, pos),
            Tok::Op(op @ ("%" | "|" | "?" | "^" | "@" | "#" | "~>")) => {
                return Err(unsupported(op, pos));
            }
            Tok::End => {
                return Err(JsonataError {
                    code: "S0207".into(),
                    message: "unexpected end of expression".into(),
                    position: pos,
                });
            }
            other => return Err(syntax(format!("unexpected token {other:?}"), pos)),
        })
    }

    fn lambda(&mut self) -> Result<Node, JsonataError> {
        self.expect("(")?;
        let mut params = Vec::new();
        while !self.is_op(")") {
            match self.next() {
                Token {
                    tok: Tok::Var(v), ..
                } => params.push(v),
                t => {
                    return Err(syntax(
                        "function parameters must be $variables".into(),
                        t.pos,
                    ));
                }
            }
            if self.is_op(",") {
                self.i += 1;
            }
        }
        self.expect(")")?;
        if self.is_op("<") {
            return Err(unsupported("function signatures", self.peek().pos));
        }
        self.expect("{")?;
        let body = self.expression(0)?;
        self.expect("}")?;
        Ok(Node::Lambda(Rc::new(Lambda { params, body })))
    }

    fn led(&mut self, t: Token, left: Node) -> Result<Node, JsonataError> {
        let pos = t.pos;
        let op = match &t.tok {
            Tok::Name(n) if n == "and" => Some((Op::And, 30)),
            Tok::Name(n) if n == "or" => Some((Op::Or, 25)),
            Tok::Name(n) if n == "in" => Some((Op::In, 40)),
            Tok::Op(o) => match *o {
                "+" => Some((Op::Add, 50)),
                "-" => Some((Op::Sub, 50)),
                "&" => Some((Op::Concat, 50)),
                "*" => Some((Op::Mul, 60)),
                "/" => Some((Op::Div, 60)),
                "%" => Some((Op::Mod, 60)),
                "=" => Some((Op::Eq, 40)),
                "!=" => Some((Op::Ne, 40)),
                "<" => Some((Op::Lt, 40)),
                "<=" => Some((Op::Le, 40)),
                ">" => Some((Op::Gt, 40)),
                ">=" => Some((Op::Ge, 40)),
                _ => None,
            },
            _ => None,
        };
        if let Some((op, bp)) = op {
            let rhs = self.expression(bp)?;
            return Ok(Node::Binary(op, Box::new(left), Box::new(rhs), pos));
        }
        match t.tok {
            Tok::Op(".") => {
                let rhs = self.expression(75)?;
                Ok(make_path(left, rhs))
            }
            Tok::Op("[") => {
                if self.is_op("]") {
                    return Err(unsupported("keep-array suffix []", pos));
                }
                let pred = self.expression(0)?;
                self.expect("]")?;
                Ok(add_predicate(left, pred))
            }
            Tok::Op("(") => {
                let args = self.list(")", false)?;
                if args.iter().any(|a| matches!(a, Node::Path(s) if s.len() == 1 && matches!(&s[0].node, Node::Name(n) if n == "?"))) {
                    return Err(unsupported("partial application", pos));
                }
                Ok(Node::Call(Box::new(left), args, pos))
            }
            Tok::Op("?") => {
                let then = self.expression(0)?;
                let otherwise = if self.is_op(":") {
                    self.i += 1;
                    Some(Box::new(self.expression(0)?))
                } else {
                    None
                };
                Ok(Node::Cond(Box::new(left), Box::new(then), otherwise))
            }
            Tok::Op(":=") => {
                let rhs = self.expression(9)?;
                match left {
                    Node::Var(v) => Ok(Node::Bind(v, Box::new(rhs))),
                    _ => Err(JsonataError {
                        code: "S0212".into(),
                        message: "the left side of := must be a variable name".into(),
                        position: pos,
                    }),
                }
            }
            Tok::Op("~>") => {
                let rhs = self.expression(40)?;
                Ok(Node::Apply(Box::new(left), Box::new(rhs), pos))
            }
            Tok::Op("{") => Err(unsupported("group-by on a path", pos)),
            Tok::Op(op) => Err(unsupported(op, pos)),
            other => Err(syntax(format!("unexpected token {other:?}"), pos)),
        }
    }
}

fn make_path(lhs: Node, rhs: Node) -> Node {
    let mut steps = match lhs {
        Node::Path(steps) => steps,
        other => vec![Step {
            node: other,
            stages: vec![],
            cons: false,
        }],
    };
    match rhs {
        Node::Path(more) => steps.extend(more),
        other => steps.push(to_step(other)),
    }
    for s in steps.iter_mut() {
        if let Node::Str(name) = &s.node {
            s.node = Node::Name(name.clone());
        }
    }
    let last = steps.len() - 1;
    for (i, s) in steps.iter_mut().enumerate() {
        s.cons = (i == 0 || i == last)
            && match &s.node {
                Node::Array(_) => true,
                Node::Filter(inner, _) => matches!(**inner, Node::Array(_)),
                _ => false,
            };
    }
    Node::Path(steps)
}

fn to_step(node: Node) -> Step {
    match node {
        Node::Filter(inner, preds) => Step {
            node: *inner,
            stages: preds,
            cons: false,
        },
        other => Step {
            node: other,
            stages: vec![],
            cons: false,
        },
    }
}

fn add_predicate(left: Node, pred: Node) -> Node {
    match left {
        Node::Path(mut steps) => {
            if let Some(last) = steps.last_mut() {
                last.stages.push(pred);
            }
            Node::Path(steps)
        }
        Node::Filter(inner, mut preds) => {
            preds.push(pred);
            Node::Filter(inner, preds)
        }
        other => Node::Filter(Box::new(other), vec![pred]),
    }
}

/// Parses a whole expression.
pub(crate) fn parse(src: &str) -> Result<Node, JsonataError> {
    let toks = tokenize(src)?;
    let mut p = Parser {
        toks,
        i: 0,
        level: 0,
    };
    let node = p.expression(0)?;
    let t = p.peek();
    if t.tok != Tok::End {
        return Err(syntax(
            format!("unexpected token {:?} after the expression", t.tok),
            t.pos,
        ));
    }
    Ok(node)
}
