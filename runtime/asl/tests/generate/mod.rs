//! A seed into a state machine definition and an input: a few states of every type, any of
//! which may loop, Map and Parallel nested three deep, payload templates of random intrinsic
//! calls, random JSONata expressions, and inputs that are large, deep or of the wrong type.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde_json::{Map, Value, json};

/// A seeded generator. A machine either loops (any state may lead back, a Catch may retry
/// from anywhere) with cheap expressions and payloads, or runs forward only with heavy ones:
/// both bounded, but a heavy expression on each of 12,500 looping visits would take an hour,
/// on AWS as here.
pub struct Gen {
    rng: SmallRng,
    names: usize,
    loops: bool,
}

impl Gen {
    /// The generator of one seed: looping, or running forward only.
    pub fn new(seed: u64, loops: bool) -> Gen {
        Gen {
            rng: SmallRng::seed_from_u64(seed),
            names: 0,
            loops,
        }
    }
}

impl Gen {
    fn below(&mut self, n: usize) -> usize {
        self.rng.random_range(0..n.max(1))
    }
    pub fn chance(&mut self, p: f64) -> bool {
        self.rng.random_bool(p)
    }
    pub fn pick<T: Clone>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len())].clone()
    }

    /// A machine of a few states, any of which may lead back to another (loops).
    pub fn machine(&mut self, depth: usize, jsonata: bool) -> Value {
        let n = 1 + self.below(5);
        let base = self.names;
        self.names += n;
        let names: Vec<String> = (base..base + n).map(|i| format!("S{i}")).collect();
        let mut states = Map::new();
        for (i, name) in names.iter().enumerate() {
            states.insert(name.clone(), self.state(&names, i, depth, jsonata));
        }
        let mut m = json!({"StartAt": names[0], "States": states});
        if jsonata {
            m["QueryLanguage"] = json!("JSONata");
        }
        m
    }

    /// A state this one may go to: any, when the machine loops; a later one otherwise.
    fn target(&mut self, names: &[String], i: usize) -> Option<String> {
        let from = if self.loops { 0 } else { i + 1 };
        (from < names.len()).then(|| self.pick(&names[from..]))
    }

    fn transition(&mut self, names: &[String], i: usize, s: &mut Value) {
        if i + 1 < names.len() && self.chance(0.6) {
            s["Next"] = json!(names[i + 1]);
        } else if let Some(t) = self.target(names, i).filter(|_| self.chance(0.3)) {
            s["Next"] = json!(t);
        } else {
            s["End"] = json!(true);
        }
    }

    fn state(&mut self, names: &[String], i: usize, depth: usize, jsonata: bool) -> Value {
        let kind = if depth >= 3 {
            self.below(5)
        } else {
            self.below(8)
        };
        let mut s = match kind {
            0 | 1 => self.pass(jsonata),
            2 if self.target(names, i).is_some() => self.choice(names, i, jsonata),
            2 => json!({"Type": "Succeed"}),
            3 => self.wait(jsonata),
            4 if self.chance(0.5) => json!({"Type": "Succeed"}),
            4 => json!({"Type": "Fail", "Error": "Gen.Fail", "Cause": "generated"}),
            5 | 6 => self.map(depth, jsonata),
            _ => self.parallel(depth, jsonata),
        };
        if matches!(s["Type"].as_str(), Some("Map" | "Parallel")) && self.chance(0.5) {
            s["Retry"] = json!([{"ErrorEquals": ["States.ALL"], "MaxAttempts": self.below(4),
                "IntervalSeconds": self.pick(&[1, 60, 99_999_999]),
                "BackoffRate": self.pick(&[1.0, 2.0, 1000.0])}]);
            if let Some(t) = self.target(names, i).filter(|_| self.chance(0.5)) {
                s["Catch"] = json!([{"ErrorEquals": ["States.ALL"], "Next": t}]);
            }
        }
        if !matches!(s["Type"].as_str(), Some("Succeed" | "Fail" | "Choice")) {
            self.transition(names, i, &mut s);
        }
        s
    }

    fn pass(&mut self, jsonata: bool) -> Value {
        if jsonata {
            let mut out = Map::new();
            for k in 0..1 + self.below(3) {
                out.insert(
                    format!("k{k}"),
                    json!(format!("{{% {} %}}", self.jsonata(0))),
                );
            }
            let mut s = json!({"Type": "Pass", "Output": out});
            if self.chance(0.3) {
                s["Assign"] = json!({"v": format!("{{% {} %}}", self.jsonata(0))});
            }
            return s;
        }
        let mut params = Map::new();
        for k in 0..1 + self.below(3) {
            let v = if self.chance(0.6) {
                self.intrinsic(0)
            } else {
                self.path()
            };
            params.insert(format!("k{k}.$"), json!(v));
        }
        let mut s = json!({"Type": "Pass", "Parameters": params});
        match self.below(4) {
            0 => s["ResultPath"] = json!("$.r"),
            1 => s["ResultPath"] = Value::Null,
            _ => {}
        }
        s
    }

    fn choice(&mut self, names: &[String], i: usize, jsonata: bool) -> Value {
        let next = self.target(names, i).unwrap_or_default();
        let default = self.target(names, i).unwrap_or_default();
        let rule = if jsonata {
            json!({"Condition": format!("{{% {} %}}", self.jsonata(0)), "Next": next})
        } else if self.chance(0.5) {
            json!({"Variable": "$.n", "NumericLessThan": self.pick(&[0, 5, 100]), "Next": next})
        } else {
            json!({"Variable": "$.s", "IsPresent": true, "Next": next})
        };
        json!({"Type": "Choice", "Choices": [rule], "Default": default})
    }

    fn wait(&mut self, jsonata: bool) -> Value {
        match (jsonata, self.below(3)) {
            (true, 0) => json!({"Type": "Wait", "Timestamp": "{% $states.input.s %}"}),
            (true, _) => json!({"Type": "Wait", "Seconds": format!("{{% {} %}}", self.jsonata(0))}),
            (false, 0) => json!({"Type": "Wait", "SecondsPath": self.path()}),
            (false, 1) => json!({"Type": "Wait", "TimestampPath": "$.s"}),
            (false, _) => json!({"Type": "Wait", "Seconds": self.pick(&[0, 5, 99_999_999])}),
        }
    }

    fn map(&mut self, depth: usize, jsonata: bool) -> Value {
        let mode = self.pick(&["INLINE", "DISTRIBUTED"]);
        let mut processor = self.machine(depth + 1, jsonata);
        processor.as_object_mut().unwrap().remove("QueryLanguage");
        processor["ProcessorConfig"] = json!({"Mode": mode, "ExecutionType": "STANDARD"});
        let mut s = json!({"Type": "Map", "ItemProcessor": processor,
            "MaxConcurrency": self.pick(&[0, 1, 2])});
        if jsonata {
            // Many items only at the top: under a distributed Map each child has a budget of
            // its own, and 3,000 children of 3,000 items each would run 9 million iterations.
            let items = match (
                self.loops || mode == "DISTRIBUTED" || depth > 0,
                self.below(4),
            ) {
                (_, 0) => "$states.input.items",
                (_, 1) => "[1..3]",
                (true, _) => "$range(1, 20)",
                (false, _) => "[1..3000]",
            };
            s["Items"] = json!(format!("{{% {items} %}}"));
        } else if depth == 0 || self.loops {
            s["ItemsPath"] = json!(self.pick(&["$.items", "$.n", "$.deep"]));
        } else {
            s["ItemsPath"] = json!(self.pick(&["$.items[0:5]", "$.n"]));
        }
        s
    }

    fn parallel(&mut self, depth: usize, jsonata: bool) -> Value {
        let branches: Vec<Value> = (0..1 + self.below(3))
            .map(|_| {
                let mut b = self.machine(depth + 1, jsonata);
                b.as_object_mut().unwrap().remove("QueryLanguage");
                b
            })
            .collect();
        json!({"Type": "Parallel", "Branches": branches})
    }

    fn path(&mut self) -> String {
        self.pick(&[
            "$",
            "$.n",
            "$.s",
            "$.items",
            "$.items[0]",
            "$.big",
            "$.deep",
            "$.missing",
            "$$.Execution.Input",
            "$.items[?(@ > 2)]",
        ])
        .to_string()
    }

    /// An intrinsic call, now and then nested past the 10 levels Step Functions allows.
    fn intrinsic(&mut self, depth: usize) -> String {
        let arg = |g: &mut Gen| -> String {
            if depth < 12 && g.chance(0.35) {
                g.intrinsic(depth + 1)
            } else if g.chance(0.5) {
                g.path()
            } else {
                g.pick(&[
                    "1",
                    "-7",
                    "2.5",
                    "9223372036854775807",
                    "'x'",
                    "'a,b,c'",
                    "null",
                    "true",
                ])
                .to_string()
            }
        };
        let (a, b) = (arg(self), arg(self));
        match self.below(15) {
            0 => format!("States.Format('{{}} and {{}}', {a}, {b})"),
            1 => format!("States.MathAdd({a}, {b})"),
            2 => format!("States.Array({a}, {b})"),
            3 => format!("States.ArrayLength({a})"),
            4 => format!("States.ArrayUnique({a})"),
            5 => format!(
                "States.ArrayPartition({a}, {})",
                self.pick(&[1, 3, 9223372036854775807i64])
            ),
            6 => format!(
                "States.ArrayRange({}, {}, {})",
                self.pick(&[0, -5, 9223372036854775800i64]),
                self.pick(&[10, 2000, 9223372036854775807i64]),
                self.pick(&[1, 7, -1, 0])
            ),
            7 => format!("States.JsonToString({a})"),
            8 => format!("States.StringToJson({a})"),
            9 => format!("States.Base64Encode({a})"),
            10 => format!("States.Hash({a}, 'SHA-256')"),
            11 => format!("States.StringSplit({a}, ',')"),
            12 => format!("States.ArrayContains({a}, {b})"),
            13 => format!(
                "States.ArrayGetItem({a}, {})",
                self.pick(&[0, 1, 9223372036854775807i64])
            ),
            _ => format!("States.JsonMerge({a}, {b}, false)"),
        }
    }

    /// A JSONata expression: operators, functions, constructors, lambdas, deep nesting and
    /// values that grow past the memory bound.
    fn jsonata(&mut self, depth: usize) -> String {
        if depth > 3 || self.chance(0.25) {
            return self
                .pick(&[
                    "1",
                    "-2.5",
                    "'ab'",
                    "$states.input.n",
                    "$states.input.s",
                    "$states.input.items",
                    "$states.input.big",
                    "$v",
                    "$",
                    "null",
                    "true",
                    "$states.context.Execution.RedriveCount",
                ])
                .to_string();
        }
        let mut sub = || self.jsonata(depth + 1);
        let (a, b) = (sub(), sub());
        // Heavy shapes (large ranges, strings near the memory bound) only run forward.
        let heavy = !self.loops;
        let big = |g: &mut Gen, cheap: usize, costly: usize| {
            if heavy && g.chance(0.5) {
                costly
            } else {
                cheap
            }
        };
        match self.below(18) {
            0 => format!("({a} + {b})"),
            1 => format!("({a} & {b})"),
            2 => format!("({a} = {b})"),
            3 => format!("$string({a})"),
            4 => format!("$length($string({a}))"),
            5 => format!(
                "$pad($string({a}), {})",
                self.pick(&[
                    "5",
                    "1000",
                    if heavy { "1e6" } else { "50" },
                    "1e12",
                    "-1e12"
                ])
            ),
            6 => format!(
                "$join($map([1..{}], function($x) {{ $string($x) }}), {b})",
                big(self, 30, 20_000)
            ),
            7 => format!(
                "$reduce([1..{}], function($acc, $x) {{ $acc & {a} }}, '')",
                self.pick(&[3, 30])
            ),
            8 => format!(
                "$count([1..{}])",
                self.pick(&[
                    "10",
                    if heavy { "873782" } else { "1000" },
                    "900000",
                    "20000000"
                ])
            ),
            9 => format!("[{a}, {b}]"),
            10 => format!("{{'k': {a}, 'm': {b}}}"),
            11 => format!("({a} ? {b} : 0)"),
            12 => format!("($x := {a}; [$x, $x])"),
            13 => format!("$range(1, {})", self.pick(&[1, 5, 2000])),
            14 => {
                let k = self.pick(&[10, 150, 300, 5000]);
                format!("{}{a}{}", "(".repeat(k), ")".repeat(k))
            }
            15 => {
                let n = big(self, 8, 20);
                format!(
                    "($d := function($s, $n) {{ $n = 0 ? $s : $d($s & $s, $n - 1) }}; $length($d('x', {})))",
                    self.pick(&[3, n, 24])
                )
            }
            16 => format!(
                "($f := function($n) {{ $n <= 0 ? 0 : 1 + $f($n - 1) }}; $f({}))",
                self.pick(&[10, 90, 500])
            ),
            _ => format!("$sum($append({a}, {b}))"),
        }
    }

    pub fn input(&mut self) -> Value {
        let n = self.pick(&[
            json!(0),
            json!(3),
            json!(-1),
            json!(1.5),
            json!(i64::MAX),
            json!("7"),
        ]);
        let large = if self.loops { 2_000 } else { 300_000 };
        let s = match self.below(5) {
            0 => json!("x".repeat(self.pick(&[large / 3, large]))),
            1 => json!("2020-01-01T00:00:00Z"),
            _ => json!("a,b,c"),
        };
        let items: Value = match self.below(4) {
            0 => json!(
                (0..self.pick(&[20, if self.loops { 100 } else { 3000 }])).collect::<Vec<_>>()
            ),
            1 => json!({"not": "an array"}),
            _ => json!([1, 2, 3, {"k": "v"}, [4]]),
        };
        let mut input = json!({"n": n, "s": s, "items": items});
        if self.chance(0.2) {
            input["big"] = json!("y".repeat(self.pick(&[large / 6, large * 2 / 3])));
        }
        // A deep input costs an allocation per level each time it is copied: forward only.
        if !self.loops && self.chance(0.3) {
            let mut deep = json!(0);
            for _ in 0..self.pick(&[50, 990, 1500]) {
                deep = json!([deep]);
            }
            input["deep"] = deep;
        }
        input
    }
}
