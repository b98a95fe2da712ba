import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { Backoff } from '../../src/client/backoff.js';
import { LokiClient } from '../../src/client/client.js';
import { type LokiReceiver, startLokiReceiver } from '../support/loki-receiver.js';
import { captureLogger, clientConfig, entry, metric, newMetrics, until } from './helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function receiver(port?: number): Promise<LokiReceiver> {
  const rx = await startLokiReceiver(port === undefined ? {} : { port });
  cleanups.push(() => rx.close());
  return rx;
}

function client(opts: ConstructorParameters<typeof LokiClient>[0]): LokiClient {
  const c = new LokiClient(opts);
  cleanups.push(() => c.stop(0));
  return c;
}

describe('Backoff (dskit semantics)', () => {
  test('delays double from min_period, drawn from [d, 2d) with 2d capped at max_period', () => {
    const cfg = { minPeriodMs: 100, maxPeriodMs: 1000, maxRetries: 0 };
    const low = new Backoff(cfg, () => 0);
    assert.deepEqual(
      Array.from({ length: 7 }, () => low.nextDelay()),
      [100, 200, 400, 800, 800, 800, 800],
    );
    const high = new Backoff(cfg, () => 0.9999);
    assert.deepEqual(
      Array.from({ length: 6 }, () => high.nextDelay()),
      [199, 399, 799, 999, 999, 999],
    );
  });
  test('min equal to max: always min', () => {
    const b = new Backoff({ minPeriodMs: 50, maxPeriodMs: 50, maxRetries: 0 });
    assert.deepEqual([b.nextDelay(), b.nextDelay()], [50, 50]);
  });
  test('max_retries counts failed attempts; 0 is for ever', () => {
    const three = new Backoff({ minPeriodMs: 1, maxPeriodMs: 2, maxRetries: 3 });
    const seen: boolean[] = [];
    for (let i = 0; i < 4; i++) {
      three.nextDelay();
      seen.push(three.ongoing());
    }
    assert.deepEqual(seen, [true, true, false, false]);
    const forever = new Backoff({ minPeriodMs: 1, maxPeriodMs: 2, maxRetries: 0 });
    for (let i = 0; i < 1000; i++) forever.nextDelay();
    assert.ok(forever.ongoing());
  });
});

describe('responses', () => {
  test('500, then 429, then OK: delivered once, two retries counted', async () => {
    const rx = await receiver();
    rx.respond({ status: 500, body: 'ingester down' }, { status: 429, body: 'slow down' });
    const metrics = newMetrics();
    const c = client({ config: clientConfig(rx.url, { tenantId: 't' }), metrics, version: 't' });
    const entries = [entry({ job: 'r' }, 'one'), entry({ job: 'r' }, 'two')];
    for (const e of entries) c.send(e);
    await c.flush();
    assert.deepEqual(
      rx.requests.map((r) => r.status),
      [500, 429, 204],
    );
    assert.deepEqual(
      rx.entries().map((e) => e.line),
      ['one', 'two'],
    );
    assert.ok(entries.every((e) => e.delivery.released === 1));
    assert.equal(await metric(metrics, 'promtail_batch_retries_total', { host: c.host, tenant: 't' }), 2);
    assert.equal(await metric(metrics, 'promtail_sent_entries_total', { host: c.host }), 2);
    assert.equal(await metric(metrics, 'promtail_dropped_entries_total'), 0);
    for (const status of ['500', '429', '204']) {
      assert.equal(await metric(metrics, 'promtail_request_duration_seconds', { status_code: status }), 1);
    }
    const sentBytes = await metric(metrics, 'promtail_sent_bytes_total', { host: c.host });
    assert.equal(sentBytes, rx.requests[2]!.bodyBytes);
    assert.equal(await metric(metrics, 'promtail_encoded_bytes_total', { host: c.host }), sentBytes);
  });

  test('400: dropped at once, counted, body logged; the next batch is still sent', async () => {
    const rx = await receiver();
    rx.respond({ status: 400, body: 'entry too far behind\nsecond line' });
    const metrics = newMetrics();
    const { logger, lines } = captureLogger();
    const c = client({ config: clientConfig(rx.url), metrics, version: 't', logger });
    const bad = entry({ job: 'r' }, 'rejected');
    c.send(bad);
    await c.flush();
    const good = entry({ job: 'r' }, 'accepted');
    c.send(good);
    await c.flush();
    assert.deepEqual(
      rx.requests.map((r) => r.status),
      [400, 204],
    );
    assert.deepEqual(
      rx.entries().map((e) => e.line),
      ['accepted'],
    );
    assert.ok(bad.delivery.done && good.delivery.done);
    const dropped = { host: c.host, tenant: '', reason: 'ingester_error' };
    assert.equal(await metric(metrics, 'promtail_dropped_entries_total', dropped), 1);
    assert.equal(await metric(metrics, 'promtail_dropped_bytes_total', dropped), rx.requests[0]!.bodyBytes);
    assert.equal(await metric(metrics, 'promtail_batch_retries_total'), 0);
    const final = lines.find((l) => l.includes('final error sending batch'));
    assert.ok(final?.includes('entry too far behind'), final);
    assert.ok(!final?.includes('second line'));
  });

  test('max_retries exhausted: dropped after that many attempts, reason from the last status', async () => {
    const rx = await receiver();
    rx.respond({ status: 500 }, { status: 502 });
    rx.setResponder(() => ({ status: 429 }));
    const metrics = newMetrics();
    const c = client({
      config: clientConfig(rx.url, { backoff: { minPeriodMs: 1, maxPeriodMs: 5, maxRetries: 4 } }),
      metrics,
      version: 't',
    });
    const e = entry({ job: 'r' }, 'doomed');
    c.send(e);
    await c.flush();
    assert.equal(rx.requests.length, 4);
    assert.ok(e.delivery.done);
    assert.equal(await metric(metrics, 'promtail_batch_retries_total'), 4);
    assert.equal(await metric(metrics, 'promtail_dropped_entries_total', { reason: 'rate_limited' }), 1);
    assert.equal(await metric(metrics, 'promtail_dropped_entries_total', { reason: 'ingester_error' }), 0);
  });

  test('drop_rate_limited_batches: a 429 drops the batch at once', async () => {
    const rx = await receiver();
    rx.respond({ status: 429 });
    const metrics = newMetrics();
    const c = client({
      config: clientConfig(rx.url, { dropRateLimitedBatches: true }),
      metrics,
      version: 't',
    });
    const e = entry({ job: 'r' }, 'limited');
    c.send(e);
    await c.flush();
    assert.equal(rx.requests.length, 1);
    assert.ok(e.delivery.done);
    assert.equal(await metric(metrics, 'promtail_dropped_entries_total', { reason: 'rate_limited' }), 1);
    assert.equal(await metric(metrics, 'promtail_batch_retries_total'), 0);
  });

  test('a dropped connection and a timeout are retried (status -1)', async () => {
    const rx = await receiver();
    rx.respond({ destroy: true }, { delayMs: 1000 });
    const metrics = newMetrics();
    const c = client({ config: clientConfig(rx.url, { timeoutMs: 150 }), metrics, version: 't' });
    const e = entry({ job: 'r' }, 'persistent');
    c.send(e);
    await rx.waitForEntries(1);
    await until(() => e.delivery.done, 5000, 'release');
    assert.equal(await metric(metrics, 'promtail_request_duration_seconds', { status_code: '-1' }), 2);
    assert.equal(await metric(metrics, 'promtail_batch_retries_total'), 2);
  });

  test('connection refused until the server comes up: delivered', async () => {
    // Learn a free port, then leave it closed.
    const probe = await startLokiReceiver();
    const port = probe.port;
    await probe.close();
    const metrics = newMetrics();
    const c = client({
      config: clientConfig(probe.url, { backoff: { minPeriodMs: 10, maxPeriodMs: 20, maxRetries: 0 } }),
      metrics,
      version: 't',
    });
    const entries = [entry({ job: 'r' }, 'early 1'), entry({ job: 'r' }, 'early 2')];
    for (const e of entries) c.send(e);
    await until(
      async () => (await metric(metrics, 'promtail_batch_retries_total')) >= 3,
      5000,
      'refused attempts',
    );
    assert.ok(entries.every((e) => e.delivery.released === 0));
    const rx = await receiver(port);
    await rx.waitForEntries(2);
    await until(() => entries.every((e) => e.delivery.done), 5000, 'release');
    assert.deepEqual(
      rx.entries().map((e) => e.line),
      ['early 1', 'early 2'],
    );
    assert.ok(entries.every((e) => e.delivery.released === 1));
  });
});
