// Running fixture programs with the machine's python3, for the tests that execute fixed Python code.
// Those tests skip (with this reason) on a machine without python3 rather than fail.

import { spawn, spawnSync } from 'node:child_process';
import * as path from 'node:path';

const probe = spawnSync('python3', ['--version'], { encoding: 'utf8' });

/** `false` when python3 runs here, else why the tests that need it are skipped */
export const skipWithoutPython: string | false = probe.error || probe.status !== 0 ? 'python3 is not available on this machine' : false;

export interface PythonRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `python3 file args…` in the file's directory and collects its output. */
export function runPython(file: string, args: readonly string[] = []): Promise<PythonRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('python3', [file, ...args], { cwd: path.dirname(file), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
