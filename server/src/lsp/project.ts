// The project model in the language server: one engine/workspace Workspace per workspace folder, over
// the disk with the open documents overlaid. It owns the folder scans (in the background, with
// `window/workDoneProgress`), keeps each Workspace in step with edits, closes and disk changes, tells
// the Validator which other open documents an edit can change, publishes diagnostics for closed files
// when `loopguard.workspaceDiagnostics` is on, and answers hovers with function summaries.
//
// Consistency: a document is put into its Workspace right before it is analysed (`sync`), so the
// findings of a document always see its own current text; other files are as they were at their last
// sync or disk event. A file that changes while its folder is being scanned is queued and updated
// once the scan ends, when every open document of the folder is analysed again anyway.

import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Diagnostic, PublishDiagnosticsParams } from 'vscode-languageserver';
import { EXCLUDED_DIRS } from '../cli/files';
import type { AnalysisConfig } from '../engine/config';
import type { Engine } from '../engine/engine';
import type { Call, ImportedName } from '../engine/model';
import { LineIndex } from '../engine/text';
import type { FileFacts, FunctionFacts } from '../engine/workspace/facts';
import { MAX_CHAIN, propagates, type SolvedSummary } from '../engine/workspace/summaries';
import { nodeKey, Workspace } from '../engine/workspace/workspace';
import type { CalleeSummary, Evidence, FunctionSummary, Location, Position, WorkspaceHost } from '../engine/workspace/types';
import { RULES } from '../rules/registry';
import type { Rule } from '../rules/rule';
import { toDiagnostics } from './diagnostics';
import { calleeTableOf, OFF_THREAD_CHARS, type CalleeTable } from './off-thread';
import { documentPath, type SettingsStore, type WorkspaceFolders } from './settings';
import type { Logger } from './validator';

/** Build output folders files.ts skips on top of the CLI's exclusions, for files created later. */
const BUILD_DIRS: ReadonlySet<string> = new Set(['dist', 'build', 'out']);

/** Files analysed between two turns of the event loop when publishing workspace diagnostics. */
const PUBLISH_CHUNK = 20;

/** What a scan reports while it runs; a no-op when the client cannot show progress. */
export interface ProgressReporter {
  begin(title: string, percentage?: number, message?: string): void;
  report(percentage: number, message?: string): void;
  done(): void;
}

export interface ProjectHost {
  engine: Engine;
  settings: SettingsStore;
  folders: WorkspaceFolders;
  /** the text of the open document for this path, if one is open */
  openText(fileName: string): string | undefined;
  /** the URIs of the open text documents */
  openUris(): string[];
  /** analyse these open documents again (their findings may have changed) */
  revalidate(uris: readonly string[]): void;
  /** diagnostics of a closed file (workspace diagnostics) */
  publish(params: PublishDiagnosticsParams): void;
  /** a progress reporter for a scan (window/workDoneProgress when the client supports it) */
  progress(): Promise<ProgressReporter>;
  log: Logger;
  /** reads a file from disk (tests replace it) */
  readDisk(fileName: string): string | undefined;
  fileExists(fileName: string): boolean;
  directoryExists(fileName: string): boolean;
}

interface FolderModel {
  root: string;
  uri: string;
  /** the finished Workspace; during the first scan undefined (documents get same-file chains only) */
  workspace: Workspace | undefined;
  /** bumps on every rescan and on removal: a stale scan or publication stops */
  generation: number;
  scanning: boolean;
  /** files synced or changed on disk while scanning, updated once the scan ends */
  pending: Set<string>;
  /** whether closed files get diagnostics (the folder's loopguard.workspaceDiagnostics) */
  workspaceDiagnostics: boolean;
  /** the analysis configuration per file, from the folder's editor settings and each file's project file */
  configFor: (fileName: string) => AnalysisConfig | undefined;
  /** closed files whose diagnostics were published by the project model */
  published: Set<string>;
}

function errorText(e: unknown): string {
  return e instanceof Error ? (e.stack ?? e.message) : String(e);
}

const uriOf = (fileName: string): string => pathToFileURL(fileName).href;

function contains(loc: Location, p: Position): boolean {
  const le = (a: Position, b: Position) => a.line < b.line || (a.line === b.line && a.character <= b.character);
  return le(loc.start, p) && le(p, loc.end);
}

export class ProjectModel {
  private readonly folders = new Map<string, FolderModel>();
  private readonly host: WorkspaceHost;
  /**
   * The text last synced of each open document of OFF_THREAD_CHARS or more: a hover there answers only
   * when the Workspace has the facts of the current text, since bringing them up to date would parse
   * the document on the server's thread (the worker's analysis syncs it).
   */
  private readonly largeSynced = new Map<string, string>();

  constructor(private readonly project: ProjectHost) {
    // open documents win over the disk: the project model sees what the user sees
    this.host = {
      readFile: (f) => project.openText(f) ?? project.readDisk(f),
      fileExists: (f) => project.openText(f) !== undefined || project.fileExists(f),
      directoryExists: (f) => project.directoryExists(f),
    };
  }

  /** Folders added (initialized, didChangeWorkspaceFolders): scan each in the background. */
  addFolders(uris: readonly string[]): void {
    for (const uri of uris) {
      const root = documentPath(uri);
      if (root === undefined || this.folders.has(root)) continue;
      const folder: FolderModel = {
        root,
        uri,
        workspace: undefined,
        generation: 0,
        scanning: false,
        pending: new Set(),
        workspaceDiagnostics: false,
        configFor: () => undefined,
        published: new Set(),
      };
      this.folders.set(root, folder);
      this.scan(folder);
    }
  }

  removeFolders(uris: readonly string[]): void {
    for (const uri of uris) {
      const root = documentPath(uri);
      const folder = root === undefined ? undefined : this.folders.get(root);
      if (!folder || !root) continue;
      folder.generation++;
      this.folders.delete(root);
      this.clearPublished(folder);
    }
  }

  /** Settings or a project file changed: the configuration of every file may differ, so scan again. */
  rescanAll(): void {
    for (const folder of this.folders.values()) this.scan(folder);
  }

  /**
   * Puts an open document's current text into its folder's Workspace before it is analysed, and
   * returns the Workspace to analyse it with. Other open documents whose findings the edit can change
   * are analysed again; closed ones get new workspace diagnostics.
   */
  sync(uri: string, fileName: string, text: string, facts?: FileFacts): Workspace | undefined {
    const file = documentPath(uri);
    const folder = file === undefined ? undefined : this.folderOf(file);
    if (!folder || file === undefined) return undefined;
    // the front ends' file name may carry an extension the path lacks (untitled, odd extensions)
    if (fileName !== file) return folder.workspace;
    if (folder.scanning || !folder.workspace) {
      folder.pending.add(file);
      return folder.workspace;
    }
    this.updated(folder, file, folder.workspace.update(file, text, facts));
    if (text.length >= OFF_THREAD_CHARS) this.largeSynced.set(file, text);
    else this.largeSynced.delete(file);
    return folder.workspace;
  }

  /**
   * The Workspace `sync` returns, without syncing: the validator analyses with it and syncs from the
   * analysis' own parse (Engine.analyse's onFacts, before the rules run), so an edit is parsed once.
   */
  workspaceOf(uri: string): Workspace | undefined {
    const file = documentPath(uri);
    return file === undefined ? undefined : this.folderOf(file)?.workspace;
  }

  /**
   * What the folder's Workspace answers for a document's calls into other files, for an analysis off the
   * server's thread (lsp/off-thread.ts calleeTableOf). Undefined when the folder has no Workspace yet
   * (then no call into another file is followed, as for a small document meanwhile).
   */
  calleeTable(uri: string, fileName: string, extra: readonly ImportedName[] = []): CalleeTable | undefined {
    const ws = this.workspaceOf(uri);
    return ws && calleeTableOf(ws, fileName, extra);
  }

  /** A document closed: its file is the disk's again. */
  closed(uri: string): void {
    const file = documentPath(uri);
    const folder = file === undefined ? undefined : this.folderOf(file);
    if (!folder || file === undefined) return;
    this.largeSynced.delete(file);
    this.fromDisk(folder, file, false);
  }

  /** Source files changed on disk (workspace/didChangeWatchedFiles); open documents are synced as text. */
  filesChanged(changes: ReadonlyArray<{ fileName: string; deleted: boolean }>): void {
    for (const { fileName, deleted } of changes) {
      if (this.project.openText(fileName) !== undefined) continue;
      const folder = this.folderOf(fileName);
      if (!folder) continue;
      this.fromDisk(folder, fileName, deleted);
    }
  }

  /**
   * Hover: the summary of the function defined at `position`, or of the function a call there reaches —
   * any call: in sync or async code, awaited or not, at module level. An async function (or an event-loop
   * callback) has no summary of its own (calling it does not run its body in the caller's turn), so for
   * it the hover says what its body does synchronously when it runs.
   */
  hover(uri: string, position: Position): string | undefined {
    const file = documentPath(uri);
    const folder = file === undefined ? undefined : this.folderOf(file);
    if (!folder || file === undefined) return undefined;
    // during the first scan there is nothing to say yet; a hover is not worth waiting seconds for
    const ws = folder.workspace;
    if (!ws) return undefined;
    // a hover may come before the debounced analysis of the latest keystrokes
    const open = this.project.openText(file);
    if (open !== undefined && open.length >= OFF_THREAD_CHARS) {
      if (this.largeSynced.get(file) !== open) return undefined;
    } else if (open !== undefined && !folder.scanning) this.updated(folder, file, ws.update(file, open));
    const defined = ws.functions(file).find((f) => contains(f.definition, position));
    if (defined) return hoverText(ws, nodeKey(file, defined.scope), 'definition');
    // calls made synchronously in a function are the facts' edges: no parse needed
    for (const fn of ws.functions(file)) {
      const edge = fn.edges.find((e) => contains(e.location, position));
      if (!edge) continue;
      const key = edge.target !== undefined ? nodeKey(file, edge.target) : edge.imported ? ws.resolveImport(file, edge.imported) : undefined;
      return key === undefined ? undefined : hoverText(ws, key, 'call', edge.iterates === true);
    }
    const found = this.calleeAt(folder, ws, file, open, position);
    return found === undefined ? undefined : hoverText(ws, found.key, 'call', found.iterated);
  }

  /**
   * The function a call at `position` reaches, for the calls the facts keep no edge for (awaited calls,
   * module-level code): the document is parsed (not for large ones, whose parse would hold up the server).
   */
  private calleeAt(folder: FolderModel, ws: Workspace, file: string, open: string | undefined, position: Position): { key: string; iterated: boolean } | undefined {
    const text = open ?? this.host.readFile(file);
    const config = folder.configFor(file);
    if (text === undefined || !config || text.length >= OFF_THREAD_CHARS) return undefined;
    const offset = new LineIndex(text).offset(position);
    let found: Pick<Call, 'target' | 'imported' | 'iterated'> | undefined;
    const probe: Rule = {
      meta: { id: 'loopguard-hover', languages: ['javascript', 'python'], defaultSeverity: 'hint', messages: {}, summary: '' },
      check(ctx) {
        found = ctx.model.calls.find((c) => c.calleeSpan.start <= offset && offset <= c.calleeSpan.end && (c.target !== undefined || c.imported !== undefined));
      },
    };
    try {
      this.project.engine.analyse({ fileName: file, text }, config, [probe], ws);
    } catch (e) {
      this.project.log.error(`Hover in ${file} failed: ${errorText(e)}`);
      return undefined;
    }
    if (!found) return undefined;
    const key = found.target !== undefined ? nodeKey(file, found.target) : found.imported ? ws.resolveImport(file, found.imported) : undefined;
    return key === undefined ? undefined : { key, iterated: found.iterated === true };
  }

  dispose(): void {
    for (const folder of this.folders.values()) folder.generation++;
    this.folders.clear();
    this.largeSynced.clear();
  }

  private folderOf(file: string): FolderModel | undefined {
    const root = this.project.folders.folderOf(file);
    return root === undefined ? undefined : this.folders.get(root);
  }

  private fromDisk(folder: FolderModel, file: string, deleted: boolean): void {
    if (folder.scanning || !folder.workspace) {
      folder.pending.add(file);
      return;
    }
    const ws = folder.workspace;
    if (!deleted && !ws.has(file) && !this.isSource(folder, file)) return;
    const text = deleted ? undefined : this.host.readFile(file);
    this.updated(folder, file, ws.update(file, text));
  }

  /** Whether a file created after the scan belongs to the workspace (files.ts's folders; not .gitignore). */
  private isSource(folder: FolderModel, file: string): boolean {
    if (!this.project.engine.supports(file)) return false;
    const rel = path.relative(folder.root, file);
    if (rel.startsWith('..') || path.isAbsolute(rel)) return false;
    return !rel.split(path.sep).slice(0, -1).some((d) => EXCLUDED_DIRS.has(d) || BUILD_DIRS.has(d));
  }

  /** After `workspace.update(file)`: the other open documents among `affected` again, closed ones published. */
  private updated(folder: FolderModel, file: string, affected: ReadonlySet<string>): void {
    const open = new Map<string, string>();
    for (const uri of this.project.openUris()) {
      const p = documentPath(uri);
      if (p !== undefined) open.set(p, uri);
    }
    const others = [...affected].filter((f) => f !== file && open.has(f)).map((f) => open.get(f) as string);
    if (others.length > 0) this.project.revalidate(others);
    if (!folder.workspaceDiagnostics) return;
    const closed = [...affected].filter((f) => !open.has(f));
    void this.publishClosed(folder, closed, folder.generation);
  }

  private scan(folder: FolderModel): void {
    const generation = ++folder.generation;
    folder.scanning = true;
    void this.runScan(folder, generation)
      .catch((e: unknown) => this.project.log.error(`Scanning ${folder.root} failed: ${errorText(e)}`))
      .finally(() => {
        if (folder.generation === generation) folder.scanning = false;
      });
  }

  private async runScan(folder: FolderModel, generation: number): Promise<void> {
    const { engine, settings, log } = this.project;
    const { editor, forFile } = await settings.resolverFor(folder.uri);
    if (folder.generation !== generation) return;
    const configFor = (fileName: string): AnalysisConfig | undefined => {
      const s = forFile(uriOf(fileName));
      return s.settings.enable && s.excludedBy === undefined ? s.config : undefined;
    };
    const progress = await this.project.progress();
    const name = path.basename(folder.root);
    progress.begin(`Loopguard: scanning ${name}`, 0, 'listing files');
    const t0 = performance.now();
    const workspace = new Workspace({ host: this.host, roots: [folder.root], engine, configFor });
    let lastPercent = -1;
    try {
      await workspace.scan(undefined, (done, total) => {
        // one report per percent: a 10k-file folder must not send 10k notifications
        const percent = Math.floor((done / Math.max(total, 1)) * 100);
        if (percent !== lastPercent || done === total) {
          lastPercent = percent;
          progress.report(percent, `${done}/${total} files`);
        }
        if (folder.generation !== generation) throw new ScanCancelled();
      });
    } catch (e) {
      if (e instanceof ScanCancelled) return;
      throw e;
    } finally {
      progress.done();
    }
    if (folder.generation !== generation) return;
    log.info(`Scanned ${folder.root}: ${workspace.fileNames().length} files in ${Math.round(performance.now() - t0)} ms`);
    const previouslyPublished = folder.published;
    folder.workspace = workspace;
    folder.configFor = configFor;
    folder.workspaceDiagnostics = editor.workspaceDiagnostics;
    folder.published = new Set();
    folder.scanning = false;
    // files that changed while the scan read the folder
    for (const file of folder.pending) workspace.update(file, this.host.readFile(file));
    folder.pending.clear();
    // open documents may now have cross-file chains: analyse them all again
    const inFolder = this.project.openUris().filter((u) => {
      const p = documentPath(u);
      return p !== undefined && this.folderOf(p) === folder;
    });
    this.project.revalidate(inFolder);
    const open = new Set(inFolder.map((u) => documentPath(u)));
    // diagnostics published by an earlier scan for files now gone or excluded are cleared
    for (const f of previouslyPublished) {
      if (!workspace.has(f) || !folder.workspaceDiagnostics) this.project.publish({ uri: uriOf(f), diagnostics: [] });
    }
    if (folder.workspaceDiagnostics) {
      await this.publishClosed(folder, workspace.fileNames().filter((f) => !open.has(f)).sort(), generation);
    }
  }

  /** Analyses closed files with the folder's Workspace and publishes their diagnostics (unversioned). */
  private async publishClosed(folder: FolderModel, files: readonly string[], generation: number): Promise<void> {
    const ws = folder.workspace;
    if (!ws) return;
    let n = 0;
    for (const file of files) {
      if (folder.generation !== generation) return;
      // opened meanwhile: the Validator owns its diagnostics now
      if (this.project.openText(file) !== undefined) continue;
      const diagnostics = this.diagnosticsOf(folder, ws, file);
      if (diagnostics === undefined) {
        if (folder.published.delete(file)) this.project.publish({ uri: uriOf(file), diagnostics: [] });
      } else {
        folder.published.add(file);
        this.project.publish({ uri: uriOf(file), diagnostics });
      }
      if (++n % PUBLISH_CHUNK === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /** The diagnostics of a closed file, or undefined when it is not analysed (deleted, excluded, disabled). */
  private diagnosticsOf(folder: FolderModel, ws: Workspace, file: string): Diagnostic[] | undefined {
    if (!ws.has(file)) return undefined;
    const config = folder.configFor(file);
    const text = this.host.readFile(file);
    if (!config || text === undefined) return undefined;
    try {
      const result = this.project.engine.analyse({ fileName: file, text }, config, RULES, ws);
      if (result.family === undefined || result.skipped !== undefined) return undefined;
      return toDiagnostics(result.findings, result.lines).diagnostics;
    } catch (e) {
      this.project.log.error(`Analysing ${file} failed: ${errorText(e)}`);
      return undefined;
    }
  }

  private clearPublished(folder: FolderModel): void {
    for (const f of folder.published) this.project.publish({ uri: uriOf(f), diagnostics: [] });
    folder.published.clear();
  }
}

class ScanCancelled extends Error {}

/** `file.ts:12` as a markdown link the editor opens at the line. */
function link(loc: Location): string {
  const label = `${path.basename(loc.fileName)}:${loc.start.line + 1}`;
  return `[${label}](${uriOf(loc.fileName)}#L${loc.start.line + 1},${loc.start.character + 1})`;
}

function chain(evidence: Evidence): string {
  const last = evidence.hops[evidence.hops.length - 1];
  return `via ${evidence.hops.map((h) => `\`${h.label}\``).join(' → ')} (${link(last.location)})`;
}

/**
 * The hover text of a function summary, or undefined when there is nothing to say. A generator's body
 * runs only when its result is iterated: its summary says so, and at a call that only creates it
 * (`iterated` false) the hover adds that this call runs none of the body.
 */
export function describeSummary(summary: CalleeSummary & SolvedSummary, at: 'definition' | 'call', ownBody = false, iterated?: boolean): string | undefined {
  const lines: string[] = [];
  // an async function's body blocks when it runs, not in its callers' turn; a generator's when iterated
  const when = summary.generator ? ' when iterated' : ownBody ? ' while it runs' : '';
  if (summary.blocks) lines.push(`**may block the event loop${when}**: ${chain(summary.blocks)}`);
  if (summary.heavy) lines.push(`**CPU-heavy${when}**: ${chain(summary.heavy)}`);
  if (lines.length === 0) return undefined;
  const head = at === 'call' ? `\`${summary.name}\` (defined at ${link(summary.definition)})` : `\`${summary.name}\``;
  const out = [`${head} — Loopguard`, '', ...lines.map((l) => `- ${l}`)];
  if (summary.generator && at === 'call') {
    out.push('', iterated ? 'This call iterates the generator: its body runs here.' : 'This call only creates the generator: none of its body runs until the result is iterated.');
  }
  return out.join('\n');
}

/** The hover of the function `key`: its summary, or for an async function (or callback) what its body does. */
function hoverText(ws: Workspace, key: string, at: 'definition' | 'call', iterated?: boolean): string | undefined {
  const callee = ws.calleeSummary(key);
  if (!callee) return undefined;
  const hash = key.lastIndexOf('#');
  const fn = ws.functions(key.slice(0, hash)).find((f) => f.scope === Number(key.slice(hash + 1)));
  if (!fn || propagates(fn.kind)) return describeSummary(callee, at, false, iterated);
  return describeSummary({ ...callee, ...bodySummary(ws, key.slice(0, hash), fn) }, at, true, iterated);
}

/**
 * What a function's body does synchronously when it runs — its own evidence, else the shortest chain
 * through the functions it calls without awaiting — computed like a summary but for a function whose
 * summary is empty because calling it does not run its body in the caller's turn (an async function).
 */
function bodySummary(ws: Workspace, fileName: string, fn: FunctionFacts): FunctionSummary {
  const out: FunctionSummary = {};
  for (const prop of ['blocks', 'heavy'] as const) {
    const own = fn[prop];
    if (own) {
      out[prop] = { hops: [own] };
      continue;
    }
    let best: Evidence | undefined;
    for (const e of fn.edges) {
      const key = e.target !== undefined ? nodeKey(fileName, e.target) : e.imported ? ws.resolveImport(fileName, e.imported) : undefined;
      const next = key === undefined ? undefined : ws.summary(key)?.[prop];
      if (next && next.hops.length < MAX_CHAIN && (!best || next.hops.length + 1 < best.hops.length)) best = { hops: [{ label: e.label, location: e.location }, ...next.hops] };
    }
    if (best) out[prop] = best;
  }
  return out;
}
