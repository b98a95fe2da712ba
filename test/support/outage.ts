// The Loki-outage scenario of issue 10 item 4, shared by `npm run bench:outage` (150 s) and
// test/wal/outage.test.ts (20 s): a writer process appends CRI lines to one file at a steady rate
// with kubelet-style rotation (rename, a few generations kept, older ones deleted); the built
// agent tails it and ships to a counting receiver that answers 503 for the outage, then accepts
// again. Reports lines written, received, lost and duplicated, the agent's peak RSS during the
// outage and overall, the disk buffer's peak size, and the agent's loss counters.

import { type ChildProcess, fork, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliPath, shebangNodeFlags } from './agent-process.js';
import { decodeRequestBody } from './loki-receiver.js';
import { procCpuSeconds, procPeakRssMiB, procRssMiB } from './proc.js';

export interface OutageOptions {
  /** Disk buffer on (`wal:` in the work directory) or off. */
  wal: boolean;
  outageSeconds: number;
  /** Writing before the outage, and after Loki is back (default 5 and 10). */
  beforeSeconds?: number;
  afterSeconds?: number;
  /** Bytes per second written (default 2 MB/s), rename every `rotateSeconds` (5), `keep` (4) rotated files. */
  rate?: number;
  rotateSeconds?: number;
  keep?: number;
  /** How long to wait for the last lines once the writer stopped (default 180 s). */
  drainSeconds?: number;
  /** `wal.max_size` (default 2GiB). */
  maxSize?: string;
  /** The agent's CLI (default dist/cli.js). */
  agentPath?: string;
  /** Progress lines go here (default: nowhere). */
  log?: (line: string) => void;
}

export interface OutageResult {
  written: number;
  writtenBytes: number;
  rotations: number;
  received: number;
  /** Lines written that never arrived. */
  lost: number;
  /** Arrivals of a line beyond its first. */
  duplicates: number;
  /** Entries that are not lines the writer wrote. */
  unknown: number;
  /** Agent's largest resident set while Loki was down, and over the whole run (VmHWM), MiB. */
  outageRssMiB: number;
  peakRssMiB: number;
  /** Largest size of the buffer directory seen (sampled every 250 ms), MiB. */
  peakDiskMiB: number;
  cpuSeconds: number;
  /** Sums of the agent's counters at the end, by metric name (0 when the metric is absent). */
  metrics: Record<string, number | undefined>;
  /** How long Loki was down, measured. */
  outageSeconds: number;
  /** Seconds from Loki's return until the last line arrived. */
  recoverySeconds: number;
  agentStderrTail: string;
}

const countedMetrics = [
  'logferry_lost_bytes_total',
  'promtail_dropped_entries_total',
  'logferry_wal_dropped_entries_total',
  'logferry_wal_appended_entries_total',
  'logferry_wal_corrupt_records_total',
];

const seqPattern = /^seq=(\d+) /;

/** A Loki stand-in that counts each `seq` and answers 503 while `down`. */
function countingReceiver() {
  let seen = new Uint8Array(1 << 20);
  const state = { down: false, received: 0, duplicates: 0, unknown: 0, lastAt: 0 };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (state.down) {
      req.resume();
      req.on('end', () => res.writeHead(503).end('down for the scenario'));
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        const push = decodeRequestBody(req, Buffer.concat(chunks));
        for (const stream of push.streams) {
          for (const e of stream.entries) {
            const m = seqPattern.exec(e.line);
            if (!m) {
              state.unknown++;
              continue;
            }
            const seq = Number(m[1]);
            while (seq >= seen.length) {
              const grown = new Uint8Array(seen.length * 2);
              grown.set(seen);
              seen = grown;
            }
            state.received++;
            if (seen[seq]! > 0) state.duplicates++;
            if (seen[seq]! < 255) seen[seq]!++;
          }
        }
        state.lastAt = Date.now();
        res.writeHead(204).end();
      } catch (err) {
        res.writeHead(400).end(String(err));
      }
    });
  });
  return {
    state,
    server,
    missing(total: number): number {
      let n = 0;
      for (let i = 0; i < total; i++) if (i >= seen.length || seen[i] === 0) n++;
      return n;
    },
  };
}

/** A /proc figure of a process that may have exited meanwhile (then 0). */
function orZero(read: () => number): number {
  try {
    return read();
  } catch {
    return 0;
  }
}

function dirBytes(dir: string): number {
  let total = 0;
  try {
    for (const f of readdirSync(dir)) {
      try {
        total += statSync(join(dir, f)).size;
      } catch {
        // deleted meanwhile
      }
    }
  } catch {
    // not created yet
  }
  return total;
}

async function metrics(port: number): Promise<Record<string, number | undefined>> {
  const out: Record<string, number | undefined> = {};
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const name = /^[a-z_]+/.exec(line)?.[0];
    if (name && countedMetrics.includes(name)) out[name] = (out[name] ?? 0) + Number(line.split(' ').at(-1));
  }
  return out;
}

/** The agent's HTTP port, from its "server listening" log line. */
async function listeningPort(agent: ChildProcess, stderr: () => string): Promise<number> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const m = /msg="?server listening"? address=\S+:(\d+)/.exec(stderr());
    if (m) return Number(m[1]);
    if (agent.exitCode !== null || Date.now() > deadline) {
      throw new Error(`agent did not start listening:\n${stderr()}`);
    }
    await sleep(50);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runOutage(opts: OutageOptions): Promise<OutageResult> {
  const log = opts.log ?? (() => {});
  const work = mkdtempSync(join(tmpdir(), 'logferry-outage-'));
  const logs = join(work, 'logs');
  mkdirSync(logs);
  const file = join(logs, 'app.log');
  writeFileSync(file, '');
  const walDir = join(work, 'wal');
  const receiver = countingReceiver();
  await new Promise<void>((r) => receiver.server.listen(0, '127.0.0.1', r));
  const lokiPort = (receiver.server.address() as AddressInfo).port;
  const config = join(work, 'config.yaml');
  writeFileSync(
    config,
    [
      'server:',
      '  http_listen_address: 127.0.0.1',
      '  http_listen_port: 0',
      'positions:',
      `  filename: ${join(work, 'positions.yaml')}`,
      ...(opts.wal
        ? ['wal:', '  enabled: true', `  dir: ${walDir}`, `  max_size: ${opts.maxSize ?? '2GiB'}`]
        : []),
      'clients:',
      `  - url: http://127.0.0.1:${lokiPort}/loki/api/v1/push`,
      // Retried for ever, at most 10 s apart, so that recovery does not wait out a long backoff.
      '    backoff_config: {min_period: 500ms, max_period: 10s, max_retries: 0}',
      'scrape_configs:',
      '  - job_name: pods',
      '    static_configs:',
      '      - targets: [localhost]',
      '        labels:',
      '          job: outage',
      `          __path__: ${logs}/*.log`,
      '    pipeline_stages:',
      '      - cri: {}',
      '',
    ].join('\n'),
  );
  const agentPath = opts.agentPath ?? cliPath;
  const agent = spawn(
    process.execPath,
    [...shebangNodeFlags(agentPath), agentPath, `-config.file=${config}`, '-log.level=info'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  let agentPort = 0;
  agent.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr = (stderr + d).slice(-20_000);
  });
  let writer: ChildProcess | undefined;
  try {
    agentPort = await listeningPort(agent, () => stderr);
    const rate = opts.rate ?? 2_000_000;
    writer = fork(
      new URL('./rotating-writer.mjs', import.meta.url).pathname,
      [file, String(rate), String(opts.rotateSeconds ?? 5), String(opts.keep ?? 4), '200'],
      { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
    );
    let peakDisk = 0;
    let outageRss = 0;
    let inOutage = false;
    const sampler = setInterval(() => {
      if (opts.wal) peakDisk = Math.max(peakDisk, dirBytes(walDir));
      if (inOutage)
        outageRss = Math.max(
          outageRss,
          orZero(() => procRssMiB(agent.pid!)),
        );
    }, 250);
    try {
      await sleep((opts.beforeSeconds ?? 5) * 1000);
      log(`Loki down for ${opts.outageSeconds} s (received so far: ${receiver.state.received})`);
      receiver.state.down = true;
      inOutage = true;
      // Against a deadline: on a loaded machine each timer fires late, and the outage must not
      // grow by the sum of the delays.
      const downAt = Date.now();
      const upAt = downAt + opts.outageSeconds * 1000;
      while (Date.now() < upAt) {
        await sleep(Math.min(10_000, upAt - Date.now()));
        log(
          `  outage ${((Date.now() - downAt) / 1000).toFixed(0)} s: agent RSS ${orZero(() => procRssMiB(agent.pid!)).toFixed(0)} MiB, buffer ${(dirBytes(walDir) / 2 ** 20).toFixed(0)} MiB`,
        );
      }
      inOutage = false;
      receiver.state.down = false;
      const back = Date.now();
      const outageSeconds = (back - downAt) / 1000;
      log('Loki back');
      await sleep((opts.afterSeconds ?? 10) * 1000);
      const done = await new Promise<{ lines: number; bytes: number; rotations: number }>((resolve) => {
        writer!.once('message', (m: { type: string; lines: number; bytes: number; rotations: number }) =>
          resolve(m),
        );
        writer!.send({ type: 'stop' });
      });
      log(
        `writer stopped: ${done.lines} lines, ${(done.bytes / 2 ** 20).toFixed(0)} MiB, ${done.rotations} rotations`,
      );
      // Wait for the rest: until every line arrived, or nothing new arrived for 30 s (and the
      // agent's retries, at most 10 s apart, had their chances), or the drain time is up.
      const deadline = Date.now() + (opts.drainSeconds ?? 180) * 1000;
      let lastCount = -1;
      let lastChange = Date.now();
      for (;;) {
        await sleep(500);
        const missing = receiver.missing(done.lines);
        if (missing === 0) break;
        if (receiver.state.received !== lastCount) {
          lastCount = receiver.state.received;
          lastChange = Date.now();
        }
        if (Date.now() - lastChange > 30_000 || Date.now() > deadline) break;
      }
      const m = await metrics(agentPort);
      const cpuSeconds = orZero(() => procCpuSeconds(agent.pid!));
      const peakRss = orZero(() => procPeakRssMiB(agent.pid!));
      const lost = receiver.missing(done.lines);
      return {
        written: done.lines,
        writtenBytes: done.bytes,
        rotations: done.rotations,
        received: receiver.state.received,
        lost,
        duplicates: receiver.state.duplicates,
        unknown: receiver.state.unknown,
        outageRssMiB: outageRss,
        peakRssMiB: peakRss,
        peakDiskMiB: peakDisk / 2 ** 20,
        cpuSeconds,
        metrics: m,
        recoverySeconds: (receiver.state.lastAt - back) / 1000,
        outageSeconds,
        agentStderrTail: stderr.slice(-3000),
      };
    } finally {
      clearInterval(sampler);
    }
  } finally {
    writer?.kill('SIGKILL');
    agent.kill('SIGTERM');
    if (agent.exitCode === null && agent.signalCode === null) await new Promise((r) => agent.once('exit', r));
    await new Promise((r) => receiver.server.close(r));
    rmSync(work, { recursive: true, force: true });
  }
}
