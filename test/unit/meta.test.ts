// Tests of the project's own consistency: every rule has docs (generated, not drifted), fixtures in
// every language it supports with negatives, docs examples that really behave as documented, and a
// catalogue that validates and whose every entry some fixture exercises.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { BUILTIN_CATALOGUES, validateCatalogueFile } from '../../server/src/engine/catalogue';
import { defaultAnalysisConfig } from '../../server/src/engine/config';
import { RULES } from '../../server/src/rules/registry';
import { DOCS_DIR, README, REQUIRED_HEADINGS, readmeWithTable, renderRuleDoc, ruleDocComment, RULES_SRC } from '../../scripts/docs';
import { FIXTURES_DIR, listFixtures, sharedEngine } from '../harness/fixtures';

const PY = new Set(['.py', '.pyi']);

describe('rules are registered, documented and tested', () => {
  for (const rule of RULES) {
    const id = rule.meta.id;
    describe(id, () => {
      it('has a kebab-case id matching its file', () => {
        assert.match(id, /^[a-z]+(-[a-z]+)+$/);
        assert.ok(fs.existsSync(path.join(RULES_SRC, `${id}.ts`)), `server/src/rules/${id}.ts`);
      });

      it('documents itself under the fixed headings, in order', () => {
        const doc = ruleDocComment(rule);
        let last = -1;
        for (const h of REQUIRED_HEADINGS) {
          const at = doc.indexOf(`## ${h}`);
          assert.ok(at > last, `heading "## ${h}" missing or out of order`);
          last = at;
        }
      });

      it('has generated docs that match its doc comment (npm run docs)', () => {
        const file = path.join(DOCS_DIR, `${id}.md`);
        assert.ok(fs.existsSync(file), `docs/rules/${id}.md is missing: run npm run docs`);
        assert.equal(fs.readFileSync(file, 'utf8'), renderRuleDoc(rule), 'docs drifted: run npm run docs');
      });

      it('has fixtures, with negatives, in every language it supports', () => {
        const files = fs.readdirSync(path.join(FIXTURES_DIR, id));
        const wanted = rule.meta.languages.map((l) => (l === 'python' ? (f: string) => PY.has(path.extname(f)) : (f: string) => /\.[cm]?[jt]sx?$/.test(f)));
        for (const [i, isLang] of wanted.entries()) {
          const lang = rule.meta.languages[i];
          assert.ok(files.some(isLang), `no ${lang} fixture`);
          assert.ok(files.some((f) => isLang(f) && f.includes('negative')), `no negative ${lang} fixture (a file named *negative*)`);
        }
      });

      it('behaves as its docs examples say', async () => {
        const engine = await sharedEngine();
        const doc = ruleDocComment(rule);
        const section = (name: string) => {
          const start = doc.indexOf(`## ${name}`);
          const next = doc.indexOf('\n## ', start + 3);
          return doc.slice(start, next < 0 ? undefined : next);
        };
        const blocks = (text: string) => [...text.matchAll(/```(\w+)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1], code: m[2] }));
        const fileFor = (lang: string) => (lang === 'python' ? 'example.py' : lang === 'js' ? 'example.js' : 'example.ts');
        const count = (b: { lang: string; code: string }) =>
          engine.analyse({ fileName: fileFor(b.lang), text: b.code }, defaultAnalysisConfig()).findings.filter((f) => f.rule === id).length;
        const bad = blocks(section('Example'));
        const good = blocks(section('Use instead'));
        assert.ok(bad.length > 0 && good.length > 0, 'examples missing');
        for (const b of bad) assert.ok(count(b) > 0, `Example (${b.lang}) is not reported:\n${b.code}`);
        for (const b of good) assert.equal(count(b), 0, `Use instead (${b.lang}) is reported:\n${b.code}`);
      });
    });
  }

  it('the README rule table is generated (npm run docs)', () => {
    const readme = fs.readFileSync(README, 'utf8');
    assert.equal(readme, readmeWithTable(readme), 'README rule table drifted: run npm run docs');
  });
});

describe('the API catalogue', () => {
  for (const [eco, file] of Object.entries(BUILTIN_CATALOGUES)) {
    it(`${eco} catalogue validates against rules/catalogue.schema.json`, () => {
      assert.deepEqual(validateCatalogueFile(file), []);
      const names = file.blocking.map((b) => b.name);
      assert.equal(new Set(names).size, names.length, 'duplicate entries');
    });
  }

  it('every entry is reported by some fixture', async () => {
    const engine = await sharedEngine();
    const reported = new Set<string>();
    for (const fx of listFixtures()) {
      const r = engine.analyse({ fileName: fx.file, text: fs.readFileSync(fx.file, 'utf8') }, defaultAnalysisConfig());
      for (const f of r.findings) {
        if (f.data.name) reported.add(f.data.name);
        if (f.data.api) reported.add(f.data.api);
      }
    }
    // a `module.*` cpuHeavy entry is exercised by any API of that module
    const exercised = (n: string) => reported.has(n) || (n.endsWith('.*') && [...reported].some((r) => r.startsWith(n.slice(0, -1))));
    const missing = Object.values(BUILTIN_CATALOGUES)
      .flatMap((c) => [...c.blocking.map((b) => b.name), ...(c.cpuHeavy ?? []).map((h) => h.name)])
      .filter((n) => !exercised(n));
    assert.deepEqual(missing, [], `catalogue entries no fixture exercises: ${missing.join(', ')}`);
  });
});
