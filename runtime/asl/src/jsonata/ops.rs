//! Operators and constructors: arithmetic, comparison, `&`, `in`, ranges and object
//! construction (with JavaScript's key order), as jsonata-js 2.0.6 evaluates them.

use super::bounds;
use super::eval::{R, err, eval};
use super::parser::{Node, Op};
use super::value::{Env, Obj, Val, deep_equal, items, js_cmp, strict_equal, stringify, truthy};
use super::{Ctx, JsonataError, builtins};

pub(crate) fn range(lo: Option<Val>, hi: Option<Val>, pos: usize) -> R {
    let int = |v: &Option<Val>, code: &str, side: &str| -> Result<Option<f64>, JsonataError> {
        match v {
            None => Ok(None),
            Some(Val::Num(n)) if n.is_finite() && n.fract() == 0.0 => Ok(Some(*n)),
            Some(_) => Err(err(
                code,
                format!("The {side} side of the range operator (..) must evaluate to an integer"),
                pos,
            )),
        }
    };
    let (Some(a), Some(b)) = (int(&lo, "T2003", "left")?, int(&hi, "T2004", "right")?) else {
        return Ok(None);
    };
    if a > b {
        return Ok(None);
    }
    if b - a + 1.0 > 1e7 {
        return Err(err(
            "D2014",
            "The size of the sequence allocated by the range operator (..) must not exceed 1e7",
            pos,
        ));
    }
    bounds::room((b - a + 1.0) as usize * 8)?;
    Ok(Some(Val::seq(
        (0..=(b - a) as i64)
            .map(|i| Val::Num(a + i as f64))
            .collect(),
    )))
}

/// Inserts like a JavaScript object: integer-like keys first, ascending; others in order.
pub(crate) fn obj_set(o: &mut Obj, key: String, v: Val) {
    if let Some(slot) = o.iter_mut().find(|(k, _)| *k == key) {
        slot.1 = v;
        return;
    }
    let index = |k: &str| -> Option<u64> {
        if k.is_empty()
            || (k.len() > 1 && k.starts_with('0'))
            || !k.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        k.parse::<u64>().ok().filter(|n| *n < u32::MAX as u64)
    };
    match index(&key) {
        Some(n) => {
            let at = o
                .iter()
                .position(|(k, _)| index(k).is_none_or(|m| m > n))
                .unwrap_or(o.len());
            o.insert(at, (key, v));
        }
        None => o.push((key, v)),
    }
}

pub(crate) fn object(
    pairs: &[(Node, Node)],
    input: Option<Val>,
    env: &Env,
    cx: &Ctx,
    pos: usize,
) -> Result<Val, JsonataError> {
    let mut list: Vec<Option<Val>> = match input {
        Some(Val::Arr(a)) => a.items.iter().cloned().map(Some).collect(),
        other => vec![other],
    };
    if list.is_empty() {
        list.push(None);
    }
    // key → (data, index of the pair that made it)
    let mut groups: Vec<(String, Option<Val>, usize)> = Vec::new();
    for item in &list {
        for (pi, (k, _)) in pairs.iter().enumerate() {
            cx.deadline.tick()?;
            match eval(k, item, env, cx)? {
                None => {}
                Some(Val::Str(key)) => match groups.iter_mut().find(|g| *g.0 == *key) {
                    Some(g) if g.2 != pi => {
                        return Err(err(
                            "D1009",
                            format!("Multiple key definitions evaluate to same key: {key}"),
                            pos,
                        ));
                    }
                    Some(g) => g.1 = builtins::append(g.1.take(), item.clone()),
                    None => groups.push((key.to_string(), item.clone(), pi)),
                },
                Some(_) => {
                    return Err(err(
                        "T1003",
                        "Key in object structure must evaluate to a string",
                        pos,
                    ));
                }
            }
        }
    }
    let mut out: Obj = Vec::new();
    for (key, data, pi) in groups {
        if let Some(v) = eval(&pairs[pi].1, &data, env, cx)? {
            obj_set(&mut out, key, v);
        }
    }
    Ok(Val::obj(out))
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn binary(
    op: Op,
    l: &Node,
    r: &Node,
    input: &Option<Val>,
    env: &Env,
    cx: &Ctx,
    pos: usize,
) -> R {
    let lhs = eval(l, input, env, cx)?;
    if matches!(op, Op::And | Op::Or) {
        let lb = lhs.as_ref().is_some_and(truthy);
        let result = match op {
            Op::And => lb && eval(r, input, env, cx)?.as_ref().is_some_and(truthy),
            _ => lb || eval(r, input, env, cx)?.as_ref().is_some_and(truthy),
        };
        return Ok(Some(Val::Bool(result)));
    }
    let rhs = eval(r, input, env, cx)?;
    let sym = match op {
        Op::Add => "+",
        Op::Sub => "-",
        Op::Mul => "*",
        Op::Div => "/",
        Op::Mod => "%",
        Op::Lt => "<",
        Op::Le => "<=",
        Op::Gt => ">",
        _ => ">=",
    };
    Ok(match op {
        Op::Add | Op::Sub | Op::Mul | Op::Div | Op::Mod => {
            let side = |v: &Option<Val>,
                        code: &str,
                        which: &str|
             -> Result<Option<f64>, JsonataError> {
                match v {
                    None => Ok(None),
                    Some(x) => x.num().map(Some).ok_or_else(|| err(code, format!("The {which} side of the \"{sym}\" operator must evaluate to a number"), pos)),
                }
            };
            let (a, b) = (side(&lhs, "T2001", "left")?, side(&rhs, "T2002", "right")?);
            let (Some(a), Some(b)) = (a, b) else {
                return Ok(None);
            };
            Some(Val::Num(match op {
                Op::Add => a + b,
                Op::Sub => a - b,
                Op::Mul => a * b,
                Op::Div => a / b,
                _ => a % b,
            }))
        }
        Op::Eq | Op::Ne => match (&lhs, &rhs) {
            (Some(a), Some(b)) => Some(Val::Bool(deep_equal(a, b) == (op == Op::Eq))),
            _ => Some(Val::Bool(false)),
        },
        Op::Lt | Op::Le | Op::Gt | Op::Ge => {
            let comparable = |v: &Option<Val>| matches!(v, None | Some(Val::Str(_) | Val::Num(_)));
            if !comparable(&lhs) || !comparable(&rhs) {
                return Err(err(
                    "T2010",
                    format!(
                        "The expressions either side of operator \"{sym}\" must evaluate to numeric or string values"
                    ),
                    pos,
                ));
            }
            let ord = match (&lhs, &rhs) {
                (Some(Val::Num(a)), Some(Val::Num(b))) => a.partial_cmp(b),
                (Some(Val::Str(a)), Some(Val::Str(b))) => Some(js_cmp(a, b)),
                (Some(_), Some(_)) => {
                    return Err(err(
                        "T2009",
                        format!(
                            "The values either side of operator \"{sym}\" must be of the same data type"
                        ),
                        pos,
                    ));
                }
                _ => return Ok(None),
            };
            use std::cmp::Ordering::*;
            Some(Val::Bool(match (op, ord) {
                (_, None) => false,
                (Op::Lt, Some(o)) => o == Less,
                (Op::Le, Some(o)) => o != Greater,
                (Op::Gt, Some(o)) => o == Greater,
                (_, Some(o)) => o != Less,
            }))
        }
        Op::Concat => {
            let s = |v: &Option<Val>| -> Result<String, JsonataError> {
                match v {
                    None => Ok(String::new()),
                    Some(x) => to_string(x).map_err(|e| JsonataError { position: pos, ..e }),
                }
            };
            let (a, b) = (s(&lhs)?, s(&rhs)?);
            bounds::room(a.len() + b.len())?;
            Some(Val::str(&(a + &b)))
        }
        Op::In => match (&lhs, &rhs) {
            (Some(a), Some(b)) => Some(Val::Bool(items(b).iter().any(|x| strict_equal(x, a)))),
            _ => Some(Val::Bool(false)),
        },
        Op::And | Op::Or => None,
    })
}

/// `$string` of a defined value.
pub(crate) fn to_string(v: &Val) -> Result<String, JsonataError> {
    Ok(match v {
        Val::Str(s) => s.to_string(),
        Val::Func(_) => String::new(),
        Val::Num(n) if !n.is_finite() => {
            return Err(err(
                "D3001",
                "Attempting to invoke string function on Infinity or NaN",
                0,
            ));
        }
        Val::Arr(a) if a.outer && !a.items.is_empty() => to_string(&a.items[0])?,
        other => {
            let mut out = String::new();
            stringify(other, &mut out);
            out
        }
    })
}
