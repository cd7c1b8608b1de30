// The contract of a language front end: source text in, SourceModel out. One folder per language
// under frontends/; adding a language means adding a folder and listing it in frontends/index.ts.

import type { EcosystemCatalogue } from '../engine/catalogue';
import type { LanguageFamily, SourceModel } from '../engine/model';

export interface SourceInput {
  fileName: string;
  text: string;
  /** the editor's language id when known; otherwise inferred from the file extension */
  languageId?: string;
  /** the package the file belongs to, for files on disk; fixes that write other files need it */
  project?: ProjectFacts;
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
}

export interface ParsedSource {
  model: SourceModel;
  /** frees what the parser holds (tree-sitter trees live in WASM memory); call once, after analysis */
  dispose(): void;
}

export interface Frontend {
  family: LanguageFamily;
  /** file extensions, with the dot */
  extensions: readonly string[];
  /** LSP language ids */
  languageIds: readonly string[];
  /** parse and build the model; must not throw on any input text */
  parse(input: SourceInput, catalogue: EcosystemCatalogue): ParsedSource;
}
