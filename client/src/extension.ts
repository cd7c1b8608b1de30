// The VS Code extension's entry point (bundled to dist/client.js): activate and deactivate only;
// the client, status item and commands live in their own modules.

import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { COMMANDS } from '../../server/src/lsp/protocol';
import { registerCommands } from './commands';
import { CLIENT_NAME, DOCUMENT_SELECTOR, createLanguageClient } from './language-client';
import { LoopguardStatus } from './status';

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel(CLIENT_NAME, { log: true });
  const status = new LoopguardStatus(DOCUMENT_SELECTOR, COMMANDS.showOutputChannel);
  context.subscriptions.push(output, status);
  const languageClient = createLanguageClient(context, output, status);
  client = languageClient;
  context.subscriptions.push(
    ...registerCommands({ restart: () => languageClient.restart(), output, extensionUri: context.extensionUri }),
  );
  await languageClient.start();
}

export async function deactivate(): Promise<void> {
  const c = client;
  client = undefined;
  await c?.stop();
}
