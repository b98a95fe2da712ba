// Small helpers shared by the client tests: configs with fast timings, deliveries that count
// their releases, metric reads from a private registry.

import http from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { Registry } from 'prom-client';
import type { ClientConfig } from '../../src/config/types.js';
import { createLogger, type Logger } from '../../src/log.js';
import { createMetrics, type Metrics } from '../../src/metrics.js';
import type { Delivery, Entry, LabelSet } from '../../src/types.js';

export function clientConfig(url: string, over: Partial<ClientConfig> = {}): ClientConfig {
  return {
    url,
    batchWaitMs: 20,
    batchSizeBytes: 1024 * 1024,
    timeoutMs: 2000,
    backoff: { minPeriodMs: 5, maxPeriodMs: 20, maxRetries: 10 },
    externalLabels: {},
    headers: {},
    tls: { insecureSkipVerify: false },
    dropRateLimitedBatches: false,
    ...over,
  };
}

/** A delivery that counts holders and releases; `overReleased` flags a double release. */
export class CountingDelivery implements Delivery {
  holders = 1;
  released = 0;
  overReleased = false;
  retain(count = 1): void {
    this.holders += count;
  }
  release(): void {
    this.released++;
    if (this.released > this.holders) this.overReleased = true;
  }
  get done(): boolean {
    return this.released === this.holders;
  }
}

let clock = 1_700_000_000_000_000_000n;

export function entry(
  labels: LabelSet,
  line: string,
  extra: Partial<Entry> = {},
): Entry & { delivery: CountingDelivery } {
  clock += 1000n;
  return {
    labels,
    timestamp: clock,
    line,
    extracted: {},
    delivery: new CountingDelivery(),
    ...extra,
  } as Entry & {
    delivery: CountingDelivery;
  };
}

export function newMetrics(): Metrics {
  return createMetrics(new Registry());
}

/** Sum of a metric's samples whose labels include `labels` (histograms: their _count). */
export async function metric(
  metrics: Metrics,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const m = metrics.registry.getSingleMetric(name);
  if (!m) throw new Error(`no metric ${name}`);
  const data = await m.get();
  let sum = 0;
  for (const v of data.values) {
    const sample = v as { metricName?: string; labels: Record<string, string | number>; value: number };
    if (
      sample.metricName !== undefined &&
      sample.metricName !== name &&
      sample.metricName !== `${name}_count`
    )
      continue;
    if (Object.entries(labels).every(([k, want]) => String(sample.labels[k]) === want)) sum += sample.value;
  }
  return sum;
}

/** Polls a condition with a deadline (for state with no event to await, like a counter). */
export async function until(
  cond: () => boolean | Promise<boolean>,
  timeoutMs = 5000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    await sleep(5);
  }
}

export function captureLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: createLogger({ level: 'debug', write: (l) => lines.push(l) }), lines };
}

/**
 * A forward proxy on 127.0.0.1: absolute-form requests are relayed, CONNECT is tunnelled.
 * `seen` lists `METHOD target` of each request it handled.
 */
export async function startProxy(): Promise<{ url: string; seen: string[]; close(): Promise<void> }> {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const upstream = http.request(req.url!, { method: req.method, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('connect', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    seen.push(`CONNECT ${req.url}`);
    const [host, port] = (req.url ?? '').split(':');
    const upstream = net.connect(Number(port), host, () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
