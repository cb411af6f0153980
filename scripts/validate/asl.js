#!/usr/bin/env node
// ASL check: each FILE (a state machine definition in JSON) must pass asl-validator 4.0.0's API
// with {checkPaths: true, checkArn: true} (the CLI's --no-*-check flags are broken in 4.0.0, so the
// API is used directly). SAM substitution placeholders such as "${WorkGroup}" inside strings are fine.
// asl-validator 4.0.0 leaves Retry and Catch entries open (any field, any value passes), so this
// script adds its own check of them (codes RETRY_/CATCH_...): known fields only, documented value
// ranges, JitterStrategy FULL|NONE, Catch ResultPath syntax (asl-path-validator), JSONPath-only
// ResultPath vs JSONata-only Output, and States.ALL alone and last.
// Prints `FILE: CODE: message` per problem; exit 0 all valid, 1 any invalid, 2 usage/unreadable.
// Run it through scripts/validate/run (sets NODE_PATH to .tools/node/node_modules).
"use strict";
const fs = require("fs");

const usage = "usage: asl.js FILE...";
let args = process.argv.slice(2);
if (args[0] === "-h" || args[0] === "--help") {
  console.log(usage);
  process.exit(0);
}
if (args[0] === "--") args = args.slice(1);
if (args.length === 0 || args.some((a) => a.startsWith("-"))) {
  console.error(usage);
  process.exit(2);
}

let validator;
try {
  validator = require("asl-validator");
} catch (e) {
  console.error("asl.js: cannot load asl-validator (run scripts/setup-validators first): " + e.message);
  process.exit(3);
}

let validatePath = null;
try {
  ({ validatePath } = require("asl-path-validator")); // a dependency of asl-validator
} catch (e) {
  validatePath = null;
}

const RETRY_FIELDS = new Set(["ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate",
  "MaxDelaySeconds", "JitterStrategy", "Comment"]);
const CATCH_FIELDS = {
  JSONPath: new Set(["ErrorEquals", "Next", "ResultPath", "Assign", "Comment"]),
  JSONata: new Set(["ErrorEquals", "Next", "Output", "Assign", "Comment"]),
};
const isInt = (v, lo, hi) => Number.isInteger(v) && v >= lo && v <= hi;

// Problems in the Retry/Catch arrays of every state, nested States included.
function retryCatchProblems(states, language, where, out) {
  if (!states || typeof states !== "object") return;
  for (const [name, st] of Object.entries(states)) {
    if (!st || typeof st !== "object") continue;
    const ql = st.QueryLanguage || language;
    const at = `${where}/States/${name}`;
    checkErrorLists(st.Retry, `${at}/Retry`, "RETRY", out, (r, p) => {
      for (const k of Object.keys(r)) if (!RETRY_FIELDS.has(k)) out.push(`RETRY_UNKNOWN_FIELD: ${p} has unknown field ${k}`);
      if ("IntervalSeconds" in r && !isInt(r.IntervalSeconds, 1, 99999999)) out.push(`RETRY_VALUE: ${p}/IntervalSeconds must be an integer 1..99999999`);
      if ("MaxAttempts" in r && !isInt(r.MaxAttempts, 0, 99999999)) out.push(`RETRY_VALUE: ${p}/MaxAttempts must be an integer 0..99999999`);
      if ("BackoffRate" in r && !(typeof r.BackoffRate === "number" && r.BackoffRate >= 1.0)) out.push(`RETRY_VALUE: ${p}/BackoffRate must be a number >= 1.0`);
      if ("MaxDelaySeconds" in r && !isInt(r.MaxDelaySeconds, 1, 31622400)) out.push(`RETRY_VALUE: ${p}/MaxDelaySeconds must be an integer 1..31622400`);
      if ("JitterStrategy" in r && r.JitterStrategy !== "FULL" && r.JitterStrategy !== "NONE") out.push(`RETRY_VALUE: ${p}/JitterStrategy must be FULL or NONE`);
    });
    checkErrorLists(st.Catch, `${at}/Catch`, "CATCH", out, (c, p) => {
      const allowed = CATCH_FIELDS[ql] || CATCH_FIELDS.JSONPath;
      for (const k of Object.keys(c)) if (!allowed.has(k)) out.push(`CATCH_UNKNOWN_FIELD: ${p} has field ${k}, not allowed in ${ql} mode`);
      if (typeof c.ResultPath === "string" && validatePath) {
        const r = validatePath(c.ResultPath, "result_path");
        if (!r.isValid) out.push(`CATCH_RESULT_PATH: ${p}/ResultPath ${JSON.stringify(c.ResultPath)} is not a valid result path`);
      } else if ("ResultPath" in c && c.ResultPath !== null && typeof c.ResultPath !== "string") {
        out.push(`CATCH_RESULT_PATH: ${p}/ResultPath must be a path or null`);
      }
    });
    if (st.ItemProcessor) retryCatchProblems(st.ItemProcessor.States, ql, `${at}/ItemProcessor`, out);
    if (st.Iterator) retryCatchProblems(st.Iterator.States, ql, `${at}/Iterator`, out);
    if (Array.isArray(st.Branches)) st.Branches.forEach((b, i) => b && retryCatchProblems(b.States, ql, `${at}/Branches/${i}`, out));
  }
}

function checkErrorLists(list, where, code, out, each) {
  if (list === undefined) return;
  if (!Array.isArray(list)) { out.push(`${code}_SHAPE: ${where} must be an array`); return; }
  list.forEach((entry, i) => {
    const p = `${where}/${i}`;
    if (!entry || typeof entry !== "object" || Array.isArray(entry)) { out.push(`${code}_SHAPE: ${p} must be an object`); return; }
    const errs = entry.ErrorEquals;
    if (!Array.isArray(errs) || errs.length === 0 || errs.some((e) => typeof e !== "string")) {
      out.push(`${code}_ERROR_EQUALS: ${p}/ErrorEquals must be a non-empty array of strings`);
    } else if (errs.includes("States.ALL") && (errs.length > 1 || i !== list.length - 1)) {
      out.push(`${code}_STATES_ALL: ${p}: States.ALL must be alone in ErrorEquals and in the last entry`);
    }
    each(entry, p);
  });
}

let status = 0;
for (const file of args) {
  let text;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    console.error(`${file}: cannot read: ${e.message}`);
    status = 2;
    continue;
  }
  let definition;
  try {
    definition = JSON.parse(text);
  } catch (e) {
    console.log(`${file}: invalid JSON: ${e.message}`);
    status = Math.max(status, 1);
    continue;
  }
  if (definition === null || typeof definition !== "object" || Array.isArray(definition)) {
    console.log(`${file}: not a JSON object`);
    status = Math.max(status, 1);
    continue;
  }
  const extra = [];
  retryCatchProblems(definition.States, definition.QueryLanguage || "JSONPath", "", extra);
  let result;
  try {
    result = validator(definition, { checkPaths: true, checkArn: true });
  } catch (e) {
    console.log(`${file}: validator exception: ${e && e.message ? e.message : e}`);
    status = Math.max(status, 1);
    continue;
  }
  if (!result.isValid) {
    console.log(`${file}: ` + result.errorsText(`\n${file}: `));
    status = Math.max(status, 1);
  }
  for (const msg of extra) console.log(`${file}: ${msg}`);
  if (extra.length) status = Math.max(status, 1);
}
process.exit(status);
