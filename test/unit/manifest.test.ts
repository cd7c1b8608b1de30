// Keeps package.json's contributions in sync with the code (bash-language-server style): the
// settings VS Code shows are exactly the ones the server reads, with the same types and defaults;
// every command the client and server use is contributed; activation covers the languages served;
// and no setting that could point at a file, folder or command escapes Restricted Mode unlisted.

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
  format?: string;
}

interface Manifest {
  main?: string;
  capabilities?: { untrustedWorkspaces?: { supported?: boolean | 'limited'; restrictedConfigurations?: string[]; description?: string } };
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

/**
 * Every setting, with why a workspace may set it even in Restricted Mode (an untrusted workspace): none
 * of these names a file, folder, command or program for Loopguard to read, load or run. A setting that
 * does goes in `capabilities.untrustedWorkspaces.restrictedConfigurations` instead (VS Code then
 * ignores the workspace's value in Restricted Mode). A new setting fails the test below until it is put
 * in one of the two, so the decision is made when the setting is added.
 */
const WORKSPACE_SAFE_SETTINGS: Record<string, string> = {
  'loopguard.enable': 'a boolean',
  'loopguard.rules': 'severities by rule id',
  'loopguard.blockingApis': 'catalogue entries: API names and the names of their replacements, written into fixes as text',
  'loopguard.cpuHeavyApis': 'catalogue entries: API names',
  'loopguard.maxFileSize': 'a number',
  'loopguard.skipGenerated': 'a boolean',
  'loopguard.timeBudgetMs': 'a number',
  'loopguard.trace.server': 'an enum',
  'loopguard.cpuLoopThreshold': 'a number',
  'loopguard.pythonFreeThreaded': 'a boolean about the interpreter; names none',
  'loopguard.overrides': 'globs selecting workspace files that get other severities; nothing is read or run from them',
  'loopguard.workspaceDiagnostics': 'a boolean',
  'loopguard.configurationPreference': 'an enum',
  'loopguard.testFiles': 'globs selecting workspace files as test code (fewer findings there); nothing is read or run from them',
};

/**
 * Settings whose name says "files" but whose value is globs matched against workspace paths: the name
 * check does not apply to them, the description check still does, and they must be arrays of strings.
 */
const GLOB_LIST_SETTINGS: readonly string[] = ['loopguard.testFiles'];

const PATH_LIKE_NAME = /(Path|Paths|File|Files|Dir|Dirs|Directory|Folder|Command|Cmd|Executable|Exe|Interpreter|Binary|Script|Program|Cwd|Url|Uri|Module|Plugin|Plugins)$/;
const PATH_LIKE_TEXT = [
  /\b(path|location|file name) (to|of)\b/i,
  /\b(file|folder|directory) (path|name|location)\b/i,
  /\b(command|executable|interpreter|binary|script|program)s? (to run|that runs|path|file)\b/i,
  /\b(runs?|executes?|spawns?|starts?|launch(es)?)\b[^.;]{0,40}\b(command|executable|interpreter|binary|script|program|process)\b/i,
  /\b(load(s|ed)?|require(s|d)?|import(s|ed)?)\b[^.;]{0,30}\b(module|plugin|file|script)s?\b/i,
  /\b(module|plugin|file|script)s?\b[^.;]{0,30}\b(load(s|ed)?|required|imported|run|executed)\b/i,
];

/** Why a setting looks like it points at a file, folder, command or program; undefined when it does not. */
function pathLike(key: string, schema: SettingSchema): string | undefined {
  const globList = GLOB_LIST_SETTINGS.includes(key) && schema.type === 'array' && schema.items?.type === 'string';
  if (PATH_LIKE_NAME.test(key) && !globList) return `its name ${key}`;
  const texts: string[] = [];
  const walk = (s: SettingSchema | undefined): string | undefined => {
    if (!s) return undefined;
    if (s.format !== undefined && ['uri', 'uri-reference', 'path'].includes(s.format)) return `format ${s.format}`;
    texts.push(s.description ?? '', s.markdownDescription ?? '', ...(s.enumDescriptions ?? []));
    for (const child of Object.values(s.properties ?? {})) {
      const why = walk(child);
      if (why) return why;
    }
    return walk(s.items);
  };
  const why = walk(schema);
  if (why) return why;
  for (const text of texts) {
    const re = PATH_LIKE_TEXT.find((r) => r.test(text));
    if (re) return `its description "${text.slice(0, 80)}" (${re.source})`;
  }
  return undefined;
}

describe('package.json: untrusted workspaces', () => {
  const untrusted = manifest.capabilities?.untrustedWorkspaces;
  const restricted = untrusted?.restrictedConfigurations ?? [];

  it('every setting is either safe to take from an untrusted workspace (with the reason) or restricted', () => {
    for (const key of Object.keys(properties)) {
      const safe = key in WORKSPACE_SAFE_SETTINGS;
      assert.ok(safe !== restricted.includes(key), `${key}: list it in WORKSPACE_SAFE_SETTINGS (why a workspace may set it) or in restrictedConfigurations — exactly one`);
    }
    for (const key of [...Object.keys(WORKSPACE_SAFE_SETTINGS), ...restricted]) assert.ok(key in properties, `${key} is not a contributed setting`);
  });

  it('a setting that points at a file, folder, command or program is restricted', () => {
    for (const [key, schema] of Object.entries(properties)) {
      const why = pathLike(key, schema);
      if (why) assert.ok(restricted.includes(key) && !(key in WORKSPACE_SAFE_SETTINGS), `${key} looks like it points at a file or command (${why}): restrict it`);
    }
  });

  it('recognises settings that point at files or commands (the check above can fail)', () => {
    const flagged: Array<[string, SettingSchema]> = [
      ['loopguard.pythonPath', { type: 'string', markdownDescription: 'The Python to use.' }],
      ['loopguard.serverCommand', { type: 'array' }],
      ['loopguard.extraCatalogue', { type: 'string', markdownDescription: 'Path to a catalogue file.' }],
      ['loopguard.helper', { type: 'string', description: 'The executable that runs the analysis.' }],
      ['loopguard.extensions', { type: 'array', markdownDescription: 'Extra rules: modules loaded at start.' }],
      ['loopguard.schema', { type: 'string', format: 'uri' }],
      ['loopguard.tools', { type: 'object', properties: { node: { type: 'string', description: 'The file path of node.' } } }],
    ];
    for (const [key, schema] of flagged) assert.ok(pathLike(key, schema), key);
    // the glob-list exemption covers arrays of globs only, not a string that could be a path
    assert.ok(pathLike('loopguard.testFiles', { type: 'string', markdownDescription: 'Globs of test code.' }), 'loopguard.testFiles as a string');
    for (const key of Object.keys(WORKSPACE_SAFE_SETTINGS)) assert.equal(pathLike(key, properties[key]), undefined, key);
  });

  it('declares its support for untrusted workspaces, "limited" exactly when settings are restricted', () => {
    // VS Code reads restrictedConfigurations only with `supported: "limited"` (its manifest schema)
    assert.equal(untrusted?.supported, restricted.length > 0 ? 'limited' : true);
  });
});
