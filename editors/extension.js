// The accord extension: the language server `accord lsp` over stdio. Plain JavaScript, no build step;
// run `npm install` in this folder once to fetch vscode-languageclient. Highlighting works without it.
"use strict";
const vscode = require("vscode");

let client;

async function activate(context) {
  const config = vscode.workspace.getConfiguration("accord");
  const [command, ...args] = config.get("server.command", ["accord", "lsp"]);
  if (!command) {
    return; // highlighting only
  }
  let LanguageClient;
  try {
    ({ LanguageClient } = require("vscode-languageclient/node"));
  } catch (err) {
    vscode.window.showWarningMessage(
      "accord: run `npm install` in the extension folder to enable diagnostics and navigation (" + err.message + ")");
    return;
  }
  client = new LanguageClient(
    "accord",
    "accord",
    { command, args },
    {
      documentSelector: [
        { scheme: "file", language: "accord" },
        { scheme: "untitled", language: "accord" },
      ],
      initializationOptions: { const: config.get("constants", {}) },
    },
  );
  await client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
