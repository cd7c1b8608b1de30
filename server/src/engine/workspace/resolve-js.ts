// The JavaScript/TypeScript module resolver of the project model: Node's and TypeScript's resolution,
// restricted to the files of the workspace.
//
// Relative specifiers with extension probing, `index.*`, TypeScript's `.js` → `.ts` substitution and a
// directory's `package.json` `main`; `tsconfig`/`jsconfig` `paths` and `baseUrl` (the nearest config
// above the importing file, `extends` followed by the TypeScript API); bare specifiers that name a
// package of the workspace (a `node_modules/<name>` symlink into a root, the roots' `workspaces`
// globs, or the `packages` map the caller fills), through its `exports` map or `main`/`module`/
// `types`, preferring the TypeScript source when the target is build output (`dist/x.js` → `src/x.ts`
// through the package's `outDir`/`rootDir`). Anything that ends in `node_modules` (an installed
// package), a Node builtin, a declaration file, or nothing is `undefined`: the caller never guesses.
//
// Everything read goes through the WorkspaceHost (open documents win over the disk); only symlinks and
// directory listings (for `workspaces` globs) go to the disk. Results are cached per (directory,
// specifier); `invalidate` drops what a created, deleted or configuration file can change.

import * as fs from 'node:fs';
import { builtinModules } from 'node:module';
import * as path from 'node:path';
import ts from 'typescript';
import type { ModuleResolver, WorkspaceHost } from './types';

export interface JsResolverOptions {
  /**
   * Workspace packages by name → their directory (absolute), when the caller already knows them (the
   * core's file list sees every package.json). Consulted after `node_modules` symlinks and before the
   * resolver's own scan of the roots' `workspaces` globs.
   */
  packages?: ReadonlyMap<string, string>;
  /** Resolves symlinks (default: the disk's realpath); undefined when the path does not exist. */
  realpath?: (fileName: string) => string | undefined;
  /** Subdirectory names of a directory (default: the disk); for `workspaces` globs only. */
  listDirectories?: (dir: string) => readonly string[];
}

export interface JsResolver extends ModuleResolver {
  /**
   * Forget what `fileName` can change: a created or deleted file changes which probe succeeds, a
   * package.json or tsconfig/jsconfig changes the configuration. Editing a source file's content
   * changes nothing here and need not be reported. Without an argument, forget everything.
   */
  invalidate(fileName?: string): void;
}

const BUILTINS: ReadonlySet<string> = new Set(builtinModules);
/** TypeScript's order first, then JavaScript's: a `.ts` next to its compiled `.js` is the source. */
const EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs'];
const SOURCE_EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts'];
/** TypeScript's substitution: an import written for the emitted file names its source. */
const JS_TO_TS: Record<string, readonly string[]> = {
  '.js': ['.ts', '.tsx'],
  '.jsx': ['.tsx'],
  '.mjs': ['.mts'],
  '.cjs': ['.cts'],
};
const CONDITIONS = new Set(['types', 'import', 'require', 'node', 'default', 'module', 'source']);
const CONFIG_NAMES = ['tsconfig.json', 'jsconfig.json'];
const BUILD_DIRS = new Set(['dist', 'build', 'lib', 'out', 'esm', 'cjs']);

interface ConfigInfo {
  /** where `paths` entries are relative to */
  pathsBase: string | undefined;
  paths: ReadonlyMap<string, readonly string[]> | undefined;
  baseUrl: string | undefined;
  outDir: string | undefined;
  rootDir: string | undefined;
  declarationDir: string | undefined;
  configDir: string;
}

interface PackageJson {
  name?: unknown;
  main?: unknown;
  module?: unknown;
  types?: unknown;
  typings?: unknown;
  exports?: unknown;
  workspaces?: unknown;
}

function isDeclaration(fileName: string): boolean {
  return /\.d\.[cm]?ts$/.test(fileName) || /\.d\.[^/\\]*\.ts$/.test(fileName);
}

function isRelative(specifier: string): boolean {
  return specifier === '.' || specifier === '..' || specifier.startsWith('./') || specifier.startsWith('../') || path.isAbsolute(specifier);
}

/** `@scope/name/sub/path` → [`@scope/name`, `sub/path`]; `name` → [`name`, ``]. */
function splitPackage(specifier: string): [string, string] | undefined {
  const parts = specifier.split('/');
  const n = specifier.startsWith('@') ? 2 : 1;
  if (parts.length < n || parts.slice(0, n).some((p) => p === '')) return undefined;
  return [parts.slice(0, n).join('/'), parts.slice(n).join('/')];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function defaultRealpath(fileName: string): string | undefined {
  try {
    return fs.realpathSync.native(fileName);
  } catch {
    return undefined;
  }
}

function defaultListDirectories(dir: string): readonly string[] {
  try {
    return fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch {
    return [];
  }
}

export function createJsResolver(host: WorkspaceHost, roots: readonly string[], options: JsResolverOptions = {}): JsResolver {
  return new JsModuleResolver(host, roots, options);
}

class JsModuleResolver implements JsResolver {
  readonly family = 'javascript' as const;
  private readonly roots: readonly string[];
  private readonly realpath: (fileName: string) => string | undefined;
  private readonly listDirectories: (dir: string) => readonly string[];
  /** `${fromDir}\0${specifier}` → file, null when not a workspace file */
  private readonly resolutions = new Map<string, string | null>();
  /** directory → the config that applies to files in it */
  private readonly configsByDir = new Map<string, ConfigInfo | null>();
  /** config file → parsed */
  private readonly configs = new Map<string, ConfigInfo | null>();
  private readonly packageJsons = new Map<string, PackageJson | null>();
  private workspacePackages: Map<string, string> | undefined;

  constructor(
    private readonly host: WorkspaceHost,
    roots: readonly string[],
    private readonly options: JsResolverOptions,
  ) {
    this.roots = roots.map((r) => path.resolve(r));
    this.realpath = options.realpath ?? defaultRealpath;
    this.listDirectories = options.listDirectories ?? defaultListDirectories;
  }

  resolve(specifier: string, importPath: readonly string[], fromFile: string): { fileName: string; path: readonly string[] } | undefined {
    if (specifier.startsWith('node:') || BUILTINS.has(specifier)) return undefined;
    const fromDir = path.dirname(path.resolve(fromFile));
    const key = `${fromDir}\0${specifier}`;
    let file = this.resolutions.get(key);
    if (file === undefined) {
      file = this.resolveUncached(specifier, fromDir) ?? null;
      if (file !== null && !this.inWorkspace(file)) file = null;
      this.resolutions.set(key, file);
    }
    return file === null ? undefined : { fileName: file, path: importPath };
  }

  invalidate(fileName?: string): void {
    this.resolutions.clear();
    const base = fileName === undefined ? undefined : path.basename(fileName);
    if (base === undefined || base === 'package.json' || /^(?:ts|js)config.*\.json$/.test(base) || base === 'pnpm-workspace.yaml') {
      this.configsByDir.clear();
      this.configs.clear();
      this.packageJsons.clear();
      this.workspacePackages = undefined;
    }
  }

  // ---- resolution --------------------------------------------------------------------------------

  private resolveUncached(specifier: string, fromDir: string): string | undefined {
    if (isRelative(specifier)) return this.fileOrDirectory(path.resolve(fromDir, specifier));
    const config = this.configFor(fromDir);
    if (config) {
      const viaPaths = this.viaPaths(specifier, config);
      if (viaPaths !== undefined) return viaPaths;
      if (config.baseUrl !== undefined) {
        const viaBase = this.fileOrDirectory(path.resolve(config.baseUrl, specifier));
        if (viaBase !== undefined) return viaBase;
      }
    }
    return this.viaPackage(specifier, fromDir);
  }

  /** TypeScript's `paths`: the exact pattern, else the matching pattern with the longest prefix. */
  private viaPaths(specifier: string, config: ConfigInfo): string | undefined {
    if (!config.paths || config.pathsBase === undefined) return undefined;
    let best: { targets: readonly string[]; star: string } | undefined;
    let bestPrefix = -1;
    for (const [pattern, targets] of config.paths) {
      const star = pattern.indexOf('*');
      if (star < 0) {
        if (pattern === specifier) {
          best = { targets, star: '' };
          break;
        }
        continue;
      }
      const prefix = pattern.slice(0, star);
      const suffix = pattern.slice(star + 1);
      if (specifier.length >= prefix.length + suffix.length && specifier.startsWith(prefix) && specifier.endsWith(suffix) && prefix.length > bestPrefix) {
        bestPrefix = prefix.length;
        best = { targets, star: specifier.slice(prefix.length, specifier.length - suffix.length) };
      }
    }
    if (!best) return undefined;
    for (const t of best.targets) {
      const found = this.fileOrDirectory(path.resolve(config.pathsBase, t.replace('*', best.star)));
      if (found !== undefined) return found;
    }
    return undefined;
  }

  /** A bare specifier naming a package of the workspace. */
  private viaPackage(specifier: string, fromDir: string): string | undefined {
    const split = splitPackage(specifier);
    if (!split) return undefined;
    const [name, subpath] = split;
    const dir = this.packageDirectory(name, fromDir);
    return dir === undefined ? undefined : this.inPackage(dir, subpath);
  }

  /**
   * Node looks in `node_modules` up the tree; what it finds there is the package, and only a symlink
   * into the workspace (npm/yarn/pnpm workspaces link their packages) is one of ours. Packages not
   * installed yet are found by name among the workspace's own.
   */
  private packageDirectory(name: string, fromDir: string): string | undefined {
    for (let dir = fromDir; ; ) {
      if (path.basename(dir) !== 'node_modules') {
        const candidate = path.join(dir, 'node_modules', name);
        if (this.host.directoryExists(candidate)) {
          const real = this.realpath(candidate);
          return real !== undefined && this.inWorkspace(real) ? real : undefined;
        }
      }
      const parent = path.dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
    return this.options.packages?.get(name) ?? this.scanWorkspacePackages().get(name);
  }

  private inPackage(dir: string, subpath: string): string | undefined {
    const pkg = this.packageJson(dir);
    if (pkg && pkg.exports !== undefined && pkg.exports !== null) {
      // `exports` encapsulates the package: what it does not list cannot be imported
      return this.viaExports(dir, pkg.exports, subpath === '' ? '.' : `./${subpath}`);
    }
    if (subpath !== '') return this.builtFile(dir, path.join(dir, subpath));
    return this.packageMain(dir, pkg) ?? this.indexOf(dir);
  }

  private packageMain(dir: string, pkg: PackageJson | undefined): string | undefined {
    if (!pkg) return undefined;
    for (const field of [pkg.main, pkg.module, pkg.types, pkg.typings]) {
      if (typeof field !== 'string' || field === '') continue;
      const found = this.builtFile(dir, path.join(dir, field));
      if (found !== undefined) return found;
    }
    return undefined;
  }

  private viaExports(dir: string, exportsField: unknown, key: string): string | undefined {
    let map: Record<string, unknown>;
    if (typeof exportsField === 'string' || Array.isArray(exportsField)) map = { '.': exportsField };
    else if (isObject(exportsField)) {
      const keys = Object.keys(exportsField);
      map = keys.length > 0 && keys.every((k) => !k.startsWith('.')) ? { '.': exportsField } : exportsField;
    } else return undefined;
    if (Object.prototype.hasOwnProperty.call(map, key) && !key.includes('*')) return this.exportTarget(dir, map[key], undefined);
    // subpath patterns: the longest prefix wins (Node's PATTERN_KEY_COMPARE)
    let best: string | undefined;
    let star = '';
    for (const k of Object.keys(map)) {
      const at = k.indexOf('*');
      if (at < 0) continue;
      const prefix = k.slice(0, at);
      const suffix = k.slice(at + 1);
      if (key.length >= k.length - 1 && key.startsWith(prefix) && key.endsWith(suffix) && (best === undefined || prefix.length > best.indexOf('*'))) {
        best = k;
        star = key.slice(prefix.length, key.length - suffix.length);
      }
    }
    return best === undefined ? undefined : this.exportTarget(dir, map[best], star);
  }

  /** A target of the exports map: a path, an array of fallbacks, or conditions in the package's order. */
  private exportTarget(dir: string, target: unknown, star: string | undefined, depth = 0): string | undefined {
    if (depth > 10) return undefined;
    if (typeof target === 'string') {
      if (!target.startsWith('./')) return undefined;
      const rel = star === undefined ? target : target.split('*').join(star);
      return this.builtFile(dir, path.join(dir, rel));
    }
    if (Array.isArray(target)) {
      for (const t of target) {
        const found = this.exportTarget(dir, t, star, depth + 1);
        if (found !== undefined) return found;
      }
      return undefined;
    }
    if (isObject(target)) {
      for (const [condition, value] of Object.entries(target)) {
        if (!CONDITIONS.has(condition)) continue;
        const found = this.exportTarget(dir, value, star, depth + 1);
        if (found !== undefined) return found;
      }
    }
    return undefined;
  }

  /**
   * A file a package points at (main, an export target): the TypeScript source it is built from when
   * there is one, else the file itself (with the usual probing). Declaration files never.
   */
  private builtFile(pkgDir: string, file: string): string | undefined {
    const source = this.sourceOf(pkgDir, file);
    if (source !== undefined) return source;
    if (isDeclaration(file)) return undefined;
    return this.fileOrDirectory(file);
  }

  /** `dist/x.js` → `src/x.ts` through the package's tsconfig `outDir`/`rootDir`, else the usual build folder names. */
  private sourceOf(pkgDir: string, file: string): string | undefined {
    const stem = file.replace(/(?:\.d)?\.[cm]?[jt]sx?$/, '');
    const config = this.configIn(pkgDir);
    const pairs: Array<[string, string]> = [];
    if (config) {
      const rootDir = config.rootDir ?? path.join(config.configDir, 'src');
      if (config.outDir !== undefined) pairs.push([config.outDir, rootDir]);
      if (config.declarationDir !== undefined) pairs.push([config.declarationDir, rootDir]);
      if (config.rootDir === undefined && config.outDir !== undefined) pairs.push([config.outDir, config.configDir]);
    }
    const rel = path.relative(pkgDir, stem);
    const first = rel.split(path.sep)[0];
    if (BUILD_DIRS.has(first) && !rel.startsWith('..')) {
      const out = path.join(pkgDir, first);
      pairs.push([out, path.join(pkgDir, 'src')]);
      pairs.push([out, pkgDir]);
    }
    for (const [out, root] of pairs) {
      const inOut = path.relative(out, stem);
      if (inOut.startsWith('..') || path.isAbsolute(inOut)) continue;
      const base = path.join(root, inOut);
      // a source file that sits in the output folder is not a mapping
      if (path.resolve(base) === path.resolve(stem)) continue;
      for (const ext of SOURCE_EXTENSIONS) if (this.host.fileExists(base + ext)) return base + ext;
      const index = this.indexOf(base, SOURCE_EXTENSIONS);
      if (index !== undefined) return index;
    }
    return undefined;
  }

  /**
   * Node's LOAD_AS_FILE then LOAD_AS_DIRECTORY with TypeScript's extensions: the exact file, the
   * `.js` → `.ts` substitution, each extension appended, then a directory's package.json main and index.
   */
  private fileOrDirectory(p: string): string | undefined {
    const ext = path.extname(p);
    const substitutes = JS_TO_TS[ext];
    if (substitutes) {
      const stem = p.slice(0, -ext.length);
      for (const s of substitutes) if (this.host.fileExists(stem + s)) return stem + s;
    }
    if (EXTENSIONS.includes(ext) && !isDeclaration(p) && this.host.fileExists(p)) return p;
    for (const e of EXTENSIONS) if (this.host.fileExists(p + e)) return p + e;
    if (!this.host.directoryExists(p)) return undefined;
    const pkg = this.packageJson(p);
    if (pkg) {
      const main = this.packageMain(p, pkg);
      if (main !== undefined) return main;
    }
    return this.indexOf(p);
  }

  private indexOf(dir: string, extensions: readonly string[] = EXTENSIONS): string | undefined {
    for (const e of extensions) {
      const f = path.join(dir, `index${e}`);
      if (this.host.fileExists(f)) return f;
    }
    return undefined;
  }

  private inWorkspace(file: string): boolean {
    for (const root of this.roots) {
      const rel = path.relative(root, file);
      if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) continue;
      return !rel.split(path.sep).includes('node_modules');
    }
    return false;
  }

  // ---- configuration -----------------------------------------------------------------------------

  private packageJson(dir: string): PackageJson | undefined {
    const file = path.join(dir, 'package.json');
    let pkg = this.packageJsons.get(file);
    if (pkg === undefined) {
      pkg = null;
      const text = this.host.readFile(file);
      if (text !== undefined) {
        try {
          const parsed: unknown = JSON.parse(text);
          if (isObject(parsed)) pkg = parsed as PackageJson;
        } catch {
          // a package.json being typed: as if absent
        }
      }
      this.packageJsons.set(file, pkg);
    }
    return pkg ?? undefined;
  }

  /** The nearest tsconfig.json / jsconfig.json at or above `dir`, stopping at the filesystem root. */
  private configFor(dir: string): ConfigInfo | undefined {
    const seen: string[] = [];
    let found: ConfigInfo | null = null;
    for (let d = dir; ; ) {
      const cached = this.configsByDir.get(d);
      if (cached !== undefined) {
        found = cached;
        break;
      }
      seen.push(d);
      const here = this.configIn(d);
      if (here) {
        found = here;
        break;
      }
      const parent = path.dirname(d);
      if (parent === d || path.basename(d) === 'node_modules') break;
      d = parent;
    }
    for (const d of seen) this.configsByDir.set(d, found);
    return found ?? undefined;
  }

  /** The tsconfig.json (else jsconfig.json) in `dir` itself. */
  private configIn(dir: string): ConfigInfo | undefined {
    for (const name of CONFIG_NAMES) {
      const file = path.join(dir, name);
      let info = this.configs.get(file);
      if (info === undefined) {
        info = this.host.fileExists(file) ? this.parseConfig(file) ?? null : null;
        this.configs.set(file, info);
      }
      if (info) return info;
    }
    return undefined;
  }

  private parseConfig(file: string): ConfigInfo | undefined {
    const text = this.host.readFile(file);
    if (text === undefined) return undefined;
    const json = ts.parseConfigFileTextToJson(file, text);
    if (!isObject(json.config)) return undefined;
    const parseHost: ts.ParseConfigHost = {
      useCaseSensitiveFileNames: ts.sys?.useCaseSensitiveFileNames ?? true,
      // the file list is not needed, and enumerating it would walk the project for every config
      readDirectory: () => [],
      fileExists: (f) => this.host.fileExists(f),
      readFile: (f) => this.host.readFile(f),
    };
    const dir = path.dirname(file);
    const parsed = ts.parseJsonConfigFileContent(json.config, parseHost, dir, undefined, file);
    const o = parsed.options;
    const pathsBasePath = (o as { pathsBasePath?: unknown }).pathsBasePath;
    return {
      paths: o.paths ? new Map(Object.entries(o.paths)) : undefined,
      pathsBase: o.baseUrl ?? (typeof pathsBasePath === 'string' ? pathsBasePath : dir),
      baseUrl: o.baseUrl,
      outDir: o.outDir,
      rootDir: o.rootDir,
      declarationDir: o.declarationDir,
      configDir: dir,
    };
  }

  /** Package name → directory for the roots' `workspaces` (npm, yarn) and `pnpm-workspace.yaml` globs. */
  private scanWorkspacePackages(): Map<string, string> {
    if (this.workspacePackages) return this.workspacePackages;
    const found = new Map<string, string>();
    for (const root of this.roots) {
      const pkg = this.packageJson(root);
      const globs: string[] = [];
      const ws = pkg?.workspaces;
      const list = Array.isArray(ws) ? ws : isObject(ws) && Array.isArray(ws.packages) ? ws.packages : [];
      for (const g of list) if (typeof g === 'string') globs.push(g);
      const pnpm = this.host.readFile(path.join(root, 'pnpm-workspace.yaml'));
      if (pnpm !== undefined) {
        // the `packages:` list is all we need from the YAML: `  - 'packages/*'`
        for (const m of pnpm.matchAll(/^\s*-\s*['"]?([^'"\n#]+?)['"]?\s*$/gm)) globs.push(m[1]);
      }
      for (const g of globs) {
        if (g.startsWith('!')) continue;
        for (const dir of this.expandGlob(root, g.split('/').filter((s) => s !== '' && s !== '.'))) {
          const name = this.packageJson(dir)?.name;
          if (typeof name === 'string' && !found.has(name)) found.set(name, dir);
        }
      }
    }
    this.workspacePackages = found;
    return found;
  }

  /** Directories matching a workspace glob: `*` within one segment, `**` any depth (node_modules skipped). */
  private expandGlob(dir: string, segments: readonly string[], depth = 0): string[] {
    if (segments.length === 0) return [dir];
    if (depth > 8) return [];
    const [seg, ...rest] = segments;
    if (seg === '**') {
      const out = this.expandGlob(dir, rest, depth + 1);
      for (const sub of this.listDirectories(dir)) {
        if (sub === 'node_modules' || sub.startsWith('.')) continue;
        out.push(...this.expandGlob(path.join(dir, sub), segments, depth + 1));
      }
      return out;
    }
    if (!seg.includes('*')) return this.expandGlob(path.join(dir, seg), rest, depth + 1);
    const re = new RegExp(`^${seg.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*')}$`);
    const out: string[] = [];
    for (const sub of this.listDirectories(dir)) {
      if (sub === 'node_modules' || !re.test(sub)) continue;
      out.push(...this.expandGlob(path.join(dir, sub), rest, depth + 1));
    }
    return out;
  }
}
