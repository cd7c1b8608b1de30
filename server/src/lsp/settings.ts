// Per-document settings for the language server (lsp-sample style): asked from the client with
// `workspace/configuration` for the document's scope, validated by engine/config, cached per
// document until it closes or the configuration changes. Problems with the settings never stop
// analysis — the offending value falls back to its default — and each problem is reported once.
//
// On every `get` the cached editor settings are combined with the document's project file
// (engine/project-config, re-read only when it changed on disk), with `loopguard.overrides` globs
// relative to the document's own workspace folder; an invalid project file is reported once per
// version of that file and ignored.

import { fileURLToPath } from 'node:url';
import * as path from 'node:path';
import { configForFile, resolveSettings, type AnalysisConfig, type Settings } from '../engine/config';
import { findProjectConfig } from '../engine/project-config';

export interface DocumentSettings {
  /** the effective settings for the document (editor settings and project file combined) */
  settings: Settings;
  config: AnalysisConfig;
  /** why some settings were ignored; empty when all were used */
  problems: string[];
  /** the project file that applies, or that was ignored because it is invalid */
  projectFile?: string;
  /** the project file is invalid and was ignored */
  projectInvalid?: boolean;
  /** the project file's `exclude` covers the document: it is not analysed */
  excludedBy?: string;
}

interface EditorSettings {
  settings: Settings;
  problems: string[];
}

/** The file a document stands for on disk, or undefined (untitled, virtual). */
export function documentPath(uri: string): string | undefined {
  try {
    if (uri.startsWith('file:')) return fileURLToPath(uri);
    // a notebook cell's URI carries the notebook's path: the notebook's project file applies
    if (uri.startsWith('vscode-notebook-cell:')) return fileURLToPath(`file:${new URL(uri).pathname}`);
  } catch {
    // not a path we can use
  }
  return undefined;
}

/** The workspace folders, for the folder a document belongs to (the innermost containing it). */
export class WorkspaceFolders {
  /** folder URI → path, for folders on disk */
  private readonly byUri = new Map<string, string>();
  /** the paths, longest first, so the innermost folder of nested ones is found first */
  private paths: string[] = [];

  set(uris: readonly string[]): void {
    this.byUri.clear();
    this.add(uris);
  }

  add(uris: readonly string[]): void {
    for (const u of uris) {
      const p = documentPath(u);
      if (p !== undefined) this.byUri.set(u, p);
    }
    this.sort();
  }

  remove(uris: readonly string[]): void {
    for (const u of uris) this.byUri.delete(u);
    this.sort();
  }

  private sort(): void {
    this.paths = [...new Set(this.byUri.values())].sort((a, b) => b.length - a.length);
  }

  folderOf(file: string): string | undefined {
    return this.paths.find((f) => {
      const rel = path.relative(f, file);
      return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
    });
  }
}

export interface SettingsHost {
  /**
   * Asks the client for the raw `loopguard` section for a document; undefined when the client has
   * no `workspace/configuration` support (then the settings pushed with didChangeConfiguration apply).
   */
  fetch: ((uri: string) => Promise<unknown>) | undefined;
  /** called for a problem the user has not been told about yet */
  reportProblem(problem: string): void;
  /** called when the client could not be asked at all */
  logError(message: string): void;
  /** the workspace folders; `loopguard.overrides` globs are relative to a document's folder */
  folders?: WorkspaceFolders;
}

/** Cache key used for every document when settings are not per resource. */
const GLOBAL = '';

export class SettingsStore {
  private readonly cache = new Map<string, Promise<EditorSettings>>();
  /** `<file stamp>\0<problem>` of project-file problems already reported: once per version of the file */
  private readonly reportedProject = new Set<string>();
  /** settings pushed by `workspace/didChangeConfiguration`, for clients that cannot be asked */
  private pushed: unknown = undefined;
  /**
   * Problems reported since the last configuration change, and those reported before it. A problem
   * that persists across a change of some other setting is not shown again; one that went away and
   * came back is.
   */
  private reported = new Set<string>();
  private reportedBefore = new Set<string>();

  constructor(private readonly host: SettingsHost) {}

  async get(uri: string): Promise<DocumentSettings> {
    const key = this.host.fetch ? uri : GLOBAL;
    let entry = this.cache.get(key);
    if (!entry) {
      entry = this.load(uri);
      this.cache.set(key, entry);
    }
    return this.forFile(uri, await entry);
  }

  /**
   * Settings for the many files of one scope (a workspace folder) with one request to the client:
   * the project model's closed files. `forFile` combines the scope's editor settings with each file's
   * project file, as `get` does for a document, but reports no project-file problem: those are told
   * once, when a document they apply to is opened (a scan would tell them before anyone looks).
   */
  async resolverFor(scopeUri: string): Promise<{ editor: Settings; forFile: (uri: string) => DocumentSettings }> {
    const key = this.host.fetch ? scopeUri : GLOBAL;
    let entry = this.cache.get(key);
    if (!entry) {
      entry = this.load(scopeUri);
      this.cache.set(key, entry);
    }
    const editor = await entry;
    return { editor: editor.settings, forFile: (uri) => this.forFile(uri, editor, false) };
  }

  /** The editor settings combined with the document's project file, as they are on disk now. */
  private forFile(uri: string, editor: EditorSettings, reportProblems = true): DocumentSettings {
    const file = documentPath(uri);
    const project = file !== undefined && editor.settings.configurationPreference !== 'editorOnly' ? findProjectConfig(file) : undefined;
    if (reportProblems && project && project.problems.length > 0) {
      for (const p of project.problems) {
        const key = `${project.stamp}\0${p}`;
        if (this.reportedProject.has(key)) continue;
        if (this.reportedProject.size > 500) this.reportedProject.clear();
        this.reportedProject.add(key);
        this.host.reportProblem(`${p} (the file is ignored)`);
      }
    }
    const folder = file !== undefined ? this.host.folders?.folderOf(file) : undefined;
    const fc = configForFile({ fileName: file, settings: editor.settings, settingsBase: folder, project });
    return {
      settings: fc.settings,
      config: fc.config,
      problems: [...editor.problems, ...(project?.problems ?? [])],
      ...(project ? { projectFile: project.file } : {}),
      ...(project && project.data === undefined ? { projectInvalid: true } : {}),
      ...(fc.excludedBy !== undefined ? { excludedBy: fc.excludedBy } : {}),
    };
  }

  /** Forgets a closed document's settings. */
  drop(uri: string): void {
    if (this.host.fetch) this.cache.delete(uri);
  }

  /** After `workspace/didChangeConfiguration`: every document asks again. */
  invalidate(pushedSection?: unknown): void {
    if (!this.host.fetch) this.pushed = pushedSection;
    this.cache.clear();
    this.reportedBefore = this.reported;
    this.reported = new Set();
  }

  private async load(uri: string): Promise<EditorSettings> {
    let raw: unknown = this.pushed;
    if (this.host.fetch) {
      try {
        raw = await this.host.fetch(uri);
      } catch (e) {
        this.host.logError(`Could not read the loopguard settings for ${uri}; using defaults: ${e instanceof Error ? e.message : String(e)}`);
        raw = undefined;
      }
    }
    // invalid catalogue entries are dropped (and reported) here, so building the catalogue adds none
    const { settings, problems } = resolveSettings(raw);
    for (const p of problems) this.report(p);
    return { settings, problems };
  }

  private report(problem: string): void {
    if (this.reported.has(problem)) return;
    this.reported.add(problem);
    if (!this.reportedBefore.has(problem)) this.host.reportProblem(problem);
  }
}
