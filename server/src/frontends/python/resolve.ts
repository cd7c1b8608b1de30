// Name resolution for one Python file: what a name, a dotted chain or a call's callee refers to.
//
// Python's rules, flow-insensitively: a name bound anywhere in a function is local to the whole
// function (unless declared `global`); class bodies are invisible to the functions nested in them;
// unbound names fall through enclosing functions to the module, then to builtins. Precision first:
// a name with bindings that disagree (an import and an assignment, two different imports) means
// nothing we can name. `x = None` agrees with everything (it is the "not yet set" of a typed name).
//
// Types are data: the catalogue's `types` map gives the type a call returns (`sqlite3.connect` →
// `sqlite3.Connection`; a class maps to itself), so `conn = sqlite3.connect(p)` makes `conn.execute`
// the qualified name `sqlite3.Connection.execute`.

import { FUNCTION_WRAPPERS, OFFLOADERS } from './offload';
import { dottedSegments, identEnd, skipTrivia, splitItems } from './scan';
import type { PyScope, ScopeTable } from './scopes';
import { BUILTIN_NAMES } from './builtins';

/**
 * Where an import binding's value comes from: the module the statement names and the names taken
 * from it (`from pkg import util` → `pkg`, `['util']`; `import a.b` binds `a` → `a`, `[]`), and the
 * qualified name the binding stands for (`pkg.util`). Call.imported is this plus the attributes the
 * call adds to `target`.
 */
export interface ImportOrigin {
  specifier: string;
  path: readonly string[];
  target: string;
}

export type Binding =
  /** `import a.b` binds `a` → `a`; `from a import b as c` binds `c` → `a.b`; `from .m import f` binds `f` → `.m.f` */
  | { k: 'import'; target: string; origin: ImportOrigin }
  /** assigned the result of a call */
  | { k: 'value'; call: CallRec }
  /** `x = other.name`: whatever the dotted expression at start..end means in `scope` */
  | { k: 'alias'; start: number; end: number; scope: number }
  /** annotated with a type expression, read in `scope`; `value` when it is also assigned a call (`x: T = f()`) */
  | { k: 'annotation'; start: number; end: number; scope: number; value?: CallRec }
  | { k: 'def'; scope: number }
  /** the first parameter of a method of class `cls` */
  | { k: 'self'; cls: number }
  /** `= None` */
  | { k: 'none' }
  | { k: 'other' };

export type Meaning =
  /** an import, a builtin, or an attribute path under one: a qualified name; `origin` when reached through an import */
  | { k: 'qualified'; q: string; origin?: ImportOrigin }
  /** a value of a known type */
  | { k: 'instance'; type: string }
  /** a function defined in this file */
  | { k: 'def'; scope: number }
  /** `self`/`cls` in a method of class `cls` */
  | { k: 'self'; cls: number }
  /** bound, to something we cannot name */
  | { k: 'local' }
  /** bound nowhere in the file and not a builtin */
  | { k: 'unbound' };

export interface CallRec {
  start: number;
  end: number;
  /** end of the callee expression (before the argument list) */
  calleeEnd: number;
  /** the `(` of the argument list (or of the generator expression that is the only argument) */
  argsStart: number;
  /** `f(x for x in y)`: the argument list is a bare generator expression */
  genexp: boolean;
  /** id of the scope that evaluates the call */
  scope: number;
  awaited: boolean;
  /** 0 not resolved yet, 1 resolving (cycle guard), 2 done */
  state: 0 | 1 | 2;
  name: string | undefined;
  /** the def in this file that the callee names (Call.target), set with `name` */
  target: number | undefined;
  /** the import the callee is reached through (for Call.imported), set with `name` */
  origin: ImportOrigin | undefined;
  /** names bound by the comprehensions around the call (their variables shadow everything else) */
  shadow: Set<string> | undefined;
  /** last segment of a dotted callee and the segment before it, for offloaders on untyped receivers */
  method: string | undefined;
  receiver: string | undefined;
}

const LOCAL: Meaning = { k: 'local' };
const UNBOUND: Meaning = { k: 'unbound' };
const IN_PROGRESS: Meaning = { k: 'local' };

function sameMeaning(a: Meaning, b: Meaning): boolean {
  switch (a.k) {
    case 'qualified':
      return b.k === 'qualified' && a.q === b.q;
    case 'instance':
      return b.k === 'instance' && a.type === b.type;
    case 'def':
      return b.k === 'def' && a.scope === b.scope;
    case 'self':
      return b.k === 'self' && a.cls === b.cls;
    default:
      return false;
  }
}

const MAX_DEPTH = 300;
const OPTIONAL = /^(?:typing\.|t\.)?Optional\[(.+)\]$/;
const GENERIC = /^([\w.]+)\[.*\]$/;

export class Resolver {
  private readonly memo = new Map<PyScope, Map<string, Meaning>>();
  private readonly attrMemo = new Map<string, Meaning>();
  private readonly callsByStart = new Map<number, CallRec[]>();
  private depth = 0;

  constructor(
    private readonly text: string,
    private readonly scopes: ScopeTable,
    private readonly types: ReadonlyMap<string, string>,
    /** whether a qualified name is something the catalogue knows (for names a star import may bring in) */
    private readonly known: (name: string) => boolean,
    calls: readonly CallRec[],
  ) {
    for (const c of calls) {
      const list = this.callsByStart.get(c.start);
      if (list) list.push(c);
      else this.callsByStart.set(c.start, [c]);
    }
  }

  /** The outermost call starting at `start`. */
  callAt(start: number): CallRec | undefined {
    return this.callsByStart.get(start)?.[0];
  }

  /** What `name` means when read in scope `scopeId`. */
  meaning(name: string, scopeId: number): Meaning {
    const start = this.scopes.get(scopeId);
    let memo = this.memo.get(start);
    if (!memo) this.memo.set(start, (memo = new Map()));
    const hit = memo.get(name);
    if (hit) return hit;
    // names defined through names (`b = a`, `c = b.f()`, …) resolve recursively; a chain longer
    // than any hand-written one is given up on rather than allowed to exhaust the stack
    if (this.depth > MAX_DEPTH) return LOCAL;
    this.depth++;
    memo.set(name, IN_PROGRESS);
    try {
      const result = this.lookup(name, start);
      memo.set(name, result);
      return result;
    } finally {
      this.depth--;
    }
  }

  private lookup(name: string, from: PyScope): Meaning {
    let s: PyScope | undefined = from;
    let first = true;
    while (s) {
      // class bodies are visible only to code directly in them
      if (first || s.kind !== 'class') {
        if (s.globals?.has(name)) return this.lookup(name, this.scopes.get(0));
        const bindings = s.names.get(name);
        if (bindings) return this.summarize(bindings);
      }
      first = false;
      s = s.parent === undefined ? undefined : this.scopes.get(s.parent);
    }
    const module = this.scopes.get(0);
    if (module.starImports) {
      // `from m import *` may bring any name in; name it only when it is an API we know in that module
      const known = module.starImports.map((m) => `${m}.${name}`).filter((q) => this.known(q));
      return known.length === 1 && module.starImports.length === 1 ? { k: 'qualified', q: known[0] } : LOCAL;
    }
    return BUILTIN_NAMES.has(name) ? { k: 'qualified', q: `builtins.${name}` } : UNBOUND;
  }

  private summarize(bindings: readonly Binding[]): Meaning {
    let acc: Meaning | undefined;
    for (const b of bindings) {
      if (b.k === 'none') continue;
      const m = this.bindingMeaning(b);
      if (m.k === 'local') return LOCAL;
      if (acc === undefined) acc = m;
      else if (!sameMeaning(acc, m)) return LOCAL;
    }
    return acc ?? LOCAL;
  }

  private bindingMeaning(b: Binding): Meaning {
    switch (b.k) {
      case 'import':
        return { k: 'qualified', q: b.target, origin: b.origin };
      case 'value': {
        const type = this.returnType(b.call);
        return type ? { k: 'instance', type } : LOCAL;
      }
      case 'annotation': {
        // what the author says wins; `x: "Queue[str]" = Queue()` still has the value's type
        const type = this.annotationType(b.start, b.end, b.scope) ?? (b.value ? this.returnType(b.value) : undefined);
        return type ? { k: 'instance', type } : LOCAL;
      }
      case 'alias': {
        const parts = dottedSegments(this.text, b.start, b.end);
        return parts ? this.chain(parts, b.scope) : LOCAL;
      }
      case 'def':
        return { k: 'def', scope: b.scope };
      case 'self':
        return { k: 'self', cls: b.cls };
      default:
        return LOCAL;
    }
  }

  /**
   * The type of the call's value, from the catalogue's types map. Awaited, it is known only for the
   * thread runners: `await asyncio.to_thread(open, p)` is what `open(p)` returns.
   */
  returnType(call: CallRec): string | undefined {
    const name = this.callName(call);
    if (name === undefined) return undefined;
    if (!call.awaited) return this.types.get(name);
    const runner = OFFLOADERS.get(name);
    if (!runner || call.genexp) return undefined;
    const fn = this.functionArgument(call, runner.arg, 0);
    return fn === undefined ? undefined : this.types.get(fn);
  }

  /** The qualified name of the function passed as positional argument `index` (through `functools.partial`). */
  private functionArgument(call: CallRec, index: number, depth: number): string | undefined {
    const items = splitItems(this.text, call.argsStart + 1, call.end - 1);
    const arg = items[index];
    if (!arg || arg.eq >= 0 || items.slice(0, index).some((it) => this.text.charCodeAt(it.start) === 42 /* * */)) return undefined;
    const parts = dottedSegments(this.text, arg.start, arg.end);
    if (parts) {
      const m = this.chain(parts, call.scope);
      return m.k === 'qualified' ? m.q : undefined;
    }
    const inner = this.callAt(arg.start);
    if (depth > 0 || !inner || inner.end !== arg.end || inner.genexp) return undefined;
    const wrapper = this.callName(inner);
    return wrapper !== undefined && FUNCTION_WRAPPERS.has(wrapper) ? this.functionArgument(inner, 0, depth + 1) : undefined;
  }

  private annotationType(start: number, end: number, scope: number): string | undefined {
    let t = this.text.slice(start, end).replace(/\s+/g, '');
    const quoted = /^(['"])(.*)\1$/.exec(t);
    if (quoted) t = quoted[2];
    const opt = OPTIONAL.exec(t);
    if (opt) t = opt[1];
    // a generic class: `Queue[str]` is a `Queue`
    const generic = GENERIC.exec(t);
    if (generic) t = generic[1];
    const parts = t.split('|').filter((p) => p !== 'None');
    if (parts.length !== 1) return undefined;
    const segs = parts[0].split('.');
    if (!segs.every((s) => s.length > 0 && identEnd(s, 0) === s.length)) return undefined;
    const m = this.chain(segs, scope);
    return m.k === 'qualified' ? this.types.get(m.q) : undefined;
  }

  /** What `self.<attr>` means in methods of class `cls`: its class-body binding and `self.<attr> = …` in methods. */
  attribute(cls: number, attr: string): Meaning {
    const key = `${cls}\0${attr}`;
    const hit = this.attrMemo.get(key);
    if (hit) return hit;
    this.attrMemo.set(key, IN_PROGRESS);
    const scope = this.scopes.get(cls);
    const bindings = [...(scope.names.get(attr) ?? []), ...(scope.attrs?.get(attr) ?? [])];
    const result = bindings.length > 0 ? this.summarize(bindings) : LOCAL;
    this.attrMemo.set(key, result);
    return result;
  }

  /** What the dotted chain `a.b.c` means, read in `scope`. */
  chain(parts: readonly string[], scope: number): Meaning {
    let m = this.meaning(parts[0], scope);
    for (let i = 1; i < parts.length; i++) m = this.member(m, parts[i]);
    return m;
  }

  private member(m: Meaning, seg: string): Meaning {
    switch (m.k) {
      case 'qualified':
        return { k: 'qualified', q: `${m.q}.${seg}`, origin: m.origin };
      case 'instance':
        return { k: 'qualified', q: `${m.type}.${seg}` };
      case 'self':
        return this.attribute(m.cls, seg);
      default:
        return LOCAL;
    }
  }

  /** The qualified name of what a call calls, or undefined. */
  callName(call: CallRec): string | undefined {
    if (call.state === 2) return call.name;
    if (call.state === 1) return undefined;
    call.state = 1;
    const m = this.calleeMeaning(call);
    call.name = m?.k === 'qualified' ? m.q : undefined;
    call.target = m?.k === 'def' ? m.scope : undefined;
    call.origin = m?.k === 'qualified' ? m.origin : undefined;
    call.state = 2;
    return call.name;
  }

  /** What the callee expression of a call means (a local def, a qualified name, …). */
  calleeMeaning(call: CallRec): Meaning | undefined {
    const { text } = this;
    const parts = dottedSegments(text, call.start, call.calleeEnd);
    if (parts) {
      if (parts.length > 1) {
        call.method = parts[parts.length - 1];
        call.receiver = parts[parts.length - 2];
      }
      if (call.shadow !== undefined && call.shadow.has(parts[0])) return LOCAL;
      return this.chain(parts, call.scope);
    }
    // `make().method`: a chain on the result of an inner call that starts where this one starts
    for (const inner of this.callsByStart.get(call.start) ?? []) {
      if (inner === call || inner.end >= call.calleeEnd) continue;
      const dot = skipTrivia(text, inner.end, call.calleeEnd);
      if (text.charCodeAt(dot) !== 46 /* . */) continue;
      const rest = dottedSegments(text, skipTrivia(text, dot + 1, call.calleeEnd), call.calleeEnd);
      if (!rest) continue;
      call.method = rest[rest.length - 1];
      const type = this.returnType(inner);
      if (!type) return undefined;
      let m: Meaning = { k: 'instance', type };
      for (const seg of rest) m = this.member(m, seg);
      return m;
    }
    return undefined;
  }
}
