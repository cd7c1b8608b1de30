import { execSync } from 'child_process';

export async function build() {
  execSync('make');
}
