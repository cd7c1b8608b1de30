// TypeScript/JavaScript front end: `.ts .tsx .js .jsx .mjs .cjs .mts .cts` → SourceModel.
//
// Parse with the TypeScript compiler's parser only (no Program, no type checker: far too slow for
// every keystroke), walk the tree once (walker.ts), resolve names and decide where each function
// runs (contexts.ts), and collect only the comments that can be suppression directives (trivia.ts).
// Never throws: a file the parser or the walk cannot handle yields a model with no calls and a
// syntax problem that says why.

import type { SourceModel } from '../../engine/model';
import { TypeScriptFixer } from '../../fixes/typescript';
import type { Frontend, ParsedSource, ParseOptions, SourceInput } from '../frontend';
import { jsConsumedArgument, markConsumedCalls } from '../iterated';
import { collectAwaitRaces } from './await-races';
import { finishModel } from './contexts';
import type { TsFileFacts } from './facts';
import { collectExports, ImportResolver } from './imports';
import { finishLoops } from './loops';
import { languageIdFor, parseSource, scriptKindFor, syntaxProblems } from './parse';
import { collectSharedMemoryWrites } from './shared-memory';
import { TriviaIndex } from './trivia';
import { Walker } from './walker';

/** `factsOnly` (ParseOptions): the state writes, await races, lock regions, comments, syntax problems and fixer are not built. */
function analyse(input: SourceInput, factsOnly: boolean): SourceModel {
  const { fileName, text } = input;
  const scriptKind = scriptKindFor(fileName, input.languageId);
  const languageId = input.languageId ?? languageIdFor(scriptKind);
  try {
    const sf = parseSource(fileName, text, scriptKind);
    const walk = new Walker(sf, text).walk();
    const { freeNames } = finishModel(walk, fileName, sf);
    const imports = new ImportResolver(walk);
    imports.annotateCalls();
    const exports = collectExports(sf, walk, imports);
    finishLoops(walk.loops, walk.loopCalls, text);
    markConsumedCalls(walk.calls, jsConsumedArgument);
    if (factsOnly) {
      return {
        family: 'javascript', languageId, fileName, text,
        scopes: walk.scopes, calls: walk.calls, loops: walk.loops.map((l) => l.loop), comments: [], syntaxProblems: [],
        exports, stateWrites: [], lockRegions: [], awaitRaces: [],
        fixer: TypeScriptFixer.inert(),
      };
    }
    const stateWrites = collectSharedMemoryWrites(sf, text, walk);
    const { awaitRaces, lockRegions } = collectAwaitRaces(sf, text, walk);
    const trivia = new TriviaIndex(sf, text);
    // suppression directives all contain the word; most files never mention it
    const comments = text.includes('loopguard') ? trivia.directiveComments() : [];
    const facts: TsFileFacts = {
      sf, text, fileName, scriptKind, scopes: walk.scopes, sites: walk.sites, moduleScope: walk.moduleScope,
      freeNames, comments, trivia, loops: walk.loops,
      ...(input.project ? { project: input.project } : {}),
    };
    return {
      family: 'javascript', languageId, fileName, text,
      scopes: walk.scopes, calls: walk.calls, loops: walk.loops.map((l) => l.loop), comments, syntaxProblems: syntaxProblems(sf),
      exports, stateWrites, lockRegions, awaitRaces,
      fixer: new TypeScriptFixer(facts),
    };
  } catch (e) {
    // a stack overflow on absurd nesting inside the parser itself, or a bug: degrade, never crash
    const reason = e instanceof RangeError ? 'it nests too deeply to parse' : e instanceof Error ? e.message : String(e);
    return {
      family: 'javascript', languageId, fileName, text,
      scopes: [{ id: 0, kind: 'module', name: undefined, reason: undefined, span: { start: 0, end: text.length }, parent: undefined, headSpan: { start: 0, end: 0 } }],
      calls: [], loops: [], comments: [], stateWrites: [], lockRegions: [], awaitRaces: [],
      syntaxProblems: [{ span: { start: 0, end: 0 }, message: `Loopguard could not analyse this file: ${reason}` }],
      fixer: TypeScriptFixer.inert(),
    };
  }
}

export function createTypeScriptFrontend(): Frontend {
  return {
    family: 'javascript',
    extensions: ['.ts', '.tsx', '.js', '.jsx', '.mjs', '.cjs', '.mts', '.cts'],
    languageIds: ['typescript', 'typescriptreact', 'javascript', 'javascriptreact'],
    parse(input: SourceInput, _catalogue, options?: ParseOptions): ParsedSource {
      return { model: analyse(input, options?.factsOnly === true), dispose: () => undefined };
    },
  };
}
