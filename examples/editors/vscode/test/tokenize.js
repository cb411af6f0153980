// .kpi files → the extension's TextMate grammar's tokens, as VS Code computes them (with
// vscode-textmate and vscode-oniguruma), judged: every token holding a non-space character has
// an innermost scope of its own under `source.kpi` (not `source.kpi` itself, nor a `meta.*`
// scope that only marks a region), and the rule stack is back at its start at each file's end
// (no string, block or bracket left open).
//
//   node test/tokenize.js [--tokens] FILE...
//
// The npm modules are found through NODE_PATH (the tests point it at .tools/node/node_modules).
// Prints one JSON object: per file its lines, tokens, uncovered tokens and final stack depth
// (with `--tokens`, every token). Exits 0 when every file passes, 1 when one does not, 2 when
// the grammar cannot be loaded.
'use strict';

const fs = require('fs');
const path = require('path');

function fail(message) {
  process.stderr.write(`tokenize.js: ${message}\n`);
  process.exit(2);
}

let textmate;
let oniguruma;
try {
  textmate = require('vscode-textmate');
  oniguruma = require('vscode-oniguruma');
} catch (error) {
  fail(`${error.message} (set NODE_PATH to a node_modules holding vscode-textmate and vscode-oniguruma)`);
}

const extension = path.join(__dirname, '..');
const manifest = JSON.parse(fs.readFileSync(path.join(extension, 'package.json'), 'utf8'));
const contributed = (manifest.contributes.grammars || []).find((g) => g.language === 'kpi');
if (!contributed) {
  fail('package.json contributes no grammar for the language `kpi`');
}
const scopeName = contributed.scopeName;
const grammarPath = path.join(extension, contributed.path);

async function loadGrammar() {
  const wasm = fs.readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm'));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new textmate.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
      createOnigString: (text) => new oniguruma.OnigString(text),
    }),
    loadGrammar: async (scope) => {
      if (scope !== scopeName) {
        return null;
      }
      return textmate.parseRawGrammar(fs.readFileSync(grammarPath, 'utf8'), grammarPath);
    },
  });
  const grammar = await registry.loadGrammar(scopeName);
  if (!grammar) {
    fail(`no grammar ${scopeName} at ${grammarPath}`);
  }
  return grammar;
}

function judge(grammar, file, keepTokens) {
  const text = fs.readFileSync(file, 'utf8');
  const lines = text.split('\n').map((line) => line.replace(/\r$/, ''));
  // The stack of a file that opened nothing: what one empty line leaves.
  const start = grammar.tokenizeLine('', textmate.INITIAL).ruleStack;
  let stack = textmate.INITIAL;
  let count = 0;
  const uncovered = [];
  const tokens = [];
  lines.forEach((line, index) => {
    const result = grammar.tokenizeLine(line, stack);
    for (const token of result.tokens) {
      const piece = line.slice(token.startIndex, token.endIndex);
      count += 1;
      if (keepTokens) {
        tokens.push({ line: index + 1, column: token.startIndex + 1, text: piece, scopes: token.scopes });
      }
      if (!/\S/.test(piece)) {
        continue;
      }
      const innermost = token.scopes[token.scopes.length - 1];
      const under = token.scopes[0] === scopeName;
      if (!under || innermost === scopeName || innermost.startsWith('meta.')) {
        uncovered.push({ line: index + 1, column: token.startIndex + 1, text: piece, scopes: token.scopes });
      }
    }
    stack = result.ruleStack;
  });
  const closed = stack.depth === start.depth && stack.equals(start);
  const report = { file, lines: lines.length, tokens: count, uncovered, end_depth: stack.depth, closed };
  if (keepTokens) {
    report.token_list = tokens;
  }
  return report;
}

async function main() {
  const args = process.argv.slice(2);
  const keepTokens = args[0] === '--tokens';
  const files = keepTokens ? args.slice(1) : args;
  if (files.length === 0) {
    fail('usage: node test/tokenize.js [--tokens] FILE...');
  }
  const grammar = await loadGrammar();
  const reports = files.map((file) => judge(grammar, file, keepTokens));
  process.stdout.write(`${JSON.stringify({ scope: scopeName, files: reports })}\n`);
  const ok = reports.every((r) => r.closed && r.uncovered.length === 0);
  process.exit(ok ? 0 : 1);
}

main().catch((error) => fail(error.stack || String(error)));
