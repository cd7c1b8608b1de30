// An Express-style service with the mistakes Loopguard is for. Run `npx loopguard check examples/`.
import fs from 'node:fs';
import { execSync } from 'node:child_process';
import express from 'express';

// start-up code: reading the config once before serving is fine and is not reported
const config = JSON.parse(fs.readFileSync('config.json', 'utf8'));

const app = express();

app.get('/users/:id', async (req, res) => {
  // every other request waits while this file is read
  const raw = fs.readFileSync(`${config.dataDir}/${req.params.id}.json`, 'utf8');
  res.json(JSON.parse(raw));
});

app.get('/version', (req, res) => {
  // a sync route handler still runs on the event loop
  const sha = execSync('git rev-parse HEAD', { encoding: 'utf8' });
  res.send(sha.trim());
});

setInterval(() => {
  fs.writeFileSync('heartbeat', String(Date.now()));
}, 10_000);

export async function archive(name: string): Promise<void> {
  const data = await fs.promises.readFile(name); // already async: fine
  await fs.promises.writeFile(`${name}.bak`, data);
}

app.listen(config.port);
