// What "a call that blocks" means, shared by blocking-call-in-async (which reports such calls on the
// event loop) and the project model's per-file facts (engine/workspace/facts.ts, which records them as
// the evidence that a helper blocks). One definition, so a helper is said to block exactly when the
// same call written in an async function would be reported.

import type { BlockingApi, EcosystemCatalogue } from '../engine/catalogue';
import type { Call, SourceModel } from '../engine/model';

/** The argument a nonBlockingWhen condition names: by keyword, or by position before any spread. */
function argumentText(model: SourceModel, call: Call, keyword: string | undefined, position: number | undefined): string | undefined {
  if (keyword !== undefined) {
    const kw = call.args.find((a) => a.keyword === keyword);
    if (kw) return model.text.slice(kw.span.start, kw.span.end).replace(/^\s*[\w$]+\s*=/, '').trim();
  }
  if (position === undefined) return undefined;
  let index = 0;
  for (const a of call.args) {
    if (a.spread) return undefined; // positions after *args are unknown
    if (a.keyword !== undefined) continue;
    if (index === position) return model.text.slice(a.span.start, a.span.end).trim();
    index++;
  }
  return undefined;
}

function blocksHere(model: SourceModel, api: BlockingApi, call: Call): boolean {
  if (api.when === 'no-callback-argument' && call.args.some((a) => a.isFunction)) return false;
  for (const cond of api.nonBlockingWhen ?? []) {
    const text = argumentText(model, call, cond.keyword, cond.position);
    if (text !== undefined && cond.literals.includes(text)) return false;
  }
  return true;
}

/**
 * The catalogue entry of a call that blocks the thread it runs on, or undefined. Where the call runs
 * (event loop, thread, start-up) is the caller's question, not this one's.
 */
export function blockingApiOf(model: SourceModel, catalogue: EcosystemCatalogue, call: Call): BlockingApi | undefined {
  // An awaited call returns an awaitable, so it is not the blocking API the name suggests (an
  // async client mistaken for its sync twin); awaiting a truly blocking call would not unblock it,
  // but that code is already broken in a way every type checker reports.
  if (call.name === undefined || call.awaited) return undefined;
  const api = catalogue.lookup(call.name);
  return api && blocksHere(model, api, call) ? api : undefined;
}
