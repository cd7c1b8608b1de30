// race-across-await (JS/TS): await before reading the state, or hold a mutex from the read to the
// write. (stub: being built)

import type { AwaitRace } from '../../engine/model';
import type { LineIndex } from '../../engine/text';
import type { TsFileFacts } from '../../frontends/typescript/facts';
import type { LockChoice, SafetyRatedFix } from '../fixer';

export function rereadAfterAwait(_facts: TsFileFacts, _lines: LineIndex, _race: AwaitRace): SafetyRatedFix | undefined {
  return undefined;
}

export function guardWithAsyncLock(_facts: TsFileFacts, _lines: LineIndex, _race: AwaitRace, _lock: LockChoice): SafetyRatedFix | undefined {
  return undefined;
}
