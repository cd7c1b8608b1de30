// The VS Code extension's entry point (bundled to dist/client.js): activate and deactivate only;
// the client, status item and commands live in their own modules.

import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { COMMANDS } from '../../server/src/lsp/protocol';
import { registerCommands } from './commands';
import { CLIENT_NAME, DOCUMENT_SELECTOR, createLanguageClient } from './language-client';
import { LoopguardStatus } from './status';

let client: LanguageClient | undefined;

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel(CLIENT_NAME, { log: true });
  const status = new LoopguardStatus(DOCUMENT_SELECTOR, COMMANDS.showOutputChannel);
  context.subscriptions.push(output, status);
  const languageClient = createLanguageClient(context, output, status);
  client = languageClient;
  const restart = async (): Promise<void> => {
    try {
      await languageClient.restart();
    } catch (e) {
      output.error(`Restarting the language server failed: ${errorText(e)}`);
      void vscode.window.showErrorMessage(`Loopguard: restarting the language server failed: ${errorText(e)}`);
    }
  };
  context.subscriptions.push(...registerCommands({ restart, output, extensionUri: context.extensionUri, client: () => client }));
  try {
    await languageClient.start();
  } catch (e) {
    // vscode-languageclient has already told the user; the commands stay available (restart, output)
    output.error(`Starting the language server failed: ${errorText(e)}`);
  }
}

export async function deactivate(): Promise<void> {
  const c = client;
  client = undefined;
  // a server that never started (or already died) has nothing to stop, and stop() would reject
  if (c?.needsStop()) await c.stop();
}
