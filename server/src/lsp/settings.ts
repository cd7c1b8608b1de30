// Per-document settings for the language server (lsp-sample style): asked from the client with
// `workspace/configuration` for the document's scope, validated by engine/config, cached per
// document until it closes or the configuration changes. Problems with the settings never stop
// analysis — the offending value falls back to its default — and each problem is reported once.

import { resolveSettings, toAnalysisConfig, type AnalysisConfig, type Settings } from '../engine/config';

export interface DocumentSettings {
  settings: Settings;
  config: AnalysisConfig;
  /** why some settings were ignored; empty when all were used */
  problems: string[];
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
}

/** Cache key used for every document when settings are not per resource. */
const GLOBAL = '';

export class SettingsStore {
  private readonly cache = new Map<string, Promise<DocumentSettings>>();
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

  get(uri: string): Promise<DocumentSettings> {
    const key = this.host.fetch ? uri : GLOBAL;
    let entry = this.cache.get(key);
    if (!entry) {
      entry = this.load(uri);
      this.cache.set(key, entry);
    }
    return entry;
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

  private async load(uri: string): Promise<DocumentSettings> {
    let raw: unknown = this.pushed;
    if (this.host.fetch) {
      try {
        raw = await this.host.fetch(uri);
      } catch (e) {
        this.host.logError(`Could not read the loopguard settings for ${uri}; using defaults: ${e instanceof Error ? e.message : String(e)}`);
        raw = undefined;
      }
    }
    const { settings, problems } = resolveSettings(raw);
    const resolved = toAnalysisConfig(settings);
    const all = [...problems, ...resolved.problems];
    for (const p of all) this.report(p);
    return { settings, config: resolved.config, problems: all };
  }

  private report(problem: string): void {
    if (this.reported.has(problem)) return;
    this.reported.add(problem);
    if (!this.reportedBefore.has(problem)) this.host.reportProblem(problem);
  }
}
