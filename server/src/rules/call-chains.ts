// How blocking-call-in-async and cpu-loop-on-event-loop show a chain of calls that ends in blocking
// or CPU-heavy work (a function summary from the project model, engine/workspace): inline in the
// message ("loadConfig → readJson → fs.readFileSync (config.ts:12)") and hop by hop as related
// information, each hop a location the editor can jump to.

import * as path from 'node:path';
import type { RelatedInformation } from '../engine/finding';
import type { CalleeSummary, Evidence, Location } from '../engine/workspace/types';

/** `config.ts:12` (1-based line): short enough for a message; the related information has the full path. */
export function shortLocation(location: Location): string {
  return `${path.basename(location.fileName)}:${location.start.line + 1}`;
}

/** Placeholders for a message about a call to `callee`: `chain` and `where` (the evidence's place). */
export function chainData(written: string, evidence: Evidence): { chain: string; where: string } {
  const last = evidence.hops[evidence.hops.length - 1];
  return { chain: [written, ...evidence.hops.map((h) => h.label)].join(' → '), where: shortLocation(last.location) };
}

/** Each hop as related information: the calls on the way, then the evidence itself. */
export function chainRelated(callee: CalleeSummary, evidence: Evidence, what: 'blocks' | 'heavy'): RelatedInformation[] {
  const out: RelatedInformation[] = [{ message: `\`${callee.name}\` is defined here`, location: callee.definition }];
  evidence.hops.forEach((hop, i) => {
    const last = i === evidence.hops.length - 1;
    const message = !last
      ? `calls \`${hop.label}\``
      : what === 'blocks'
        ? `\`${hop.label}\` blocks the thread`
        : `${hop.label} runs here`;
    out.push({ message, location: hop.location });
  });
  return out;
}
