// Test harness for the loki_push_api source: a PushTarget on 127.0.0.1 (port 0) built from YAML
// as a user writes it, whose pipeline records the entries it is handed, and plain HTTP requests.

import { mkdtempSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { ConfigNode } from '../../../src/config/reader.js';
import { silentLogger } from '../../../src/log.js';
import { createMetrics, type Metrics } from '../../../src/metrics.js';
import type { InFlightBudget } from '../../../src/positions/acks.js';
import { PositionStore } from '../../../src/positions/store.js';
import { parseRelabelRules } from '../../../src/relabel/relabel.js';
import { parsePushConfig } from '../../../src/targets/push/config.js';
import { PushTarget } from '../../../src/targets/push/push-target.js';
import type { Entry } from '../../../src/types.js';

export interface Harness {
  target: PushTarget;
  port: number;
  /** Entries handed to the pipeline, in order. */
  entries: Entry[];
  metrics: Metrics;
  /** Releases every entry's delivery, as clients do once Loki acknowledged. */
  releaseAll(): void;
  stop(): Promise<void>;
}

/**
 * `block` is the YAML of the `loki_push_api:` block without `server:`, which the harness writes
 * (127.0.0.1, port 0) with `serverKeys` (indented lines) added.
 */
export async function startPush(
  block = '',
  opts: { relabel?: string; budget?: InFlightBudget; jobName?: string; serverKeys?: string } = {},
): Promise<Harness> {
  const yaml = `server:\n  http_listen_address: 127.0.0.1\n  http_listen_port: 0\n${opts.serverKeys ?? ''}${block}`;
  const config = parsePushConfig(ConfigNode.parse(yaml, 'push.yaml'));
  const relabelConfigs = opts.relabel
    ? parseRelabelRules(ConfigNode.parse(opts.relabel, 'relabel.yaml'))
    : [];
  const entries: Entry[] = [];
  const metrics = createMetrics(new Registry());
  const dir = mkdtempSync(join(tmpdir(), 'logferry-push-'));
  const target = new PushTarget(
    config,
    {
      jobName: opts.jobName ?? 'push',
      relabelConfigs,
      sink: (e) => entries.push(e),
      positions: new PositionStore({ filename: join(dir, 'positions.yaml'), readOnly: true }),
      logger: silentLogger,
      metrics,
    },
    opts.budget,
  );
  await target.start();
  let released = 0;
  return {
    target,
    port: target.port,
    entries,
    metrics,
    releaseAll: () => {
      for (; released < entries.length; released++) entries[released]!.delivery?.release();
    },
    stop: () => target.stop(),
  };
}

export interface Answer {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

/** One request on its own connection. */
export function request(
  port: number,
  method: string,
  path: string,
  body?: Buffer | string,
  headers: Record<string, string> = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString(),
          headers: res.headers,
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

export const post = (
  port: number,
  path: string,
  body: Buffer | string,
  headers: Record<string, string> = {},
) => request(port, 'POST', path, body, headers);

export const pushPath = '/loki/api/v1/push';
export const rawPath = '/promtail/api/v1/raw';
