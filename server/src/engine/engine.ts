// analyse(file) → findings. The one entry point the language server, the CLI, the tests and the
// benchmark share: pick the front end, build the model, run the enabled rules (each isolated, so a
// bug in one rule cannot take the others down), apply suppression comments and severities, then
// report the suppression comments that silenced nothing (`unused-suppression`, suppression.ts).
//
// With a Workspace (engine/workspace), rules also learn what a call to a helper reaches
// (RuleContext.callee): the file's own functions are summarised from the text being analysed (which
// may be an unsaved buffer newer than the workspace's copy), other files' functions from the
// workspace. Without one, callee() still answers for functions of the same file.

import { performance } from 'node:perf_hooks';
import { ECOSYSTEM_OF } from './catalogue';
import { generatedReason } from './generated';
import { isSeverity, type AnalysisConfig } from './config';
import type { Finding, Fix } from './finding';
import type { Call, LanguageFamily, SourceModel, SyntaxProblem } from './model';
import {
  parseSuppressions,
  suppressionsFor,
  UNUSED_SUPPRESSION,
  UNUSED_SUPPRESSION_DEFAULT,
  unusedSuppressions,
  type Suppression,
} from './suppression';
import { LineIndex } from './text';
import { computeFacts, type FileFacts } from './workspace/facts';
import { asCalled, solveSummaries, type SolvedSummary } from './workspace/summaries';
import type { CalleeSummary, Evidence } from './workspace/types';
import type { Workspace } from './workspace/workspace';
import type { Frontend, SourceInput } from '../frontends/frontend';
import { frontendFor, loadFrontends } from '../frontends';
import { RULES, RULE_IDS } from '../rules/registry';
import { renderMessage, type Rule } from '../rules/rule';
import { buildChainFix, chainLanguage, type ChainProject } from '../fixes/chain-async';

export type { SourceInput } from '../frontends/frontend';

export interface RuleError {
  rule: string;
  error: string;
}

export interface AnalysisResult {
  /** undefined when no front end handles the file */
  family: LanguageFamily | undefined;
  findings: Finding[];
  suppressions: Suppression[];
  syntaxProblems: SyntaxProblem[];
  /** set when the file was not analysed, with the reason (too large, unsupported) */
  skipped: string | undefined;
  ruleErrors: RuleError[];
  timings: { parseMs: number; rulesMs: number };
  lines: LineIndex;
}

export class Engine {
  private constructor(private readonly frontends: readonly Frontend[]) {}

  static async create(): Promise<Engine> {
    return new Engine(await loadFrontends());
  }

  /** Whether some front end handles this file. */
  supports(fileName: string, languageId?: string): boolean {
    return frontendFor(this.frontends, fileName, languageId) !== undefined;
  }

  /**
   * The project-model facts of one file (engine/workspace/facts.ts), or undefined when no front end
   * handles it or it is larger than loopguard.maxFileSize. Parses the file; keeps nothing. The front end
   * builds only what facts read (ParseOptions.factsOnly): the facts are those of a full parse.
   */
  facts(input: SourceInput, config: AnalysisConfig): FileFacts | undefined {
    const frontend = frontendFor(this.frontends, input.fileName, input.languageId);
    if (!frontend || input.text.length > config.maxFileSize) return undefined;
    if (config.skipGenerated === true && generatedReason(input.fileName, input.text) !== undefined) return undefined;
    const catalogue = config.catalogue[ECOSYSTEM_OF[frontend.family]];
    const parsed = frontend.parse(input, catalogue, { factsOnly: true });
    try {
      return computeFacts(parsed.model, new LineIndex(input.text), catalogue, config.options);
    } finally {
      parsed.dispose();
    }
  }

  /**
   * `onFacts`, when given, receives the file's project-model facts from this analysis' own parse, before
   * the rules run: a caller that keeps a Workspace loads them there instead of parsing the file again
   * (not called when the file is not parsed: skipped, too large).
   */
  analyse(input: SourceInput, config: AnalysisConfig, rules: readonly Rule[] = RULES, workspace?: Workspace, onFacts?: (facts: FileFacts) => void): AnalysisResult {
    const lines = new LineIndex(input.text);
    const result: AnalysisResult = {
      family: undefined,
      findings: [],
      suppressions: [],
      syntaxProblems: [],
      skipped: undefined,
      ruleErrors: [],
      timings: { parseMs: 0, rulesMs: 0 },
      lines,
    };
    const frontend = frontendFor(this.frontends, input.fileName, input.languageId);
    if (!frontend) {
      result.skipped = 'not a TypeScript, JavaScript or Python file';
      return result;
    }
    result.family = frontend.family;
    if (input.text.length > config.maxFileSize) {
      result.skipped = `file has ${input.text.length} characters, more than loopguard.maxFileSize (${config.maxFileSize})`;
      return result;
    }
    const generated = config.skipGenerated === true ? generatedReason(input.fileName, input.text) : undefined;
    if (generated !== undefined) {
      result.skipped = `${generated}; loopguard.skipGenerated is on`;
      return result;
    }
    const catalogue = config.catalogue[ECOSYSTEM_OF[frontend.family]];
    const t0 = performance.now();
    const parsed = frontend.parse(input, catalogue);
    const t1 = performance.now();
    try {
      const { model } = parsed;
      result.syntaxProblems = model.syntaxProblems;
      result.suppressions = parseSuppressions(model.family, model.comments, lines);
      const used = new Map<Suppression, Set<string>>();
      /** true when a suppression comment silences `rule` on the line of `offset`; marks them used */
      const suppressed = (rule: string, offset: number, except?: Suppression): boolean => {
        const covering = suppressionsFor(result.suppressions, rule, lines.position(offset).line).filter((s) => s !== except);
        for (const s of covering) {
          let ids = used.get(s);
          if (!ids) used.set(s, (ids = new Set()));
          ids.add(rule);
        }
        return covering.length > 0;
      };
      const ran = new Set<string>();
      const facts = onFacts && computeFacts(model, lines, catalogue, config.options);
      if (facts) onFacts?.(facts);
      const callee = calleeResolver(model, lines, catalogue, config, workspace, facts);
      const chainFix = workspace && chainFixer(this.frontends, model, catalogue, workspace);
      for (const rule of rules) {
        const setting = config.severities[rule.meta.id] ?? rule.meta.defaultSeverity;
        if (!isSeverity(setting) || !rule.meta.languages.includes(model.family)) continue;
        const found: Finding[] = [];
        try {
          rule.check({
            model,
            catalogue,
            options: config.options,
            callee,
            ...(chainFix ? { chainFix } : {}),
            report: (r) => {
              if (suppressed(rule.meta.id, r.span.start)) return;
              found.push({
                rule: rule.meta.id,
                messageId: r.messageId,
                data: r.data,
                message: renderMessage(rule.meta.messages[r.messageId] ?? r.messageId, r.data),
                severity: setting,
                span: r.span,
                // the preferred (first) fix is a safe one whenever there is one; otherwise the rule's order
                fixes: [...r.fixes].sort((a, b) => Number(b.safe) - Number(a.safe)),
                suppression: { ...model.fixer.suppress(r.span, rule.meta.id), safe: false },
                ...(r.related?.length ? { related: r.related } : {}),
              });
            },
          });
          result.findings.push(...found);
          ran.add(rule.meta.id);
        } catch (e) {
          result.ruleErrors.push({ rule: rule.meta.id, error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
        }
      }
      // A file that does not parse may hide the findings its directives are for: judging them then
      // would flag correct comments while the user is typing.
      const unusedSetting = config.severities[UNUSED_SUPPRESSION] ?? UNUSED_SUPPRESSION_DEFAULT;
      if (isSeverity(unusedSetting) && result.suppressions.length > 0 && model.syntaxProblems.length === 0) {
        const unused = unusedSuppressions({
          family: model.family,
          text: input.text,
          lines,
          suppressions: result.suppressions,
          used,
          known: new Set([...RULE_IDS, UNUSED_SUPPRESSION]),
          ran,
          allRan: RULES.every((r) => !r.meta.languages.includes(model.family) || ran.has(r.meta.id)),
          severity: unusedSetting,
          suppress: (span) => ({ ...model.fixer.suppress(span, UNUSED_SUPPRESSION), safe: false }),
        });
        for (const { finding, directive } of unused) {
          if (!suppressed(UNUSED_SUPPRESSION, finding.span.start, directive)) result.findings.push(finding);
        }
      }
      result.findings.sort((a, b) => a.span.start - b.span.start || a.rule.localeCompare(b.rule));
    } finally {
      parsed.dispose();
    }
    result.timings = { parseMs: t1 - t0, rulesMs: performance.now() - t1 };
    return result;
  }
}

/**
 * RuleContext.callee for one analysis: this file's functions summarised from the model at hand (its
 * imports resolved and summarised by the workspace, when there is one), solved on first use only.
 */
function calleeResolver(
  model: SourceModel,
  lines: LineIndex,
  catalogue: Parameters<typeof computeFacts>[2],
  config: AnalysisConfig,
  workspace: Workspace | undefined,
  known?: FileFacts,
): (call: Call) => CalleeSummary | undefined {
  let local: { facts: FileFacts; summaries: Map<string, SolvedSummary> } | undefined;
  const keyOf = (scope: number) => `${model.fileName}#${scope}`;
  const solve = () => {
    const facts = known ?? computeFacts(model, lines, catalogue, config.options);
    const nodes = facts.functions.map((fn) => ({
      key: keyOf(fn.scope),
      kind: fn.kind,
      ...(fn.generator ? { generator: true } : {}),
      ...(fn.blocks ? { blocks: fn.blocks } : {}),
      ...(fn.heavy ? { heavy: fn.heavy } : {}),
      edges: fn.edges.map((e) => ({
        callee: e.target !== undefined ? keyOf(e.target) : e.imported && workspace ? workspace.resolveImport(model.fileName, e.imported) : undefined,
        hop: { label: e.label, location: e.location },
        ...(e.iterates ? { iterates: true } : {}),
      })),
    }));
    return { facts, summaries: solveSummaries(nodes, (key) => workspace?.summary(key)) };
  };
  const localCallee = (scope: number, written: string): (CalleeSummary & SolvedSummary) | undefined => {
    local ??= solve();
    const fn = local.facts.functions.find((f) => f.scope === scope);
    return fn && { ...local.summaries.get(keyOf(fn.scope)), name: fn.name ?? written, definition: fn.definition };
  };
  const reached = (call: Call): (CalleeSummary & SolvedSummary) | undefined => {
    if (call.target !== undefined) return localCallee(call.target, call.written);
    if (!call.imported || !workspace) return undefined;
    const key = workspace.resolveImport(model.fileName, call.imported);
    if (key === undefined) return undefined;
    // a cycle back into this file: its functions as they are in this text, not the workspace's copy
    const prefix = `${model.fileName}#`;
    if (key.startsWith(prefix)) return localCallee(Number(key.slice(prefix.length)), call.written);
    return workspace.calleeSummary(key);
  };
  // calling a generator runs none of its body: its evidence counts where the call iterates it
  return (call) => {
    const summary = reached(call);
    return summary && asCalled(summary, call.iterated);
  };
}

/**
 * RuleContext.chainFix for one analysis: the workspace's files of the same language family, parsed on
 * demand by this engine's front ends (fixes/chain-async.ts keeps nothing after building a fix).
 */
function chainFixer(
  frontends: readonly Frontend[],
  model: SourceModel,
  catalogue: Parameters<typeof computeFacts>[2],
  workspace: Workspace,
): ((call: Call, evidence: Evidence) => Fix | undefined) | undefined {
  const language = chainLanguage(model.family);
  if (!language) return undefined;
  const sameFamily = (fileName: string) => {
    const frontend = frontendFor(frontends, fileName);
    return frontend?.family === model.family ? frontend : undefined;
  };
  // one analysis reads each file once, however many findings build a chain fix
  const texts = new Map<string, string | undefined>();
  const project: ChainProject = {
    catalogue,
    fileNames: () => workspace.fileNames().filter((f) => sameFamily(f) !== undefined),
    readFile: (fileName) => {
      if (!texts.has(fileName)) texts.set(fileName, workspace.readFile(fileName));
      return texts.get(fileName);
    },
    parse: (fileName, text) => sameFamily(fileName)?.parse({ fileName, text }, catalogue),
    resolve: (fileName, call) =>
      call.target !== undefined ? `${fileName}#${call.target}` : call.imported ? workspace.resolveImport(fileName, call.imported) : undefined,
    callSitesOf: (key) => workspace.callSitesOf(key),
  };
  return (call, evidence) => {
    const key = project.resolve(model.fileName, call);
    return key === undefined ? undefined : buildChainFix(project, language, model, call, key, evidence);
  };
}
