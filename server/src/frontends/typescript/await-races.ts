// race-across-await, JS/TS side of the model: read → await → write of the same shared state in async
// functions (AwaitRace), and the code that holds an async mutex (LockRegion). (stub: being built)

import type ts from 'typescript';
import type { AwaitRace, LockRegion } from '../../engine/model';
import type { WalkResult } from './walker';

export function collectAwaitRaces(_sf: ts.SourceFile, _text: string, _walk: WalkResult): { awaitRaces: AwaitRace[]; lockRegions: LockRegion[] } {
  return { awaitRaces: [], lockRegions: [] };
}
