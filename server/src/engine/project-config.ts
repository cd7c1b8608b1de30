// Project files: `loopguard.json`, a `[tool.loopguard]` table in `pyproject.toml` or a `"loopguard"`
// key in `package.json`. This module owns their schema and validation, the discovery of the file
// that governs a source file (the nearest directory that has one, no merging up the tree), a cache
// per path + mtime + size, and glob matching relative to the file's directory.
//
// Project files are data: they are parsed, never executed, so they apply in untrusted workspaces too.
// An invalid file is ignored as a whole and every problem names the file, the JSON pointer and what
// was expected; nothing here throws on user input.

import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { Minimatch } from 'minimatch';
import { parse as parseToml } from 'smol-toml';
import { RULE_IDS } from '../rules/registry';
import { userEntryProblem } from './catalogue';
import type { SeveritySetting } from './finding';
import { UNUSED_SUPPRESSION } from './suppression';

/** Names looked for in each directory, in this order. */
export const PROJECT_FILE_NAMES = ['loopguard.json', 'pyproject.toml', 'package.json'] as const;

export const SEVERITY_SETTINGS: readonly SeveritySetting[] = ['error', 'warning', 'info', 'hint', 'off'];

/** Settings for the files matched by `files` (and not by `excludeFiles`); later overrides win. */
export interface OverrideConfig {
  files: string[];
  excludeFiles?: string[];
  rules?: Record<string, SeveritySetting>;
  cpuLoopThreshold?: number;
  pythonFreeThreaded?: boolean;
}

/** What a project file may say: the settings that make sense per project. */
export interface ProjectConfigData {
  rules?: Record<string, SeveritySetting>;
  overrides?: OverrideConfig[];
  blockingApis?: unknown[];
  cpuHeavyApis?: unknown[];
  cpuLoopThreshold?: number;
  pythonFreeThreaded?: boolean;
  /** skip generated and minified files (engine/generated.ts); default true */
  skipGenerated?: boolean;
  /** files neither the CLI nor the server analyses */
  exclude?: string[];
  /** test files (relative to the file's directory): blocking and CPU-loop findings are off there; [] switches that off */
  testFiles?: string[];
}

export interface ProjectConfig {
  /** absolute path of the file */
  file: string;
  /** globs in the file are relative to this directory */
  dir: string;
  /** the validated settings; undefined when the file is invalid (then it is ignored as a whole) */
  data: ProjectConfigData | undefined;
  /** `<file>: <pointer>: <what was expected>` or `<file>:<line>:<column>: <parse error>` */
  problems: string[];
  /** changes whenever the file does: problems are reported once per stamp */
  stamp: string;
}

/** What `rules` may name: the rules, and the pseudo-rule reporting unused suppression comments (as loopguard.rules). */
export const CONFIGURABLE_RULE_IDS: readonly string[] = [...RULE_IDS, UNUSED_SUPPRESSION];

const severitySchema = { enum: SEVERITY_SETTINGS };
const rulesSchema = {
  type: 'object',
  additionalProperties: false,
  properties: Object.fromEntries(CONFIGURABLE_RULE_IDS.map((id) => [id, severitySchema])),
};
const globsSchema = { type: 'array', items: { type: 'string', minLength: 1 } };
const thresholdSchema = { type: 'number', exclusiveMinimum: 0 };
const overrideSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['files'],
  properties: {
    files: { ...globsSchema, minItems: 1 },
    excludeFiles: globsSchema,
    rules: rulesSchema,
    cpuLoopThreshold: thresholdSchema,
    pythonFreeThreaded: { type: 'boolean' },
  },
};

/** The JSON schema of a project file's settings (the object in loopguard.json, the table, the key). */
export const PROJECT_CONFIG_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'Loopguard project configuration',
  type: 'object',
  additionalProperties: false,
  properties: {
    $schema: { type: 'string' },
    rules: rulesSchema,
    overrides: { type: 'array', items: overrideSchema },
    // entries are checked one by one against the catalogue schema (catalogue.ts), as settings are
    blockingApis: { type: 'array' },
    cpuHeavyApis: { type: 'array' },
    cpuLoopThreshold: thresholdSchema,
    pythonFreeThreaded: { type: 'boolean' },
    skipGenerated: { type: 'boolean' },
    exclude: globsSchema,
    testFiles: globsSchema,
  },
} as const;

/** The schema of one entry of `loopguard.overrides` (settings) and of a project file's `overrides`. */
export const OVERRIDE_SCHEMA = overrideSchema;

let validateProject: ValidateFunction | undefined;
let validateOverrides: ValidateFunction | undefined;

function validators(): { project: ValidateFunction; overrides: ValidateFunction } {
  if (!validateProject || !validateOverrides) {
    const ajv = new Ajv({ allErrors: true, strict: true, verbose: true });
    validateProject = ajv.compile(PROJECT_CONFIG_SCHEMA);
    validateOverrides = ajv.compile({ type: 'array', items: overrideSchema });
  }
  return { project: validateProject, overrides: validateOverrides };
}

const TYPE_NAMES: Record<string, string> = {
  object: 'an object',
  array: 'an array',
  string: 'a string',
  number: 'a number',
  boolean: 'true or false',
};

/** One ajv error as `[pointer, what was expected]`, the pointer naming the offending key itself. */
function explain(e: ErrorObject): [string, string] {
  const at = e.instancePath;
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String((e.params as { additionalProperty: string }).additionalProperty);
      const known = Object.keys((e.parentSchema as { properties?: Record<string, unknown> } | undefined)?.properties ?? {}).filter((k) => k !== '$schema');
      const isRules = at === '/rules' || /\/overrides\/\d+\/rules$/.test(at);
      return [`${at}/${key}`, isRules ? `unknown rule id (known: ${known.join(', ')})` : `unknown key (expected one of: ${known.join(', ')})`];
    }
    case 'required':
      return [`${at}/${String((e.params as { missingProperty: string }).missingProperty)}`, 'is required'];
    case 'enum':
      return [at, `must be one of ${((e.params as { allowedValues: unknown[] }).allowedValues).map(String).join(', ')}; got ${JSON.stringify(e.data)}`];
    case 'type': {
      const t = String((e.params as { type: string }).type);
      return [at, `must be ${TYPE_NAMES[t] ?? t}; got ${JSON.stringify(e.data)}`];
    }
    default:
      return [at, e.message ?? 'is invalid'];
  }
}

function errorsOf(v: ValidateFunction, prefix: string): Array<[string, string]> {
  return (v.errors ?? []).map((e) => {
    const [pointer, what] = explain(e);
    return [`${prefix}${pointer}` || '/', what];
  });
}

/**
 * Why a glob cannot be used, or undefined. Globs use `/` on every OS and are relative: an absolute
 * path, a backslash or a `..` segment could never match the relative paths they are tested against.
 */
export function globProblem(glob: string): string | undefined {
  if (glob.includes('\\')) return 'must use / as the separator, not \\';
  if (glob.startsWith('/') || /^[A-Za-z]:/.test(glob)) return 'must be relative (like "tests/**"), not absolute';
  if (glob.split('/').includes('..')) return 'must not contain ".." segments';
  try {
    if (new Minimatch(glob, { dot: true }).makeRe() === false) return 'is not a valid glob';
  } catch (e) {
    return `is not a valid glob: ${e instanceof Error ? e.message : String(e)}`;
  }
  return undefined;
}

function globErrors(globs: unknown, pointer: string): Array<[string, string]> {
  if (!Array.isArray(globs)) return [];
  const out: Array<[string, string]> = [];
  globs.forEach((g, i) => {
    const p = typeof g === 'string' && g.length > 0 ? globProblem(g) : undefined;
    if (p) out.push([`${pointer}/${i}`, `${p}; got ${JSON.stringify(g)}`]);
  });
  return out;
}

function overrideGlobErrors(overrides: unknown, pointer: string): Array<[string, string]> {
  if (!Array.isArray(overrides)) return [];
  return overrides.flatMap((o, i) =>
    typeof o === 'object' && o !== null
      ? [...globErrors((o as Record<string, unknown>).files, `${pointer}/${i}/files`), ...globErrors((o as Record<string, unknown>).excludeFiles, `${pointer}/${i}/excludeFiles`)]
      : [],
  );
}

function entryErrors(kind: 'blocking' | 'cpuHeavy', entries: unknown, pointer: string): Array<[string, string]> {
  if (!Array.isArray(entries)) return [];
  const out: Array<[string, string]> = [];
  entries.forEach((entry, i) => {
    const p = userEntryProblem(kind, entry);
    if (p) out.push([`${pointer}/${i}`, p]);
  });
  return out;
}

/**
 * Validates the settings object of a project file. `prefix` is the JSON pointer of that object in
 * its file (`/tool/loopguard`, `/loopguard` or empty). Returns `[pointer, expected]` pairs.
 */
export function validateProjectData(data: unknown, prefix = ''): Array<[string, string]> {
  const v = validators().project;
  const schemaErrors = v(data) ? [] : errorsOf(v, prefix);
  if (!isRecord(data)) return schemaErrors;
  // the checks the schema cannot express run too, so one round of edits can fix every problem
  const d = data as ProjectConfigData;
  return [
    ...schemaErrors,
    ...globErrors(d.exclude, `${prefix}/exclude`),
    ...globErrors(d.testFiles, `${prefix}/testFiles`),
    ...overrideGlobErrors(d.overrides, `${prefix}/overrides`),
    ...entryErrors('blocking', d.blockingApis, `${prefix}/blockingApis`),
    ...entryErrors('cpuHeavy', d.cpuHeavyApis, `${prefix}/cpuHeavyApis`),
  ];
}

/** Validates `loopguard.overrides` from settings; problems are `[pointer, expected]` pairs. */
export function validateOverrideList(data: unknown): Array<[string, string]> {
  const v = validators().overrides;
  return [...(v(data) ? [] : errorsOf(v, '')), ...overrideGlobErrors(data, '')];
}

function lineColumn(text: string, offset: number): string {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const line = before.split('\n').length;
  return `${line}:${offset - (before.lastIndexOf('\n') + 1) + 1}`;
}

/** A JSON.parse error as `line:column: message` (V8 reports a character position). */
function jsonError(text: string, e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  const m = /position (\d+)/.exec(message);
  // "Unexpected end of JSON input" has no position: it is the end of the text
  const at = m ? Number(m[1]) : /end of JSON/.test(message) ? text.length : 0;
  return `${lineColumn(text, at)}: invalid JSON: ${message.replace(/\s*in JSON at position \d+.*$/s, '').replace(/\s*\(line \d+ column \d+\)$/, '')}`;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

type Format = 'json' | 'pyproject' | 'package';

function formatOf(file: string): Format {
  const base = path.basename(file);
  if (base === 'package.json') return 'package';
  if (base.endsWith('.toml')) return 'pyproject';
  return 'json';
}

// A file of another tool that we cannot parse is only ours to report when it visibly has our section.
const PYPROJECT_SECTION = /^\s*\[\s*tool\s*\.\s*loopguard\s*[\].]|^\s*tool\s*\.\s*loopguard\s*[.=]/m;
const PACKAGE_KEY = /"loopguard"\s*:/;

/**
 * Reads one candidate file. Undefined when it is not a Loopguard project file: missing, or a
 * pyproject.toml/package.json without our section (or unparsable without visibly having one).
 * With `explicit` (the CLI's --config), every file is ours and a missing section is a problem.
 */
export function readProjectFile(file: string, explicit = false): ProjectConfig | undefined {
  let text: string;
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if (!explicit) return undefined;
    return invalid(file, '', [`cannot be read: ${e instanceof Error ? e.message : String(e)}`]);
  }
  const stamp = `${st.mtimeMs}:${st.size}`;
  const format = formatOf(file);
  let raw: unknown;
  let prefix = '';
  if (format === 'pyproject') {
    let doc: unknown;
    try {
      doc = parseToml(text);
    } catch (e) {
      if (!explicit && !PYPROJECT_SECTION.test(text)) return undefined;
      const err = e as { line?: number; column?: number; message?: string };
      const first = String(err.message ?? e).split('\n')[0].replace(/^Invalid TOML document:\s*/, '');
      return invalid(file, stamp, [`:${err.line ?? 1}:${err.column ?? 1}: invalid TOML: ${first}`]);
    }
    const tool = isRecord(doc) ? doc.tool : undefined;
    if (!isRecord(tool) || !('loopguard' in tool)) {
      return explicit ? invalid(file, stamp, [': /tool/loopguard: is required (a [tool.loopguard] table)']) : undefined;
    }
    // plain objects (smol-toml's tables have no prototype); TOML dates become strings, which the schema rejects
    raw = JSON.parse(JSON.stringify(tool.loopguard ?? null)) as unknown;
    prefix = '/tool/loopguard';
  } else {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (e) {
      if (format === 'package' && !explicit && !PACKAGE_KEY.test(text)) return undefined;
      return invalid(file, stamp, [`:${jsonError(text, e)}`]);
    }
    if (format === 'package') {
      if (!isRecord(doc) || !('loopguard' in doc)) {
        return explicit ? invalid(file, stamp, [': /loopguard: is required (a "loopguard" key)']) : undefined;
      }
      raw = doc.loopguard;
      prefix = '/loopguard';
    } else raw = doc;
  }
  const errors = validateProjectData(raw, prefix);
  if (errors.length > 0) return invalid(file, stamp, errors.map(([p, what]) => `: ${p}: ${what}`));
  return { file, dir: path.dirname(file), data: raw as ProjectConfigData, problems: [], stamp };
}

/** `suffixes` follow the file name: `:line:col: …` for parse errors (clickable in terminals), `: /pointer: …` for the rest. */
function invalid(file: string, stamp: string, suffixes: string[]): ProjectConfig {
  return { file, dir: path.dirname(file), data: undefined, problems: suffixes.map((s) => `${file}${s}`), stamp };
}

interface CachedFile {
  stamp: string;
  config: ProjectConfig | undefined;
}

const cache = new Map<string, CachedFile>();

function stampOf(file: string): string | undefined {
  try {
    // most candidates do not exist: no exception per miss (three names per directory up to the root, per file)
    const st = fs.statSync(file, { throwIfNoEntry: false });
    return st?.isFile() ? `${st.mtimeMs}:${st.size}` : undefined;
  } catch {
    return undefined;
  }
}

/** A candidate file, parsed again only when its mtime or size changed. */
function candidate(file: string): ProjectConfig | undefined {
  const stamp = stampOf(file);
  if (stamp === undefined) {
    cache.delete(file);
    return undefined;
  }
  const hit = cache.get(file);
  if (hit && hit.stamp === stamp) return hit.config;
  const config = readProjectFile(file);
  // keyed by the stamp read before parsing: a write during the read is seen next time
  cache.set(file, { stamp, config });
  if (cache.size > 1000) cache.delete(cache.keys().next().value as string);
  return config;
}

/**
 * The project file that governs `fileName` (an absolute path): the nearest directory, walking up to
 * the filesystem root, with loopguard.json, a pyproject.toml with [tool.loopguard] or a package.json
 * with "loopguard" — the first of those in that order. Files further up are not merged.
 */
export function findProjectConfig(fileName: string): ProjectConfig | undefined {
  if (!path.isAbsolute(fileName)) return undefined;
  for (let dir = path.dirname(fileName); ; ) {
    for (const name of PROJECT_FILE_NAMES) {
      const found = candidate(path.join(dir, name));
      if (found) return found;
    }
    const up = path.dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/** Forgets one cached file (a watcher said it changed: do not trust an mtime that may not have moved). */
export function forgetProjectFile(file: string): void {
  cache.delete(file);
}

/** Forgets cached files (tests; a server told that many files changed at once). */
export function clearProjectConfigCache(): void {
  cache.clear();
}

/** `file` relative to `dir` with `/` separators, or undefined when it is not inside `dir`. */
export function relativePath(dir: string, file: string): string | undefined {
  const rel = path.relative(dir, file);
  if (!rel || rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  return rel.split(path.sep).join('/');
}

const compiled = new Map<string, Minimatch>();

function matcher(glob: string): Minimatch {
  let m = compiled.get(glob);
  if (!m) {
    // dot: dot files and folders count (.github/**); matchBase: a glob without a slash names a file
    // or folder at any depth ("*.pyi", "conftest.py", "generated"), as in .gitignore and Ruff
    m = new Minimatch(glob, { dot: true, matchBase: true });
    if (compiled.size > 2000) compiled.clear();
    compiled.set(glob, m);
  }
  return m;
}

/**
 * Whether a relative path (`/` separators) matches any of the globs. A glob that matches a folder
 * covers everything inside it, so "build" and "tests/fixtures" need no trailing "/**".
 */
export function matchesAny(relPath: string, globs: readonly string[] | undefined): boolean {
  if (!globs || globs.length === 0) return false;
  const candidates = [relPath];
  for (let i = relPath.indexOf('/'); i > 0; i = relPath.indexOf('/', i + 1)) candidates.push(relPath.slice(0, i));
  return globs.some((g) => {
    const m = matcher(g);
    return candidates.some((c) => m.match(c));
  });
}
