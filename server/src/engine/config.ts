// Settings shared by the language server (`loopguard.*` in VS Code) and the CLI, and their
// validation. A malformed value never fails the whole configuration: it is replaced by its default
// and a message says which setting was ignored and why.

import { buildCatalogue, type Catalogue } from './catalogue';
import type { Severity, SeveritySetting } from './finding';
import { RULES, RULE_IDS } from '../rules/registry';

export interface Settings {
  /** analysis on/off */
  enable: boolean;
  /** per-rule severity, `off` switches a rule off; rules not listed use their default */
  rules: Record<string, SeveritySetting>;
  /** user catalogue entries: additions, overrides and `"enabled": false` switch-offs */
  blockingApis: unknown[];
  /** files longer than this many characters are skipped with a message */
  maxFileSize: number;
  /** the server warns in its status item when analysing one file takes longer than this */
  timeBudgetMs: number;
  /** a loop with a constant trip count is CPU-heavy from this many iterations on */
  cpuLoopThreshold: number;
  /** the Python interpreter is free-threaded (no GIL): threads do run Python code in parallel */
  pythonFreeThreaded: boolean;
}

export const DEFAULT_SETTINGS: Readonly<Settings> = Object.freeze({
  enable: true,
  rules: {},
  blockingApis: [],
  maxFileSize: 4_000_000,
  timeBudgetMs: 500,
  cpuLoopThreshold: 100_000,
  pythonFreeThreaded: false,
});

/** The JSON schema of the settings, mirrored by package.json `contributes.configuration` (a test keeps them in sync). */
export const SETTINGS_SCHEMA = {
  enable: { type: 'boolean', default: DEFAULT_SETTINGS.enable },
  rules: { type: 'object', default: {} },
  blockingApis: { type: 'array', default: [] },
  maxFileSize: { type: 'number', default: DEFAULT_SETTINGS.maxFileSize },
  timeBudgetMs: { type: 'number', default: DEFAULT_SETTINGS.timeBudgetMs },
  cpuLoopThreshold: { type: 'number', default: DEFAULT_SETTINGS.cpuLoopThreshold },
  pythonFreeThreaded: { type: 'boolean', default: DEFAULT_SETTINGS.pythonFreeThreaded },
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
  const settings: Settings = { ...DEFAULT_SETTINGS, rules: {}, blockingApis: [] };
  if (raw === undefined || raw === null) return { settings, problems };
  if (!isRecord(raw)) return { settings, problems: ['loopguard settings must be an object; using defaults'] };

  for (const key of ['enable', 'pythonFreeThreaded'] as const) {
    const v = raw[key];
    if (v === undefined) continue;
    if (typeof v === 'boolean') settings[key] = v;
    else problems.push(`loopguard.${key} must be true or false; using ${DEFAULT_SETTINGS[key]}`);
  }
  if (raw.rules !== undefined) {
    if (!isRecord(raw.rules)) problems.push('loopguard.rules must be an object like {"blocking-call-in-async": "error"}; ignored');
    else {
      for (const [id, sev] of Object.entries(raw.rules)) {
        if (!RULE_IDS.includes(id)) problems.push(`loopguard.rules: unknown rule id "${id}" (known: ${RULE_IDS.join(', ')})`);
        else if (!SEVERITIES.includes(sev as SeveritySetting))
          problems.push(`loopguard.rules["${id}"] must be one of ${SEVERITIES.join(', ')}; got ${JSON.stringify(sev)}`);
        else settings.rules[id] = sev as SeveritySetting;
      }
    }
  }
  if (raw.blockingApis !== undefined) {
    if (Array.isArray(raw.blockingApis)) settings.blockingApis = raw.blockingApis;
    else problems.push('loopguard.blockingApis must be an array of entries; ignored');
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
}

export interface ResolvedConfig {
  config: AnalysisConfig;
  problems: string[];
}

const catalogueCache = new Map<string, { catalogue: Catalogue; problems: string[] }>();

export function toAnalysisConfig(settings: Settings): ResolvedConfig {
  const severities: Record<string, SeveritySetting> = {};
  for (const rule of RULES) severities[rule.meta.id] = settings.rules[rule.meta.id] ?? rule.meta.defaultSeverity;
  const key = JSON.stringify(settings.blockingApis);
  let built = catalogueCache.get(key);
  if (!built) {
    built = buildCatalogue(settings.blockingApis);
    if (catalogueCache.size > 32) catalogueCache.clear();
    catalogueCache.set(key, built);
  }
  const options: RuleOptions = { cpuLoopThreshold: settings.cpuLoopThreshold, pythonFreeThreaded: settings.pythonFreeThreaded };
  return { config: { severities, catalogue: built.catalogue, maxFileSize: settings.maxFileSize, options }, problems: built.problems };
}

export function defaultAnalysisConfig(): AnalysisConfig {
  return toAnalysisConfig(DEFAULT_SETTINGS).config;
}

export function isSeverity(s: SeveritySetting): s is Severity {
  return s !== 'off';
}
