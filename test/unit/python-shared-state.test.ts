// The Python front end's facts for unsynchronized-shared-state and race-across-await: lock regions
// (thread and async), read-modify-writes of shared state with their keys, OffloadSite.concurrent, and
// the lock fix's edits where fixtures cannot express them (CRLF files, imports, existing locks).

import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { builtinCatalogue } from '../../server/src/engine/catalogue';
import { applyEdits } from '../../server/src/engine/finding';
import type { SourceModel, StateWrite } from '../../server/src/engine/model';
import type { Frontend } from '../../server/src/frontends/frontend';
import { createPythonFrontend } from '../../server/src/frontends/python';
import { looksLikeLock } from '../../server/src/frontends/python/locks';

let frontend: Frontend;
before(async () => {
  frontend = await createPythonFrontend();
});

function withModel<T>(text: string, fn: (m: SourceModel) => T): T {
  const parsed = frontend.parse({ fileName: 'test.py', text }, builtinCatalogue().python);
  try {
    assert.deepEqual(parsed.model.syntaxProblems, []);
    return fn(parsed.model);
  } finally {
    parsed.dispose();
  }
}

const lines = (...l: string[]) => l.join('\n') + '\n';

/** [kind, lock, scope name, region text] per lock region. */
function regions(text: string): Array<[string, string, string | undefined, string]> {
  return withModel(text, (m) => m.lockRegions.map((r) => [r.kind, r.lock, m.scopes[r.scope].name, m.text.slice(r.span.start, r.span.end)]));
}

/** [scope name, key, kind, owner, written, operator, statement] per state write. */
function writes(text: string): Array<[string | undefined, string, string, string, string, string, string]> {
  return withModel(text, (m) =>
    m.stateWrites.map((w) => {
      assert.equal(w.op, 'update');
      return [m.scopes[w.scope].name, w.state.key, w.state.kind, w.state.owner, w.state.written, w.operator, m.text.slice(w.span.start, w.span.end)];
    }),
  );
}

/** Function name → offload.concurrent for every thread target. */
function concurrency(text: string): Record<string, boolean> {
  return withModel(text, (m) => {
    const out: Record<string, boolean> = {};
    for (const s of m.scopes) if (s.offload?.via === 'thread') out[s.name ?? '<lambda>'] = s.offload.concurrent === true;
    return out;
  });
}

describe('python shared state: lock regions', () => {
  it('takes with-bodies over values of lock types, names assigned a lock, and lock-like names', () => {
    const text = lines(
      'import asyncio, threading',
      'from threading import RLock',
      'guard = RLock()',
      'ready = threading.Condition()',
      'class Box:',
      '    def __init__(self):',
      '        self._mu = threading.Lock()',
      '    def put(self, lock, counter):',
      '        with self._mu:',
      '            a = 1',
      '        with guard:',
      '            b = 2',
      '        with ready:',
      '            c = 3',
      '        with lock:',
      '            d = 4',
      '        with counter.get_lock():',
      '            e = 5',
      '        with open("f") as f, self._state_lock as held:',
      '            g = 6',
      '        with (',
      '            open("f") as f,',
      '            self._cv,',
      '        ):',
      '            h = 7',
      '        with self._locks[key]:',
      '            i = 8',
      '        with FileLock(path):',
      '            j = 9',
      '        with lock_for(key) as held:',
      '            k = 10',
      '        with self.store().lock:',
      '            l = 11',
      'async def serve(sem):',
      '    am = asyncio.Lock()',
      '    async with am:',
      '        await asyncio.sleep(0)',
      '    async with sem:',
      '        x = 1',
    );
    assert.deepEqual(regions(text), [
      ['thread', 'self._mu', 'Box.put', 'a = 1'],
      ['thread', 'guard', 'Box.put', 'b = 2'],
      ['thread', 'ready', 'Box.put', 'c = 3'],
      ['thread', 'lock', 'Box.put', 'd = 4'],
      ['thread', 'counter.get_lock()', 'Box.put', 'e = 5'],
      ['thread', 'self._state_lock', 'Box.put', 'g = 6'],
      ['thread', 'self._cv', 'Box.put', 'h = 7'],
      ['thread', 'self._locks[key]', 'Box.put', 'i = 8'],
      ['thread', 'FileLock(path)', 'Box.put', 'j = 9'],
      ['thread', 'lock_for(key)', 'Box.put', 'k = 10'],
      ['thread', 'self.store().lock', 'Box.put', 'l = 11'],
      ['async', 'am', 'serve', 'await asyncio.sleep(0)'],
      ['async', 'sem', 'serve', 'x = 1'],
    ]);
  });

  it('leaves out context managers that are no lock, a fresh lock, and with-text in strings', () => {
    const text = lines(
      'import threading',
      'def f(clock, self_block, session):',
      '    """',
      '    with lock:',
      '        pass',
      '    """',
      '    with open("x") as lock_file_handle_not_a_name:',
      '        a = 1',
      '    with threading.Lock():',
      '        b = 2',
      '    with items[0], make(x)[1], open(p).name:',
      '        b = 3',
      '    with clock:',
      '        c = 3',
      '    with self_block:',
      '        d = 4',
      '    with session:',
      '        e = 5',
    );
    assert.deepEqual(regions(text), []);
  });

  it('spans acquire() to release() in one block, through try/finally, and to the end of the block without one', () => {
    const text = lines(
      'import asyncio, threading',
      'lock = threading.Lock()',
      'def plain():',
      '    lock.acquire()',
      '    a = 1',
      '    lock.release()',
      '    after = 0',
      'def guarded():',
      '    lock.acquire()',
      '    try:',
      '        b = 2',
      '    finally:',
      '        lock.release()',
      'def timed():',
      '    if not lock.acquire(timeout=1):',
      '        raise TimeoutError',
      '    c = 3',
      '    lock.release()',
      'def early_exit(bad):',
      '    lock.acquire()',
      '    if bad:',
      '        lock.release()',
      '        return',
      '    d = 4',
      '    lock.release()',
      'def released_elsewhere():',
      '    lock.acquire()',
      '    e = 5',
      'def not_a_lock(pool):',
      '    conn = pool.acquire()',
      '    f = 6',
      'async def coro(alock):',
      '    await alock.acquire()',
      '    try:',
      '        g = 7',
      '    finally:',
      '        alock.release()',
    );
    assert.deepEqual(regions(text), [
      ['thread', 'lock', 'plain', 'a = 1'],
      ['thread', 'lock', 'guarded', 'try:\n        b = 2\n    finally:'],
      ['thread', 'lock', 'timed', 'c = 3'],
      ['thread', 'lock', 'early_exit', 'if bad:\n        lock.release()\n        return\n    d = 4'],
      ['thread', 'lock', 'released_elsewhere', 'e = 5'],
      ['async', 'alock', 'coro', 'try:\n        g = 7\n    finally:'],
    ]);
  });

  it('is recorded in files without threads too (race-across-await needs the async ones)', () => {
    const text = lines('import asyncio', 'lock = asyncio.Lock()', 'async def f():', '    async with lock:', '        await asyncio.sleep(0)');
    withModel(text, (m) => {
      assert.equal(m.scopes.some((s) => s.kind === 'offloaded'), false);
      assert.deepEqual(
        m.lockRegions.map((r) => [r.kind, r.lock]),
        [['async', 'lock']],
      );
    });
  });

  it('tells lock names from other names', () => {
    const yes = ['lock', '_lock', 'rlock', 'state_lock', 'writeLock', 'lock2', 'lock_a', 'mutex', '_mtx', 'cond', 'not_empty_cond', 'cv', 'sem', 'semaphore', 'limiter', 'Condition'];
    const no = ['clock', 'block', 'unlock', 'second', 'system', 'session', 'locks', 'conn', 'ctx'];
    assert.deepEqual(yes.filter((n) => !looksLikeLock(n)), []);
    assert.deepEqual(no.filter((n) => looksLikeLock(n)), []);
  });
});

describe('python shared state: writes', () => {
  const threaded = (...body: string[]) => lines('import threading', ...body, 'def _job(): pass', 'threading.Thread(target=_job).start()');

  it('records nothing in a file that hands nothing to a thread', () => {
    withModel(lines('counter = 0', 'def f():', '    global counter', '    counter += 1'), (m) => assert.deepEqual(m.stateWrites, []));
  });

  it('records read-modify-writes of globals, module objects, containers and self, with their keys', () => {
    const text = threaded(
      'counter = 0',
      'cache = {}',
      'grid = [[0]]',
      'class Stats:',
      '    total = 0',
      'stats = Stats()',
      'def f(n):',
      '    global counter',
      '    counter += 1',
      '    counter = counter * 2',
      '    counter = max(counter, n)',
      '    cache[n] = cache.get(n, 0) + 1',
      '    cache[n] += 1',
      '    grid[0][n] -= 1',
      '    stats.total += n',
      '    Stats.total = Stats.total + n',
      'class Counter:',
      '    created = 0',
      '    def __init__(self):',
      '        self.count = 0',
      '        self.count += 1',
      '        Counter.created += 1',
      '    def incr(self, k):',
      '        self.count += 1',
      '        self.by_key[k] = self.by_key.get(k, 0) + 1',
      '        self.stats.hits |= 1',
      '        def later():',
      '            self.count -= 1',
      '        return later',
      '    @classmethod',
      '    def make(cls):',
      '        cls.created += 1',
      '    def other(this):',
      '        this.count += 2',
    );
    assert.deepEqual(writes(text), [
      ['f', 'counter', 'variable', 'module', 'counter', '+=', 'counter += 1'],
      ['f', 'counter', 'variable', 'module', 'counter', '=', 'counter = counter * 2'],
      ['f', 'counter', 'variable', 'module', 'counter', '=', 'counter = max(counter, n)'],
      ['f', 'cache[]', 'element', 'module', 'cache[n]', '=', 'cache[n] = cache.get(n, 0) + 1'],
      ['f', 'cache[]', 'element', 'module', 'cache[n]', '+=', 'cache[n] += 1'],
      ['f', 'grid[]', 'element', 'module', 'grid[0][n]', '-=', 'grid[0][n] -= 1'],
      ['f', 'stats.total', 'attribute', 'module', 'stats.total', '+=', 'stats.total += n'],
      ['f', 'Stats.total', 'attribute', 'module', 'Stats.total', '=', 'Stats.total = Stats.total + n'],
      ['Counter.__init__', 'Counter.created', 'attribute', 'module', 'Counter.created', '+=', 'Counter.created += 1'],
      ['Counter.incr', 'Counter.self.count', 'attribute', 'instance', 'self.count', '+=', 'self.count += 1'],
      ['Counter.incr', 'Counter.self.by_key[]', 'element', 'instance', 'self.by_key[k]', '=', 'self.by_key[k] = self.by_key.get(k, 0) + 1'],
      ['Counter.incr', 'Counter.self.stats.hits', 'attribute', 'instance', 'self.stats.hits', '|=', 'self.stats.hits |= 1'],
      ['later', 'Counter.self.count', 'attribute', 'instance', 'self.count', '-=', 'self.count -= 1'],
      ['Counter.make', 'Counter.created', 'attribute', 'module', 'cls.created', '+=', 'cls.created += 1'],
      ['Counter.other', 'Counter.self.count', 'attribute', 'instance', 'this.count', '+=', 'this.count += 2'],
    ]);
  });

  it('leaves out stores, locals, parameters, nonlocal names, constructors, module and class code, thread-locals', () => {
    const text = threaded(
      'counter = 0',
      'cache = {}',
      'items = []',
      'counter += 1',
      'cache["k"] = cache.get("k", 0) + 1',
      'class K:',
      '    n = 0',
      '    n += 1',
      '    def __init__(self):',
      '        self.n = 0',
      '        self.n += 1',
      '    def __post_init__(self):',
      '        self.n += 1',
      '    def __new__(cls):',
      '        cls.n += 1',
      'def f(param, d):',
      '    global counter',
      '    counter = 5',
      '    cache["k"] = param',
      '    cache["j"] = len(items)',
      '    items.append(1)',
      '    cache.setdefault("x", []).append(1)',
      '    local = 0',
      '    local += 1',
      '    param += 1',
      '    d[0] = d.get(0, 0) + 1',
      '    counter = other = counter + 1',
      '    counter, local = counter + 1, 0',
      '    def g():',
      '        nonlocal local',
      '        local += 1',
      '        counter = 0',
      '        counter += 1',
      '    x = counter.real',
      '    counter = items.counter + 1',
      '    counter = f(counter=1)',
      'def shadow():',
      '    cache = {}',
      '    cache["k"] += 1',
      'per_thread = threading.local()',
      'class Ctx(threading.local):',
      '    def bump(self):',
      '        self.depth += 1',
      'ctx = Ctx()',
      'def thread_locals():',
      '    per_thread.count = per_thread.count + 1',
      '    per_thread.seen["k"] += 1',
      '    ctx.depth += 1',
    );
    assert.deepEqual(writes(text), []);
  });
});

describe('python shared state: OffloadSite.concurrent', () => {
  it('is set for hand-overs in loops, comprehensions, pool maps, async and offloaded callers, and at two sites', () => {
    const text = lines(
      'import asyncio, threading',
      'from concurrent.futures import ThreadPoolExecutor, ProcessPoolExecutor',
      'def looped(): pass',
      'def comprehended(): pass',
      'def mapped(x): pass',
      'def from_async(): pass',
      'def from_thread(): pass',
      'def twice(): pass',
      'def once(): pass',
      'def rearmed(): threading.Timer(1, rearmed).start()',
      'def in_process(x): pass',
      'def timers(): pass',
      'def spawner():',
      '    threading.Thread(target=from_thread).start()',
      'def main():',
      '    for _ in range(3):',
      '        threading.Thread(target=looped).start()',
      '        threading.Timer(1, timers).start()',
      '    ts = [threading.Thread(target=comprehended) for _ in range(3)]',
      '    with ThreadPoolExecutor() as ex:',
      '        ex.map(mapped, [1])',
      '    threading.Thread(target=spawner).start()',
      '    threading.Thread(target=twice).start()',
      '    threading.Thread(target=twice).start()',
      '    threading.Thread(target=once).start()',
      '    threading.Timer(1, rearmed).start()',
      '    with ProcessPoolExecutor() as procs:',
      '        procs.map(in_process, [1])',
      '    threading.Thread(target=lambda: None).start()',
      'async def handler():',
      '    await asyncio.to_thread(from_async)',
    );
    assert.deepEqual(concurrency(text), {
      looped: true,
      comprehended: true,
      mapped: true,
      from_async: true,
      from_thread: true,
      twice: true,
      once: false,
      rearmed: false,
      timers: true,
      spawner: false,
      '<lambda>': false,
    });
  });

  it('asks for the same instance when the target is a method', () => {
    const text = lines(
      'import asyncio, threading',
      'class A:',
      '    def work(self): pass',
      '    def go(self):',
      '        for _ in range(2):',
      '            threading.Thread(target=self.work).start()',
      'class B:',
      '    def work(self): pass',
      'class C:',
      '    def work(self): pass',
      'class D:',
      '    def work(self): pass',
      'class E:',
      '    def work(self): pass',
      'class F:',
      '    def work(self): pass',
      'class G:',
      '    def work(self): pass',
      'shared_g = G()',
      'def main():',
      '    b = B()',
      '    for _ in range(2):',
      '        threading.Thread(target=b.work).start()',
      '    for _ in range(2):',
      '        c = C()',
      '        threading.Thread(target=c.work).start()',
      '    for _ in range(2):',
      '        threading.Thread(target=D().work).start()',
      '    for e in [E(), E()]:',
      '        threading.Thread(target=e.work).start()',
      'async def handle():',
      '    f = F()',
      '    await asyncio.to_thread(f.work)',
      '    await asyncio.to_thread(shared_g.work)',
    );
    assert.deepEqual(concurrency(text), {
      'A.work': true,
      'B.work': true,
      'C.work': false,
      'D.work': false,
      // a loop variable holds whatever the list holds: not followed, so no hand-over is known
      'F.work': false,
      'G.work': true,
    });
  });

  it('makes a Thread subclass run() a thread root where the file creates the thread, never concurrent by itself', () => {
    const text = lines(
      'import threading',
      'import multiprocessing',
      'class Started(threading.Thread):',
      '    def run(self): pass',
      'class NeverCreated(threading.Thread):',
      '    def run(self): pass',
      'class Proc(multiprocessing.Process):',
      '    def run(self): pass',
      'def main():',
      '    for _ in range(4):',
      '        Started().start()',
      '        Proc().start()',
    );
    withModel(text, (m) => {
      const site = (name: string) => {
        const s = m.scopes.find((x) => x.name === name);
        assert.ok(s);
        assert.equal(s.kind, 'offloaded');
        return s.offload && [m.text.slice(s.offload.span.start, s.offload.span.end), m.text.slice(s.offload.call.start, s.offload.call.end), s.offload.via, s.offload.api, s.offload.concurrent];
      };
      assert.deepEqual(site('Started.run'), ['Started', 'Started()', 'thread', 'threading.Thread', undefined]);
      assert.deepEqual(site('NeverCreated.run'), undefined);
      assert.deepEqual(site('Proc.run'), ['Proc', 'Proc()', 'process', 'multiprocessing.Process', undefined]);
    });
  });
});

describe('python lock fix', () => {
  /** Applies the lock fix of the first state write; returns [title, safe, fixed text]. */
  function fix(text: string, choice: { existing: string } | 'new' = 'new', pick = (ws: StateWrite[]) => ws[0]): [string, boolean, string] | undefined {
    return withModel(text, (m) => {
      const w = pick(m.stateWrites);
      assert.ok(w, 'no state write');
      const f = m.fixer.guardWithLock?.(w, choice);
      return f && [f.title, f.safe, applyEdits(text, f.edits)];
    });
  }

  it('keeps CRLF line endings', () => {
    const text = ['import threading', 'n = 0', '', '', 'def f():', '    global n', '    n += 1', '', '', 'threading.Thread(target=f).start()', ''].join('\r\n');
    const got = fix(text);
    assert.ok(got);
    assert.deepEqual(got, [
      'Guard `n` with a new lock `_n_lock`',
      true,
      ['import threading', 'n = 0', '_n_lock = threading.Lock()', '', '', 'def f():', '    global n', '    with _n_lock:', '        n += 1', '', '', 'threading.Thread(target=f).start()', ''].join('\r\n'),
    ]);
  });

  it('imports threading after the imports and declares the lock above the comments over the first def', () => {
    const text = lines(
      '"""Module."""',
      'from concurrent.futures import ThreadPoolExecutor',
      '',
      '',
      '# the worker',
      'def f(d, k):',
      '    d[k] = 1',
      '    cache[k] = cache.get(k, 0) + 1',
      '',
      '',
      'cache = {}',
      'ThreadPoolExecutor().submit(f, {}, 1)',
    );
    assert.deepEqual(fix(text), [
      'Guard `cache[k]` with a new lock `_cache_lock`',
      true,
      lines(
        '"""Module."""',
        'from concurrent.futures import ThreadPoolExecutor',
        'import threading',
        '',
        '',
        '_cache_lock = threading.Lock()',
        '',
        '',
        '# the worker',
        'def f(d, k):',
        '    d[k] = 1',
        '    with _cache_lock:',
        '        cache[k] = cache.get(k, 0) + 1',
        '',
        '',
        'cache = {}',
        'ThreadPoolExecutor().submit(f, {}, 1)',
      ),
    ]);
  });

  it('takes an existing lock as written, and joins the with-block of that lock right above', () => {
    const text = lines(
      'import threading',
      'class C:',
      '    def __init__(self):',
      '        self._lock = threading.Lock()',
      '    def f(self):',
      '        with self._lock:',
      '            self.a = 1',
      '',
      '        self.n += 1',
      '    def g(self):',
      '        self.n -= 1',
      'c = C()',
      'for _ in range(2):',
      '    threading.Thread(target=c.f).start()',
    );
    // the edit itself is mechanical; whether a caller may hold the lock is the rule's judgement
    assert.deepEqual(fix(text, { existing: 'self._lock' }), [
      'Hold `self._lock` while updating `self.n`',
      true,
      text.replace('\n\n        self.n += 1', '\n\n            self.n += 1'),
    ]);
    assert.deepEqual(
      fix(text, { existing: 'self._lock' }, (ws) => ws[1])?.[2],
      text.replace('        self.n -= 1', '        with self._lock:\n            self.n -= 1'),
    );
  });

  it('reuses a module-level threading.Lock() of the derived name, safe only while nothing holds it', () => {
    const base = ['import threading', 'n = 0', '_n_lock = threading.Lock()', 'def f():', '    global n', '    n += 1'];
    const free = lines(...base, 'threading.Thread(target=f).start()');
    assert.deepEqual(fix(free), ['Hold `_n_lock` while updating `n`', true, free.replace('    n += 1', '    with _n_lock:\n        n += 1')]);
    const held = lines(...base, 'def g():', '    with _n_lock:', '        pass', 'threading.Thread(target=f).start()');
    assert.equal(fix(held)?.[1], false);
  });

  it('offers nothing for a statement that shares its line', () => {
    const text = lines('import threading', 'n = 0', 'def f(x):', '    global n', '    if x: n += 1', 'threading.Thread(target=f).start()');
    assert.equal(fix(text), undefined);
  });
});
