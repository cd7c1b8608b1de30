// What the TypeScript/JavaScript front end hands its fixer: the parsed file and the walk's records,
// kept for the model's lifetime so that building a fix never re-parses or re-walks the file.

import type ts from 'typescript';
import type { Comment, FunctionScope } from '../../engine/model';
import type { ProjectFacts } from '../frontend';
import type { LexScope } from './bindings';
import type { LoopSite } from './loops';
import type { TriviaIndex } from './trivia';
import type { CallSite } from './walker';

export interface TsFileFacts {
  sf: ts.SourceFile;
  text: string;
  fileName: string;
  scriptKind: ts.ScriptKind;
  scopes: readonly FunctionScope[];
  /** one per model call, same order */
  sites: readonly CallSite[];
  moduleScope: LexScope;
  /** identifiers called without any binding in scope: a new import must not capture them */
  freeNames: ReadonlySet<string>;
  comments: readonly Comment[];
  trivia: TriviaIndex;
  /** one per model loop, same order */
  loops: readonly LoopSite[];
  /** the file's package, when it is a file on disk (fixes that create worker modules need it) */
  project?: ProjectFacts;
}
