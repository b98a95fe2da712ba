// The loki_push_api source end to end: real HTTP requests to 127.0.0.1 in every format Loki
// accepts, labels combined as Promtail combines them, and the answer codes senders act on.

import assert from 'node:assert/strict';
import net from 'node:net';
import { after, describe, test } from 'node:test';
import zlib from 'node:zlib';
import { compress, encodePushRequest } from '../../../src/client/encode.js';
import { InFlightBudget } from '../../../src/positions/acks.js';
import type { Entry } from '../../../src/types.js';
import { type Harness, post, pushPath, rawPath, request, startPush } from './helpers.js';

const proto = { 'Content-Type': 'application/x-protobuf' };
const json = { 'Content-Type': 'application/json' };

function protoBody(
  streams: { labels: string; entries: { ts: bigint; line: string; sm?: Record<string, string> }[] }[],
) {
  return compress(
    encodePushRequest(
      streams.map((s) => ({
        labels: s.labels,
        entries: s.entries.map(
          (e): Entry => ({
            labels: {},
            timestamp: e.ts,
            line: e.line,
            extracted: {},
            ...(e.sm ? { structuredMetadata: e.sm } : {}),
          }),
        ),
      })),
    ),
  );
}

function jsonBody(streams: { stream: Record<string, string>; values: unknown[][] }[]): string {
  return JSON.stringify({ streams });
}

const open: Harness[] = [];
async function harness(...args: Parameters<typeof startPush>): Promise<Harness> {
  const h = await startPush(...args);
  open.push(h);
  return h;
}
after(async () => {
  for (const h of open) await h.stop();
});

describe('POST /loki/api/v1/push', () => {
  test('snappy protobuf: lines, structured metadata and time of receipt', async () => {
    const h = await harness('labels:\n  job: pushed\n');
    const before = BigInt(Date.now()) * 1_000_000n;
    const body = protoBody([
      {
        labels: '{app="api", env="dev"}',
        entries: [
          { ts: 1_700_000_000_123_456_789n, line: 'first', sm: { trace_id: 'abc', user: 'u1' } },
          { ts: 1_700_000_001_000_000_000n, line: 'second ✓' },
        ],
      },
      { labels: '{app="db"}', entries: [{ ts: 1n, line: 'third' }] },
    ]);
    const res = await post(h.port, pushPath, body, proto);
    const afterNs = BigInt(Date.now() + 1) * 1_000_000n;
    assert.equal(res.status, 204);
    assert.deepEqual(
      h.entries.map((e) => [e.labels, e.line, e.structuredMetadata]),
      [
        [{ app: 'api', env: 'dev', job: 'pushed' }, 'first', { trace_id: 'abc', user: 'u1' }],
        [{ app: 'api', env: 'dev', job: 'pushed' }, 'second ✓', undefined],
        [{ app: 'db', job: 'pushed' }, 'third', undefined],
      ],
    );
    for (const e of h.entries) {
      assert.ok(
        e.timestamp >= before && e.timestamp <= afterNs,
        `timestamp ${e.timestamp} is the time of receipt`,
      );
      assert.ok(e.delivery, 'each entry weighs in the in-flight budget');
      assert.deepEqual(e.extracted, {});
    }
  });

  test('use_incoming_timestamp keeps pushed timestamps to the nanosecond, negative ones too', async () => {
    const h = await harness('use_incoming_timestamp: true\n');
    const body = protoBody([
      {
        labels: '{app="api"}',
        entries: [
          { ts: 1_700_000_000_123_456_789n, line: 'a' },
          { ts: -1_500_000_000n, line: 'before 1970' },
          { ts: 0n, line: 'epoch' },
        ],
      },
    ]);
    assert.equal((await post(h.port, pushPath, body, proto)).status, 204);
    assert.deepEqual(
      h.entries.map((e) => e.timestamp),
      [1_700_000_000_123_456_789n, -1_500_000_000n, 0n],
    );
    const res = await post(
      h.port,
      pushPath,
      jsonBody([{ stream: { app: 'j' }, values: [['1700000000999999999', 'json line']] }]),
      json,
    );
    assert.equal(res.status, 204);
    assert.equal(h.entries.at(-1)!.timestamp, 1_700_000_000_999_999_999n);
  });

  test('JSON with structured metadata, plain and gzip- or deflate-encoded', async () => {
    const h = await harness('use_incoming_timestamp: true\n');
    const doc = jsonBody([
      {
        stream: { app: 'web', level: 'info' },
        values: [
          ['1000', 'plain'],
          ['2000', 'with metadata', { trace_id: 't1', span: 's1' }],
          ['3000', 'empty metadata', {}],
        ],
      },
    ]);
    assert.equal(
      (await post(h.port, pushPath, doc, { 'Content-Type': 'application/json; charset=utf-8' })).status,
      204,
    );
    assert.equal(
      (await post(h.port, pushPath, zlib.gzipSync(doc), { ...json, 'Content-Encoding': 'gzip' })).status,
      204,
    );
    assert.equal(
      (await post(h.port, pushPath, zlib.deflateRawSync(doc), { ...json, 'Content-Encoding': 'deflate' }))
        .status,
      204,
    );
    assert.equal(h.entries.length, 9);
    for (let i = 0; i < 9; i += 3) {
      assert.deepEqual(
        h.entries.slice(i, i + 3).map((e) => [e.labels, e.timestamp, e.line, e.structuredMetadata]),
        [
          [{ app: 'web', level: 'info' }, 1000n, 'plain', undefined],
          [{ app: 'web', level: 'info' }, 2000n, 'with metadata', { trace_id: 't1', span: 's1' }],
          [{ app: 'web', level: 'info' }, 3000n, 'empty metadata', undefined],
        ],
      );
    }
  });

  test('gzip-encoded protobuf and Content-Encoding: snappy are accepted as Loki accepts them', async () => {
    const h = await harness();
    const body = protoBody([{ labels: '{a="1"}', entries: [{ ts: 1n, line: 'x' }] }]);
    assert.equal(
      (await post(h.port, pushPath, zlib.gzipSync(body), { ...proto, 'Content-Encoding': 'gzip' })).status,
      204,
    );
    assert.equal(
      (await post(h.port, pushPath, body, { ...proto, 'Content-Encoding': 'snappy' })).status,
      204,
    );
    assert.deepEqual(
      h.entries.map((e) => e.line),
      ['x', 'x'],
    );
  });
});

describe('labels', () => {
  test('pushed labels, then the job labels over them, then relabel_configs; __ labels dropped', async () => {
    const h = await harness('labels:\n  env: prod\n  cluster: eu\n  drop_me: ""\n', {
      relabel: [
        '- source_labels: [__name__, app]',
        '  separator: "/"',
        '  target_label: origin',
        '- source_labels: [env]',
        '  target_label: __tmp_env',
        '- source_labels: [__tmp_env, host]',
        '  target_label: where',
        '  separator: "@"',
        '- action: labeldrop',
        '  regex: host',
      ].join('\n'),
    });
    const body = protoBody([
      {
        labels: 'metric_name{app="api", env="dev", host="h1", drop_me="x", empty=""}',
        entries: [{ ts: 1n, line: 'l' }],
      },
    ]);
    assert.equal((await post(h.port, pushPath, body, proto)).status, 204);
    assert.deepEqual(h.entries[0]!.labels, {
      app: 'api',
      env: 'prod',
      cluster: 'eu',
      origin: 'metric_name/api',
      where: 'prod@h1',
    });
  });

  test('a stream that relabeling drops ends the push with 204, as in Promtail', async () => {
    const h = await harness('', { relabel: '- source_labels: [app]\n  regex: noisy\n  action: drop\n' });
    const body = jsonBody([
      { stream: { app: 'a' }, values: [['1', 'kept']] },
      { stream: { app: 'noisy' }, values: [['1', 'dropped']] },
      { stream: { app: 'b' }, values: [['1', 'after the dropped stream']] },
    ]);
    assert.equal((await post(h.port, pushPath, body, json)).status, 204);
    assert.deepEqual(
      h.entries.map((e) => e.line),
      ['kept'],
    );
  });

  test('raw lines carry the job labels only: no relabeling, time of receipt', async () => {
    const h = await harness('labels:\n  job: raw\n  __keep: "yes"\nuse_incoming_timestamp: true\n', {
      relabel: '- target_label: relabeled\n  replacement: "yes"\n',
    });
    const before = BigInt(Date.now()) * 1_000_000n;
    const res = await post(h.port, rawPath, 'one\r\n\n{"json":"line"}\ntwo\r\r\n\nlast without newline', {
      'Content-Type': 'text/plain',
    });
    assert.equal(res.status, 204);
    assert.deepEqual(
      h.entries.map((e) => e.line),
      ['one', '{"json":"line"}', 'two', 'last without newline'],
    );
    for (const e of h.entries) {
      assert.deepEqual(e.labels, { job: 'raw', __keep: 'yes' });
      assert.ok(e.timestamp >= before);
    }
  });
});

describe('answers', () => {
  test('GET /ready, 404 for other paths, 405 for other methods, http_path_prefix', async () => {
    const h = await harness();
    assert.deepEqual(
      [(await request(h.port, 'GET', '/ready')).status, (await request(h.port, 'GET', '/ready')).body],
      [200, 'ready'],
    );
    assert.equal((await request(h.port, 'GET', '/metrics')).status, 404);
    assert.equal((await request(h.port, 'GET', '/__proto__')).status, 404);
    assert.equal((await request(h.port, 'GET', pushPath)).status, 405);
    assert.equal((await request(h.port, 'POST', '/ready')).status, 405);
    const withPrefix = await harness('', { serverKeys: '  http_path_prefix: /logs/\n' });
    assert.equal((await request(withPrefix.port, 'GET', '/logs/ready')).status, 200);
    assert.equal((await request(withPrefix.port, 'GET', '/ready')).status, 404);
  });

  test('400 with a message for bodies that do not decode; nothing of them is forwarded', async () => {
    const h = await harness();
    const good = protoBody([{ labels: '{a="1"}', entries: [{ ts: 1n, line: 'ok' }] }]);
    const cases: [string, Buffer | string, Record<string, string>, RegExp][] = [
      ['not snappy', Buffer.from('hello, not snappy at all'), proto, /snappy/],
      ['truncated snappy', good.subarray(0, good.length - 4), proto, /snappy/],
      ['no content type', good, {}, /mime: no media type/],
      [
        'unknown encoding',
        good,
        { ...proto, 'Content-Encoding': 'br' },
        /Content-Encoding "br" not supported/,
      ],
      ['bad gzip', Buffer.from('not gzip'), { ...json, 'Content-Encoding': 'gzip' }, /gzip/],
      ['bad JSON', '{"streams": [', json, /JSON/],
      ['timestamp as number', jsonBody([{ stream: { a: '1' }, values: [[1, 'x']] }]), json, /timestamp/],
      [
        'metadata not strings',
        jsonBody([{ stream: { a: '1' }, values: [['1', 'x', { n: 1 }]] }]),
        json,
        /must be a string/,
      ],
      [
        'invalid label name',
        jsonBody([{ stream: { 'a.b': '1' }, values: [['1', 'x']] }]),
        json,
        /couldn't parse labels/,
      ],
      [
        'one stream of two with unparsable labels',
        protoBody([
          { labels: '{a="1"}', entries: [{ ts: 1n, line: 'would be first' }] },
          { labels: '{a=1}', entries: [{ ts: 1n, line: 'x' }] },
        ]),
        proto,
        /couldn't parse labels/,
      ],
    ];
    for (const [name, body, headers, message] of cases) {
      const res = await post(h.port, pushPath, body, headers);
      assert.equal(res.status, 400, name);
      assert.match(res.body, message, name);
    }
    assert.equal(h.entries.length, 0);
    const text = await h.metrics.registry.getSingleMetricAsString('logferry_push_requests_total');
    assert.match(text, new RegExp(`route="loki_api_v1_push",status_code="400"} ${cases.length}`));
    const duration = await h.metrics.registry.getSingleMetricAsString(
      'promtail_push_request_duration_seconds',
    );
    assert.match(
      duration,
      /_count\{method="POST",route="loki_api_v1_push",status_code="400",ws="false"\} 10/,
    );
    assert.equal((await post(h.port, pushPath, good, proto)).status, 204, 'the listener still works');
  });

  test('413 over max_send_msg_size: declared, streamed, decompressed or decoded', async () => {
    const h = await harness('max_send_msg_size: 4KB\n');
    const big = 'x'.repeat(5000);
    // Declared too large: answered before the body is read.
    assert.equal((await post(h.port, rawPath, big)).status, 413);
    // Chunked (no Content-Length): cut off once past the limit.
    const chunked = await new Promise<number>((resolve, reject) => {
      const s = net.connect(h.port, '127.0.0.1', () => {
        s.write(`POST ${rawPath} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n`);
        for (let i = 0; i < 5; i++) s.write(`3e8\r\n${'y'.repeat(1000)}\r\n`);
      });
      let data = '';
      s.on('data', (d) => {
        data += d.toString();
      });
      s.on('close', () => resolve(Number(data.slice(9, 12))));
      s.on('error', reject);
    });
    assert.equal(chunked, 413);
    // A snappy body whose header declares more than the limit.
    const declared = protoBody([{ labels: '{a="1"}', entries: [{ ts: 1n, line: 'z'.repeat(5000) }] }]);
    const res = await post(h.port, pushPath, declared, proto);
    assert.equal(res.status, 413);
    assert.match(res.body, /larger than max/);
    // A gzip bomb: 3 KB on the wire, 3 MB inflated.
    const bomb = zlib.gzipSync(Buffer.alloc(3 * 1024 * 1024, 'a'));
    assert.ok(bomb.length < 4096);
    assert.equal((await post(h.port, pushPath, bomb, { ...json, 'Content-Encoding': 'gzip' })).status, 413);
    // Thousands of empty entries in a small body weigh what they cost decoded.
    // 1000 empty entries (2 bytes each) in a 2 KB message weigh 1000 decoded entries.
    const entries = Buffer.alloc(2000);
    for (let i = 0; i < 2000; i += 2) entries[i] = 0x12;
    const many = Buffer.concat([
      Buffer.from([0x0a, 0xd9, 0x0f, 0x0a, 0x07]),
      Buffer.from('{a="1"}'),
      entries,
    ]);
    const manyRes = await post(h.port, pushPath, compress(many), proto);
    assert.equal(manyRes.status, 413, manyRes.body);
    assert.equal(h.entries.length, 0);
  });

  test('429 while the in-flight budget is full, 204 again once clients released', async () => {
    const budget = new InFlightBudget(2000);
    const h = await harness('', { budget });
    const lines = `${Array.from({ length: 20 }, (_, i) => `line ${i} ${'p'.repeat(100)}`).join('\n')}\n`;
    assert.equal((await post(h.port, rawPath, lines)).status, 204);
    assert.ok(budget.full);
    const refused = await post(h.port, rawPath, 'more\n');
    assert.equal(refused.status, 429);
    assert.equal(refused.headers.connection, 'close');
    assert.equal(
      (
        await post(
          h.port,
          pushPath,
          protoBody([{ labels: '{a="1"}', entries: [{ ts: 1n, line: 'x' }] }]),
          proto,
        )
      ).status,
      429,
    );
    assert.equal(h.entries.length, 20);
    h.releaseAll();
    assert.equal(budget.bytes, 0);
    assert.equal((await post(h.port, rawPath, 'more\n')).status, 204);
    assert.equal(h.entries.length, 21);
  });
});

test('429 while other bodies being read hold max_send_msg_size', async () => {
  const h = await harness('max_send_msg_size: 4KB\n');
  const slow = net.connect(h.port, '127.0.0.1');
  await new Promise((resolve) => slow.once('connect', resolve));
  slow.write(`POST ${rawPath} HTTP/1.1\r\nHost: x\r\nContent-Length: 3000\r\n\r\n${'a'.repeat(2500)}`);
  // Requests on other connections are not ordered with it: ask until the server holds its bytes.
  while ((h.target.status().details.reading_bytes as number) < 2500) await request(h.port, 'GET', '/ready');
  const refused = await post(h.port, rawPath, 'b'.repeat(2000));
  assert.equal(refused.status, 429);
  const answer = new Promise<string>((resolve) => {
    let data = '';
    slow.on('data', (d) => {
      data += d.toString();
    });
    slow.on('end', () => resolve(data));
  });
  slow.end(`${'a'.repeat(499)}\n`);
  assert.match(await answer, /^HTTP\/1\.1 204/);
  assert.equal((await post(h.port, rawPath, 'b'.repeat(2000))).status, 204);
  assert.equal(h.entries.length, 2);
});

describe('hostile input', () => {
  test('huge declared lengths, deep JSON, junk protobuf and a slow body never crash the listener', async () => {
    const h = await harness();
    const cases: [string, Buffer | string, Record<string, string>, number][] = [
      // Snappy header declaring 4 GB for a few bytes.
      ['snappy header claims 4 GB', Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00, 0x01]), proto, 413],
      ['snappy header claims 1 MB for 3 bytes', Buffer.from([0x80, 0x80, 0x40, 0x00, 0x01]), proto, 400],
      ['endless varint', Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), proto, 400],
      // A stream field declaring 2 GB inside a small message.
      [
        'proto length beyond the message',
        compress(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x07, 0x00])),
        proto,
        400,
      ],
      ['proto group wire type', compress(Buffer.from([0x0b, 0x0c])), proto, 400],
      ['deep JSON', `${'['.repeat(100_000)}${']'.repeat(100_000)}`, json, 400],
      ['deep JSON object', `{"streams":${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}}`, json, 400],
      ['JSON null', 'null', json, 400],
    ];
    for (const [name, body, headers, status] of cases) {
      const res = await post(h.port, pushPath, body, headers);
      assert.equal(res.status, status, `${name}: ${res.body}`);
    }
    assert.equal(h.entries.length, 0);
    assert.equal((await request(h.port, 'GET', '/ready')).status, 200);
  });

  test('a body that never finishes is cut off at http_server_read_timeout', async () => {
    const h = await harness('', { serverKeys: '  http_server_read_timeout: 300ms\n' });
    const closed = await new Promise<string>((resolve, reject) => {
      const s = net.connect(h.port, '127.0.0.1', () => {
        s.write(`POST ${rawPath} HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nonly the start`);
      });
      let data = '';
      s.on('data', (d) => {
        data += d.toString();
      });
      s.on('close', () => resolve(data));
      s.on('error', reject);
    });
    assert.match(closed, /^HTTP\/1\.1 408/);
    assert.equal(h.entries.length, 0);
    assert.equal((await request(h.port, 'GET', '/ready')).status, 200);
  });
});

test('stop() closes the listener; entries handed on stay in flight', async () => {
  const budget = new InFlightBudget();
  const h = await startPush('', { budget });
  assert.equal((await post(h.port, rawPath, 'a\nb\n')).status, 204);
  assert.equal(h.target.status().ready, true);
  assert.equal(h.target.status().details.entries, 2);
  await h.stop();
  assert.equal(h.target.status().ready, false);
  assert.ok(budget.bytes > 0);
  await assert.rejects(request(h.port, 'GET', '/ready'), /ECONNREFUSED/);
  h.releaseAll();
  assert.equal(budget.bytes, 0);
});
