// The loki_push_api source's throughput: pushes of 1,000-entry batches (snappy protobuf, JSON,
// gzip JSON, raw lines) from this process to a PushTarget in its own process, whose pipeline
// counts and releases each entry at once (the clients are measured by `npm run bench`). Prints
// entries/s, the target's CPU seconds per million entries and its peak RSS.
//
//   node --import tsx bench/push.ts [--batches 1000] [--concurrency 4] [--format proto,json,gzip,raw]

import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import zlib from 'node:zlib';
import { Registry } from 'prom-client';
import { compress, encodePushRequest } from '../src/client/encode.js';
import { ConfigNode } from '../src/config/reader.js';
import { silentLogger } from '../src/log.js';
import { createMetrics } from '../src/metrics.js';
import { PositionStore } from '../src/positions/store.js';
import { parsePushConfig } from '../src/targets/push/config.js';
import { PushTarget } from '../src/targets/push/push-target.js';
import type { Entry } from '../src/types.js';
import { arg } from './args.js';

const batchSize = 1000;

// --- the target's process ----------------------------------------------------------------------

async function runTarget(): Promise<void> {
  const config = parsePushConfig(
    ConfigNode.parse('server:\n  http_listen_address: 127.0.0.1\n  http_listen_port: 0\n', 'bench'),
  );
  let entries = 0;
  const target = new PushTarget(config, {
    jobName: 'bench',
    relabelConfigs: [],
    sink: (e) => {
      entries++;
      e.delivery?.release();
    },
    positions: new PositionStore({ filename: '/nonexistent/positions.yaml', readOnly: true }),
    logger: silentLogger,
    metrics: createMetrics(new Registry()),
  });
  await target.start();
  process.send!({ type: 'listening', port: target.port });
  process.on('message', (m: { type: string }) => {
    if (m.type === 'stats') {
      const u = process.cpuUsage();
      process.send!({ type: 'stats', entries, cpu: (u.user + u.system) / 1e6, rss: peakRssMiB() });
    } else if (m.type === 'stop') void target.stop().then(() => process.exit(0));
  });
}

function peakRssMiB(): number {
  const status = readFileSync('/proc/self/status', 'utf8');
  return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

// --- the sender ----------------------------------------------------------------------------------

interface Body {
  body: Buffer;
  headers: Record<string, string>;
  path: string;
}

function makeBody(format: string, seq: number): Body {
  const lines: string[] = [];
  for (let i = 0; i < batchSize; i++) {
    lines.push(
      `2026-12-06T01:00:00.${String(i).padStart(6, '0')}Z level=info msg="request served" path=/api/v1/items/${seq * batchSize + i} status=200 duration_ms=${i % 97}`,
    );
  }
  const ts = BigInt(Date.now()) * 1_000_000n;
  const streams = [0, 1, 2, 3].map((s) => ({
    labels: `{app="bench", pod="pod-${s}", namespace="default"}`,
    entries: lines
      .filter((_, i) => i % 4 === s)
      .map((line, i): Entry => ({ labels: {}, timestamp: ts + BigInt(i), line, extracted: {} })),
  }));
  const push = '/loki/api/v1/push';
  switch (format) {
    case 'proto':
      return {
        body: compress(encodePushRequest(streams)),
        headers: { 'Content-Type': 'application/x-protobuf' },
        path: push,
      };
    case 'json':
    case 'gzip': {
      const doc = JSON.stringify({
        streams: streams.map((s) => ({
          stream: { app: 'bench', pod: s.labels.slice(18, 23), namespace: 'default' },
          values: s.entries.map((e) => [String(e.timestamp), e.line]),
        })),
      });
      return format === 'json'
        ? { body: Buffer.from(doc), headers: { 'Content-Type': 'application/json' }, path: push }
        : {
            body: zlib.gzipSync(doc),
            headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' },
            path: push,
          };
    }
    default:
      return { body: Buffer.from(`${lines.join('\n')}\n`), headers: {}, path: '/promtail/api/v1/raw' };
  }
}

function post(agent: http.Agent, port: number, b: Body): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, method: 'POST', path: b.path, headers: b.headers, agent },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(b.body);
  });
}

async function bench(format: string, batches: number, concurrency: number): Promise<void> {
  const child = fork(new URL(import.meta.url).pathname, ['--target'], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve) =>
    child.on('message', (m: { type: string; port: number }) => m.type === 'listening' && resolve(m.port)),
  );
  const ask = () =>
    new Promise<{ entries: number; cpu: number; rss: number }>((resolve) => {
      const on = (m: { type: string; entries: number; cpu: number; rss: number }) => {
        if (m.type !== 'stats') return;
        child.off('message', on);
        resolve(m);
      };
      child.on('message', on);
      child.send({ type: 'stats' });
    });
  // A few distinct bodies, reused: the sender's own cost stays out of the way.
  const bodies = Array.from({ length: 8 }, (_, i) => makeBody(format, i));
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  // Warm-up.
  for (let i = 0; i < 20; i++) await post(agent, port, bodies[i % bodies.length]!);
  const before = await ask();
  const started = process.hrtime.bigint();
  let next = 0;
  let refused = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < batches) {
        const b = bodies[next++ % bodies.length]!;
        const status = await post(agent, port, b);
        if (status !== 204) refused++;
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const afterStats = await ask();
  const entries = afterStats.entries - before.entries;
  const cpu = afterStats.cpu - before.cpu;
  const bodyKiB = bodies[0]!.body.length / 1024;
  console.log(
    `${format.padEnd(6)} ${String(Math.round(entries / seconds)).padStart(9)} entries/s  ` +
      `${(batches / seconds).toFixed(0).padStart(5)} pushes/s  body ${bodyKiB.toFixed(1)} KiB  ` +
      `target CPU ${((cpu / entries) * 1e6).toFixed(2)} s per million entries (${((cpu / seconds) * 100).toFixed(0)}% of a core)  ` +
      `peak RSS ${afterStats.rss.toFixed(0)} MiB  non-204 ${refused}`,
  );
  agent.destroy();
  child.send({ type: 'stop' });
  await new Promise((resolve) => child.on('exit', resolve));
}

if (process.argv.includes('--target')) {
  await runTarget();
} else {
  const batches = Number(arg('batches', '1000'));
  const concurrency = Number(arg('concurrency', '4'));
  console.log(`loki_push_api: ${batches} pushes of ${batchSize} entries, ${concurrency} at a time`);
  for (const format of arg('format', 'proto,json,gzip,raw').split(',')) {
    await bench(format, batches, concurrency);
  }
}
