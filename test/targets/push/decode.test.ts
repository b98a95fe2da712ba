// The push body decoder against the project's own encoder: whatever a logferry or Promtail
// client sends decodes to the same streams, lines, timestamps and structured metadata.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compress, compressJs, encodePushRequest } from '../../../src/client/encode.js';
import { decodeLokiPush, PushError } from '../../../src/targets/push/decode.js';
import type { Entry, LabelSet } from '../../../src/types.js';

const entry = (timestamp: bigint, line: string, structuredMetadata?: LabelSet): Entry => ({
  labels: {},
  timestamp,
  line,
  extracted: {},
  ...(structuredMetadata ? { structuredMetadata } : {}),
});

const opts = { maxBytes: 10 * 1024 * 1024, timestamps: true };

test('protobuf round trip: empty, long, unicode and lone-surrogate lines, metadata, extreme timestamps', async () => {
  const long = 'ß'.repeat(60_000);
  const streams = [
    {
      labels: '{app="a", quoted="say \\"hi\\"\\n"}',
      entries: [
        entry(0n, ''),
        entry(1n, 'x', { '': '', k: 'v', ünï: 'cødé' }),
        entry(1_700_000_000_999_999_999n, long),
        entry(-62_135_596_800_000_000_000n, 'year 1'),
        entry(253_402_300_799_999_999_999n, 'year 9999'),
        entry(5n, 'lone \ud800 surrogate'),
      ],
    },
    { labels: '{b="2"}', entries: [] },
  ];
  for (const codec of [compress, compressJs]) {
    const decoded = await decodeLokiPush(
      codec(encodePushRequest(streams)),
      'application/x-protobuf',
      '',
      opts,
    );
    assert.deepEqual(decoded, [
      {
        labels: { app: 'a', quoted: 'say "hi"\n' },
        entries: [
          { timestamp: 0n, line: '', structuredMetadata: undefined },
          { timestamp: 1n, line: 'x', structuredMetadata: { '': '', k: 'v', ünï: 'cødé' } },
          { timestamp: 1_700_000_000_999_999_999n, line: long, structuredMetadata: undefined },
          { timestamp: -62_135_596_800_000_000_000n, line: 'year 1', structuredMetadata: undefined },
          { timestamp: 253_402_300_799_999_999_999n, line: 'year 9999', structuredMetadata: undefined },
          { timestamp: 5n, line: 'lone \ufffd surrogate', structuredMetadata: undefined },
        ],
      },
      { labels: { b: '2' }, entries: [] },
    ]);
  }
});

test('timestamps are left out when use_incoming_timestamp is off', async () => {
  const body = compress(encodePushRequest([{ labels: '{a="1"}', entries: [entry(123n, 'x')] }]));
  const [s] = await decodeLokiPush(body, 'application/x-protobuf', undefined, { ...opts, timestamps: false });
  assert.equal(s!.entries[0]!.timestamp, 0n);
});

test('JSON: Loki v1 format, optional streams and values, int64 range of timestamps', async () => {
  const decode = (doc: string) => decodeLokiPush(Buffer.from(doc), 'Application/JSON', undefined, opts);
  assert.deepEqual(await decode('{}'), []);
  assert.deepEqual(await decode('{"streams":[{"stream":{"a":"1"}}]}'), [{ labels: { a: '1' }, entries: [] }]);
  assert.deepEqual(
    await decode('{"streams":[{"values":[["+9223372036854775807","max"],["-9223372036854775808","min"]]}]}'),
    [
      {
        labels: {},
        entries: [
          { timestamp: 9_223_372_036_854_775_807n, line: 'max', structuredMetadata: undefined },
          { timestamp: -9_223_372_036_854_775_808n, line: 'min', structuredMetadata: undefined },
        ],
      },
    ],
  );
  await assert.rejects(decode('{"streams":[{"values":[["9223372036854775808","over"]]}]}'), (e: unknown) => {
    assert.ok(e instanceof PushError);
    assert.equal(e.status, 400);
    return true;
  });
  await assert.rejects(decode('{"streams":[{"values":[["1","a","b","c"]]}]}'), /must be \[timestamp, line\]/);
  await assert.rejects(decode('{"streams":[{"values":[["1.5","a"]]}]}'), /Unix nanoseconds/);
});
