// ProjectFacts for a file on disk: what the nearest package.json says about its package (dependencies,
// module type) and what the nearest tsconfig.json within that package says about how its TypeScript is
// compiled (module format, rootDir, include). Read, never executed; each file is cached with its mtime
// (a tsconfig with the mtimes of every config its `extends` chain read), so the language server pays a
// few stats per analysis and parses again only what changed.

import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';
import type { ProjectFacts, TsconfigFacts } from '../frontends/frontend';

type PackageFacts = Omit<ProjectFacts, 'tsconfig'>;

interface CachedPackage {
  mtimeMs: number;
  facts: PackageFacts | undefined;
}

interface CachedTsconfig {
  /** every file the parse read (the config and its `extends` chain), with its mtime then */
  stamps: ReadonlyArray<readonly [string, number]>;
  facts: TsconfigFacts;
}

const packages = new Map<string, CachedPackage>();
const tsconfigs = new Map<string, CachedTsconfig>();
/** the combined facts, so that an unchanged package hands out the same object */
const combined = new Map<string, { pkg: PackageFacts; tsconfig: TsconfigFacts | undefined; facts: ProjectFacts }>();

// Both probe every directory from a file up to its package root, and most probes miss: no exception per miss.
function fileExists(p: string): boolean {
  try {
    return fs.statSync(p, { throwIfNoEntry: false })?.isFile() === true;
  } catch {
    return false;
  }
}

function mtimeOf(p: string): number | undefined {
  try {
    const st = fs.statSync(p, { throwIfNoEntry: false });
    return st?.isFile() ? st.mtimeMs : undefined;
  } catch {
    return undefined;
  }
}

function names(v: unknown): string[] {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? Object.keys(v) : [];
}

function readPackage(manifest: string): PackageFacts | undefined {
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(manifest, 'utf8'));
  } catch {
    return undefined;
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
  const pkg = json as Record<string, unknown>;
  return {
    root: path.dirname(manifest),
    dependencies: [...new Set([...names(pkg.dependencies), ...names(pkg.devDependencies)])],
    moduleType: pkg.type === 'module' ? 'module' : 'commonjs',
    fileExists,
  };
}

function moduleFormat(kind: ts.ModuleKind | undefined): TsconfigFacts['module'] {
  const K = ts.ModuleKind;
  switch (kind) {
    case undefined:
    case K.None:
      return undefined;
    case K.CommonJS:
      return 'commonjs';
    case K.AMD:
    case K.UMD:
    case K.System:
      return 'other';
    default:
      // Node16, Node18, Node20, NodeNext (and any NodeXX between them); ES2015 … ESNext and Preserve
      return kind >= K.Node16 && kind <= K.NodeNext ? 'node' : 'esm';
  }
}

/**
 * Parses a tsconfig.json the way tsc does (comments, trailing commas, `extends` chains, `${configDir}`),
 * but never lists the directory tree: `readDirectory` only records the include patterns it is asked for.
 * Undefined when the file cannot be read or is not a JSON object.
 */
function readTsconfig(file: string): CachedTsconfig | undefined {
  const read = new Set<string>();
  let include: readonly string[] | undefined;
  const host: ts.ParseConfigHost = {
    useCaseSensitiveFileNames: ts.sys.useCaseSensitiveFileNames,
    fileExists: (p) => fileExists(p),
    readFile: (p) => {
      read.add(p);
      try {
        return fs.readFileSync(p, 'utf8');
      } catch {
        return undefined;
      }
    },
    readDirectory: (_root, _extensions, _excludes, includes) => {
      include ??= includes ? [...includes] : [];
      return [];
    },
  };
  const { config, error } = ts.readConfigFile(file, (p) => host.readFile(p));
  if (error || typeof config !== 'object' || config === null || Array.isArray(config)) return undefined;
  const dir = path.dirname(file);
  const parsed = ts.parseJsonConfigFileContent(config, host, dir, undefined, file);
  const o = parsed.options;
  const module = moduleFormat(o.module);
  const facts: TsconfigFacts = {
    dir,
    ...(o.rootDir !== undefined ? { rootDir: path.resolve(dir, o.rootDir) } : {}),
    ...(include !== undefined ? { include } : {}),
    ...(module !== undefined ? { module } : {}),
    ...(o.verbatimModuleSyntax !== undefined ? { verbatimModuleSyntax: o.verbatimModuleSyntax } : {}),
  };
  // a file of the chain that is missing now (-1) makes the config change when it appears
  const stamps = [...read].map((p) => [p, mtimeOf(p) ?? -1] as const);
  return { stamps, facts };
}

function tsconfigFacts(file: string): TsconfigFacts | undefined {
  const hit = tsconfigs.get(file);
  if (hit && hit.stamps.every(([p, m]) => (mtimeOf(p) ?? -1) === m)) return hit.facts;
  try {
    const fresh = readTsconfig(file);
    if (fresh) tsconfigs.set(file, fresh);
    else tsconfigs.delete(file);
    return fresh?.facts;
  } catch {
    // a config TypeScript itself cannot parse: the fixes that need it are left out
    tsconfigs.delete(file);
    return undefined;
  }
}

function packageFacts(manifest: string, mtimeMs: number): PackageFacts | undefined {
  const hit = packages.get(manifest);
  if (hit && hit.mtimeMs === mtimeMs) return hit.facts;
  const facts = readPackage(manifest);
  packages.set(manifest, { mtimeMs, facts });
  return facts;
}

/**
 * The facts of the package `fileName` belongs to, or undefined when it is not an absolute path of a
 * file with a package.json above it (untitled documents, virtual files) or that package.json is unreadable.
 * `tsconfig` is the nearest tsconfig.json between the file's directory and the package root (both included).
 */
export function projectFactsFor(fileName: string): ProjectFacts | undefined {
  if (!path.isAbsolute(fileName)) return undefined;
  let tsconfigFile: string | undefined;
  for (let dir = path.dirname(fileName); ; ) {
    const candidate = path.join(dir, 'tsconfig.json');
    if (tsconfigFile === undefined && fileExists(candidate)) tsconfigFile = candidate;
    const manifest = path.join(dir, 'package.json');
    const mtimeMs = mtimeOf(manifest);
    if (mtimeMs !== undefined) {
      const pkg = packageFacts(manifest, mtimeMs);
      if (!pkg) return undefined;
      const tsconfig = tsconfigFile === undefined ? undefined : tsconfigFacts(tsconfigFile);
      const key = `${manifest}\0${tsconfigFile ?? ''}`;
      const known = combined.get(key);
      if (known && known.pkg === pkg && known.tsconfig === tsconfig) return known.facts;
      const facts: ProjectFacts = { ...pkg, ...(tsconfig ? { tsconfig } : {}) };
      combined.set(key, { pkg, tsconfig, facts });
      return facts;
    }
    const up = path.dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}
