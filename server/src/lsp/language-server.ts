// The language server: capabilities decided once from the client's (lsp-sample style), document
// sync, settings, validation, code actions, hovers and the project model (one Workspace per folder,
// lsp/project.ts) wired to one connection. Every handler is guarded —
// a failure is logged and answered with an empty result; it never takes the server down.
// Requests about a document (code actions, fix-all, hover) never answer for text the client no longer
// has: cancelled, they answer RequestCancelled; when the document changed while they were computed,
// ContentModified (as the LSP spec recommends), and the client asks again for the new version.

import {
  CodeActionKind,
  DidChangeConfigurationNotification,
  ErrorCodes,
  FileChangeType,
  LSPErrorCodes,
  MessageType,
  NotebookDocuments,
  ResponseError,
  ShowMessageNotification,
  TextDocumentSyncKind,
  TextDocuments,
  type CodeAction,
  type CancellationToken,
  type CodeActionParams,
  type Connection,
  type InitializeError,
  type Hover,
  type InitializeResult,
} from 'vscode-languageserver/node';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { Engine } from '../engine/engine';
import { fixAll, pickSafeFix } from '../engine/fix-all';
import { fixAllAction, quickFixes, replaceChangedRange, wants, workspaceEdit } from './code-actions';
import { DIAGNOSTIC_SOURCE } from './diagnostics';
import { PROJECT_FILE_NAMES, forgetProjectFile } from '../engine/project-config';
import { NOTEBOOK_SYNC, NotebookValidator } from './notebooks';
import { ProjectModel, type ProgressReporter } from './project';
import { FIX_ALL_KIND, ServerInfoRequest, SETTINGS_SECTION, StatusNotification, type ServerInfo } from './protocol';
import { documentPath, SettingsStore, WorkspaceFolders } from './settings';
import { sourceInput, Validator, type Logger } from './validator';
import { OffThreadAnalyser } from './off-thread';
import type { Rule } from '../rules/rule';

/** Quiet time after the last keystroke before a document is analysed again. */
const DEBOUNCE_MS = 175;

/**
 * `initializationOptions.debounceMs` overrides the quiet time; the latency benchmark sets 0 to time
 * the analysis itself rather than the wait. Anything but a finite number from 0 to 10 s is ignored.
 */
function debounceOf(options: unknown): number {
  const v = typeof options === 'object' && options !== null ? (options as { debounceMs?: unknown }).debounceMs : undefined;
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 10_000 ? v : DEBOUNCE_MS;
}

interface ClientFlags {
  configuration: boolean;
  dynamicConfigurationRegistration: boolean;
  codeActionLiterals: boolean;
  documentChanges: boolean;
  /** workspace edits may create files (multi-file fixes) */
  createFiles: boolean;
  /** the client sends workspace/didChangeWorkspaceFolders */
  workspaceFolders: boolean;
  /** the server may create window/workDoneProgress tokens (the folder scans' progress) */
  workDoneProgress: boolean;
}

const NO_PROGRESS: ProgressReporter = { begin: () => undefined, report: () => undefined, done: () => undefined };

function statOf(fileName: string): fs.Stats | undefined {
  try {
    return fs.statSync(fileName);
  } catch {
    return undefined;
  }
}

function errorText(e: unknown): string {
  return e instanceof Error ? (e.stack ?? e.message) : String(e);
}

/**
 * Whether a document request failed because its answer would be stale: such an error goes to the client
 * as the request's answer (the guards log and swallow every other failure). A code check, not a
 * subclass: ResponseError's constructor resets the prototype, so `instanceof` a subclass never holds.
 */
function isStale(e: unknown): e is ResponseError<void> {
  return e instanceof ResponseError && (e.code === LSPErrorCodes.RequestCancelled || e.code === LSPErrorCodes.ContentModified);
}

export interface LanguageServerOptions {
  /**
   * The rules documents are analysed with (default: the registry's). server.ts passes a list with one
   * rule made to throw when LOOPGUARD_FAULT_INJECT_RULE is set, so tests can crash a rule for real.
   */
  rules?: readonly Rule[];
}

export function startLanguageServer(connection: Connection, enginePromise: Promise<Engine>, options: LanguageServerOptions = {}): void {
  const documents = new TextDocuments(TextDocument);
  const notebooks = new NotebookDocuments(TextDocument);
  const log: Logger = {
    debug: (m) => connection.console.debug(m),
    info: (m) => connection.console.info(m),
    warn: (m) => connection.console.warn(m),
    error: (m) => connection.console.error(m),
  };
  let flags: ClientFlags = { configuration: false, dynamicConfigurationRegistration: false, codeActionLiterals: false, documentChanges: false, createFiles: false, workspaceFolders: false, workDoneProgress: false };
  // multi-root: `loopguard.overrides` globs are relative to the document's own folder
  const folders = new WorkspaceFolders();
  let engine: Engine | undefined;
  let validator: Validator | undefined;
  // large documents are analysed in a worker thread when the bundle has one (lsp/off-thread.ts)
  const offThread = OffThreadAnalyser.forBundle();
  let settings: SettingsStore | undefined;
  let notebookValidator: NotebookValidator | undefined;
  let project: ProjectModel | undefined;
  /** the folders named in `initialize`; their scans start once the client is initialized */
  let initialFolders: string[] = [];

  /** Runs a handler; on failure logs it and answers `fallback` instead of failing the request. */
  function guard<T>(what: string, fallback: T, fn: () => T | Promise<T>): Promise<T> {
    return Promise.resolve()
      .then(fn)
      .catch((e: unknown) => {
        log.error(`${what} failed: ${errorText(e)}`);
        return fallback;
      });
  }

  /** The version the client has of a text document or of the notebook a cell belongs to. */
  function versionOf(uri: string): number | undefined {
    return documents.get(uri)?.version ?? notebooks.findNotebookDocumentForCell(uri)?.version;
  }

  /**
   * A request about one document, guarded like every handler, that answers RequestCancelled once the
   * client cancelled it and ContentModified once the document moved on from the version the request
   * was sent for (messages arrive in order, so that is the version at dispatch). `fn` calls
   * `checkpoint()` after each wait, so nothing is computed on text the client has left; the answer is
   * checked once more before it goes out.
   */
  function documentRequest<T>(what: string, uri: string, token: CancellationToken, fallback: T, fn: (checkpoint: () => void) => T | Promise<T>): Promise<T> {
    const version = versionOf(uri);
    const checkpoint = (): void => {
      if (token.isCancellationRequested) throw new ResponseError<void>(LSPErrorCodes.RequestCancelled, `${what} was cancelled`);
      const now = versionOf(uri);
      if (now !== version) {
        throw new ResponseError<void>(LSPErrorCodes.ContentModified, `${uri} changed (version ${String(version)} → ${String(now)}) while ${what} was computed`);
      }
    };
    return Promise.resolve()
      .then(() => {
        checkpoint();
        return fn(checkpoint);
      })
      .then((answer) => {
        checkpoint();
        return answer;
      })
      .catch((e: unknown) => {
        if (isStale(e)) {
          log.debug(`${what} for ${uri}: ${e.message}`);
          throw e;
        }
        log.error(`${what} failed: ${errorText(e)}`);
        return fallback;
      });
  }

  connection.onInitialize(async (params): Promise<InitializeResult> => {
    const debounceMs = debounceOf(params.initializationOptions);
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
      workDoneProgress: caps.window?.workDoneProgress === true,
    };
    initialFolders = params.workspaceFolders ? params.workspaceFolders.map((f) => f.uri) : params.rootUri ? [params.rootUri] : [];
    folders.set(initialFolders);
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
    const openDocument = (fileName: string) => documents.all().find((d) => documentPath(d.uri) === fileName);
    project = new ProjectModel({
      engine,
      settings,
      folders,
      openText: (fileName) => openDocument(fileName)?.getText(),
      openUris: () => documents.all().map((d) => d.uri),
      revalidate: (uris) => validator?.revalidate(uris),
      publish: (p) => void connection.sendDiagnostics(p).catch((e: unknown) => log.error(`publishDiagnostics failed: ${errorText(e)}`)),
      progress: async () => {
        if (!flags.workDoneProgress) return NO_PROGRESS;
        try {
          const r = await connection.window.createWorkDoneProgress();
          return { begin: (t, p, m) => r.begin(t, p, m), report: (p, m) => (m === undefined ? r.report(p) : r.report(p, m)), done: () => r.done() };
        } catch (e) {
          log.warn(`Could not create a progress token: ${errorText(e)}`);
          return NO_PROGRESS;
        }
      },
      log,
      readDisk: (fileName) => {
        try {
          return fs.readFileSync(fileName, 'utf8');
        } catch {
          return undefined;
        }
      },
      fileExists: (f) => statOf(f)?.isFile() === true,
      directoryExists: (f) => statOf(f)?.isDirectory() === true,
    });
    validator = new Validator({
      engine,
      settings,
      project,
      document: (uri) => documents.get(uri),
      publish: (p) => void connection.sendDiagnostics(p).catch((e: unknown) => log.error(`publishDiagnostics failed: ${errorText(e)}`)),
      status: (p) => void connection.sendNotification(StatusNotification.type, p).catch(() => undefined),
      log,
      debounceMs,
      offThread,
      ...(options.rules ? { rules: options.rules } : {}),
    });
    notebookValidator = new NotebookValidator({
      engine,
      settings,
      notebooks,
      publish: (p) => void connection.sendDiagnostics(p).catch((e: unknown) => log.error(`publishDiagnostics failed: ${errorText(e)}`)),
      log,
      debounceMs,
      documentChanges: flags.documentChanges,
    });
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
        notebookDocumentSync: NOTEBOOK_SYNC,
        // without literal support a client could only run commands, and every action here is an edit
        ...(flags.codeActionLiterals ? { codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, FIX_ALL_KIND] } } : {}),
        ...(flags.workspaceFolders ? { workspace: { workspaceFolders: { supported: true, changeNotifications: true } } } : {}),
        // summaries of functions: "may block the event loop: via readJson → fs.readFileSync"
        hoverProvider: true,
      },
      serverInfo: { name: 'loopguard' },
    };
  });

  connection.onInitialized(() => {
    // in the background: requests are served between the scan's chunks
    void guard('workspace scan', undefined, () => project?.addFolders(initialFolders));
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
          project?.removeFolders(e.removed.map((f) => f.uri));
          project?.addFolders(e.added.map((f) => f.uri));
          // a document may now belong to another folder, with other settings
          settings?.invalidate();
          validator?.revalidate(documents.all().map((d) => d.uri));
        });
      });
    }
  });

  // Project files (loopguard.json, pyproject.toml, package.json) are watched by the client
  // (synchronize.fileEvents); they are re-read on their next use, so open documents are analysed again
  // and the folders scanned again (a file's configuration, even whether it is excluded, may differ).
  // Source files changed on disk update the project model.
  connection.onDidChangeWatchedFiles((params) => {
    void guard('didChangeWatchedFiles', undefined, () => {
      const events = params.changes.flatMap((c) => {
        const fileName = documentPath(c.uri);
        return fileName === undefined ? [] : [{ fileName, deleted: c.type === FileChangeType.Deleted }];
      });
      const isProjectFile = (p: string) => (PROJECT_FILE_NAMES as readonly string[]).includes(path.basename(p));
      const changed = events.filter((e) => isProjectFile(e.fileName)).map((e) => e.fileName);
      project?.filesChanged(events.filter((e) => !isProjectFile(e.fileName)));
      if (changed.length === 0) return;
      for (const p of changed) forgetProjectFile(p);
      validator?.revalidate(documents.all().map((d) => d.uri));
      notebookValidator?.revalidateAll();
      project?.rescanAll();
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
      project?.rescanAll();
    });
  });

  documents.onDidOpen((e) => void guard('didOpen', undefined, () => validator?.opened(e.document)));
  documents.onDidChangeContent((e) => void guard('didChange', undefined, () => validator?.changed(e.document)));
  documents.onDidClose(
    (e) =>
      void guard('didClose', undefined, () => {
        validator?.closed(e.document.uri);
        project?.closed(e.document.uri);
      }),
  );
  notebooks.onDidOpen((nb) => void guard('notebookDocument/didOpen', undefined, () => notebookValidator?.opened(nb)));
  notebooks.onDidChange((e) => void guard('notebookDocument/didChange', undefined, () => notebookValidator?.changed(e.notebookDocument)));
  notebooks.onDidClose((nb) => void guard('notebookDocument/didClose', undefined, () => notebookValidator?.closed(nb)));

  connection.onCodeAction((params, token) =>
    documentRequest<CodeAction[]>('codeAction', params.textDocument.uri, token, [], (checkpoint) => codeActions(params, checkpoint)),
  );

  // project.hover is synchronous: the checks before and after are what can apply to it
  connection.onHover((params, token) =>
    documentRequest<Hover | null>('hover', params.textDocument.uri, token, null, () => {
      const text = project?.hover(params.textDocument.uri, params.position);
      return text === undefined ? null : { contents: { kind: 'markdown', value: text } };
    }),
  );

  // what a test or the soak script needs to see the process from outside: its pid and memory
  connection.onRequest(ServerInfoRequest.type, (params) =>
    guard<ServerInfo | null>('serverInfo', null, () => {
      const gc = (globalThis as { gc?: () => void }).gc;
      const collected = params?.collectGarbage === true && gc !== undefined;
      if (collected) gc();
      const m = process.memoryUsage();
      return { pid: process.pid, rssBytes: m.rss, heapUsedBytes: m.heapUsed, externalBytes: m.external, collectedGarbage: collected };
    }),
  );

  async function codeActions(params: CodeActionParams, checkpoint: () => void): Promise<CodeAction[]> {
    const uri = params.textDocument.uri;
    if (!validator || !settings || !engine) return [];
    const only = params.context.only;
    if (notebookValidator?.notebookOf(uri)) return notebookActions(notebookValidator, params, checkpoint);
    const actions: CodeAction[] = [];
    if (wants(only, CodeActionKind.QuickFix) && params.context.diagnostics.some((d) => d.source === DIAGNOSTIC_SOURCE)) {
      const analysed = await validator.current(uri);
      checkpoint();
      if (analysed) {
        const openDocument = (fileName: string) => {
          const d = documents.all().find((x) => documentPath(x.uri) === fileName);
          return d ? { text: d.getText(), version: d.version } : undefined;
        };
        actions.push(...quickFixes(analysed, params.context.diagnostics, { uri, version: analysed.version, documentChanges: flags.documentChanges, createFiles: flags.createFiles, openDocument }));
      }
    }
    // A plain lightbulb request (no `only`) does not get fix-all: it would re-analyse the file in
    // passes on every cursor move. Editors ask for it by kind (Source Action…, codeActionsOnSave).
    if (only !== undefined && wants(only, FIX_ALL_KIND)) {
      const fixAllResult = await fixAllFor(uri, checkpoint);
      if (fixAllResult) actions.push(fixAllResult);
    }
    return actions;
  }

  async function notebookActions(nbv: NotebookValidator, params: CodeActionParams, checkpoint: () => void): Promise<CodeAction[]> {
    const { uri } = params.textDocument;
    const only = params.context.only;
    const actions: CodeAction[] = [];
    if (wants(only, CodeActionKind.QuickFix) && params.context.diagnostics.some((d) => d.source === DIAGNOSTIC_SOURCE)) {
      actions.push(...(await nbv.codeActions(uri, params.context.diagnostics)));
      checkpoint();
    }
    if (only !== undefined && wants(only, FIX_ALL_KIND)) {
      const all = await nbv.fixAll(uri);
      checkpoint();
      if (all) actions.push(all);
    }
    return actions;
  }

  async function fixAllFor(uri: string, checkpoint: () => void): Promise<CodeAction | undefined> {
    if (!documents.get(uri) || !engine || !settings) return undefined;
    const { settings: s, config } = await settings.get(uri);
    // fix-all re-analyses the file in passes: not for a cancelled request or a version the client left
    checkpoint();
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
    offThread?.dispose();
    notebookValidator?.dispose();
    project?.dispose();
  });

  documents.listen(connection);
  notebooks.listen(connection);
  connection.listen();
}
