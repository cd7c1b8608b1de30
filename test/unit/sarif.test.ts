// `loopguard check --format sarif` against the SARIF 2.1.0 JSON schema and GitHub code scanning's
// requirements: rule descriptors with the docs page as help, %SRCROOT%-relative locations, UTF-16
// columns, stable partialFingerprints, and every fix (safe, unsafe, multi-file) as SARIF `fixes`
// whose replacements reproduce the fixed text.
//
// The schema is the one @microsoft/jest-sarif ships (sarif-2.1.0-rtm.5.json, the schema SchemaStore
// publishes for SARIF 2.1.0). It declares draft-04; every keyword it uses means the same in draft-07,
// which Ajv 8 implements (a test below fails if a newer copy starts using one that does not).

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import Ajv, { type ValidateFunction } from 'ajv';
import { renderRuleDoc } from '../../scripts/docs';
import { runCli } from '../../server/src/cli/main';
import { FINGERPRINT_KEY } from '../../server/src/cli/formats/sarif';
import { RULES, ruleDocsUrl } from '../../server/src/rules/registry';

const SCHEMA_FILE = require.resolve('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json');
// draft-04 and draft-07 agree on these (no boolean exclusiveMinimum/Maximum, no `dependencies`)
const SAME_IN_DRAFT_07 = new Set([
  '$ref', '$schema', 'additionalProperties', 'anyOf', 'default', 'definitions', 'description', 'enum', 'format', 'id',
  'items', 'maximum', 'minItems', 'minimum', 'oneOf', 'pattern', 'properties', 'required', 'title', 'type', 'uniqueItems',
]);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function keywords(schema: Json, into = new Set<string>(), namesOnly = false): Set<string> {
  if (Array.isArray(schema)) for (const x of schema) keywords(x, into);
  else if (schema && typeof schema === 'object') {
    for (const [k, v] of Object.entries(schema)) {
      if (!namesOnly) into.add(k);
      // the children of properties/definitions are names, their values schemas
      keywords(v, into, !namesOnly && (k === 'properties' || k === 'definitions'));
    }
  }
  return into;
}

function loadSchema(): { raw: { [key: string]: Json }; validate: ValidateFunction } {
  const raw = JSON.parse(fs.readFileSync(SCHEMA_FILE, 'utf8')) as { [key: string]: Json };
  const { $schema: _draft04, id, ...rest } = raw;
  assert.equal(typeof id, 'string');
  // the schema's `language` pattern has a stray `]` that only a non-unicode RegExp accepts (as JSON
  // Schema's ECMA-262 dialect did then); strictTypes would only log about its untyped subschemas
  const ajv = new Ajv({ allErrors: true, unicodeRegExp: false, strictTypes: false });
  // the three formats the schema uses, as RFC 3986 / RFC 3339 define them
  ajv.addFormat('uri', (s: string) => /^[a-z][a-z0-9+.-]*:[^\s]*$/i.test(s) && URL.canParse(s));
  ajv.addFormat('uri-reference', (s: string) => /^[^\s<>"{}|\\^`]*$/.test(s) && !/%(?![0-9a-f]{2})/i.test(s) && URL.canParse(s, 'file:///'));
  ajv.addFormat('date-time', (s: string) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/i.test(s));
  return { raw, validate: ajv.compile({ ...rest, $id: String(id) }) };
}

const TS = `import fs from 'node:fs';

export async function load(p: string) {
  return fs.readFileSync(p, 'utf8');
}
`;
const PY = `import time


async def main():
    time.sleep(1)
`;
// a CPU loop whose fix moves it into a worker module and creates the pool helper: a multi-file fix
const CJS = `'use strict';

async function checksum(n, seed) {
  let total = seed;
  for (let i = 0; i < n; i++) {
    total = (total * 33 + i * i) % 1_000_003;
  }
  return total;
}

module.exports = { checksum };
`;

function workspace(files: Record<string, string>): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'loopguard-sarif-')));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

interface Region {
  startLine?: number;
  startColumn?: number;
  endLine?: number;
  endColumn?: number;
  charOffset?: number;
  charLength?: number;
}
interface ArtifactLocation {
  uri: string;
  uriBaseId?: string;
}
interface SarifFix {
  description: { text: string };
  artifactChanges: Array<{ artifactLocation: ArtifactLocation; replacements: Array<{ deletedRegion: Region; insertedContent: { text: string } }>; properties?: { create?: boolean } }>;
  properties: { safe: boolean; createsFiles?: string[] };
}
interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  level: string;
  message: { text: string };
  locations: Array<{ physicalLocation: { artifactLocation: ArtifactLocation; region: Region } }>;
  partialFingerprints: Record<string, string>;
  properties: { messageId: string };
  fixes: SarifFix[];
}
interface SarifRule {
  id: string;
  name: string;
  shortDescription: { text: string };
  fullDescription: { text: string; markdown?: string };
  helpUri: string;
  help: { text: string; markdown?: string };
  defaultConfiguration: { level: string };
  properties: { tags: string[] };
}
interface SarifLog {
  $schema: string;
  version: string;
  runs: Array<{
    tool: { driver: { name: string; version: string; semanticVersion: string; informationUri: string; rules: SarifRule[] } };
    invocations: Array<{
      executionSuccessful: boolean;
      ruleConfigurationOverrides?: Array<{ descriptor: { id: string; index: number }; configuration: { level?: string; enabled?: boolean } }>;
      toolExecutionNotifications?: Array<{ level: string; message: { text: string }; locations: Array<{ physicalLocation: { artifactLocation: ArtifactLocation } }> }>;
    }>;
    originalUriBaseIds: Record<string, { uri: string }>;
    columnKind: string;
    results: SarifResult[];
  }>;
}

async function sarif(cwd: string, ...args: string[]): Promise<{ code: number; log: SarifLog; out: string }> {
  let out = '';
  let err = '';
  const code = await runCli(['check', '--format', 'sarif', ...args], { stdout: (s) => (out += s), stderr: (s) => (err += s), cwd, isTTY: false });
  assert.ok(code === 0 || code === 1, err);
  return { code, log: JSON.parse(out) as SarifLog, out };
}

/** Applies one artifact's SARIF replacements to its text using line/column regions (the way viewers do). */
function applyReplacements(text: string, replacements: SarifFix['artifactChanges'][number]['replacements']): string {
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') lineStarts.push(i + 1);
  const offset = (line: number, column: number) => lineStarts[line - 1] + column - 1;
  const edits = replacements.map((r) => {
    const d = r.deletedRegion;
    assert.ok(d.startLine && d.startColumn && d.endLine && d.endColumn, 'line/column region');
    const start = offset(d.startLine, d.startColumn);
    const end = offset(d.endLine, d.endColumn);
    // the character offsets say the same
    assert.deepEqual([d.charOffset, d.charLength], [start, end - start]);
    return { start, end, text: r.insertedContent.text };
  });
  let out = text;
  for (const e of [...edits].sort((a, b) => b.start - a.start)) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}

describe('SARIF output', () => {
  const { raw, validate } = loadSchema();

  it('uses only schema keywords that mean the same in draft-07', () => {
    const unexpected = [...keywords(raw)].filter((k) => !SAME_IN_DRAFT_07.has(k));
    assert.deepEqual(unexpected, []);
    assert.match(String(raw.title), /SARIF\) Version 2\.1\.0/);
  });

  it('the validator rejects logs that break the schema', () => {
    const broken: Array<[string, Json]> = [
      ['no version', { runs: [] }],
      ['line 0', { version: '2.1.0', runs: [{ tool: { driver: { name: 'x' } }, results: [{ message: { text: 'm' }, locations: [{ physicalLocation: { region: { startLine: 0 } } }] }] }] }],
      ['relative informationUri', { version: '2.1.0', runs: [{ tool: { driver: { name: 'x', informationUri: 'not a uri' } } }] }],
      ['unknown level', { version: '2.1.0', runs: [{ tool: { driver: { name: 'x' } }, results: [{ message: { text: 'm' }, level: 'fatal' }] }] }],
    ];
    for (const [why, log] of broken) assert.equal(validate(log), false, why);
  });

  it('validates against the SARIF 2.1.0 schema with every kind of result, fix and notification', async () => {
    const dir = workspace({
      'package.json': '{"name": "w", "version": "1.0.0"}\n',
      'src/a.ts': TS,
      'my app/#1 ünï.py': PY,
      'checksum.cjs': CJS,
      'broken.py': 'import time\n\nasync def main(:\n    time.sleep(1)\n',
    });
    const outside = workspace({ 'far.py': PY });
    const { code, log } = await sarif(dir, '.', path.join(outside, 'far.py'), '--rule', 'blocking-call-in-async=error', '--rule', 'race-across-await=off');
    assert.equal(code, 1);
    assert.equal(validate(log), true, JSON.stringify(validate.errors, null, 2));
    const run = log.runs[0];
    const uris = run.results.map((r) => r.locations[0].physicalLocation.artifactLocation.uri);
    assert.deepEqual(uris, [
      'broken.py',
      'checksum.cjs',
      'my%20app/%231%20%C3%BCn%C3%AF.py',
      'src/a.ts',
      pathToFileURL(path.join(outside, 'far.py')).href,
    ]);
    assert.ok(run.results.some((r) => r.fixes.some((f) => f.artifactChanges.length > 1)), 'a multi-file fix is included');
    assert.ok(run.results.some((r) => r.fixes.some((f) => !f.properties.safe)), 'an unsafe fix is included');
    assert.deepEqual(run.invocations[0].ruleConfigurationOverrides, [
      { descriptor: { id: 'blocking-call-in-async', index: 0 }, configuration: { level: 'error' } },
      { descriptor: { id: 'race-across-await', index: RULES.findIndex((r) => r.meta.id === 'race-across-await') }, configuration: { enabled: false } },
    ]);
    assert.deepEqual(
      run.invocations[0].toolExecutionNotifications?.map((n) => [n.level, n.locations[0].physicalLocation.artifactLocation.uri]),
      [['warning', 'broken.py']],
    );
  });

  it('describes every rule with its docs page, help URI, default level and tags', async () => {
    const { log } = await sarif(workspace({}));
    const driver = log.runs[0].tool.driver;
    assert.equal(driver.name, 'loopguard');
    assert.match(driver.version, /^\d+\.\d+\.\d+/);
    assert.equal(driver.semanticVersion, driver.version);
    assert.deepEqual(driver.rules.map((r) => r.id), RULES.map((r) => r.meta.id));
    for (const [i, rule] of driver.rules.entries()) {
      const meta = RULES[i].meta;
      assert.equal(rule.shortDescription.text, meta.summary);
      assert.equal(rule.helpUri, ruleDocsUrl(meta.id));
      // the generated docs page, exactly: reused, not rendered a second way
      assert.equal(rule.help.markdown, renderRuleDoc(RULES[i]));
      assert.ok(rule.help.text.startsWith(`${meta.id}\n\n${meta.summary}`), rule.help.text.slice(0, 80));
      assert.ok(!rule.help.text.includes('```') && !rule.help.text.includes('## '), 'help.text is plain text');
      assert.ok(rule.fullDescription.markdown && rule.help.markdown?.includes(rule.fullDescription.markdown), 'fullDescription is the "What it does" section');
      assert.ok(!rule.fullDescription.markdown.includes('## '));
      assert.equal(rule.defaultConfiguration.level, { error: 'error', warning: 'warning', info: 'note', hint: 'note' }[meta.defaultSeverity]);
      assert.equal(rule.properties.tags[0], 'concurrency');
      assert.deepEqual(rule.properties.tags.slice(1), meta.languages.flatMap((l) => (l === 'python' ? ['python'] : ['javascript', 'typescript'])));
    }
    assert.equal(driver.rules[0].name, 'BlockingCallInAsync');
  });

  it('locates results relative to %SRCROOT% with 1-based regions in UTF-16 code units', async () => {
    // the astral-plane emoji is two UTF-16 code units: time.sleep starts at column 15, not 14
    const dir = workspace({ 'app.py': 'import time\n\n\nasync def main():\n    s = "😀"; time.sleep(1)\n' });
    const { log } = await sarif(dir);
    const run = log.runs[0];
    assert.equal(run.columnKind, 'utf16CodeUnits');
    assert.deepEqual(run.originalUriBaseIds, { '%SRCROOT%': { uri: pathToFileURL(dir).href + '/' } });
    const [result] = run.results;
    assert.equal(result.ruleId, 'blocking-call-in-async');
    assert.equal(result.ruleIndex, 0);
    assert.equal(result.level, 'warning');
    assert.equal(result.properties.messageId, 'blockingCall');
    assert.deepEqual(result.locations, [
      { physicalLocation: { artifactLocation: { uri: 'app.py', uriBaseId: '%SRCROOT%' }, region: { startLine: 5, startColumn: 15, endLine: 5, endColumn: 25 } } },
    ]);
  });

  it('keeps partialFingerprints stable when lines move, and tells identical lines apart', async () => {
    const body = 'async def main():\n    time.sleep(1)\n    time.sleep(1)\n    time.sleep(2)\n';
    const dir = workspace({ 'app.py': `import time\n\n\n${body}` });
    const fingerprints = async () => (await sarif(dir)).log.runs[0].results.map((r) => r.partialFingerprints[FINGERPRINT_KEY]);
    const before = await fingerprints();
    assert.equal(before.length, 3);
    assert.match(before[0], /^[0-9a-f]{32}:1$/);
    assert.equal(before[1], before[0].replace(/:1$/, ':2'));
    assert.notEqual(before[2].split(':')[0], before[0].split(':')[0]);
    assert.deepEqual(await fingerprints(), before, 'same input, same fingerprints');
    fs.writeFileSync(path.join(dir, 'app.py'), `import time\n\n# a comment\n\n\n${body.replace('    time.sleep(1)\n', '    time.sleep(1)  \t\n')}`);
    assert.deepEqual(await fingerprints(), before, 'moved lines, and lines with trailing blanks, keep theirs');
  });

  it('turns every fix into replacements that reproduce the fixed text, marking unsafe fixes', async () => {
    const dir = workspace({ 'package.json': '{"name": "w", "version": "1.0.0"}\n', 'src/a.ts': TS, 'app.py': PY, 'checksum.cjs': CJS });
    const { log } = await sarif(dir);
    const byFile = new Map(log.runs[0].results.map((r) => [r.locations[0].physicalLocation.artifactLocation.uri, r]));

    const ts = byFile.get('src/a.ts');
    assert.ok(ts);
    assert.deepEqual(ts.fixes.map((f) => [f.description.text, f.properties.safe]), [['Replace with `await fs.promises.readFile(…)`', true]]);
    assert.equal(applyReplacements(TS, ts.fixes[0].artifactChanges[0].replacements), TS.replace("fs.readFileSync(p, 'utf8')", "await fs.promises.readFile(p, 'utf8')"));

    const py = byFile.get('app.py');
    assert.ok(py);
    assert.equal(
      applyReplacements(PY, py.fixes[0].artifactChanges[0].replacements),
      'import time\nimport asyncio\n\n\nasync def main():\n    await asyncio.sleep(1)\n',
    );

    const cjs = byFile.get('checksum.cjs');
    assert.ok(cjs);
    assert.equal(cjs.ruleId, 'cpu-loop-on-event-loop');
    const worker = cjs.fixes.find((f) => f.artifactChanges.length > 1);
    assert.ok(worker, 'the worker-thread fix is reported');
    assert.equal(worker.properties.safe, false);
    assert.match(worker.description.text, /\(unsafe: review before applying\)$/);
    const [own, ...created] = worker.artifactChanges;
    assert.deepEqual(own.artifactLocation, { uri: 'checksum.cjs', uriBaseId: '%SRCROOT%' });
    assert.match(applyReplacements(CJS, own.replacements), /await runInWorker\(/);
    assert.deepEqual(created.map((c) => [c.artifactLocation.uri, c.properties?.create]), [
      ['checksum.worker.cjs', true],
      ['loopguard-worker-pool.cjs', true],
    ]);
    assert.deepEqual(worker.properties.createsFiles, ['checksum.worker.cjs', 'loopguard-worker-pool.cjs']);
    assert.match(applyReplacements('', created[0].replacements), /function checksumLoop\(/);
  });
});
