// The Python front end's AwaitRace facts: which read → await → write of the same shared state in an
// `async def` is recorded, with what pattern, state and spans — and the many look-alikes that are not.

import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { builtinCatalogue } from '../../server/src/engine/catalogue';
import { applyEdits } from '../../server/src/engine/finding';
import type { AwaitRace, SourceModel } from '../../server/src/engine/model';
import type { Frontend } from '../../server/src/frontends/frontend';
import { loadFrontends } from '../../server/src/frontends';

let frontend: Frontend;
before(async () => {
  const found = (await loadFrontends()).find((f) => f.family === 'python');
  assert.ok(found);
  frontend = found;
});

function withModel<T>(text: string, fn: (m: SourceModel) => T): T {
  const parsed = frontend.parse({ fileName: 'test.py', text }, builtinCatalogue().python);
  try {
    return fn(parsed.model);
  } finally {
    parsed.dispose();
  }
}

interface Seen {
  pattern: AwaitRace['pattern'];
  kind: AwaitRace['state']['kind'];
  owner: AwaitRace['state']['owner'];
  key: string;
  written: string;
  read: string;
  await: string;
  write: string;
  /** 1-based line of the write */
  line: number;
  scope: string | undefined;
}

function races(lines: string[]): Seen[] {
  const text = lines.join('\n') + '\n';
  return withModel(text, (m) =>
    m.awaitRaces.map((r) => ({
      pattern: r.pattern,
      kind: r.state.kind,
      owner: r.state.owner,
      key: r.state.key,
      written: r.state.written,
      read: text.slice(r.read.start, r.read.end),
      await: text.slice(r.await.start, r.await.end),
      write: text.slice(r.write.start, r.write.end),
      line: text.slice(0, r.write.start).split('\n').length,
      scope: m.scopes[r.scope].name,
    })),
  );
}

/** pattern, key and write line of each race */
function brief(lines: string[]): Array<[string, string, number]> {
  return races(lines).map((r) => [r.pattern, r.key, r.line]);
}

describe('python await races: update (one statement reads before its await)', () => {
  it('augmented assignment of a global reads the target before the await', () => {
    const [r, ...rest] = races(['balance = 0', 'async def deposit():', '    global balance', '    balance += await fetch()']);
    assert.equal(rest.length, 0);
    assert.deepEqual(
      { ...r },
      {
        pattern: 'update',
        kind: 'variable',
        owner: 'module',
        key: 'balance',
        written: 'balance',
        read: 'balance',
        await: 'await fetch()',
        write: 'balance += await fetch()',
        line: 4,
        scope: 'deposit',
      },
    );
  });

  it('x = x + await f(), x = await g(x), self.x = self.x + await f(), containers', () => {
    const got = races([
      'import asyncio',
      'cache = {}',
      'total = 0',
      'class Account:',
      '    async def add(self):',
      '        self.balance = self.balance + await self.amount()',
      '    async def add_to(self, k):',
      '        self.totals[k] = self.totals.get(k, 0) + await self.amount()',
      'async def reduce_total():',
      '    global total',
      '    total = await combine(total)',
      '    total = (total) - await f()',
      'async def bump(k):',
      '    cache[k] = cache.get(k, 0) + await f()',
      '    cache[k] += await f()',
    ]);
    assert.deepEqual(
      got.map((r) => [r.pattern, r.owner, r.key, r.read, r.await, r.line]),
      [
        ['update', 'instance', 'Account.self.balance', 'self.balance', 'await self.amount()', 6],
        ['update', 'instance', 'Account.self.totals[]', 'self.totals.get(k, 0)', 'await self.amount()', 8],
        ['update', 'module', 'total', 'total', 'await combine(total)', 11],
        ['update', 'module', 'total', 'total', 'await f()', 12],
        ['update', 'module', 'cache[]', 'cache.get(k, 0)', 'await f()', 14],
        ['update', 'module', 'cache[]', 'cache[k]', 'await f()', 15],
      ],
    );
  });

  it('attributes of module-level objects and classes are state; element spans and keys', () => {
    const got = races([
      'class Stats: pass',
      'stats = Stats()',
      'async def count():',
      '    stats.total += await f()',
      '    Stats.instances = Stats.instances + await f()',
    ]);
    assert.deepEqual(
      got.map((r) => [r.kind, r.key, r.written]),
      [
        ['attribute', 'stats.total', 'stats.total'],
        ['attribute', 'Stats.instances', 'Stats.instances'],
      ],
    );
  });

  it("a classmethod's cls.x is one per class", () => {
    assert.deepEqual(
      races(['class Pool:', '    @classmethod', '    async def grow(cls):', '        cls.size += await more()']).map((r) => [r.owner, r.key, r.written]),
      [['module', 'Pool.size', 'cls.size']],
    );
  });

  it('a read after the await is fresh: x = await f() + x', () => {
    assert.deepEqual(brief(['x = 0', 'async def f():', '    global x', '    x = await g() + x']), []);
  });

  it('the branch of a conditional expression runs after its awaited condition', () => {
    assert.deepEqual(brief(['x = 0', 'async def f():', '    global x', '    x = x + 1 if await ready() else 0']), []);
    assert.deepEqual(brief(['x = 0', 'async def f(c):', '    global x', '    x = (await g() if x else 0)']), [['update', 'x', 4]]);
  });

  it('the same container with another key is other state', () => {
    assert.deepEqual(brief(['cache = {}', 'async def f(a, b):', '    cache[a] = cache.get(b, 0) + await g()']), []);
  });
});

describe('python await races: stale (a local carries the read across the await)', () => {
  it('b = self.balance; await …; self.balance = b - amount', () => {
    const [r] = races([
      'class Account:',
      '    async def withdraw(self, amount):',
      '        b = self.balance',
      '        await self.audit(amount)',
      '        self.balance = b - amount',
    ]);
    assert.deepEqual([r.pattern, r.key, r.read, r.await, r.write], ['stale', 'Account.self.balance', 'self.balance', 'await self.audit(amount)', 'self.balance = b - amount']);
  });

  it('the await may be in the assignment after the read, in a header on the way down, or in the write', () => {
    const got = races([
      'n = 0',
      'async def a():',
      '    global n',
      '    m = n + await step()',
      '    n = m',
      'async def b(lock, flag):',
      '    global n',
      '    m = n + 1',
      '    async with lock:',
      '        n = m',
      'async def c(flag):',
      '    global n',
      '    m = n + 1',
      '    if await flag():',
      '        n = m',
      'async def d():',
      '    global n',
      '    m = n + 1',
      '    n = m + await step()',
    ]);
    assert.deepEqual(
      got.map((r) => [r.pattern, r.line, r.await]),
      [
        ['stale', 5, 'await step()'],
        ['stale', 10, 'async with lock'],
        ['stale', 15, 'await flag()'],
        ['stale', 19, 'await step()'],
      ],
    );
  });

  it('x = b + x after the await re-reads x but still adds the stale b; x += b too', () => {
    const got = brief([
      'x = 0',
      'async def f():',
      '    global x',
      '    b = x * 2',
      '    await g()',
      '    x = b + x',
      'async def h():',
      '    global x',
      '    b = x * 2',
      '    await g()',
      '    x += b',
    ]);
    assert.deepEqual(got, [
      ['stale', 'x', 6],
      ['stale', 'x', 11],
    ]);
  });

  it('re-reading into the local after the await ends the race', () => {
    assert.deepEqual(
      brief(['class A:', '    async def f(self):', '        b = self.v', '        await g()', '        b = self.v', '        self.v = b + 1']),
      [],
    );
  });

  it('a plain store of a fresh value, or of the saved value itself, loses no update', () => {
    assert.deepEqual(
      brief([
        'class A:',
        '    async def reset(self):',
        '        b = self.v',
        '        await log(b)',
        '        self.v = 0',
        '    async def restore(self):',
        '        old = self.state',
        '        self.state = "busy"',
        '        await work()',
        '        self.state = old',
      ]),
      [],
    );
  });

  it('awaits in branches, behind or, in comprehensions or nested functions do not count', () => {
    assert.deepEqual(
      brief([
        'x = 0',
        'async def f(c, items):',
        '    global x',
        '    b = x',
        '    if c:',
        '        await g()',
        '    ok = c or await g()',
        '    ys = [await h(i) for i in items]',
        '    async def inner():',
        '        await g()',
        '    x = b + 1',
      ]),
      [],
    );
  });

  it('another binding of the local between (or later in an enclosing loop) makes the value unknown', () => {
    assert.deepEqual(
      brief([
        'x = 0',
        'async def f(items):',
        '    global x',
        '    b = x',
        '    await g()',
        '    for b in items:',
        '        pass',
        '    x = b + 1',
        'async def h(items):',
        '    global x',
        '    b = x',
        '    for i in items:',
        '        await g()',
        '        x = b + 1',
        '        b = x',
      ]),
      [],
    );
  });

  it('a loop between: an await earlier in the same pass counts', () => {
    assert.deepEqual(
      brief(['x = 0', 'async def f(items):', '    global x', '    b = x', '    for i in items:', '        await g(i)', '        x = b + i']),
      [['stale', 'x', 7]],
    );
  });
});

describe('python await races: check-then-act', () => {
  it('if key not in cache: cache[key] = await compute(key)', () => {
    const [r, ...rest] = races(['cache = {}', 'async def get(key):', '    if key not in cache:', '        cache[key] = await compute(key)', '    return cache[key]']);
    assert.equal(rest.length, 0);
    assert.deepEqual([r.pattern, r.kind, r.key, r.written, r.read, r.await], ['check', 'element', 'cache[]', 'cache[key]', 'key not in cache', 'await compute(key)']);
  });

  it('if not self._client / self.x is None / cache.get(k) is None / elif', () => {
    const got = races([
      'cache = {}',
      'class Api:',
      '    async def client(self):',
      '        if not self._client:',
      '            self._client = await connect()',
      '        return self._client',
      '    async def token(self):',
      '        if self.token is None:',
      '            await self.login()',
      '            self.token = "t"',
      'async def get(k, fast):',
      '    if fast:',
      '        pass',
      '    elif cache.get(k) is None:',
      '        cache[k] = await load(k)',
    ]);
    assert.deepEqual(
      got.map((r) => [r.pattern, r.key, r.read, r.await, r.line]),
      [
        ['check', 'Api.self._client', 'not self._client', 'await connect()', 5],
        ['check', 'Api.self.token', 'self.token is None', 'await self.login()', 10],
        ['check', 'cache[]', 'cache.get(k) is None', 'await load(k)', 15],
      ],
    );
  });

  it('an early exit is a test too: if key in cache: return cache[key]', () => {
    assert.deepEqual(
      races([
        '_cache = {}',
        'async def get(key):',
        '    if key in _cache:',
        '        return _cache[key]',
        '    value = await fetch(key)',
        '    _cache[key] = value',
        '    return value',
      ]).map((r) => [r.pattern, r.read, r.await, r.line]),
      [['check', 'key in _cache', 'await fetch(key)', 6]],
    );
  });

  it("an early exit that writes the state itself is a hand-off's fast path, not a check", () => {
    assert.deepEqual(
      brief([
        'class Lock:',
        '    async def acquire(self):',
        '        if not self._locked:',
        '            self._locked = True',
        '            return True',
        '        await self._waiter()',
        '        self._locked = True',
        '        return True',
      ]),
      [],
    );
  });

  it('a test repeated after the await (double-checked) ends the race; no await between is no race', () => {
    assert.deepEqual(
      brief([
        'cache = {}',
        'async def get(key):',
        '    if key not in cache:',
        '        value = await compute(key)',
        '        if key not in cache:',
        '            cache[key] = value',
        'async def put(key):',
        '    if key not in cache:',
        '        cache[key] = 1',
        '    await flush()',
      ]),
      [],
    );
  });
});

describe('python await races: what is not state or not async', () => {
  it('locals, parameters, closures and names without `global` are not state', () => {
    assert.deepEqual(
      brief([
        'total = 0',
        'async def f(acc, d):',
        '    n = 0',
        '    n += await g()',
        '    acc.total += await g()',
        '    d[1] = d.get(1, 0) + await g()',
        '    total = total + await g()',
        'def outer():',
        '    count = 0',
        '    async def inner():',
        '        nonlocal count',
        '        count += await g()',
        '    return inner',
      ]),
      [],
    );
  });

  it('sync functions, __init__, awaits only in nested functions', () => {
    assert.deepEqual(
      brief([
        'x = 0',
        'def sync():',
        '    global x',
        '    x += 1',
        'class A:',
        '    async def __init__(self):',
        '        self.v = self.v + await g()',
        'async def outer():',
        '    global x',
        '    b = x',
        '    async def inner():',
        '        await g()',
        '    x = b + 1',
      ]),
      [],
    );
  });

  it('a comprehension variable shadows the global of the same name', () => {
    assert.deepEqual(brief(['x = 0', 'async def f(xs):', '    global x', '    x = sum(x for x in xs) + await g()']), []);
  });

  it('a nested async function sees the method\'s self: the instance attribute is state', () => {
    assert.deepEqual(
      brief(['class A:', '    def start(self):', '        async def tick():', '            self.n += await g()', '        return tick']),
      [['update', 'A.self.n', 4]],
    );
  });

  it('records races in source order of their writes and one per write', () => {
    const got = brief([
      'x = 0',
      'async def f():',
      '    global x',
      '    if x == 0:',
      '        x += await g()',
      '    x += await g()',
    ]);
    assert.deepEqual(got, [
      ['update', 'x', 5],
      ['update', 'x', 6],
    ]);
  });
});

describe('python await races: the fixer where fixtures cannot show it', () => {
  /** The text after the fixer's edits for the first race, or undefined when it builds no fix. */
  function fixed(lines: string[], fix: (m: SourceModel, r: AwaitRace) => { edits: Array<{ start: number; end: number; newText: string }> } | undefined): string | undefined {
    const text = lines.join('\n') + '\n';
    return withModel(text, (m) => {
      const race = m.awaitRaces[0];
      assert.ok(race, 'no race recorded');
      const built = fix(m, race);
      return built ? applyEdits(text, built.edits) : undefined;
    });
  }

  it('an existing lock on self is not offered in a plain function', () => {
    const src = ['import asyncio', 'x = 0', 'async def f():', '    global x', '    x += await g()'];
    assert.equal(fixed(src, (m, r) => m.fixer.guardWithAsyncLock?.(r, { existing: 'self._lock' })), undefined);
    assert.equal(fixed(src, (m, r) => m.fixer.guardWithAsyncLock?.(r, { existing: 'missing_lock' })), undefined);
  });

  it('the new lock is spelled as the file imports it, and takes a free name', () => {
    assert.equal(
      fixed(['from asyncio import Lock', '_x_lock = 5', 'x = 0', 'async def f():', '    global x', '    b = x', '    await g()', '    x = b + 1'], (m, r) =>
        m.fixer.guardWithAsyncLock?.(r, 'new'),
      ),
      ['from asyncio import Lock', '', '_x_lock_2 = Lock()', '_x_lock = 5', 'x = 0', 'async def f():', '    global x', '    async with _x_lock_2:', '        b = x', '        await g()', '        x = b + 1', ''].join('\n'),
    );
  });

  it('no new lock when the library is imported only below the function', () => {
    assert.equal(
      fixed(['x = 0', 'async def f():', '    global x', '    x += await g()', 'import asyncio'], (m, r) => m.fixer.guardWithAsyncLock?.(r, 'new')),
      undefined,
    );
  });

  it('awaiting first is offered for update races only, and not when the await reads the state', () => {
    const check = ['cache = {}', 'async def f(k):', '    if k not in cache:', '        cache[k] = await g(k)'];
    assert.equal(fixed(check, (m, r) => m.fixer.rereadAfterAwait?.(r)), undefined);
    assert.equal(fixed(['x = 0', 'async def f():', '    global x', '    x = x + await g(x)'], (m, r) => m.fixer.rereadAfterAwait?.(r)), undefined);
    assert.equal(
      fixed(['x = 0', 'async def f(value):', '    global x', '    x = x + await get_value()'], (m, r) => m.fixer.rereadAfterAwait?.(r)),
      ['x = 0', 'async def f(value):', '    global x', '    value_2 = await get_value()', '    x = x + value_2', ''].join('\n'),
    );
  });
});
