// Notebook sources (server/src/notebooks): IPython magics blanked to the same length, cells with
// top-level await as event-loop code and the others not, names resolved across cells, and edits
// mapped back to cells.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultAnalysisConfig } from '../../server/src/engine/config';
import { blankMagics } from '../../server/src/notebooks/magics';
import { cellPosition, concatenateCells, notebookInput, splitEdits } from '../../server/src/notebooks/notebook';
import { sharedEngine } from '../harness/fixtures';

describe('notebooks', () => {
  it('blanks line magics, shell escapes, help and Python cell magics to the same length; other cell magics whole', () => {
    const src = concatenateCells(['%pip install x\nfiles = !ls\nif True:\n    !echo hi\nx?', '%%time\ny = 1', '%%bash\necho $((1+2))']);
    const out = blankMagics(src.text, src.cells);
    assert.equal(out.length, src.text.length);
    assert.equal(out, '              \n           \nif True:\n    pass    \n  \n      \ny = 1\n      \n             \n');
  });

  it('only a cell that awaits at top level runs on the event loop; imports resolve across cells', async () => {
    const engine = await sharedEngine();
    const src = concatenateCells(['import time', 'time.sleep(1)', 'async with lock():\n    pass\ntime.sleep(2)', 'async def f():\n    await g()\ntime.sleep(3)']);
    const r = engine.analyse(notebookInput('/x/nb.ipynb', src), defaultAnalysisConfig());
    assert.deepEqual(r.syntaxProblems, []);
    assert.deepEqual(
      r.findings.map((f) => [f.rule, cellPosition(src, f.span.start)]),
      [['blocking-call-in-async', { cell: 2, line: 2, character: 0 }]],
    );
  });

  it('splits edits per cell; an edit across a boundary is refused, a deleted last line is kept in its cell', () => {
    const src = concatenateCells(['a = 1\n# x', 'b = 2']);
    assert.deepEqual([...splitEdits(src, [{ start: 0, end: 0, newText: 'import t\n' }, { start: 10, end: 11, newText: 'c' }])!], [
      [0, [{ start: 0, end: 0, newText: 'import t\n' }]],
      [1, [{ start: 0, end: 1, newText: 'c' }]],
    ]);
    assert.equal(splitEdits(src, [{ start: 6, end: 12, newText: 'z' }]), undefined);
    // `# x\n` (the last line of cell 1 and the newline after it) → the newline before it and `# x`
    assert.deepEqual([...splitEdits(src, [{ start: 6, end: 10, newText: '' }])!], [[0, [{ start: 5, end: 9, newText: '' }]]]);
  });
});
