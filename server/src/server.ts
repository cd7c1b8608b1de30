// The language server's entry point (bundled to dist/server.js): creates the connection over
// whatever transport the process was started with and hands it to lsp/. Nothing else lives here.

import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { Engine } from './engine/engine';
import { startLanguageServer } from './lsp/language-server';
import { RULES } from './rules/registry';
import type { Rule } from './rules/rule';

// VS Code passes --node-ipc, other editors --stdio (or --socket/--pipe). `loopguard server` with no
// flag means stdio, the transport every editor can use; going through the flag (rather than passing
// the streams) keeps the library's redirection of console output away from the protocol stream.
const TRANSPORT_FLAGS = ['--node-ipc', '--stdio', '--socket', '--pipe'];
if (!process.argv.slice(2).some((a) => TRANSPORT_FLAGS.some((f) => a === f || a.startsWith(`${f}=`)))) {
  process.argv.push('--stdio');
}
const connection = createConnection(ProposedFeatures.all);

// The parsers load (WASM) while the client is still starting; `initialize` waits for them and
// reports a failure as its answer.
const engine = Engine.create();
engine.catch(() => undefined);

// Every handler is guarded; this is the net under a bug that escapes one. A linter that logs a bug
// and keeps serving beats one whose crash takes the user's diagnostics (and restarts) with it.
const describe = (e: unknown): string => (e instanceof Error ? (e.stack ?? e.message) : String(e));
process.on('unhandledRejection', (e) => connection.console.error(`Unhandled rejection: ${describe(e)}`));
process.on('uncaughtException', (e) => connection.console.error(`Uncaught exception: ${describe(e)}`));

/**
 * For tests only (developers: docs/reliability.md): LOOPGUARD_FAULT_INJECT_RULE=<rule id> makes that
 * rule throw on every text document the server analyses on its own thread (not in notebooks, nor in
 * large documents analysed in the worker), so the isolation of a crashing rule can be tested over the
 * real protocol. Read once, here, so neither the engine nor the rules know.
 */
function faultInjected(): readonly Rule[] | undefined {
  const id = process.env.LOOPGUARD_FAULT_INJECT_RULE;
  if (id === undefined || id === '') return undefined;
  if (!RULES.some((r) => r.meta.id === id)) {
    connection.console.error(`LOOPGUARD_FAULT_INJECT_RULE: no rule "${id}"; nothing injected`);
    return undefined;
  }
  connection.console.warn(`LOOPGUARD_FAULT_INJECT_RULE: rule ${id} throws on every analysis (a test hook)`);
  return RULES.map((rule) =>
    rule.meta.id !== id
      ? rule
      : {
          meta: rule.meta,
          check: () => {
            throw new Error(`fault injected into ${id} (LOOPGUARD_FAULT_INJECT_RULE)`);
          },
        },
  );
}

const rules = faultInjected();
startLanguageServer(connection, engine, rules ? { rules } : {});
