// The client: starts `kpi lsp` over stdio for .kpi files and shows what its `kpi.showSql`
// command returns (a KPI's generated Athena SQL) in an editor of its own.
'use strict';

const vscode = require('vscode');
const { LanguageClient, TransportKind } = require('vscode-languageclient/node');

/** @type {LanguageClient | undefined} */
let client;

function serverCommand() {
  const configured = vscode.workspace.getConfiguration('kpi').get('path');
  return typeof configured === 'string' && configured.trim() !== '' ? configured.trim() : 'kpi';
}

async function start() {
  const command = serverCommand();
  const run = { command, args: ['lsp'], transport: TransportKind.stdio };
  client = new LanguageClient(
    'kpi',
    'kpi lsp',
    { run, debug: run },
    {
      documentSelector: [{ scheme: 'file', language: 'kpi' }],
      synchronize: {
        // The server compiles the whole project: kpi.yaml and the catalog matter too.
        fileEvents: vscode.workspace.createFileSystemWatcher('**/{*.kpi,kpi.yaml,catalog/**}'),
      },
      middleware: {
        // The server answers `kpi.showSql` (from its code lens) with the SQL as text.
        async executeCommand(name, args, next) {
          const result = await next(name, args);
          if (name === 'kpi.showSql' && typeof result === 'string') {
            const document = await vscode.workspace.openTextDocument({
              language: 'sql',
              content: result,
            });
            await vscode.window.showTextDocument(document, { preview: true });
          }
          return result;
        },
      },
    },
  );
  try {
    await client.start();
  } catch (error) {
    client = undefined;
    const message = error instanceof Error ? error.message : String(error);
    vscode.window.showErrorMessage(
      `Cannot start \`${command} lsp\` (${message}). Install kpi, or set "kpi.path" to its binary.`,
    );
  }
}

async function stop() {
  const running = client;
  client = undefined;
  if (running) {
    await running.stop();
  }
}

/** @param {vscode.ExtensionContext} context */
async function activate(context) {
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (event.affectsConfiguration('kpi.path')) {
        await stop();
        await start();
      }
    }),
    vscode.commands.registerCommand('kpi.restartServer', async () => {
      await stop();
      await start();
    }),
  );
  await start();
}

function deactivate() {
  return stop();
}

module.exports = { activate, deactivate };
