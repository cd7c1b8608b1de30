// A notebook as one Python source, as Ruff reads it: its Python code cells concatenated in order,
// each cell's text followed by a newline, so an `import` in cell 1 resolves a call in cell 3. Both the
// language server (cells are open documents) and the CLI (`.ipynb` JSON on disk) build this source,
// analyse it with `notebookCells` set, and map positions and edits back to cells with the helpers here.

import type { AnalysisConfig } from '../engine/config';
import type { Engine, SourceInput } from '../engine/engine';
import { nonOverlappingEdits, pickSafeFix } from '../engine/fix-all';
import { applyEdits, type Finding, type TextEdit } from '../engine/finding';
import type { Span } from '../engine/model';

export interface NotebookSource {
  /** the cells' texts, each followed by `\n` */
  text: string;
  /** each cell's text in `text` (without the newline that follows it) */
  cells: Span[];
}

export function concatenateCells(cellTexts: readonly string[]): NotebookSource {
  const cells: Span[] = [];
  let text = '';
  for (const t of cellTexts) {
    cells.push({ start: text.length, end: text.length + t.length });
    text += t + '\n';
  }
  return { text, cells };
}

/** The cell an offset is in (a cell's end, before its newline, is still in it). */
export function cellAt(cells: readonly Span[], offset: number): number {
  let lo = 0;
  let hi = cells.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (cells[mid].start <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * Edits in the concatenated source → edits per cell, in cell offsets. Undefined when an edit crosses
 * a cell boundary — except the one shape fixes produce there: deleting a cell's last line together
 * with the newline after it, which becomes deleting the line and the newline before it.
 */
export function splitEdits(source: NotebookSource, edits: readonly TextEdit[]): Map<number, TextEdit[]> | undefined {
  const out = new Map<number, TextEdit[]>();
  for (const e of edits) {
    const i = cellAt(source.cells, e.start);
    const cell = source.cells[i];
    let { start, end } = e;
    if (end > cell.end) {
      const deletesLastLine = e.newText === '' && end === cell.end + 1;
      if (!deletesLastLine) return undefined;
      end = cell.end;
      if (start > cell.start && source.text[start - 1] === '\n') start--;
    }
    const list = out.get(i) ?? [];
    list.push({ start: start - cell.start, end: end - cell.start, newText: e.newText });
    out.set(i, list);
  }
  return out;
}

/** Where a finding is, per cell: 0-based cell index and line/character within the cell. */
export interface CellPosition {
  cell: number;
  line: number;
  character: number;
}

export function cellPosition(source: NotebookSource, offset: number): CellPosition {
  const cell = cellAt(source.cells, offset);
  const start = source.cells[cell].start;
  const before = source.text.slice(start, Math.min(offset, source.cells[cell].end));
  const lineStart = Math.max(before.lastIndexOf('\n'), before.lastIndexOf('\r')) + 1;
  return { cell, line: before.split(/\r\n|\r|\n/).length - 1, character: before.length - lineStart };
}

/** The input the engine analyses for a notebook. */
export function notebookInput(fileName: string, source: NotebookSource): SourceInput {
  return { fileName, text: source.text, languageId: 'python', notebookCells: source.cells };
}

/** A finding whose every edit of its fix lands inside cells can be applied to the cells. */
export function fixFitsCells(source: NotebookSource, finding: Finding): boolean {
  const fix = pickSafeFix(finding);
  return fix !== undefined && !fix.otherFiles && splitEdits(source, fix.edits) !== undefined;
}

/**
 * Fix-all over a notebook: the safe fixes, applied in passes like `fixAll`, with the cell boundaries
 * carried through every pass. Returns the new text of each cell (the same string when unchanged).
 */
export function fixAllCells(engine: Engine, fileName: string, cellTexts: readonly string[], config: AnalysisConfig): { cells: string[]; applied: number } {
  let source = concatenateCells(cellTexts);
  let applied = 0;
  for (let pass = 0; pass < 10; pass++) {
    const result = engine.analyse(notebookInput(fileName, source), config);
    const pick = (f: Finding) => (fixFitsCells(source, f) ? pickSafeFix(f) : undefined);
    const { edits, count } = nonOverlappingEdits(result.findings, pick);
    if (count === 0) break;
    const perCell = splitEdits(source, edits);
    if (!perCell) break;
    const texts = source.cells.map((c, i) => {
      const own = perCell.get(i);
      const t = source.text.slice(c.start, c.end);
      return own ? applyEdits(t, own) : t;
    });
    source = concatenateCells(texts);
    applied += count;
  }
  return { cells: source.cells.map((c) => source.text.slice(c.start, c.end)), applied };
}

/** A `.ipynb` file's Python code cells. */
export interface IpynbCells {
  /** the code cells' texts */
  texts: string[];
  /** each code cell's index among all the notebook's cells (markdown included), 0-based */
  indices: number[];
}

interface IpynbJson {
  cells?: Array<{ cell_type?: string; source?: string | string[] }>;
  metadata?: { kernelspec?: { language?: string }; language_info?: { name?: string } };
}

/**
 * Reads a notebook file (nbformat 4). Returns undefined for a notebook whose kernel is not Python;
 * throws on text that is not a notebook.
 */
export function readIpynb(json: string): IpynbCells | undefined {
  const nb = JSON.parse(json) as IpynbJson;
  if (typeof nb !== 'object' || nb === null || !Array.isArray(nb.cells)) throw new Error('not a Jupyter notebook (no "cells" array)');
  const language = nb.metadata?.language_info?.name ?? nb.metadata?.kernelspec?.language ?? 'python';
  if (language.toLowerCase() !== 'python') return undefined;
  const out: IpynbCells = { texts: [], indices: [] };
  nb.cells.forEach((cell, i) => {
    if (cell.cell_type !== 'code') return;
    const src = Array.isArray(cell.source) ? cell.source.join('') : (cell.source ?? '');
    out.texts.push(src);
    out.indices.push(i);
  });
  return out;
}

/** The notebook JSON with the code cells at `indices` given new sources (nbformat's layout: lists of lines, indent 1). */
export function writeIpynb(json: string, indices: readonly number[], texts: readonly string[]): string {
  const nb = JSON.parse(json) as { cells: Array<{ source?: string | string[] }> };
  indices.forEach((cellIndex, i) => {
    const lines = texts[i].split(/(?<=\n)/);
    nb.cells[cellIndex].source = texts[i] === '' ? [] : lines;
  });
  return JSON.stringify(nb, null, 1) + '\n';
}
