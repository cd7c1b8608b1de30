// Jupyter notebooks over LSP 3.17 notebook sync: a notebook's Python code cells are analysed as one
// source (notebooks/notebook.ts: concatenated in order, magics blanked, awaiting cells run on the
// event loop), diagnostics are published per cell document, and a fix's edits are spread over the
// cells they touch (adding `import asyncio` to cell 1 for a call in cell 3 is one WorkspaceEdit on
// both cells, each edit versioned with its cell). Validation follows the Validator's rules: at once
// on open, debounced after changes, never published for a notebook that moved on meanwhile.

import type { CodeAction, Diagnostic, NotebookDocument, NotebookDocuments, PublishDiagnosticsParams, TextDocumentEdit, TextEdit, WorkspaceEdit } from 'vscode-languageserver';
import { NotebookCellKind } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { Engine } from '../engine/engine';
import type { Finding, TextEdit as EngineEdit } from '../engine/finding';
import { LineIndex } from '../engine/text';
import { cellAt, concatenateCells, fixAllCells, notebookInput, splitEdits, type NotebookSource } from '../notebooks/notebook';
import { fixAllAction, quickFixes, replaceChangedRange, type EditBuilder } from './code-actions';
import { toDiagnostics, type AnalysedDocument } from './diagnostics';
import type { SettingsStore } from './settings';
import { sourceFileName, type Logger } from './validator';

/** What the server declares in `notebookDocumentSync`: Jupyter notebooks, their Python cells. */
export const NOTEBOOK_SYNC = {
  notebookSelector: [{ notebook: { notebookType: 'jupyter-notebook' }, cells: [{ language: 'python' }] }],
};

export interface NotebookHost {
  engine: Pick<Engine, 'analyse'> & Parameters<typeof fixAllCells>[0];
  settings: SettingsStore;
  notebooks: NotebookDocuments<TextDocument>;
  publish(params: PublishDiagnosticsParams): void;
  log: Logger;
  debounceMs: number;
  /** the client takes versioned `documentChanges` */
  documentChanges: boolean;
}

interface Cell {
  uri: string;
  version: number;
  text: string;
}

interface AnalysedNotebook {
  version: number;
  cells: Cell[];
  source: NotebookSource;
  /** per cell: the diagnostics' findings, with their spans in the concatenated source */
  perCell: Map<string, AnalysedDocument>;
}

function errorText(e: unknown): string {
  return e instanceof Error ? (e.stack ?? e.message) : String(e);
}

export class NotebookValidator {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly analysed = new Map<string, AnalysedNotebook>();
  /** the cells last published to, per notebook: a removed cell's diagnostics are cleared */
  private readonly published = new Map<string, Set<string>>();
  private readonly latest = new Map<string, number>();
  private sequence = 0;

  constructor(private readonly host: NotebookHost) {}

  opened(nb: NotebookDocument): void {
    void this.validate(nb.uri);
  }

  changed(nb: NotebookDocument): void {
    const t = this.timers.get(nb.uri);
    if (t) clearTimeout(t);
    this.timers.set(
      nb.uri,
      setTimeout(() => {
        this.timers.delete(nb.uri);
        void this.validate(nb.uri);
      }, this.host.debounceMs),
    );
  }

  closed(nb: NotebookDocument): void {
    const t = this.timers.get(nb.uri);
    if (t) clearTimeout(t);
    this.timers.delete(nb.uri);
    this.analysed.delete(nb.uri);
    this.latest.delete(nb.uri);
    this.host.settings.drop(nb.uri);
    for (const uri of [...(this.published.get(nb.uri) ?? []), ...nb.cells.map((c) => c.document)]) this.host.publish({ uri, diagnostics: [] });
    this.published.delete(nb.uri);
  }

  revalidateAll(): void {
    for (const uri of [...this.published.keys()]) void this.validate(uri);
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  /** The notebook a cell belongs to, when it is one of ours. */
  notebookOf(cellUri: string): NotebookDocument | undefined {
    return this.host.notebooks.findNotebookDocumentForCell(cellUri);
  }

  /** Quick fixes for a cell's diagnostics, from the analysis of the notebook's current text. */
  async codeActions(cellUri: string, diagnostics: readonly Diagnostic[]): Promise<CodeAction[]> {
    const nb = this.notebookOf(cellUri);
    if (!nb) return [];
    const analysed = await this.current(nb.uri);
    const doc = analysed?.perCell.get(cellUri);
    if (!analysed || !doc) return [];
    const cell = analysed.cells.find((c) => c.uri === cellUri);
    if (!cell) return [];
    return quickFixes(doc, diagnostics, { uri: cellUri, version: cell.version, documentChanges: this.host.documentChanges }, this.editBuilder(analysed));
  }

  /** `source.fixAll.loopguard` asked for a cell: the safe fixes of the whole notebook. */
  async fixAll(cellUri: string): Promise<CodeAction | undefined> {
    const nb = this.notebookOf(cellUri);
    if (!nb) return undefined;
    const { settings, config } = await this.host.settings.get(nb.uri);
    const cells = this.cells(nb);
    if (!settings.enable || cells.length === 0) return undefined;
    const { cells: fixed, applied } = fixAllCells(this.host.engine, this.fileName(nb), cells.map((c) => c.text), config);
    if (applied === 0) return undefined;
    const perCell = new Map<number, EngineEdit[]>();
    fixed.forEach((text, i) => {
      const change = replaceChangedRange(cells[i].text, text);
      if (change) perCell.set(i, [change]);
    });
    return fixAllAction(this.workspaceEdit(cells, perCell), applied);
  }

  private editBuilder(analysed: AnalysedNotebook): EditBuilder {
    return (edits) => {
      const perCell = splitEdits(analysed.source, edits);
      return perCell ? this.workspaceEdit(analysed.cells, perCell) : undefined;
    };
  }

  private workspaceEdit(cells: readonly Cell[], perCell: ReadonlyMap<number, EngineEdit[]>): WorkspaceEdit {
    const byCell: Array<{ cell: Cell; edits: TextEdit[] }> = [];
    for (const [i, edits] of [...perCell].sort((a, b) => a[0] - b[0])) {
      const cell = cells[i];
      const lines = new LineIndex(cell.text);
      byCell.push({ cell, edits: edits.map((e) => ({ range: { start: lines.position(e.start), end: lines.position(e.end) }, newText: e.newText })) });
    }
    if (this.host.documentChanges) {
      const changes: TextDocumentEdit[] = byCell.map(({ cell, edits }) => ({ textDocument: { uri: cell.uri, version: cell.version }, edits }));
      return { documentChanges: changes };
    }
    return { changes: Object.fromEntries(byCell.map(({ cell, edits }) => [cell.uri, edits])) };
  }

  /** The notebook's Python code cells, as open documents. */
  private cells(nb: NotebookDocument): Cell[] {
    const out: Cell[] = [];
    for (const c of nb.cells) {
      if (c.kind !== NotebookCellKind.Code) continue;
      const doc = this.host.notebooks.getCellTextDocument(c);
      if (!doc || doc.languageId !== 'python') continue;
      out.push({ uri: doc.uri, version: doc.version, text: doc.getText() });
    }
    return out;
  }

  private fileName(nb: NotebookDocument): string {
    return sourceFileName(nb.uri, 'notebook');
  }

  /** The analysis of the notebook as it is now, running it when the last one is stale. */
  private async current(uri: string): Promise<AnalysedNotebook | undefined> {
    const nb = this.host.notebooks.getNotebookDocument(uri);
    if (!nb) return undefined;
    const fresh = (a: AnalysedNotebook | undefined): boolean => {
      const cells = this.cells(nb);
      return a !== undefined && a.cells.length === cells.length && a.cells.every((c, i) => c.uri === cells[i].uri && c.version === cells[i].version);
    };
    const have = this.analysed.get(uri);
    if (fresh(have)) return have;
    await this.validate(uri);
    const after = this.analysed.get(uri);
    return fresh(after) ? after : undefined;
  }

  private async validate(uri: string): Promise<void> {
    const seq = ++this.sequence;
    this.latest.set(uri, seq);
    try {
      const { settings, config } = await this.host.settings.get(uri);
      const nb = this.host.notebooks.getNotebookDocument(uri);
      // everything below is synchronous: the cells read here are the cells published for
      if (!nb || this.latest.get(uri) !== seq) return;
      const cells = this.cells(nb);
      const previous = this.published.get(uri) ?? new Set<string>();
      const now = new Set(cells.map((c) => c.uri));
      for (const gone of previous) if (!now.has(gone)) this.host.publish({ uri: gone, diagnostics: [] });
      this.published.set(uri, now);
      if (!settings.enable) {
        this.analysed.delete(uri);
        for (const c of cells) this.host.publish({ uri: c.uri, version: c.version, diagnostics: [] });
        return;
      }
      const source = concatenateCells(cells.map((c) => c.text));
      const result = this.host.engine.analyse(notebookInput(this.fileName(nb), source), config);
      if (result.skipped !== undefined) this.host.log.info(`Skipped ${uri}: ${result.skipped}`);
      for (const { rule, error } of result.ruleErrors) this.host.log.error(`Rule ${rule} failed on ${uri}: ${error}`);
      const byCell = new Map<number, Finding[]>();
      for (const f of result.findings) {
        const i = cellAt(source.cells, f.span.start);
        byCell.set(i, [...(byCell.get(i) ?? []), f]);
      }
      const analysed: AnalysedNotebook = { version: nb.version, cells, source, perCell: new Map() };
      cells.forEach((cell, i) => {
        const span = source.cells[i];
        const own = byCell.get(i) ?? [];
        // diagnostics in cell coordinates; the record keeps the findings as analysed (source offsets)
        const shifted = own.map((f) => ({ ...f, span: { start: f.span.start - span.start, end: Math.min(f.span.end, span.end) - span.start } }));
        const { diagnostics, findings } = toDiagnostics(shifted, new LineIndex(cell.text));
        const original = new Map<string, Finding>();
        for (const [key, f] of findings) original.set(key, own[shifted.indexOf(f)]);
        analysed.perCell.set(cell.uri, {
          uri: cell.uri,
          version: cell.version,
          family: 'python',
          lines: result.lines,
          suppressions: result.suppressions,
          findings: original,
        });
        this.host.publish({ uri: cell.uri, version: cell.version, diagnostics });
      });
      this.analysed.set(uri, analysed);
    } catch (e) {
      this.host.log.error(`Validating notebook ${uri} failed: ${errorText(e)}`);
    }
  }
}
