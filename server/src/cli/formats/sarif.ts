// --format sarif: SARIF 2.1.0 as GitHub code scanning reads it. Rules carry their documentation
// page (help text and markdown), docs URL, default level and tags; results carry a fingerprint that
// survives unrelated edits, locations relative to %SRCROOT% (the working directory) with 1-based
// regions in UTF-16 code units, and every fix — safe and unsafe, and those that create or edit other
// files — as SARIF `fixes`. test/unit/sarif.test.ts validates the output against the SARIF schema.

import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AnalysisResult } from '../../engine/engine';
import type { Fix, Severity, TextEdit } from '../../engine/finding';
import { LineIndex } from '../../engine/text';
import { RULES, ruleDocsUrl } from '../../rules/registry';
import { findingLocation, type FileReport, type RunReport } from '../report';
import { docSection, markdownToText, ruleDocMarkdown } from '../rule-docs';

type Level = 'error' | 'warning' | 'note' | 'none';

const LEVEL: Record<Severity, Level> = { error: 'error', warning: 'warning', info: 'note', hint: 'note' };

export const SRCROOT = '%SRCROOT%';
/** partialFingerprints key: rule, file and the finding's line with whitespace normalised, then `:<n>` for the n-th such finding */
export const FINGERPRINT_KEY = 'loopguardFindingHash/v1';

interface ArtifactLocation {
  uri: string;
  uriBaseId?: string;
}

interface Region {
  startLine?: number;
  startColumn?: number;
  endLine?: number;
  endColumn?: number;
  charOffset?: number;
  charLength?: number;
}

const LANGUAGE_TAGS = { javascript: ['javascript', 'typescript'], python: ['python'] } as const;

function pascalCase(id: string): string {
  return id.replace(/(^|-)([a-z0-9])/g, (_, __: string, c: string) => c.toUpperCase());
}

function ruleDescriptors(): object[] {
  return RULES.map((r) => {
    const id = r.meta.id;
    const markdown = ruleDocMarkdown(id);
    const whatItDoes = markdown === undefined ? undefined : docSection(markdown, 'What it does');
    return {
      id,
      name: pascalCase(id),
      shortDescription: { text: r.meta.summary },
      fullDescription: whatItDoes ? { text: markdownToText(whatItDoes), markdown: whatItDoes } : { text: r.meta.summary },
      helpUri: ruleDocsUrl(id),
      help:
        markdown === undefined
          ? { text: `${r.meta.summary} See ${ruleDocsUrl(id)}` }
          : { text: markdownToText(markdown), markdown },
      defaultConfiguration: { level: LEVEL[r.meta.defaultSeverity] },
      properties: { tags: ['concurrency', ...new Set(r.meta.languages.flatMap((l) => LANGUAGE_TAGS[l]))] },
    };
  });
}

/** A path as a URI reference: relative to %SRCROOT% when inside the working directory, else a file URI. */
function artifactLocation(report: RunReport, file: string, absolute: string | undefined): ArtifactLocation {
  const abs = absolute ?? (report.cwd && !path.isAbsolute(file) ? path.resolve(report.cwd, file) : undefined);
  if (report.cwd && abs) {
    const rel = path.relative(report.cwd, abs);
    if (rel && !rel.startsWith('..') && !path.isAbsolute(rel)) {
      return { uri: rel.split(path.sep).map(encodeURIComponent).join('/'), uriBaseId: SRCROOT };
    }
    return { uri: pathToFileURL(abs).href };
  }
  if (path.isAbsolute(file)) return { uri: pathToFileURL(file).href };
  return { uri: file.split('/').map(encodeURIComponent).join('/'), uriBaseId: SRCROOT };
}

function region(lines: LineIndex | undefined, e: TextEdit): Region {
  const offsets = { charOffset: e.start, charLength: e.end - e.start };
  if (!lines) return offsets;
  const s = lines.position(e.start);
  const en = lines.position(e.end);
  return { startLine: s.line + 1, startColumn: s.character + 1, endLine: en.line + 1, endColumn: en.character + 1, ...offsets };
}

/** in file order; every region refers to the text before the fix, as our edits do */
function inOrder(edits: readonly TextEdit[]): TextEdit[] {
  return [...edits].sort((a, b) => a.start - b.start || a.end - b.end);
}

function sarifFix(report: RunReport, file: FileReport, fix: Fix): object {
  const created = (fix.otherFiles ?? []).filter((c) => c.create).map((c) => c.fileName);
  return {
    description: { text: fix.title + (fix.safe ? '' : ' (unsafe: review before applying)') },
    artifactChanges: [
      { artifactLocation: artifactLocation(report, file.file, file.path), replacements: inOrder(fix.edits).map((e) => ({ deletedRegion: region(file.result.lines, e), insertedContent: { text: e.newText } })) },
      // SARIF has no "create a file": a new file is an insertion into an empty artifact, flagged in properties
      ...(fix.otherFiles ?? []).map((c) => ({
        artifactLocation: artifactLocation(report, c.fileName, c.fileName),
        replacements: inOrder(c.edits).map((e) => ({ deletedRegion: c.create ? region(EMPTY, e) : region(undefined, e), insertedContent: { text: e.newText } })),
        ...(c.create ? { properties: { create: true } } : {}),
      })),
    ],
    properties: { safe: fix.safe, ...(created.length ? { createsFiles: created.map((f) => artifactLocation(report, f, f).uri) } : {}) },
  };
}

/** positions in a file the fix creates: it starts empty */
const EMPTY = new LineIndex('');

function fingerprint(rule: string, uri: string, result: AnalysisResult, line: number): string {
  const text = result.lines.lineText(line - 1).trim().replace(/\s+/g, ' ');
  return createHash('sha256').update(`${rule}\0${uri}\0${text}`).digest('hex').slice(0, 32);
}

export function toSarif(report: RunReport, version: string): object {
  const results: object[] = [];
  const notifications: object[] = [];
  for (const file of report.files) {
    const { result } = file;
    const location = artifactLocation(report, file.file, file.path);
    const seen = new Map<string, number>();
    for (const f of result.findings) {
      const loc = findingLocation(result, f);
      const hash = fingerprint(f.rule, location.uri, result, loc.line);
      const n = (seen.get(hash) ?? 0) + 1;
      seen.set(hash, n);
      results.push({
        ruleId: f.rule,
        ruleIndex: RULES.findIndex((r) => r.meta.id === f.rule),
        level: LEVEL[f.severity],
        message: { text: f.message },
        locations: [
          {
            physicalLocation: {
              artifactLocation: location,
              region: { startLine: loc.line, startColumn: loc.column, endLine: loc.endLine, endColumn: loc.endColumn },
            },
          },
        ],
        partialFingerprints: { [FINGERPRINT_KEY]: `${hash}:${n}` },
        properties: { messageId: f.messageId },
        fixes: f.fixes.map((fix) => sarifFix(report, file, fix)),
      });
    }
    const at = [{ physicalLocation: { artifactLocation: location } }];
    for (const e of result.ruleErrors) {
      notifications.push({
        level: 'error',
        message: { text: `internal error in rule ${e.rule} (please report): ${e.error.split('\n')[0]}` },
        locations: at,
        associatedRule: { id: e.rule, index: RULES.findIndex((r) => r.meta.id === e.rule) },
      });
    }
    if (result.syntaxProblems.length > 0) {
      notifications.push({ level: 'warning', message: { text: 'the file has syntax errors; findings may be incomplete' }, locations: at });
    }
    if (result.skipped && result.family !== undefined) {
      notifications.push({ level: 'note', message: { text: `not analysed: ${result.skipped}` }, locations: at });
    }
  }
  const overrides = RULES.flatMap((r, index) => {
    const setting = report.severities?.[r.meta.id];
    if (setting === undefined || setting === r.meta.defaultSeverity) return [];
    const configuration = setting === 'off' ? { enabled: false } : { level: LEVEL[setting] };
    return [{ descriptor: { id: r.meta.id, index }, configuration }];
  });
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'loopguard',
            version,
            semanticVersion: version,
            informationUri: 'https://github.com/loopguard/loopguard',
            rules: ruleDescriptors(),
          },
        },
        invocations: [
          {
            executionSuccessful: report.files.every((f) => f.result.ruleErrors.length === 0),
            ...(overrides.length ? { ruleConfigurationOverrides: overrides } : {}),
            ...(notifications.length ? { toolExecutionNotifications: notifications } : {}),
          },
        ],
        ...(report.cwd ? { originalUriBaseIds: { [SRCROOT]: { uri: pathToFileURL(report.cwd).href.replace(/\/?$/, '/') } } } : {}),
        columnKind: 'utf16CodeUnits',
        results,
      },
    ],
  };
}

export function formatSarif(report: RunReport, version: string): string {
  return JSON.stringify(toSarif(report, version), null, 2) + '\n';
}
