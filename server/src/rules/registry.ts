// The one place rule ids are assigned. Adding a rule: write server/src/rules/<id>.ts with its docs
// as the leading doc comment, add it here, add fixtures under test/fixtures/<id>/, run `npm run docs`.

import type { Rule } from './rule';
import { blockingCallInAsync } from './blocking-call-in-async';
import { cpuBoundWorkInThreadPool } from './cpu-bound-work-in-thread-pool';
import { cpuLoopOnEventLoop } from './cpu-loop-on-event-loop';
import { raceAcrossAwait } from './race-across-await';
import { unsynchronizedSharedState } from './unsynchronized-shared-state';

export const RULES: readonly Rule[] = [blockingCallInAsync, cpuLoopOnEventLoop, cpuBoundWorkInThreadPool, unsynchronizedSharedState, raceAcrossAwait];

export const RULE_IDS: readonly string[] = RULES.map((r) => r.meta.id);

const byId = new Map(RULES.map((r) => [r.meta.id, r]));

export function ruleById(id: string): Rule | undefined {
  return byId.get(id);
}

/** Where each rule's documentation is published; diagnostics link here (codeDescription). */
export const DOCS_BASE_URL = 'https://github.com/loopguard/loopguard/blob/main/docs/rules/';

export function ruleDocsUrl(id: string): string {
  return `${DOCS_BASE_URL}${id}.md`;
}
