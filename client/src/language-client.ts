// The LanguageClient for the bundled server (dist/server.js over node IPC): which documents it
// gets, where it logs, the project and source files it watches for the server, the status
// notifications it forwards, and what happens when the server stops unexpectedly (restarted with a
// warning, up to 5 times in 3 minutes (restart-policy.ts); then stopped with an error offering Restart).

import * as vscode from 'vscode';
import {
  CloseAction,
  ErrorAction,
  LanguageClient,
  State,
  TransportKind,
  type ErrorHandler,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';
import { COMMANDS, DOCUMENT_SCHEMES, LANGUAGE_IDS, PROJECT_FILE_GLOB, SOURCE_FILE_GLOB, StatusNotification } from '../../server/src/lsp/protocol';
import { RESTARTED_MESSAGE, stoppedMessage, type RestartPolicy } from './restart-policy';
import type { LoopguardStatus } from './status';

/** Its id makes vscode-languageclient read the `loopguard.trace.server` setting. */
export const CLIENT_ID = 'loopguard';
export const CLIENT_NAME = 'Loopguard';

/** Typed to fit both vscode's and the protocol's selector types. */
export const DOCUMENT_SELECTOR: Array<{ language: string; scheme: string }> = LANGUAGE_IDS.flatMap((language) =>
  DOCUMENT_SCHEMES.map((scheme) => ({ language, scheme })),
);

const SHOW_OUTPUT = 'Show Output';
const RESTART = 'Restart';

export interface CrashHost {
  policy: RestartPolicy;
  output: vscode.LogOutputChannel;
  status: LoopguardStatus;
  /** every message shown about a crash, as it is shown (the extension's test API records them) */
  shown(message: string): void;
}

/**
 * Replaces vscode-languageclient's default handler, whose messages say neither what happened to the
 * user's diagnostics nor how to get the server back. The messages are not awaited: the restart must not
 * wait for the user to dismiss a notification.
 */
function crashHandler(host: CrashHost): ErrorHandler {
  return {
    // the library's own rule: a few errors on the connection are survivable, more are not
    error: (_error, _message, count) => ({ action: count !== undefined && count <= 3 ? ErrorAction.Continue : ErrorAction.Shutdown }),
    closed: () => {
      if (host.policy.crashed() === 'restart') {
        host.output.warn(RESTARTED_MESSAGE);
        host.shown(RESTARTED_MESSAGE);
        void vscode.window.showWarningMessage(RESTARTED_MESSAGE, SHOW_OUTPUT).then((pick) => {
          if (pick === SHOW_OUTPUT) host.output.show(true);
        });
        return { action: CloseAction.Restart, handled: true };
      }
      const message = stoppedMessage(host.policy);
      host.output.error(message);
      host.status.setServerState('stopped', `Stopped after crashing ${host.policy.maxRestarts + 1} times in ${Math.round(host.policy.windowMs / 60_000)} minutes; run "Loopguard: Restart Server"`);
      host.shown(message);
      void vscode.window.showErrorMessage(message, RESTART, SHOW_OUTPUT).then((pick) => {
        if (pick === RESTART) void vscode.commands.executeCommand(COMMANDS.restartServer);
        else if (pick === SHOW_OUTPUT) host.output.show(true);
      });
      return { action: CloseAction.DoNotRestart, handled: true };
    },
  };
}

export function createLanguageClient(context: vscode.ExtensionContext, output: vscode.LogOutputChannel, status: LoopguardStatus, crashes: Omit<CrashHost, 'output' | 'status'>): LanguageClient {
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
    errorHandler: crashHandler({ ...crashes, output, status }),
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
