// pathTo/pathAt (server/src/frontends/python/tree.ts): the ancestors of a node found by position, read
// off the path down from the root instead of Node.parent (which corrupts tree-sitter's WASM memory when
// asked of a zero-width ERROR node).

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { before, describe, it } from 'node:test';
import { Parser, type Node } from 'web-tree-sitter';
import { loadPythonLanguage } from '../../server/src/frontends/python/parser';
import { pathAt } from '../../server/src/frontends/python/tree';

const ROOT = path.join(__dirname, '..', '..');
let parser: Parser;

const label = (n: Node) => `${n.type}@${n.startIndex}-${n.endIndex}`;

describe('python tree paths', () => {
  before(async () => {
    const language = await loadPythonLanguage();
    parser = new Parser();
    parser.setLanguage(language);
  });

  it('ends at what descendantForIndex finds, with the ancestors Node.parent gives in a file that parses', () => {
    const text = [
      'import asyncio',
      '',
      '',
      'class A:',
      '    async def f(self, xs):',
      '        async with self.lock:',
      '            self.n = [x * 2 for x in xs if x] or (await g(1, *xs))',
      '        return {k: v for k, v in xs}, lambda: (yield)',
      '',
    ].join('\n');
    const tree = parser.parse(text);
    assert.ok(tree && !tree.rootNode.hasError);
    try {
      let compared = 0;
      for (let start = 0; start <= text.length; start++) {
        for (const end of [start, Math.min(text.length, start + 3)]) {
          const found = pathAt(tree.rootNode, start, end);
          const target = tree.rootNode.descendantForIndex(start, end);
          assert.ok(found && target, `${start}-${end}`);
          const chain: string[] = [];
          for (let n: Node | null = target; n; n = n.parent) chain.unshift(label(n));
          assert.deepEqual(found.map(label), chain, `${start}-${end}`);
          compared++;
        }
      }
      assert.ok(compared > 400, String(compared));
    } finally {
      tree.delete();
    }
  });

  it('reaches zero-width ERROR nodes of a broken file without Node.parent, and the tree deletes cleanly', () => {
    const text = zlib.gunzipSync(fs.readFileSync(path.join(ROOT, 'test', 'fuzz-regressions', 'python-zero-width-error.py.gz'))).toString('utf8');
    const tree = parser.parse(text);
    assert.ok(tree?.rootNode.hasError);
    let zeroWidthErrors = 0;
    try {
      // where the zero-width ERROR nodes are, found top-down; and some positions between them
      const at = tree.rootNode.descendantsOfType('ERROR').filter((n): n is Node => n !== null && n.startIndex === n.endIndex).map((n) => n.startIndex);
      assert.ok(at.length > 0, 'the regression file has zero-width ERROR nodes');
      for (let i = 0; i < text.length; i += 997) at.push(i);
      for (const i of at) {
        const found = pathAt(tree.rootNode, i);
        assert.ok(found, String(i));
        const last = found[found.length - 1];
        if (last.type === 'ERROR' && last.startIndex === last.endIndex) zeroWidthErrors++;
        // every node of the path contains the next one
        for (let k = 1; k < found.length; k++) assert.ok(found[k - 1].startIndex <= found[k].startIndex && found[k].endIndex <= found[k - 1].endIndex);
      }
    } finally {
      tree.delete();
    }
    assert.ok(zeroWidthErrors > 0, 'some position finds a zero-width ERROR node, and its path');
    // the parser still works: nothing was corrupted
    const next = parser.parse('x = 1\n');
    assert.equal(next?.rootNode.child(0)?.type, 'expression_statement');
    next?.delete();
  });
});
