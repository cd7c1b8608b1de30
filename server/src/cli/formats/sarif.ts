// --format sarif: SARIF 2.1.0 for code-scanning services. Rules carry their docs URL; fixes become
// SARIF `fixes` with the exact replacements.

import { RULES, ruleDocsUrl } from '../../rules/registry';
import type { Severity } from '../../engine/finding';
import { findingLocation, type RunReport } from '../report';

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { error: 'error', warning: 'warning', info: 'note', hint: 'note' };

export function formatSarif(report: RunReport, version: string): string {
  const results = [];
  for (const { file, result } of report.files) {
    for (const f of result.findings) {
      const loc = findingLocation(result, f);
      const uri = encodeURI(file);
      results.push({
        ruleId: f.rule,
        ruleIndex: RULES.findIndex((r) => r.meta.id === f.rule),
        level: LEVEL[f.severity],
        message: { text: f.message },
        locations: [
          {
            physicalLocation: {
              artifactLocation: { uri },
              region: { startLine: loc.line, startColumn: loc.column, endLine: loc.endLine, endColumn: loc.endColumn },
            },
          },
        ],
        // a fix that also creates or edits other files would be incomplete as one artifact's replacements
        fixes: f.fixes.filter((fix) => !fix.otherFiles).map((fix) => ({
          description: { text: fix.title + (fix.safe ? '' : ' (unsafe: review before applying)') },
          artifactChanges: [
            {
              artifactLocation: { uri },
              replacements: fix.edits.map((e) => {
                const s = result.lines.position(e.start);
                const en = result.lines.position(e.end);
                return {
                  deletedRegion: { startLine: s.line + 1, startColumn: s.character + 1, endLine: en.line + 1, endColumn: en.character + 1 },
                  insertedContent: { text: e.newText },
                };
              }),
            },
          ],
        })),
      });
    }
  }
  const log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'loopguard',
            version,
            informationUri: 'https://github.com/loopguard/loopguard',
            rules: RULES.map((r) => ({
              id: r.meta.id,
              name: r.meta.id,
              shortDescription: { text: r.meta.summary },
              helpUri: ruleDocsUrl(r.meta.id),
              help: { text: `${r.meta.summary} See ${ruleDocsUrl(r.meta.id)}` },
              defaultConfiguration: { level: LEVEL[r.meta.defaultSeverity] },
            })),
          },
        },
        columnKind: 'utf16CodeUnits',
        results,
      },
    ],
  };
  return JSON.stringify(log, null, 2) + '\n';
}
