// `npm run bench:kill`: SIGKILLs the agent repeatedly while it ships generated CRI logs (1 GiB
// over 40 files by default, the same data as `npm run bench`) and prints how many entries each
// kill made it send twice, counted at the receiver. What is re-sent after a kill is what Loki had
// received but the positions file did not cover yet: the batch in flight and what was
// acknowledged since the last positions write.
//
//   npm run bench:kill -- --kills 10 --every 1200 --size 1GiB --files 40

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseByteSize } from '../src/config/reader.js';
import { agentArgs, sleep, spawnAgent, startReceiver, stopAgent, writePodsConfig } from './agent.js';
import { arg } from './args.js';
import { generate } from './generate.js';

const size = parseByteSize(arg('size', '1GiB')) ?? 1024 ** 3;
const files = Number(arg('files', '40'));
const kills = Number(arg('kills', '10'));
const every = Number(arg('every', '1200'));
const agentPath = arg('agent', 'dist/cli.js');
const root = arg('dir', join(tmpdir(), `logferry-bench-data-${size}-${files}`));
const manifest = generate(root, size, files);
console.log(`${manifest.entries} entries, ${(manifest.bytes / 1024 ** 2).toFixed(0)} MiB`);

const work = mkdtempSync(join(tmpdir(), 'logferry-bench-kill-'));
const receiver = await startReceiver(manifest);
const configFile = writePodsConfig({
  work,
  url: receiver.url,
  path: `${manifest.root}/var/log/pods/*/*/*.log`,
  job: 'bench',
  stages: '      - cri: {}',
});
const start = () => spawnAgent(agentArgs(agentPath, configFile));

const perKill: number[] = [];
let agent = start();
let dupsAtRestart = 0;
for (let k = 0; k < kills; k++) {
  // Ship for a while once entries flow again, then kill at once.
  const before = (await receiver.stats()).entries;
  while ((await receiver.stats()).entries === before) await sleep(20);
  await sleep(every);
  const s = await receiver.stats();
  if (s.missing === 0) break;
  await stopAgent(agent, 'SIGKILL');
  if (k > 0) perKill.push((await receiver.stats()).duplicates - dupsAtRestart);
  dupsAtRestart = (await receiver.stats()).duplicates;
  agent = start();
}
let s = await receiver.stats();
const deadline = Date.now() + 600_000;
while (s.missing > 0 && Date.now() < deadline) {
  await sleep(250);
  s = await receiver.stats();
}
// Wait for the re-sends of the last kill (they come first after the restart) before counting.
perKill.push(s.duplicates - dupsAtRestart);
await stopAgent(agent);
receiver.process.disconnect();
rmSync(work, { recursive: true, force: true });
console.log(
  [
    `kills=${perKill.length}`,
    `resent_per_kill=${perKill.join(',')}`,
    `max=${Math.max(...perKill)}`,
    `mean=${Math.round(perKill.reduce((a, b) => a + b, 0) / perKill.length)}`,
    `delivered=${manifest.entries - s.missing}/${manifest.entries}`,
    `unknown=${s.unknown}`,
    s.missing === 0 && s.unknown === 0 ? 'OK' : 'INCOMPLETE',
  ].join(' '),
);
process.exit(s.missing === 0 ? 0 : 1);
