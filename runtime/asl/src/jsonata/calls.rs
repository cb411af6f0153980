//! Applying a function value to evaluated arguments: builtins, and lambdas with jsonata-js's
//! tail-call optimisation (a call in tail position loops instead of nesting).

use super::eval::{R, call, err, eval, normalise};
use super::parser::Node;
use super::value::{Env, Frame, Func, Val, truthy};
use super::{Ctx, JsonataError, builtins};
use std::rc::Rc;

/// Calls a function value with already-evaluated arguments. A lambda whose body ends in a
/// call (through conditions and blocks) makes that call in a loop, not by nesting, as
/// jsonata-js optimises tail calls: a tail-recursive function may run 10,000 steps deep.
pub(crate) fn apply(func: &Rc<Func>, args: Vec<Option<Val>>, input: &Option<Val>, cx: &Ctx) -> R {
    let mut func = func.clone();
    let mut args = args;
    loop {
        let (def, env, captured) = match &*func {
            Func::Lambda {
                def,
                env,
                input: captured,
            } => (def.clone(), env.clone(), captured.clone()),
            Func::Builtin(name) => return builtins::call(name, args, input, cx),
            Func::Regex(_) => {
                return Err(err(
                    "unsupported",
                    "invoking a regular expression as a function",
                    0,
                ));
            }
        };
        cx.deadline.tick()?;
        let frame = Frame::child(&env);
        let mut given = args.into_iter();
        for p in &def.params {
            frame.bind(p, given.next().flatten());
        }
        match tail(&def.body, &captured, &frame, cx)? {
            Tail::Done(v) => return Ok(v),
            Tail::Call(proc, node, next, pos) => match proc {
                Some(Val::Func(f)) if matches!(&*f, Func::Lambda { .. }) => {
                    func = f;
                    args = next;
                }
                other => return call(other, node, next, &captured, cx, pos).map(normalise),
            },
        }
    }
}

/// What a lambda body gives: a value, or the call in its tail position, still to make.
enum Tail<'n> {
    Done(Option<Val>),
    Call(Option<Val>, &'n Node, Vec<Option<Val>>, usize),
}

fn tail<'n>(
    node: &'n Node,
    input: &Option<Val>,
    env: &Env,
    cx: &Ctx,
) -> Result<Tail<'n>, JsonataError> {
    match node {
        Node::Call(f, args, pos) => {
            let proc = eval(f, input, env, cx)?;
            let mut vals = Vec::with_capacity(args.len());
            for a in args {
                vals.push(eval(a, input, env, cx)?);
            }
            Ok(Tail::Call(proc, f, vals, *pos))
        }
        Node::Cond(c, t, e) => {
            if eval(c, input, env, cx)?.as_ref().is_some_and(truthy) {
                tail(t, input, env, cx)
            } else if let Some(e) = e {
                tail(e, input, env, cx)
            } else {
                Ok(Tail::Done(None))
            }
        }
        Node::Block(list) if !list.is_empty() => {
            let frame = Frame::child(env);
            for e in &list[..list.len() - 1] {
                eval(e, input, &frame, cx)?;
            }
            tail(&list[list.len() - 1], input, &frame, cx)
        }
        other => eval(other, input, env, cx).map(Tail::Done),
    }
}
