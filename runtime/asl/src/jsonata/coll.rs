//! Aggregation, array, object, boolean and higher-order functions (jsonata-js 2.0.6 semantics:
//! which results are sequences, what undefined inputs give, which errors are raised).

use super::Ctx;
use super::bounds;
use super::builtins::append;
use super::eval::{R, apply, arity, err, obj_set};
use super::value::{Func, Obj, Val, deep_equal, items, js_cmp, truthy};
use std::rc::Rc;

pub(crate) const NAMES: &[&str] = &[
    "sum", "count", "max", "min", "average", "map", "filter", "single", "reduce", "sift", "keys",
    "lookup", "append", "exists", "merge", "reverse", "each", "error", "assert", "type", "sort",
    "distinct", "zip", "join", "boolean", "not",
];

fn list(v: &Option<Val>) -> Vec<Val> {
    v.as_ref().map(items).unwrap_or_default()
}
fn nums(v: &Option<Val>) -> Vec<f64> {
    list(v)
        .iter()
        .filter_map(|x| if let Val::Num(n) = x { Some(*n) } else { None })
        .collect()
}
fn func(v: &Option<Val>) -> Option<Rc<Func>> {
    match v {
        Some(Val::Func(f)) => Some(f.clone()),
        _ => None,
    }
}

/// Arguments for a callback: value, then index and the whole input as far as it declares them.
fn hof(f: &Rc<Func>, cx: &Ctx, v: Val, i: Val, whole: &Val) -> R {
    let n = arity(f);
    let mut args = vec![Some(v)];
    if n >= 2 {
        args.push(Some(i));
    }
    if n >= 3 {
        args.push(Some(whole.clone()));
    }
    apply(f, args, &None, cx)
}

pub(crate) fn call(name: &str, a0: Option<Val>, a1: Option<Val>, a2: Option<Val>, cx: &Ctx) -> R {
    let b = |x: bool| Ok(Some(Val::Bool(x)));
    let need_fn = |v: &Option<Val>| {
        func(v).ok_or_else(|| {
            err(
                "T0410",
                format!("Argument 2 of function \"{name}\" does not match function signature"),
                0,
            )
        })
    };
    match name {
        "exists" => b(a0.is_some()),
        "type" => Ok(a0.map(|v| Val::str(v.type_name()))),
        "boolean" => Ok(a0.map(|v| Val::Bool(truthy(&v)))),
        "not" => Ok(a0.map(|v| Val::Bool(!truthy(&v)))),
        "count" => Ok(Some(Val::Num(list(&a0).len() as f64))),
        "append" => Ok(append(a0, a1)),
        "error" => Err(err(
            "D3137",
            a0.and_then(|v| {
                if let Val::Str(s) = v {
                    Some(s.to_string())
                } else {
                    None
                }
            })
            .unwrap_or_else(|| "$error() function evaluated".into()),
            0,
        )),
        "assert" => {
            if a0.as_ref().is_some_and(truthy) {
                return Ok(None);
            }
            Err(err(
                "D3141",
                a1.and_then(|v| {
                    if let Val::Str(s) = v {
                        Some(s.to_string())
                    } else {
                        None
                    }
                })
                .unwrap_or_else(|| "$assert() statement failed".into()),
                0,
            ))
        }
        _ if a0.is_none()
            && name != "zip"
            && name != "each"
            && name != "sift"
            && name != "keys" =>
        {
            Ok(None)
        }
        "sum" => Ok(Some(Val::Num(nums(&a0).iter().sum()))),
        "max" | "min" | "average" => {
            let ns = nums(&a0);
            if ns.is_empty() {
                return Ok(None);
            }
            let r = match name {
                "max" => ns.iter().cloned().fold(f64::NEG_INFINITY, f64::max),
                "min" => ns.iter().cloned().fold(f64::INFINITY, f64::min),
                _ => ns.iter().sum::<f64>() / ns.len() as f64,
            };
            Ok(Some(Val::Num(r)))
        }
        "join" => {
            let sep = match a1 {
                Some(Val::Str(s)) => s.to_string(),
                _ => String::new(),
            };
            let items = list(&a0);
            let strings = items.iter().map(|x| match x {
                Val::Str(s) => s.len(),
                _ => 0,
            });
            bounds::room(strings.sum::<usize>() + sep.len() * items.len())?;
            let parts: Vec<&str> = items
                .iter()
                .map(|x| if let Val::Str(s) = x { &**s } else { "" })
                .collect();
            Ok(Some(Val::str(&parts.join(&sep))))
        }
        "map" | "filter" => {
            let f = need_fn(&a1)?;
            let arr = a0.clone().unwrap_or(Val::Null);
            let mut out = Vec::new();
            for (i, v) in list(&a0).into_iter().enumerate() {
                let r = hof(&f, cx, v.clone(), Val::Num(i as f64), &arr)?;
                if name == "map" {
                    out.extend(r);
                } else if r.as_ref().is_some_and(truthy) {
                    out.push(v);
                }
            }
            Ok(Some(Val::seq(out)))
        }
        "single" => {
            let f = func(&a1);
            let arr = a0.clone().unwrap_or(Val::Null);
            let mut found = None;
            for (i, v) in list(&a0).into_iter().enumerate() {
                let hit = match &f {
                    Some(f) => hof(f, cx, v.clone(), Val::Num(i as f64), &arr)?
                        .as_ref()
                        .is_some_and(truthy),
                    None => true,
                };
                if hit {
                    if found.is_some() {
                        return Err(err(
                            "D3138",
                            "The $single() function expected exactly 1 matching result.  Instead it matched more.",
                            0,
                        ));
                    }
                    found = Some(v);
                }
            }
            found.map(Some).ok_or_else(|| err("D3139", "The $single() function expected exactly 1 matching result.  Instead it matched 0.", 0))
        }
        "reduce" => {
            let f = need_fn(&a1)?;
            let n = arity(&f);
            if n < 2 {
                return Err(err(
                    "D3050",
                    "The second argument of reduce function must be a function with at least two arguments",
                    0,
                ));
            }
            let seq = list(&a0);
            let (mut acc, start) = match a2 {
                None if !seq.is_empty() => (Some(seq[0].clone()), 1),
                init => (init, 0),
            };
            let whole = a0.clone().unwrap_or(Val::Null);
            for (i, v) in seq.iter().enumerate().skip(start) {
                let mut args = vec![acc, Some(v.clone())];
                if n >= 3 {
                    args.push(Some(Val::Num(i as f64)));
                }
                if n >= 4 {
                    args.push(Some(whole.clone()));
                }
                acc = apply(&f, args, &None, cx)?;
            }
            Ok(acc)
        }
        "sift" | "each" => {
            let f = need_fn(&a1)?;
            let Some(Val::Obj(o)) = &a0 else {
                return Ok(None);
            };
            let whole = a0.clone().unwrap_or(Val::Null);
            let mut kept: Obj = Vec::new();
            let mut out = Vec::new();
            for (k, v) in o.iter() {
                let r = hof(&f, cx, v.clone(), Val::str(k), &whole)?;
                if name == "each" {
                    out.extend(r);
                } else if r.as_ref().is_some_and(truthy) {
                    kept.push((k.clone(), v.clone()));
                }
            }
            Ok(if name == "each" {
                Some(Val::seq(out))
            } else if kept.is_empty() {
                None
            } else {
                Some(Val::obj(kept))
            })
        }
        "keys" => {
            let mut out: Vec<String> = Vec::new();
            let mut seen = std::collections::HashSet::new();
            let mut add = |o: &Obj| {
                for (k, _) in o.iter() {
                    if seen.insert(k.clone()) {
                        out.push(k.clone());
                    }
                }
            };
            match &a0 {
                Some(Val::Arr(a)) => a.items.iter().for_each(|x| {
                    if let Val::Obj(o) = x {
                        add(o)
                    }
                }),
                Some(Val::Obj(o)) => add(o),
                _ => {}
            }
            Ok(Some(Val::seq(out.iter().map(|k| Val::str(k)).collect())))
        }
        "lookup" => {
            let key = match &a1 {
                Some(Val::Str(s)) => s.to_string(),
                _ => return Ok(None),
            };
            Ok(a0.as_ref().and_then(|v| super::eval::lookup(v, &key)))
        }
        "merge" => {
            let mut out: Obj = Vec::new();
            for x in list(&a0) {
                if let Val::Obj(o) = x {
                    for (k, v) in o.iter() {
                        cx.deadline.tick()?;
                        obj_set(&mut out, k.clone(), v.clone());
                    }
                }
            }
            Ok(Some(Val::obj(out)))
        }
        "reverse" => {
            let mut l = list(&a0);
            if l.len() <= 1 {
                return Ok(a0);
            }
            l.reverse();
            Ok(Some(Val::arr(l)))
        }
        "distinct" => {
            let Some(Val::Arr(a)) = &a0 else {
                return Ok(a0);
            };
            if a.items.len() <= 1 {
                return Ok(a0);
            }
            let mut out: Vec<Val> = Vec::new();
            for v in &a.items {
                cx.deadline.tick()?;
                if !out.iter().any(|x| deep_equal(x, v)) {
                    out.push(v.clone());
                }
            }
            Ok(Some(if a.seq { Val::seq(out) } else { Val::arr(out) }))
        }
        "sort" => sort(a0, a1, cx),
        "zip" => Err(err(
            "unsupported",
            "$zip is not supported by this evaluator",
            0,
        )),
        _ => Err(err(
            "unsupported",
            format!("JSONata function ${name} is not supported by this evaluator"),
            0,
        )),
    }
}

fn sort(a0: Option<Val>, a1: Option<Val>, cx: &Ctx) -> R {
    let l = list(&a0);
    if l.len() <= 1 {
        return Ok(a0);
    }
    let f = func(&a1);
    if f.is_none() {
        let all_n = l.iter().all(|x| matches!(x, Val::Num(_)));
        let all_s = l.iter().all(|x| matches!(x, Val::Str(_)));
        if !all_n && !all_s {
            return Err(err(
                "D3070",
                "The single argument form of the sort function can only be applied to an array of strings or an array of numbers.  Use the second argument to specify a comparison function",
                0,
            ));
        }
    }
    // JSONata's merge sort: `comp(a, b)` true means b goes first; stable otherwise.
    let mut greater = |a: &Val, b: &Val| -> Result<bool, super::JsonataError> {
        match &f {
            Some(f) => Ok(apply(f, vec![Some(a.clone()), Some(b.clone())], &None, cx)?
                .as_ref()
                .is_some_and(truthy)),
            None => Ok(match (a, b) {
                (Val::Num(x), Val::Num(y)) => x > y,
                (Val::Str(x), Val::Str(y)) => js_cmp(x, y) == std::cmp::Ordering::Greater,
                _ => false,
            }),
        }
    };
    fn msort(
        v: Vec<Val>,
        gt: &mut dyn FnMut(&Val, &Val) -> Result<bool, super::JsonataError>,
    ) -> Result<Vec<Val>, super::JsonataError> {
        if v.len() <= 1 {
            return Ok(v);
        }
        let mut left = v;
        let right = left.split_off(left.len() / 2);
        let (l, r) = (msort(left, gt)?, msort(right, gt)?);
        let mut out = Vec::with_capacity(l.len() + r.len());
        let (mut i, mut j) = (0, 0);
        while i < l.len() && j < r.len() {
            if gt(&l[i], &r[j])? {
                out.push(r[j].clone());
                j += 1;
            } else {
                out.push(l[i].clone());
                i += 1;
            }
        }
        out.extend_from_slice(&l[i..]);
        out.extend_from_slice(&r[j..]);
        Ok(out)
    }
    Ok(Some(Val::arr(msort(l, &mut greater)?)))
}
