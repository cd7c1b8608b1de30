// The LanguageClient for the bundled server (dist/server.js over node IPC): which documents it
// gets, where it logs, the project and source files it watches for the server, and the status
// notifications it forwards.

import * as vscode from 'vscode';
import { LanguageClient, State, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import { DOCUMENT_SCHEMES, LANGUAGE_IDS, PROJECT_FILE_GLOB, SOURCE_FILE_GLOB, StatusNotification } from '../../server/src/lsp/protocol';
import type { LoopguardStatus } from './status';

/** Its id makes vscode-languageclient read the `loopguard.trace.server` setting. */
export const CLIENT_ID = 'loopguard';
export const CLIENT_NAME = 'Loopguard';

/** Typed to fit both vscode's and the protocol's selector types. */
export const DOCUMENT_SELECTOR: Array<{ language: string; scheme: string }> = LANGUAGE_IDS.flatMap((language) =>
  DOCUMENT_SCHEMES.map((scheme) => ({ language, scheme })),
);

export function createLanguageClient(context: vscode.ExtensionContext, output: vscode.LogOutputChannel, status: LoopguardStatus): LanguageClient {
  const module = context.asAbsolutePath('dist/server.js');
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc },
    debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6009'] } },
  };
  // project files apply to the documents below them; the server re-reads a changed one and re-analyses
  const projectFiles = vscode.workspace.createFileSystemWatcher(PROJECT_FILE_GLOB);
  // sources changed on disk update the server's project model (cross-file chains of calls)
  const sourceFiles = vscode.workspace.createFileSystemWatcher(SOURCE_FILE_GLOB);
  context.subscriptions.push(projectFiles, sourceFiles);
  const clientOptions: LanguageClientOptions = {
    documentSelector: DOCUMENT_SELECTOR,
    outputChannel: output,
    synchronize: { fileEvents: [projectFiles, sourceFiles] },
  };
  const client = new LanguageClient(CLIENT_ID, CLIENT_NAME, serverOptions, clientOptions);
  context.subscriptions.push(
    client.onDidChangeState((e) => {
      status.setServerState(e.newState === State.Running ? 'running' : e.newState === State.Starting ? 'starting' : 'stopped');
    }),
    client.onNotification(StatusNotification.type, (params) => status.update(params)),
  );
  return client;
}
