import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import snappyjs from 'snappyjs';
import {
  blockPoolBytes,
  compress,
  compressJs,
  encodePushRequest,
  encodePushRequestWriter,
  type PushStream,
  snappyImplementation,
} from '../../src/client/encode.js';
import { formatLabels, goQuote } from '../../src/labels.js';
import type { Entry } from '../../src/types.js';
import {
  decodePushRequest,
  type LokiReceiver,
  parseLabels,
  startLokiReceiver,
} from '../support/loki-receiver.js';

const entry = (timestamp: bigint, line: string, structuredMetadata?: Record<string, string>): Entry => ({
  labels: {},
  timestamp,
  line,
  extracted: {},
  ...(structuredMetadata ? { structuredMetadata } : {}),
});

describe('goQuote matches Go strconv.Quote', () => {
  // Expected values are what Go's strconv.Quote prints for the same string.
  const table: [string, string, string][] = [
    ['plain', 'varlogs', '"varlogs"'],
    ['empty', '', '""'],
    ['double quote', 'a"b', '"a\\"b"'],
    ['backslash', 'a\\b', '"a\\\\b"'],
    ['single quote stays', "it's", '"it\'s"'],
    ['newline tab cr', 'a\nb\tc\rd', '"a\\nb\\tc\\rd"'],
    ['bell backspace formfeed vtab', '\x07\b\f\v', '"\\a\\b\\f\\v"'],
    ['NUL', '\0', '"\\x00"'],
    ['ESC', '\x1b[0m', '"\\x1b[0m"'],
    ['DEL', '\x7f', '"\\x7f"'],
    ['C1 control', '\u0085', '"\\u0085"'],
    ['no-break space', 'a\u00a0b', '"a\\u00a0b"'],
    ['ideographic space', '\u3000', '"\\u3000"'],
    ['zero width space', '\u200b', '"\\u200b"'],
    ['BOM', '\ufeff', '"\\ufeff"'],
    ['line separator', '\u2028', '"\\u2028"'],
    ['private use', '\ue000', '"\\ue000"'],
    ['unassigned', '\u0378', '"\\u0378"'],
    ['astral format char', '\u{e0001}', '"\\U000e0001"'],
    ['latin accents', 'café', '"café"'],
    ['CJK', '日本語', '"日本語"'],
    ['emoji (symbol)', '😀', '"😀"'],
    ['combining mark', 'e\u0301', '"e\u0301"'],
    ['lone high surrogate', 'a\ud800b', '"a\ufffdb"'],
    ['lone low surrogate', '\udc00', '"\ufffd"'],
    ['reversed pair', '\udc00\ud800', '"\ufffd\ufffd"'],
  ];
  for (const [name, input, want] of table) {
    test(name, () => assert.equal(goQuote(input), want));
  }
});

describe('formatLabels', () => {
  test('sorts names, quotes values, joins with ", "', () => {
    assert.equal(
      formatLabels({ job: 'varlogs', filename: '/var/log/syslog', a: 'x"y' }),
      '{a="x\\"y", filename="/var/log/syslog", job="varlogs"}',
    );
  });
  test('leaves out the named label', () => {
    assert.equal(formatLabels({ __tenant_id__: 't', job: 'j' }, '__tenant_id__'), '{job="j"}');
  });
  test('empty set', () => assert.equal(formatLabels({}), '{}'));
  test('parses back to the same set', () => {
    const labels = { job: 'a\nb', path: 'C:\\logs', q: '"', u: '\u00a0é😀\u{e0001}\x00' };
    assert.deepEqual(parseLabels(formatLabels(labels)), labels);
  });
});

describe('encodePushRequest', () => {
  const streams: PushStream[] = [
    {
      labels: formatLabels({ job: 'a', filename: '/x.log' }),
      entries: [
        entry(1_700_000_000_123_456_789n, 'first line'),
        entry(1_700_000_000_123_456_790n, ''),
        entry(0n, 'epoch'),
        entry(999_999_999n, 'just below one second'),
        entry(-1n, 'one nanosecond before the epoch'),
        entry(-1_500_000_000n, 'a second and a half before'),
        entry(9_223_372_036_854_775_807n, 'max int64 nanoseconds'),
      ],
    },
    {
      labels: formatLabels({ job: 'b', unicode: '日本 \u00a0' }),
      entries: [
        entry(1n, 'héllo wörld 日本語 😀', { trace_id: 'abc', empty: '', 'dotted.name': 'v 😀' }),
        entry(2n, 'lone \ud800 surrogate and \udfff another'),
        entry(3n, 'x'.repeat(200_000)),
      ],
    },
  ];

  test('decodes back, nanosecond for nanosecond', () => {
    const push = decodePushRequest(compress(encodePushRequest(streams)), 'application/x-protobuf');
    assert.equal(push.streams.length, 2);
    assert.equal(push.streams[0]!.labelsString, '{filename="/x.log", job="a"}');
    assert.deepEqual(push.streams[0]!.labels, { job: 'a', filename: '/x.log' });
    assert.deepEqual(
      push.streams[0]!.entries.map((e) => e.timestamp),
      streams[0]!.entries.map((e) => e.timestamp),
    );
    assert.deepEqual(
      push.streams[0]!.entries.map((e) => e.line),
      streams[0]!.entries.map((e) => e.line),
    );
    const b = push.streams[1]!;
    assert.deepEqual(b.labels, { job: 'b', unicode: '日本 \u00a0' });
    assert.equal(b.entries[0]!.line, 'héllo wörld 日本語 😀');
    assert.deepEqual(b.entries[0]!.structuredMetadata, { trace_id: 'abc', empty: '', 'dotted.name': 'v 😀' });
    assert.deepEqual(b.entries[1]!.structuredMetadata, {});
    // Invalid UTF-16 becomes U+FFFD, one per lone surrogate, as Go writes invalid runes.
    assert.equal(b.entries[1]!.line, 'lone \ufffd surrogate and \ufffd another');
    assert.equal(b.entries[2]!.line.length, 200_000);
  });

  test('is byte for byte what protobufjs Writer produces', () => {
    assert.ok(encodePushRequest(streams).equals(encodePushRequestWriter(streams)));
  });

  test('entries of every size, split across the encoder blocks, equal the Writer encoding', () => {
    // Deterministic sizes around and across the 8 KiB block boundary, multi-byte text, metadata.
    let seed = 7;
    const next = () => {
      seed = (seed * 1664525 + 1013904223) >>> 0;
      return seed / 0x1_0000_0000;
    };
    const many: PushStream[] = [0, 1, 2].map((s) => ({ labels: `{s="${s}"}`, entries: [] }));
    for (let i = 0; i < 3000; i++) {
      const r = next();
      const len = r < 0.8 ? Math.floor(next() * 300) : r < 0.97 ? 7000 + Math.floor(next() * 3000) : 70_000;
      const text = (i % 7 === 0 ? 'é日😀' : 'abc').repeat(Math.ceil(len / 3)).slice(0, len);
      const sm = i % 11 === 0 ? { trace_id: String(i) } : undefined;
      many[i % 3]!.entries.push(entry(1_700_000_000_000_000_000n + BigInt(i) * 1_000_001n, text, sm));
    }
    // Twice: the second run reuses the blocks the first gave back.
    for (let round = 0; round < 2; round++) {
      assert.ok(encodePushRequest(many).equals(encodePushRequestWriter(many)));
    }
  });

  test('a stream of one short entry takes a small block: 10,000 streams hold about their size, not 8 KiB each', () => {
    // A node's idle files read at start: one stream per file, a few short lines in each.
    const streams: PushStream[] = [];
    for (let i = 0; i < 10_000; i++) {
      streams.push({
        labels: `{filename="/var/log/pods/p${i}/c/0.log"}`,
        entries: [entry(BigInt(i), `line ${i}`)],
      });
    }
    const before = blockPoolBytes();
    const body = encodePushRequest(streams);
    assert.ok(body.equals(encodePushRequestWriter(streams)));
    const grown = blockPoolBytes() - before;
    // 10,000 blocks of 256 bytes: 2.5 MiB at most (8 KiB blocks would take 80 MiB).
    assert.ok(grown <= 10_000 * 256 + 256 * 1024, `block pool grew by ${grown} bytes`);
  });

  test('empty request', () => {
    assert.equal(encodePushRequest([]).length, 0);
    assert.deepEqual(decodePushRequest(compress(encodePushRequest([])), 'application/x-protobuf'), {
      streams: [],
    });
  });

  test(`snappy (${snappyImplementation}) output is snappy block format both implementations read`, () => {
    const raw = encodePushRequest(streams);
    assert.ok(Buffer.from(snappyjs.uncompress(compress(raw))).equals(raw));
    assert.ok(Buffer.from(snappyjs.uncompress(compressJs(raw))).equals(raw));
  });
});

describe('test receiver decoding', () => {
  let rx: LokiReceiver;
  before(async () => {
    rx = await startLokiReceiver();
  });
  after(() => rx.close());

  const post = (body: Buffer | string, headers: Record<string, string>) =>
    fetch(rx.url, { method: 'POST', body, headers });

  test('JSON push, plain and gzip, with structured metadata', async () => {
    const doc = JSON.stringify({
      streams: [
        {
          stream: { job: 'json', b: 'x"y' },
          values: [
            ['1700000000000000001', 'one'],
            ['1700000000000000002', 'two', { trace_id: 't1' }],
          ],
        },
      ],
    });
    const plain = await post(doc, { 'content-type': 'application/json' });
    assert.equal(plain.status, 204);
    const gz = await post(gzipSync(doc), { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    assert.equal(gz.status, 204);
    const got = rx.entries().slice(-4);
    assert.deepEqual(
      got.map((e) => [e.timestamp, e.line, e.structuredMetadata]),
      [
        [1700000000000000001n, 'one', {}],
        [1700000000000000002n, 'two', { trace_id: 't1' }],
        [1700000000000000001n, 'one', {}],
        [1700000000000000002n, 'two', { trace_id: 't1' }],
      ],
    );
    assert.equal(got[0]!.labelsString, '{b="x\\"y", job="json"}');
  });

  test('protobuf with Content-Encoding gzip (and a harmless "snappy") is accepted', async () => {
    const body = compress(encodePushRequest([{ labels: '{job="gz"}', entries: [entry(7n, 'zipped')] }]));
    const gz = await post(gzipSync(body), {
      'content-type': 'application/x-protobuf',
      'content-encoding': 'gzip',
    });
    assert.equal(gz.status, 204);
    const sn = await post(body, { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy' });
    assert.equal(sn.status, 204);
    assert.deepEqual(
      rx
        .entries()
        .slice(-2)
        .map((e) => [e.line, e.timestamp]),
      [
        ['zipped', 7n],
        ['zipped', 7n],
      ],
    );
  });

  const bad: [string, Buffer | string, Record<string, string>, RegExp][] = [
    [
      'unsupported Content-Encoding',
      'x',
      { 'content-type': 'application/json', 'content-encoding': 'br' },
      /Content-Encoding "br" not supported/,
    ],
    ['not snappy', Buffer.from('hello'), { 'content-type': 'application/x-protobuf' }, /snappy/],
    [
      'unparsable labels',
      compress(encodePushRequest([{ labels: '{job=unquoted}', entries: [entry(1n, 'x')] }])),
      { 'content-type': 'application/x-protobuf' },
      /error parsing labels/,
    ],
    [
      'regex matcher is not a label',
      compress(encodePushRequest([{ labels: '{job=~"x"}', entries: [entry(1n, 'x')] }])),
      { 'content-type': 'application/x-protobuf' },
      /error parsing labels/,
    ],
    [
      'empty labels',
      compress(encodePushRequest([{ labels: '{}', entries: [entry(1n, 'x')] }])),
      { 'content-type': 'application/x-protobuf' },
      /at least one label pair/,
    ],
    ['bad JSON', '{"streams": [', { 'content-type': 'application/json' }, /JSON/],
    [
      'numeric timestamp in JSON',
      '{"streams":[{"stream":{"a":"b"},"values":[[1,"x"]]}]}',
      { 'content-type': 'application/json' },
      /timestamp/,
    ],
  ];
  for (const [name, body, headers, message] of bad) {
    test(`400 for ${name}`, async () => {
      const res = await post(body, headers);
      assert.equal(res.status, 400);
      assert.match(await res.text(), message);
    });
  }

  test('parseLabels accepts Go escapes and raw strings', () => {
    assert.deepEqual(parseLabels('{ a = "\\x41\\101\\u00e9\\U0001F600\\t" , b=`raw\\n` }'), {
      a: 'AAé😀\t',
      b: 'raw\\n',
    });
    assert.throws(() => parseLabels('{a="1", a="2"}'), /duplicate/);
    assert.throws(() => parseLabels('{a="\\q"}'), /unknown escape/);
  });
});
