import fs from 'fs';

export function readConfig(p: string) {
  return fs.readFileSync(p, 'utf8');
}

export async function handle(p: string) {
  return fs.readFileSync(p, 'utf8');
}
