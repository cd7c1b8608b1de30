import { loadConfig } from './config';

export async function handler(): Promise<unknown> {
  const cfg = loadConfig('app.json');
  return cfg;
}
