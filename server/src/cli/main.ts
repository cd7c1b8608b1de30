// The `loopguard` command: the same engine as the language server, for CI, hooks and the terminal.
//
//   loopguard check [paths…] [--format text|json|sarif|github|junit] [--fix] [--rule id=severity]…
//                   [--select ids] [--ignore ids] [--max-warnings n] [--stdin-filename path]
//                   [--config file | --isolated] [--jobs n]
//   loopguard rules                 list the rules
//   loopguard --stdio               run the language server over stdin/stdout (for other editors)
//
// Exit codes: 0 no findings, 1 findings (with --max-warnings: errors, or more warnings than allowed),
// 2 usage or internal error.
//
// Configuration: each file's project file (engine/project-config: the nearest loopguard.json,
// pyproject.toml [tool.loopguard] or package.json "loopguard"), then the --rule/--select/--ignore
// flags on top. A discovered project file that is invalid is reported on stderr and ignored (the run
// goes on with defaults for its files and the exit code is unaffected); a file named with --config
// that is invalid is a usage error, since running without the configuration asked for would mislead.
// Test files (`testFiles`, engine/config) get no blocking or CPU-loop findings by default; the default
// globs are relative to the project file's folder, or to the working directory for files no project
// file governs. There is no flag for it: a project file or --config carries `testFiles`.
//
// Following calls (engine/workspace): the checked files are analysed with a project model, so a call
// to a helper that blocks in another file is reported. Its files are those of the folders named (all
// of them, as the file list walks them), and for a file named on its own, the files of its folder (and
// below): calls into files outside those are not followed. --stdin-filename uses the folder of the
// named path, with the stdin text in place of the file's.
//
// One parse per file where possible: a file's findings depend on every other file's summaries, so they
// are final only once the scan is complete — but most files' findings never ask about another file
// (no event-loop code calling helpers). So the scan analyses each checked file from the same parse
// that gives its facts, through a view of the workspace that records what the analysis asked
// (Workspace.recording); once the scan is complete, a file whose questions all get the same answers
// keeps that result, and only the others are parsed and analysed again. --fix and --stdin-filename
// take the plain path (scan, then analyse), as fixes change texts the scan has read.
//
// On several cores (--jobs, cli/parallel.ts): the scan's parses and these early analyses run on worker
// threads, which send back facts, results and the questions asked as data; the rest is the same.
// --stdin-filename stays in process; with --fix the workers only compute the scan's facts.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import pkg from '../../../package.json';
import { configForFile, resolveSettings, toAnalysisConfig, type AnalysisConfig, type Settings } from '../engine/config';
import { Engine, type AnalysisResult } from '../engine/engine';
import { fixAll, pickSafeFix } from '../engine/fix-all';
import { concatenateCells, fixAllCells, notebookInput, readIpynb, writeIpynb, type IpynbCells } from '../notebooks/notebook';
import { projectFactsFor } from '../engine/project';
import { findProjectConfig, readProjectFile, type ProjectConfig } from '../engine/project-config';
import type { SourceInput } from '../frontends/frontend';
import { diskHost, Workspace } from '../engine/workspace/workspace';
import { listWorkspaceFiles } from '../engine/workspace/files';
import type { FileFacts } from '../engine/workspace/facts';
import { RULES, RULE_IDS } from '../rules/registry';
import { UNUSED_SUPPRESSION } from '../engine/suppression';
import { collectFiles } from './files';
import { formatGithub } from './formats/github';
import { formatJson } from './formats/json';
import { formatJunit } from './formats/junit';
import { formatSarif } from './formats/sarif';
import { formatText } from './formats/text';
import { defaultJobs, fileConfig, fileJobRunner, MAX_DEFAULT_JOBS, MIN_DEFAULT_PARALLEL_CORES, Pool, sameAnswers, textHash, worthParallel, type WorkerOutcome, type WorkerSetup } from './parallel';
import { SUPPORTED_EXTENSIONS } from '../frontends';
import { countBySeverity, exitCodeFor, type FileReport, type RunReport } from './report';
import { LineIndex } from '../engine/text';

const FORMATS = ['text', 'json', 'sarif', 'github', 'junit'] as const;
type Format = (typeof FORMATS)[number];

const USAGE = `Usage:
  loopguard check [paths...] [options]   analyse files and folders (default: .)
  loopguard rules                        list the rules
  loopguard --stdio                      run the language server over stdin/stdout

Options for check:
  --format <name>              output format: text (default), json, sarif, github, junit
  --fix                        apply the safe fixes in place, then report what is left
  --rule <id>=<severity>       set a rule's severity: error, warning, info, hint or off (repeatable)
  --select <ids>               run only these rules (comma-separated, repeatable)
  --ignore <ids>               do not run these rules (comma-separated, repeatable; wins over --select)
  --max-warnings <n>           fail only on errors or on more than n warnings (info and hint never fail)
  --stdin-filename <path>      read the source from stdin and analyse it as <path>; with --fix, print
                               the fixed source to stdout and the report to stderr
  --config <file>              use this project file (loopguard.json, pyproject.toml, package.json)
                               for every file instead of each file's nearest one
  --isolated                   ignore project files: only the defaults and the flags apply
  --jobs <n>                   threads that parse and analyse (default: one per core, at most ${MAX_DEFAULT_JOBS},
                               on machines with ${MIN_DEFAULT_PARALLEL_CORES} cores or more; otherwise 1). Inputs under
                               ~50 files or ~1 MB always run on one thread
  --no-color                   plain text output
  -h, --help                   show this help
  -v, --version                print the version

Exit codes: 0 no findings; 1 findings (with --max-warnings: errors, or more warnings than n);
2 usage or internal error.
`;

class UsageError extends Error {}
/** A usage error that is about a file, not the command line: the usage text would only hide it. */
class ConfigError extends UsageError {}

export interface CliIO {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  cwd: string;
  isTTY: boolean;
  /** the whole of standard input, for --stdin-filename */
  readStdin?: () => Promise<string>;
}

function displayPath(cwd: string, file: string): string {
  const rel = path.relative(cwd, file);
  return (rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file).split(path.sep).join('/');
}

function parseRuleOptions(values: readonly string[]): Record<string, string> {
  const rules: Record<string, string> = {};
  for (const v of values) {
    const m = /^([a-z][a-z0-9-]*)=(\w+)$/.exec(v);
    if (!m) throw new UsageError(`--rule expects <id>=<severity>, e.g. --rule blocking-call-in-async=error; got "${v}"`);
    rules[m[1]] = m[2];
  }
  return rules;
}

/** What --select/--ignore can name: the rules, and the unused-suppression check that runs after them. */
const SELECTABLE_IDS: readonly string[] = [...RULE_IDS, UNUSED_SUPPRESSION];

/** --select/--ignore values: comma-separated and repeatable; every id must be a known rule. */
function parseRuleIds(flag: string, values: readonly string[]): Set<string> {
  const ids = new Set<string>();
  for (const v of values) {
    for (const id of v.split(',').map((x) => x.trim())) {
      if (!id) continue;
      if (!SELECTABLE_IDS.includes(id)) throw new UsageError(`${flag}: unknown rule id "${id}" (known: ${SELECTABLE_IDS.join(', ')})`);
      ids.add(id);
    }
  }
  if (ids.size === 0) throw new UsageError(`${flag} expects rule ids, e.g. ${flag} ${RULE_IDS[0]}`);
  return ids;
}

function parseJobs(value: string | undefined): number {
  if (value === undefined) return defaultJobs();
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new UsageError(`--jobs expects a whole number of 1 or more; got "${value}"`);
  return Number(value);
}

function parseMaxWarnings(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`--max-warnings expects a whole number of 0 or more; got "${value}"`);
  return Number(value);
}

interface Analysed {
  result: AnalysisResult;
  /** the text after --fix (the input when nothing was fixed) */
  text: string;
  applied: number;
}

function analyseText(engine: Engine, file: string, text: string, config: AnalysisConfig, fix: boolean, workspace?: Workspace): Analysed {
  const project = projectFactsFor(file);
  const input = (t: string): SourceInput => ({ fileName: file, text: t, ...(project ? { project } : {}) });
  let applied = 0;
  if (fix) {
    const out = fixAll(engine, input(text), config, pickSafeFix, workspace);
    if (out.applied > 0) {
      text = out.text;
      applied = out.applied;
      // later files see this one as it is now
      workspace?.update(file, text);
    }
  }
  return { result: engine.analyse(input(text), config, undefined, workspace), text, applied };
}

/**
 * The project model over `roots` (and `extra`, files named outside them), read from the disk with
 * `overlay` in place of some files. Files a project file excludes are not part of it.
 */
async function buildWorkspace(
  engine: Engine,
  configs: FileConfigs,
  roots: readonly string[],
  extra: readonly string[],
  overlay: ReadonlyMap<string, string>,
  /** files to analyse during the scan (see the header): their results are in `early` */
  analyseEarly: ReadonlySet<string> = new Set(),
  /** worker threads for the scan's parses (cli/parallel.ts), started when the input is large enough */
  pool?: Pool,
): Promise<{ workspace: Workspace; early: Map<string, EarlyAnalysis> }> {
  const workspace = new Workspace({ host: diskHost(overlay), roots, engine, configFor: (f) => configs.quiet(f) });
  const files = new Set(listWorkspaceFiles(roots, (f) => engine.supports(f)));
  for (const f of extra) if (engine.supports(f)) files.add(f);
  const early = new Map<string, EarlyAnalysis>();
  const list = [...files];
  const outcomes: Map<string, WorkerOutcome> =
    pool && overlay.size === 0
      ? await pool.run(
          list.map((file) => ({ file, analyse: analyseEarly.has(file) })),
          fileJobRunner(engine, { roots, ...configs.workerSetup() }),
        )
      : new Map();
  const factsOf = (file: string, text: string, config: AnalysisConfig): FileFacts | undefined => {
    const done = outcomes.get(file);
    // the worker read the same text (else the file changed meanwhile: it is parsed here again)
    if (done?.kind === 'done' && done.hash === textHash(text)) {
      const analysis = done.analysis;
      if (analysis && analyseEarly.has(file)) {
        const questions = analysis.questions;
        early.set(file, { text, result: { ...analysis.result, lines: new LineIndex(text) }, unchanged: () => questions !== undefined && sameAnswers(workspace, questions) });
      }
      return done.facts;
    }
    if (done?.kind === 'failed') {
      if (analyseEarly.has(file)) early.set(file, { text, result: workerFailure(text, done.error), unchanged: () => true });
      return undefined;
    }
    if (!analyseEarly.has(file)) return engine.facts({ fileName: file, text }, config);
    const project = projectFactsFor(file);
    const view = workspace.recording();
    let facts: FileFacts | undefined;
    const result = engine.analyse({ fileName: file, text, ...(project ? { project } : {}) }, config, undefined, view.workspace, (f) => (facts = f));
    early.set(file, { text, result, unchanged: view.unchanged });
    return facts;
  };
  await workspace.scan(list, undefined, factsOf);
  return { workspace, early };
}

/** A file the analysis worker failed on: an internal error for that file, as a rule's failure is reported. */
function workerFailure(text: string, error: string): AnalysisResult {
  return {
    family: undefined,
    findings: [],
    suppressions: [],
    syntaxProblems: [],
    skipped: undefined,
    ruleErrors: [{ rule: 'loopguard', error: `the analysis of this file failed in a worker thread: ${error}` }],
    timings: { parseMs: 0, rulesMs: 0 },
    lines: new LineIndex(text),
  };
}

/** A checked file analysed during the scan: kept when the text is the same and nothing it asked changed. */
interface EarlyAnalysis {
  text: string;
  result: AnalysisResult;
  unchanged: () => boolean;
}

/** The workspace roots for the paths given: folders as they are, a file's own folder. */
function workspaceRoots(paths: readonly string[]): string[] {
  const roots = new Set<string>();
  for (const p of paths) {
    let dir = p;
    try {
      if (!fs.statSync(p).isDirectory()) dir = path.dirname(p);
    } catch {
      dir = path.dirname(p);
    }
    roots.add(dir);
  }
  // a root inside another adds nothing: the outer one's walk covers it
  const sorted = [...roots].sort((a, b) => a.length - b.length);
  return sorted.filter((r, i) => !sorted.slice(0, i).some((o) => r.startsWith(o.endsWith(path.sep) ? o : o + path.sep)));
}

function isNotebook(file: string): boolean {
  return file.toLowerCase().endsWith('.ipynb');
}

/**
 * A `.ipynb` file: its Python code cells analysed as one source (notebooks/notebook.ts); with --fix,
 * the safe fixes go back into the cells and the notebook is written with nbformat's layout (one-space
 * indent, sources as lists of lines). Undefined (after a message) for a file that is not a Python notebook.
 */
function analyseNotebook(
  engine: Engine,
  file: string,
  json: string,
  config: AnalysisConfig,
  fix: boolean,
  warn: (message: string) => void,
): { result: AnalysisResult; notebook: NonNullable<FileReport['notebook']>; text: string; applied: number } | undefined {
  let cells: IpynbCells | undefined;
  try {
    cells = readIpynb(json);
  } catch (e) {
    warn(`not analysed: ${(e as Error).message}`);
    return undefined;
  }
  if (!cells) return undefined; // another kernel's language: nothing for us
  let texts = cells.texts;
  let applied = 0;
  let text = json;
  if (fix) {
    const out = fixAllCells(engine, file, texts, config);
    if (out.applied > 0) {
      texts = out.cells;
      applied = out.applied;
      text = writeIpynb(json, cells.indices, texts);
    }
  }
  const source = concatenateCells(texts);
  const result = engine.analyse(notebookInput(file, source), config);
  return { result, notebook: { source, cellNumbers: cells.indices.map((i) => i + 1) }, text, applied };
}

async function check(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      format: { type: 'string', default: 'text' },
      fix: { type: 'boolean', default: false },
      rule: { type: 'string', multiple: true, default: [] },
      select: { type: 'string', multiple: true },
      ignore: { type: 'string', multiple: true },
      'max-warnings': { type: 'string' },
      'stdin-filename': { type: 'string' },
      config: { type: 'string' },
      isolated: { type: 'boolean', default: false },
      'no-color': { type: 'boolean', default: false },
      jobs: { type: 'string' },
    },
  });
  const format = (values.format ?? 'text') as Format;
  if (!FORMATS.includes(format)) throw new UsageError(`--format must be one of ${FORMATS.join(', ')}; got "${values.format}"`);
  const maxWarnings = parseMaxWarnings(values['max-warnings']);
  const jobs = parseJobs(values.jobs);
  const rules = parseRuleOptions(values.rule ?? []);
  // --select and --ignore switch rules off, so a rule left out costs nothing and its fixes are not applied
  const selected = values.select ? parseRuleIds('--select', values.select) : undefined;
  const ignored = values.ignore ? parseRuleIds('--ignore', values.ignore) : new Set<string>();
  for (const id of SELECTABLE_IDS) if ((selected && !selected.has(id)) || ignored.has(id)) rules[id] = 'off';
  const { settings, problems } = resolveSettings({ rules });
  // an unknown rule id or severity on the command line is a usage error, not a warning
  if (problems.length) throw new UsageError(problems.join('\n'));
  const flagsConfig: AnalysisConfig = toAnalysisConfig(settings).config;
  if (values.config !== undefined && values.isolated) throw new UsageError('--config and --isolated exclude each other');
  if (values.config === '') throw new UsageError('--config expects the path of a project file');
  const configs = new FileConfigs(settings, io, values.isolated ?? false, values.config === undefined ? undefined : path.resolve(io.cwd, values.config));

  const stdinName = values['stdin-filename'];
  if (stdinName !== undefined) {
    if (!stdinName) throw new UsageError('--stdin-filename expects the path the source on stdin stands for');
    if (positionals.some((p) => p !== '-')) throw new UsageError('--stdin-filename reads the source from stdin: give no paths');
    if (!io.readStdin) throw new UsageError('--stdin-filename: standard input is not available');
  }

  const started = performance.now();
  // workers start loading while this thread loads its own engine (a worker takes ~300 ms to be ready)
  let pool: Pool | undefined;
  if (stdinName === undefined && jobs > 1) {
    const targets = (positionals.length ? positionals : ['.']).map((p) => path.resolve(io.cwd, p));
    const estimate = collectFiles(targets, (f) => SUPPORTED_EXTENSIONS.includes(path.extname(f).toLowerCase()));
    if (estimate.missing.length === 0 && worthParallel(estimate.files, jobs)) pool = Pool.start(jobs - 1, { roots: workspaceRoots(targets), ...configs.workerSetup() });
  }
  try {
    return await checkFiles();
  } finally {
    pool?.dispose();
  }

  async function checkFiles(): Promise<number> {
    const engine = await Engine.create();
    const reports: FileReport[] = [];
    let fixed = 0;
    let fixedStdin: string | undefined;
    if (stdinName !== undefined && io.readStdin) {
      const file = path.resolve(io.cwd, stdinName);
      const source = await io.readStdin();
      const config = configs.for(file);
      if (config === undefined) {
        if (values.fix) fixedStdin = source;
      } else {
        const { workspace } = await buildWorkspace(engine, configs, workspaceRoots([file]), [file], new Map([[file, source]]));
        const out = analyseText(engine, file, source, config, values.fix ?? false, workspace);
        fixed = out.applied;
        if (values.fix) fixedStdin = out.text;
        reports.push({ file: displayPath(io.cwd, file), path: file, result: out.result });
      }
    } else {
      const targets = positionals.length ? positionals : ['.'];
      const { files, missing } = collectFiles(
        targets.map((p) => path.resolve(io.cwd, p)),
        (f) => engine.supports(f) || isNotebook(f),
      );
      if (missing.length) throw new UsageError(`no such file or folder: ${missing.map((m) => displayPath(io.cwd, m)).join(', ')}`);
      const analyseEarly = new Set(values.fix ? [] : files.filter((f) => !isNotebook(f)));
      const { workspace, early } = await buildWorkspace(engine, configs, workspaceRoots(targets.map((p) => path.resolve(io.cwd, p))), files, new Map(), analyseEarly, pool);
      for (const file of files) {
        const config = configs.for(file);
        if (config === undefined) continue;
        let text: string;
        try {
          text = fs.readFileSync(file, 'utf8');
        } catch (e) {
          io.stderr(`loopguard: cannot read ${displayPath(io.cwd, file)}: ${(e as Error).message}\n`);
          continue;
        }
        if (isNotebook(file)) {
          const nb = analyseNotebook(engine, file, text, config, values.fix ?? false, (m) => io.stderr(`loopguard: ${displayPath(io.cwd, file)}: ${m}\n`));
          if (!nb) continue;
          if (nb.applied > 0) {
            fs.writeFileSync(file, nb.text);
            fixed += nb.applied;
          }
          reports.push({ file: displayPath(io.cwd, file), path: file, result: nb.result, notebook: nb.notebook });
          continue;
        }
        const kept = early.get(file);
        early.delete(file);
          const out = kept && kept.text === text && kept.unchanged() ? { result: kept.result, text, applied: 0 } : analyseText(engine, file, text, config, values.fix ?? false, workspace);
        if (out.applied > 0) {
          fs.writeFileSync(file, out.text);
          fixed += out.applied;
        }
        reports.push({ file: displayPath(io.cwd, file), path: file, result: out.result });
      }
    }
      for (const r of reports) {
      if (r.result.syntaxProblems.length > 0 && format === 'text') {
        io.stderr(`loopguard: ${r.file} has syntax errors; findings may be incomplete\n`);
      }
    }

    const report: RunReport = { files: reports, durationMs: performance.now() - started, fixed, cwd: io.cwd, severities: configs.runSeverities() ?? flagsConfig.severities };
    // with --stdin-filename --fix, stdout carries the fixed source (for editors and hooks), so the report goes to stderr
    const write = fixedStdin === undefined ? io.stdout : io.stderr;
    const color = fixedStdin === undefined && io.isTTY && !values['no-color'] && !process.env.NO_COLOR;
    write(render(format, report, color));
    if (fixedStdin !== undefined) io.stdout(fixedStdin);

    const internal = reports.some((r) => r.result.ruleErrors.length > 0);
    if (internal) io.stderr('loopguard: a rule failed on some files (see above); other rules still ran\n');
    const code = exitCodeFor(report, { maxWarnings });
    if (maxWarnings !== undefined) {
      const counts = countBySeverity(report);
      if (counts.error === 0 && counts.warning > maxWarnings) {
        io.stderr(`loopguard: ${counts.warning} warning${counts.warning === 1 ? '' : 's'}, more than --max-warnings ${maxWarnings}\n`);
      }
    }
    return code;
  }
}

/** Each file's configuration: its project file (or --config's, or none with --isolated), then the flags. */
class FileConfigs {
  private readonly explicit: ProjectConfig | undefined;
  private readonly reported = new Set<string>();
  /** the severities every analysed file had, while they agree (SARIF's run-level overrides) */
  private severities: AnalysisConfig['severities'] | undefined;
  private mixed = false;

  constructor(
    private readonly flags: Settings,
    private readonly io: CliIO,
    private readonly isolated: boolean,
    explicitFile: string | undefined,
  ) {
    if (explicitFile !== undefined) {
      this.explicit = readProjectFile(explicitFile, true);
      if (this.explicit?.data === undefined) throw new ConfigError(`--config: ${(this.explicit?.problems ?? [explicitFile]).join('\n')}`);
    }
  }

  /** A file's configuration without reporting anything: for files the project model reads but the run does not check. */
  quiet(file: string): AnalysisConfig | undefined {
    const fc = fileConfig(file, this.flags, this.isolated, this.explicit, findProjectConfig, this.io.cwd);
    return fc.excludedBy === undefined ? fc.config : undefined;
  }

  /** What a worker thread needs to compute `quiet` itself (cli/parallel.ts). */
  workerSetup(): Omit<WorkerSetup, 'roots'> {
    return { flags: this.flags, isolated: this.isolated, explicitConfig: this.explicit?.file, cwd: this.io.cwd };
  }

  /** The configuration of a file, or undefined when its project file excludes it. */
  for(file: string): AnalysisConfig | undefined {
    const project = this.isolated ? undefined : (this.explicit ?? findProjectConfig(file));
    if (project && project.problems.length > 0 && !this.reported.has(project.file)) {
      this.reported.add(project.file);
      for (const p of project.problems) this.io.stderr(`loopguard: ${p}\n`);
      this.io.stderr(`loopguard: ${displayPath(this.io.cwd, project.file)} is ignored: its files are analysed with the defaults and the flags\n`);
    }
    const fc = configForFile({ fileName: file, settings: this.flags, settingsBase: this.io.cwd, project });
    if (fc.excludedBy !== undefined) return undefined;
    if (!this.mixed) {
      if (this.severities === undefined) this.severities = fc.config.severities;
      else if (JSON.stringify(this.severities) !== JSON.stringify(fc.config.severities)) this.mixed = true;
    }
    return fc.config;
  }

  runSeverities(): AnalysisConfig['severities'] | undefined {
    return this.mixed ? undefined : this.severities;
  }
}

function render(format: Format, report: RunReport, color: boolean): string {
  switch (format) {
    case 'json':
      return formatJson(report);
    case 'sarif':
      return formatSarif(report, pkg.version);
    case 'github':
      return formatGithub(report);
    case 'junit':
      return formatJunit(report);
    case 'text':
      return formatText(report, { color });
  }
}

function listRules(io: CliIO): number {
  for (const r of RULES) io.stdout(`${r.meta.id.padEnd(28)} ${r.meta.defaultSeverity.padEnd(8)} ${r.meta.summary}\n`);
  return 0;
}

export async function runCli(argv: string[], io: CliIO): Promise<number> {
  try {
    const [command, ...rest] = argv;
    if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
      io.stdout(USAGE);
      return command === undefined ? 2 : 0;
    }
    if (command === '-v' || command === '--version') {
      io.stdout(`${pkg.version}\n`);
      return 0;
    }
    if (command === 'check') {
      if (rest.includes('-h') || rest.includes('--help')) {
        io.stdout(USAGE);
        return 0;
      }
      return await check(rest, io);
    }
    if (command === 'rules') return listRules(io);
    throw new UsageError(`unknown command "${command}"`);
  } catch (e) {
    if (e instanceof UsageError || (e instanceof TypeError && (e as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS'))) {
      io.stderr(e instanceof ConfigError ? `loopguard: ${e.message}\n` : `loopguard: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    io.stderr(`loopguard: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return 2;
  }
}

function startServer(): void {
  // the language server is its own bundle next to this one; it reads --stdio from process.argv
  const server = path.join(__dirname, 'server.js');
  if (!fs.existsSync(server)) {
    process.stderr.write('loopguard: dist/server.js is missing; run `npm run build`\n');
    process.exit(2);
  }
  require(server);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** The process entry point (bin/loopguard.js calls it). */
export function main(argv: string[] = process.argv.slice(2)): void {
  if (argv.includes('--stdio') || argv.includes('--node-ipc') || argv[0] === 'server') {
    startServer();
    return;
  }
  void runCli(argv, {
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
    cwd: process.cwd(),
    isTTY: Boolean(process.stdout.isTTY),
    readStdin,
  }).then((code) => {
    process.exitCode = code;
  });
}

if (require.main === module) main();
