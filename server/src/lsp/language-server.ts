// The language server: capabilities decided once from the client's (lsp-sample style), document
// sync, settings, validation and code actions wired to one connection. Every handler is guarded —
// a failure is logged and answered with an empty result; it never takes the server down.

import {
  CodeActionKind,
  DidChangeConfigurationNotification,
  ErrorCodes,
  MessageType,
  NotebookDocuments,
  ResponseError,
  ShowMessageNotification,
  TextDocumentSyncKind,
  TextDocuments,
  type CodeAction,
  type CodeActionParams,
  type Connection,
  type InitializeError,
  type InitializeResult,
} from 'vscode-languageserver/node';
import * as path from 'node:path';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { Engine } from '../engine/engine';
import { fixAll, pickSafeFix } from '../engine/fix-all';
import { fixAllAction, quickFixes, replaceChangedRange, wants, workspaceEdit } from './code-actions';
import { DIAGNOSTIC_SOURCE } from './diagnostics';
import { PROJECT_FILE_NAMES, forgetProjectFile } from '../engine/project-config';
import { NOTEBOOK_SYNC, NotebookValidator } from './notebooks';
import { FIX_ALL_KIND, SETTINGS_SECTION, StatusNotification } from './protocol';
import { documentPath, SettingsStore, WorkspaceFolders } from './settings';
import { sourceInput, Validator, type Logger } from './validator';

/** Quiet time after the last keystroke before a document is analysed again. */
const DEBOUNCE_MS = 175;

interface ClientFlags {
  configuration: boolean;
  dynamicConfigurationRegistration: boolean;
  codeActionLiterals: boolean;
  documentChanges: boolean;
  /** workspace edits may create files (multi-file fixes) */
  createFiles: boolean;
  /** the client sends workspace/didChangeWorkspaceFolders */
  workspaceFolders: boolean;
}

function errorText(e: unknown): string {
  return e instanceof Error ? (e.stack ?? e.message) : String(e);
}

export function startLanguageServer(connection: Connection, enginePromise: Promise<Engine>): void {
  const documents = new TextDocuments(TextDocument);
  const notebooks = new NotebookDocuments(TextDocument);
  const log: Logger = {
    debug: (m) => connection.console.debug(m),
    info: (m) => connection.console.info(m),
    warn: (m) => connection.console.warn(m),
    error: (m) => connection.console.error(m),
  };
  let flags: ClientFlags = { configuration: false, dynamicConfigurationRegistration: false, codeActionLiterals: false, documentChanges: false, createFiles: false, workspaceFolders: false };
  // multi-root: `loopguard.overrides` globs are relative to the document's own folder
  const folders = new WorkspaceFolders();
  let engine: Engine | undefined;
  let validator: Validator | undefined;
  let settings: SettingsStore | undefined;
  let notebookValidator: NotebookValidator | undefined;

  /** Runs a handler; on failure logs it and answers `fallback` instead of failing the request. */
  function guard<T>(what: string, fallback: T, fn: () => T | Promise<T>): Promise<T> {
    return Promise.resolve()
      .then(fn)
      .catch((e: unknown) => {
        log.error(`${what} failed: ${errorText(e)}`);
        return fallback;
      });
  }

  connection.onInitialize(async (params): Promise<InitializeResult> => {
    try {
      engine = await enginePromise;
    } catch (e) {
      log.error(`Loading the parsers failed: ${errorText(e)}`);
      throw new ResponseError<InitializeError>(ErrorCodes.InternalError, `Loopguard could not load its parsers: ${e instanceof Error ? e.message : String(e)}`, { retry: false });
    }
    const caps = params.capabilities;
    flags = {
      configuration: caps.workspace?.configuration === true,
      dynamicConfigurationRegistration: caps.workspace?.didChangeConfiguration?.dynamicRegistration === true,
      codeActionLiterals: caps.textDocument?.codeAction?.codeActionLiteralSupport !== undefined,
      documentChanges: caps.workspace?.workspaceEdit?.documentChanges === true,
      createFiles: caps.workspace?.workspaceEdit?.resourceOperations?.includes('create') === true,
      workspaceFolders: caps.workspace?.workspaceFolders === true,
    };
    folders.set(params.workspaceFolders ? params.workspaceFolders.map((f) => f.uri) : params.rootUri ? [params.rootUri] : []);
    settings = new SettingsStore({
      fetch: flags.configuration
        ? (uri) => connection.workspace.getConfiguration({ scopeUri: uri, section: SETTINGS_SECTION }) as Promise<unknown>
        : undefined,
      reportProblem: (problem) => {
        log.warn(`Settings: ${problem}`);
        // a notification, not window/showMessageRequest: nothing to answer, nothing to wait for
        void connection
          .sendNotification(ShowMessageNotification.type, { type: MessageType.Warning, message: `Loopguard: ${problem}` })
          .catch(() => undefined);
      },
      logError: (m) => log.error(m),
      folders,
    });
    validator = new Validator({
      engine,
      settings,
      document: (uri) => documents.get(uri),
      publish: (p) => void connection.sendDiagnostics(p).catch((e: unknown) => log.error(`publishDiagnostics failed: ${errorText(e)}`)),
      status: (p) => void connection.sendNotification(StatusNotification.type, p).catch(() => undefined),
      log,
      debounceMs: DEBOUNCE_MS,
    });
    notebookValidator = new NotebookValidator({
      engine,
      settings,
      notebooks,
      publish: (p) => void connection.sendDiagnostics(p).catch((e: unknown) => log.error(`publishDiagnostics failed: ${errorText(e)}`)),
      log,
      debounceMs: DEBOUNCE_MS,
      documentChanges: flags.documentChanges,
    });
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
        notebookDocumentSync: NOTEBOOK_SYNC,
        // without literal support a client could only run commands, and every action here is an edit
        ...(flags.codeActionLiterals ? { codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, FIX_ALL_KIND] } } : {}),
        ...(flags.workspaceFolders ? { workspace: { workspaceFolders: { supported: true, changeNotifications: true } } } : {}),
      },
      serverInfo: { name: 'loopguard' },
    };
  });

  connection.onInitialized(() => {
    if (flags.dynamicConfigurationRegistration) {
      void connection.client
        .register(DidChangeConfigurationNotification.type, { section: SETTINGS_SECTION })
        .catch((e: unknown) => log.error(`Registering for configuration changes failed: ${errorText(e)}`));
    }
    if (flags.workspaceFolders) {
      connection.workspace.onDidChangeWorkspaceFolders((e) => {
        void guard('didChangeWorkspaceFolders', undefined, () => {
          folders.remove(e.removed.map((f) => f.uri));
          folders.add(e.added.map((f) => f.uri));
          // a document may now belong to another folder, with other settings
          settings?.invalidate();
          validator?.revalidate(documents.all().map((d) => d.uri));
        });
      });
    }
  });

  // Project files (loopguard.json, pyproject.toml, package.json) are watched by the client
  // (synchronize.fileEvents); they are re-read on their next use, so open documents are analysed again.
  connection.onDidChangeWatchedFiles((params) => {
    void guard('didChangeWatchedFiles', undefined, () => {
      const changed = params.changes.flatMap((c) => documentPath(c.uri) ?? []).filter((p) => (PROJECT_FILE_NAMES as readonly string[]).includes(path.basename(p)));
      if (changed.length === 0) return;
      for (const p of changed) forgetProjectFile(p);
      validator?.revalidate(documents.all().map((d) => d.uri));
      notebookValidator?.revalidateAll();
    });
  });

  connection.onDidChangeConfiguration((change) => {
    void guard('didChangeConfiguration', undefined, () => {
      const pushed: unknown = change.settings;
      const section =
        typeof pushed === 'object' && pushed !== null ? (pushed as Record<string, unknown>)[SETTINGS_SECTION] : undefined;
      settings?.invalidate(section);
      validator?.revalidate(documents.all().map((d) => d.uri));
      notebookValidator?.revalidateAll();
    });
  });

  documents.onDidOpen((e) => void guard('didOpen', undefined, () => validator?.opened(e.document)));
  documents.onDidChangeContent((e) => void guard('didChange', undefined, () => validator?.changed(e.document)));
  documents.onDidClose((e) => void guard('didClose', undefined, () => validator?.closed(e.document.uri)));
  notebooks.onDidOpen((nb) => void guard('notebookDocument/didOpen', undefined, () => notebookValidator?.opened(nb)));
  notebooks.onDidChange((e) => void guard('notebookDocument/didChange', undefined, () => notebookValidator?.changed(e.notebookDocument)));
  notebooks.onDidClose((nb) => void guard('notebookDocument/didClose', undefined, () => notebookValidator?.closed(nb)));

  connection.onCodeAction((params) => guard<CodeAction[]>('codeAction', [], () => codeActions(params)));

  async function codeActions(params: CodeActionParams): Promise<CodeAction[]> {
    const uri = params.textDocument.uri;
    if (!validator || !settings || !engine) return [];
    const only = params.context.only;
    if (notebookValidator?.notebookOf(uri)) return notebookActions(notebookValidator, params);
    const actions: CodeAction[] = [];
    if (wants(only, CodeActionKind.QuickFix) && params.context.diagnostics.some((d) => d.source === DIAGNOSTIC_SOURCE)) {
      const analysed = await validator.current(uri);
      if (analysed) {
        actions.push(...quickFixes(analysed, params.context.diagnostics, { uri, version: analysed.version, documentChanges: flags.documentChanges, createFiles: flags.createFiles }));
      }
    }
    // A plain lightbulb request (no `only`) does not get fix-all: it would re-analyse the file in
    // passes on every cursor move. Editors ask for it by kind (Source Action…, codeActionsOnSave).
    if (only !== undefined && wants(only, FIX_ALL_KIND)) {
      const fixAllResult = await fixAllFor(uri);
      if (fixAllResult) actions.push(fixAllResult);
    }
    return actions;
  }

  async function notebookActions(nbv: NotebookValidator, params: CodeActionParams): Promise<CodeAction[]> {
    const { uri } = params.textDocument;
    const only = params.context.only;
    const actions: CodeAction[] = [];
    if (wants(only, CodeActionKind.QuickFix) && params.context.diagnostics.some((d) => d.source === DIAGNOSTIC_SOURCE)) {
      actions.push(...(await nbv.codeActions(uri, params.context.diagnostics)));
    }
    if (only !== undefined && wants(only, FIX_ALL_KIND)) {
      const all = await nbv.fixAll(uri);
      if (all) actions.push(all);
    }
    return actions;
  }

  async function fixAllFor(uri: string): Promise<CodeAction | undefined> {
    if (!documents.get(uri) || !engine || !settings) return undefined;
    const { settings: s, config } = await settings.get(uri);
    // read after the await: the edit is computed for, and versioned with, the text of this moment
    const doc = documents.get(uri);
    if (!doc || !s.enable) return undefined;
    const input = sourceInput(doc);
    const { text, applied } = fixAll(engine, input, config, pickSafeFix);
    const change = replaceChangedRange(input.text, text);
    if (!change || applied === 0) return undefined;
    const edit = { range: { start: doc.positionAt(change.start), end: doc.positionAt(change.end) }, newText: change.newText };
    return fixAllAction(workspaceEdit({ uri, version: doc.version, documentChanges: flags.documentChanges }, [edit]), applied);
  }

  connection.onShutdown(() => {
    validator?.dispose();
    notebookValidator?.dispose();
  });

  documents.listen(connection);
  notebooks.listen(connection);
  connection.listen();
}
