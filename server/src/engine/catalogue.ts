// The API catalogue: what blocks, what replaces it, and whether the fix is safe.
//
// The data lives in rules/catalogue/*.json (validated against rules/catalogue.schema.json); this
// module loads it, validates user additions from settings with the same schema, and answers
// "is this qualified name a blocking API?" in O(1).

import Ajv, { type ValidateFunction } from 'ajv';
import schema from '../../../rules/catalogue.schema.json';
import nodeCatalogue from '../../../rules/catalogue/node.json';
import pythonCatalogue from '../../../rules/catalogue/python.json';
import type { LanguageFamily } from './model';

export type Ecosystem = 'node' | 'python';

export interface FixSpec {
  kind: 'await-twin' | 'await-promisified' | 'promisify-exec' | 'to-thread';
  safe: boolean;
  module?: string;
  name?: string;
  namespacePath?: string;
}

/** An argument written as one of `literals` makes the call return at once (`blocking=False`, `timeout=0`). */
export interface NonBlockingArgument {
  /** the keyword argument's name (Python) */
  keyword?: string;
  /** 0-based index among the positional arguments */
  position?: number;
  /** the argument's source text, e.g. `False`, `0` */
  literals: string[];
}

export interface BlockingApi {
  name: string;
  category?: string;
  advice: string;
  when?: 'always' | 'no-callback-argument' | 'main-thread';
  nonBlockingWhen?: NonBlockingArgument[];
  enabled?: boolean;
  fixes?: FixSpec[];
}

export interface CpuHeavyApi {
  name: string;
  releasesGil?: boolean;
}

export interface AsyncFlavour {
  sleep: string;
  toThread: string;
}

export interface CatalogueFile {
  $schema?: string;
  ecosystem: Ecosystem;
  blocking: BlockingApi[];
  cpuHeavy?: CpuHeavyApi[];
  types?: Record<string, string>;
  flavours?: Record<string, AsyncFlavour>;
}

/** A user's addition or switch-off, from `loopguard.cpuHeavyApis` (or a project file's `cpuHeavyApis`). */
export interface UserCpuHeavyApi extends CpuHeavyApi {
  language?: Ecosystem;
  /** false switches a built-in entry off */
  enabled?: boolean;
}

/** A user's addition or switch-off, from `loopguard.blockingApis`. */
export interface UserBlockingApi extends BlockingApi {
  /** which ecosystem the entry is for; inferred from nothing, so required when ambiguous */
  language?: Ecosystem;
}

export const ECOSYSTEM_OF: Record<LanguageFamily, Ecosystem> = { javascript: 'node', python: 'python' };

let validateFile: ValidateFunction<CatalogueFile> | undefined;
let validateEntry: ValidateFunction<BlockingApi> | undefined;
let validateCpuEntry: ValidateFunction<CpuHeavyApi> | undefined;

function validators(): { file: ValidateFunction<CatalogueFile>; entry: ValidateFunction<BlockingApi>; cpuEntry: ValidateFunction<CpuHeavyApi> } {
  if (!validateFile || !validateEntry || !validateCpuEntry) {
    const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false });
    ajv.addSchema(schema);
    validateFile = ajv.getSchema<CatalogueFile>(schema.$id) as ValidateFunction<CatalogueFile>;
    validateEntry = ajv.compile<BlockingApi>({ $ref: `${schema.$id}#/definitions/blockingApi` });
    validateCpuEntry = ajv.compile<CpuHeavyApi>({ $ref: `${schema.$id}#/properties/cpuHeavy/items` });
  }
  return { file: validateFile, entry: validateEntry, cpuEntry: validateCpuEntry };
}

function describeErrors(v: ValidateFunction): string {
  return (v.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message ?? 'is invalid'}`).join('; ');
}

/** Validates a catalogue file; returns the problems, empty when valid. */
export function validateCatalogueFile(data: unknown): string[] {
  const v = validators().file;
  return v(data) ? [] : [describeErrors(v)];
}

function wildcardToRegExp(name: string): RegExp {
  const escaped = name.split('*').map((s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'));
  return new RegExp(`^${escaped.join('[\\w$]*')}$`);
}

/** The blocking APIs of one ecosystem, with user settings applied. Immutable once built. */
export class EcosystemCatalogue {
  private readonly exact = new Map<string, BlockingApi>();
  private readonly patterns: Array<{ re: RegExp; api: BlockingApi }> = [];
  readonly types: ReadonlyMap<string, string>;
  readonly flavours: ReadonlyMap<string, AsyncFlavour>;
  private readonly cpuExact = new Map<string, CpuHeavyApi>();
  /** `numpy.*` entries: module prefix → entry */
  private readonly cpuModules = new Map<string, CpuHeavyApi>();

  constructor(file: CatalogueFile, user: readonly BlockingApi[] = [], userCpuHeavy: readonly UserCpuHeavyApi[] = []) {
    for (const api of file.blocking) this.exact.set(api.name, api);
    for (const api of user) {
      if (api.enabled === false) {
        this.exact.delete(api.name);
        continue;
      }
      if (api.name.includes('*')) this.patterns.push({ re: wildcardToRegExp(api.name), api });
      else this.exact.set(api.name, { ...this.exact.get(api.name), ...api });
    }
    // a switched-off wildcard removes every built-in entry it matches
    for (const api of user) {
      if (api.enabled === false && api.name.includes('*')) {
        const re = wildcardToRegExp(api.name);
        for (const name of [...this.exact.keys()]) if (re.test(name)) this.exact.delete(name);
      }
    }
    for (const api of file.cpuHeavy ?? []) {
      if (api.name.endsWith('.*')) this.cpuModules.set(api.name.slice(0, -2), api);
      else this.cpuExact.set(api.name, api);
    }
    // user entries come last so they win over built-in ones of the same name
    for (const { enabled, language: _language, ...api } of userCpuHeavy) {
      const table = api.name.endsWith('.*') ? this.cpuModules : this.cpuExact;
      const key = api.name.endsWith('.*') ? api.name.slice(0, -2) : api.name;
      if (enabled === false) table.delete(key);
      else table.set(key, api);
    }
    this.types = new Map(Object.entries(file.types ?? {}));
    this.flavours = new Map(Object.entries(file.flavours ?? {}));
  }

  lookup(name: string): BlockingApi | undefined {
    const hit = this.exact.get(name);
    if (hit) return hit;
    for (const p of this.patterns) if (p.re.test(name)) return p.api;
    return undefined;
  }

  /** The CPU-heavy API a qualified name refers to, if any (`numpy.*` covers `numpy.linalg.svd`). */
  cpuHeavy(name: string): CpuHeavyApi | undefined {
    const hit = this.cpuExact.get(name);
    if (hit) return hit;
    for (let dot = name.lastIndexOf('.'); dot > 0; dot = name.lastIndexOf('.', dot - 1)) {
      const mod = this.cpuModules.get(name.slice(0, dot));
      if (mod) return mod;
    }
    return undefined;
  }

  get entries(): readonly BlockingApi[] {
    return [...this.exact.values()];
  }
}

export interface Catalogue {
  node: EcosystemCatalogue;
  python: EcosystemCatalogue;
}

export const BUILTIN_CATALOGUES: Record<Ecosystem, CatalogueFile> = {
  node: nodeCatalogue as CatalogueFile,
  python: pythonCatalogue as CatalogueFile,
};

export interface UserCatalogueResult {
  catalogue: Catalogue;
  /** one message per rejected user entry; the rest still apply */
  problems: string[];
}

export type UserEntryKind = 'blocking' | 'cpuHeavy';

type CheckedEntry = { ok: true; entry: Record<string, unknown>; language: Ecosystem | undefined } | { ok: false; problem: string };

function checkUserEntry(kind: UserEntryKind, raw: unknown): CheckedEntry {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, problem: kind === 'blocking' ? 'must be an object with "name" and "advice"' : 'must be an object with "name"' };
  }
  const { language, ...entry } = raw as Record<string, unknown>;
  let checked: Record<string, unknown> = entry;
  let v: ValidateFunction;
  if (kind === 'blocking') {
    checked = entry.enabled === false && entry.advice === undefined ? { ...entry, advice: 'switched off' } : entry;
    v = validators().entry;
  } else {
    // the catalogue file's cpuHeavy items have no "enabled": user entries may switch built-in ones off
    const { enabled, ...rest } = entry;
    if (enabled !== undefined && typeof enabled !== 'boolean') return { ok: false, problem: `(${String(entry.name ?? '?')}): /enabled must be boolean` };
    checked = rest;
    v = validators().cpuEntry;
  }
  if (!v(checked)) return { ok: false, problem: `(${String(entry.name ?? '?')}): ${describeErrors(v)}` };
  if (language !== undefined && language !== 'node' && language !== 'python') {
    return { ok: false, problem: `(${String(entry.name)}): "language" must be "node" or "python"` };
  }
  return { ok: true, entry: kind === 'blocking' ? checked : entry, language };
}

/**
 * Why a user catalogue entry (settings or project file) is rejected, or undefined when it is valid.
 * The text starts with the entry's name in parentheses, or says what the entry must be.
 */
export function userEntryProblem(kind: UserEntryKind, raw: unknown): string | undefined {
  const c = checkUserEntry(kind, raw);
  return c.ok ? undefined : c.problem;
}

/**
 * Builds the catalogue from the built-in files plus user entries. Invalid user entries are dropped
 * with a message naming them; they never make the whole configuration fail.
 */
export function buildCatalogue(userEntries: readonly unknown[] = [], userCpuHeavy: readonly unknown[] = []): UserCatalogueResult {
  const problems: string[] = [];
  const perEco: Record<Ecosystem, BlockingApi[]> = { node: [], python: [] };
  const cpuPerEco: Record<Ecosystem, UserCpuHeavyApi[]> = { node: [], python: [] };
  userEntries.forEach((raw, i) => {
    const c = checkUserEntry('blocking', raw);
    if (!c.ok) {
      problems.push(`loopguard.blockingApis[${i}] ${c.problem}`);
      return;
    }
    for (const eco of c.language ? [c.language] : (['node', 'python'] as const)) perEco[eco].push(c.entry as unknown as BlockingApi);
  });
  userCpuHeavy.forEach((raw, i) => {
    const c = checkUserEntry('cpuHeavy', raw);
    if (!c.ok) {
      problems.push(`loopguard.cpuHeavyApis[${i}] ${c.problem}`);
      return;
    }
    for (const eco of c.language ? [c.language] : (['node', 'python'] as const)) cpuPerEco[eco].push(c.entry as unknown as UserCpuHeavyApi);
  });
  return {
    catalogue: {
      node: new EcosystemCatalogue(BUILTIN_CATALOGUES.node, perEco.node, cpuPerEco.node),
      python: new EcosystemCatalogue(BUILTIN_CATALOGUES.python, perEco.python, cpuPerEco.python),
    },
    problems,
  };
}

let defaultCatalogue: Catalogue | undefined;
export function builtinCatalogue(): Catalogue {
  return (defaultCatalogue ??= buildCatalogue([]).catalogue);
}
