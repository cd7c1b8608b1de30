// The analysis worker (bundled to dist/analysis-worker.js, run in a worker_thread by lsp/off-thread.ts):
// its own Engine, so a large document's parse and rules run while the server's thread keeps
// answering requests and analysing small documents. The Workspace lives on the server's thread and
// cannot be shared: calls into other files are answered from the request's CalleeTable (a
// TableWorkspace), and the document's facts go back for the server's Workspace. Everything it sends
// back is plain data (the line index is rebuilt from the text on the other side).

import { parentPort } from 'node:worker_threads';
import { Engine } from '../engine/engine';
import { toAnalysisConfig } from '../engine/config';
import { projectFactsFor } from '../engine/project';
import { RULES } from '../rules/registry';
import type { FileFacts } from '../engine/workspace/facts';
import { TableWorkspace, type OffThreadRequest, type OffThreadResponse } from './off-thread';

const port = parentPort;
if (port) {
  const engine = Engine.create();
  port.on('message', (req: OffThreadRequest) => {
    void engine.then(
      (e) => {
        let response: OffThreadResponse;
        try {
          const project = req.withProject ? projectFactsFor(req.input.fileName) : undefined;
          const input = project ? { ...req.input, project } : req.input;
          const config = toAnalysisConfig(req.settings).config;
          const table = req.table && new TableWorkspace(req.table);
          let facts: FileFacts | undefined;
          const r = table
            ? e.analyse(input, config, RULES, table.asWorkspace(), (f) => {
                facts = f;
              })
            : e.analyse(input, config);
          response = {
            id: req.id,
            result: {
              family: r.family,
              findings: r.findings,
              suppressions: r.suppressions,
              syntaxProblems: r.syntaxProblems,
              skipped: r.skipped,
              ruleErrors: r.ruleErrors,
              timings: r.timings,
              ...(facts ? { facts } : {}),
              ...(table ? { asked: table.asked } : {}),
            },
          };
        } catch (err) {
          response = { id: req.id, error: err instanceof Error ? (err.stack ?? err.message) : String(err) };
        }
        port.postMessage(response);
      },
      (err: unknown) => port.postMessage({ id: req.id, error: `the analysis worker could not start: ${String(err)}` } satisfies OffThreadResponse),
    );
  });
}
