// unsynchronized-shared-state (shared memory): element writes through Atomics. (stub: being built)

import type { StateWrite } from '../../engine/model';
import type { LineIndex } from '../../engine/text';
import type { TsFileFacts } from '../../frontends/typescript/facts';
import type { SafetyRatedFix } from '../fixer';

export function useAtomics(_facts: TsFileFacts, _lines: LineIndex, _write: StateWrite): SafetyRatedFix | undefined {
  return undefined;
}
