import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { ConfigError, ConfigNode, ConfigWarnings } from '../../src/config/reader.js';
import { loadLocation } from '../../src/go/time/index.js';
import { silentLogger } from '../../src/log.js';
import { createMetrics } from '../../src/metrics.js';
import type { StageContext } from '../../src/pipeline/stage.js';
import { formatParser, timestampStage } from '../../src/pipeline/stages/timestamp.js';
import type { Entry, LabelSet } from '../../src/types.js';
import { buildStagesForTest, Recorder } from '../support/stage-harness.js';

const ctx: StageContext = {
  jobName: 'test',
  logger: silentLogger,
  metrics: createMetrics(new Registry()),
  buildStages: buildStagesForTest,
};

function stage(yaml: string) {
  const warnings = new ConfigWarnings(true);
  return timestampStage.create(ConfigNode.parse(yaml, 'test.yaml', { warnings }).get('timestamp'), ctx);
}

const original = 1_000_000_000n; // time.Unix(1, 0)

function process(yaml: string, extracted: Record<string, unknown>, labels: LabelSet = {}): bigint {
  const e: Entry = { labels, timestamp: original, line: 'hello world', extracted };
  const out = new Recorder();
  stage(yaml).process(e, out);
  assert.equal(out.emitted.length, 1);
  return out.emitted[0]!.timestamp;
}

/** Unix ns of a UTC date, months 1-based. */
function utc(y: number, mo: number, d: number, h = 0, mi = 0, s = 0, ns = 0n): bigint {
  return BigInt(Date.UTC(y, mo - 1, d, h, mi, s)) * 1_000_000n + ns;
}

const hour = 3_600_000_000_000n;

describe('timestamp stage: options', () => {
  const errors: [string, string, RegExp][] = [
    ['empty', 'timestamp:\n', /test.yaml:1: timestamp: timestamp stage config cannot be empty/],
    [
      'missing source',
      'timestamp:\n  format: RFC3339\n',
      /test.yaml:2: timestamp.source: timestamp source value is required if timestamp is specified/,
    ],
    [
      'missing format',
      'timestamp:\n  source: ts\n',
      /test.yaml:\d: timestamp.format: timestamp format is required/,
    ],
    [
      'invalid location',
      'timestamp:\n  source: ts\n  format: "2006-01-02"\n  location: America/Canada\n',
      /test.yaml:4: timestamp.location: invalid location specified: unknown time zone America\/Canada/,
    ],
    [
      'invalid action_on_failure',
      'timestamp:\n  source: ts\n  format: RFC3339\n  action_on_failure: foo\n',
      /test.yaml:4: timestamp.action_on_failure: invalid action on failure \(supported values are \[skip fudge\]\)/,
    ],
    [
      'unknown key (an error under -config.strict; Promtail ignores it)',
      'timestamp:\n  source: ts\n  format: RFC3339\n  fromat: Unix\n',
      /test.yaml:4: timestamp.fromat: unknown key/,
    ],
    [
      'fallback_formats not a list',
      'timestamp:\n  source: ts\n  format: RFC3339\n  fallback_formats: Unix\n',
      /test.yaml:4: timestamp.fallback_formats: expected a list/,
    ],
  ];
  for (const [name, yaml, message] of errors) {
    it(name, () =>
      assert.throws(
        () => stage(yaml),
        (e: unknown) => e instanceof ConfigError && message.test(e.message),
      ),
    );
  }
});

describe('timestamp stage: formats', () => {
  const ny = 'America/New_York';
  // [name, format, value, expected, location?]
  const cases: [string, string, unknown, bigint, string?][] = [
    ['RFC3339', 'RFC3339', '2012-11-01T22:08:41-04:00', utc(2012, 11, 2, 2, 8, 41)],
    ['RFC3339 with Z', 'RFC3339', '2106-01-02T23:04:05Z', utc(2106, 1, 2, 23, 4, 5)],
    [
      'RFC3339Nano keeps every nanosecond',
      'RFC3339Nano',
      '2019-10-01T01:02:03.400000001Z',
      utc(2019, 10, 1, 1, 2, 3, 400000001n),
    ],
    [
      'RFC3339Nano short fraction',
      'RFC3339Nano',
      '2019-10-01T01:02:03.4+02:00',
      utc(2019, 9, 30, 23, 2, 3, 400000000n),
    ],
    ['ANSIC', 'ANSIC', 'Mon Jan  2 15:04:05 2006', utc(2006, 1, 2, 15, 4, 5)],
    ['UnixDate', 'UnixDate', 'Mon Jan  2 15:04:05 UTC 2006', utc(2006, 1, 2, 15, 4, 5)],
    ['RubyDate', 'RubyDate', 'Mon Jan 02 15:04:05 -0700 2006', utc(2006, 1, 2, 22, 4, 5)],
    ['RFC822', 'RFC822', '02 Jan 06 15:04 UTC', utc(2006, 1, 2, 15, 4)],
    ['RFC822Z', 'RFC822Z', '02 Jan 06 15:04 -0700', utc(2006, 1, 2, 22, 4)],
    ['RFC850', 'RFC850', 'Monday, 02-Jan-06 15:04:05 UTC', utc(2006, 1, 2, 15, 4, 5)],
    ['RFC1123', 'RFC1123', 'Mon, 02 Jan 2006 15:04:05 UTC', utc(2006, 1, 2, 15, 4, 5)],
    ['RFC1123Z', 'RFC1123Z', 'Mon, 02 Jan 2006 15:04:05 -0700', utc(2006, 1, 2, 22, 4, 5)],
    [
      'named formats ignore location (Promtail)',
      'ANSIC',
      'Mon Jan  2 15:04:05 2006',
      utc(2006, 1, 2, 15, 4, 5),
      ny,
    ],
    ['custom with year', '2006-01-02', '2009-01-01', utc(2009, 1, 1)],
    [
      'custom with location (EDT)',
      '2006-01-02 15:04:05',
      '2009-07-01 03:30:20',
      utc(2009, 7, 1, 7, 30, 20),
      ny,
    ],
    [
      'custom with location (EST)',
      '2006-01-02 15:04:05',
      '2019-01-22 20:29:32',
      utc(2019, 1, 23, 1, 29, 32),
      ny,
    ],
    [
      'a zone in the value beats location',
      '2006-01-02 15:04:05 -0700',
      '2019-07-22 20:29:32 +0000',
      utc(2019, 7, 22, 20, 29, 32),
      ny,
    ],
    ['short year', '06 Jan 02 15:04:05', '19 Jul 15 01:02:03', utc(2019, 7, 15, 1, 2, 3)],
    ['nginx', '02/Jan/2006:15:04:05 -0700', '10/Oct/2000:13:55:36 -0700', utc(2000, 10, 10, 20, 55, 36)],
    [
      'comma millis',
      '2006-01-02 15:04:05,000',
      '2020-01-02 03:04:05,123',
      utc(2020, 1, 2, 3, 4, 5, 123000000n),
    ],
    [
      '.000 needs all digits',
      '2006-01-02 15:04:05.000',
      '2020-01-02 03:04:05.120',
      utc(2020, 1, 2, 3, 4, 5, 120000000n),
    ],
    [
      '.999 takes any digits',
      '2006-01-02 15:04:05.999',
      '2020-01-02 03:04:05.123456789',
      utc(2020, 1, 2, 3, 4, 5, 123456789n),
    ],
    ['Z0700', '2006-01-02T15:04:05Z0700', '2020-01-02T03:04:05+0130', utc(2020, 1, 2, 1, 34, 5)],
    ['-07', '2006-01-02T15:04:05-07', '2020-01-02T03:04:05-03', utc(2020, 1, 2, 6, 4, 5)],
    [
      'pm and long names',
      'Monday, January 2 2006 3:04:05 pm',
      'Friday, March 6 2020 1:02:03 pm',
      utc(2020, 3, 6, 13, 2, 3),
    ],
    ['PM', '2006-01-02 03:04:05PM', '2020-03-06 12:02:03AM', utc(2020, 3, 6, 0, 2, 3)],
    ['day of year __2', '2006 __2 15:04', '2020  60 10:00', utc(2020, 2, 29, 10)],
    ['day of year 002', '2006-002', '2021-060', utc(2021, 3, 1)],
    [
      'MST with location',
      '2006-01-02 15:04:05 MST',
      '2019-07-22 20:29:32 EDT',
      utc(2019, 7, 23, 0, 29, 32),
      ny,
    ],
    ['Unix', 'Unix', '1562708916', utc(2019, 7, 9, 21, 48, 36)],
    ['Unix fraction us', 'Unix', '1562708916.414123', utc(2019, 7, 9, 21, 48, 36, 414123000n)],
    ['Unix fraction ns', 'Unix', '1562708916.000000123', utc(2019, 7, 9, 21, 48, 36, 123n)],
    ['Unix fraction one digit', 'Unix', '1562708916.1', utc(2019, 7, 9, 21, 48, 36, 100000000n)],
    ['Unix fraction beyond ns truncates', 'Unix', '0.123456789123', 123456789n],
    ['Unix negative keeps a positive fraction (Promtail)', 'Unix', '-1.5', -500000000n],
    ['Unix from a JSON number', 'Unix', 1562708916, utc(2019, 7, 9, 21, 48, 36)],
    ['Unix from a JSON float', 'Unix', 1562708916.414, utc(2019, 7, 9, 21, 48, 36, 414000000n)],
    ['Unix plus sign', 'Unix', '+1562708916', utc(2019, 7, 9, 21, 48, 36)],
    ['UnixMs', 'UnixMs', '1562708916414', utc(2019, 7, 9, 21, 48, 36, 414000000n)],
    ['UnixMs 919', 'UnixMs', '1562708916919', utc(2019, 7, 9, 21, 48, 36, 919000000n)],
    ['UnixMs from a JSON number', 'UnixMs', 1562708916414, utc(2019, 7, 9, 21, 48, 36, 414000000n)],
    ['UnixUs', 'UnixUs', '1562708916414123', utc(2019, 7, 9, 21, 48, 36, 414123000n)],
    ['UnixNs', 'UnixNs', '1562708916000000123', utc(2019, 7, 9, 21, 48, 36, 123n)],
    ['UnixNs negative', 'UnixNs', '-5', -5n],
  ];
  for (const [name, format, value, expected, location] of cases) {
    it(`${name}: ${format} ${String(value)}`, () => {
      const yaml = `timestamp:\n  source: ts\n  format: ${JSON.stringify(format)}\n${location ? `  location: ${location}\n` : ''}`;
      assert.equal(process(yaml, { ts: value }), expected);
    });
  }

  const failures: [string, string, unknown][] = [
    ['RFC3339 without zone', 'RFC3339', '2012-11-01T22:08:41'],
    ['UnixMs with a fraction', 'UnixMs', '1562708916414.5'],
    ['Unix with two dots', 'Unix', '1.2.3'],
    ['Unix with exponent', 'Unix', '1.5e9'],
    ['Unix empty fraction', 'Unix', '1562708916.'],
    ['UnixNs beyond int64', 'UnixNs', '9223372036854775808'],
    ['a boolean', 'Unix', true],
    ['null', 'Unix', null],
    ['an object', 'Unix', { a: 1 }],
    ['day out of range', '2006-01-02', '2019-02-29'],
    ['trailing text', '2006-01-02', '2019-02-28 and more'],
    ['Go-only name is a literal layout in Promtail', 'DateTime', '2019-02-28 10:00:00'],
  ];
  for (const [name, format, value] of failures) {
    it(`fails: ${name}`, () => {
      const yaml = `timestamp:\n  source: ts\n  format: ${JSON.stringify(format)}\n  action_on_failure: skip\n`;
      assert.equal(process(yaml, { ts: value }), original);
    });
  }

  it('fallback formats are tried in order after the format', () => {
    const yaml = [
      'timestamp:',
      '  source: ts',
      '  format: UnixMs',
      '  fallback_formats:',
      '    - "2006-01-02 03:04:05.000000000 +0000 UTC"',
      '    - RFC3339',
      '    - Unix',
      '',
    ].join('\n');
    assert.equal(process(yaml, { ts: '2012-11-01T22:08:41-04:00' }), utc(2012, 11, 2, 2, 8, 41));
    assert.equal(process(yaml, { ts: '1562708916414' }), utc(2019, 7, 9, 21, 48, 36, 414000000n));
    assert.equal(process(yaml, { ts: '1562708916.5' }), utc(2019, 7, 9, 21, 48, 36, 500000000n));
    assert.equal(process(yaml, { ts: 'nope' }), original);
  });
});

describe('timestamp stage: layouts without a year', () => {
  it('take the current year', () => {
    const now = new Date();
    const y = now.getFullYear();
    // July is never next to New Year: the current year whatever the month.
    const got = process('timestamp:\n  source: ts\n  format: "Jan 02 15:04:05"\n', { ts: 'Jul 15 01:02:03' });
    assert.equal(got, utc(y, 7, 15, 1, 2, 3));
    const inNY = process(
      'timestamp:\n  source: ts\n  format: "Jan 02 15:04:05"\n  location: America/New_York\n',
      {
        ts: 'Jul 15 01:02:03',
      },
    );
    assert.equal(inNY, utc(y, 7, 15, 5, 2, 3));
    const stamp = process('timestamp:\n  source: ts\n  format: "Jan _2 15:04:05.000"\n', {
      ts: 'Jul  5 01:02:03.456',
    });
    assert.equal(stamp, utc(y, 7, 5, 1, 2, 3, 456000000n));
  });

  // Promtail's TestParseTimestampWithoutYear, with "now" fixed.
  const ny = loadLocation('America/New_York');
  const cases: [string, string, Date, bigint, boolean][] = [
    ['within the current year', 'Jul 15 01:02:03', new Date(2019, 6, 14), utc(2019, 7, 15, 1, 2, 3), false],
    ['with location, DST', 'Jul 15 01:02:03', new Date(2019, 6, 14), utc(2019, 7, 15, 5, 2, 3), true],
    ['with location, no DST', 'Jan 15 01:02:03', new Date(2019, 6, 14), utc(2019, 1, 15, 6, 2, 3), true],
    ['Dec 31 read on Jan 1', 'Dec 31 23:59:59', new Date(2019, 0, 1), utc(2018, 12, 31, 23, 59, 59), false],
    [
      'Jan 1 read on Dec 31',
      'Jan 01 01:02:03',
      new Date(2018, 11, 31, 23, 59, 59),
      utc(2019, 1, 1, 1, 2, 3),
      false,
    ],
    [
      'Feb 29 in a common year is Mar 1 (Go AddDate)',
      'Feb 29 10:00:00',
      new Date(2023, 5, 1),
      utc(2023, 3, 1, 10),
      false,
    ],
    ['Feb 29 in a leap year', 'Feb 29 10:00:00', new Date(2024, 5, 1), utc(2024, 2, 29, 10), false],
  ];
  for (const [name, value, now, expected, withLocation] of cases) {
    it(name, () => {
      const parse = formatParser('Jan 02 15:04:05', withLocation ? ny : undefined, () => now);
      assert.equal(parse(value), expected);
    });
  }
});

describe('timestamp stage: action_on_failure', () => {
  const fudge = 'timestamp:\n  source: time\n  format: RFC3339Nano\n';
  const skip = `${fudge}  action_on_failure: skip\n`;
  const t = (s: string) => {
    const [date, rest] = s.split('.') as [string, string];
    const [y, mo, d] = date.slice(0, 10).split('-').map(Number) as [number, number, number];
    const [h, mi, sec] = date.slice(11).split(':').map(Number) as [number, number, number];
    return utc(y, mo, d, h, mi, sec, BigInt(rest.replace('Z', '')));
  };
  // [name, yaml, inputs: [labels, extracted][], expected]
  const cases: [string, string, [LabelSet, Record<string, unknown>][], bigint[]][] = [
    [
      'keeps the parsed timestamp on success',
      fudge,
      [
        [{}, { time: '2019-10-01T01:02:03.400000000Z' }],
        [{}, { time: '2019-10-01T01:02:03.500000000Z' }],
      ],
      [t('2019-10-01T01:02:03.400000000Z'), t('2019-10-01T01:02:03.500000000Z')],
    ],
    [
      'fudges from the last known value',
      fudge,
      [
        [{}, { time: '2019-10-01T01:02:03.400000000Z' }],
        [{}, {}],
        [{}, {}],
      ],
      [
        t('2019-10-01T01:02:03.400000000Z'),
        t('2019-10-01T01:02:03.400000001Z'),
        t('2019-10-01T01:02:03.400000002Z'),
      ],
    ],
    [
      'fudges per stream',
      fudge,
      [
        [{ filename: '/1.log' }, { time: '2019-10-01T01:02:03.400000000Z' }],
        [{ filename: '/2.log' }, { time: '2019-10-01T01:02:03.800000000Z' }],
        [{ filename: '/1.log' }, {}],
        [{ filename: '/2.log' }, {}],
        [{ filename: '/1.log' }, {}],
      ],
      [
        t('2019-10-01T01:02:03.400000000Z'),
        t('2019-10-01T01:02:03.800000000Z'),
        t('2019-10-01T01:02:03.400000001Z'),
        t('2019-10-01T01:02:03.800000001Z'),
        t('2019-10-01T01:02:03.400000002Z'),
      ],
    ],
    [
      'keeps the input timestamp without a known one',
      fudge,
      [
        [{ filename: '/1.log' }, { time: '2019-10-01T01:02:03.400000000Z' }],
        [{ filename: '/2.log' }, {}],
      ],
      [t('2019-10-01T01:02:03.400000000Z'), original],
    ],
    [
      'skip keeps the input timestamp',
      skip,
      [
        [{}, { time: '2019-10-01T01:02:03.400000000Z' }],
        [{}, {}],
      ],
      [t('2019-10-01T01:02:03.400000000Z'), original],
    ],
    [
      'labels with colliding fingerprints fudge independently',
      fudge,
      [
        [{ app: 'm', uniq0: '1', uniq1: '1' }, { time: '2019-10-01T01:02:03.400000000Z' }],
        [{ app: 'l', uniq0: '0', uniq1: '1' }, { time: '2019-10-01T01:02:03.800000000Z' }],
        [{ app: 'm', uniq0: '1', uniq1: '1' }, {}],
        [{ app: 'l', uniq0: '0', uniq1: '1' }, {}],
        [{ app: 'm', uniq0: '1', uniq1: '1' }, {}],
        [{ app: 'l', uniq0: '0', uniq1: '1' }, {}],
      ],
      [
        t('2019-10-01T01:02:03.400000000Z'),
        t('2019-10-01T01:02:03.800000000Z'),
        t('2019-10-01T01:02:03.400000001Z'),
        t('2019-10-01T01:02:03.800000001Z'),
        t('2019-10-01T01:02:03.400000002Z'),
        t('2019-10-01T01:02:03.800000002Z'),
      ],
    ],
    [
      'a parse failure fudges like a missing source',
      fudge,
      [
        [{ a: '1' }, { time: '2019-10-01T01:02:03.400000000Z' }],
        [{ a: '1' }, { time: 'yesterday' }],
        [{ a: '1' }, { time: null }],
      ],
      [
        t('2019-10-01T01:02:03.400000000Z'),
        t('2019-10-01T01:02:03.400000001Z'),
        t('2019-10-01T01:02:03.400000002Z'),
      ],
    ],
  ];
  for (const [name, yaml, inputs, expected] of cases) {
    it(name, () => {
      const s = stage(yaml);
      const out = new Recorder();
      for (const [labels, extracted] of inputs) {
        // Equal labels in distinct objects: the stream is its label values, not the object.
        s.process({ labels: { ...labels }, timestamp: original, line: '', extracted }, out);
      }
      assert.deepEqual(
        out.emitted.map((e) => e.timestamp),
        expected,
      );
    });
  }

  it('remembers at most 10000 streams, least recently used first out', () => {
    const s = stage(fudge);
    const out = new Recorder();
    const good = { time: '2019-10-01T01:02:03.400000000Z' };
    for (let i = 0; i <= 10_000; i++)
      s.process({ labels: { i: String(i) }, timestamp: original, line: '', extracted: good }, out);
    s.process({ labels: { i: '0' }, timestamp: original, line: '', extracted: {} }, out);
    s.process({ labels: { i: '1' }, timestamp: original, line: '', extracted: {} }, out);
    const [first, second] = out.emitted.slice(-2).map((e) => e.timestamp);
    assert.equal(first, original);
    assert.equal(second, t('2019-10-01T01:02:03.400000001Z'));
  });

  it('leaves the entry otherwise alone', () => {
    const labels = { job: 'x' };
    const e: Entry = { labels, timestamp: original, line: 'l', extracted: { time: '2019-10-01T01:02:03Z' } };
    const out = new Recorder();
    stage(fudge).process(e, out);
    assert.equal(out.emitted[0], e);
    assert.equal(e.labels, labels);
    assert.equal(e.line, 'l');
    assert.equal(e.timestamp, utc(2019, 10, 1, 1, 2, 3));
  });

  it('with a DST location, an hour apart across the change', () => {
    const yaml = 'timestamp:\n  source: ts\n  format: "2006-01-02 15:04:05"\n  location: Europe/Berlin\n';
    const before = process(yaml, { ts: '2021-03-28 01:30:00' });
    const after = process(yaml, { ts: '2021-03-28 03:30:00' });
    assert.equal(after - before, hour);
  });
});
