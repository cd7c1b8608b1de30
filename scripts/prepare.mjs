// `prepare`: build the bundles (npm runs it after `npm ci`/`npm install`, and when it installs
// Loopguard from git). When npm prepares a git dependency of a *global* install — which is how
// pre-commit's `language: node` installs the hook (`npm install -g git+file://…`) — it installs the
// package globally instead of putting its devDependencies next to it, so esbuild is missing here:
// install them locally first (their install scripts are not needed to bundle), then build.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
try {
  require.resolve('esbuild');
} catch {
  execFileSync('npm', ['install', '--no-save', '--global=false', '--include=dev', '--ignore-scripts', '--no-audit', '--no-fund'], {
    stdio: 'inherit',
    shell: process.platform === 'win32',
  });
}
await import('../esbuild.mjs');
