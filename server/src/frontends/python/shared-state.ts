// unsynchronized-shared-state, Python side of the model: writes to shared state made in functions
// (StateWrite) and the stretches of code that hold a lock (LockRegion, threading and asyncio locks).
// (stub: being built)

import type { Node } from 'web-tree-sitter';
import type { LockRegion, StateWrite } from '../../engine/model';
import type { BuiltModel } from './build';

export function collectSharedState(_text: string, _root: Node, _built: BuiltModel): { stateWrites: StateWrite[]; lockRegions: LockRegion[] } {
  return { stateWrites: [], lockRegions: [] };
}
