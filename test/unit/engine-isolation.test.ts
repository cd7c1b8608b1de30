// A rule that throws is isolated by the engine (Engine.analyse): the other rules' findings still
// come, the error names the rule, nothing the failing rule reported before it threw is kept, and its
// suppression comments are not judged unused (it did not run). The same over the protocol, with the
// server's fault-injection hook, is in lsp-process.test.ts.

import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { DEFAULT_SETTINGS, toAnalysisConfig } from '../../server/src/engine/config';
import { Engine } from '../../server/src/engine/engine';
import { RULES } from '../../server/src/rules/registry';
import type { Rule } from '../../server/src/rules/rule';

const BLOCKING = 'blocking-call-in-async';
const RACE = 'race-across-await';
const config = toAnalysisConfig(DEFAULT_SETTINGS).config;

function rule(id: string): Rule {
  const r = RULES.find((x) => x.meta.id === id);
  assert.ok(r, `rule ${id} is registered`);
  return r;
}

/** `id`'s rule, made to throw `error` — after reporting what the real rule reports, when `afterReporting`. */
function throwing(id: string, error: unknown, afterReporting = false): Rule {
  const real = rule(id);
  return {
    meta: real.meta,
    check: (ctx) => {
      if (afterReporting) real.check(ctx);
      throw error;
    },
  };
}

const TS = [
  "import fs from 'fs';",
  'let connection: { close(): void } | undefined;',
  'declare function connect(): Promise<{ close(): void }>;',
  'export async function getConnection() {',
  '  if (!connection) {',
  '    connection = await connect();',
  '  }',
  '  return connection;',
  '}',
  'export async function load(p: string) {',
  "  return fs.readFileSync(p, 'utf8');",
  '}',
  '',
].join('\n');
const input = { fileName: '/w/service.ts', text: TS };

function found(findings: ReadonlyArray<{ rule: string; span: { start: number } }>, text: string): Array<[string, number]> {
  return findings.map((f): [string, number] => [f.rule, text.slice(0, f.span.start).split('\n').length - 1]).sort();
}

describe('engine: a rule that throws', () => {
  let engine: Engine;
  before(async () => {
    engine = await Engine.create();
  });

  it('the control: both rules report on the document', () => {
    const r = engine.analyse(input, config, [rule(RACE), rule(BLOCKING)]);
    assert.deepEqual(found(r.findings, TS), [[BLOCKING, 10], [RACE, 5]]);
    assert.deepEqual(r.ruleErrors, []);
  });

  it("the other rule's findings still come, and the error names the rule that threw", () => {
    // the throwing rule runs first: the ones after it must still run
    const r = engine.analyse(input, config, [throwing(RACE, new TypeError('boom in check')), rule(BLOCKING)]);
    assert.deepEqual(found(r.findings, TS), [[BLOCKING, 10]]);
    assert.deepEqual(r.ruleErrors.map((e) => e.rule), [RACE]);
    assert.match(r.ruleErrors[0].error, /^TypeError: boom in check\n\s+at /);
  });

  it('keeps nothing a rule reported before it threw', () => {
    const r = engine.analyse(input, config, [throwing(RACE, new Error('late'), true), rule(BLOCKING)]);
    assert.deepEqual(found(r.findings, TS), [[BLOCKING, 10]]);
    assert.deepEqual(r.ruleErrors.map((e) => e.rule), [RACE]);
  });

  it('reports a thrown non-Error as its string', () => {
    const r = engine.analyse(input, config, [rule(RACE), throwing(BLOCKING, 'plain string')]);
    assert.deepEqual(found(r.findings, TS), [[RACE, 5]]);
    assert.deepEqual(r.ruleErrors, [{ rule: BLOCKING, error: 'plain string' }]);
  });

  it('does not call the suppression comments of the rule that threw unused', () => {
    const text = `${TS}export async function size(p: string) {\n  // loopguard-ignore-next-line ${RACE}\n  return p.length;\n}\n`;
    const unusedOf = (rules: readonly Rule[]) =>
      engine.analyse({ ...input, text }, config, rules).findings.filter((f) => f.rule === 'unused-suppression').map((f) => f.data);
    // the control: the real rule ran, found nothing there, so the comment is unused
    assert.equal(unusedOf([rule(RACE), rule(BLOCKING)]).length, 1);
    assert.deepEqual(unusedOf([throwing(RACE, new Error('boom')), rule(BLOCKING)]), []);
  });
});
