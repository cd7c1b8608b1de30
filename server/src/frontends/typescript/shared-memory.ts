// unsynchronized-shared-state, JS/TS side of the model: plain element writes to typed arrays over a
// SharedArrayBuffer that another thread can touch (StateWrite, owner `shared-memory`). (stub: being built)

import type ts from 'typescript';
import type { StateWrite } from '../../engine/model';
import type { WalkResult } from './walker';

export function collectSharedMemoryWrites(_sf: ts.SourceFile, _text: string, _walk: WalkResult): StateWrite[] {
  return [];
}
