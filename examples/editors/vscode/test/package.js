// The extension folder → a .vsix, as `vsce package` makes it, without touching the folder:
// the folder is copied to OUT/extension, its npm dependencies (and theirs) are copied into
// the copy's node_modules from the node_modules of NODE_PATH (where scripts/setup-validators
// installs them), and `vsce package` runs there with no standard input, so a question it
// would ask fails the run instead of waiting.
//
//   node test/package.js OUT
//
// Prints one JSON object: the .vsix path, its size, the entries of the archive, and vsce's
// output. Exits 0 when vsce made the .vsix, 1 when it did not, 2 when a tool is missing.
'use strict';

const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

function fail(message, code = 2) {
  process.stderr.write(`package.js: ${message}\n`);
  process.exit(code);
}

const out = process.argv[2];
if (!out) {
  fail('usage: node test/package.js OUT');
}
const first = (process.env.NODE_PATH || '').split(path.delimiter).find((dir) => dir !== '');
if (!first || !fs.existsSync(first)) {
  fail("NODE_PATH must name a node_modules holding @vscode/vsce and the extension's dependencies");
}
const modules = path.resolve(first);

const extension = path.join(__dirname, '..');
const copy = path.join(out, 'extension');
fs.rmSync(copy, { recursive: true, force: true });
fs.cpSync(extension, copy, {
  recursive: true,
  filter: (source) => !/(^|[\\/])(node_modules|.*\.vsix)$/.test(path.relative(extension, source)),
});

// A package as Node finds it from the package at `dir`: in its own node_modules, then in
// each enclosing node_modules up to `modules`.
function locate(name, dir) {
  const own = path.join(dir, 'node_modules', name);
  if (fs.existsSync(path.join(own, 'package.json'))) {
    return own;
  }
  for (let d = dir; d.startsWith(modules); d = path.dirname(d)) {
    const candidate = path.join(d, name);
    if (path.basename(d) === 'node_modules' && fs.existsSync(path.join(candidate, 'package.json'))) {
      return candidate;
    }
    if (d === modules) {
      break;
    }
  }
  const top = path.join(modules, name);
  return fs.existsSync(path.join(top, 'package.json')) ? top : null;
}

function dependencies(dir) {
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  return Object.keys(manifest.dependencies || {});
}

// Every package the extension needs. One at the top of `modules` is copied to the top of the
// copy's node_modules; a nested one comes with the copy of the package it is nested in.
const seen = new Set();
const top = new Map();
const queue = dependencies(extension).map((name) => ({ name, from: extension }));
while (queue.length > 0) {
  const { name, from } = queue.shift();
  const source = locate(name, from);
  if (!source) {
    fail(`${name} is not installed in ${modules} (run scripts/setup-validators)`);
  }
  if (seen.has(source)) {
    continue;
  }
  seen.add(source);
  if (source === path.join(modules, name)) {
    top.set(name, source);
  }
  for (const dep of dependencies(source)) {
    queue.push({ name: dep, from: source });
  }
}
for (const [name, source] of top) {
  fs.cpSync(source, path.join(copy, 'node_modules', name), { recursive: true, dereference: true });
}

const vsix = path.join(out, `${JSON.parse(fs.readFileSync(path.join(extension, 'package.json'), 'utf8')).name}.vsix`);
fs.rmSync(vsix, { force: true });
let vsce;
try {
  vsce = require.resolve('@vscode/vsce/vsce', { paths: [modules] });
} catch {
  vsce = path.join(modules, '@vscode', 'vsce', 'vsce');
}
if (!fs.existsSync(vsce)) {
  fail(`@vscode/vsce is not installed in ${modules} (run scripts/setup-validators)`);
}
const run = spawnSync(process.execPath, [vsce, 'package', '--out', vsix], {
  cwd: copy,
  stdio: ['ignore', 'pipe', 'pipe'],
  encoding: 'utf8',
  timeout: 300000,
});

function entries(file) {
  const yauzl = require('yauzl');
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true }, (error, zip) => {
      if (error) {
        reject(error);
        return;
      }
      const names = [];
      zip.on('entry', (entry) => {
        names.push(entry.fileName);
        zip.readEntry();
      });
      zip.on('end', () => resolve(names));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}

async function main() {
  const made = run.status === 0 && fs.existsSync(vsix);
  const report = {
    vsix,
    status: run.status,
    signal: run.signal,
    stdout: run.stdout,
    stderr: run.stderr,
    bytes: made ? fs.statSync(vsix).size : 0,
    entries: made ? (await entries(vsix)).sort() : [],
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
  process.exit(made ? 0 : 1);
}

main().catch((error) => fail(error.stack || String(error)));
