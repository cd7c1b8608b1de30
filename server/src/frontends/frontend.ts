// The contract of a language front end: source text in, SourceModel out. One folder per language
// under frontends/; adding a language means adding a folder and listing it in frontends/index.ts.

import type { EcosystemCatalogue } from '../engine/catalogue';
import type { LanguageFamily, SourceModel, Span } from '../engine/model';

export interface SourceInput {
  fileName: string;
  text: string;
  /** the editor's language id when known; otherwise inferred from the file extension */
  languageId?: string;
  /** the package the file belongs to, for files on disk; fixes that write other files need it */
  project?: ProjectFacts;
  /**
   * The text is a notebook's code cells, concatenated (server/src/notebooks): each cell's span, in
   * order. The Python front end then reads IPython syntax (magics) as blank, and runs the top-level
   * code of a cell that awaits on the event loop (IPython's autoawait).
   */
  notebookCells?: readonly Span[];
}

/** What fixes may know about the file's package (engine/project.ts builds it from package.json). */
export interface ProjectFacts {
  /** the directory of the nearest package.json */
  root: string;
  /** dependencies and devDependencies */
  dependencies: readonly string[];
  /** package.json `"type"`: how `.js` files are loaded */
  moduleType: 'module' | 'commonjs';
  fileExists(path: string): boolean;
  /** the nearest tsconfig.json at or above the file, within the package: how its TypeScript is compiled */
  tsconfig?: TsconfigFacts;
}

/** What a TypeScript file's fixes need from its tsconfig.json (after `extends`). Paths are absolute. */
export interface TsconfigFacts {
  /** the directory of the tsconfig.json */
  dir: string;
  /** `compilerOptions.rootDir` */
  rootDir?: string;
  /** the `include` patterns, relative to `dir` (inherited ones rebased); absent when the config has none */
  include?: readonly string[];
  /**
   * `compilerOptions.module`: CommonJS → `commonjs`; ES2015…ESNext and Preserve → `esm`; Node16/18/NodeNext →
   * `node` (the package's `type` and the file extension decide); AMD, UMD, System → `other`; absent when unset.
   */
  module?: 'commonjs' | 'esm' | 'node' | 'other';
  /** `compilerOptions.verbatimModuleSyntax`: CommonJS output then cannot be written with `import`/`export` */
  verbatimModuleSyntax?: boolean;
}

export interface ParsedSource {
  model: SourceModel;
  /** frees what the parser holds (tree-sitter trees live in WASM memory); call once, after analysis */
  dispose(): void;
}

/**
 * What the caller will read of the model. `factsOnly`: only what the project model's per-file facts
 * read (engine/workspace/facts.ts) — `scopes`, `calls`, `loops`, `exports`, `text` — is built, exactly as
 * a full parse builds it; the rest is left empty (`comments`, `syntaxProblems`, `stateWrites`,
 * `lockRegions`, `awaitRaces`) and the fixer builds nothing. For a workspace scan, where the facts are
 * all that is kept and the passes only the other rules need would cost as much as the parse itself.
 * Never hand such a model to the rules.
 */
export interface ParseOptions {
  factsOnly?: boolean;
}

export interface Frontend {
  family: LanguageFamily;
  /** file extensions, with the dot */
  extensions: readonly string[];
  /** LSP language ids */
  languageIds: readonly string[];
  /** parse and build the model; must not throw on any input text */
  parse(input: SourceInput, catalogue: EcosystemCatalogue, options?: ParseOptions): ParsedSource;
}
