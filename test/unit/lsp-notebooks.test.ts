// Over the protocol, against the built server: Jupyter notebooks (LSP 3.17 notebook sync) — per-cell
// diagnostics, a cell with top-level await, magics, a fix whose edits span two cells, fix-all of a
// notebook, cells that change and go away; and fix-all of a plain document, which is what the
// "Fix all auto-fixable problems" command asks for.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  DidChangeNotebookDocumentNotification,
  DidCloseNotebookDocumentNotification,
  DidOpenNotebookDocumentNotification,
  NotebookCellKind,
  type CodeAction,
  type Diagnostic,
  type PublishDiagnosticsParams,
} from 'vscode-languageserver-protocol';
import { FIX_ALL_KIND } from '../../server/src/lsp/protocol';
import { LspTestClient, applyTextEdits, editsFor, ensureBuilt, isCodeAction } from '../harness/lsp-client';

const NB = 'file:///workspace/analysis.ipynb';
const cellUri = (n: number) => `vscode-notebook-cell:/workspace/analysis.ipynb#cell${n}`;

describe('language server: Jupyter notebooks', () => {
  let client: LspTestClient;
  const texts = new Map<string, string>();

  before(async () => {
    ensureBuilt();
    client = await LspTestClient.start({ settings: {} });
  });

  after(async () => {
    await client?.stop();
  });

  function ours(p: PublishDiagnosticsParams): Diagnostic[] {
    return p.diagnostics.filter((d) => d.source === 'loopguard');
  }

  it('declares notebook sync for Jupyter notebooks with Python cells', () => {
    assert.deepEqual(client.initializeResult?.capabilities.notebookDocumentSync, {
      notebookSelector: [{ notebook: { notebookType: 'jupyter-notebook' }, cells: [{ language: 'python' }] }],
    });
  });

  it('analyses the code cells as one source and publishes per cell; a fix adds the import to cell 1', async () => {
    const cells = [
      { uri: cellUri(1), text: 'import time\nimport requests' },
      { uri: cellUri(2), text: '%pip install requests\n!ls\n# markdown-ish comment' },
      { uri: cellUri(3), text: '%%time\nawait asyncio_ready()\ntime.sleep(1)' },
      { uri: cellUri(4), text: 'time.sleep(2)' },
    ];
    for (const c of cells) texts.set(c.uri, c.text);
    const mark = client.diagnostics.mark();
    await client.connection.sendNotification(DidOpenNotebookDocumentNotification.type, {
      notebookDocument: {
        uri: NB,
        notebookType: 'jupyter-notebook',
        version: 1,
        cells: [
          { kind: NotebookCellKind.Code, document: cellUri(1) },
          { kind: NotebookCellKind.Markup, document: cellUri(9) },
          ...cells.slice(1).map((c) => ({ kind: NotebookCellKind.Code, document: c.uri })),
        ],
      },
      cellTextDocuments: [
        ...cells.map((c) => ({ uri: c.uri, languageId: 'python', version: 1, text: c.text })),
        { uri: cellUri(9), languageId: 'markdown', version: 1, text: '# Title\ntime.sleep(5)' },
      ],
    });
    const byCell = new Map<string, Diagnostic[]>();
    for (const c of cells) byCell.set(c.uri, ours(await client.diagnosticsFor(c.uri, 1, mark)));
    // cell 3 awaits at top level: its time.sleep runs on the event loop; cell 4 does not await
    assert.deepEqual(byCell.get(cellUri(1)), []);
    assert.deepEqual(byCell.get(cellUri(2)), [], 'magics are no syntax errors and no findings');
    assert.deepEqual(byCell.get(cellUri(4)), []);
    const [d] = byCell.get(cellUri(3)) ?? [];
    assert.equal(d?.code, 'blocking-call-in-async');
    assert.deepEqual(d?.range, { start: { line: 2, character: 0 }, end: { line: 2, character: 10 } });

    const actions = (await client.codeActions(cellUri(3), d.range, { diagnostics: [d], only: ['quickfix'] })).filter(isCodeAction) as CodeAction[];
    const fix = actions.find((a) => a.title === 'Replace with `await asyncio.sleep(…)`');
    assert.ok(fix, actions.map((a) => a.title).join(', '));
    assert.equal(fix.isPreferred, true);
    // one edit on cell 3 (the call) and one on cell 1 (the import), each versioned with its cell
    const docs = (fix.edit?.documentChanges ?? []).map((c) => ('textDocument' in c ? c.textDocument : undefined));
    assert.deepEqual(docs, [{ uri: cellUri(1), version: 1 }, { uri: cellUri(3), version: 1 }]);
    assert.equal(applyTextEdits(texts.get(cellUri(1))!, editsFor(fix.edit, cellUri(1))), 'import time\nimport requests\nimport asyncio');
    assert.equal(applyTextEdits(texts.get(cellUri(3))!, editsFor(fix.edit, cellUri(3))), '%%time\nawait asyncio_ready()\nawait asyncio.sleep(1)');
    // the suppression lands in the cell too
    const disable = actions.find((a) => a.title === 'Disable blocking-call-in-async for this line');
    assert.equal(applyTextEdits(texts.get(cellUri(3))!, editsFor(disable?.edit, cellUri(3))), '%%time\nawait asyncio_ready()\ntime.sleep(1)  # loopguard: ignore[blocking-call-in-async]');
  });

  it('source.fixAll.loopguard on a cell fixes the whole notebook, across cells', async () => {
    const actions = (await client.codeActions(cellUri(3), { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, { diagnostics: [], only: [FIX_ALL_KIND] })) as CodeAction[];
    assert.deepEqual(actions.map((a) => a.kind), [FIX_ALL_KIND]);
    const edit = actions[0].edit;
    assert.equal(applyTextEdits(texts.get(cellUri(1))!, editsFor(edit, cellUri(1))), 'import time\nimport requests\nimport asyncio');
    assert.equal(applyTextEdits(texts.get(cellUri(3))!, editsFor(edit, cellUri(3))), '%%time\nawait asyncio_ready()\nawait asyncio.sleep(1)');
    assert.deepEqual(editsFor(edit, cellUri(4)), []);
  });

  it('a changed cell is analysed again; a removed cell is cleared', async () => {
    const mark = client.diagnostics.mark();
    // cell 4 now awaits; cell 3 goes away
    await client.connection.sendNotification(DidChangeNotebookDocumentNotification.type, {
      notebookDocument: { uri: NB, version: 2 },
      change: {
        cells: {
          structure: { array: { start: 3, deleteCount: 1 }, didClose: [{ uri: cellUri(3) }] },
          textContent: [
            {
              document: { uri: cellUri(4), version: 2 },
              changes: [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: 'async with lock():\n    pass\n' }],
            },
          ],
        },
      },
    });
    const cleared = await client.diagnostics.next('cell 3 cleared', (p) => p.uri === cellUri(3) && p.diagnostics.length === 0, mark);
    assert.equal(cleared.diagnostics.length, 0);
    const four = ours(await client.diagnosticsFor(cellUri(4), 2, mark));
    assert.deepEqual(four.map((d) => [d.code, d.range.start.line]), [['blocking-call-in-async', 2]]);
  });

  it('closing the notebook clears its cells', async () => {
    const mark = client.diagnostics.mark();
    await client.connection.sendNotification(DidCloseNotebookDocumentNotification.type, {
      notebookDocument: { uri: NB },
      cellTextDocuments: [cellUri(1), cellUri(2), cellUri(4), cellUri(9)].map((uri) => ({ uri })),
    });
    const p = await client.diagnostics.next('cell 4 cleared', (x) => x.uri === cellUri(4) && x.diagnostics.length === 0, mark);
    assert.deepEqual(p.diagnostics, []);
  });

  it('fix-all of a plain document (the executeAutofix command\'s request) applies every safe fix, unused suppressions included', async () => {
    const uri = 'file:///workspace/autofix.py';
    const text = 'import time\nimport subprocess\n\nasync def main():\n    time.sleep(1)\n    subprocess.run(["ls"])\n    x = 1  # loopguard: ignore[blocking-call-in-async]\n';
    const mark = client.diagnostics.mark();
    await client.open(uri, 'python', text);
    const diags = ours(await client.diagnosticsFor(uri, 1, mark));
    assert.deepEqual(diags.map((d) => d.code).sort(), ['blocking-call-in-async', 'blocking-call-in-async', 'unused-suppression']);
    const actions = (await client.codeActions(uri, { start: { line: 0, character: 0 }, end: { line: 7, character: 0 } }, { diagnostics: [], only: [FIX_ALL_KIND] })) as CodeAction[];
    const fixed = applyTextEdits(text, editsFor(actions[0]?.edit, uri));
    // both calls have safe fixes, and the unused directive goes, in one edit
    assert.equal(fixed, 'import time\nimport subprocess\nimport asyncio\n\nasync def main():\n    await asyncio.sleep(1)\n    await asyncio.to_thread(subprocess.run, ["ls"])\n    x = 1\n');
  });
});
