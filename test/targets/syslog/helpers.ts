// Shared pieces of the syslog tests: a target on 127.0.0.1 with a collecting sink, clients.

import { mkdtempSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigNode } from '../../../src/config/reader.js';
import { createLogger } from '../../../src/log.js';
import { createMetrics, type Metrics } from '../../../src/metrics.js';
import type { InFlightBudget } from '../../../src/positions/acks.js';
import { PositionStore } from '../../../src/positions/store.js';
import { parseRelabelRules } from '../../../src/relabel/relabel.js';
import { parseSyslogConfig } from '../../../src/targets/syslog/config.js';
import { SyslogTarget } from '../../../src/targets/syslog/syslog-target.js';
import type { Entry } from '../../../src/types.js';

export interface Harness {
  target: SyslogTarget;
  port: number;
  entries: Entry[];
  metrics: Metrics;
  logs: string[];
  /** Resolves once at least `n` entries arrived. */
  waitFor(n: number): Promise<void>;
  counter(name: string): Promise<number>;
  stop(): Promise<void>;
}

/** Starts a target from the YAML of a `syslog:` block (listen_address defaults to 127.0.0.1:0). */
export async function startTarget(
  yaml: string,
  options: { relabel?: string; budget?: InFlightBudget; keep?: boolean } = {},
): Promise<Harness> {
  const text = yaml.includes('listen_address') ? yaml : `listen_address: 127.0.0.1:0\n${yaml}`;
  const config = parseSyslogConfig(ConfigNode.parse(text, 'syslog.yaml'));
  const relabelConfigs = options.relabel
    ? parseRelabelRules(ConfigNode.parse(options.relabel, 'relabel.yaml'))
    : [];
  const entries: Entry[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const logs: string[] = [];
  const metrics = createMetrics();
  const dir = mkdtempSync(join(tmpdir(), 'logferry-syslog-'));
  const target = new SyslogTarget(
    config,
    {
      jobName: 'syslog',
      relabelConfigs,
      sink: (e) => {
        if (options.keep !== false) entries.push(e);
        else entries.length++;
        for (let i = waiters.length - 1; i >= 0; i--) {
          if (entries.length >= waiters[i]!.n) waiters.splice(i, 1)[0]!.resolve();
        }
      },
      positions: new PositionStore({ filename: join(dir, 'positions.yaml') }),
      logger: createLogger({ level: 'debug', write: (l) => logs.push(l) }),
      metrics,
    },
    options.budget,
  );
  await target.start();
  return {
    target,
    port: target.address().port,
    entries,
    metrics,
    logs,
    waitFor: (n) =>
      entries.length >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve })),
    counter: async (name) => {
      const m = await metrics.registry.getSingleMetric(name)!.get();
      return m.values.reduce((a, v) => a + v.value, 0);
    },
    stop: () => target.stop(),
  };
}

export function tcpClient(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.once('error', reject);
  });
}

/** Resolves when the server closed the connection. */
export function closed(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) resolve();
    socket.on('error', () => {});
    socket.once('close', () => resolve());
  });
}

/** An RFC 5425 octet-counted frame. */
export function octet(msg: string): string {
  return `${Buffer.byteLength(msg)} ${msg}`;
}
