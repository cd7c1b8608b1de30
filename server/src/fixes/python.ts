// The FileFixer for Python: turns catalogue fixes into text edits for one file.
//
// - `await-twin`: `time.sleep(x)` → `await asyncio.sleep(x)` (`trio.sleep` / `anyio.sleep` in a file
//   that uses trio or anyio).
// - `to-thread`: `requests.get(u, timeout=5)` → `await asyncio.to_thread(requests.get, u, timeout=5)`,
//   the callee as written (alias, bound method) and the arguments verbatim. trio's and anyio's
//   `to_thread.run_sync` take no keyword arguments, so those go through `functools.partial`.
// `await` is written only where it is legal and keeps its meaning: directly in an `async def` (not a
// lambda, not a class body) and not inside a generator expression (which `await` would turn into an
// async generator). Names are reused when the file already binds them (`import asyncio as aio`,
// `from asyncio import sleep`); otherwise `import asyncio` joins the file's top-level imports.

import type { AsyncFlavour, FixSpec } from '../engine/catalogue';
import type { TextEdit } from '../engine/finding';
import type { AwaitRace, Call, FunctionScope, Loop, Span, StateWrite } from '../engine/model';
import { LineIndex } from '../engine/text';
import type { PythonFileFacts } from '../frontends/python/facts';
import type { BuiltFix, FileFixer, LockChoice, SafetyRatedFix } from './fixer';
import { guardWithAsyncLock, rereadAfterAwait } from './python/await-race';
import { helperToProcessPool } from './python/helper-pool';
import { guardWithLock } from './python/lock';
import { ImportPlanner } from './python/imports';
import { moveLoop } from './python/move-loop';
import { switchToProcessPool } from './python/switch-pool';
import { suppressionEdit } from './python/suppress';

const ASYNCIO: AsyncFlavour = { sleep: 'asyncio.sleep', toThread: 'asyncio.to_thread' };
/** preference when a file imports several async libraries: asyncio code can call anyio, anyio runs on trio */
const FLAVOUR_ORDER = ['asyncio', 'anyio', 'trio'];

export class PythonFixer implements FileFixer {
  private lineIndex: LineIndex | undefined;
  private flavourKey: string | undefined;

  constructor(
    private readonly facts: PythonFileFacts,
    private readonly flavours: ReadonlyMap<string, AsyncFlavour>,
  ) {}

  /** built on first use: most files have no finding */
  private get lines(): LineIndex {
    return (this.lineIndex ??= new LineIndex(this.facts.text));
  }

  /** The async library the file uses: the first of asyncio, anyio, trio that it imports; asyncio otherwise. */
  private flavour(): { key: string; spelling: AsyncFlavour } {
    this.flavourKey ??= FLAVOUR_ORDER.find((k) => this.flavours.has(k) && this.facts.importsModule(k)) ?? 'asyncio';
    return { key: this.flavourKey, spelling: this.flavours.get(this.flavourKey) ?? ASYNCIO };
  }

  build(call: Call, spec: FixSpec): BuiltFix | undefined {
    const { facts } = this;
    if (facts.scopes[call.scope]?.kind !== 'async') return undefined;
    if (facts.inGeneratorExpression(call.span)) return undefined;
    if (spec.kind === 'await-twin') return this.awaitTwin(call, spec);
    if (spec.kind === 'to-thread') return this.toThread(call);
    return undefined;
  }

  moveLoopOffEventLoop(loop: Loop): SafetyRatedFix[] {
    const fix = moveLoop(this.facts, this.lines, loop);
    return fix ? [fix] : [];
  }

  runHelperInProcessPool(call: Call): SafetyRatedFix | undefined {
    // run_in_executor is asyncio's; trio and anyio have their own process APIs
    if (this.flavour().key !== 'asyncio') return undefined;
    return helperToProcessPool(this.facts, this.lines, call);
  }

  switchToProcessPool(scope: FunctionScope): { fixes: SafetyRatedFix[]; problem: string | undefined } {
    return switchToProcessPool(this.facts, this.lines, scope);
  }

  guardWithLock(write: StateWrite, lock: LockChoice): SafetyRatedFix | undefined {
    return guardWithLock(this.facts, this.lines, write, lock);
  }

  rereadAfterAwait(race: AwaitRace): SafetyRatedFix | undefined {
    return rereadAfterAwait(this.facts, this.lines, race);
  }

  guardWithAsyncLock(race: AwaitRace, lock: LockChoice): SafetyRatedFix | undefined {
    return guardWithAsyncLock(this.facts, this.lines, race, lock);
  }

  suppress(span: Span, rule: string): BuiltFix {
    const edit = suppressionEdit(this.facts, this.lines, span, rule);
    return { title: `Disable ${rule} for this line`, edits: edit ? [edit] : [] };
  }

  private awaitTwin(call: Call, spec: FixSpec): BuiltFix | undefined {
    if (!spec.module || !spec.name) return undefined;
    let twin = `${spec.module}.${spec.name}`;
    const { key, spelling } = this.flavour();
    if (this.flavours.has(spec.module) && spec.module !== key) {
      // an asyncio twin in a trio/anyio file: only what the flavour table can translate
      if (twin !== (this.flavours.get(spec.module) ?? ASYNCIO).sleep) return undefined;
      twin = spelling.sleep;
    }
    // the callee is replaced: a comment inside it (a callee split over lines) would be lost
    if (this.facts.text.slice(call.calleeSpan.start, call.calleeSpan.end).includes('#')) return undefined;
    const planner = new ImportPlanner(this.facts, this.lines, call.scope);
    const callee = planner.reference(twin);
    if (callee === undefined) return undefined;
    const rest = this.facts.text.slice(call.calleeSpan.end, call.span.end);
    return this.replaceCall(call, `await ${callee}${rest}`, `Replace with \`await ${twin}(…)\``, planner);
  }

  private toThread(call: Call): BuiltFix | undefined {
    const { text } = this.facts;
    const { key, spelling } = this.flavour();
    const planner = new ImportPlanner(this.facts, this.lines, call.scope);
    const runner = planner.reference(spelling.toThread);
    if (runner === undefined) return undefined;
    const open = call.calleeSpan.end + (text.slice(call.calleeSpan.end, call.span.end).indexOf('('));
    if (open < call.calleeSpan.end || text.charCodeAt(call.span.end - 1) !== 41 /* ) */) return undefined;
    const callee = text.slice(call.calleeSpan.start, call.calleeSpan.end);
    // a bare generator expression argument (`sum(x for x in xs)`) keeps its own parentheses
    const bareGenerator = call.args.length === 1 && call.args[0].span.start === open;
    const inner = bareGenerator ? text.slice(open, call.span.end) : text.slice(open + 1, call.span.end - 1);
    let args = joinArguments(callee, inner);
    const needsPartial = key !== 'asyncio' && call.args.some((a) => a.keyword !== undefined || a.spread === 'keyword');
    if (needsPartial) {
      const partial = planner.reference('functools.partial');
      if (partial === undefined) return undefined;
      args = `${partial}(${args})`;
    }
    return this.replaceCall(call, `await ${runner}(${args})`, `Run in a thread with \`await ${spelling.toThread}(…)\``, planner);
  }

  private replaceCall(call: Call, replacement: string, title: string, planner: ImportPlanner): BuiltFix | undefined {
    const newText = this.facts.needsParentheses(call.span) ? `(${replacement})` : replacement;
    const edits: TextEdit[] = [{ start: call.span.start, end: call.span.end, newText }];
    const imports = planner.edit();
    if (imports === null) return undefined;
    if (imports) edits.push(imports);
    return { title, edits };
  }
}

/** `callee` followed by the original argument text, keeping its line breaks and comments. */
function joinArguments(callee: string, inner: string): string {
  if (inner.trim() === '') return callee;
  if (/^[ \t]*(?:#[^\n]*)?\r?\n/.test(inner)) return `${callee},${inner}`;
  return `${callee}, ${inner.replace(/^[ \t]+/, '')}`;
}
