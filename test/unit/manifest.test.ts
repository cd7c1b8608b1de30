// Keeps package.json's contributions in sync with the code (bash-language-server style): the
// settings VS Code shows are exactly the ones the server reads, with the same types and defaults;
// every command the client and server use is contributed; activation covers the languages served.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import catalogueSchema from '../../rules/catalogue.schema.json';
import { SETTINGS_SCHEMA } from '../../server/src/engine/config';
import { UNUSED_SUPPRESSION, UNUSED_SUPPRESSION_DEFAULT } from '../../server/src/engine/suppression';
import { loadFrontends } from '../../server/src/frontends';
import { COMMANDS, LANGUAGE_IDS } from '../../server/src/lsp/protocol';
import { RULES } from '../../server/src/rules/registry';

const ROOT = path.join(__dirname, '..', '..');

interface SettingSchema {
  type?: string;
  default?: unknown;
  scope?: string;
  enum?: unknown[];
  enumDescriptions?: string[];
  description?: string;
  markdownDescription?: string;
  properties?: Record<string, SettingSchema>;
  additionalProperties?: unknown;
  items?: SettingSchema;
}

interface Manifest {
  main?: string;
  activationEvents?: string[];
  contributes?: {
    configuration?: { title?: string; properties?: Record<string, SettingSchema> };
    commands?: Array<{ command: string; title: string; category?: string }>;
    menus?: { commandPalette?: Array<{ command: string; when?: string }> };
  };
}

const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Manifest;
const properties = manifest.contributes?.configuration?.properties ?? {};
const contributedCommands = manifest.contributes?.commands ?? [];

const TRACE = 'loopguard.trace.server';
const SEVERITIES = ['error', 'warning', 'info', 'hint', 'off'];

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('package.json contributes.configuration', () => {
  it('has exactly the server settings plus loopguard.trace.server', () => {
    const expected = [...Object.keys(SETTINGS_SCHEMA).map((k) => `loopguard.${k}`), TRACE].sort();
    assert.deepEqual(Object.keys(properties).sort(), expected);
  });

  for (const [key, schema] of Object.entries(SETTINGS_SCHEMA)) {
    it(`loopguard.${key} has the server's type and default`, () => {
      const p = properties[`loopguard.${key}`];
      assert.ok(p, `loopguard.${key} is not contributed`);
      assert.equal(p.type, schema.type);
      assert.deepEqual(p.default, schema.default);
    });
  }

  it('documents every setting with a description and a scope', () => {
    for (const [key, p] of Object.entries(properties)) {
      assert.ok((p.markdownDescription ?? p.description ?? '').length > 10, `${key} has no description`);
      assert.ok(['application', 'machine', 'machine-overridable', 'window', 'resource', 'language-overridable'].includes(p.scope ?? ''), `${key} has no valid scope`);
      if (p.enum && p.enumDescriptions) assert.equal(p.enumDescriptions.length, p.enum.length, `${key}: one description per enum value`);
    }
  });

  it('loopguard.trace.server is what vscode-languageclient reads for client id "loopguard"', () => {
    const p = properties[TRACE];
    assert.equal(p.type, 'string');
    assert.deepEqual(p.enum, ['off', 'messages', 'verbose']);
    assert.equal(p.default, 'off');
  });

  it('loopguard.rules lists every rule with the severities and its default', () => {
    const rules = properties['loopguard.rules'];
    assert.deepEqual(Object.keys(rules.properties ?? {}).sort(), [...RULES.map((r) => r.meta.id), UNUSED_SUPPRESSION].sort());
    assert.equal(rules.additionalProperties, false, 'an unknown rule id should be flagged in settings.json');
    for (const rule of RULES) {
      const p = rules.properties?.[rule.meta.id];
      assert.deepEqual(p?.enum, SEVERITIES, rule.meta.id);
      assert.equal(p?.enumDescriptions?.length, SEVERITIES.length, `${rule.meta.id}: one description per severity`);
      assert.equal(p?.default, rule.meta.defaultSeverity, rule.meta.id);
    }
    const unused = rules.properties?.[UNUSED_SUPPRESSION];
    assert.deepEqual(unused?.enum, SEVERITIES);
    assert.equal(unused?.default, UNUSED_SUPPRESSION_DEFAULT);
  });

  it('loopguard.blockingApis items mirror the catalogue schema entry (plus "language")', () => {
    const items = properties['loopguard.blockingApis'].items;
    const entry = catalogueSchema.definitions.blockingApi.properties;
    assert.deepEqual(Object.keys(items?.properties ?? {}).sort(), [...Object.keys(entry), 'language'].sort());
    assert.deepEqual(items?.properties?.category.enum, entry.category.enum);
    assert.deepEqual(items?.properties?.when.enum, entry.when.enum);
    const fix = catalogueSchema.definitions.fix.properties;
    const fixItems = items?.properties?.fixes.items;
    assert.deepEqual(Object.keys(fixItems?.properties ?? {}).sort(), Object.keys(fix).sort());
    assert.deepEqual(fixItems?.properties?.kind.enum, fix.kind.enum);
  });
});

describe('package.json commands and activation', () => {
  it('contributes exactly the commands in COMMANDS, under the Loopguard category', () => {
    assert.deepEqual(contributedCommands.map((c) => c.command).sort(), Object.values(COMMANDS).sort());
    for (const c of contributedCommands) {
      assert.equal(c.category, 'Loopguard', c.command);
      assert.ok(c.title.length > 0, c.command);
    }
  });

  it('"Fix all auto-fixable problems" is in the palette exactly when a served language\'s editor is active', () => {
    const fixAll = contributedCommands.find((c) => c.command === COMMANDS.executeAutofix);
    assert.equal(`${fixAll?.category}: ${fixAll?.title}`, 'Loopguard: Fix all auto-fixable problems');
    const when = manifest.contributes?.menus?.commandPalette?.find((m) => m.command === COMMANDS.executeAutofix)?.when ?? '';
    const m = /^editorLangId =~ \/(.*)\/$/.exec(when);
    assert.ok(m, when);
    const re = new RegExp(m[1]);
    for (const id of LANGUAGE_IDS) assert.ok(re.test(id), id);
    for (const id of ['markdown', 'json', 'typescriptx', 'pythonx']) assert.ok(!re.test(id), id);
  });

  it('every loopguard.* id written in the client or the server is a contributed command or setting', () => {
    const known = new Set([...contributedCommands.map((c) => c.command), ...Object.keys(properties), 'loopguard.status']);
    const files = [...sourceFiles(path.join(ROOT, 'client', 'src')), ...sourceFiles(path.join(ROOT, 'server', 'src', 'lsp'))];
    assert.ok(files.length > 0);
    for (const file of files) {
      for (const m of fs.readFileSync(file, 'utf8').matchAll(/['"`](loopguard\.[A-Za-z][\w.]*)['"`]/g)) {
        assert.ok(known.has(m[1]), `${path.relative(ROOT, file)} uses ${m[1]}, which package.json does not contribute`);
      }
    }
  });

  it('activates on the languages the client serves, which are the front ends\' languages', async () => {
    assert.equal(manifest.main, './dist/client.js');
    assert.deepEqual(manifest.activationEvents, LANGUAGE_IDS.map((l) => `onLanguage:${l}`));
    const served = (await loadFrontends()).flatMap((f) => [...f.languageIds]);
    assert.deepEqual([...LANGUAGE_IDS].sort(), served.sort());
  });
});
