import fs from 'fs';
export async function load(p: string) {
  return fs.readFileSync(p, 'utf8');
}
