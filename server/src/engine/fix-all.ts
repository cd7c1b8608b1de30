// Applying many fixes to one file: `loopguard check --fix`, `source.fixAll.loopguard` and the fixture
// harness. Fixes are applied in passes, ESLint-style: in one pass a fix is skipped when its edits
// overlap the span of a fix already applied (two fixes that both add `import asyncio` overlap at the
// top of the file), then the file is re-analysed and the next pass picks up what is left. A fix whose
// edits overlap each other is a bug and is skipped.

import type { AnalysisConfig } from './config';
import type { AnalysisResult, Engine, SourceInput } from './engine';
import { applyEdits, type Finding, type Fix, type TextEdit } from './finding';
import type { Workspace } from './workspace/workspace';

export type FixPicker = (finding: Finding) => Fix | undefined;

/** `--fix` and fix-all: the best safe fix of each finding. */
export const pickSafeFix: FixPicker = (f) => f.fixes.find((fix) => fix.safe);
/** The first (best) fix of each finding, safe or not: what the fixture harness checks. */
export const pickFirstFix: FixPicker = (f) => f.fixes[0];

export interface FixAllResult {
  text: string;
  /** how many fixes were applied over all passes */
  applied: number;
  passes: number;
  /** the analysis of `text`, when the passes ended because nothing was left to apply (not at MAX_PASSES) */
  final?: AnalysisResult;
}

const MAX_PASSES = 10;

function extent(edits: readonly TextEdit[]): { start: number; end: number } {
  return { start: Math.min(...edits.map((e) => e.start)), end: Math.max(...edits.map((e) => e.end)) };
}

/** One pass: the edits of every picked fix that does not overlap an earlier one. */
export function nonOverlappingEdits(findings: readonly Finding[], pick: FixPicker): { edits: TextEdit[]; count: number } {
  const taken: Array<{ start: number; end: number }> = [];
  const edits: TextEdit[] = [];
  let count = 0;
  for (const finding of findings) {
    const fix = pick(finding);
    if (!fix || fix.edits.length === 0) continue;
    const ext = extent(fix.edits);
    if (taken.some((t) => ext.start <= t.end && t.start <= ext.end)) continue;
    if (!editsAreDisjoint(fix.edits)) continue;
    taken.push(ext);
    edits.push(...fix.edits);
    count++;
  }
  return { edits, count };
}

function editsAreDisjoint(edits: readonly TextEdit[]): boolean {
  const sorted = [...edits].sort((a, b) => a.start - b.start);
  for (let i = 1; i < sorted.length; i++) if (sorted[i].start < sorted[i - 1].end) return false;
  return true;
}

/**
 * With a workspace, calls into other files are followed as in analyse (their findings get fixed too).
 * `first`: the caller's own analysis of `input` with the same config and workspace, used for the first pass.
 */
export function fixAll(
  engine: Engine,
  input: SourceInput,
  config: AnalysisConfig,
  pick: FixPicker = pickSafeFix,
  workspace?: Workspace,
  first?: AnalysisResult,
): FixAllResult {
  let text = input.text;
  let applied = 0;
  let passes = 0;
  let result = first;
  while (passes < MAX_PASSES) {
    result ??= engine.analyse({ ...input, text }, config, undefined, workspace);
    const { edits, count } = nonOverlappingEdits(result.findings, pick);
    if (count === 0) return { text, applied, passes, final: result };
    text = applyEdits(text, edits);
    result = undefined;
    applied += count;
    passes++;
  }
  return { text, applied, passes };
}
