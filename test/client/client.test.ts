import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { LokiClient } from '../../src/client/client.js';
import type { Metrics } from '../../src/metrics.js';
import { type LokiReceiver, startLokiReceiver } from '../support/loki-receiver.js';
import { captureLogger, clientConfig, entry, metric, newMetrics, startProxy, until } from './helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function receiver(): Promise<LokiReceiver> {
  const rx = await startLokiReceiver();
  cleanups.push(() => rx.close());
  return rx;
}

function client(opts: ConstructorParameters<typeof LokiClient>[0]): LokiClient {
  const c = new LokiClient(opts);
  cleanups.push(() => c.stop(0));
  return c;
}

describe('batching', () => {
  test('a batch goes when the next entry would take it over batchsize', async () => {
    const rx = await receiver();
    const metrics = newMetrics();
    const c = client({
      config: clientConfig(rx.url, { batchSizeBytes: 100, batchWaitMs: 60_000 }),
      metrics,
      version: 't',
    });
    const entries = Array.from({ length: 10 }, (_, i) =>
      entry({ job: 'size' }, `${String(i).padStart(2, '0')}${'x'.repeat(28)}`),
    );
    for (const e of entries) c.send(e);
    await rx.waitFor((r) => r.pushes().length === 3);
    assert.deepEqual(
      rx.pushes().map((p) => p.push!.streams[0]!.entries.length),
      [3, 3, 3],
    );
    // The client learns of the last ack a moment after the receiver recorded it.
    await until(() => c.queuedEntries() === 1, 5000, 'acks');
    assert.equal(c.queuedBytes(), 30);
    await c.flush();
    assert.deepEqual(
      rx.entries().map((e) => e.line.slice(0, 2)),
      entries.map((_, i) => String(i).padStart(2, '0')),
    );
    assert.ok(entries.every((e) => e.delivery.done && !e.delivery.overReleased));
    assert.equal(await metric(metrics, 'promtail_sent_entries_total', { host: c.host }), 10);
    assert.equal(c.queuedBytes(), 0);
  });

  test('a batch goes batchwait after its first entry', async (t) => {
    const rx = await receiver();
    // Time is the subject: the batch timer runs on node:test's mock timers, the HTTP on real ones.
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const c = client({
      config: clientConfig(rx.url, { batchWaitMs: 150 }),
      metrics: newMetrics(),
      version: 't',
    });
    c.send(entry({ job: 'wait' }, 'one'));
    c.send(entry({ job: 'wait' }, 'two'));
    t.mock.timers.tick(145);
    await new Promise((r) => setImmediate(r));
    assert.ok(c.queuedBytes() > 0, 'the entries wait in their batch');
    assert.equal(rx.pushes().length, 0, 'sent after 145ms, before batchwait');
    t.mock.timers.tick(5);
    t.mock.timers.reset();
    // Sent at batchwait: within 1.5 s of real time for the HTTP round trip.
    await rx.waitForEntries(2, 1500);
    assert.equal(rx.pushes().length, 1);
  });

  test('structured metadata counts toward batch size as Promtail counts it', async () => {
    const rx = await receiver();
    const c = client({
      config: clientConfig(rx.url, { batchSizeBytes: 20, batchWaitMs: 60_000 }),
      metrics: newMetrics(),
      version: 't',
    });
    // 5 line bytes + pair {k: "v"}: (1+1+1) + (1+1+1) = 11 bytes; two of them exceed 20.
    c.send(entry({ job: 'sm' }, 'aaaaa', { structuredMetadata: { k: 'v' } }));
    c.send(entry({ job: 'sm' }, 'bbbbb', { structuredMetadata: { k: 'v' } }));
    await rx.waitFor((r) => r.pushes().length === 1);
    await until(() => c.queuedBytes() === 11, 5000, 'the first batch acked');
  });
});

describe('streams, labels and tenants', () => {
  test('tenant from config, from __tenant_id__, and none', async () => {
    const rx = await receiver();
    const c = client({
      config: clientConfig(rx.url, { tenantId: 'team-a' }),
      metrics: newMetrics(),
      version: 't',
    });
    c.send(entry({ job: 'x' }, 'to team-a'));
    c.send(entry({ job: 'x', __tenant_id__: 'team-b' }, 'to team-b'));
    await c.flush();
    const byTenant = Object.fromEntries(rx.entries().map((e) => [e.tenant, e]));
    assert.deepEqual(Object.keys(byTenant).sort(), ['team-a', 'team-b']);
    assert.equal(byTenant['team-b']!.labelsString, '{job="x"}');
    assert.equal(rx.pushes().length, 2);

    const rx2 = await receiver();
    const c2 = client({ config: clientConfig(rx2.url), metrics: newMetrics(), version: 't' });
    c2.send(entry({ job: 'x' }, 'no tenant'));
    await c2.flush();
    assert.equal(rx2.requests[0]!.headers['x-scope-orgid'], undefined);
  });

  test('external labels fill in; the entry value wins; __tenant_id__ and target labels are not sent, other __ labels are (as Promtail)', async () => {
    const rx = await receiver();
    const c = client({
      config: clientConfig(rx.url, { externalLabels: { cluster: 'prod', job: 'external' } }),
      metrics: newMetrics(),
      version: 't',
    });
    c.send(entry({ job: 'mine', __tenant_id__: 't', __path__: '/x', __custom: 'v' }, 'line'));
    await c.flush();
    assert.equal(rx.entries()[0]!.labelsString, '{__custom="v", cluster="prod", job="mine"}');
  });

  test('entries with no labels left are dropped and counted, the rest of the batch is sent', async () => {
    const rx = await receiver();
    const metrics = newMetrics();
    const c = client({ config: clientConfig(rx.url), metrics, version: 't' });
    const empty = entry({ __tenant_id__: 't' }, 'nothing to label me');
    const ok = entry({ job: 'ok' }, 'fine');
    c.send(empty);
    c.send(ok);
    await c.flush();
    assert.deepEqual(
      rx.entries().map((e) => e.line),
      ['fine'],
    );
    assert.ok(empty.delivery.done && ok.delivery.done);
    assert.equal(
      await metric(metrics, 'promtail_dropped_entries_total', { host: c.host, reason: 'ingester_error' }),
      1,
    );
  });

  test('order within each stream is kept across many batches and slow responses', async () => {
    const rx = await receiver();
    let n = 0;
    rx.setResponder(() => ({ status: 204, delayMs: n++ % 3 === 0 ? 15 : 0 }));
    const c = client({
      config: clientConfig(rx.url, { batchSizeBytes: 2000, batchWaitMs: 5 }),
      metrics: newMetrics(),
      version: 't',
    });
    const streams: Record<string, string>[] = [{ job: 'a' }, { job: 'b' }, { job: 'c', pod: 'p' }];
    const sent: string[][] = [[], [], []];
    for (let i = 0; i < 3000; i++) {
      const s = i % 7 === 0 ? 2 : i % 2;
      const line = `stream ${s} seq ${i} ${'.'.repeat(i % 50)}`;
      sent[s]!.push(line);
      c.send(entry(streams[s]!, line));
    }
    await c.flush();
    assert.ok(rx.pushes().length > 10, `only ${rx.pushes().length} pushes`);
    for (let s = 0; s < 3; s++) {
      const got = rx
        .entries()
        .filter((e) => e.labels.job === streams[s]!.job)
        .map((e) => e.line);
      assert.deepEqual(got, sent[s]);
    }
    // Timestamps too: each stream's are increasing as sent.
    const ts = rx
      .entries()
      .filter((e) => e.labels.job === 'a')
      .map((e) => e.timestamp);
    assert.ok(ts.every((t, i) => i === 0 || t > ts[i - 1]!));
  });
});

describe('limits', () => {
  test('max_line_size drops long lines, counted as line_too_long', async () => {
    const rx = await receiver();
    const metrics = newMetrics();
    const c = client({ config: clientConfig(rx.url), metrics, version: 't', limits: { maxLineSize: 10 } });
    const long = entry({ job: 'l' }, 'x'.repeat(11));
    c.send(long);
    c.send(entry({ job: 'l' }, 'é'.repeat(5))); // 10 bytes: fits
    c.send(entry({ job: 'l' }, 'é'.repeat(6))); // 12 bytes: dropped
    await c.flush();
    assert.deepEqual(
      rx.entries().map((e) => e.line),
      ['ééééé'],
    );
    assert.ok(long.delivery.done);
    const reason = { host: c.host, reason: 'line_too_long' };
    assert.equal(await metric(metrics, 'promtail_dropped_entries_total', reason), 2);
    assert.equal(await metric(metrics, 'promtail_dropped_bytes_total', reason), 23);
  });

  test('max_line_size_truncate cuts lines at a character boundary and counts mutations', async () => {
    const rx = await receiver();
    const metrics = newMetrics();
    const c = client({
      config: clientConfig(rx.url),
      metrics,
      version: 't',
      limits: { maxLineSize: 10, maxLineSizeTruncate: true },
    });
    const shared = entry({ job: 't' }, 'abcdefghijklmnop');
    c.send(shared);
    c.send(entry({ job: 't' }, 'abcdefghié')); // é would straddle byte 10
    await c.flush();
    assert.deepEqual(
      rx.entries().map((e) => e.line),
      ['abcdefghij', 'abcdefghi'],
    );
    assert.equal(shared.line, 'abcdefghijklmnop', 'the caller’s entry is not changed');
    const reason = { host: c.host, reason: 'line_too_long' };
    assert.equal(await metric(metrics, 'promtail_mutated_entries_total', reason), 2);
    assert.equal(await metric(metrics, 'promtail_mutated_bytes_total', reason), 6 + 2);
  });

  test('max_streams: entries of streams beyond the limit in a batch are dropped as stream_limited', async () => {
    const rx = await receiver();
    const metrics = newMetrics();
    const c = client({ config: clientConfig(rx.url), metrics, version: 't', limits: { maxStreams: 2 } });
    const dropped = entry({ job: 'c' }, '3rd stream');
    c.send(entry({ job: 'a' }, 'a1'));
    c.send(entry({ job: 'b' }, 'b1'));
    c.send(dropped);
    c.send(entry({ job: 'a' }, 'a2'));
    await c.flush();
    assert.deepEqual(
      rx
        .entries()
        .map((e) => e.line)
        .sort(),
      ['a1', 'a2', 'b1'],
    );
    assert.ok(dropped.delivery.done);
    assert.equal(
      await metric(metrics, 'promtail_dropped_entries_total', { host: c.host, reason: 'stream_limited' }),
      1,
    );
  });
});

describe('max_streams, as Promtail 3.6', () => {
  test('the limit is per batch and per tenant: a stream refused in one batch is sent in the next; one log line per batch', async () => {
    const rx = await receiver();
    const metrics = newMetrics();
    const { logger, lines } = captureLogger();
    const c = client({
      config: clientConfig(rx.url, { batchWaitMs: 60_000 }),
      metrics,
      version: 't',
      logger,
      limits: { maxStreams: 1 },
    });
    c.send(entry({ job: 'a' }, 'a1'));
    for (let i = 0; i < 5; i++) c.send(entry({ job: 'b' }, `b-refused-${i}`));
    // Another tenant has its own batch, so its own count of streams; __tenant_id__ is not a label.
    c.send(entry({ job: 'b', __tenant_id__: 'other' }, 'b-other-tenant'));
    await c.flush();
    c.send(entry({ job: 'b' }, 'b-next-batch'));
    await c.flush();
    assert.deepEqual(
      rx
        .entries()
        .map((e) => e.line)
        .sort(),
      ['a1', 'b-next-batch', 'b-other-tenant'],
    );
    const refused = { host: c.host, tenant: '', reason: 'stream_limited' };
    assert.equal(await metric(metrics, 'promtail_dropped_entries_total', refused), 5);
    assert.equal(await metric(metrics, 'promtail_dropped_bytes_total', refused), 5 * 'b-refused-0'.length);
    const logged = lines.filter((l) => l.includes('streams limit exceeded'));
    assert.equal(logged.length, 1, logged.join('\n'));
    assert.match(logged[0]!, /level=error/);
    assert.match(logged[0]!, /limit=1/);
  });
});

describe('request headers and auth', () => {
  test('user agent, content type, custom headers (never overriding the client’s own)', async () => {
    const rx = await receiver();
    const { logger, lines } = captureLogger();
    const c = client({
      config: clientConfig(rx.url, {
        tenantId: 'acme',
        headers: { 'X-Custom': 'yes', 'Content-Type': 'text/plain', 'X-Scope-OrgID': 'evil' },
      }),
      metrics: newMetrics(),
      version: '1.2.3',
      logger,
    });
    c.send(entry({ job: 'h' }, 'x'));
    await c.flush();
    const h = rx.requests[0]!.headers;
    assert.equal(h['user-agent'], 'logferry/1.2.3');
    assert.equal(h['content-type'], 'application/x-protobuf');
    assert.equal(h['x-scope-orgid'], 'acme');
    assert.equal(h['x-custom'], 'yes');
    assert.equal(h.authorization, undefined);
    assert.equal(lines.filter((l) => l.includes('custom header key already exists')).length, 2);
  });

  const dir = mkdtempSync(join(tmpdir(), 'logferry-client-auth-'));
  const passwordFile = join(dir, 'password');
  const tokenFile = join(dir, 'token');
  writeFileSync(passwordFile, 's3cret\n');
  writeFileSync(tokenFile, 'tok-1\n');
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const table: [string, Parameters<typeof clientConfig>[1], string][] = [
    ['basic auth password', { basicAuth: { username: 'u', password: 'p:w' } }, `Basic ${b64('u:p:w')}`],
    ['basic auth password_file', { basicAuth: { username: 'u', passwordFile } }, `Basic ${b64('u:s3cret')}`],
    ['bearer_token', { bearerToken: 'abc' }, 'Bearer abc'],
    ['bearer_token_file', { bearerTokenFile: tokenFile }, 'Bearer tok-1'],
    [
      'Authorization header wins over basic auth',
      { headers: { Authorization: 'Custom x' }, basicAuth: { username: 'u', password: 'p' } },
      'Custom x',
    ],
  ];
  for (const [name, over, want] of table) {
    test(name, async () => {
      const rx = await receiver();
      const c = client({ config: clientConfig(rx.url, over), metrics: newMetrics(), version: 't' });
      c.send(entry({ job: 'auth' }, 'x'));
      await c.flush();
      assert.equal(rx.requests[0]!.headers.authorization, want);
    });
  }

  test('a rotated bearer_token_file is read again for the next request', async () => {
    const rx = await receiver();
    const file = join(dir, 'rotating');
    writeFileSync(file, 'first');
    const c = client({
      config: clientConfig(rx.url, { bearerTokenFile: file }),
      metrics: newMetrics(),
      version: 't',
    });
    c.send(entry({ job: 'rot' }, 'x'));
    await c.flush();
    writeFileSync(file, 'second');
    c.send(entry({ job: 'rot' }, 'y'));
    await c.flush();
    assert.deepEqual(
      rx.requests.map((r) => r.headers.authorization),
      ['Bearer first', 'Bearer second'],
    );
  });

  const invalid: [string, Parameters<typeof clientConfig>[1], RegExp][] = [
    [
      'basic auth and bearer token',
      { basicAuth: { username: 'u', password: 'p' }, bearerToken: 't' },
      /at most one/,
    ],
    [
      'missing password_file',
      { basicAuth: { username: 'u', passwordFile: join(dir, 'nope') } },
      /cannot read basic_auth password_file/,
    ],
    [
      'missing ca_file',
      { tls: { caFile: join(dir, 'nope.pem'), insecureSkipVerify: false } },
      /cannot read tls_config ca_file/,
    ],
    [
      'cert without key',
      { tls: { certFile: passwordFile, insecureSkipVerify: false } },
      /both cert_file and key_file/,
    ],
  ];
  for (const [name, over, message] of invalid) {
    test(`config error: ${name}`, () => {
      assert.throws(
        () =>
          new LokiClient({
            config: clientConfig('http://127.0.0.1:1/x', over),
            metrics: newMetrics(),
            version: 't',
          }),
        message,
      );
    });
  }
  test('config error: bad url', () => {
    assert.throws(
      () => new LokiClient({ config: clientConfig('not a url'), metrics: newMetrics(), version: 't' }),
      /clients: url "not a url" is not a valid URL/,
    );
  });
});

describe('proxy_url', () => {
  test('an http target goes through the proxy as an absolute-form request', async () => {
    const rx = await receiver();
    const proxy = await startProxy();
    cleanups.push(() => proxy.close());
    const c = client({
      config: clientConfig(rx.url, { proxyUrl: proxy.url }),
      metrics: newMetrics(),
      version: 't',
    });
    c.send(entry({ job: 'p' }, 'via proxy'));
    await c.flush();
    assert.deepEqual(proxy.seen, [`POST ${rx.url}`]);
    assert.deepEqual(
      rx.entries().map((e) => e.line),
      ['via proxy'],
    );
  });
});

describe('stop', () => {
  test('flushes open batches before returning', async () => {
    const rx = await receiver();
    const c = new LokiClient({
      config: clientConfig(rx.url, { batchWaitMs: 60_000 }),
      metrics: newMetrics(),
      version: 't',
    });
    const e = entry({ job: 's' }, 'last words');
    c.send(e);
    await c.stop(5000);
    assert.equal(rx.entries().length, 1);
    assert.ok(e.delivery.done);
    const late = entry({ job: 's' }, 'after stop');
    c.send(late);
    assert.equal(late.delivery.released, 0, 'entries after stop are neither sent nor released');
  });

  test('gives up at the deadline, leaving unsent entries unreleased', async () => {
    const rx = await receiver();
    rx.setResponder(() => ({ status: 503, body: 'not ready' }));
    const metrics: Metrics = newMetrics();
    const c = new LokiClient({
      config: clientConfig(rx.url, { backoff: { minPeriodMs: 10, maxPeriodMs: 50, maxRetries: 0 } }),
      metrics,
      version: 't',
    });
    const entries = [entry({ job: 'd' }, 'a'), entry({ job: 'd' }, 'b')];
    for (const e of entries) c.send(e);
    await until(async () => (await metric(metrics, 'promtail_batch_retries_total')) >= 2, 5000, 'retries');
    const start = performance.now();
    await c.stop(200);
    const took = performance.now() - start;
    assert.ok(took >= 190 && took < 2000, `stop took ${took}ms`);
    assert.ok(entries.every((e) => e.delivery.released === 0));
    assert.equal(await metric(metrics, 'promtail_dropped_entries_total'), 0);
  });

  test('aborts a request that hangs past the deadline', async () => {
    const rx = await receiver();
    rx.respond({ status: 204, delayMs: 5000 });
    const c = new LokiClient({
      config: clientConfig(rx.url, { timeoutMs: 10_000 }),
      metrics: newMetrics(),
      version: 't',
    });
    const e = entry({ job: 'h' }, 'x');
    c.send(e);
    await rx.waitFor((r) => r.arrived() === 1);
    const start = performance.now();
    await c.stop(100);
    assert.ok(performance.now() - start < 2000);
    assert.equal(e.delivery.released, 0);
  });
});
