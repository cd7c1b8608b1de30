// Python front end: tree-sitter (WASM) parse, one walk over the tree, then the SourceModel —
// scopes with their kinds (async def, def, lambda, class, offloaded), calls with resolved qualified
// names and arguments, suppression comments and syntax problems — plus the file's fixer.
//
// Cost matters here (the language server analyses on every keystroke): the tree is walked once,
// inside WASM (collect.ts); comments are looked up only where the text mentions `loopguard`, and
// syntax problems only when the tree reports an error.

import { Parser, type Node, type Query, type Tree } from 'web-tree-sitter';
import type { EcosystemCatalogue } from '../../engine/catalogue';
import type { Comment, SourceModel, SyntaxProblem } from '../../engine/model';
import { PythonFixer } from '../../fixes/python';
import { splitCellScopes } from '../../notebooks/cells';
import { blankMagics } from '../../notebooks/magics';
import type { Frontend, ParsedSource, SourceInput } from '../frontend';
import { collectAwaitRaces } from './await-races';
import { buildModel } from './build';
import { TreeFacts } from './facts';
import { loadPythonLanguage } from './parser';
import { syntaxProblemQuery } from './query';
import type { ScopeTable } from './scopes';
import { pathAt } from './tree';
import { collectSharedState } from './shared-state';

/** Facts for a notebook: cell scopes (notebooks/cells.ts) are the module to the name tables. */
class CellFacts extends TreeFacts {
  lexical: (scope: number) => number = (s) => s;
  override meaning(name: string, scope: number): ReturnType<TreeFacts['meaning']> {
    return super.meaning(name, this.lexical(scope));
  }
  override instanceType(name: string, scope: number): string | undefined {
    return super.instanceType(name, this.lexical(scope));
  }
  override functionLocal(name: string, scope: number): number | undefined {
    return super.functionLocal(name, this.lexical(scope));
  }
}

/** an `await`, or the `async` of `async for`/`async with`, in module-level code */
function isTopLevelAwait(root: Node, table: ScopeTable, at: number): boolean {
  const path = pathAt(root, at);
  const node = path?.[path.length - 1];
  if (!node || node.startIndex !== at) return false;
  const parent = path?.[path.length - 2];
  const ok = node.type === 'await' || (node.type === 'async' && (parent?.type === 'for_statement' || parent?.type === 'with_statement'));
  return ok && table.evaluatingAt(at).kind === 'module';
}

const MAX_SYNTAX_PROBLEMS = 20;

export async function createPythonFrontend(): Promise<Frontend> {
  const language = await loadPythonLanguage();
  const parser = new Parser();
  parser.setLanguage(language);
  const errors = syntaxProblemQuery(language);
  return {
    family: 'python',
    extensions: ['.py', '.pyi'],
    languageIds: ['python'],
    parse: (input, catalogue, options) => parsePython(parser, errors, input, catalogue, options?.factsOnly === true),
  };
}

function emptyModel(input: SourceInput, problems: SyntaxProblem[]): SourceModel {
  return {
    family: 'python',
    languageId: input.languageId ?? 'python',
    fileName: input.fileName,
    text: input.text,
    scopes: [
      {
        id: 0,
        kind: 'module',
        name: undefined,
        reason: undefined,
        span: { start: 0, end: input.text.length },
        parent: undefined,
        headSpan: { start: 0, end: 0 },
      },
    ],
    calls: [],
    loops: [],
    comments: [],
    syntaxProblems: problems,
    stateWrites: [],
    lockRegions: [],
    awaitRaces: [],
    fixer: { build: () => undefined, suppress: (_span, rule) => ({ title: `Disable ${rule} for this line`, edits: [] }) },
  };
}

function parsePython(
  parser: Parser,
  errors: Query,
  input: SourceInput,
  catalogue: EcosystemCatalogue,
  /** ParseOptions.factsOnly: no comments, shared state, await races, syntax problems or fixer */
  factsOnly: boolean,
): ParsedSource {
  let tree: Tree | null = null;
  try {
    const cells = input.notebookCells;
    // IPython magics are blanked to the same length: offsets into the input stay valid
    const text = cells ? blankMagics(input.text, cells) : input.text;
    tree = parser.parse(text);
    if (!tree) return { model: emptyModel(input, [{ span: { start: 0, end: 0 }, message: 'the Python parser gave up on this file' }]), dispose: () => undefined };
    const root = tree.rootNode;
    const built = buildModel(text, root, catalogue);
    if (factsOnly) {
      if (cells) splitCellScopes(text, cells, built.scopes, built.calls, built.loops, (at) => isTopLevelAwait(root, built.table, at));
      const model: SourceModel = { ...emptyModel(input, []), text, scopes: built.scopes, calls: built.calls, loops: built.loops };
      if (!cells) model.exports = built.exports;
      const owned = tree;
      return { model, dispose: () => owned.delete() };
    }
    const comments = loopguardComments(text, root);
    const { stateWrites, lockRegions } = collectSharedState(text, root, built);
    const awaitRaces = collectAwaitRaces(text, root, built);
    const cellScopes = cells && splitCellScopes(text, cells, built.scopes, built.calls, built.loops, (at) => isTopLevelAwait(root, built.table, at));
    const facts = new (cellScopes ? CellFacts : TreeFacts)(text, tree, built.scopes, comments, built.resolver, built.importNames, built.importedRoots, built.table, built.calls);
    const fixer = new PythonFixer(facts, catalogue.flavours);
    if (cellScopes && facts instanceof CellFacts) {
      facts.lexical = cellScopes.lexicalScope;
      // moving a loop out of a cell's top-level code into a function is not written for cells
      const move = fixer.moveLoopOffEventLoop.bind(fixer);
      fixer.moveLoopOffEventLoop = (loop) => (cellScopes.added.has(loop.scope) ? [] : move(loop));
    }
    const model: SourceModel = {
      family: 'python',
      languageId: input.languageId ?? 'python',
      fileName: input.fileName,
      text,
      scopes: built.scopes,
      calls: built.calls,
      loops: built.loops,
      comments,
      syntaxProblems: root.hasError ? syntaxProblems(errors, root) : [],
      stateWrites,
      lockRegions,
      awaitRaces,
      fixer,
    };
    // a notebook is not a module anything imports
    if (!cells) model.exports = built.exports;
    const owned = tree;
    return {
      model,
      dispose: () => {
        facts.detach();
        owned.delete();
      },
    };
  } catch (e) {
    // a bug here must not take the server down; it shows as a problem on the file instead
    tree?.delete();
    const message = `internal error in the Python front end: ${e instanceof Error ? e.message : String(e)}`;
    return { model: emptyModel(input, [{ span: { start: 0, end: 0 }, message }]), dispose: () => undefined };
  }
}

/** Only comments that can hold a directive matter (suppression.ts); find them through the text. */
function loopguardComments(text: string, root: Node): Comment[] {
  const out: Comment[] = [];
  let seen = -1;
  for (let i = text.indexOf('loopguard'); i >= 0; i = text.indexOf('loopguard', i + 9)) {
    if (i < seen) continue;
    const node = root.descendantForIndex(i);
    if (!node || node.type !== 'comment') continue;
    const span = { start: node.startIndex, end: node.endIndex };
    seen = span.end;
    out.push({ span, text: text.slice(span.start, span.end) });
  }
  return out;
}

function syntaxProblems(errors: Query, root: Node): SyntaxProblem[] {
  const out: SyntaxProblem[] = [];
  for (const m of errors.matches(root)) {
    for (const c of m.captures) {
      if (out.length >= MAX_SYNTAX_PROBLEMS) return out;
      const span = { start: c.node.startIndex, end: c.node.endIndex };
      if (c.name === 'missing') out.push({ span, message: `missing \`${c.node.type}\`` });
      else if (!out.some((p) => p.span.start <= span.start && span.end <= p.span.end && p.message === 'syntax error')) {
        out.push({ span, message: 'syntax error' });
      }
    }
  }
  return out;
}
