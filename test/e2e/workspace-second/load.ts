import * as fs from 'node:fs';

export async function load(p: string): Promise<string> {
  return fs.readFileSync(p, 'utf8');
}
