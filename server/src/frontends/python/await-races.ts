// race-across-await, Python side of the model: read → await → write of the same shared state in
// `async def` bodies (AwaitRace). (stub: being built)

import type { Node } from 'web-tree-sitter';
import type { AwaitRace } from '../../engine/model';
import type { BuiltModel } from './build';

export function collectAwaitRaces(_text: string, _root: Node, _built: BuiltModel): AwaitRace[] {
  return [];
}
