// race-across-await (Python): await before reading the state, or hold an asyncio.Lock from the read to
// the write. (stub: being built)

import type { AwaitRace } from '../../engine/model';
import type { LineIndex } from '../../engine/text';
import type { PythonFileFacts } from '../../frontends/python/facts';
import type { LockChoice, SafetyRatedFix } from '../fixer';

export function rereadAfterAwait(_facts: PythonFileFacts, _lines: LineIndex, _race: AwaitRace): SafetyRatedFix | undefined {
  return undefined;
}

export function guardWithAsyncLock(_facts: PythonFileFacts, _lines: LineIndex, _race: AwaitRace, _lock: LockChoice): SafetyRatedFix | undefined {
  return undefined;
}
