// Hostile inputs, generated at call time (nothing large is committed): shared by the protocol and
// CLI tests and by scripts/hostile.ts, which prints what each costs.

export interface HostileInput {
  name: string;
  fileName: string;
  /** built when asked: some are megabytes */
  text: () => string;
  /**
   * Also timed inside a project model (a Workspace holding the file), the CLI's and the language
   * server's path: there the rules build fixes that follow calls (chain-async), which the plain analysis
   * does not. Only for inputs of a size that path finishes on in minutes.
   */
  inWorkspace?: boolean;
}

/** Plain TypeScript with async functions, one blocking call in every tenth. */
export function tsFunctions(count: number): string {
  const out = ["import * as fs from 'node:fs';", ''];
  for (let i = 0; i < count; i++) {
    out.push(`export async function handler${i}(path: string): Promise<number> {`);
    out.push(i % 10 === 0 ? '  const text = fs.readFileSync(path, "utf8");' : '  const text = await fs.promises.readFile(path, "utf8");');
    out.push(`  return text.length + ${i};`, '}', '');
  }
  return out.join('\n');
}

/** Python with async functions, one blocking call in every tenth. */
export function pyFunctions(count: number): string {
  const out = ['import asyncio', 'import time', ''];
  for (let i = 0; i < count; i++) {
    out.push(`async def handler_${i}(n):`, i % 10 === 0 ? '    time.sleep(0.1)' : '    await asyncio.sleep(0.1)', `    return n + ${i}`, '', '');
  }
  return out.join('\n');
}

/** Minified-looking JavaScript of about `chars` characters on one line (a blocking call inside). */
export function minified(chars: number): string {
  const unit = 'function a(b,c){if(b){return c(b)}var d=require("fs").readFileSync(b);return d};var e=a(1,function(f){return f+1});';
  return 'async function main(){' + unit.repeat(Math.ceil(chars / unit.length)) + '}';
}

/** A short hand-written file with one string literal of `chars` characters: must still be analysed. */
export function longString(chars: number): string {
  return [
    "import * as fs from 'node:fs';",
    `const BLOB = "${'QUJD'.repeat(Math.ceil(chars / 4))}";`,
    'export async function load(p: string): Promise<string> {',
    '  return fs.readFileSync(p, "utf8") + BLOB;', // line 4: the finding
    '}',
    '',
  ].join('\n');
}

export function hostileInputs(): HostileInput[] {
  return [
    { name: 'ts-10mb', fileName: 'huge.ts', text: () => tsFunctions(70_000) },
    { name: 'ts-200k-lines', fileName: 'long.ts', text: () => 'let x = 0;\n' + 'x++;\n'.repeat(200_000) },
    { name: 'py-200k-lines', fileName: 'long.py', text: () => 'x = 0\n' + 'x += 1\n'.repeat(200_000) },
    { name: 'one-line-50kb', fileName: 'oneline50k.js', text: () => minified(50_000), inWorkspace: true },
    { name: 'one-line-1mb', fileName: 'oneline.js', text: () => minified(1_000_000) },
    { name: 'long-string-1mb', fileName: 'blob.ts', text: () => longString(1_000_000) },
    { name: 'minified-3mb', fileName: 'vendor.js', text: () => minified(3_000_000) },
    { name: 'named.min.js', fileName: 'lib.min.js', text: () => tsFunctions(200) },
    { name: 'ts-5000-async', fileName: 'many.ts', text: () => tsFunctions(5_000), inWorkspace: true },
    { name: 'py-5000-async', fileName: 'many.py', text: () => pyFunctions(5_000), inWorkspace: true },
    { name: 'ts-20000-async', fileName: 'more.ts', text: () => tsFunctions(20_000) },
    { name: 'py-20000-async', fileName: 'more.py', text: () => pyFunctions(20_000) },
  ];
}
