// The Python front end at model level: qualified names of calls (imports, aliases, scoping, types),
// scope kinds, arguments, comments, syntax problems, and the fixer's edits where fixtures cannot
// express them (lines where no comment can go, a tree that is gone).

import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Parser, Query, type Node } from 'web-tree-sitter';
import { builtinCatalogue } from '../../server/src/engine/catalogue';
import { applyEdits } from '../../server/src/engine/finding';
import type { Call, SourceModel } from '../../server/src/engine/model';
import type { Frontend, ParsedSource } from '../../server/src/frontends/frontend';
import { loadFrontends } from '../../server/src/frontends';
import { loadPythonLanguage } from '../../server/src/frontends/python/parser';

let frontend: Frontend;
before(async () => {
  const found = (await loadFrontends()).find((f) => f.family === 'python');
  assert.ok(found);
  frontend = found;
});

function parse(text: string): ParsedSource {
  return frontend.parse({ fileName: 'test.py', text }, builtinCatalogue().python);
}

/** Builds the model, runs `fn` on it, frees the tree. */
function withModel<T>(text: string, fn: (m: SourceModel) => T): T {
  const parsed = parse(text);
  try {
    return fn(parsed.model);
  } finally {
    parsed.dispose();
  }
}

/** The call whose callee is written exactly `written` (the first one). */
function call(m: SourceModel, written: string): Call {
  const found = m.calls.find((c) => m.text.slice(c.calleeSpan.start, c.calleeSpan.end) === written);
  assert.ok(found, `no call of ${written}`);
  return found;
}

/** Qualified names of all calls, by callee text, in order. */
function names(text: string): Array<[string, string | undefined]> {
  return withModel(text, (m) => m.calls.map((c) => [m.text.slice(c.calleeSpan.start, c.calleeSpan.end), c.name]));
}

describe('python front end: name resolution', () => {
  it('resolves every import form', () => {
    const text = [
      'import time',
      'import time as t',
      'import urllib.request',
      'import os.path',
      'import urllib.request as ur',
      'from time import sleep',
      'from time import sleep as nap',
      'from subprocess import run',
      'from os import path',
      'from os.path import exists as ex',
      'time.sleep(1)',
      't.sleep(1)',
      'urllib.request.urlopen(u)',
      'os.path.exists(p)',
      'ur.urlopen(u)',
      'sleep(1)',
      'nap(1)',
      'run(c)',
      'path.isfile(p)',
      'ex(p)',
      'os.system(c)',
      '',
    ].join('\n');
    assert.deepEqual(names(text), [
      ['time.sleep', 'time.sleep'],
      ['t.sleep', 'time.sleep'],
      ['urllib.request.urlopen', 'urllib.request.urlopen'],
      ['os.path.exists', 'os.path.exists'],
      ['ur.urlopen', 'urllib.request.urlopen'],
      ['sleep', 'time.sleep'],
      ['nap', 'time.sleep'],
      ['run', 'subprocess.run'],
      ['path.isfile', 'os.path.isfile'],
      ['ex', 'os.path.exists'],
      ['os.system', 'os.system'],
    ]);
  });

  it('resolves imports inside functions, only there', () => {
    const text = 'def f():\n    import time as clock\n    clock.sleep(1)\n\ndef g():\n    clock.sleep(1)\n';
    assert.deepEqual(names(text), [
      ['clock.sleep', 'time.sleep'],
      ['clock.sleep', undefined],
    ]);
  });

  it('names builtins unless something shadows them', () => {
    const text = 'open(p)\ninput()\nprint(x)\ndef f(input):\n    input()\ndef g():\n    open = None\n    open(p)\n';
    assert.deepEqual(names(text), [
      ['open', 'builtins.open'],
      ['input', 'builtins.input'],
      ['print', 'builtins.print'],
      ['input', undefined],
      ['open', undefined],
    ]);
  });

  it('treats a name bound anywhere in a function as local to all of it', () => {
    const text = 'import time\nasync def f(xs):\n    time.sleep(1)\n    for time in xs:\n        pass\n';
    assert.deepEqual(names(text), [['time.sleep', undefined]]);
  });

  it('does not name local functions, parameters or ambiguous module names', () => {
    const text = [
      'import time',
      'from time import sleep',
      'import json',
      'json = 3',
      'def local(): pass',
      'async def f(time):',
      '    time.sleep(1)',
      '    def sleep(x): pass',
      '    sleep(1)',
      '    local()',
      '    json.loads(s)',
      '',
    ].join('\n');
    assert.deepEqual(names(text), [
      ['time.sleep', undefined],
      ['sleep', undefined],
      ['local', undefined],
      ['json.loads', undefined],
    ]);
  });

  it('follows `global` to the module and skips class bodies from methods', () => {
    const text = [
      'import os',
      'class C:',
      '    os = None',
      '    os.getcwd()',
      '    def m(self):',
      '        os.getcwd()',
      'def g():',
      '    global os',
      '    os = 1',
      '',
    ].join('\n');
    // `global os; os = 1` rebinds the module name: ambiguous everywhere, the class body's own `os` too
    assert.deepEqual(names(text), [
      ['os.getcwd', undefined],
      ['os.getcwd', undefined],
    ]);
    const text2 = 'import os\nclass C:\n    os = None\n    def m(self):\n        os.getcwd()\n';
    assert.deepEqual(names(text2), [['os.getcwd', 'os.getcwd']]);
  });

  it('keeps comprehension variables inside their comprehension', () => {
    const text = 'import os\nasync def f(ps):\n    [os.stat(p) for os in ps]\n    os.stat(ps)\n';
    assert.deepEqual(names(text), [
      ['os.stat', undefined],
      ['os.stat', 'os.stat'],
    ]);
  });

  it('names through a single star import only what the catalogue knows', () => {
    assert.deepEqual(names('from time import *\nsleep(1)\nperf_counter()\nlen(x)\n'), [
      ['sleep', 'time.sleep'],
      ['perf_counter', undefined],
      ['len', undefined],
    ]);
  });

  it('names relative imports with their dots, so they never match a catalogue name', () => {
    assert.deepEqual(names('from . import time\nfrom .mod import sleep\ntime.sleep(1)\nsleep(1)\n'), [
      ['time.sleep', '.time.sleep'],
      ['sleep', '.mod.sleep'],
    ]);
  });
});

describe('python front end: types', () => {
  it('types variables, with-targets, chains and constructor calls', () => {
    const text = [
      'import httpx, sqlite3, threading',
      'from pathlib import Path',
      'lock = threading.Lock()',
      'async def f(u, p):',
      '    c = httpx.Client()',
      '    c.get(u)',
      '    with httpx.Client() as w:',
      '        w.post(u)',
      '    conn = sqlite3.connect(p)',
      '    cur = conn.cursor()',
      '    cur.execute(q)',
      '    conn.execute(q).fetchall()',
      '    lock.acquire()',
      '    Path(p).read_text()',
      '    Path.home().exists()',
      '',
    ].join('\n');
    const got = new Map(names(text));
    assert.equal(got.get('c.get'), 'httpx.Client.get');
    assert.equal(got.get('w.post'), 'httpx.Client.post');
    assert.equal(got.get('conn.cursor'), 'sqlite3.Connection.cursor');
    assert.equal(got.get('cur.execute'), 'sqlite3.Cursor.execute');
    assert.equal(got.get('conn.execute(q).fetchall'), 'sqlite3.Cursor.fetchall');
    assert.equal(got.get('lock.acquire'), 'threading.Lock.acquire');
    assert.equal(got.get('Path(p).read_text'), 'pathlib.Path.read_text');
    assert.equal(got.get('Path.home().exists'), 'pathlib.Path.exists');
  });

  it('types self attributes assigned in any method, and class attributes', () => {
    const text = [
      'import threading, httpx',
      'class S:',
      '    shared = threading.RLock()',
      '    client: httpx.Client',
      '    def __init__(self, h: httpx.Client):',
      '        self.lock = None',
      '        self.h = h',
      '    def start(self):',
      '        self.lock = threading.Lock()',
      '    async def run(self):',
      '        self.lock.acquire()',
      '        self.shared.acquire()',
      '        self.client.get(u)',
      '        self.h.get(u)',
      '    @staticmethod',
      '    async def st(self):',
      '        self.lock.acquire()',
      '',
    ].join('\n');
    assert.deepEqual(names(text).filter(([callee]) => callee.startsWith('self.')), [
      ['self.lock.acquire', 'threading.Lock.acquire'],
      ['self.shared.acquire', 'threading.RLock.acquire'],
      ['self.client.get', 'httpx.Client.get'],
      ['self.h.get', 'httpx.Client.get'],
      ['self.lock.acquire', undefined],
    ]);
  });

  it('gives up on a name whose bindings disagree', () => {
    const text = 'import httpx\nasync def f(u):\n    c = httpx.Client()\n    c = make()\n    c.get(u)\n';
    assert.equal(new Map(names(text)).get('c.get'), undefined);
  });

  it('keeps the type through an awaited thread runner', () => {
    const text = 'import asyncio, subprocess\nasync def f():\n    p = await asyncio.to_thread(subprocess.Popen, ["ls"])\n    p.wait()\n';
    assert.equal(new Map(names(text)).get('p.wait'), 'subprocess.Popen.wait');
  });

  it('reads annotations: Optional, unions, strings and generics', () => {
    const text = [
      'import httpx, queue',
      'from typing import Optional',
      'async def f(a: httpx.Client, b: Optional[httpx.Client], c: "httpx.Client | None", d: queue.Queue[int], e: int):',
      '    a.get(u); b.get(u); c.get(u); d.get(); e.get()',
      '',
    ].join('\n');
    assert.deepEqual(names(text), [
      ['a.get', 'httpx.Client.get'],
      ['b.get', 'httpx.Client.get'],
      ['c.get', 'httpx.Client.get'],
      ['d.get', 'queue.Queue.get'],
      ['e.get', undefined],
    ]);
  });
});

describe('python front end: scopes and calls', () => {
  it('gives every scope its kind, name and head', () => {
    const text = [
      'import asyncio, threading',
      'class A:',
      '    async def m(self):',
      '        async def inner(): yield 1',
      '        f = lambda: 1',
      '        def work(): pass',
      '        def job(): pass',
      '        await asyncio.to_thread(work)',
      '        threading.Thread(target=job)',
      '    def s(self): pass',
      'class T(threading.Thread):',
      '    def run(self): pass',
      '',
    ].join('\n');
    withModel(text, (m) => {
      const got = m.scopes.map((s) => [s.kind, s.name, s.reason, m.text.slice(s.headSpan.start, s.headSpan.end)]);
      assert.deepEqual(got, [
        ['module', undefined, undefined, ''],
        ['class', 'A', undefined, 'A'],
        ['async', 'A.m', undefined, 'm'],
        ['async', 'inner', undefined, 'inner'],
        ['sync', undefined, undefined, 'lambda'],
        ['offloaded', 'work', 'asyncio.to_thread target', 'work'],
        ['offloaded', 'job', 'thread target', 'job'],
        ['sync', 'A.s', undefined, 's'],
        ['class', 'T', undefined, 'T'],
        ['offloaded', 'T.run', 'threading.Thread.run', 'run'],
      ]);
      assert.deepEqual(
        m.scopes.map((s) => s.parent),
        [undefined, 0, 1, 2, 2, 2, 2, 1, 0, 8],
      );
    });
  });

  it('puts comprehensions in their function, defaults and decorators in the enclosing scope', () => {
    const text = 'async def f(xs):\n    [g(x) for x in xs]\n    @deco(1)\n    def inner(a=h()):\n        k()\n';
    withModel(text, (m) => {
      assert.equal(call(m, 'g').scope, 1);
      assert.equal(call(m, 'deco').scope, 1);
      assert.equal(call(m, 'h').scope, 1);
      assert.equal(call(m, 'k').scope, 2);
    });
  });

  it('marks awaited calls, not the calls inside them', () => {
    withModel('async def f():\n    await g(h())\n    await (k())\n    await a(1)(2)\n    await b(1).attr\n    await (c() or d)\n', (m) => {
      assert.deepEqual(
        m.calls.map((c) => [m.text.slice(c.span.start, c.span.end), c.awaited]),
        [
          ['g(h())', true],
          ['h()', false],
          ['k()', true],
          ['a(1)(2)', true],
          ['a(1)', false],
          ['b(1)', false],
          ['c()', false],
        ],
      );
    });
  });

  it('reads arguments: keywords, spreads, functions, generator arguments', () => {
    const text = 'def cb(): pass\nf(a, *b, k=lambda x, y: x, **d, g=cb)\nsum(x for x in y)\nh(a == b, (c := 1), "s,t")\n';
    withModel(text, (m) => {
      const show = (c: Call) => c.args.map((a) => [m.text.slice(a.span.start, a.span.end), a.keyword, a.spread, a.isFunction]);
      assert.deepEqual(show(call(m, 'f')), [
        ['a', undefined, undefined, false],
        ['*b', undefined, 'positional', false],
        ['k=lambda x, y: x', 'k', undefined, true],
        ['**d', undefined, 'keyword', false],
        ['g=cb', 'g', undefined, true],
      ]);
      assert.deepEqual(show(call(m, 'sum')), [['(x for x in y)', undefined, undefined, false]]);
      assert.deepEqual(show(call(m, 'h')), [
        ['a == b', undefined, undefined, false],
        ['(c := 1)', undefined, undefined, false],
        ['"s,t"', undefined, undefined, false],
      ]);
    });
  });

  it('measures offsets in UTF-16 code units', () => {
    const text = 's = "é😀"; open(p)\n';
    withModel(text, (m) => {
      const c = call(m, 'open');
      assert.equal(c.span.start, text.indexOf('open'));
      assert.equal(c.span.end, text.indexOf(')') + 1);
    });
  });

  it('reads callees split over lines and chained calls', () => {
    const text = 'import subprocess\nx = (subprocess\n     .run(c))\ny = subprocess.run(a).stdout.decode()\nz = f(1)(2)\n';
    withModel(text, (m) => {
      assert.deepEqual(
        m.calls.map((c) => [m.text.slice(c.calleeSpan.start, c.calleeSpan.end), c.written, c.name]),
        [
          ['subprocess\n     .run', 'subprocess.run', 'subprocess.run'],
          ['subprocess.run(a).stdout.decode', 'subprocess.run(a).stdout.decode', undefined],
          ['subprocess.run', 'subprocess.run', 'subprocess.run'],
          ['f(1)', 'f(1)', undefined],
          ['f', 'f', undefined],
        ],
      );
    });
  });

  it('collects only comments that mention loopguard', () => {
    const text = '# plain\nx = "# loopguard: not a comment"\ny = 1  # loopguard: ignore[blocking-call-in-async]\n';
    withModel(text, (m) => {
      assert.deepEqual(
        m.comments.map((c) => c.text),
        ['# loopguard: ignore[blocking-call-in-async]'],
      );
    });
  });
});

describe('python front end: robustness', () => {
  it('reports syntax errors and missing tokens, briefly', () => {
    withModel('def f(:\n    x = (1,\n', (m) => {
      assert.ok(m.syntaxProblems.length > 0);
      assert.ok(m.syntaxProblems.length <= 20);
    });
    withModel('x = [x, (b, 1]\n', (m) => {
      assert.deepEqual(
        m.syntaxProblems.map((p) => [p.message, m.text.slice(p.span.start, p.span.end)]),
        [['missing `)`', '']],
      );
    });
    withModel('x = 1\n', (m) => assert.deepEqual(m.syntaxProblems, []));
  });

  it('never throws, whatever the input', () => {
    const inputs = [
      '',
      '\0\0\0',
      '(((((((((((',
      ')))]]]}}}',
      'def',
      'class (:',
      'lambda',
      '"""unterminated',
      "f'{x",
      'a.b.c.(',
      '@\n',
      'x = [*a.b()]',
      '\\\n\\\n',
      'async',
      'import',
      'from . import',
      'f(**)',
      'f(*, a=)',
      '\ud800\udc00(\ud800)',
      'def f[T](x: T) -> T: return g(x)',
      'match x:\n  case {"a": 1, **rest}: pass\n',
      'x' + '(a'.repeat(300) + ')'.repeat(300),
      Array.from({ length: 2000 }, (_, i) => String.fromCharCode((i * 7919) % 0xd7ff)).join(''),
      // names defined through names, deeper than any stack
      ['import time', 'a0 = time', ...Array.from({ length: 5000 }, (_, i) => `a${i + 1} = a${i}`), 'a5000.sleep(1)'].join('\n'),
    ];
    for (const text of inputs) {
      const parsed = parse(text);
      assert.equal(parsed.model.scopes[0].kind, 'module');
      assert.deepEqual(
        parsed.model.syntaxProblems.filter((p) => p.message.startsWith('internal')),
        [],
      );
      for (const c of parsed.model.calls) {
        assert.ok(c.span.start <= c.calleeSpan.end && c.calleeSpan.end <= c.span.end, JSON.stringify(text));
        assert.ok(c.scope >= 0 && c.scope < parsed.model.scopes.length);
      }
      parsed.dispose();
    }
  });

  it('reads calls and arguments as the tree does, on tricky text', async () => {
    const text = [
      'f(a, "b, c", \'d)\', f"{x[\'y,z\']}", rb"\\)", """e,\n(f""", g=(1, 2))',
      'h(lambda a, b=(1, 2): a, key=lambda: 1)',
      'i(  # a comment, with a comma\n    j,\n    # another (\n    k,\n)',
      'l(m\n  .n(o), p)',
      'q(*r, **s)[0].t(u)',
      'v(w for w in x)',
      'y((z for z in a), b)',
      'c(d) (e)',
      "f'{g(h)}'",
      'k(l=m == n, o=p)',
      '',
    ].join('\n');
    const language = await loadPythonLanguage();
    const parser = new Parser();
    parser.setLanguage(language);
    const tree = parser.parse(text);
    assert.ok(tree);
    const query = new Query(language, '(call function: (_) @f arguments: (_) @a) @c');
    const expected = new Map<string, { callee: number; args: Array<[number, number]> }>();
    for (const mt of query.matches(tree.rootNode)) {
      const get = (n: string) => mt.captures.find((c) => c.name === n)?.node as Node;
      const a = get('a');
      const args =
        a.type === 'generator_expression'
          ? [[a.startIndex, a.endIndex] as [number, number]]
          : a.namedChildren.filter((n): n is Node => n !== null && n.type !== 'comment').map((n) => [n.startIndex, n.endIndex] as [number, number]);
      expected.set(`${get('c').startIndex}:${get('c').endIndex}`, { callee: get('f').endIndex, args });
    }
    query.delete();
    tree.delete();
    parser.delete();
    withModel(text, (m) => {
      assert.equal(m.calls.length, expected.size);
      for (const c of m.calls) {
        const e = expected.get(`${c.span.start}:${c.span.end}`);
        assert.ok(e, `call ${m.text.slice(c.span.start, c.span.end)}`);
        assert.equal(c.calleeSpan.end, e.callee);
        assert.deepEqual(
          c.args.map((a) => [a.span.start, a.span.end]),
          e.args,
          m.text.slice(c.span.start, c.span.end),
        );
      }
    });
  });
});

describe('python fixer', () => {
  const spec = { kind: 'to-thread', safe: true } as const;

  it('offers no await fix outside async code or in generator expressions', () => {
    withModel('import os\ndef f(p):\n    os.stat(p)\nasync def g(ps):\n    list(os.stat(p) for p in ps)\n    h = lambda: os.stat(1)\n', (m) => {
      assert.equal(m.fixer.build(m.calls[0], spec), undefined);
      assert.equal(m.fixer.build(call(m, 'os.stat'), spec), undefined);
      assert.equal(m.fixer.build(m.calls[m.calls.length - 1], spec), undefined);
    });
  });

  it('writes the fix with the imports the file needs', () => {
    const text = 'import os\n\nasync def g(p):\n    return os.stat(p).st_size\n';
    withModel(text, (m) => {
      const fix = m.fixer.build(call(m, 'os.stat'), spec);
      assert.ok(fix);
      assert.equal(fix.title, 'Run in a thread with `await asyncio.to_thread(…)`');
      assert.equal(
        applyEdits(text, fix.edits),
        'import os\nimport asyncio\n\nasync def g(p):\n    return (await asyncio.to_thread(os.stat, p)).st_size\n',
      );
    });
  });

  it('keeps CRLF line ends when it adds an import', () => {
    const text = 'import os\r\nasync def g(p):\r\n    os.stat(p)\r\n';
    withModel(text, (m) => {
      const fix = m.fixer.build(call(m, 'os.stat'), spec);
      assert.ok(fix);
      assert.equal(applyEdits(text, fix.edits), 'import os\r\nimport asyncio\r\nasync def g(p):\r\n    await asyncio.to_thread(os.stat, p)\r\n');
    });
  });

  it('suppresses with a trailing comment, or above when the line cannot take one', () => {
    const rule = 'blocking-call-in-async';
    const cases: Array<[string, string, string]> = [
      ['async def f():\n    os.stat(p)\n', 'os.stat', 'async def f():\n    os.stat(p)  # loopguard: ignore[blocking-call-in-async]\n'],
      [
        'async def f():\n    x = os.stat(p) + \\\n        1\n',
        'os.stat',
        'async def f():\n    # loopguard: ignore-next-line[blocking-call-in-async]\n    x = os.stat(p) + \\\n        1\n',
      ],
      [
        'async def f():\n    x = str(os.stat(p)) + """\n    text"""\n',
        'os.stat',
        'async def f():\n    # loopguard: ignore-next-line[blocking-call-in-async]\n    x = str(os.stat(p)) + """\n    text"""\n',
      ],
    ];
    for (const [text, callee, expected] of cases) {
      withModel(text, (m) => {
        const fix = m.fixer.suppress(call(m, callee).calleeSpan, rule);
        assert.equal(fix.title, `Disable ${rule} for this line`);
        assert.equal(applyEdits(text, fix.edits), expected);
      });
    }
    // both ends of the line inside strings: nowhere to put a comment
    const text = 'async def f():\n    x = """a\n    """ + str(os.stat(p)) + """\n    b"""\n';
    withModel(text, (m) => assert.deepEqual(m.fixer.suppress(call(m, 'os.stat').calleeSpan, rule).edits, []));
  });
});

describe('python front end: loops', () => {
  const head = (m: SourceModel, i: number) => m.text.slice(m.loops[i].headSpan.start, m.loops[i].headSpan.end);
  const bounds = (text: string) => withModel(text, (m) => m.loops.map((l) => [head(m, l.id), l.bound]));

  it('folds constant counts and tells numeric, collection, known-items and unbounded bounds apart', () => {
    const text = [
      'async def f(n, xs, d, limit):',
      '    for i in range(10**7): pass',
      '    for i in range(0, 1_000_000, 2): pass',
      '    for i in range(2 * 3 + 1): pass',
      '    for i in range(n): pass',
      '    for i in range(1, n): pass',
      '    for i in range(len(xs)): pass',
      '    for i, x in enumerate(xs): pass',
      '    for k, v in d.items(): pass',
      '    for a, b in zip(xs, xs): pass',
      '    for x in xs: pass',
      '    for x in (1, 2, 3): pass',
      '    for x in ["a", "b"]: pass',
      '    for x in itertools.count(): pass',
      '    i = 0',
      '    while i < 1e6: i += 1',
      '    while i <= 500: i += 1',
      '    while i < limit: i += 1',
      '    while i < len(xs): i += 1',
      '    while n > 0: n -= 1',
      '    while True: pass',
      '    while node: node = node.next',
      'import itertools',
    ].join('\n');
    assert.deepEqual(bounds(text), [
      ['for i in range(10**7):', { kind: 'literal', count: 10_000_000 }],
      ['for i in range(0, 1_000_000, 2):', { kind: 'literal', count: 500_000 }],
      ['for i in range(2 * 3 + 1):', { kind: 'literal', count: 7 }],
      ['for i in range(n):', { kind: 'numeric', expression: 'n' }],
      ['for i in range(1, n):', { kind: 'numeric', expression: 'n' }],
      ['for i in range(len(xs)):', { kind: 'collection', expression: 'xs' }],
      ['for i, x in enumerate(xs):', { kind: 'collection', expression: 'enumerate(xs)' }],
      ['for k, v in d.items():', { kind: 'collection', expression: 'd.items()' }],
      ['for a, b in zip(xs, xs):', { kind: 'collection', expression: 'zip(xs, xs)' }],
      ['for x in xs:', { kind: 'collection', expression: 'xs' }],
      ['for x in (1, 2, 3):', { kind: 'known-items', count: 3 }],
      ['for x in ["a", "b"]:', { kind: 'known-items', count: 2 }],
      ['for x in itertools.count():', { kind: 'unbounded' }],
      ['while i < 1e6:', { kind: 'literal', count: 1_000_000 }],
      ['while i <= 500:', { kind: 'literal', count: 501 }],
      ['while i < limit:', { kind: 'numeric', expression: 'limit' }],
      ['while i < len(xs):', { kind: 'collection', expression: 'xs' }],
      ['while n > 0:', { kind: 'numeric', expression: 'n' }],
      ['while True:', { kind: 'unbounded' }],
      ['while node:', { kind: 'unbounded' }],
    ]);
  });

  it('makes each comprehension clause a loop, nested in the clause before it, with its variables', () => {
    withModel('async def f(xs, ys, n):\n    s = sum(i * i for i in range(n))\n    return [(a, b) for a in xs for b in ys if a]\n', (m) => {
      const got = m.loops.map((l) => ({ kind: l.kind, head: head(m, l.id), parent: l.parent, vars: l.variables, computeOnly: l.computeOnly, scope: l.scope }));
      assert.deepEqual(got, [
        { kind: 'comprehension', head: 'for i in range(n)', parent: undefined, vars: ['i'], computeOnly: true, scope: 1 },
        { kind: 'comprehension', head: 'for a in xs', parent: undefined, vars: ['a'], computeOnly: true, scope: 1 },
        { kind: 'comprehension', head: 'for b in ys', parent: 1, vars: ['b'], computeOnly: true, scope: 1 },
      ]);
    });
  });

  it('finds what yields, busy-waits and pure computation, and parents only within one scope', () => {
    const text = [
      'import asyncio, time, math',
      'async def f(n, q, deadline, loop):',
      '    for i in range(n):',
      '        total = math.sqrt(i) + abs(i)',
      '        for j in range(n):',
      '            await asyncio.sleep(0)',
      '    for i in range(n):',
      '        print(i)',
      '    async for x in q:',
      '        pass',
      '    for i in range(n):',
      '        async with q:',
      '            pass',
      '    while time.time() < deadline:',
      '        pass',
      '    while loop.time() < deadline:',
      '        continue',
      '    while time.time() < deadline:',
      '        await asyncio.sleep(1)',
      '    for i in range(n):',
      '        def g():',
      '            for k in range(n): pass',
    ].join('\n');
    withModel(text, (m) => {
      const got = m.loops.map((l) => [l.id, l.parent, l.yields, l.busyWait, l.computeOnly]);
      assert.deepEqual(got, [
        [0, undefined, true, false, false],
        [1, 0, true, false, false],
        [2, undefined, false, false, false],
        [3, undefined, true, false, false],
        [4, undefined, true, false, false],
        [5, undefined, false, true, false],
        [6, undefined, false, true, false],
        [7, undefined, true, false, false],
        [8, undefined, false, false, false],
        [9, undefined, false, false, true],
      ]);
      assert.equal(m.loops[9].scope, m.loops[8].scope + 1);
    });
  });

  it('records where a function is handed over, and whether to a thread or a process', () => {
    const text = [
      'import asyncio, threading, multiprocessing',
      'from concurrent.futures import ThreadPoolExecutor, ProcessPoolExecutor',
      'procs = ProcessPoolExecutor()',
      'def a(): pass',
      'def b(): pass',
      'def c(): pass',
      'def d(): pass',
      'def e(): pass',
      'def f(): pass',
      'def g(): pass',
      'async def main(loop, other):',
      '    await asyncio.to_thread(a)',
      '    await loop.run_in_executor(None, b)',
      '    await loop.run_in_executor(procs, c)',
      '    await loop.run_in_executor(other, d)',
      '    threading.Thread(target=e).start()',
      '    multiprocessing.Process(target=f).start()',
      '    with ThreadPoolExecutor() as ex:',
      '        ex.submit(g)',
    ].join('\n');
    withModel(text, (m) => {
      const got = m.scopes
        .filter((s) => s.kind === 'offloaded')
        .map((s) => [s.name, s.offload && m.text.slice(s.offload.span.start, s.offload.span.end), s.offload?.via, s.offload?.api, s.offload && m.text.slice(s.offload.call.start, s.offload.call.end)]);
      assert.deepEqual(got, [
        ['a', 'a', 'thread', 'asyncio.to_thread', 'asyncio.to_thread(a)'],
        ['b', 'b', 'thread', 'loop.run_in_executor', 'loop.run_in_executor(None, b)'],
        ['c', 'c', 'process', 'loop.run_in_executor', 'loop.run_in_executor(procs, c)'],
        ['d', undefined, undefined, undefined, undefined],
        ['e', 'e', 'thread', 'threading.Thread', 'threading.Thread(target=e)'],
        ['f', 'f', 'process', 'multiprocessing.Process', 'multiprocessing.Process(target=f)'],
        ['g', 'g', 'thread', 'ex.submit', 'ex.submit(g)'],
      ]);
    });
  });
});

describe('python front end: calls to functions of the file', () => {
  /** The name of the scope each call of `written` targets, in order. */
  const targets = (m: SourceModel, written: string): Array<string | undefined> =>
    m.calls.filter((c) => m.text.slice(c.calleeSpan.start, c.calleeSpan.end) === written).map((c) => (c.target === undefined ? undefined : m.scopes[c.target].name));
  const selfCalls = (m: SourceModel, name: string): number | undefined => m.scopes.find((s) => s.name === name)?.selfCalls;

  it('links names bound to a def, and counts the calls in its own body', () => {
    const text = [
      'def fib(n):',
      '    return n if n < 2 else fib(n - 1) + fib(n - 2)',
      'def walk(node):',
      '    if node:',
      '        walk(node.next)',
      'def tree(n):',
      '    return [tree(k) for k in n.kids] + list(map(lambda k: tree(k), n.kids))',
      'async def main():',
      '    fib(30)',
      '    walk(head)',
      '',
    ].join('\n');
    withModel(text, (m) => {
      assert.deepEqual(targets(m, 'fib'), ['fib', 'fib', 'fib']);
      assert.deepEqual(targets(m, 'walk'), ['walk', 'walk']);
      assert.deepEqual(targets(m, 'tree'), ['tree', 'tree']);
      assert.equal(selfCalls(m, 'fib'), 2);
      assert.equal(selfCalls(m, 'walk'), 1);
      // the comprehension runs in the def; the lambda is a function of its own
      assert.equal(selfCalls(m, 'tree'), 1);
      assert.equal(selfCalls(m, 'main'), undefined);
    });
  });

  it('leaves shadowed, rebound, imported, memoized and unknown callees unlinked', () => {
    const text = [
      'import functools',
      'from lib import parse',
      'def fib(n):',
      '    return n',
      'def outer(fib):',
      '    fib(1)',
      '    parse(2)',
      '    missing(3)',
      'def twice(n):',
      '    return n',
      'twice = other',
      'twice(4)',
      '@functools.lru_cache(maxsize=None)',
      'def memo(n):',
      '    return memo(n - 1) + memo(n - 2)',
      '[fib(x) for fib in fns]',
      '',
    ].join('\n');
    withModel(text, (m) => {
      assert.deepEqual(targets(m, 'fib'), [undefined, undefined]);
      assert.deepEqual(targets(m, 'parse'), [undefined]);
      assert.deepEqual(targets(m, 'missing'), [undefined]);
      assert.deepEqual(targets(m, 'twice'), [undefined]);
      assert.deepEqual(targets(m, 'memo'), [undefined, undefined]);
      assert.equal(selfCalls(m, 'memo'), undefined);
    });
  });

  it('links self.method(…) to the method of the enclosing class', () => {
    const text = [
      'class Solver:',
      '    def search(self, i):',
      '        return 1 if i > 9 else self.search(i + 1) + self.search(i + 2)',
      '    def run(self):',
      '        return self.search(0) + self.missing()',
      'class Twice:',
      '    def m(self):',
      '        return self.m()',
      '    def m(self):',
      '        return 0',
      '',
    ].join('\n');
    withModel(text, (m) => {
      assert.deepEqual(targets(m, 'self.search'), ['Solver.search', 'Solver.search', 'Solver.search']);
      assert.equal(selfCalls(m, 'Solver.search'), 2);
      assert.deepEqual(targets(m, 'self.missing'), [undefined]);
      assert.deepEqual(targets(m, 'self.m'), [undefined]);
    });
  });
});
