//! The function library: names, JSONata signatures (argument checks, context arguments,
//! wrapping single values into arrays) and dispatch to the implementations.

use super::eval::{R, err};
use super::value::{Func, Val, items};
use super::{Ctx, JsonataError, datetime, funcs, sfn};
use std::rc::Rc;

/// Implemented functions and their JSONata signatures (Step Functions' additions last).
const TABLE: &[(&str, &str)] = &[
    ("sum", "<a<n>:n>"),
    ("count", "<a:n>"),
    ("max", "<a<n>:n>"),
    ("min", "<a<n>:n>"),
    ("average", "<a<n>:n>"),
    ("string", "<x-b?:s>"),
    ("substring", "<s-nn?:s>"),
    ("substringBefore", "<s-s:s>"),
    ("substringAfter", "<s-s:s>"),
    ("lowercase", "<s-:s>"),
    ("uppercase", "<s-:s>"),
    ("length", "<s-:n>"),
    ("trim", "<s-:s>"),
    ("pad", "<s-ns?:s>"),
    ("match", "<s-fn?:a>"),
    ("contains", "<s-(sf):b>"),
    ("replace", "<s-(sf)(sf)n?:s>"),
    ("split", "<s-(sf)n?:a>"),
    ("join", "<a<s>s?:s>"),
    ("formatNumber", "<n-so?:s>"),
    ("number", "<(nsb)-:n>"),
    ("floor", "<n-:n>"),
    ("ceil", "<n-:n>"),
    ("round", "<n-n?:n>"),
    ("abs", "<n-:n>"),
    ("sqrt", "<n-:n>"),
    ("power", "<n-n:n>"),
    ("boolean", "<x-:b>"),
    ("not", "<x-:b>"),
    ("map", "<af>"),
    ("zip", "<a+>"),
    ("filter", "<af>"),
    ("single", "<af?>"),
    ("reduce", "<afj?:j>"),
    ("sift", "<o-f?:o>"),
    ("keys", "<x-:a>"),
    ("lookup", "<x-s:x>"),
    ("append", "<xx:a>"),
    ("exists", "<x:b>"),
    ("merge", "<a<o>:o>"),
    ("reverse", "<a:a>"),
    ("each", "<o-f:a>"),
    ("error", "<s?:x>"),
    ("assert", "<bs?:x>"),
    ("type", "<x:s>"),
    ("sort", "<af?:a>"),
    ("distinct", "<x:x>"),
    ("base64encode", "<s-:s>"),
    ("base64decode", "<s-:s>"),
    ("toMillis", "<s-s?:n>"),
    ("fromMillis", "<n-s?s?:s>"),
    ("now", "<s?s?:s>"),
    ("millis", "<:n>"),
    ("partition", "<an:a>"),
    ("range", "<nnn?:a>"),
    ("hash", "<ss?:s>"),
    ("random", "<n?:n>"),
    ("uuid", "<:s>"),
    ("parse", "<s:x>"),
];

/// JSONata 2.0.6 functions this evaluator does not implement (an error names them).
const MISSING: &[&str] = &[
    "formatBase",
    "formatInteger",
    "parseInteger",
    "shuffle",
    "spread",
    "clone",
    "encodeUrl",
    "encodeUrlComponent",
    "decodeUrl",
    "decodeUrlComponent",
];

pub(crate) fn lookup(name: &str, _cx: &Ctx) -> Option<Val> {
    TABLE
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(n, _)| Val::Func(Rc::new(Func::Builtin(n))))
}

pub(crate) fn unsupported(name: &str) -> Option<JsonataError> {
    MISSING.contains(&name).then(|| {
        err(
            "unsupported",
            format!("JSONata function ${name} is not supported by this evaluator"),
            0,
        )
    })
}

struct Param {
    types: String,
    sub: Option<char>,
    context: bool,
    optional: bool,
    variadic: bool,
}

/// The parameters of a signature of `TABLE` (or the catch-all `<x*>`), parsed once: a
/// builtin called 100,000 times from `$map` would otherwise parse its signature each time.
fn params(sig: &str) -> &'static [Param] {
    use std::collections::HashMap;
    use std::sync::LazyLock;
    static PARSED: LazyLock<HashMap<&'static str, Vec<Param>>> = LazyLock::new(|| {
        TABLE
            .iter()
            .map(|(_, s)| *s)
            .chain(["<x*>"])
            .map(|s| (s, parse_params(s)))
            .collect()
    });
    PARSED.get(sig).map_or(&[], Vec::as_slice)
}

fn parse_params(sig: &str) -> Vec<Param> {
    let mut out: Vec<Param> = Vec::new();
    let mut it = sig.trim_start_matches('<').chars().peekable();
    while let Some(c) = it.next() {
        match c {
            ':' | '>' => break,
            '(' => {
                let mut types = String::new();
                for t in it.by_ref() {
                    if t == ')' {
                        break;
                    }
                    types.push(t);
                }
                out.push(Param {
                    types,
                    sub: None,
                    context: false,
                    optional: false,
                    variadic: false,
                });
            }
            '<' => {
                let sub = it.next();
                for t in it.by_ref() {
                    if t == '>' {
                        break;
                    }
                }
                if let Some(p) = out.last_mut() {
                    p.sub = sub;
                }
            }
            '-' | '?' | '+' => {
                if let Some(p) = out.last_mut() {
                    match c {
                        '-' => p.context = true,
                        '?' => p.optional = true,
                        _ => p.variadic = true,
                    }
                }
            }
            t => out.push(Param {
                types: t.to_string(),
                sub: None,
                context: false,
                optional: false,
                variadic: false,
            }),
        }
    }
    out
}

fn symbol(v: &Option<Val>) -> char {
    match v {
        None => 'm',
        Some(Val::Null) => 'l',
        Some(Val::Bool(_)) => 'b',
        Some(Val::Num(_)) => 'n',
        Some(Val::Str(_)) => 's',
        Some(Val::Arr(_)) => 'a',
        Some(Val::Obj(_)) => 'o',
        Some(Val::Func(_)) => 'f',
    }
}

fn accepts(p: &Param, sym: char) -> bool {
    sym == 'm'
        || p.types.contains('x')
        || (p.types.contains('j') && sym != 'f')
        || p.types.contains(sym)
}

fn validate(
    name: &str,
    sig: &str,
    mut args: Vec<Option<Val>>,
    input: &Option<Val>,
) -> Result<Vec<Option<Val>>, JsonataError> {
    let ps = params(sig);
    let mismatch = |i: usize| {
        err(
            "T0410",
            format!(
                "Argument {} of function \"{name}\" does not match function signature",
                i + 1
            ),
            0,
        )
    };
    let required = ps.iter().filter(|p| !p.optional).count();
    let context_at = ps.iter().position(|p| p.context);
    if let Some(ci) = context_at.filter(|ci| args.len() < required && *ci <= args.len()) {
        {
            {
                if !accepts(&ps[ci], symbol(input)) {
                    return Err(err(
                        "T0411",
                        format!(
                            "Context value is not a compatible type with argument {} of function \"{name}\"",
                            ci + 1
                        ),
                        0,
                    ));
                }
                args.insert(ci, input.clone());
            }
        }
    }
    let variadic = ps.last().is_some_and(|p| p.variadic);
    if args.len() > ps.len() && !variadic {
        return Err(mismatch(ps.len()));
    }
    if args.len() < required && args.len() < ps.len() {
        return Err(mismatch(args.len()));
    }
    for (i, arg) in args.iter_mut().enumerate() {
        let Some(p) = ps.get(i).or(ps.last()) else {
            break;
        };
        let sym = symbol(arg);
        if accepts(p, sym) {
            if let (Some(sub), Some(Val::Arr(a))) = (p.sub, arg.as_ref())
                && a.items.iter().any(|x| symbol(&Some(x.clone())) != sub)
            {
                {
                    return Err(err(
                        "T0412",
                        format!(
                            "Argument {} of function ${name} must be an array of {}",
                            i + 1,
                            kind(sub)
                        ),
                        0,
                    ));
                }
            }
            continue;
        }
        if p.types.contains('a') {
            if p.sub.is_some_and(|s| s != sym) {
                return Err(err(
                    "T0412",
                    format!(
                        "Argument {} of function ${name} must be an array of {}",
                        i + 1,
                        kind(p.sub.unwrap_or('x'))
                    ),
                    0,
                ));
            }
            *arg = arg.take().map(|v| Val::arr(vec![v]));
            continue;
        }
        return Err(mismatch(i));
    }
    Ok(args)
}

fn kind(c: char) -> &'static str {
    match c {
        'n' => "numbers",
        's' => "strings",
        'o' => "objects",
        'b' => "booleans",
        _ => "values",
    }
}

/// Declared parameter count (what a higher-order function passes to a builtin callback).
pub(crate) fn arity(name: &str) -> usize {
    TABLE
        .iter()
        .find(|(n, _)| *n == name)
        .map_or(1, |(_, s)| params(s).len())
}

/// `fn.append`: concatenates, treating a non-array as a one-item list; undefined is neutral.
pub(crate) fn append(a: Option<Val>, b: Option<Val>) -> Option<Val> {
    match (a, b) {
        (None, b) => b,
        (a, None) => a,
        (Some(a), Some(b)) => {
            let mut list = items(&a);
            list.extend(items(&b));
            Some(Val::arr(list))
        }
    }
}

pub(crate) fn call(name: &str, args: Vec<Option<Val>>, input: &Option<Val>, cx: &Ctx) -> R {
    let sig = TABLE
        .iter()
        .find(|(n, _)| *n == name)
        .map_or("<x*>", |(_, s)| s);
    let a = validate(name, sig, args, input)?;
    let arg = |i: usize| a.get(i).cloned().flatten();
    match name {
        "toMillis" | "fromMillis" | "now" | "millis" => {
            datetime::call(name, arg(0), arg(1), arg(2), cx)
        }
        "partition" | "range" | "hash" | "random" | "uuid" | "parse" => {
            sfn::call(name, arg(0), arg(1), arg(2), cx)
        }
        _ => funcs::call(name, arg(0), arg(1), arg(2), &a, cx),
    }
}
