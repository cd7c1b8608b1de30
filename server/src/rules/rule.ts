// What a rule is. Rules see the language-neutral SourceModel and the catalogue, and report
// findings through the context; they never see LSP types or a particular syntax tree.

import type { EcosystemCatalogue } from '../engine/catalogue';
import type { RuleOptions } from '../engine/config';
import type { Fix, Severity } from '../engine/finding';
import type { LanguageFamily, SourceModel, Span } from '../engine/model';

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
}

export interface RuleContext {
  readonly model: SourceModel;
  readonly catalogue: EcosystemCatalogue;
  /** settings rules may read (thresholds, interpreter facts) */
  readonly options: RuleOptions;
  report(report: Report): void;
}

export interface Rule {
  meta: RuleMeta;
  check(ctx: RuleContext): void;
}

export function renderMessage(template: string, data: Record<string, string>): string {
  return template.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, key: string) => data[key] ?? `{{${key}}}`);
}
