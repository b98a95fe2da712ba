// `npm run bench:kill`: SIGKILLs the agent repeatedly while it ships generated CRI logs (1 GiB
// over 40 files by default, the same data as `npm run bench`) and prints how many entries each
// kill made it send twice, counted at the receiver. What is re-sent after a kill is what Loki had
// received but the positions file did not cover yet: the batch in flight and what was
// acknowledged since the last positions write.
//
//   npm run bench:kill -- --kills 10 --every 1200 --size 1GiB --files 40

import { type ChildProcess, fork, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseByteSize } from '../src/config/reader.js';
import { generate } from './generate.js';

interface Stats {
  entries: number;
  duplicates: number;
  unknown: number;
  missing: number;
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

function ask(receiver: ChildProcess): Promise<Stats> {
  return new Promise((resolve) => {
    const onMessage = (m: { type: string } & Stats) => {
      if (m.type !== 'stats') return;
      receiver.off('message', onMessage);
      resolve(m);
    };
    receiver.on('message', onMessage);
    receiver.send({ type: 'stats' });
  });
}

const size = parseByteSize(arg('size', '1GiB')) ?? 1024 ** 3;
const files = Number(arg('files', '40'));
const kills = Number(arg('kills', '10'));
const every = Number(arg('every', '1200'));
const agentPath = arg('agent', 'dist/cli.js');
const root = arg('dir', join(tmpdir(), `logferry-bench-data-${size}-${files}`));
const manifest = generate(root, size, files);
console.log(`${manifest.entries} entries, ${(manifest.bytes / 1024 ** 2).toFixed(0)} MiB`);

const work = mkdtempSync(join(tmpdir(), 'logferry-bench-kill-'));
const receiver = fork(new URL('./receiver.ts', import.meta.url).pathname, [], {
  execArgv: ['--import', 'tsx'],
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
});
const port = await new Promise<number>((resolve) =>
  receiver.on('message', (m: { type: string; port: number }) => m.type === 'listening' && resolve(m.port)),
);
receiver.send({ type: 'expect', files: manifest.files });
const configFile = join(work, 'config.yaml');
writeFileSync(
  configFile,
  [
    'server:',
    '  http_listen_address: 127.0.0.1',
    '  http_listen_port: 0',
    'positions:',
    `  filename: ${join(work, 'positions.yaml')}`,
    'clients:',
    `  - url: http://127.0.0.1:${port}/loki/api/v1/push`,
    'scrape_configs:',
    '  - job_name: pods',
    '    static_configs:',
    '      - targets: [localhost]',
    '        labels:',
    '          job: bench',
    `          __path__: ${manifest.root}/var/log/pods/*/*/*.log`,
    '    pipeline_stages:',
    '      - cri: {}',
    '',
  ].join('\n'),
);
const first = readFileSync(agentPath, 'utf8').split('\n', 1)[0] ?? '';
const nodeFlags = /^#!\/usr\/bin\/env -S node (.*)$/.exec(first)?.[1]?.split(' ').filter(Boolean) ?? [];

const start = () =>
  spawn(process.execPath, [...nodeFlags, agentPath, `-config.file=${configFile}`, '-log.level=warn'], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
const exited = (p: ChildProcess) => new Promise((r) => (p.exitCode !== null ? r(null) : p.once('exit', r)));

const perKill: number[] = [];
let agent = start();
let dupsAtRestart = 0;
for (let k = 0; k < kills; k++) {
  // Ship for a while once entries flow again, then kill at once.
  const before = (await ask(receiver)).entries;
  while ((await ask(receiver)).entries === before) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, every));
  const s = await ask(receiver);
  if (s.missing === 0) break;
  agent.kill('SIGKILL');
  await exited(agent);
  if (k > 0) perKill.push((await ask(receiver)).duplicates - dupsAtRestart);
  dupsAtRestart = (await ask(receiver)).duplicates;
  agent = start();
}
let s = await ask(receiver);
const deadline = Date.now() + 600_000;
while (s.missing > 0 && Date.now() < deadline) {
  await new Promise((r) => setTimeout(r, 250));
  s = await ask(receiver);
}
// Wait for the re-sends of the last kill (they come first after the restart) before counting.
perKill.push(s.duplicates - dupsAtRestart);
agent.kill('SIGTERM');
await exited(agent);
receiver.disconnect();
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
