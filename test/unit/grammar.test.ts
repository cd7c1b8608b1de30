// The suppression-comment grammar: its patterns (plain regexes, valid in both Oniguruma and JS here)
// find the directive and the rule ids in exactly the comments the engine honours.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';

const grammar = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'syntaxes', 'loopguard-suppression.tmLanguage.json'), 'utf8'));
const js = new RegExp(grammar.repository['js-directive'].match);
const py = new RegExp(grammar.repository['python-directive'].match);
const ruleId = new RegExp(grammar.repository['rule-id'].match, 'g');

describe('suppression grammar', () => {
  it('injects into line and block comments', () => {
    assert.equal(grammar.injectionSelector, 'L:comment.line, L:comment.block');
  });
  it('matches the TS/JS directives and their rule ids', () => {
    for (const [text, directive, ids] of [
      ['// loopguard-ignore-next-line blocking-call-in-async', 'loopguard-ignore-next-line', ['blocking-call-in-async']],
      ['// loopguard-ignore-line blocking-call-in-async, race-across-await', 'loopguard-ignore-line', ['blocking-call-in-async', 'race-across-await']],
      ['/* loopguard-ignore-file */', 'loopguard-ignore-file', []],
    ] as const) {
      const m = js.exec(text);
      assert.ok(m, text);
      assert.equal(m[1], directive);
      assert.deepEqual(m[2].match(ruleId) ?? [], ids);
    }
    assert.equal(js.exec('// loopguard is great'), null);
  });
  it('matches the Python directives and their rule ids', () => {
    for (const [text, directive, ids] of [
      ['# loopguard: ignore[blocking-call-in-async]', 'ignore', ['blocking-call-in-async']],
      ['# loopguard: ignore-next-line[blocking-call-in-async, race-across-await]', 'ignore-next-line', ['blocking-call-in-async', 'race-across-await']],
      ['# loopguard: ignore-file', 'ignore-file', []],
    ] as const) {
      const m = py.exec(text);
      assert.ok(m, text);
      assert.equal(m[3], directive);
      assert.deepEqual((m[5] ?? '').match(ruleId) ?? [], ids);
    }
  });
});
