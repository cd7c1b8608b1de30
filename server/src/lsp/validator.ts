// When and how open documents are analysed: immediately on open, debounced after changes, again
// for every open document when the configuration changes. Results are versioned: a validation
// whose document moved on, closed, or was overtaken by a newer validation publishes nothing, so
// the client never sees diagnostics (or gets fixes) for text it no longer has.

import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import * as path from 'node:path';
import type { Diagnostic, PublishDiagnosticsParams } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { AnalysisResult, Engine, SourceInput } from '../engine/engine';
import type { FileFacts } from '../engine/workspace/facts';
import type { Workspace } from '../engine/workspace/workspace';
import { RULES } from '../rules/registry';
import type { Rule } from '../rules/rule';
import { projectFactsFor } from '../engine/project';
import { toDiagnostics, type AnalysedDocument } from './diagnostics';
import type { StatusParams } from './protocol';
import type { DocumentSettings, SettingsStore } from './settings';
import type { ImportedName } from '../engine/model';
import { OFF_THREAD_CHARS, Superseded, tableAnswersHold, type CalleeTable, type OffThreadAnalyser, type OffThreadResult } from './off-thread';

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface ValidatorHost {
  engine: Pick<Engine, 'analyse'>;
  settings: SettingsStore;
  document(uri: string): TextDocument | undefined;
  publish(params: PublishDiagnosticsParams): void;
  status(params: StatusParams): void;
  log: Logger;
  /** delay between the last change and the analysis */
  debounceMs: number;
  /**
   * The project model (lsp/project.ts): takes the document's text right before it is analysed and
   * gives the Workspace that resolves calls into other files. Without it, chains stay within the file.
   */
  project?: {
    sync(uri: string, fileName: string, text: string, facts?: FileFacts): Workspace | undefined;
    /** the Workspace sync would return, without syncing (then the analysis syncs with its own facts) */
    workspaceOf?(uri: string): Workspace | undefined;
    /** what the Workspace answers for a document's calls into other files, for the worker (ProjectModel.calleeTable) */
    calleeTable?(uri: string, fileName: string, extra?: readonly ImportedName[]): CalleeTable | undefined;
  };
  /**
   * Where documents of OFF_THREAD_CHARS characters or more are analysed (lsp/off-thread.ts), so the
   * server's thread stays free. Without it every document is analysed on the server's thread.
   */
  offThread?: Pick<OffThreadAnalyser, 'analyse' | 'forget'>;
  /** the rules to run (default: the registry's); the worker thread always runs the registry's */
  rules?: readonly Rule[];
}

const EXTENSION_OF_LANGUAGE: Record<string, string> = {
  typescript: '.ts',
  typescriptreact: '.tsx',
  javascript: '.js',
  javascriptreact: '.jsx',
  python: '.py',
};

/**
 * The file name the front ends see. Front ends pick parsing modes by extension (TSX vs TS), so an
 * untitled editor, or a file whose extension says less than its language id, gets one that fits.
 */
export function sourceFileName(uri: string, languageId: string): string {
  let name: string;
  try {
    name = uri.startsWith('file:') ? fileURLToPath(uri) : decodeURIComponent(new URL(uri).pathname);
  } catch {
    name = uri;
  }
  const wanted = EXTENSION_OF_LANGUAGE[languageId];
  if (!wanted) return name;
  const ext = path.extname(name).toLowerCase();
  const fits =
    ext === wanted ||
    (languageId === 'javascript' && ['.mjs', '.cjs'].includes(ext)) ||
    (languageId === 'typescript' && ['.mts', '.cts'].includes(ext)) ||
    (languageId === 'python' && ext === '.pyi');
  return fits ? name : name + wanted;
}

export function sourceInput(doc: TextDocument): SourceInput {
  const fileName = sourceFileName(doc.uri, doc.languageId);
  // only documents on disk belong to a package; an untitled one has none
  const project = doc.uri.startsWith('file:') ? projectFactsFor(fileName) : undefined;
  return { fileName, text: doc.getText(), languageId: doc.languageId, ...(project ? { project } : {}) };
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function errorText(e: unknown): string {
  return e instanceof Error ? (e.stack ?? e.message) : String(e);
}

export class Validator {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** the latest validation started per document; an older one that finishes later is dropped */
  private readonly latest = new Map<string, number>();
  private sequence = 0;
  /** the version last scheduled per document, so the change event that follows open is not a change */
  private readonly scheduled = new Map<string, number>();
  private readonly analysed = new Map<string, AnalysedDocument>();
  /** the version last validated per document, also when that produced no analysis (disabled, skipped) */
  private readonly validated = new Map<string, number>();
  /** in-flight validations, so a code action can wait for the one that covers the current version */
  private readonly running = new Map<string, Promise<void>>();

  constructor(private readonly host: ValidatorHost) {}

  /** A document was opened: analyse now. */
  opened(doc: TextDocument): void {
    this.scheduled.set(doc.uri, doc.version);
    void this.validate(doc.uri);
  }

  /** A document's text changed: analyse once the user pauses. */
  changed(doc: TextDocument): void {
    if (this.scheduled.get(doc.uri) === doc.version) return;
    this.scheduled.set(doc.uri, doc.version);
    this.cancelTimer(doc.uri);
    this.timers.set(
      doc.uri,
      setTimeout(() => {
        this.timers.delete(doc.uri);
        void this.validate(doc.uri);
      }, this.host.debounceMs),
    );
  }

  /** A document was closed: forget it and clear its diagnostics. */
  closed(uri: string): void {
    this.cancelTimer(uri);
    this.latest.delete(uri);
    this.scheduled.delete(uri);
    this.analysed.delete(uri);
    this.validated.delete(uri);
    this.running.delete(uri);
    this.host.offThread?.forget(uri);
    this.host.settings.drop(uri);
    this.host.publish({ uri, diagnostics: [] });
  }

  /** Analyse these documents now (after a configuration change). */
  revalidate(uris: readonly string[]): void {
    for (const uri of uris) {
      this.cancelTimer(uri);
      void this.validate(uri);
    }
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  /**
   * The analysis of the document's current version, running it now if the debounced one has not
   * happened yet (a code action asked before the user paused). Undefined when there is none
   * (closed, disabled, skipped).
   */
  async current(uri: string): Promise<AnalysedDocument | undefined> {
    const doc = this.host.document(uri);
    if (!doc) return undefined;
    if (this.validated.get(uri) === doc.version) return this.analysed.get(uri);
    if (this.timers.has(uri) || !this.running.has(uri)) {
      this.cancelTimer(uri);
      void this.validate(uri);
    }
    await this.running.get(uri);
    const after = this.analysed.get(uri);
    return after !== undefined && after.version === this.host.document(uri)?.version ? after : undefined;
  }

  private cancelTimer(uri: string): void {
    const t = this.timers.get(uri);
    if (t) clearTimeout(t);
    this.timers.delete(uri);
  }

  private validate(uri: string): Promise<void> {
    const seq = ++this.sequence;
    this.latest.set(uri, seq);
    const run = this.run(uri, seq).catch((e: unknown) => {
      this.host.log.error(`Validating ${uri} failed: ${errorText(e)}`);
      if (this.latest.get(uri) === seq) {
        this.host.status({ uri, state: 'error', message: 'Analysis failed; see the output channel', lastAnalysisMs: undefined });
      }
    });
    this.running.set(uri, run);
    void run.finally(() => {
      if (this.running.get(uri) === run) this.running.delete(uri);
    });
    return run;
  }

  private async run(uri: string, seq: number): Promise<void> {
    if (!this.host.document(uri)) return;
    const docSettings = await this.host.settings.get(uri);
    // Everything below is synchronous: the version read here is the version published.
    const doc = this.host.document(uri);
    if (!doc || this.latest.get(uri) !== seq) return;
    const { offThread } = this.host;
    if (offThread && docSettings.settings.enable && docSettings.excludedBy === undefined && doc.getText().length >= OFF_THREAD_CHARS) {
      await this.analyseOffThread(offThread, doc, docSettings, seq);
    } else this.analyse(doc, docSettings);
  }

  /**
   * A large document, analysed in the worker. Its calls into other files are followed through a
   * CalleeTable built from the Workspace's facts of the file; the worker returns the facts of the text it
   * analysed, which go into the Workspace (so the files that depend on this one are analysed again).
   * When those facts change an answer the table gave (an import added, a call that now resolves), the
   * document is analysed once more with a table built from them — once: the second analysis reads the
   * same text, whose facts are now the Workspace's. Published only when it is still the latest
   * validation of the document and the document has not moved on.
   */
  private async analyseOffThread(offThread: Pick<OffThreadAnalyser, 'analyse'>, doc: TextDocument, docSettings: DocumentSettings, seq: number): Promise<void> {
    const { uri, version } = doc;
    const { project } = this.host;
    const t0 = performance.now();
    const input = sourceInput(doc);
    const current = () => this.latest.get(uri) === seq && this.host.document(uri)?.version === version;
    let result: OffThreadResult;
    try {
      const table = project?.calleeTable?.(uri, input.fileName);
      result = await offThread.analyse(uri, input, docSettings.settings, table);
      if (!current()) return;
      if (project && result.facts) project.sync(uri, input.fileName, input.text, result.facts);
      const fresh = table && result.asked && project?.calleeTable?.(uri, input.fileName, result.asked);
      if (table && result.asked && fresh && !tableAnswersHold(table, fresh, result.asked)) {
        this.host.log.debug(`Analysing ${uri} (version ${version}) again: its new text changed what its calls into other files reach`);
        result = await offThread.analyse(uri, input, docSettings.settings, fresh);
      }
    } catch (e) {
      if (e instanceof Superseded || this.latest.get(uri) !== seq) return;
      this.validated.set(uri, version);
      this.analysed.delete(uri);
      this.host.log.error(`Analysing ${uri} (version ${version}) failed: ${errorText(e)}`);
      this.publish(uri, version, []);
      this.host.status({ uri, state: 'error', message: 'Analysis failed; see the output channel', lastAnalysisMs: undefined });
      return;
    }
    if (!current()) return;
    this.validated.set(uri, version);
    this.analysed.delete(uri);
    this.report(doc, docSettings, result, performance.now() - t0, ' (in the background)');
  }

  private analyse(doc: TextDocument, docSettings: DocumentSettings): void {
    const { settings, config, excludedBy } = docSettings;
    const { uri, version } = doc;
    const { log } = this.host;
    this.validated.set(uri, version);
    this.analysed.delete(uri);
    if (!settings.enable) {
      this.publish(uri, version, []);
      this.host.status({ uri, state: 'ok', message: 'Disabled by loopguard.enable', lastAnalysisMs: undefined });
      return;
    }
    if (excludedBy !== undefined) {
      this.publish(uri, version, []);
      this.host.status({ uri, state: 'ok', message: `Excluded by ${path.basename(excludedBy)} (${excludedBy})`, lastAnalysisMs: undefined });
      return;
    }
    const t0 = performance.now();
    let result: AnalysisResult;
    try {
      const input = sourceInput(doc);
      const { project } = this.host;
      const rules = this.host.rules ?? RULES;
      const workspace = project?.workspaceOf?.(uri);
      if (project && workspace) {
        // one parse: the analysis hands the file's facts to its Workspace before the rules ask it anything
        let synced = false;
        result = this.host.engine.analyse(input, config, rules, workspace, (facts) => {
          synced = true;
          project.sync(uri, input.fileName, input.text, facts);
        });
        // not parsed (too large for loopguard.maxFileSize): the Workspace learns that its own way
        if (!synced) project.sync(uri, input.fileName, input.text);
      } else {
        const synced = project?.sync(uri, input.fileName, input.text);
        result = synced ? this.host.engine.analyse(input, config, rules, synced) : this.host.engine.analyse(input, config, rules);
      }
    } catch (e) {
      // the engine isolates rules; this is a front end breaking its never-throw contract
      log.error(`Analysing ${uri} (version ${version}) failed: ${errorText(e)}`);
      this.publish(uri, version, []);
      this.host.status({ uri, state: 'error', message: 'Analysis failed; see the output channel', lastAnalysisMs: undefined });
      return;
    }
    this.report(doc, docSettings, result, performance.now() - t0, '');
  }

  /** Publishes an analysis and says how it went in the status item. */
  private report(doc: TextDocument, { settings, problems, projectFile, projectInvalid }: DocumentSettings, result: AnalysisResult, ms: number, where: string): void {
    const { uri, version } = doc;
    const { log } = this.host;
    if (result.family === undefined) {
      // not a language we analyse (an editor that sends every file): nothing to say about it
      log.debug(`Not analysed ${uri}: ${result.skipped ?? 'unsupported'}`);
      return;
    }
    if (result.skipped !== undefined) {
      this.publish(uri, version, []);
      log.info(`Skipped ${uri}: ${result.skipped}`);
      this.host.status({ uri, state: 'warning', message: `Not analysed: ${result.skipped}`, lastAnalysisMs: undefined });
      return;
    }
    for (const { rule, error } of result.ruleErrors) log.error(`Rule ${rule} failed on ${uri} (version ${version}): ${error}`);
    const { diagnostics, findings } = toDiagnostics(result.findings, result.lines);
    this.analysed.set(uri, {
      uri,
      version,
      family: result.family,
      lines: result.lines,
      suppressions: result.suppressions,
      findings,
    });
    this.publish(uri, version, diagnostics);

    const rounded = Math.round(ms * 10) / 10;
    const syntax = result.syntaxProblems.length > 0 ? `, ${plural(result.syntaxProblems.length, 'syntax error')} (analysed what parsed)` : '';
    log.debug(
      `Analysed ${uri} (version ${version})${where} in ${rounded} ms (parse ${result.timings.parseMs.toFixed(1)} ms, rules ${result.timings.rulesMs.toFixed(1)} ms): ${plural(findings.size, 'finding')}${syntax}`,
    );
    if (ms > settings.timeBudgetMs) {
      log.warn(`Analysing ${uri} took ${rounded} ms, over loopguard.timeBudgetMs (${settings.timeBudgetMs} ms)`);
    }
    this.host.status({
      uri,
      lastAnalysisMs: rounded,
      ...(result.ruleErrors.length > 0
        ? { state: 'error', message: `Rule ${result.ruleErrors.map((e) => e.rule).join(', ')} failed; see the output channel` }
        : ms > settings.timeBudgetMs
          ? { state: 'warning', message: `Slow: ${rounded} ms, over the ${settings.timeBudgetMs} ms budget` }
          : projectInvalid && projectFile !== undefined
            ? { state: 'warning', message: `${path.basename(projectFile)} is invalid and was ignored; see the output channel` }
            : problems.length > 0
              ? { state: 'warning', message: 'Some loopguard settings were ignored; see the output channel' }
            : { state: 'ok', message: `${plural(findings.size, 'finding')}${syntax}` }),
    });
  }

  private publish(uri: string, version: number, diagnostics: Diagnostic[]): void {
    this.host.publish({ uri, version, diagnostics });
  }
}
