//! The evaluator: a port of jsonata-js 2.0.6's `evaluate` for the constructs the parser accepts
//! (paths with sequence flattening, predicates, constructors, operators, blocks, lambdas).

use super::bounds::{self, MAX_EVAL_DEPTH};
use super::builtins;
pub(crate) use super::calls::apply;
use super::ops::{binary, object, range};
pub(crate) use super::ops::{obj_set, to_string};
use super::parser::{Lambda, Node, Step};
use super::regex::Rx;
use super::value::{Arr, Env, Frame, Func, Val, items, truthy, with_flags};
use super::{Ctx, JsonataError};
use std::rc::Rc;

pub(crate) type R = Result<Option<Val>, JsonataError>;

pub(crate) fn err(code: &str, message: impl Into<String>, position: usize) -> JsonataError {
    JsonataError {
        code: code.into(),
        message: message.into(),
        position,
    }
}

/// Evaluates `node` against the context `input`, then normalises sequences as JSONata does:
/// an empty one is undefined, a singleton is its item. Every evaluation counts against the
/// bounds: nesting depth, the deadline, and the size of what it gives.
pub(crate) fn eval(node: &Node, input: &Option<Val>, env: &Env, cx: &Ctx) -> R {
    let depth = cx.depth.get();
    if depth >= MAX_EVAL_DEPTH {
        return Err(bounds::too_deep());
    }
    cx.deadline.tick()?;
    cx.depth.set(depth + 1);
    let result = eval_inner(node, input, env, cx);
    cx.depth.set(depth);
    let result = normalise(result?);
    if let Some(v) = &result {
        bounds::check(v)?;
    }
    Ok(result)
}

pub(crate) fn normalise(result: Option<Val>) -> Option<Val> {
    match result {
        Some(Val::Arr(a)) if a.seq => match a.items.len() {
            0 => None,
            1 if !a.keep => Some(a.items[0].clone()),
            _ => Some(Val::Arr(a)),
        },
        other => other,
    }
}

fn eval_inner(node: &Node, input: &Option<Val>, env: &Env, cx: &Ctx) -> R {
    Ok(match node {
        Node::Str(s) => Some(Val::str(s)),
        Node::Num(n) => Some(Val::Num(*n)),
        Node::Bool(b) => Some(Val::Bool(*b)),
        Node::Null => Some(Val::Null),
        Node::Regex(p, f, pos) => {
            let rx = Rx::new(p, f).map_err(|e| JsonataError {
                position: *pos,
                ..e
            })?;
            Some(Val::Func(Rc::new(Func::Regex(Rc::new(rx)))))
        }
        Node::Name(name) => input.as_ref().and_then(|v| lookup(v, name)),
        Node::Var(name) => variable(name, input, env, cx),
        Node::Wildcard => input.as_ref().map(wildcard),
        Node::Descendants => input.as_ref().map(|v| {
            let mut out = Vec::new();
            descend(v, &mut out);
            if out.len() == 1 {
                out.swap_remove(0)
            } else {
                Val::seq(out)
            }
        }),
        Node::Path(steps) => eval_path(steps, input, env, cx)?,
        Node::Neg(e, pos) => match eval(e, input, env, cx)? {
            None => None,
            Some(v) => match v.num() {
                Some(n) => Some(Val::Num(-n)),
                None => return Err(err("D1002", "Cannot negate a non-numeric value", *pos)),
            },
        },
        Node::Array(list) => Some(array(list, input, env, cx)?),
        Node::Range(lo, hi, pos) => {
            range(eval(lo, input, env, cx)?, eval(hi, input, env, cx)?, *pos)?
        }
        Node::Object(pairs, pos) => Some(object(pairs, input.clone(), env, cx, *pos)?),
        Node::Binary(op, l, r, pos) => binary(*op, l, r, input, env, cx, *pos)?,
        Node::Cond(c, t, e) => {
            if eval(c, input, env, cx)?.as_ref().is_some_and(truthy) {
                eval(t, input, env, cx)?
            } else if let Some(e) = e {
                eval(e, input, env, cx)?
            } else {
                None
            }
        }
        Node::Block(list) => {
            let frame = Frame::child(env);
            let mut last = None;
            for e in list {
                last = eval(e, input, &frame, cx)?;
            }
            last
        }
        Node::Bind(name, e) => {
            let v = eval(e, input, env, cx)?;
            env.bind(name, v.clone());
            v
        }
        Node::Lambda(def) => Some(lambda(def, input, env)),
        Node::Call(f, args, pos) => {
            let proc = eval(f, input, env, cx)?;
            let mut vals = Vec::with_capacity(args.len());
            for a in args {
                vals.push(eval(a, input, env, cx)?);
            }
            call(proc, f, vals, input, cx, *pos)?
        }
        Node::Apply(l, r, pos) => {
            let lhs = eval(l, input, env, cx)?;
            match &**r {
                Node::Call(f, args, p) => {
                    let proc = eval(f, input, env, cx)?;
                    let mut vals = vec![lhs];
                    for a in args {
                        vals.push(eval(a, input, env, cx)?);
                    }
                    call(proc, f, vals, input, cx, *p)?
                }
                other => {
                    let proc = eval(other, input, env, cx)?;
                    if matches!(lhs, Some(Val::Func(_))) {
                        return Err(err("unsupported", "function composition with ~>", *pos));
                    }
                    call(proc, other, vec![lhs], input, cx, *pos)?
                }
            }
        }
        Node::Filter(inner, preds) => {
            let mut v = eval(inner, input, env, cx)?;
            for p in preds {
                v = filter(p, v, env, cx)?;
            }
            v
        }
    })
}

fn lambda(def: &Rc<Lambda>, input: &Option<Val>, env: &Env) -> Val {
    Val::Func(Rc::new(Func::Lambda {
        def: def.clone(),
        env: env.clone(),
        input: input.clone(),
    }))
}

fn variable(name: &str, input: &Option<Val>, env: &Env, cx: &Ctx) -> Option<Val> {
    match name {
        "" => match input {
            Some(Val::Arr(a)) if a.outer => a.items.first().cloned(),
            other => other.clone(),
        },
        _ => env.lookup(name).or_else(|| builtins::lookup(name, cx)),
    }
}

pub(crate) fn call(
    proc: Option<Val>,
    f: &Node,
    args: Vec<Option<Val>>,
    input: &Option<Val>,
    cx: &Ctx,
    pos: usize,
) -> R {
    match proc {
        Some(Val::Func(func)) => apply(&func, args, input, cx).map_err(|e| {
            if e.position == 0 {
                JsonataError { position: pos, ..e }
            } else {
                e
            }
        }),
        _ => {
            if let Node::Var(name) = f
                && let Some(e) = builtins::unsupported(name)
            {
                return Err(JsonataError { position: pos, ..e });
            }
            Err(err("T1006", "Attempted to invoke a non-function", pos))
        }
    }
}

/// Number of declared parameters (JSONata passes a higher-order callback only that many).
pub(crate) fn arity(func: &Func) -> usize {
    match func {
        Func::Lambda { def, .. } => def.params.len(),
        Func::Builtin(name) => builtins::arity(name),
        Func::Regex(_) => 1,
    }
}

pub(crate) fn lookup(v: &Val, name: &str) -> Option<Val> {
    match v {
        Val::Arr(a) => {
            let mut out = Vec::new();
            for x in &a.items {
                match lookup(x, name) {
                    Some(Val::Arr(inner)) => out.extend(inner.items.iter().cloned()),
                    Some(r) => out.push(r),
                    None => {}
                }
            }
            Some(Val::seq(out))
        }
        Val::Obj(_) => v.get(name),
        _ => None,
    }
}

fn flatten_into(v: &Val, out: &mut Vec<Val>) {
    match v {
        Val::Arr(a) => a.items.iter().for_each(|x| flatten_into(x, out)),
        other => out.push(other.clone()),
    }
}

fn wildcard(v: &Val) -> Val {
    let v = match v {
        Val::Arr(a) if a.outer && !a.items.is_empty() => &a.items[0],
        other => other,
    };
    let mut out = Vec::new();
    if let Val::Obj(o) = v {
        for (_, x) in o.iter() {
            flatten_into(x, &mut out);
        }
    }
    Val::seq(out)
}

fn descend(v: &Val, out: &mut Vec<Val>) {
    match v {
        Val::Arr(a) => a.items.iter().for_each(|x| descend(x, out)),
        Val::Obj(o) => {
            out.push(v.clone());
            o.iter().for_each(|(_, x)| descend(x, out));
        }
        other => out.push(other.clone()),
    }
}

fn eval_path(steps: &[Step], input: &Option<Val>, env: &Env, cx: &Ctx) -> R {
    let mut seq: Vec<Option<Val>> = match input {
        Some(Val::Arr(a)) if !matches!(steps[0].node, Node::Var(_)) => {
            a.items.iter().cloned().map(Some).collect()
        }
        other => vec![other.clone()],
    };
    let mut result: Option<Val> = None;
    for (i, step) in steps.iter().enumerate() {
        let res = if i == 0 && step.cons {
            let whole = Some(Val::seq(seq.iter().flatten().cloned().collect()));
            let direct = matches!(step.node, Node::Array(_));
            eval(&step.node, &whole, env, cx)?.map(|v| {
                if direct {
                    with_flags(v, |a| a.cons = true)
                } else {
                    v
                }
            })
        } else {
            Some(eval_step(step, &seq, env, cx, i == steps.len() - 1)?)
        };
        let empty = match &res {
            None => true,
            Some(Val::Arr(a)) => a.items.is_empty(),
            Some(_) => false,
        };
        result = res;
        if empty {
            break;
        }
        seq = match &result {
            Some(v) => items(v).into_iter().map(Some).collect(),
            None => vec![],
        };
    }
    Ok(result)
}

fn eval_step(
    step: &Step,
    seq: &[Option<Val>],
    env: &Env,
    cx: &Ctx,
    last: bool,
) -> Result<Val, JsonataError> {
    let mut results = Vec::new();
    for item in seq {
        let mut res = eval(&step.node, item, env, cx)?;
        if step.cons && matches!(step.node, Node::Array(_)) {
            res = res.map(|v| with_flags(v, |a| a.cons = true));
        }
        for st in &step.stages {
            res = filter(st, res, env, cx)?;
        }
        if let Some(r) = res {
            results.push(r);
        }
    }
    if last && results.len() == 1 && matches!(&results[0], Val::Arr(a) if !a.seq) {
        return Ok(results.swap_remove(0));
    }
    let mut out = Vec::new();
    for r in results {
        match r {
            Val::Arr(a) if !a.cons => out.extend(a.items.iter().cloned()),
            other => out.push(other),
        }
    }
    Ok(Val::seq(out))
}

/// A predicate `[p]` applied to a value: an index (numbers) or a filter (anything else).
pub(crate) fn filter(pred: &Node, input: Option<Val>, env: &Env, cx: &Ctx) -> R {
    let Some(input) = input else { return Ok(None) };
    let list = items(&input);
    let index = |f: f64| -> Option<usize> {
        let i = f.floor();
        let i = if i < 0.0 { list.len() as f64 + i } else { i };
        (i >= 0.0 && i < list.len() as f64).then_some(i as usize)
    };
    let mut out = Vec::new();
    if let Node::Num(n) = pred {
        if let Some(i) = index(*n) {
            match &list[i] {
                a @ Val::Arr(_) => return Ok(Some(a.clone())),
                other => out.push(other.clone()),
            }
        }
        return Ok(Some(Val::seq(out)));
    }
    for (i, item) in list.iter().enumerate() {
        let res = eval(pred, &Some(item.clone()), env, cx)?;
        let nums: Option<Vec<f64>> = match &res {
            Some(Val::Num(n)) if n.is_finite() => Some(vec![*n]),
            Some(Val::Arr(a)) => a
                .items
                .iter()
                .map(|x| match x {
                    Val::Num(n) => Some(*n),
                    _ => None,
                })
                .collect(),
            _ => None,
        };
        match nums {
            Some(ns) => {
                for n in ns {
                    if index(n) == Some(i) {
                        out.push(item.clone());
                    }
                }
            }
            None => {
                if res.as_ref().is_some_and(truthy) {
                    out.push(item.clone());
                }
            }
        }
    }
    Ok(Some(Val::seq(out)))
}

fn array(list: &[Node], input: &Option<Val>, env: &Env, cx: &Ctx) -> Result<Val, JsonataError> {
    let mut out = Vec::new();
    for item in list {
        match eval(item, input, env, cx)? {
            None => {}
            Some(v) if matches!(item, Node::Array(_)) => out.push(v),
            Some(Val::Arr(a)) => out.extend(a.items.iter().cloned()),
            Some(v) => out.push(v),
        }
    }
    Ok(Val::Arr(Rc::new(Arr {
        items: out,
        ..Arr::default()
    })))
}
