// Settings shared by the language server (`loopguard.*` in VS Code) and the CLI, their validation,
// and how they combine with a project file (engine/project-config) into the configuration of one
// file. A malformed value never fails the whole configuration: it is replaced by its default and a
// message says which setting was ignored and why.

import { buildCatalogue, userEntryProblem, type Catalogue } from './catalogue';
import type { Severity, SeveritySetting } from './finding';
import { globProblem, matchesAny, relativePath, validateOverrideList, type OverrideConfig, type ProjectConfig } from './project-config';
import { RULES, RULE_IDS } from '../rules/registry';
import { UNUSED_SUPPRESSION, UNUSED_SUPPRESSION_DEFAULT } from './suppression';

/** What `loopguard.rules` may name: the rules, and the pseudo-rule that reports unused suppression comments. */
const CONFIGURABLE_IDS: readonly string[] = [...RULE_IDS, UNUSED_SUPPRESSION];

export type { OverrideConfig } from './project-config';

/**
 * Test code: blocking and CPU-heavy work there is deliberate and harmless (tests run one at a time),
 * and on real packages most such findings are in tests. Races and shared state still count there:
 * in tests they are flakiness.
 */
export const DEFAULT_TEST_FILES: readonly string[] = Object.freeze([
  '**/test/**',
  '**/tests/**',
  '**/__tests__/**',
  '**/__mocks__/**',
  '**/*.test.*',
  '**/*.spec.*',
  '**/test_*.py',
  '**/*_test.py',
  '**/conftest.py',
]);

/** The rules that are off in test files unless an `overrides` entry matching the file sets their severity. */
export const TEST_FILE_EXEMPT_RULES: readonly string[] = ['blocking-call-in-async', 'cpu-loop-on-event-loop'];

/** How editor settings and project files combine (the Ruff extension's `configurationPreference`). */
export type ConfigurationPreference = 'editorFirst' | 'filesystemFirst' | 'editorOnly';
export const CONFIGURATION_PREFERENCES: readonly ConfigurationPreference[] = ['editorFirst', 'filesystemFirst', 'editorOnly'];

export interface Settings {
  /** analysis on/off */
  enable: boolean;
  /** per-rule severity, `off` switches a rule off; rules not listed use their default */
  rules: Record<string, SeveritySetting>;
  /** user catalogue entries: additions, overrides and `"enabled": false` switch-offs (valid ones only) */
  blockingApis: unknown[];
  /** user entries for the catalogue's CPU-heavy APIs, same shape of additions and switch-offs */
  cpuHeavyApis: unknown[];
  /** settings for files matching globs, relative to the workspace folder; later entries win */
  overrides: OverrideConfig[];
  /** globs of test files (relative as `overrides`): TEST_FILE_EXEMPT_RULES are off there; [] switches this off */
  testFiles: string[];
  /** whether editor settings or project files win where both set something */
  configurationPreference: ConfigurationPreference;
  /** files longer than this many characters are skipped with a message */
  maxFileSize: number;
  /** the server warns in its status item when analysing one file takes longer than this */
  timeBudgetMs: number;
  /** a loop with a constant trip count is CPU-heavy from this many iterations on */
  cpuLoopThreshold: number;
  /** the Python interpreter is free-threaded (no GIL): threads do run Python code in parallel */
  pythonFreeThreaded: boolean;
  /** the language server also publishes diagnostics for the workspace's closed files (editor only) */
  workspaceDiagnostics: boolean;
  /** generated and minified files (engine/generated.ts) are skipped with a message */
  skipGenerated: boolean;
}

export const DEFAULT_SETTINGS: Readonly<Settings> = Object.freeze({
  enable: true,
  rules: {},
  blockingApis: [],
  cpuHeavyApis: [],
  overrides: [],
  testFiles: DEFAULT_TEST_FILES as string[],
  configurationPreference: 'editorFirst',
  maxFileSize: 4_000_000,
  timeBudgetMs: 500,
  cpuLoopThreshold: 100_000,
  pythonFreeThreaded: false,
  workspaceDiagnostics: false,
  skipGenerated: true,
});

/** The JSON schema of the settings, mirrored by package.json `contributes.configuration` (a test keeps them in sync). */
export const SETTINGS_SCHEMA = {
  enable: { type: 'boolean', default: DEFAULT_SETTINGS.enable },
  rules: { type: 'object', default: {} },
  blockingApis: { type: 'array', default: [] },
  cpuHeavyApis: { type: 'array', default: [] },
  overrides: { type: 'array', default: [] },
  testFiles: { type: 'array', default: [...DEFAULT_TEST_FILES] },
  configurationPreference: { type: 'string', default: DEFAULT_SETTINGS.configurationPreference },
  maxFileSize: { type: 'number', default: DEFAULT_SETTINGS.maxFileSize },
  timeBudgetMs: { type: 'number', default: DEFAULT_SETTINGS.timeBudgetMs },
  cpuLoopThreshold: { type: 'number', default: DEFAULT_SETTINGS.cpuLoopThreshold },
  pythonFreeThreaded: { type: 'boolean', default: DEFAULT_SETTINGS.pythonFreeThreaded },
  workspaceDiagnostics: { type: 'boolean', default: DEFAULT_SETTINGS.workspaceDiagnostics },
  skipGenerated: { type: 'boolean', default: DEFAULT_SETTINGS.skipGenerated },
} as const;

const SEVERITIES: readonly SeveritySetting[] = ['error', 'warning', 'info', 'hint', 'off'];

export interface ResolvedSettings {
  settings: Settings;
  problems: string[];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Validates raw settings (from `workspace/configuration` or a config file). */
export function resolveSettings(raw: unknown): ResolvedSettings {
  const problems: string[] = [];
  const settings: Settings = { ...DEFAULT_SETTINGS, rules: {}, blockingApis: [], cpuHeavyApis: [], overrides: [], testFiles: [...DEFAULT_TEST_FILES] };
  if (raw === undefined || raw === null) return { settings, problems };
  if (!isRecord(raw)) return { settings, problems: ['loopguard settings must be an object; using defaults'] };

  for (const key of ['enable', 'pythonFreeThreaded', 'workspaceDiagnostics', 'skipGenerated'] as const) {
    const v = raw[key];
    if (v === undefined) continue;
    if (typeof v === 'boolean') settings[key] = v;
    else problems.push(`loopguard.${key} must be true or false; using ${DEFAULT_SETTINGS[key]}`);
  }
  if (raw.rules !== undefined) {
    if (!isRecord(raw.rules)) problems.push('loopguard.rules must be an object like {"blocking-call-in-async": "error"}; ignored');
    else {
      for (const [id, sev] of Object.entries(raw.rules)) {
        if (!CONFIGURABLE_IDS.includes(id)) problems.push(`loopguard.rules: unknown rule id "${id}" (known: ${CONFIGURABLE_IDS.join(', ')})`);
        else if (!SEVERITIES.includes(sev as SeveritySetting))
          problems.push(`loopguard.rules["${id}"] must be one of ${SEVERITIES.join(', ')}; got ${JSON.stringify(sev)}`);
        else settings.rules[id] = sev as SeveritySetting;
      }
    }
  }
  for (const [key, kind] of [['blockingApis', 'blocking'], ['cpuHeavyApis', 'cpuHeavy']] as const) {
    const v = raw[key];
    if (v === undefined) continue;
    if (!Array.isArray(v)) {
      problems.push(`loopguard.${key} must be an array of entries; ignored`);
      continue;
    }
    // invalid entries are dropped here, so entries combined with a project file's keep their messages
    v.forEach((entry, i) => {
      const problem = userEntryProblem(kind, entry);
      if (problem) problems.push(`loopguard.${key}[${i}] ${problem}`);
      else settings[key].push(entry);
    });
  }
  if (raw.overrides !== undefined) {
    const errors = validateOverrideList(raw.overrides);
    if (errors.length === 0) settings.overrides = raw.overrides as OverrideConfig[];
    else for (const [pointer, what] of errors) problems.push(`loopguard.overrides${pointer.replace(/\/(\d+)/g, '[$1]').replace(/\//g, '.')}: ${what}; loopguard.overrides ignored`);
  }
  if (raw.testFiles !== undefined) {
    const v = raw.testFiles;
    const problem = !Array.isArray(v)
      ? `must be an array of globs; got ${JSON.stringify(v)}`
      : v
          .map((g, i) => (typeof g !== 'string' || g.length === 0 ? `[${i}] must be a non-empty string; got ${JSON.stringify(g)}` : globProblem(g) ? `[${i}] ${globProblem(g)}; got ${JSON.stringify(g)}` : undefined))
          .find((p) => p !== undefined);
    if (problem === undefined) settings.testFiles = [...(v as string[])];
    else problems.push(`loopguard.testFiles${problem.startsWith('[') ? '' : ' '}${problem}; using the default test file globs`);
  }
  if (raw.configurationPreference !== undefined) {
    const v = raw.configurationPreference;
    if (CONFIGURATION_PREFERENCES.includes(v as ConfigurationPreference)) settings.configurationPreference = v as ConfigurationPreference;
    else problems.push(`loopguard.configurationPreference must be one of ${CONFIGURATION_PREFERENCES.join(', ')}; got ${JSON.stringify(v)}`);
  }
  for (const key of ['maxFileSize', 'timeBudgetMs', 'cpuLoopThreshold'] as const) {
    const v = raw[key];
    if (v === undefined) continue;
    if (typeof v === 'number' && Number.isFinite(v) && v > 0) settings[key] = v;
    else problems.push(`loopguard.${key} must be a positive number; using ${DEFAULT_SETTINGS[key]}`);
  }
  return { settings, problems };
}

/** Settings that rules read. */
export interface RuleOptions {
  cpuLoopThreshold: number;
  pythonFreeThreaded: boolean;
}

/** What one analysis needs, derived from Settings. */
export interface AnalysisConfig {
  /** effective severity of every rule (defaults filled in) */
  severities: Record<string, SeveritySetting>;
  catalogue: Catalogue;
  maxFileSize: number;
  options: RuleOptions;
  /** skip generated and minified files (engine/generated.ts); absent counts as false */
  skipGenerated?: boolean;
}

export interface ResolvedConfig {
  config: AnalysisConfig;
  problems: string[];
}

const catalogueCache = new Map<string, { catalogue: Catalogue; problems: string[] }>();

export function toAnalysisConfig(settings: Settings): ResolvedConfig {
  const severities: Record<string, SeveritySetting> = {};
  for (const rule of RULES) severities[rule.meta.id] = settings.rules[rule.meta.id] ?? rule.meta.defaultSeverity;
  severities[UNUSED_SUPPRESSION] = settings.rules[UNUSED_SUPPRESSION] ?? UNUSED_SUPPRESSION_DEFAULT;
  const key = JSON.stringify([settings.blockingApis, settings.cpuHeavyApis]);
  let built = catalogueCache.get(key);
  if (!built) {
    built = buildCatalogue(settings.blockingApis, settings.cpuHeavyApis);
    if (catalogueCache.size > 32) catalogueCache.clear();
    catalogueCache.set(key, built);
  }
  const options: RuleOptions = { cpuLoopThreshold: settings.cpuLoopThreshold, pythonFreeThreaded: settings.pythonFreeThreaded };
  return { config: { severities, catalogue: built.catalogue, maxFileSize: settings.maxFileSize, options, skipGenerated: settings.skipGenerated }, problems: built.problems };
}

export function defaultAnalysisConfig(): AnalysisConfig {
  return toAnalysisConfig(DEFAULT_SETTINGS).config;
}

export function isSeverity(s: SeveritySetting): s is Severity {
  return s !== 'off';
}

/** What one source (editor settings, a project file) says for one file once its overrides applied. */
interface Layer {
  rules: Record<string, SeveritySetting>;
  /** the severities that matching `overrides` entries set: they alone re-enable TEST_FILE_EXEMPT_RULES in test files */
  overrideRules: Record<string, SeveritySetting>;
  /** the source's test file globs and the folder they are relative to, when the source sets them */
  testFiles?: { globs: readonly string[]; base: string | undefined };
  blockingApis: readonly unknown[];
  cpuHeavyApis: readonly unknown[];
  cpuLoopThreshold?: number;
  pythonFreeThreaded?: boolean;
  skipGenerated?: boolean;
}

interface LayerSource {
  rules?: Record<string, SeveritySetting>;
  testFiles?: readonly string[];
  overrides?: readonly OverrideConfig[];
  blockingApis?: readonly unknown[];
  cpuHeavyApis?: readonly unknown[];
  cpuLoopThreshold?: number;
  pythonFreeThreaded?: boolean;
  skipGenerated?: boolean;
}

/** `base` is the folder the source's globs are relative to; `relPath` the file relative to it. */
function layerFor(source: LayerSource, base: string | undefined, relPath: string | undefined): Layer {
  const layer: Layer = {
    rules: { ...source.rules },
    overrideRules: {},
    ...(source.testFiles !== undefined ? { testFiles: { globs: source.testFiles, base } } : {}),
    blockingApis: source.blockingApis ?? [],
    cpuHeavyApis: source.cpuHeavyApis ?? [],
    ...(source.cpuLoopThreshold !== undefined ? { cpuLoopThreshold: source.cpuLoopThreshold } : {}),
    ...(source.pythonFreeThreaded !== undefined ? { pythonFreeThreaded: source.pythonFreeThreaded } : {}),
    ...(source.skipGenerated !== undefined ? { skipGenerated: source.skipGenerated } : {}),
  };
  if (relPath === undefined) return layer;
  for (const o of source.overrides ?? []) {
    if (!matchesAny(relPath, o.files) || matchesAny(relPath, o.excludeFiles)) continue;
    Object.assign(layer.rules, o.rules);
    Object.assign(layer.overrideRules, o.rules);
    if (o.cpuLoopThreshold !== undefined) layer.cpuLoopThreshold = o.cpuLoopThreshold;
    if (o.pythonFreeThreaded !== undefined) layer.pythonFreeThreaded = o.pythonFreeThreaded;
  }
  return layer;
}

/**
 * Editor settings as a layer: only what the user set counts. Clients send every setting with its
 * default filled in, so a value equal to the default counts as not set (and lets the project file speak).
 */
function editorLayer(settings: Settings, base: string | undefined, relPath: string | undefined): Layer {
  return layerFor(
    {
      rules: settings.rules,
      ...(!sameGlobs(settings.testFiles, DEFAULT_TEST_FILES) ? { testFiles: settings.testFiles } : {}),
      overrides: settings.overrides,
      blockingApis: settings.blockingApis,
      cpuHeavyApis: settings.cpuHeavyApis,
      ...(settings.cpuLoopThreshold !== DEFAULT_SETTINGS.cpuLoopThreshold ? { cpuLoopThreshold: settings.cpuLoopThreshold } : {}),
      ...(settings.pythonFreeThreaded !== DEFAULT_SETTINGS.pythonFreeThreaded ? { pythonFreeThreaded: settings.pythonFreeThreaded } : {}),
      ...(settings.skipGenerated !== DEFAULT_SETTINGS.skipGenerated ? { skipGenerated: settings.skipGenerated } : {}),
    },
    base,
    relPath,
  );
}

function sameGlobs(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((g, i) => g === b[i]);
}

/** `first` wins where both set a rule or a value; catalogue entries of `first` come later, so they win on the same name. */
function combine(first: Layer, second: Layer): Layer {
  const threshold = first.cpuLoopThreshold ?? second.cpuLoopThreshold;
  const freeThreaded = first.pythonFreeThreaded ?? second.pythonFreeThreaded;
  const skipGenerated = first.skipGenerated ?? second.skipGenerated;
  const testFiles = first.testFiles ?? second.testFiles;
  return {
    rules: { ...second.rules, ...first.rules },
    overrideRules: { ...second.overrideRules, ...first.overrideRules },
    ...(testFiles !== undefined ? { testFiles } : {}),
    blockingApis: [...second.blockingApis, ...first.blockingApis],
    cpuHeavyApis: [...second.cpuHeavyApis, ...first.cpuHeavyApis],
    ...(threshold !== undefined ? { cpuLoopThreshold: threshold } : {}),
    ...(freeThreaded !== undefined ? { pythonFreeThreaded: freeThreaded } : {}),
    ...(skipGenerated !== undefined ? { skipGenerated } : {}),
  };
}

export interface FileConfigRequest {
  /** absolute path of the file analysed; undefined for documents not on disk */
  fileName: string | undefined;
  /** editor settings (the CLI's flags play this part) */
  settings: Settings;
  /**
   * where the editor's `loopguard.overrides` and `loopguard.testFiles` globs are relative to: the
   * document's workspace folder (the CLI: its working directory). Without it and without a project
   * file, no file counts as a test file.
   */
  settingsBase: string | undefined;
  /** the project file governing the file, if any (ignored with `editorOnly`) */
  project: ProjectConfig | undefined;
}

export interface FileConfig {
  /** the effective settings for the file */
  settings: Settings;
  config: AnalysisConfig;
  /** the valid project file that was applied */
  projectFile: string | undefined;
  /** set when the project file's `exclude` covers the file: it is not analysed */
  excludedBy: string | undefined;
}

const fileConfigCache = new Map<string, AnalysisConfig>();

function isTestFile(fileName: string, globs: readonly string[], base: string | undefined): boolean {
  if (globs.length === 0 || base === undefined) return false;
  const rel = relativePath(base, fileName);
  return rel !== undefined && matchesAny(rel, globs);
}

/** The configuration of one file: editor settings and its project file combined by `configurationPreference`. */
export function configForFile(req: FileConfigRequest): FileConfig {
  const { settings } = req;
  const project = settings.configurationPreference === 'editorOnly' ? undefined : req.project?.data !== undefined ? req.project : undefined;
  const fileName = req.fileName;
  const editorRel = fileName !== undefined && req.settingsBase !== undefined ? relativePath(req.settingsBase, fileName) : undefined;
  const editor = editorLayer(settings, req.settingsBase, editorRel);
  let layer = editor;
  let excludedBy: string | undefined;
  if (project?.data) {
    const projectRel = fileName !== undefined ? relativePath(project.dir, fileName) : undefined;
    if (projectRel !== undefined && matchesAny(projectRel, project.data.exclude)) excludedBy = project.file;
    const fromFile = layerFor(project.data, project.dir, projectRel);
    layer = settings.configurationPreference === 'filesystemFirst' ? combine(fromFile, editor) : combine(editor, fromFile);
  }
  // where no source sets them, the default globs are relative to the project file's folder (the
  // project's root), else to the workspace folder
  const testFiles = layer.testFiles ?? { globs: DEFAULT_TEST_FILES, base: project?.dir ?? req.settingsBase };
  const rules = { ...layer.rules };
  if (fileName !== undefined && isTestFile(fileName, testFiles.globs, testFiles.base)) {
    // global `rules` severities do not count: making a rule an error is meant for application code
    for (const id of TEST_FILE_EXEMPT_RULES) rules[id] = layer.overrideRules[id] ?? 'off';
  }
  const effective: Settings = {
    ...settings,
    rules,
    testFiles: [...testFiles.globs],
    blockingApis: [...layer.blockingApis],
    cpuHeavyApis: [...layer.cpuHeavyApis],
    cpuLoopThreshold: layer.cpuLoopThreshold ?? DEFAULT_SETTINGS.cpuLoopThreshold,
    pythonFreeThreaded: layer.pythonFreeThreaded ?? DEFAULT_SETTINGS.pythonFreeThreaded,
    skipGenerated: layer.skipGenerated ?? DEFAULT_SETTINGS.skipGenerated,
  };
  // files of one project mostly share one configuration: hand out the same object for them
  const key = JSON.stringify([effective.rules, effective.blockingApis, effective.cpuHeavyApis, effective.cpuLoopThreshold, effective.pythonFreeThreaded, effective.maxFileSize, effective.skipGenerated]);
  let config = fileConfigCache.get(key);
  if (!config) {
    config = toAnalysisConfig(effective).config;
    if (fileConfigCache.size > 64) fileConfigCache.clear();
    fileConfigCache.set(key, config);
  }
  return { settings: effective, config, projectFile: project?.file, excludedBy };
}
