// The configuration model: project-file discovery (nearest directory, order within one, no merging),
// parsing of loopguard.json, pyproject.toml [tool.loopguard] and package.json "loopguard", the
// mtime cache, globs, overrides per file, precedence against editor settings
// (configurationPreference), user catalogue entries, and malformed files — whose messages must name
// the file and the JSON pointer (asserted here; the prose after them is not).

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { configForFile, DEFAULT_TEST_FILES, resolveSettings, type Settings } from '../../server/src/engine/config';
import {
  CONFIGURABLE_RULE_IDS,
  OVERRIDE_SCHEMA,
  PROJECT_FILE_NAMES,
  findProjectConfig,
  forgetProjectFile,
  globProblem,
  matchesAny,
  readProjectFile,
  type ProjectConfig,
} from '../../server/src/engine/project-config';
import { PROJECT_FILE_GLOB } from '../../server/src/lsp/protocol';
import catalogueSchema from '../../rules/catalogue.schema.json';
import manifest from '../../package.json';
import { writeTree } from '../harness/files';

const RULE = 'blocking-call-in-async';
const CPU = 'cpu-loop-on-event-loop';

const tree = (files: Record<string, string>): string => writeTree('loopguard-config-', files);

function editor(raw: Record<string, unknown> = {}): Settings {
  const { settings, problems } = resolveSettings(raw);
  assert.deepEqual(problems, []);
  return settings;
}

/** The problems as `[file, pointer]` pairs: what a message must name, whatever its prose says. */
function located(config: ProjectConfig | undefined): Array<[string, string]> {
  assert.ok(config, 'a project file was found');
  return config.problems.map((p) => {
    const m = /^(.*?)(?::(\d+:\d+)|: (\/[^:]*|\/)):/.exec(p);
    assert.ok(m, `"${p}" starts with the file and a pointer or line:column`);
    return [path.basename(m[1]), m[2] ?? m[3]];
  });
}

describe('project file discovery', () => {
  it('finds the nearest directory with a project file, and does not merge files further up', () => {
    const dir = tree({
      'loopguard.json': JSON.stringify({ rules: { [RULE]: 'error' } }),
      'pkg/package.json': JSON.stringify({ name: 'pkg', loopguard: { rules: { [CPU]: 'off' } } }),
      'pkg/src/a.ts': '',
      'other/b.ts': '',
    });
    const inner = findProjectConfig(path.join(dir, 'pkg', 'src', 'a.ts'));
    assert.equal(inner?.file, path.join(dir, 'pkg', 'package.json'));
    assert.deepEqual(inner?.data, { rules: { [CPU]: 'off' } });
    assert.equal(findProjectConfig(path.join(dir, 'other', 'b.ts'))?.file, path.join(dir, 'loopguard.json'));
    // no merging: the inner file's configuration does not include the outer rule
    const fc = configForFile({ fileName: path.join(dir, 'pkg', 'src', 'a.ts'), settings: editor(), settingsBase: undefined, project: inner });
    assert.equal(fc.config.severities[RULE], 'warning');
    assert.equal(fc.config.severities[CPU], 'off');
  });

  it('takes loopguard.json, then pyproject.toml, then package.json within one directory', () => {
    const all = tree({
      'loopguard.json': '{}',
      'pyproject.toml': '[tool.loopguard]\n',
      'package.json': '{"loopguard": {}}',
    });
    assert.equal(findProjectConfig(path.join(all, 'x.py'))?.file, path.join(all, 'loopguard.json'));
    const two = tree({ 'pyproject.toml': '[tool.loopguard]\n', 'package.json': '{"loopguard": {}}' });
    assert.equal(findProjectConfig(path.join(two, 'x.py'))?.file, path.join(two, 'pyproject.toml'));
  });

  it('walks past a pyproject.toml without [tool.loopguard] and a package.json without "loopguard"', () => {
    const dir = tree({
      'pyproject.toml': '[tool.loopguard]\ncpuLoopThreshold = 5000\n',
      'app/pyproject.toml': '[tool.ruff]\nline-length = 100\n',
      'app/package.json': '{"name": "app"}',
      'app/m.py': '',
    });
    const found = findProjectConfig(path.join(dir, 'app', 'm.py'));
    assert.equal(found?.file, path.join(dir, 'pyproject.toml'));
    assert.deepEqual(found?.data, { cpuLoopThreshold: 5000 });
  });

  it('reads dotted TOML keys and sub-tables of [tool.loopguard]', () => {
    const dir = tree({
      'pyproject.toml': [
        '[project]',
        'name = "x"',
        '',
        '[tool.loopguard]',
        'exclude = ["migrations"]',
        'pythonFreeThreaded = true',
        '',
        '[tool.loopguard.rules]',
        `"${RULE}" = "error"`,
        '',
        '[[tool.loopguard.overrides]]',
        'files = ["tests/**"]',
        `rules = { "${RULE}" = "off" }`,
        '',
      ].join('\n'),
    });
    assert.deepEqual(findProjectConfig(path.join(dir, 'a.py'))?.data, {
      exclude: ['migrations'],
      pythonFreeThreaded: true,
      rules: { [RULE]: 'error' },
      overrides: [{ files: ['tests/**'], rules: { [RULE]: 'off' } }],
    });
  });

  it('finds nothing for relative paths and where no directory has a project file', () => {
    assert.equal(findProjectConfig('relative/x.py'), undefined);
    const dir = tree({ 'package.json': '{"name": "p"}' });
    // the temporary directory's ancestors have no project file on a clean machine
    assert.equal(findProjectConfig(path.join(dir, 'x.ts')), undefined);
  });

  it('re-reads a file when it changes on disk, and hands out the cached one while it does not', () => {
    const dir = tree({ 'loopguard.json': JSON.stringify({ rules: { [RULE]: 'error' } }) });
    const file = path.join(dir, 'a.py');
    const first = findProjectConfig(file);
    assert.equal(findProjectConfig(file), first, 'unchanged: the same object');
    fs.writeFileSync(path.join(dir, 'loopguard.json'), JSON.stringify({ rules: { [RULE]: 'hint', [CPU]: 'off' } }));
    // a different size is a change even within the mtime's resolution
    assert.deepEqual(findProjectConfig(file)?.data, { rules: { [RULE]: 'hint', [CPU]: 'off' } });
    fs.rmSync(path.join(dir, 'loopguard.json'));
    assert.equal(findProjectConfig(file), undefined);
  });

  it('forgetProjectFile drops a cached file whose stamp did not move', () => {
    const dir = tree({ 'loopguard.json': JSON.stringify({ rules: { [RULE]: 'error' } }) });
    const cfg = path.join(dir, 'loopguard.json');
    const before = fs.statSync(cfg);
    assert.equal(findProjectConfig(path.join(dir, 'a.py'))?.data?.rules?.[RULE], 'error');
    fs.writeFileSync(cfg, JSON.stringify({ rules: { [RULE]: 'hint!' } }).replace('hint!', 'info '));
    fs.utimesSync(cfg, before.atime, before.mtime);
    forgetProjectFile(cfg);
    assert.equal(findProjectConfig(path.join(dir, 'a.py'))?.data?.rules?.[RULE], undefined, 'the padded value is not a severity');
  });

  it('the client watches exactly the project file names', () => {
    assert.equal(PROJECT_FILE_GLOB, `**/{${PROJECT_FILE_NAMES.join(',')}}`);
  });
});

describe('malformed project files', () => {
  it('bad JSON: the file, line and column; the file is ignored as a whole', () => {
    const dir = tree({ 'loopguard.json': '{\n  "rules": {,}\n}\n' });
    const cfg = findProjectConfig(path.join(dir, 'a.py'));
    assert.deepEqual(located(cfg), [['loopguard.json', '2:13']]);
    assert.equal(cfg?.data, undefined);
    const fc = configForFile({ fileName: path.join(dir, 'a.py'), settings: editor(), settingsBase: undefined, project: cfg });
    assert.equal(fc.projectFile, undefined);
    assert.equal(fc.config.severities[RULE], 'warning');
  });

  it('bad TOML in a pyproject.toml that has our table is reported; without it, the file is not ours', () => {
    const ours = tree({ 'pyproject.toml': '[tool.loopguard]\nrules = { a = \n' });
    assert.deepEqual(located(findProjectConfig(path.join(ours, 'a.py'))).map(([f]) => f), ['pyproject.toml']);
    assert.match(findProjectConfig(path.join(ours, 'a.py'))?.problems[0] ?? '', /pyproject\.toml:\d+:\d+: invalid TOML/);
    const theirs = tree({ 'pyproject.toml': '[tool.black\nline-length = 1\n' });
    assert.equal(findProjectConfig(path.join(theirs, 'a.py')), undefined);
  });

  it('a package.json that does not parse is ours only when it visibly has a "loopguard" key', () => {
    const ours = tree({ 'package.json': '{"name": "x", "loopguard": {"rules": }}' });
    assert.deepEqual(located(findProjectConfig(path.join(ours, 'a.ts'))).map(([f]) => f), ['package.json']);
    const theirs = tree({ 'package.json': '{"name": ' });
    assert.equal(findProjectConfig(path.join(theirs, 'a.ts')), undefined);
  });

  it('schema errors: each names the JSON pointer of the offending value', () => {
    const dir = tree({
      'loopguard.json': JSON.stringify({
        rules: { [RULE]: 'loud', 'no-such-rule': 'off' },
        overrides: [{ rules: {} }, { files: 'tests/**' }],
        cpuLoopThreshold: -5,
        colour: 'blue',
      }),
    });
    assert.deepEqual(located(findProjectConfig(path.join(dir, 'a.py'))).sort(), [
      ['loopguard.json', '/colour'],
      ['loopguard.json', '/cpuLoopThreshold'],
      ['loopguard.json', '/overrides/0/files'],
      ['loopguard.json', '/overrides/1/files'],
      ['loopguard.json', `/rules/${RULE}`],
      ['loopguard.json', '/rules/no-such-rule'],
    ]);
  });

  it('pointers in a pyproject.toml start at /tool/loopguard, in a package.json at /loopguard', () => {
    const py = tree({ 'pyproject.toml': '[tool.loopguard]\npythonFreeThreaded = "yes"\n' });
    assert.deepEqual(located(findProjectConfig(path.join(py, 'a.py'))), [['pyproject.toml', '/tool/loopguard/pythonFreeThreaded']]);
    const pkg = tree({ 'package.json': JSON.stringify({ loopguard: { rules: { nope: 'off' } } }) });
    assert.deepEqual(located(findProjectConfig(path.join(pkg, 'a.ts'))), [['package.json', '/loopguard/rules/nope']]);
    const notTable = tree({ 'package.json': JSON.stringify({ loopguard: ['x'] }) });
    assert.deepEqual(located(findProjectConfig(path.join(notTable, 'a.ts'))), [['package.json', '/loopguard']]);
  });

  it('bad globs: absolute, backslashes, .. segments — each at its pointer', () => {
    const dir = tree({
      'loopguard.json': JSON.stringify({ exclude: ['/abs/**', 'ok/**'], overrides: [{ files: ['src\\\\x.py', '../up/**'], excludeFiles: ['C:/x'] }] }),
    });
    assert.deepEqual(located(findProjectConfig(path.join(dir, 'a.py'))), [
      ['loopguard.json', '/exclude/0'],
      ['loopguard.json', '/overrides/0/files/0'],
      ['loopguard.json', '/overrides/0/files/1'],
      ['loopguard.json', '/overrides/0/excludeFiles/0'],
    ]);
    assert.equal(globProblem('tests/**/*.py'), undefined);
    assert.notEqual(globProblem('../x'), undefined);
  });

  it('invalid catalogue entries are reported at their index and reject the file', () => {
    const dir = tree({
      'loopguard.json': JSON.stringify({
        blockingApis: [{ name: 'mylib.fetch_sync', advice: 'use `await mylib.fetch`' }, { name: 'mylib.x' }],
        cpuHeavyApis: [{ name: 'mylib.render' }, { name: 'mylib.y', fast: true }, 'numpy.*'],
      }),
    });
    assert.deepEqual(located(findProjectConfig(path.join(dir, 'a.py'))), [
      ['loopguard.json', '/blockingApis/1'],
      ['loopguard.json', '/cpuHeavyApis/1'],
      ['loopguard.json', '/cpuHeavyApis/2'],
    ]);
  });

  it('--config style reading: a pyproject.toml without the table is a problem, not silence', () => {
    const dir = tree({ 'pyproject.toml': '[project]\nname = "x"\n', 'missing-dir/.keep': '' });
    assert.deepEqual(located(readProjectFile(path.join(dir, 'pyproject.toml'), true)), [['pyproject.toml', '/tool/loopguard']]);
    assert.equal(readProjectFile(path.join(dir, 'pyproject.toml')), undefined);
    assert.equal(readProjectFile(path.join(dir, 'nope.json'), true)?.problems.length, 1);
  });
});

describe('globs', () => {
  const cases: Array<[string, string[], boolean]> = [
    ['tests/test_a.py', ['tests/**'], true],
    ['tests/unit/test_a.py', ['tests/**'], true],
    ['src/tests.py', ['tests/**'], false],
    ['src/a.py', ['tests'], false],
    ['tests/unit/a.py', ['tests'], true], // a folder covers what is inside it
    ['a/b/generated/x.ts', ['generated'], true], // no slash: at any depth
    ['pkg/conftest.py', ['conftest.py'], true],
    ['stubs/x.pyi', ['*.pyi'], true],
    ['.github/scripts/x.js', ['.github/**'], true], // dot folders count
    ['src/a.ts', ['src/*.ts'], true],
    ['src/deep/a.ts', ['src/*.ts'], false],
    ['src/a.ts', ['src/{a,b}.ts'], true],
    ['src/a.ts', [], false],
  ];
  for (const [file, globs, expected] of cases) {
    it(`${JSON.stringify(globs)} ${expected ? 'matches' : 'does not match'} ${file}`, () => {
      assert.equal(matchesAny(file, globs), expected);
    });
  }
});

describe('configuration of one file', () => {
  const dir = tree({
    'loopguard.json': JSON.stringify({
      // these cases are about overrides under tests/: the test-file default is in its own describe below
      testFiles: [],
      rules: { [RULE]: 'error' },
      cpuLoopThreshold: 5000,
      exclude: ['vendor/**'],
      overrides: [
        { files: ['tests/**'], excludeFiles: ['tests/integration/**'], rules: { [RULE]: 'off' } },
        { files: ['tests/slow/**'], rules: { [RULE]: 'hint' }, cpuLoopThreshold: 10 },
      ],
    }),
  });
  const project = findProjectConfig(path.join(dir, 'x.py'));
  const at = (rel: string, settings: Settings = editor(), settingsBase?: string) =>
    configForFile({ fileName: path.join(dir, ...rel.split('/')), settings, settingsBase, project });

  it('applies the base settings, then matching overrides in order', () => {
    assert.equal(at('src/a.py').config.severities[RULE], 'error');
    assert.equal(at('src/a.py').config.options.cpuLoopThreshold, 5000);
    assert.equal(at('tests/test_a.py').config.severities[RULE], 'off');
    assert.equal(at('tests/integration/test_b.py').config.severities[RULE], 'error', 'excludeFiles');
    assert.equal(at('tests/slow/test_c.py').config.severities[RULE], 'hint', 'the later override wins');
    assert.equal(at('tests/slow/test_c.py').config.options.cpuLoopThreshold, 10);
    assert.equal(at('src/a.py').projectFile, path.join(dir, 'loopguard.json'));
  });

  it('exclude marks files as not analysed', () => {
    assert.equal(at('vendor/lib/x.py').excludedBy, path.join(dir, 'loopguard.json'));
    assert.equal(at('src/a.py').excludedBy, undefined);
  });

  it('editorFirst (default): editor settings win where both set a rule; defaults count as unset', () => {
    const fc = at('src/a.py', editor({ rules: { [RULE]: 'info' }, cpuLoopThreshold: 100_000 }));
    assert.equal(fc.config.severities[RULE], 'info');
    assert.equal(fc.config.options.cpuLoopThreshold, 5000, 'the editor value equals the default: the project file speaks');
    assert.equal(at('src/a.py', editor({ cpuLoopThreshold: 7 })).config.options.cpuLoopThreshold, 7);
    // the editor's rule wins over the project file's override too
    assert.equal(at('tests/test_a.py', editor({ rules: { [RULE]: 'info' } })).config.severities[RULE], 'info');
  });

  it('filesystemFirst: the project file wins where both set something', () => {
    const s = editor({ configurationPreference: 'filesystemFirst', rules: { [RULE]: 'info', [CPU]: 'error' }, cpuLoopThreshold: 7 });
    const fc = at('src/a.py', s);
    assert.equal(fc.config.severities[RULE], 'error');
    assert.equal(fc.config.severities[CPU], 'error', 'only the editor sets it');
    assert.equal(fc.config.options.cpuLoopThreshold, 5000);
  });

  it('editorOnly: the project file is ignored, exclude included', () => {
    const s = editor({ configurationPreference: 'editorOnly' });
    assert.equal(at('src/a.py', s).config.severities[RULE], 'warning');
    assert.equal(at('vendor/x.py', s).excludedBy, undefined);
    assert.equal(at('src/a.py', s).projectFile, undefined);
  });

  it('editor overrides are relative to the settings base (the workspace folder)', () => {
    const s = editor({ overrides: [{ files: ['src/**'], rules: { [CPU]: 'hint' } }] });
    assert.equal(at('src/a.py', s, dir).config.severities[CPU], 'hint');
    assert.equal(at('src/a.py', s, path.join(dir, 'src')).config.severities[CPU], 'warning', 'relative to another folder: no match');
    assert.equal(at('src/a.py', s, undefined).config.severities[CPU], 'warning', 'no folder: editor overrides do not apply');
  });

  it('files of one configuration share one AnalysisConfig object', () => {
    assert.equal(at('src/a.py').config, at('src/b/c.py').config);
  });
});

describe('catalogue entries from settings and project files', () => {
  it('project-file and editor entries both reach the catalogue; the editor wins on the same name by default', () => {
    const dir = tree({
      'loopguard.json': JSON.stringify({
        blockingApis: [
          { name: 'mylib.fetch_sync', advice: 'use the project advice', language: 'python' },
          { name: 'time.sleep', enabled: false },
        ],
        cpuHeavyApis: [{ name: 'mylib.render', language: 'python' }, { name: 'numpy.*', enabled: false }],
      }),
    });
    const project = findProjectConfig(path.join(dir, 'a.py'));
    const s = editor({ blockingApis: [{ name: 'mylib.fetch_sync', advice: 'use the editor advice', language: 'python' }] });
    const { catalogue } = configForFile({ fileName: path.join(dir, 'a.py'), settings: s, settingsBase: undefined, project }).config;
    assert.equal(catalogue.python.lookup('mylib.fetch_sync')?.advice, 'use the editor advice');
    assert.equal(catalogue.python.lookup('time.sleep'), undefined);
    assert.equal(catalogue.node.lookup('mylib.fetch_sync'), undefined, 'language: python only');
    assert.equal(catalogue.python.cpuHeavy('mylib.render')?.name, 'mylib.render');
    assert.equal(catalogue.python.cpuHeavy('numpy.linalg.svd'), undefined, 'numpy.* switched off');
    const filesystemFirst = configForFile({
      fileName: path.join(dir, 'a.py'),
      settings: { ...s, configurationPreference: 'filesystemFirst' },
      settingsBase: undefined,
      project,
    }).config.catalogue;
    assert.equal(filesystemFirst.python.lookup('mylib.fetch_sync')?.advice, 'use the project advice');
  });

  it('loopguard.cpuHeavyApis and loopguard.overrides in settings: invalid values are named and dropped', () => {
    const { settings, problems } = resolveSettings({
      cpuHeavyApis: [{ name: 'mylib.render' }, { releasesGil: true }],
      overrides: [{ files: ['/abs'] }],
      configurationPreference: 'projectFirst',
    });
    assert.deepEqual(settings.cpuHeavyApis, [{ name: 'mylib.render' }]);
    assert.deepEqual(settings.overrides, []);
    assert.equal(settings.configurationPreference, 'editorFirst');
    assert.deepEqual(
      problems.map((p) => p.split(/[ :]/)[0]),
      ['loopguard.cpuHeavyApis[1]', 'loopguard.overrides[0].files[0]', 'loopguard.configurationPreference'],
    );
  });
});

describe('package.json settings of the configuration model', () => {
  const props = manifest.contributes.configuration.properties;

  it('loopguard.overrides items have the project schema\'s keys and every configurable rule id', () => {
    const items = props['loopguard.overrides'].items;
    assert.deepEqual(Object.keys(items.properties).sort(), Object.keys(OVERRIDE_SCHEMA.properties).sort());
    assert.deepEqual(items.required, OVERRIDE_SCHEMA.required);
    assert.deepEqual(Object.keys(items.properties.rules.properties).sort(), [...CONFIGURABLE_RULE_IDS].sort());
  });

  it('loopguard.cpuHeavyApis items are the catalogue\'s cpuHeavy entry plus "language" and "enabled"', () => {
    const items = props['loopguard.cpuHeavyApis'].items;
    assert.deepEqual(Object.keys(items.properties).sort(), [...Object.keys(catalogueSchema.properties.cpuHeavy.items.properties), 'enabled', 'language'].sort());
  });

  it('loopguard.configurationPreference lists the three values', () => {
    assert.deepEqual(props['loopguard.configurationPreference'].enum, ['editorFirst', 'filesystemFirst', 'editorOnly']);
  });

  it('a project file may set unused-suppression like loopguard.rules', () => {
    const dir = tree({ 'loopguard.json': JSON.stringify({ rules: { 'unused-suppression': 'off' } }) });
    const project = findProjectConfig(path.join(dir, 'a.py'));
    assert.deepEqual(project?.problems, []);
    const fc = configForFile({ fileName: path.join(dir, 'a.py'), settings: editor(), settingsBase: undefined, project });
    assert.equal(fc.config.severities['unused-suppression'], 'off');
  });
});

describe('test files: blocking and CPU-loop findings off by default', () => {
  const RACE = 'race-across-await';
  const SHARED = 'unsynchronized-shared-state';
  const dir = tree({});
  /** `settingsBase` null: no workspace folder */
  const at = (rel: string, settings: Settings = editor(), project?: ProjectConfig, settingsBase: string | null = dir) =>
    configForFile({ fileName: path.join(dir, ...rel.split('/')), settings, settingsBase: settingsBase ?? undefined, project }).config.severities;

  for (const [rel, isTest] of [
    ['test/x.ts', true],
    ['src/a.test.ts', true],
    ['pkg/tests/t.py', true],
    ['conftest.py', true],
    ['pkg/conftest.py', true],
    ['src/__tests__/a.js', true],
    ['src/__mocks__/fs.js', true],
    ['web/a.spec.mjs', true],
    ['pkg/test_io.py', true],
    ['pkg/io_test.py', true],
    ['src/latest/x.ts', false],
    ['contest.py', false],
    ['src/attest.py', false],
    ['testing/a.js', false],
    ['src/test_utils/x.py', false],
  ] as const) {
    it(`${rel} ${isTest ? 'is' : 'is not'} a test file by default`, () => {
      assert.equal(matchesAny(rel, DEFAULT_TEST_FILES), isTest);
      const sev = at(rel);
      assert.equal(sev[RULE], isTest ? 'off' : 'warning');
      assert.equal(sev[CPU], isTest ? 'off' : 'warning');
      // races and shared state still run in tests: they are flakiness there
      assert.equal(sev[RACE], at('src/app.ts')[RACE]);
      assert.notEqual(sev[RACE], 'off');
      assert.notEqual(sev[SHARED], 'off');
    });
  }

  it('loopguard.rules does not re-enable the rules in test files; an override matching the file does', () => {
    assert.equal(at('test/x.ts', editor({ rules: { [RULE]: 'error' } }))[RULE], 'off');
    assert.equal(at('src/x.ts', editor({ rules: { [RULE]: 'error' } }))[RULE], 'error');
    const s = editor({ rules: { [RULE]: 'error' }, overrides: [{ files: ['test/e2e/**'], rules: { [RULE]: 'info' } }] });
    assert.equal(at('test/e2e/a.ts', s)[RULE], 'info');
    assert.equal(at('test/e2e/a.ts', s)[CPU], 'off', 'only the rule the override sets');
    assert.equal(at('test/unit/a.ts', s)[RULE], 'off', 'the override does not match this file');
  });

  it('testFiles: [] switches the behaviour off; a custom list replaces the default', () => {
    assert.equal(at('test/x.ts', editor({ testFiles: [] }))[RULE], 'warning');
    const custom = editor({ testFiles: ['spec/**'] });
    assert.equal(at('spec/a.ts', custom)[RULE], 'off');
    assert.equal(at('test/x.ts', custom)[RULE], 'warning');
  });

  it('editor globs are relative to the workspace folder; without a folder or project file no file is a test file', () => {
    assert.equal(at('pkg/src/a.ts', editor({ testFiles: ['src/**'] }), undefined, path.join(dir, 'pkg'))[RULE], 'off');
    assert.equal(at('pkg/src/a.ts', editor({ testFiles: ['src/**'] }), undefined, dir)[RULE], 'warning');
    assert.equal(at('test/x.ts', editor(), undefined, null)[RULE], 'warning');
  });

  it('a project file: its testFiles relative to its folder, its overrides re-enable, precedence as every key', () => {
    const root = tree({
      'pkg/loopguard.json': JSON.stringify({
        testFiles: ['checks/**'],
        rules: { [RULE]: 'error' },
        overrides: [{ files: ['checks/io/**'], rules: { [CPU]: 'hint' } }],
      }),
      'plain/loopguard.json': JSON.stringify({ rules: { [RULE]: 'error' } }),
    });
    const pkg = findProjectConfig(path.join(root, 'pkg', 'a.py'));
    const plain = findProjectConfig(path.join(root, 'plain', 'a.py'));
    const sev = (rel: string, settings: Settings = editor(), project = pkg) =>
      configForFile({ fileName: path.join(root, ...rel.split('/')), settings, settingsBase: root, project }).config.severities;
    assert.equal(sev('pkg/checks/a.py')[RULE], 'off', 'the project file\'s globs, relative to pkg/');
    assert.equal(sev('pkg/tests/a.py')[RULE], 'error', 'its list replaces the default');
    assert.equal(sev('pkg/checks/io/a.py')[CPU], 'hint', 'its override re-enables');
    assert.equal(sev('pkg/checks/io/a.py')[RULE], 'off');
    // the default list, relative to the project file's folder
    assert.equal(sev('plain/tests/a.py', editor(), plain)[RULE], 'off');
    assert.equal(sev('plain/src/a.py', editor(), plain)[RULE], 'error');
    // editorFirst: an editor list (not the default) wins; filesystemFirst: the project file's
    const editorList = { testFiles: ['pkg/tests/**'] };
    assert.equal(sev('pkg/tests/a.py', editor(editorList))[RULE], 'off', 'the editor list, relative to the workspace folder');
    assert.equal(sev('pkg/checks/a.py', editor(editorList))[RULE], 'error');
    assert.equal(sev('pkg/checks/a.py', editor({ ...editorList, configurationPreference: 'filesystemFirst' }))[RULE], 'off');
    assert.equal(sev('pkg/tests/a.py', editor({ ...editorList, configurationPreference: 'filesystemFirst' }))[RULE], 'error');
    // the editor list equal to the default counts as not set (clients send defaults): the file speaks
    assert.equal(sev('pkg/tests/a.py', editor({ testFiles: [...DEFAULT_TEST_FILES] }))[RULE], 'error');
    // an editor override re-enables over the project file's list too
    const reenable = editor({ overrides: [{ files: ['pkg/checks/**'], rules: { [RULE]: 'hint' } }] });
    assert.equal(sev('pkg/checks/a.py', reenable)[RULE], 'hint');
  });

  it('loopguard.testFiles: invalid values are named and the default applies', () => {
    for (const bad of ['tests/**', [1], [''], ['/abs/**'], ['a\\b'], ['../x/**']]) {
      const { settings, problems } = resolveSettings({ testFiles: bad });
      assert.deepEqual(settings.testFiles, [...DEFAULT_TEST_FILES], JSON.stringify(bad));
      assert.equal(problems.length, 1, JSON.stringify(bad));
      assert.match(problems[0], /^loopguard\.testFiles[ [:]/);
    }
    assert.deepEqual(resolveSettings({ testFiles: ['spec/**'] }).settings.testFiles, ['spec/**']);
  });

  it('a project file\'s testFiles: bad type and bad globs at their pointers, and the file is ignored', () => {
    const a = tree({ 'loopguard.json': JSON.stringify({ testFiles: 'tests/**' }) });
    assert.deepEqual(located(findProjectConfig(path.join(a, 'x.py'))), [['loopguard.json', '/testFiles']]);
    const b = tree({ 'loopguard.json': JSON.stringify({ testFiles: ['ok/**', '/abs/**', 3, '../up'] }) });
    const cfg = findProjectConfig(path.join(b, 'x.py'));
    assert.equal(cfg?.data, undefined);
    assert.deepEqual(located(cfg).sort(), [
      ['loopguard.json', '/testFiles/1'],
      ['loopguard.json', '/testFiles/2'],
      ['loopguard.json', '/testFiles/3'],
    ]);
    const c = tree({ 'pyproject.toml': '[tool.loopguard]\ntestFiles = ["C:/x"]\n' });
    assert.deepEqual(located(findProjectConfig(path.join(c, 'x.py'))), [['pyproject.toml', '/tool/loopguard/testFiles/0']]);
  });
});
