//! A small ASL runner in JavaScript for the states the compiler emits, used by
//! `asl_simulate.rs`: Pass (JSONata `Output`; JSONPath `Parameters`, `Result`, `ResultPath`),
//! Choice (JSONPath rules), Map (`ItemsPath`, `ItemSelector`, `ItemProcessor`), Task (Athena
//! faked: a query fails when the scenario lists its KPI (the item's `kpi`), statement (the
//! shared Task state's name after the phase) and day; Retry and Catch), Fail, Succeed, and the intrinsics
//! `States.Format`, `States.Hash`, `States.Base64Decode`. It fails on any payload over 256 KiB.
//! Usage: `node sim.js DEFINITION.json SCENARIO.json` prints a JSON report.

#![allow(dead_code)]

pub const RUNNER: &str = r###"// A small ASL runner for the states the kpi compiler emits: Pass (JSONata Output; JSONPath
// Parameters / Result / ResultPath), Choice
// (JSONPath rules), Map (ItemsPath, ItemSelector, ItemProcessor), Task (fake Athena), Fail,
// Succeed; intrinsics States.Format / States.Hash. Athena is faked: a query fails when its
// (kpi, statement, day) is listed in the scenario.
// usage: node sim.js DEFINITION.json SCENARIO.json  -> prints a JSON report
"use strict";
const fs = require("fs");
const crypto = require("crypto");
const jsonata = require("jsonata");

const def = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const scenario = JSON.parse(fs.readFileSync(process.argv[3], "utf8"));
const queries = [];
const mapRuns = [];
let events = 0;

class StatesError extends Error {
  constructor(name, cause) { super(name); this.name_ = name; this.cause_ = cause; }
}

function jsonPath(path, data, ctx) {
  let root;
  let rest;
  if (path.startsWith("$$")) { root = ctx; rest = path.slice(2); }
  else if (path.startsWith("$")) { root = data; rest = path.slice(1); }
  else throw new Error("bad path " + path);
  const parts = rest.match(/\.[A-Za-z0-9_]+|\[-?\d+\]/g) || [];
  let v = root;
  for (const p of parts) {
    if (v === undefined || v === null) break;
    if (p.startsWith(".")) v = v[p.slice(1)];
    else v = v[parseInt(p.slice(1, -1), 10)];
  }
  if (v === undefined) throw new StatesError("States.Runtime", "path " + path + " not found");
  return v;
}

// Intrinsic functions: a tiny recursive-descent parser over the expression text.
function intrinsic(text, data, ctx) {
  let i = 0;
  const ws = () => { while (text[i] === " ") i++; };
  function value() {
    ws();
    if (text[i] === "'") {
      i++;
      let s = "";
      while (text[i] !== "'") {
        if (i >= text.length) throw new Error("unterminated string in " + text.slice(0, 80));
        if (text[i] === "\\") { s += text[i + 1]; i += 2; } else { s += text[i++]; }
      }
      i++;
      return { lit: s };
    }
    if (text.startsWith("States.", i)) {
      const open = text.indexOf("(", i);
      const name = text.slice(i, open);
      i = open + 1;
      const args = [];
      ws();
      if (text[i] !== ")") {
        for (;;) { args.push(value()); ws(); if (text[i] === ",") { i++; continue; } break; }
      }
      if (text[i] !== ")") throw new Error("expected ) at " + i);
      i++;
      return call(name, args.map((a) => ("lit" in a ? a.lit : a.val)));
    }
    const m = /^\$\$?[A-Za-z0-9_.\[\]-]*/.exec(text.slice(i));
    i += m[0].length;
    return { val: jsonPath(m[0], data, ctx) };
  }
  function call(name, args) {
    if (name === "States.Format") {
      const tpl = args[0];
      // Placeholders are the unescaped {} of the raw template: re-scan with escapes known.
      return { val: formatRaw(tpl, args.slice(1)) };
    }
    if (name === "States.Base64Decode") return { val: Buffer.from(String(args[0]), "base64").toString("utf8") };
    if (name === "States.Hash") return { val: crypto.createHash("sha256").update(String(args[0])).digest("hex") };
    throw new Error("intrinsic not supported: " + name);
  }
  const out = value();
  return "lit" in out ? out.lit : out.val;
}

// The template after unescaping lost the difference between `\{` and `{`; so States.Format
// gets its raw template from a side table filled while parsing (see rawTemplates).
let rawTemplates = [];
function formatRaw(unescaped, args) {
  const raw = rawTemplates.shift();
  let out = "";
  let k = 0;
  for (let j = 0; j < raw.length; j++) {
    const c = raw[j];
    if (c === "\\") { out += raw[j + 1]; j++; }
    else if (c === "{" && raw[j + 1] === "}") { out += String(args[k++]); j++; }
    else out += c;
  }
  if (k !== args.length) throw new StatesError("States.IntrinsicFailure", "argument count");
  return out;
}
function collectRaw(text) {
  // Raw (still escaped) template literals of States.Format calls, in evaluation order
  // (innermost calls are evaluated first, but each call's first argument is its template,
  // and nested calls here never share a template position, so document order works for
  // the shapes the compiler emits: Format inside Hash).
  const found = [];
  let idx = 0;
  while ((idx = text.indexOf("States.Format('", idx)) >= 0) {
    let j = idx + "States.Format('".length;
    let raw = "";
    while (text[j] !== "'") { if (text[j] === "\\") { raw += text[j] + text[j + 1]; j += 2; } else raw += text[j++]; }
    found.push(raw);
    idx = j;
  }
  return found;
}

function template(t, data, ctx) {
  if (Array.isArray(t)) return t.map((x) => template(x, data, ctx));
  if (t === null || typeof t !== "object") return t;
  const out = {};
  for (const [k, v] of Object.entries(t)) {
    if (k.endsWith(".$")) {
      if (v.startsWith("States.")) { rawTemplates = collectRaw(v); out[k.slice(0, -2)] = intrinsic(v, data, ctx); }
      else out[k.slice(0, -2)] = jsonPath(v, data, ctx);
    } else out[k] = template(v, data, ctx);
  }
  return out;
}

function setPath(data, path, value) {
  if (path === "$") return value;
  const keys = path.slice(2).split(".");
  const copy = JSON.parse(JSON.stringify(data));
  let o = copy;
  for (let i = 0; i < keys.length - 1; i++) { o[keys[i]] = o[keys[i]] || {}; o = o[keys[i]]; }
  o[keys[keys.length - 1]] = value;
  return copy;
}

async function ata(expr, input, ctx) {
  const m = /^\{%([\s\S]*)%\}$/.exec(expr);
  if (!m) throw new Error("not JSONata: " + expr.slice(0, 40));
  try {
    return await jsonata(m[1]).evaluate(input, { states: { input, context: ctx } });
  } catch (e) {
    throw new StatesError("States.QueryEvaluationError", e.message);
  }
}

function athena(params, data, state) {
  // Shared Task states `<phase>.<statement>`: the KPI is the item's.
  const [kpi, statement] = [data.kpi, state.slice(state.indexOf(".") + 1)];
  const q = params.QueryString;
  if (q.includes("{}")) throw new Error("unfilled placeholder in " + state);
  if (!/^[0-9a-f]{64}-[A-Za-z0-9_]+$/.test(params.ClientRequestToken) || params.ClientRequestToken.length > 128) throw new Error("bad token " + params.ClientRequestToken);
  queries.push({ kpi, statement, day: data.day, attempt: data.attempt, token: params.ClientRequestToken, hasDay: q.includes(data.day), hasAttempt: q.includes(data.attempt), text: scenario.keepText ? q : undefined });
  for (const f of scenario.fail || []) {
    if (f.kpi === kpi && f.statement === statement && (!f.day || f.day === data.day)) {
      if (f.times !== undefined) { if (f.times <= 0) continue; f.times--; }
      const cause = JSON.stringify({ QueryExecution: { Query: q, Status: { State: "FAILED", StateChangeReason: f.reason || "boom" } } });
      throw new StatesError(f.error || "Athena.AmazonAthenaException", cause);
    }
  }
  return { QueryExecution: { QueryExecutionId: "q-" + queries.length, Query: q, Status: { State: "SUCCEEDED" }, Statistics: { DataScannedInBytes: 1 } } };
}

async function run(states, startAt, input, ctx) {
  let name = startAt;
  let data = input;
  for (;;) {
    const st = states[name];
    if (!st) throw new Error("no state " + name);
    events += 2;
    const size = JSON.stringify(data).length;
    if (size > 262144) throw new Error("payload over 256 KiB at " + name + ": " + size);
    switch (st.Type) {
      case "Pass": {
        if (st.QueryLanguage === "JSONata") { data = await ata(st.Output, data, ctx); break; }
        let result = data;
        try {
          if (st.Parameters) result = template(st.Parameters, data, ctx);
          else if ("Result" in st) result = st.Result;
        } catch (e) {
          // A failed intrinsic or path in a JSONPath Pass fails the execution (no Catch).
          if (e instanceof StatesError) return { status: "FAILED", error: e.name_, cause: e.cause_ };
          throw e;
        }
        data = setPath(data, st.ResultPath || "$", result);
        if (st.OutputPath) data = jsonPath(st.OutputPath, data, ctx);
        break;
      }
      case "Choice": {
        let next = st.Default;
        for (const r of st.Choices) {
          let v;
          try { v = jsonPath(r.Variable, data, ctx); } catch (e) { v = undefined; }
          const ok = ("IsPresent" in r && (v !== undefined) === r.IsPresent)
            || ("StringEquals" in r && v === r.StringEquals)
            || ("BooleanEquals" in r && v === r.BooleanEquals)
            || ("NumericGreaterThan" in r && typeof v === "number" && v > r.NumericGreaterThan);
          if (ok) { next = r.Next; break; }
        }
        name = next;
        continue;
      }
      case "Task": {
        let result;
        const tries = {};
        try {
          for (;;) {
            try {
              const params = template(st.Parameters, data, ctx);
              const raw = athena(params, data, name);
              result = st.ResultSelector ? template(st.ResultSelector, raw, ctx) : raw;
              break;
            } catch (e) {
              if (!(e instanceof StatesError)) throw e;
              const r = (st.Retry || []).findIndex((r) => r.ErrorEquals.includes(e.name_) || r.ErrorEquals.includes("States.ALL"));
              if (r < 0 || (tries[r] || 0) >= st.Retry[r].MaxAttempts) throw e;
              tries[r] = (tries[r] || 0) + 1;
              events += 3;
            }
          }
        } catch (e) {
          if (!(e instanceof StatesError)) throw e;
          const c = (st.Catch || []).find((c) => c.ErrorEquals.includes("States.ALL") || c.ErrorEquals.includes(e.name_));
          if (!c) return { status: "FAILED", error: e.name_, cause: e.cause_ };
          data = setPath(data, c.ResultPath, { Error: e.name_, Cause: e.cause_ });
          name = c.Next;
          continue;
        }
        data = setPath(data, st.ResultPath || "$", result);
        if (st.OutputPath) data = jsonPath(st.OutputPath, data, ctx);
        break;
      }
      case "Map": {
        const items = jsonPath(st.ItemsPath, data, ctx);
        mapRuns.push({ state: name, items: items.length });
        const results = [];
        for (let i = 0; i < items.length; i++) {
          const c = { ...ctx, Map: { Item: { Index: i, Value: items[i] } } };
          const itemInput = template(st.ItemSelector, data, c);
          const r = await run(st.ItemProcessor.States, st.ItemProcessor.StartAt, itemInput, c);
          if (r.status !== "SUCCEEDED") return r;
          results.push(r.output);
        }
        data = setPath(data, st.ResultPath, results);
        break;
      }
      case "Fail":
        return { status: "FAILED", error: st.Error, cause: jsonPath(st.CausePath, data, ctx) };
      case "Succeed":
        return { status: "SUCCEEDED", output: st.OutputPath ? jsonPath(st.OutputPath, data, ctx) : data };
      default:
        throw new Error("state type " + st.Type);
    }
    if (st.End) return { status: "SUCCEEDED", output: data };
    name = st.Next;
  }
}

(async () => {
  const ctx = { Execution: { Id: "arn:aws:states:us-east-1:1:execution:kpi:" + (scenario.name || "run"), StartTime: scenario.startTime || "2024-06-15T10:00:00.000Z" } };
  let out;
  try {
    out = await run(def.States, def.StartAt, scenario.input, ctx);
  } catch (e) {
    out = { status: "CRASHED", error: e.name_ || "Error", cause: e.cause_ || e.message };
  }
  out.queries = queries;
  out.mapRuns = mapRuns;
  out.events = events;
  console.log(JSON.stringify(out));
})();
"###;
