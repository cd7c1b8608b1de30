// The FileFixer for TypeScript/JavaScript: turns catalogue fixes into text edits for one file.
//
// - `await-twin`: `fs.readFileSync(p)` → `await fs.promises.readFile(p)`; a function imported by name
//   → `await readFile(p)` plus the import of the twin.
// - `await-promisified`: `zlib.gzipSync(b)` → `await promisify(zlib.gzip)(b)`.
// - `promisify-exec`: `execSync(c)` → `await promisify(exec)(c)` / `(await promisify(exec)(c, o)).stdout`.
// Every fix needs `await`, so it is built only where `await` is legal: directly in an async function,
// not in a nested sync callback, a parameter default or a class field. A fix the fixer cannot write
// correctly (a file descriptor where the twin wants a path, an option the twin lacks) is not offered.
// CPU-heavy loops: extraction into a worker module run by a worker pool (typescript/worker-pool.ts),
// then yielding to the event loop every N iterations (typescript/yield-loop.ts). A call to a CPU-heavy or
// blocking helper: the whole call run in that worker pool (typescript/worker-pool/helper-call.ts).

import ts from 'typescript';
import type { FixSpec } from '../engine/catalogue';
import type { TextEdit } from '../engine/finding';
import type { AwaitRace, Call, Loop, Span, StateWrite } from '../engine/model';
import { LineIndex } from '../engine/text';
import { isStringLike, resolveExpression, skipOuter } from '../frontends/typescript/bindings';
import type { TsFileFacts } from '../frontends/typescript/facts';
import { SITE_AWAITED, SITE_AWAIT_ILLEGAL, SITE_NEEDS_PARENS, SITE_STATEMENT, type CallSite } from '../frontends/typescript/walker';
import type { BuiltFix, FileFixer, HelperSource, LockChoice, SafetyRatedFix } from './fixer';
import { useAtomics } from './typescript/atomics';
import { guardWithAsyncLock, rereadAfterAwait } from './typescript/await-race';
import { ImportPlanner, newPlan, type ImportPlan } from './typescript/imports';
import { suppressionEdit } from './typescript/suppress';
import { moveToWorker } from './typescript/worker-pool';
import { helperCallToWorker } from './typescript/worker-pool/helper-call';
import { yieldPeriodically } from './typescript/yield-loop';

const SK = ts.SyntaxKind;
const NF = ts.NodeFlags;

/** exec/execFile options that the promisified versions accept and treat the same way. */
const EXEC_OPTIONS = new Set([
  'cwd', 'env', 'encoding', 'timeout', 'maxBuffer', 'killSignal', 'uid', 'gid', 'windowsHide', 'shell', 'signal',
  'windowsVerbatimArguments', 'argv0',
]);

/** `fs.readFileSync(0)`, `(fd)`, `(process.stdin.fd)`: fs/promises takes paths and FileHandles, never numbers. */
function looksLikeFileDescriptor(arg: ts.Expression | undefined): boolean {
  if (!arg) return false;
  const e = skipOuter(arg);
  if (e.kind === SK.NumericLiteral) return true;
  const name =
    e.kind === SK.Identifier ? (e as ts.Identifier).text
    : e.kind === SK.PropertyAccessExpression ? (e as ts.PropertyAccessExpression).name.text
    : undefined;
  return name !== undefined && /^(?:fd|.*Fd|.*FD|fileDescriptor|descriptor)$/.test(name);
}

function objectLiteralKeys(e: ts.ObjectLiteralExpression): { keys: Map<string, ts.Expression | undefined>; spread: boolean } {
  const keys = new Map<string, ts.Expression | undefined>();
  let spread = false;
  for (const p of e.properties) {
    if (p.kind === SK.SpreadAssignment) spread = true;
    else if (p.kind === SK.PropertyAssignment && (p.name.kind === SK.Identifier || p.name.kind === SK.StringLiteral)) {
      keys.set(p.name.text, p.initializer);
    } else if (p.kind === SK.ShorthandPropertyAssignment) keys.set(p.name.text, undefined);
    else spread = true; // methods, computed keys: not an options bag we can read
  }
  return { keys, spread };
}

/** Some option of the call is one the twin does not have (`statSync(p, { throwIfNoEntry: false })`). */
function hasUnsupportedOption(node: ts.CallExpression, names: readonly string[]): boolean {
  for (const a of node.arguments) {
    const e = skipOuter(a);
    if (e.kind !== SK.ObjectLiteralExpression) continue;
    const { keys } = objectLiteralKeys(e as ts.ObjectLiteralExpression);
    if (names.some((n) => keys.has(n))) return true;
  }
  return false;
}

export class TypeScriptFixer implements FileFixer {
  private siteOf: Map<Call, CallSite> | undefined;
  private planner: ImportPlanner | undefined;
  private lineIndex: LineIndex | undefined;

  constructor(private readonly facts: TsFileFacts | undefined) {}

  /** For a file that could not be parsed: no fixes, and a plain next-line suppression. */
  static inert(): TypeScriptFixer {
    return new TypeScriptFixer(undefined);
  }

  build(call: Call, spec: FixSpec): BuiltFix | undefined {
    const facts = this.facts;
    if (!facts) return undefined;
    const site = this.site(call);
    if (!site || site.node.kind !== SK.CallExpression) return undefined;
    if (facts.scopes[call.scope]?.kind !== 'async') return undefined;
    if ((site.flags & (SITE_AWAITED | SITE_AWAIT_ILLEGAL)) !== 0) return undefined;
    const node = site.node as ts.CallExpression;
    // `fs?.readFileSync(p)` / `readFileSync?.(p)`: the twin would not keep the short-circuit
    if ((node.flags & NF.OptionalChain) !== 0) return undefined;
    if (!spec.module || !spec.name) return undefined;
    try {
      switch (spec.kind) {
        case 'await-twin':
          return this.awaitTwin(site, node, spec);
        case 'await-promisified':
          return this.awaitPromisified(site, node, spec);
        case 'promisify-exec':
          return this.promisifyExec(site, node, spec);
        default:
          return undefined;
      }
    } catch {
      // a fix that cannot be computed is a missing fix, never a failed analysis
      return undefined;
    }
  }

  suppress(span: Span, rule: string): BuiltFix {
    const title = `Disable ${rule} for this line`;
    if (!this.facts) {
      return { title, edits: [{ start: span.start, end: span.start, newText: `/* loopguard-ignore-line ${rule} */ ` }] };
    }
    this.lineIndex ??= new LineIndex(this.facts.text);
    return { title, edits: [suppressionEdit(this.facts, this.lineIndex, span, rule)] };
  }

  useAtomics(write: StateWrite): SafetyRatedFix | undefined {
    return this.guarded((facts, lines) => useAtomics(facts, lines, write));
  }

  rereadAfterAwait(race: AwaitRace): SafetyRatedFix | undefined {
    return this.guarded((facts, lines) => rereadAfterAwait(facts, lines, race));
  }

  guardWithAsyncLock(race: AwaitRace, lock: LockChoice): SafetyRatedFix | undefined {
    return this.guarded((facts, lines) => guardWithAsyncLock(facts, lines, race, lock));
  }

  /** a fix that cannot be computed is a missing fix, never a failed analysis */
  private guarded(build: (facts: TsFileFacts, lines: LineIndex) => SafetyRatedFix | undefined): SafetyRatedFix | undefined {
    const facts = this.facts;
    if (!facts) return undefined;
    this.lineIndex ??= new LineIndex(facts.text);
    try {
      return build(facts, this.lineIndex);
    } catch {
      return undefined;
    }
  }

  runHelperInWorker(call: Call, source: HelperSource): SafetyRatedFix | undefined {
    const site = this.site(call);
    return site && this.guarded((facts, lines) => helperCallToWorker(facts, lines, site, call, source));
  }

  moveLoopOffEventLoop(loop: Loop): SafetyRatedFix[] {
    const facts = this.facts;
    const site = facts?.loops[loop.id];
    if (!facts || !site || site.loop !== loop) return [];
    this.lineIndex ??= new LineIndex(facts.text);
    const fixes: SafetyRatedFix[] = [];
    // each fix on its own: a bug in one builder must not take the other away
    for (const build of [moveToWorker, yieldPeriodically]) {
      try {
        const fix = build(facts, this.lineIndex, site);
        if (fix) fixes.push(fix);
      } catch {
        // a fix that cannot be computed is a missing fix, never a failed analysis
      }
    }
    return fixes;
  }

  private site(call: Call): CallSite | undefined {
    if (!this.siteOf) {
      this.siteOf = new Map();
      for (const s of this.facts?.sites ?? []) this.siteOf.set(s.call, s);
    }
    return this.siteOf.get(call);
  }

  private imports(): ImportPlanner {
    return (this.planner ??= new ImportPlanner(this.facts as TsFileFacts));
  }

  /** The module the blocking call comes from (`fs` for `fs.readFileSync`), for namespace rewrites. */
  private blockingModule(site: CallSite): string | undefined {
    const t = resolveExpression(site.node.expression, site.lex);
    return t?.kind === 'module' ? t.root : undefined;
  }

  /**
   * Replaces the callee with `await <newCallee>` (parenthesised when the call's value is used by a
   * member access or call), and appends `suffix` after the call.
   */
  private replaceCall(site: CallSite, node: ts.CallExpression, newCallee: string, plan: ImportPlan, title: string, used?: { suffix: string }): BuiltFix {
    const facts = this.facts as TsFileFacts;
    const start = node.getStart(facts.sf);
    const calleeEnd = node.expression.end;
    const edits: TextEdit[] = [];
    if (used) {
      edits.push({ start, end: calleeEnd, newText: `(await ${newCallee}` });
      edits.push({ start: node.end, end: node.end, newText: `)${used.suffix}` });
    } else if ((site.flags & SITE_NEEDS_PARENS) !== 0) {
      edits.push({ start, end: calleeEnd, newText: `(await ${newCallee}` });
      edits.push({ start: node.end, end: node.end, newText: ')' });
    } else {
      edits.push({ start, end: calleeEnd, newText: `await ${newCallee}` });
    }
    edits.push(...this.imports().finish(plan));
    return { title, edits };
  }

  private awaitTwin(site: CallSite, node: ts.CallExpression, spec: FixSpec): BuiltFix | undefined {
    const module = spec.module as string;
    if (module === 'fs/promises' && looksLikeFileDescriptor(node.arguments[0])) return undefined;
    if (module === 'fs/promises' && hasUnsupportedOption(node, ['throwIfNoEntry'])) return undefined;
    const plan = newPlan();
    const ref = this.imports().ref(site, { module, name: spec.name as string, blockingModule: this.blockingModule(site), namespacePath: spec.namespacePath, twin: true }, plan);
    if (ref === undefined) return undefined;
    return this.replaceCall(site, node, ref, plan, `Replace with \`await ${ref}(…)\``);
  }

  private awaitPromisified(site: CallSite, node: ts.CallExpression, spec: FixSpec): BuiltFix | undefined {
    const plan = newPlan();
    const callee = this.promisified(site, spec, plan);
    if (callee === undefined) return undefined;
    return this.replaceCall(site, node, callee, plan, `Replace with \`await ${callee}(…)\``);
  }

  /** `promisify(fn)` with both names reachable in the file (imports added to `plan` as needed). */
  private promisified(site: CallSite, spec: FixSpec, plan: ReturnType<typeof newPlan>): string | undefined {
    const fn = this.imports().ref(site, { module: spec.module as string, name: spec.name as string, blockingModule: this.blockingModule(site) }, plan);
    if (fn === undefined) return undefined;
    const promisify = this.imports().ref(site, { module: 'util', name: 'promisify' }, plan);
    if (promisify === undefined) return undefined;
    return `${promisify}(${fn})`;
  }

  /**
   * `execSync(cmd[, opts])` → promisified `exec`. The catalogue lists a safe and an unsafe spec; each
   * builds only in its own case. Safe: the options are a literal the async version treats the same,
   * and the result is unused or decoded text (`encoding` given: take `.stdout`). Unsafe: the options
   * are not visible, or the Buffer result becomes a string. None: `input` or `stdio`, which `exec` lacks.
   */
  private promisifyExec(site: CallSite, node: ts.CallExpression, spec: FixSpec): BuiltFix | undefined {
    const args = node.arguments;
    if (args.some((a) => a.kind === SK.SpreadElement)) return undefined;
    const isFile = spec.name === 'execFile';
    let opts: ts.Expression | undefined;
    let optsKnown = true;
    if (isFile) {
      const second = args[1] && skipOuter(args[1]);
      if (second?.kind === SK.ObjectLiteralExpression) opts = second;
      else if (args[2]) opts = skipOuter(args[2]);
      else if (second && second.kind !== SK.ArrayLiteralExpression) optsKnown = false; // args or options?
    } else if (args[1]) opts = skipOuter(args[1]);
    let hasEncoding = false;
    if (opts) {
      if (opts.kind !== SK.ObjectLiteralExpression) optsKnown = false;
      else {
        const { keys, spread } = objectLiteralKeys(opts as ts.ObjectLiteralExpression);
        if (keys.has('input') || keys.has('stdio')) return undefined;
        if (spread || [...keys.keys()].some((k) => !EXEC_OPTIONS.has(k))) optsKnown = false;
        const enc = keys.get('encoding');
        hasEncoding = enc !== undefined && isStringLike(skipOuter(enc));
      }
    }
    const unused = (site.flags & SITE_STATEMENT) !== 0;
    const safe = optsKnown && (unused || hasEncoding);
    if (safe !== spec.safe) return undefined;
    const plan = newPlan();
    const callee = this.promisified(site, spec, plan);
    if (callee === undefined) return undefined;
    if (unused) return this.replaceCall(site, node, callee, plan, `Replace with \`await ${callee}(…)\``);
    return this.replaceCall(site, node, callee, plan, `Replace with \`(await ${callee}(…)).stdout\``, { suffix: '.stdout' });
  }
}
