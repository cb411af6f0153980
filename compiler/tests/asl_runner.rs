//! A small ASL runner in JavaScript for the states the compiler emits, used by
//! `asl_simulate.rs` as an oracle independent of the Rust interpreter and its JSONata (it runs
//! the `jsonata` package): Pass (JSONata `Output`; JSONPath `Parameters`, `Result`,
//! `ResultPath`, `OutputPath`), Choice (JSONPath rules), Map (`ItemsPath`, `ItemSelector` or
//! none, `ItemProcessor`), Task in both languages (Retry, Catch with `ResultPath` or `Output`),
//! Fail, Succeed, and the intrinsics `States.Format`, `States.Hash`, `States.Base64Decode`.
//! Athena and Glue are faked from the scenario: queries fail when it lists their KPI,
//! statement and a day of their chunk; checks fail or leave days out; Glue holds partitions,
//! answers per-entry errors, and knows which source partitions exist. It fails on any payload
//! over 256 KiB. Usage: `node sim.js DEFINITION.json SCENARIO.json` prints a JSON report.

#![allow(dead_code)]

pub const RUNNER: &str = r###"// A small ASL runner for the states the kpi compiler emits, with Athena and Glue faked.
// usage: node sim.js DEFINITION.json SCENARIO.json  -> prints a JSON report
"use strict";
const fs = require("fs");
const crypto = require("crypto");
const jsonata = require("jsonata");

const def = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const scenario = JSON.parse(fs.readFileSync(process.argv[3], "utf8"));
const queries = [];
const glue = [];
const mapRuns = [];
const partitions = {};
for (const p of scenario.existing || []) (partitions[p.kpi] = partitions[p.kpi] || {})[p.day] = { old: true };
let unprocessed = scenario.unprocessed || 0;
let events = 0;

class StatesError extends Error {
  constructor(name, cause) { super(name); this.name_ = name; this.cause_ = cause; }
}

function dayNum(d) { return Date.parse(d + "T00:00:00Z") / 86400000; }
function dayOf(n) { return new Date(n * 86400000).toISOString().slice(0, 10); }
function daysOf(first, last) { const out = []; for (let n = dayNum(first); n <= dayNum(last); n++) out.push(dayOf(n)); return out; }

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

// Intrinsic functions: a tiny recursive-descent parser over the expression text; each
// States.Format reads its template raw, so escaped braces stay text.
function intrinsic(text, data, ctx) {
  let i = 0;
  const ws = () => { while (text[i] === " ") i++; };
  function value() {
    ws();
    if (text[i] === "'") {
      i++;
      let raw = "";
      while (text[i] !== "'") {
        if (i >= text.length) throw new Error("unterminated string in " + text.slice(0, 80));
        if (text[i] === "\\") { raw += text[i] + text[i + 1]; i += 2; } else { raw += text[i++]; }
      }
      i++;
      return { raw };
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
      return { val: call(name, args) };
    }
    const m = /^\$\$?[A-Za-z0-9_.\[\]-]*/.exec(text.slice(i));
    i += m[0].length;
    return { val: jsonPath(m[0], data, ctx) };
  }
  const unescape = (raw) => raw.replace(/\\(.)/g, "$1");
  const plain = (a) => ("raw" in a ? unescape(a.raw) : a.val);
  function call(name, args) {
    if (name === "States.Format") {
      const raw = args[0].raw;
      const rest = args.slice(1).map(plain);
      let out = "";
      let k = 0;
      for (let j = 0; j < raw.length; j++) {
        const c = raw[j];
        if (c === "\\") { out += raw[j + 1]; j++; }
        else if (c === "{" && raw[j + 1] === "}") { out += String(rest[k++]); j++; }
        else out += c;
      }
      if (k !== rest.length) throw new StatesError("States.IntrinsicFailure", "argument count");
      return out;
    }
    if (name === "States.Base64Decode") return Buffer.from(String(plain(args[0])), "base64").toString("utf8");
    if (name === "States.Hash") return crypto.createHash("sha256").update(String(plain(args[0]))).digest("hex");
    throw new Error("intrinsic not supported: " + name);
  }
  return plain(value());
}

function template(t, data, ctx) {
  if (Array.isArray(t)) return t.map((x) => template(x, data, ctx));
  if (t === null || typeof t !== "object") return t;
  const out = {};
  for (const [k, v] of Object.entries(t)) {
    if (k.endsWith(".$")) out[k.slice(0, -2)] = v.startsWith("States.") ? intrinsic(v, data, ctx) : jsonPath(v, data, ctx);
    else out[k] = template(v, data, ctx);
  }
  return out;
}

function setPath(data, path, value) {
  if (path === null) return data;
  if (path === undefined || path === "$") return value;
  const keys = path.slice(2).split(".");
  const copy = JSON.parse(JSON.stringify(data));
  let o = copy;
  for (let i = 0; i < keys.length - 1; i++) { o[keys[i]] = o[keys[i]] || {}; o = o[keys[i]]; }
  o[keys[keys.length - 1]] = value;
  return copy;
}

async function ata(expr, states) {
  const m = /^\{%([\s\S]*)%\}$/.exec(expr);
  if (!m) throw new Error("not JSONata: " + expr.slice(0, 40));
  let v;
  try { v = await jsonata(m[1]).evaluate(undefined, { states }); } catch (e) {
    throw new StatesError("States.QueryEvaluationError", e.message);
  }
  if (v === undefined) throw new StatesError("States.QueryEvaluationError", "no value: " + expr.slice(0, 60));
  return JSON.parse(JSON.stringify(v));
}

async function ataFields(t, states) {
  if (typeof t === "string") return /^\{%[\s\S]*%\}$/.test(t) ? await ata(t, states) : t;
  if (Array.isArray(t)) { const out = []; for (const x of t) out.push(await ataFields(x, states)); return out; }
  if (t === null || typeof t !== "object") return t;
  const out = {};
  for (const [k, v] of Object.entries(t)) out[k] = await ataFields(v, states);
  return out;
}

function inChunk(f, data) { return !f.day || (f.day >= data.first && f.day <= data.last); }

function athena(params, data, state) {
  const [kpi, statement] = [data.kpi, state.slice(state.indexOf(".") + 1)];
  const q = params.QueryString;
  if (q.includes("{}")) throw new Error("unfilled placeholder in " + state);
  if (!/^[0-9a-f]{64}-[A-Za-z0-9_]+$/.test(params.ClientRequestToken) || params.ClientRequestToken.length > 128) throw new Error("bad token " + params.ClientRequestToken);
  queries.push({ kpi, statement, first: data.first, last: data.last, attempt: data.attempt, token: params.ClientRequestToken, text: scenario.keepText ? q : undefined });
  const id = "q-" + queries.length;
  for (const f of scenario.fail || []) {
    if (f.kpi === kpi && f.statement === statement && inChunk(f, data)) {
      if (f.times !== undefined) { if (f.times <= 0) continue; f.times--; }
      const cause = JSON.stringify({ QueryExecution: { QueryExecutionId: id, Query: q, Status: { State: "FAILED", StateChangeReason: f.reason || "boom" } } });
      throw new StatesError(f.error || "Athena.AmazonAthenaException", cause);
    }
  }
  return { QueryExecution: { QueryExecutionId: id, Query: q, Status: { State: "SUCCEEDED" }, Statistics: { DataScannedInBytes: 1 } } };
}

function service(resource, args) {
  const name = resource.slice(resource.lastIndexOf(":") + 1);
  glue.push({ call: name, args });
  if (name === "getQueryResults") {
    const q = queries[parseInt(args.QueryExecutionId.slice(2), 10) - 1];
    const cell = (v) => ({ VarCharValue: v });
    const rows = [{ Data: [cell("dt"), cell("rows"), cell("failure")] }];
    daysOf(q.first, q.last).forEach((d, i) => {
      if ((scenario.missingRows || []).some((m) => m.kpi === q.kpi && m.day === d)) return;
      const f = (scenario.checkFailures || []).find((c) => c.kpi === q.kpi && c.day === d);
      rows.push({ Data: [cell(d), cell(String(i + 1)), f ? cell(f.failure) : {}] });
    });
    return { ResultSet: { Rows: rows, ResultSetMetadata: { ColumnInfo: [] } }, UpdateCount: 0 };
  }
  if (name === "getTable") {
    return { Table: { Name: args.Name, DatabaseName: args.DatabaseName, StorageDescriptor: { Columns: [{ Name: "company_id", Type: "bigint", Comment: "c" }, { Name: "n", Type: "bigint" }], Location: "s3://x/" + args.Name + "/", InputFormat: "in", OutputFormat: "out", SerdeInfo: { SerializationLibrary: "serde" } } } };
  }
  if (name === "batchGetPartition") {
    const table = args.DatabaseName + "." + args.TableName;
    let keys = args.PartitionsToGet.slice();
    const left = [];
    if (unprocessed > 0 && keys.length > 1) { unprocessed--; left.push(keys.pop()); }
    const missing = (scenario.missing || []).filter((m) => m.table === table).map((m) => m.day);
    return { Partitions: keys.filter((k) => !missing.includes(k.Values[0])).map((k) => ({ Values: k.Values, StorageDescriptor: { Location: "s3://x/" + k.Values[0] } })), UnprocessedKeys: left };
  }
  const kpi = args.TableName;
  const held = (partitions[kpi] = partitions[kpi] || {});
  const errorFor = (day, call) => (scenario.glueErrors || []).find((g) => g.kpi === kpi && g.day === day && g.call === call);
  const errors = [];
  if (name === "batchCreatePartition") {
    if (args.PartitionInputList.length > 100) throw new Error("more than 100 partitions in one call");
    for (const p of args.PartitionInputList) {
      const day = p.Values[0];
      const e = errorFor(day, "create");
      if (e) errors.push({ PartitionValues: [day], ErrorDetail: { ErrorCode: e.code, ErrorMessage: e.message } });
      else if (held[day]) errors.push({ PartitionValues: [day], ErrorDetail: { ErrorCode: "AlreadyExistsException", ErrorMessage: "exists" } });
      else held[day] = p;
    }
    return { Errors: errors };
  }
  if (name === "batchUpdatePartition") {
    if (args.Entries.length > 100) throw new Error("more than 100 partitions in one call");
    for (const e of args.Entries) {
      const day = e.PartitionValueList[0];
      if (held[day]) held[day] = e.PartitionInput;
      else errors.push({ PartitionValueList: [day], ErrorDetail: { ErrorCode: "EntityNotFoundException", ErrorMessage: "gone" } });
    }
    return { Errors: errors };
  }
  throw new Error("resource not faked: " + resource);
}

function catches(c, name) {
  return c.ErrorEquals.includes("States.ALL") || c.ErrorEquals.includes(name) || (c.ErrorEquals.includes("States.TaskFailed") && name !== "States.Timeout");
}

async function task(st, name, data, ctx) {
  const tries = {};
  for (;;) {
    try {
      if (st.QueryLanguage === "JSONata") {
        const args = await ataFields(st.Arguments, { input: data, context: ctx });
        const result = service(st.Resource, args);
        return st.Output ? await ata(st.Output, { input: data, result, context: ctx }) : result;
      }
      const params = template(st.Parameters, data, ctx);
      const raw = athena(params, data, name);
      const result = st.ResultSelector ? template(st.ResultSelector, raw, ctx) : raw;
      let out = setPath(data, st.ResultPath, result);
      if (st.OutputPath) out = jsonPath(st.OutputPath, out, ctx);
      return out;
    } catch (e) {
      if (!(e instanceof StatesError)) throw e;
      const r = (st.Retry || []).findIndex((r) => catches(r, e.name_));
      if (r < 0 || (tries[r] || 0) >= st.Retry[r].MaxAttempts) throw e;
      tries[r] = (tries[r] || 0) + 1;
      events += 3;
    }
  }
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
        if (st.QueryLanguage === "JSONata") { data = await ata(st.Output, { input: data, context: ctx }); break; }
        let result = data;
        try {
          if (st.Parameters) result = template(st.Parameters, data, ctx);
          else if ("Result" in st) result = st.Result;
        } catch (e) {
          if (e instanceof StatesError) return { status: "FAILED", error: e.name_, cause: e.cause_ };
          throw e;
        }
        data = setPath(data, st.ResultPath, result);
        if (st.OutputPath) data = jsonPath(st.OutputPath, data, ctx);
        break;
      }
      case "Choice": {
        let next = st.Default;
        for (const r of st.Choices) {
          let v;
          try { v = jsonPath(r.Variable, data, ctx); } catch (e) { v = undefined; }
          if (v === undefined && !("IsPresent" in r)) return { status: "FAILED", error: "States.Runtime", cause: "Invalid path " + r.Variable };
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
        try {
          data = await task(st, name, data, ctx);
        } catch (e) {
          if (!(e instanceof StatesError)) throw e;
          const c = (st.Catch || []).find((c) => catches(c, e.name_));
          if (!c) return { status: "FAILED", error: e.name_, cause: e.cause_ };
          const errorOutput = { Error: e.name_, Cause: e.cause_ };
          data = c.Output ? await ata(c.Output, { input: data, errorOutput, context: ctx }) : setPath(data, c.ResultPath, errorOutput);
          name = c.Next;
          continue;
        }
        break;
      }
      case "Map": {
        const items = jsonPath(st.ItemsPath, data, ctx);
        mapRuns.push({ state: name, items: items.length });
        const results = [];
        for (let i = 0; i < items.length; i++) {
          const c = { ...ctx, Map: { Item: { Index: i, Value: items[i] } } };
          const itemInput = st.ItemSelector ? template(st.ItemSelector, data, c) : items[i];
          const r = await run(st.ItemProcessor.States, st.ItemProcessor.StartAt, itemInput, ctx);
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
  const ctx = { Execution: { Id: "arn:aws:states:us-east-1:1:execution:kpi:" + (scenario.name || "run"), RedriveCount: scenario.redrive || 0, StartTime: scenario.startTime || "2024-06-15T10:00:00.000Z" } };
  let out;
  try {
    out = await run(def.States, def.StartAt, scenario.input, ctx);
  } catch (e) {
    out = { status: "CRASHED", error: e.name_ || "Error", cause: e.cause_ || e.message };
  }
  out.queries = queries;
  out.glue = glue;
  out.partitions = partitions;
  out.mapRuns = mapRuns;
  out.events = events;
  console.log(JSON.stringify(out));
})();
"###;
