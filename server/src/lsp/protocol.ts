// What the Loopguard server and its VS Code client agree on beyond LSP itself: the custom status
// notification, the command ids, the code-action kind of fix-all and the languages served. Both
// bundles import this module, so it depends on nothing but the protocol's message types.

import { NotificationType, RequestType } from 'vscode-languageserver-protocol';

/** The settings section the server asks for with `workspace/configuration`. */
export const SETTINGS_SECTION = 'loopguard';

/** The languages the client hands to the server (document selector, activation events). */
export const LANGUAGE_IDS = ['typescript', 'typescriptreact', 'javascript', 'javascriptreact', 'python'] as const;

/**
 * URI schemes the client hands to the server: saved files, unsaved editors, and notebook cells. Cells
 * of Jupyter notebooks are synced with the notebook (notebookDocumentSync), not as text documents —
 * vscode-languageclient leaves a cell to the notebook feature — but code actions are asked per cell,
 * and the client only asks for documents its selector matches.
 */
export const DOCUMENT_SCHEMES = ['file', 'untitled', 'vscode-notebook-cell'] as const;

/** One namespace of command ids; package.json `contributes.commands` lists exactly these. */
export const COMMANDS = {
  restartServer: 'loopguard.restartServer',
  showOutputChannel: 'loopguard.showOutputChannel',
  /** argument: the rule id; opens the bundled `docs/rules/<id>.md` */
  showRuleDocumentation: 'loopguard.showRuleDocumentation',
  /**
   * "Fix all auto-fixable problems" of the active editor's document: the client asks for the
   * `source.fixAll.loopguard` action (the same computation as fix on save) and applies it.
   */
  executeAutofix: 'loopguard.executeAutofix',
} as const;

/**
 * The project files the client watches (`workspace/didChangeWatchedFiles`): when one changes, the
 * server analyses open documents again. The names are engine/project-config's PROJECT_FILE_NAMES
 * (a unit test keeps them equal; the client bundle must not pull in the engine).
 */
export const PROJECT_FILE_GLOB = '**/{loopguard.json,pyproject.toml,package.json}';

/**
 * The source files the client watches for the project model: a helper changed on disk (a checkout, a
 * formatter, another editor) changes the findings of the files calling it. Open documents are synced
 * as text; the server ignores disk events for them.
 */
export const SOURCE_FILE_GLOB = '**/*.{ts,tsx,js,jsx,mjs,cjs,mts,cts,py}';

/** The code-action kind under which all safe fixes are applied at once (`editor.codeActionsOnSave`). */
export const FIX_ALL_KIND = 'source.fixAll.loopguard';

export type StatusState = 'ok' | 'warning' | 'error';

export interface StatusParams {
  /** the document the status is about; the client shows the status of the active editor's document */
  uri: string;
  /** `warning`: analysis was skipped, slow, or settings were ignored; `error`: analysis or a rule failed */
  state: StatusState;
  /** one line for the status item's detail */
  message: string;
  /** how long the last analysis of the document took, when it ran */
  lastAnalysisMs: number | undefined;
}

/**
 * `loopguard/status` (server → client, notification): sent after every validation of a document so
 * the client's language status item can show whether analysis ran, how long it took, and why it did
 * not (file too large, disabled, a rule failed). Clients that do not know it simply ignore it.
 */
export const StatusNotification = {
  method: 'loopguard/status',
  type: new NotificationType<StatusParams>('loopguard/status'),
} as const;

export interface ServerInfoParams {
  /** run a full garbage collection first, when the server was started with --expose-gc */
  collectGarbage?: boolean;
}

export interface ServerInfo {
  pid: number;
  rssBytes: number;
  heapUsedBytes: number;
  /** memory of C++ objects bound to JavaScript, WebAssembly memories (tree-sitter) among them */
  externalBytes: number;
  /** whether a collection ran before the figures were read */
  collectedGarbage: boolean;
}

/**
 * `loopguard/serverInfo` (client → server, request): the server process's pid and memory. For tests
 * and the soak script (scripts/soak.ts), which watch the process from outside; the extension never
 * sends it on its own.
 */
export const ServerInfoRequest = {
  method: 'loopguard/serverInfo',
  type: new RequestType<ServerInfoParams | null, ServerInfo | null, void>('loopguard/serverInfo'),
} as const;
