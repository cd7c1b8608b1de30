// unsynchronized-shared-state (threads): run a write with a threading lock held. (stub: being built)

import type { StateWrite } from '../../engine/model';
import type { LineIndex } from '../../engine/text';
import type { PythonFileFacts } from '../../frontends/python/facts';
import type { LockChoice, SafetyRatedFix } from '../fixer';

export function guardWithLock(_facts: PythonFileFacts, _lines: LineIndex, _write: StateWrite, _lock: LockChoice): SafetyRatedFix | undefined {
  return undefined;
}
