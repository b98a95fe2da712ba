// A Loki that accepts the connection and never answers: the request times out (the default 10 s
// and a configured 1 s), is retried with backoff, nothing is released meanwhile (so positions do
// not move past it), and once a good receiver listens on that port everything arrives.

import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { LokiClient } from '../../src/client/client.js';
import { defaults } from '../../src/config/defaults.js';
import { startHungListener } from '../support/hung-listener.js';
import { startLokiReceiver } from '../support/loki-receiver.js';
import { clientConfig, entry, metric, newMetrics, until } from './helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function hungThenHealthy(timeoutMs: number): Promise<void> {
  const hung = await startHungListener();
  cleanups.push(() => hung.close());
  const metrics = newMetrics();
  const c = new LokiClient({
    config: clientConfig(hung.url, {
      timeoutMs,
      backoff: { minPeriodMs: 20, maxPeriodMs: 50, maxRetries: 0 },
    }),
    metrics,
    version: 't',
  });
  cleanups.push(() => c.stop(0));
  const entries = [entry({ job: 'hung' }, 'one'), entry({ job: 'hung' }, 'two')];
  for (const e of entries) c.send(e);

  // The first attempt hangs; a second connection means the deadline fired and the batch is retried.
  await hung.waitForAttempts(2, timeoutMs * 3 + 10_000);
  assert.ok(
    (await metric(metrics, 'promtail_request_duration_seconds', { status_code: '-1' })) >= 1,
    'the timed-out attempt is recorded with status -1',
  );
  assert.ok((await metric(metrics, 'promtail_batch_retries_total')) >= 1, 'the retry is counted');
  assert.ok(
    entries.every((e) => e.delivery.released === 0),
    'nothing is released while Loki hangs: positions stay put',
  );
  assert.equal(c.queuedEntries(), 2);

  // A healthy Loki takes the port over: the next attempt delivers everything.
  const port = hung.port;
  await hung.close();
  const rx = await startLokiReceiver({ port });
  cleanups.push(() => rx.close());
  await rx.waitForEntries(2, timeoutMs * 2 + 10_000);
  await until(() => entries.every((e) => e.delivery.done), 5000, 'release');
  assert.deepEqual(
    rx.entries().map((e) => e.line),
    ['one', 'two'],
  );
  assert.equal(await metric(metrics, 'promtail_dropped_entries_total'), 0);
}

describe('a Loki that never answers', () => {
  test('times out after the configured timeout (1s), retries, then delivers', async () => {
    await hungThenHealthy(1000);
  });

  test('times out after the default timeout (10s), retries, then delivers', async () => {
    assert.equal(defaults.client.timeoutMs, 10_000);
    await hungThenHealthy(defaults.client.timeoutMs);
  });
});
