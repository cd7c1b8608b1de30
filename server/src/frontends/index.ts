// The registry of front ends. Each is loaded once (the Python grammar is WASM and loads asynchronously).

import * as path from 'node:path';
import type { Frontend } from './frontend';
import { createTypeScriptFrontend } from './typescript';
import { createPythonFrontend } from './python';

export async function loadFrontends(): Promise<Frontend[]> {
  return [createTypeScriptFrontend(), await createPythonFrontend()];
}

export function frontendFor(frontends: readonly Frontend[], fileName: string, languageId?: string): Frontend | undefined {
  if (languageId) {
    const byId = frontends.find((f) => f.languageIds.includes(languageId));
    if (byId) return byId;
  }
  const ext = path.extname(fileName).toLowerCase();
  return frontends.find((f) => f.extensions.includes(ext));
}

export const SUPPORTED_EXTENSIONS: readonly string[] = ['.ts', '.tsx', '.js', '.jsx', '.mjs', '.cjs', '.mts', '.cts', '.py', '.pyi'];
