import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { LokiClient } from '../../src/client/client.js';
import { ClientFanout } from '../../src/client/fanout.js';
import { createReadlineLimiter, readlineDropReason } from '../../src/client/limits.js';
import type { Entry } from '../../src/types.js';
import { type LokiReceiver, startLokiReceiver } from '../support/loki-receiver.js';
import { clientConfig, entry, metric, newMetrics, until } from './helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function receiver(): Promise<LokiReceiver> {
  const rx = await startLokiReceiver();
  cleanups.push(() => rx.close());
  return rx;
}

describe('ClientFanout', () => {
  test('every client gets every entry; each releases it exactly once', async () => {
    const [a, b] = [await receiver(), await receiver()];
    const metrics = newMetrics();
    const fan = new ClientFanout([
      new LokiClient({ config: clientConfig(a.url), metrics, version: 't' }),
      new LokiClient({ config: clientConfig(b.url, { batchSizeBytes: 50 }), metrics, version: 't' }),
    ]);
    cleanups.push(() => fan.stop(0));
    const entries = Array.from({ length: 40 }, (_, i) => entry({ job: 'fan' }, `line ${i}`));
    for (const e of entries) fan.send(e);
    await fan.flush();
    for (const rx of [a, b]) {
      assert.deepEqual(
        rx.entries().map((e) => e.line),
        entries.map((e) => e.line),
      );
    }
    for (const e of entries) {
      assert.equal(e.delivery.holders, 2);
      assert.equal(e.delivery.released, 2);
      assert.ok(!e.delivery.overReleased);
    }
    for (const c of fan.clients) assert.equal(c.queuedBytes(), 0, `${c.host} has nothing queued`);
  });

  test('a dead client does not hold up a healthy one, and keeps its share unreleased', async () => {
    const healthy = await receiver();
    const probe = await startLokiReceiver();
    await probe.close(); // nothing listens on probe.url any more
    const metrics = newMetrics();
    const dead = new LokiClient({
      config: clientConfig(probe.url, { backoff: { minPeriodMs: 5, maxPeriodMs: 10, maxRetries: 0 } }),
      metrics,
      version: 't',
    });
    const alive = new LokiClient({
      config: clientConfig(healthy.url, { batchSizeBytes: 1000 }),
      metrics,
      version: 't',
    });
    const fan = new ClientFanout([dead, alive]);
    cleanups.push(() => fan.stop(0));
    const entries = Array.from({ length: 500 }, (_, i) =>
      entry({ job: 'fan' }, `entry ${i} ${'x'.repeat(20)}`),
    );
    for (const e of entries) fan.send(e);
    await healthy.waitForEntries(500);
    await until(() => entries.every((e) => e.delivery.released === 1), 5000, 'healthy releases');
    assert.ok(
      entries.every((e) => !e.delivery.done),
      'the dead client still holds every entry',
    );
    assert.equal(alive.queuedBytes(), 0);
    assert.equal(dead.queuedEntries(), 500);
    assert.ok(dead.queuedBytes() > 0);
    assert.ok((await metric(metrics, 'promtail_batch_retries_total', { host: dead.host })) > 0);
  });
});

describe('readline rate limit', () => {
  const limits = (drop: boolean) => ({
    readlineRateEnabled: true,
    readlineRate: 50,
    readlineBurst: 5,
    readlineRateDrop: drop,
  });

  test('drop mode: the burst passes, the rest is dropped, counted and released', async () => {
    const metrics = newMetrics();
    const passed: Entry[] = [];
    let now = 0;
    const limiter = createReadlineLimiter(
      limits(true),
      metrics,
      (e) => passed.push(e),
      () => now,
    );
    const entries = Array.from({ length: 20 }, (_, i) => entry({ job: 'rl' }, `l${i}`));
    for (const e of entries) limiter.send(e);
    assert.equal(passed.length, 5);
    assert.equal(await metric(metrics, 'logentry_dropped_lines_total', { reason: readlineDropReason }), 15);
    assert.ok(entries.slice(5).every((e) => e.delivery.done));
    now += 100; // 50/s for 0.1 s: 5 more tokens
    for (let i = 0; i < 10; i++) limiter.send(entry({ job: 'rl' }, 'later'));
    assert.equal(passed.length, 10);
  });

  test('wait mode: entries over the limit are delayed, in order, none lost', async () => {
    const metrics = newMetrics();
    const passed: { line: string; at: number }[] = [];
    const limiter = createReadlineLimiter(limits(false), metrics, (e) =>
      passed.push({ line: e.line, at: performance.now() }),
    );
    const start = performance.now();
    for (let i = 0; i < 15; i++) limiter.send(entry({ job: 'rl' }, `l${i}`));
    assert.equal(passed.length, 5, 'the burst passes at once');
    assert.equal(limiter.queuedEntries(), 10);
    await until(() => passed.length === 15, 5000, 'delayed entries');
    assert.deepEqual(
      passed.map((p) => p.line),
      Array.from({ length: 15 }, (_, i) => `l${i}`),
    );
    // 10 entries at 50/s take about 200 ms.
    const took = passed[14]!.at - start;
    assert.ok(took >= 150, `released after ${took}ms`);
    assert.equal(limiter.queuedEntries(), 0);
    assert.equal(await metric(metrics, 'logentry_dropped_lines_total'), 0);
  });

  test('disabled: a pass-through', () => {
    const passed: Entry[] = [];
    const limiter = createReadlineLimiter(
      { ...limits(true), readlineRateEnabled: false },
      newMetrics(),
      (e) => passed.push(e),
    );
    for (let i = 0; i < 100; i++) limiter.send(entry({ job: 'rl' }, 'x'));
    assert.equal(passed.length, 100);
  });
});
