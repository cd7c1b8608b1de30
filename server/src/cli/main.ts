// The `loopguard` command: the same engine as the language server, for CI and the terminal.
//
//   loopguard check [paths…] [--format text|json|sarif] [--fix] [--rule id=severity]…
//   loopguard rules                 list the rules
//   loopguard --stdio               run the language server over stdin/stdout (for other editors)
//
// Exit codes: 0 no findings, 1 findings, 2 usage or internal error.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import pkg from '../../../package.json';
import { resolveSettings, toAnalysisConfig, type AnalysisConfig } from '../engine/config';
import { Engine } from '../engine/engine';
import { fixAll, pickSafeFix } from '../engine/fix-all';
import { projectFactsFor } from '../engine/project';
import type { SourceInput } from '../frontends/frontend';
import { RULES } from '../rules/registry';
import { collectFiles } from './files';
import { formatJson } from './formats/json';
import { formatSarif } from './formats/sarif';
import { formatText } from './formats/text';
import { countFindings, type FileReport, type RunReport } from './report';

const USAGE = `Usage:
  loopguard check [paths...] [options]   analyse files and folders (default: .)
  loopguard rules                        list the rules
  loopguard --stdio                      run the language server over stdin/stdout

Options for check:
  --format <text|json|sarif>   output format (default: text)
  --fix                        apply the safe fixes in place, then report what is left
  --rule <id>=<severity>       set a rule's severity: error, warning, info, hint or off (repeatable)
  --no-color                   plain text output
  -h, --help                   show this help
  -v, --version                print the version

Exit codes: 0 no findings, 1 findings, 2 usage or internal error.
`;

class UsageError extends Error {}

export interface CliIO {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  cwd: string;
  isTTY: boolean;
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

async function check(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      format: { type: 'string', default: 'text' },
      fix: { type: 'boolean', default: false },
      rule: { type: 'string', multiple: true, default: [] },
      'no-color': { type: 'boolean', default: false },
    },
  });
  const format = values.format ?? 'text';
  if (!['text', 'json', 'sarif'].includes(format)) throw new UsageError(`--format must be text, json or sarif; got "${format}"`);
  const { settings, problems } = resolveSettings({ rules: parseRuleOptions(values.rule ?? []) });
  // an unknown rule id or severity on the command line is a usage error, not a warning
  if (problems.length) throw new UsageError(problems.join('\n'));
  const resolved = toAnalysisConfig(settings);
  const config: AnalysisConfig = resolved.config;

  const started = performance.now();
  const engine = await Engine.create();
  const targets = positionals.length ? positionals : ['.'];
  const { files, missing } = collectFiles(
    targets.map((p) => path.resolve(io.cwd, p)),
    (f) => engine.supports(f),
  );
  if (missing.length) throw new UsageError(`no such file or folder: ${missing.map((m) => displayPath(io.cwd, m)).join(', ')}`);

  const reports: FileReport[] = [];
  let fixed = 0;
  for (const file of files) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      io.stderr(`loopguard: cannot read ${displayPath(io.cwd, file)}: ${(e as Error).message}\n`);
      continue;
    }
    const project = projectFactsFor(file);
    const input = (t: string): SourceInput => ({ fileName: file, text: t, ...(project ? { project } : {}) });
    if (values.fix) {
      const out = fixAll(engine, input(text), config, pickSafeFix);
      if (out.applied > 0) {
        fs.writeFileSync(file, out.text);
        text = out.text;
        fixed += out.applied;
      }
    }
    const result = engine.analyse(input(text), config);
    if (result.syntaxProblems.length > 0 && format === 'text') {
      io.stderr(`loopguard: ${displayPath(io.cwd, file)} has syntax errors; findings may be incomplete\n`);
    }
    reports.push({ file: displayPath(io.cwd, file), path: file, result });
  }
  const report: RunReport = { files: reports, durationMs: performance.now() - started, fixed, cwd: io.cwd, severities: config.severities };
  if (format === 'json') io.stdout(formatJson(report));
  else if (format === 'sarif') io.stdout(formatSarif(report, pkg.version));
  else io.stdout(formatText(report, { color: io.isTTY && !values['no-color'] && !process.env.NO_COLOR }));
  const internal = reports.some((r) => r.result.ruleErrors.length > 0);
  if (internal) io.stderr('loopguard: a rule failed on some files (see above); other rules still ran\n');
  return countFindings(report) > 0 ? 1 : 0;
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
      io.stderr(`loopguard: ${e.message}\n\n${USAGE}`);
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
  }).then((code) => {
    process.exitCode = code;
  });
}

if (require.main === module) main();
