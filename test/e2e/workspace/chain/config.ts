import fs from 'node:fs';

function readJson(p: string): unknown {
  return JSON.parse(fs.readFileSync(p, 'utf8'));
}

export function loadConfig(name: string): unknown {
  return readJson(name);
}
