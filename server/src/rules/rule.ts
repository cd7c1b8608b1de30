// What a rule is. Rules see the language-neutral SourceModel and the catalogue, and report
// findings through the context; they never see LSP types or a particular syntax tree.

import type { EcosystemCatalogue } from '../engine/catalogue';
import type { RuleOptions } from '../engine/config';
import type { Fix, RelatedInformation, Severity } from '../engine/finding';
import type { Call, LanguageFamily, SourceModel, Span } from '../engine/model';
import type { CalleeSummary, Evidence } from '../engine/workspace/types';

export interface RuleMeta {
  /** kebab-case, names the bad pattern; part of the public interface */
  id: string;
  languages: readonly LanguageFamily[];
  defaultSeverity: Severity;
  /** message templates with {{placeholders}}, keyed by message id */
  messages: Readonly<Record<string, string>>;
  /** one line for tables and SARIF's shortDescription */
  summary: string;
  /** the catalogue section the rule reads; its generated docs list the entries */
  catalogue?: 'blocking' | 'cpuHeavy';
}

export interface Report {
  messageId: string;
  data: Record<string, string>;
  span: Span;
  fixes: Fix[];
  /** other places that explain the finding (each hop of a chain of calls), for relatedInformation */
  related?: RelatedInformation[];
}

export interface RuleContext {
  readonly model: SourceModel;
  readonly catalogue: EcosystemCatalogue;
  /** settings rules may read (thresholds, interpreter facts) */
  readonly options: RuleOptions;
  /**
   * What a call to a function of this file (Call.target) or of an imported module (Call.imported)
   * reaches, with its summary — or undefined when it cannot be resolved (never guessed). Other files
   * are only known when the engine runs with a Workspace. Optional so rules can be driven by hand.
   */
  readonly callee?: (call: Call) => CalleeSummary | undefined;
  /**
   * "Make the chain async" for a call whose callee blocks with `evidence` (fixes/chain-async.ts): an
   * unsafe fix that may edit other files, or undefined when it is refused. Only with a Workspace.
   */
  readonly chainFix?: (call: Call, evidence: Evidence) => Fix | undefined;
  report(report: Report): void;
}

export interface Rule {
  meta: RuleMeta;
  check(ctx: RuleContext): void;
}

export function renderMessage(template: string, data: Record<string, string>): string {
  return template.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, key: string) => data[key] ?? `{{${key}}}`);
}
