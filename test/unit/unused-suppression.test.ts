// unused-suppression: the engine's report of suppression comments that silence nothing, its fixes
// (exact text), its severity setting, and what is never judged (rules that did not run, broken files).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveSettings, toAnalysisConfig, type AnalysisConfig } from '../../server/src/engine/config';
import type { Engine } from '../../server/src/engine/engine';
import { fixAll } from '../../server/src/engine/fix-all';
import { applyEdits } from '../../server/src/engine/finding';
import { UNUSED_SUPPRESSION } from '../../server/src/engine/suppression';
import { sharedEngine } from '../harness/fixtures';

function config(rules: Record<string, unknown> = {}): AnalysisConfig {
  const { settings, problems } = resolveSettings({ rules });
  assert.deepEqual(problems, []);
  return toAnalysisConfig(settings).config;
}

async function unused(fileName: string, text: string, cfg = config()) {
  const engine: Engine = await sharedEngine();
  const result = engine.analyse({ fileName, text }, cfg);
  return {
    result,
    found: result.findings
      .filter((f) => f.rule === UNUSED_SUPPRESSION)
      .map((f) => ({ line: result.lines.position(f.span.start).line, messageId: f.messageId, data: f.data, severity: f.severity })),
    /** the text after the first unused-suppression finding's fix */
    fixed: (i = 0) => {
      const f = result.findings.filter((x) => x.rule === UNUSED_SUPPRESSION)[i];
      assert.ok(f?.fixes[0]?.safe, 'a safe fix');
      return applyEdits(text, f.fixes[0].edits);
    },
  };
}

describe('unused-suppression', () => {
  it('a Python next-line directive alone on its line goes with its line', async () => {
    const text = 'import time\n\nasync def f():\n    # loopguard: ignore-next-line[blocking-call-in-async]\n    x = 1\n    return x\n';
    const u = await unused('a.py', text);
    assert.deepEqual(u.found, [{ line: 3, messageId: 'unused', data: { rules: '`blocking-call-in-async`' }, severity: 'warning' }]);
    assert.equal(u.fixed(), 'import time\n\nasync def f():\n    x = 1\n    return x\n');
  });

  it('a trailing directive goes with the whitespace before it; CRLF kept', async () => {
    const text = 'async def f():\r\n    x = 1  # loopguard: ignore[cpu-loop-on-event-loop]\r\n    return x\r\n';
    const u = await unused('a.py', text);
    assert.equal(u.found.length, 1);
    assert.equal(u.fixed(), 'async def f():\r\n    x = 1\r\n    return x\r\n');
  });

  it('only the unused ids of a list are named and removed', async () => {
    const text = 'import time\n\nasync def f():\n    time.sleep(1)  # loopguard: ignore[race-across-await, blocking-call-in-async]\n';
    const u = await unused('a.py', text);
    assert.deepEqual(u.found.map((f) => [f.messageId, f.data]), [['unused', { rules: '`race-across-await`' }]]);
    assert.equal(u.fixed(), 'import time\n\nasync def f():\n    time.sleep(1)  # loopguard: ignore[blocking-call-in-async]\n');
  });

  it('an unknown id is `unknownRule`; removing it keeps the used id', async () => {
    const text = "import fs from 'node:fs';\nexport async function f() {\n  fs.readFileSync('a'); // loopguard-ignore-line blocking-call-in-async typo-rule\n}\n";
    const u = await unused('a.ts', text);
    assert.deepEqual(u.found.map((f) => [f.line, f.messageId, f.data]), [[2, 'unknownRule', { rule: 'typo-rule' }]]);
    assert.equal(u.fixed(), "import fs from 'node:fs';\nexport async function f() {\n  fs.readFileSync('a'); // loopguard-ignore-line blocking-call-in-async\n}\n");
  });

  it('a JS next-line directive on the last line, without a final line break', async () => {
    const text = 'export const a = 1;\n// loopguard-ignore-next-line blocking-call-in-async';
    const u = await unused('a.js', text);
    assert.equal(u.found.length, 1);
    assert.equal(u.fixed(), 'export const a = 1;');
  });

  it('a file directive, and a blanket line directive, that silence nothing', async () => {
    const text = '# loopguard: ignore-file[race-across-await]\nx = 1  # loopguard: ignore\n';
    const u = await unused('a.py', text);
    assert.deepEqual(u.found.map((f) => [f.line, f.data.rules]), [[0, '`race-across-await`'], [1, 'loopguard']]);
    assert.equal(u.fixed(0), 'x = 1  # loopguard: ignore\n');
    assert.equal(u.fixed(1), '# loopguard: ignore-file[race-across-await]\nx = 1\n');
  });

  it('fix-all removes them all, in passes, and leaves used directives alone', async () => {
    const engine = await sharedEngine();
    const text = 'import time\n\nasync def f():\n    time.sleep(1)  # loopguard: ignore[blocking-call-in-async, nope, race-across-await]\n    # loopguard: ignore-next-line[nope]\n    return 1\n';
    const { text: fixed } = fixAll(engine, { fileName: 'a.py', text }, config());
    assert.equal(fixed, 'import time\n\nasync def f():\n    time.sleep(1)  # loopguard: ignore[blocking-call-in-async]\n    return 1\n');
  });

  it('a directive for a rule switched off is not unused (it may be for when the rule is on)', async () => {
    const text = 'async def f():\n    x = 1  # loopguard: ignore[blocking-call-in-async]\n';
    assert.deepEqual((await unused('a.py', text, config({ 'blocking-call-in-async': 'off' }))).found, []);
    // a blanket directive needs every rule of the language to have run
    assert.deepEqual((await unused('a.py', 'x = 1  # loopguard: ignore\n', config({ 'race-across-await': 'off' }))).found, []);
  });

  it('a directive for a rule that does not run on this language is not judged', async () => {
    const u = await unused('a.ts', 'export const a = 1; // loopguard-ignore-line cpu-bound-work-in-thread-pool\n');
    // it did not run on TypeScript: the directive cannot be judged
    assert.deepEqual(u.found, []);
  });

  it('severity is configurable; "off" reports nothing', async () => {
    const text = 'x = 1  # loopguard: ignore[blocking-call-in-async]\n';
    assert.deepEqual((await unused('a.py', text, config({ 'unused-suppression': 'error' }))).found.map((f) => f.severity), ['error']);
    assert.deepEqual((await unused('a.py', text, config({ 'unused-suppression': 'off' }))).found, []);
  });

  it('is silenced like a rule, but a directive never silences its own finding', async () => {
    const silenced = '# loopguard: ignore-file[unused-suppression]\nx = 1  # loopguard: ignore[blocking-call-in-async]\n';
    assert.deepEqual((await unused('a.py', silenced)).found, []);
    const own = 'x = 1  # loopguard: ignore[blocking-call-in-async, unused-suppression]\n';
    // naming unused-suppression is a deliberate keep: not reported
    assert.deepEqual((await unused('a.py', own)).found, []);
  });

  it('a file with syntax errors is not judged (its findings may be hidden)', async () => {
    const text = 'async def f(:\n    x = 1  # loopguard: ignore[blocking-call-in-async]\n';
    const u = await unused('a.py', text);
    assert.ok(u.result.syntaxProblems.length > 0);
    assert.deepEqual(u.found, []);
  });

  it('a TS/JS reason after ` -- ` is not a rule id', async () => {
    const text = "import fs from 'node:fs';\nexport async function f() {\n  fs.readFileSync('a'); // loopguard-ignore-line blocking-call-in-async -- start-up only\n}\n";
    const u = await unused('a.ts', text);
    assert.deepEqual(u.found, []);
    assert.deepEqual(u.result.findings, []);
  });

  it('loopguard.rules accepts unused-suppression like a rule id', () => {
    const { settings, problems } = resolveSettings({ rules: { 'unused-suppression': 'info', 'no-such-rule': 'off' } });
    assert.equal(settings.rules['unused-suppression'], 'info');
    assert.equal(problems.length, 1);
    assert.match(problems[0], /no-such-rule/);
    assert.equal(toAnalysisConfig(settings).config.severities['unused-suppression'], 'info');
  });
});
