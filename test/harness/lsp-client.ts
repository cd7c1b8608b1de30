// A scripted LSP client for protocol tests: spawns the BUILT server (`node dist/server.js --stdio`),
// speaks real JSON-RPC to it, answers `workspace/configuration` from a settings object the test
// controls, and records every notification the server sends. Tests wait on those notifications
// (each wait with a timeout that fails with a description of what was awaited), never on sleeps.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  CodeActionRequest,
  ConfigurationRequest,
  DidChangeConfigurationNotification,
  DidChangeTextDocumentNotification,
  DidCloseTextDocumentNotification,
  DidOpenTextDocumentNotification,
  ExitNotification,
  InitializedNotification,
  InitializeRequest,
  LogMessageNotification,
  PublishDiagnosticsNotification,
  RegistrationRequest,
  ShowMessageNotification,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
  createProtocolConnection,
  type ClientCapabilities,
  type CodeAction,
  type CodeActionContext,
  type Command,
  type InitializeResult,
  type LogMessageParams,
  type ProtocolConnection,
  type PublishDiagnosticsParams,
  type Range,
  type Registration,
  type ShowMessageParams,
  type TextDocumentContentChangeEvent,
  type TextEdit,
  type WorkspaceEdit,
} from 'vscode-languageserver-protocol/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { StatusNotification, type StatusParams } from '../../server/src/lsp/protocol';

export const ROOT = path.join(__dirname, '..', '..');
export const SERVER_JS = path.join(ROOT, 'dist', 'server.js');

const DEFAULT_TIMEOUT_MS = 15_000;

/** Builds dist/ when the server bundle is missing or older than a server source (`npm test` builds first). */
export function ensureBuilt(): void {
  const newest = (dir: string): number => {
    let t = 0;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      t = Math.max(t, e.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs);
    }
    return t;
  };
  const built = fs.existsSync(SERVER_JS) ? fs.statSync(SERVER_JS).mtimeMs : 0;
  if (built >= Math.max(newest(path.join(ROOT, 'server', 'src')), newest(path.join(ROOT, 'rules')))) return;
  const r = spawnSync(process.execPath, ['esbuild.mjs'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`build failed:\n${r.stdout}\n${r.stderr}`);
}

/** An append-only record of one kind of message, with waits for one that matches. */
export class EventLog<T> {
  readonly items: T[] = [];
  private waiters: Array<{ from: number; match: (t: T) => boolean; resolve: (t: T) => void }> = [];

  push(item: T): void {
    const index = this.items.push(item) - 1;
    this.waiters = this.waiters.filter((w) => {
      if (index < w.from || !w.match(item)) return true;
      w.resolve(item);
      return false;
    });
  }

  /** Where the log is now: pass it to `next` to ignore what arrived earlier. */
  mark(): number {
    return this.items.length;
  }

  /** The first item from index `from` on that matches; rejects after `timeoutMs` naming `what`. */
  next(what: string, match: (t: T) => boolean, from = 0, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<T> {
    const have = this.items.slice(from).find(match);
    if (have !== undefined) return Promise.resolve(have);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const waiter = {
        from,
        match,
        resolve: (t: T) => {
          clearTimeout(timer);
          resolve(t);
        },
      };
      this.waiters.push(waiter);
    });
  }
}

export interface StartOptions {
  /** the `loopguard` section returned for `workspace/configuration`; changed by tests between requests */
  settings?: Record<string, unknown>;
  capabilities?: ClientCapabilities;
  /** extra variables for the server's environment (e.g. LOOPGUARD_FAULT_INJECT_RULE) */
  env?: Record<string, string>;
  /** Node options placed before the server script (e.g. --expose-gc) */
  nodeArgs?: string[];
  /** `initializationOptions` of the initialize request (e.g. { debounceMs: 0 }) */
  initializationOptions?: unknown;
}

/** Capabilities of a modern client (what VS Code announces for the features the server uses). */
export const FULL_CAPABILITIES: ClientCapabilities = {
  workspace: {
    configuration: true,
    didChangeConfiguration: { dynamicRegistration: true },
    workspaceEdit: { documentChanges: true },
  },
  textDocument: {
    synchronization: { dynamicRegistration: false },
    publishDiagnostics: { versionSupport: true, codeDescriptionSupport: true, dataSupport: true, relatedInformation: true },
    codeAction: {
      codeActionLiteralSupport: { codeActionKind: { valueSet: ['quickfix', 'source', 'source.fixAll'] } },
      isPreferredSupport: true,
      dataSupport: true,
    },
  },
  window: { showMessage: {} },
};

export class LspTestClient {
  readonly diagnostics = new EventLog<PublishDiagnosticsParams>();
  readonly statuses = new EventLog<StatusParams>();
  readonly messages = new EventLog<ShowMessageParams>();
  readonly logs = new EventLog<LogMessageParams>();
  readonly configurationRequests = new EventLog<string | undefined>();
  readonly registrations = new EventLog<Registration>();
  /** the `loopguard` section answered to `workspace/configuration` */
  settings: Record<string, unknown>;
  /** when set, configuration answers wait for it: lets a test change a document mid-validation */
  configurationGate: Promise<void> | undefined;
  readonly stderr: string[] = [];
  private readonly docs = new Map<string, TextDocument>();
  private exited: Promise<number | null>;

  private constructor(
    readonly child: ChildProcess,
    readonly connection: ProtocolConnection,
    settings: Record<string, unknown>,
  ) {
    this.settings = settings;
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    connection.onNotification(PublishDiagnosticsNotification.type, (p) => this.diagnostics.push(p));
    connection.onNotification(StatusNotification.type, (p) => this.statuses.push(p));
    connection.onNotification(ShowMessageNotification.type, (p) => this.messages.push(p));
    connection.onNotification(LogMessageNotification.type, (p) => this.logs.push(p));
    connection.onRequest(ConfigurationRequest.type, async (params) => {
      for (const item of params.items) this.configurationRequests.push(item.scopeUri);
      if (this.configurationGate) await this.configurationGate;
      return params.items.map((item) => (item.section === 'loopguard' ? structuredClone(this.settings) : null));
    });
    connection.onRequest(RegistrationRequest.type, (params) => {
      for (const r of params.registrations) this.registrations.push(r);
    });
  }

  static async start(options: StartOptions = {}): Promise<LspTestClient> {
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), SERVER_JS, '--stdio'], {
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(options.env ? { env: { ...process.env, ...options.env } } : {}),
    });
    const connection = createProtocolConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    const client = new LspTestClient(child, connection, options.settings ?? {});
    child.stderr!.on('data', (d: Buffer) => client.stderr.push(d.toString()));
    connection.listen();
    const result: InitializeResult = await connection.sendRequest(InitializeRequest.type, {
      processId: process.pid,
      rootUri: null,
      capabilities: options.capabilities ?? FULL_CAPABILITIES,
      workspaceFolders: null,
      ...(options.initializationOptions !== undefined ? { initializationOptions: options.initializationOptions } : {}),
    });
    client.initializeResult = result;
    await connection.sendNotification(InitializedNotification.type, {});
    return client;
  }

  initializeResult: InitializeResult | undefined;

  /** Recent server log lines, to make a failed wait explainable. */
  recentLog(): string {
    return this.logs.items
      .slice(-20)
      .map((l) => `  [${l.type}] ${l.message}`)
      .join('\n');
  }

  text(uri: string): string {
    const doc = this.docs.get(uri);
    if (!doc) throw new Error(`${uri} is not open`);
    return doc.getText();
  }

  version(uri: string): number {
    const doc = this.docs.get(uri);
    if (!doc) throw new Error(`${uri} is not open`);
    return doc.version;
  }

  async open(uri: string, languageId: string, text: string, version = 1): Promise<void> {
    this.docs.set(uri, TextDocument.create(uri, languageId, version, text));
    await this.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId, version, text } });
  }

  /** Sends incremental changes (ranges in the current text) and returns the new version. */
  async change(uri: string, changes: Array<{ range: Range; text: string }>): Promise<number> {
    const doc = this.docs.get(uri);
    if (!doc) throw new Error(`${uri} is not open`);
    const version = doc.version + 1;
    const contentChanges: TextDocumentContentChangeEvent[] = changes;
    TextDocument.update(doc, contentChanges, version);
    await this.connection.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version }, contentChanges });
    return version;
  }

  /** Applies LSP edits for `uri` locally and sends them as one incremental change each, like an editor. */
  async applyEdits(uri: string, edits: readonly TextEdit[]): Promise<number> {
    // sent last-first so each range is still valid in the text the server has
    const sorted = [...edits].sort((a, b) => b.range.start.line - a.range.start.line || b.range.start.character - a.range.start.character);
    return this.change(
      uri,
      sorted.map((e) => ({ range: e.range, text: e.newText })),
    );
  }

  async close(uri: string): Promise<void> {
    this.docs.delete(uri);
    await this.connection.sendNotification(DidCloseTextDocumentNotification.type, { textDocument: { uri } });
  }

  async changeConfiguration(settings: Record<string, unknown>): Promise<void> {
    this.settings = settings;
    await this.connection.sendNotification(DidChangeConfigurationNotification.type, { settings: { loopguard: settings } });
  }

  async codeActions(uri: string, range: Range, context: CodeActionContext): Promise<Array<CodeAction | Command>> {
    return (await this.connection.sendRequest(CodeActionRequest.type, { textDocument: { uri }, range, context })) ?? [];
  }

  /** Diagnostics published for `uri` with exactly this version, from `from` on. */
  diagnosticsFor(uri: string, version: number, from = 0): Promise<PublishDiagnosticsParams> {
    return this.diagnostics
      .next(`diagnostics for ${uri} version ${version}`, (p) => p.uri === uri && p.version === version, from)
      .catch((e: unknown) => {
        throw new Error(`${e instanceof Error ? e.message : String(e)}\nserver log:\n${this.recentLog()}`);
      });
  }

  async shutdown(): Promise<number | null> {
    if (this.child.exitCode === null) {
      await this.connection.sendRequest(ShutdownRequest.type);
      await this.connection.sendNotification(ExitNotification.type);
    }
    const code = await this.exited;
    this.connection.dispose();
    return code;
  }

  /** Cleanup for `after()`: the protocol's shutdown and exit, or a kill when the server does not answer in 10 s. */
  async stop(): Promise<void> {
    const code = await Promise.race([this.shutdown(), new Promise<'hung'>((r) => setTimeout(() => r('hung'), 10_000).unref())]);
    if (code === 'hung') this.kill();
  }

  /** Ends the server without the protocol (cleanup after a failed test). */
  kill(): void {
    if (this.child.exitCode === null) this.child.kill();
    this.connection.dispose();
  }

  get exit(): Promise<number | null> {
    return this.exited;
  }
}

/** The text after applying a WorkspaceEdit's edits for `uri` (either `changes` or `documentChanges`). */
export function editsFor(edit: WorkspaceEdit | undefined, uri: string): TextEdit[] {
  if (!edit) return [];
  const out: TextEdit[] = [];
  for (const dc of edit.documentChanges ?? []) {
    if ('textDocument' in dc && dc.textDocument.uri === uri) {
      for (const e of dc.edits) if ('range' in e && 'newText' in e) out.push({ range: e.range, newText: e.newText });
    }
  }
  out.push(...(edit.changes?.[uri] ?? []));
  return out;
}

export function applyTextEdits(text: string, edits: readonly TextEdit[]): string {
  return TextDocument.applyEdits(TextDocument.create('file:///x', 'plaintext', 0, text), [...edits]);
}

export function isCodeAction(a: CodeAction | Command): a is CodeAction {
  return typeof (a as CodeAction).title === 'string' && typeof (a as Command).command !== 'string';
}
