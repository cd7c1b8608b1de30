import { execSync } from 'node:child_process';

export const handler = async () => {
  execSync('sync');
};
