// Runs a JournalTarget the way the agent will: a parsed `journal:` block, real relabel rules, a
// real PositionStore on disk, and a sink that collects entries (the test releases their deliveries).

import { Registry } from 'prom-client';
import { ConfigNode } from '../../src/config/reader.js';
import { createLogger } from '../../src/log.js';
import { createMetrics } from '../../src/metrics.js';
import { InFlightBudget } from '../../src/positions/acks.js';
import { PositionStore } from '../../src/positions/store.js';
import { parseRelabelRules } from '../../src/relabel/relabel.js';
import { parseJournalConfig } from '../../src/targets/journal/config.js';
import { JournalTarget, type JournalTargetOptions } from '../../src/targets/journal/journal-target.js';
import type { Entry } from '../../src/types.js';

export interface Harness {
  target: JournalTarget;
  received: Entry[];
  logs: string[];
  positions: PositionStore;
  metrics: ReturnType<typeof createMetrics>;
  budget: InFlightBudget;
  /** Resolves once `n` entries arrived in all; rejects after `ms` naming what did arrive. */
  waitFor(n: number, ms?: number): Promise<Entry[]>;
  /** Stops the target and writes the positions file. */
  close(): Promise<void>;
}

export function startHarness(
  yaml: string,
  positionsFile: string,
  options: JournalTargetOptions & { budget?: InFlightBudget; onEntry?: (e: Entry) => void } = {},
): Harness {
  const node = ConfigNode.parse(yaml, 'test.yaml');
  const logs: string[] = [];
  const logger = createLogger({ level: 'debug', write: (line) => logs.push(line) });
  const metrics = createMetrics(new Registry());
  const positions = new PositionStore({ filename: positionsFile, minWriteIntervalMs: 0 });
  positions.start();
  const budget = options.budget ?? new InFlightBudget();
  const received: Entry[] = [];
  let waiter: { n: number; resolve: () => void } | undefined;
  const target = new JournalTarget(
    parseJournalConfig(node.get('journal')),
    {
      jobName: node.get('job_name').string(),
      relabelConfigs: parseRelabelRules(node.get('relabel_configs')),
      sink: (e) => {
        received.push(e);
        options.onEntry?.(e);
        if (waiter && received.length >= waiter.n) waiter.resolve();
      },
      positions,
      logger,
      metrics,
    },
    budget,
    { restartDelayMs: 60_000, ...options },
  );
  return {
    target,
    received,
    logs,
    positions,
    metrics,
    budget,
    waitFor(n, ms = 20_000) {
      if (received.length >= n) return Promise.resolve(received);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiter = undefined;
          reject(
            new Error(
              `waited for ${n} entries, got ${received.length}: ${JSON.stringify(received.map((e) => e.line.slice(0, 40)))}\n${logs.join('')}`,
            ),
          );
        }, ms);
        waiter = {
          n,
          resolve: () => {
            clearTimeout(timer);
            waiter = undefined;
            resolve(received);
          },
        };
      });
    },
    async close() {
      await target.stop();
      await positions.stop();
    },
  };
}
