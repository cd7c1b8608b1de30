// The VS Code extension's entry point (bundled to dist/client.js): activate and deactivate only;
// the client, status item and commands live in their own modules. activate() returns a small API
// for the end-to-end tests (test/e2e): not a stable interface for other extensions.

import * as vscode from 'vscode';
import { State, type LanguageClient } from 'vscode-languageclient/node';
import { COMMANDS, ServerInfoRequest, type ServerInfo } from '../../server/src/lsp/protocol';
import { registerCommands } from './commands';
import { CLIENT_NAME, DOCUMENT_SELECTOR, createLanguageClient } from './language-client';
import { RestartPolicy } from './restart-policy';
import { LoopguardStatus, type ServerState } from './status';

let client: LanguageClient | undefined;

/** What the e2e suite reads from the running extension (`vscode.extensions.getExtension(…).exports`). */
export interface LoopguardTestApi {
  /** the server process's pid and memory (`loopguard/serverInfo`); undefined while it is not running */
  serverInfo(): Promise<ServerInfo | undefined>;
  serverState(): ServerState;
  readonly onDidChangeServerState: vscode.Event<ServerState>;
  /** the messages shown after the server stopped unexpectedly, in order */
  readonly crashMessages: readonly string[];
  readonly onDidShowCrashMessage: vscode.Event<string>;
  /** what the language status item shows */
  statusItem(): { text: string; detail: string | undefined; severity: vscode.LanguageStatusSeverity };
}

export interface LoopguardApi {
  testing: LoopguardTestApi;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function serverState(state: State): ServerState {
  return state === State.Running ? 'running' : state === State.Starting ? 'starting' : 'stopped';
}

export async function activate(context: vscode.ExtensionContext): Promise<LoopguardApi> {
  const output = vscode.window.createOutputChannel(CLIENT_NAME, { log: true });
  const status = new LoopguardStatus(DOCUMENT_SELECTOR, COMMANDS.showOutputChannel);
  const crashMessages: string[] = [];
  const crashMessage = new vscode.EventEmitter<string>();
  const stateChange = new vscode.EventEmitter<ServerState>();
  context.subscriptions.push(output, status, crashMessage, stateChange);
  const policy = new RestartPolicy();
  const languageClient = createLanguageClient(context, output, status, {
    policy,
    shown: (message) => {
      crashMessages.push(message);
      crashMessage.fire(message);
    },
  });
  client = languageClient;
  context.subscriptions.push(languageClient.onDidChangeState((e) => stateChange.fire(serverState(e.newState))));
  const restart = async (): Promise<void> => {
    // the user asked for it: the crashes before no longer count against the server
    policy.reset();
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
  return {
    testing: {
      serverInfo: async () => (languageClient.isRunning() ? ((await languageClient.sendRequest(ServerInfoRequest.type, {})) ?? undefined) : undefined),
      serverState: () => serverState(languageClient.state),
      onDidChangeServerState: stateChange.event,
      crashMessages,
      onDidShowCrashMessage: crashMessage.event,
      statusItem: () => status.snapshot(),
    },
  };
}

export async function deactivate(): Promise<void> {
  const c = client;
  client = undefined;
  // a server that never started (or already died) has nothing to stop, and stop() would reject
  if (c?.needsStop()) await c.stop();
}
