import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { Registry } from 'prom-client';
import { ConfigError, ConfigNode, ConfigWarnings } from '../../src/config/reader.js';
import { createLogger, type LogFields, silentLogger } from '../../src/log.js';
import { createMetrics } from '../../src/metrics.js';
import { createStageContext, Pipeline } from '../../src/pipeline/pipeline.js';
import { parseRfc3339Nano } from '../../src/pipeline/stages/util.js';
import type { Delivery, Entry, LabelSet } from '../../src/types.js';

const metrics = createMetrics(new Registry());
const readTime = 1_700_000_000_000_000_000n;
const T = '2019-05-07T18:57:50.904275087+00:00';
const tNs = BigInt(Date.parse('2019-05-07T18:57:50Z') / 1000) * 1_000_000_000n + 904_275_087n;

class CountingDelivery implements Delivery {
  released = 0;
  retain(): void {}
  release(): void {
    this.released++;
  }
}

function entry(line: string, labels: LabelSet = { job: 'test' }, delivery?: Delivery): Entry {
  return { labels, timestamp: readTime, line, extracted: {}, delivery };
}

/** A cri pipeline with these options (YAML flow mapping), and what reached its sink. */
function criPipeline(options = '{}', logs: LogFields[] = []) {
  const got: Entry[] = [];
  const logger = createLogger({ level: 'debug', write: (l) => logs.push(JSON.parse(l)), format: 'json' });
  const list = ConfigNode.parse(`- cri: ${options}\n`, 'test.yaml');
  const p = new Pipeline(list, createStageContext('test', logger, metrics), (e) => got.push(e));
  return { p, got };
}

function run(lines: (string | [string, LabelSet])[], options?: string): Entry[] {
  const { p, got } = criPipeline(options);
  for (const l of lines) p.process(typeof l === 'string' ? entry(l) : entry(l[0], l[1]));
  return got;
}

describe('cri stage', () => {
  it('parses the fixture file of a container with both streams, partials, offsets and a non-CRI line', () => {
    const expected = JSON.parse(readFileSync('fixtures/logs/cri/containerd.expected.json', 'utf8')) as {
      labels: LabelSet;
      entries: { labels: LabelSet; timestamp: string; line: string }[];
    };
    const { p, got } = criPipeline();
    const labels = expected.labels;
    const text = readFileSync('fixtures/logs/cri/containerd.log', 'utf8');
    for (const line of text.slice(0, -1).split('\n')) p.process(entry(line, labels));
    p.flush();
    assert.deepEqual(
      got.map((e) => ({ labels: e.labels, timestamp: String(e.timestamp), line: e.line })),
      expected.entries,
    );
  });

  const table: {
    name: string;
    line: string;
    want: { line: string; stream?: string; timestamp?: bigint; flags?: string };
  }[] = [
    {
      name: 'stdout F',
      line: `${T} stdout F some full line`,
      want: { line: 'some full line', stream: 'stdout' },
    },
    { name: 'stderr F', line: `${T} stderr F oops`, want: { line: 'oops', stream: 'stderr' } },
    {
      name: 'content keeps its spaces and newlines',
      line: `${T} stdout F  a  b \nc`,
      want: { line: ' a  b \nc', stream: 'stdout' },
    },
    { name: 'empty content', line: `${T} stdout F `, want: { line: '', stream: 'stdout' } },
    {
      name: 'flags other than P are full lines',
      line: `${T} stdout F:x tagged`,
      want: { line: 'tagged', stream: 'stdout', flags: 'F:x' },
    },
    {
      name: 'Z time with 9 digits',
      line: '2019-01-01T01:00:00.000000001Z stderr F message',
      want: { line: 'message', timestamp: 1_546_304_400_000_000_001n },
    },
    {
      name: '+02:00 offset',
      line: '2019-01-01T03:00:00.5+02:00 stderr F m',
      want: { line: 'm', timestamp: 1_546_304_400_500_000_000n },
    },
    {
      name: '-05:30 offset',
      line: '2018-12-31T19:30:00.000001-05:30 stdout F m',
      want: { line: 'm', timestamp: 1_546_304_400_000_001_000n },
    },
    {
      name: 'invalid time keeps the read time',
      line: '3242 stderr F message',
      want: { line: 'message', stream: 'stderr', timestamp: readTime },
    },
    { name: 'not CRI', line: "i'm invalid!!!", want: { line: "i'm invalid!!!" } },
    {
      name: 'unknown stream is not CRI',
      line: `${T} stdlog F message`,
      want: { line: `${T} stdlog F message` },
    },
    { name: 'no space after flags is not CRI', line: `${T} stdout F`, want: { line: `${T} stdout F` } },
    {
      name: 'two spaces after time is not CRI',
      line: `${T}  stdout F x`,
      want: { line: `${T}  stdout F x` },
    },
    {
      name: 'tab in the time token is not CRI',
      line: `2019-01-01\tT01:00:00Z stdout F x`,
      want: { line: `2019-01-01\tT01:00:00Z stdout F x` },
    },
    { name: 'leading space is not CRI', line: ` ${T} stdout F x`, want: { line: ` ${T} stdout F x` } },
  ];
  for (const c of table) {
    it(c.name, () => {
      const [out] = run([c.line]);
      assert.ok(out);
      assert.equal(out.line, c.want.line);
      if (c.want.stream) assert.equal(out.labels.stream, c.want.stream);
      if (c.want.timestamp !== undefined) assert.equal(out.timestamp, c.want.timestamp);
      if (c.want.line === c.line) {
        // Not CRI: passed on untouched, as Promtail (its regex does not match).
        assert.deepEqual(out.labels, { job: 'test' });
        assert.equal(out.timestamp, readTime);
        assert.equal(out.extracted.content, undefined);
      }
      if (c.want.flags) assert.equal(out.extracted.flags, c.want.flags);
    });
  }

  it('sets the extracted values Promtail sets', () => {
    const [out] = run([`${T} stderr P part`, `${T} stderr F end`]);
    assert.deepEqual(
      { ...out!.extracted },
      { job: 'test', time: T, stream: 'stderr', flags: 'F', content: 'end' },
      'the joined entry keeps the full line extracted values, as Promtail',
    );
    assert.equal(out!.line, 'partend');
  });

  it('gives an unparsable time the stream last time plus 1ns (fudge)', () => {
    const out = run([`${T} stdout F a`, 'nonsense stdout F b', 'nonsense stdout F c', 'nonsense stderr F d']);
    assert.deepEqual(
      out.map((e) => e.timestamp),
      [tNs, tNs + 1n, tNs + 2n, readTime],
    );
  });

  it("starts by copying the entry's labels into the extracted values, as Promtail's cri pipeline", () => {
    const list = ConfigNode.parse(
      '- static_labels: {env: prod}\n- cri: {}\n- template: {source: seen, template: "{{ .env }}/{{ .job }}"}\n',
      'test.yaml',
    );
    const got: Entry[] = [];
    const p = new Pipeline(list, createStageContext('test', silentLogger, metrics), (e) => got.push(e));
    p.process(entry(`${T} stdout F x`));
    p.process(entry('not cri'));
    p.close();
    assert.deepEqual(
      got.map((e) => e.extracted.seen),
      ['prod/test', 'prod/test'],
      'also for a line that is not CRI',
    );
  });

  it('as the first stage, leaves the labels in the extracted values as the pipeline does', () => {
    const { p, got } = criPipeline();
    p.process(entry(`${T} stdout F x`, { job: 'j', filename: '/a.log' }));
    assert.equal(got[0]!.extracted.filename, '/a.log');
    assert.equal(got[0]!.extracted.job, 'j');
  });

  it('shares one output label set per input label set and stream', () => {
    const labels = { job: 'x' };
    const { p, got } = criPipeline();
    p.process(entry(`${T} stdout F a`, labels));
    p.process(entry(`${T} stderr F b`, labels));
    p.process(entry(`${T} stdout F c`, labels));
    assert.equal(got[0]!.labels, got[2]!.labels);
    assert.notEqual(got[0]!.labels, got[1]!.labels);
    assert.deepEqual(labels, { job: 'x' }, 'the input labels are never mutated');
  });

  describe('partial lines', () => {
    it('joins P lines per stream until F, keeping the last fragment timestamp', () => {
      const out = run([
        '2019-05-07T18:57:50.1Z stdout P a1 ',
        '2019-05-07T18:57:50.2Z stderr P b1 ',
        '2019-05-07T18:57:50.3Z stdout P a2 ',
        '2019-05-07T18:57:50.4Z stderr F b2',
        '2019-05-07T18:57:50.5Z stdout F a3',
      ]);
      const base = BigInt(Date.parse('2019-05-07T18:57:50Z') / 1000) * 1_000_000_000n;
      assert.deepEqual(
        out.map((e) => [e.labels.stream, e.line, e.timestamp]),
        [
          ['stderr', 'b1 b2', base + 400_000_000n],
          ['stdout', 'a1 a2 a3', base + 500_000_000n],
        ],
      );
    });

    it('joins per label set: two files do not mix', () => {
      const a = { job: 'x', filename: 'a' };
      const b = { job: 'x', filename: 'b' };
      const out = run([
        [`${T} stdout P partial line 1 `, a],
        [`${T} stdout P partial line 2 `, b],
        [`${T} stdout F log finished`, a],
        [`${T} stdout F another full log`, b],
      ]);
      assert.deepEqual(
        out.map((e) => e.line),
        ['partial line 1 log finished', 'partial line 2 another full log'],
      );
    });

    it('keeps the first fragment delivery and releases the others as they are folded', () => {
      const { p, got } = criPipeline();
      const d = [new CountingDelivery(), new CountingDelivery(), new CountingDelivery()];
      p.process(entry(`${T} stdout P a`, undefined, d[0]));
      assert.deepEqual(
        d.map((x) => x.released),
        [0, 0, 0],
      );
      p.process(entry(`${T} stdout P b`, undefined, d[1]));
      assert.deepEqual(
        d.map((x) => x.released),
        [0, 1, 0],
      );
      p.process(entry(`${T} stdout F c`, undefined, d[2]));
      assert.deepEqual(
        d.map((x) => x.released),
        [0, 1, 1],
      );
      assert.equal(got.length, 1);
      assert.equal(got[0]!.delivery, d[0], 'the joined entry carries the first fragment delivery');
    });

    it('max_partial_lines: one more stream than the limit passes the held lines on (Promtail test case)', () => {
      const l1 = { label1: 'val1', label2: 'val2' };
      const out = run(
        [
          [`${T} stdout P partial line 1 `, l1],
          [`${T} stdout P partial line 2 `, { label1: 'val1' }],
          [`${T} stdout P partial line 3 `, l1],
          [`${T} stdout P partial line 4 `, { label1: 'val3' }],
          [`${T} stdout P partial line 5 `, { label1: 'val4' }],
          [`${T} stdout F log finished`, l1],
          [`${T} stdout F another full log`, { label1: 'val3' }],
          [`${T} stdout F yet an another full log`, { label1: 'val4' }],
        ],
        '{max_partial_lines: 3}',
      );
      assert.deepEqual(
        out.map((e) => e.line),
        [
          'partial line 1 partial line 3 ',
          'partial line 2 ',
          'partial line 4 ',
          'log finished',
          'another full log',
          'partial line 5 yet an another full log',
        ],
      );
    });

    it('max_partial_lines counts streams, not fragments of one stream (Promtail test case)', () => {
      const out = run(
        [
          `${T} stdout P partial line 1 `,
          `${T} stdout P partial line 2 `,
          `${T} stdout P partial line 3 `,
          `${T} stdout P partial line 4 `,
          `${T} stdout F log finished`,
          `${T} stdout F another full log`,
        ],
        '{max_partial_lines: 3}',
      );
      assert.deepEqual(
        out.map((e) => e.line),
        ['partial line 1 partial line 2 partial line 3 partial line 4 log finished', 'another full log'],
      );
    });

    it('logs a warning when max_partial_lines is exceeded', () => {
      const logs: LogFields[] = [];
      const { p } = criPipeline('{max_partial_lines: 1}', logs);
      p.process(entry(`${T} stdout P a`));
      p.process(entry(`${T} stderr P b`));
      assert.equal(logs.length, 1);
      assert.equal(logs[0]!.level, 'warn');
      assert.equal(logs[0]!.threshold, 1);
    });

    const sizeTable: { name: string; options: string; lines: string[]; want: string[] }[] = [
      {
        name: 'truncate cuts the joined line (Promtail test case)',
        options: '{max_partial_line_size: 11, max_partial_line_size_truncate: true}',
        lines: [`${T} stdout P partial line 1 `, `${T} stdout F log finished`],
        want: ['partial lin'],
      },
      {
        name: 'truncate: a short join is whole',
        options: '{max_partial_line_size: 11, max_partial_line_size_truncate: true}',
        lines: [`${T} stdout P partial`, `${T} stdout F full`],
        want: ['partialfull'],
      },
      {
        name: 'truncate: a full line without partials is never cut',
        options: '{max_partial_line_size: 4, max_partial_line_size_truncate: true}',
        lines: [`${T} stdout F 0123456789`],
        want: ['0123456789'],
      },
      {
        name: 'truncate: sizes are UTF-8 bytes and a character is never split',
        options: '{max_partial_line_size: 6, max_partial_line_size_truncate: true}',
        lines: [`${T} stdout P aé`, `${T} stdout P éé`, `${T} stdout F z`],
        want: ['aéé'],
      },
      {
        name: 'truncate: byte size with a unit',
        options: '{max_partial_line_size: 1KiB, max_partial_line_size_truncate: true}',
        lines: [`${T} stdout P ${'x'.repeat(1000)}`, `${T} stdout F ${'y'.repeat(100)}`],
        want: ['x'.repeat(1000) + 'y'.repeat(24)],
      },
      {
        name: 'without truncate the size is not applied (as Promtail)',
        options: '{max_partial_line_size: 4}',
        lines: [`${T} stdout P 01234`, `${T} stdout F 56789`],
        want: ['0123456789'],
      },
      {
        name: 'truncate with size 0 does not cut (Promtail would empty the line)',
        options: '{max_partial_line_size_truncate: true}',
        lines: [`${T} stdout P 01234`, `${T} stdout F 56789`],
        want: ['0123456789'],
      },
    ];
    for (const c of sizeTable) {
      it(`max_partial_line_size: ${c.name}`, () => {
        assert.deepEqual(
          run(c.lines, c.options).map((e) => e.line),
          c.want,
        );
      });
    }

    it('flush passes held partial lines on, once', () => {
      const { p, got } = criPipeline();
      const d = new CountingDelivery();
      p.process(entry(`${T} stdout P a`, undefined, d));
      p.process(entry(`${T} stdout P b`, undefined, new CountingDelivery()));
      p.process(entry(`${T} stderr P c`));
      assert.equal(got.length, 0);
      p.flush();
      assert.deepEqual(
        got.map((e) => [e.labels.stream, e.line]),
        [
          ['stdout', 'ab'],
          ['stderr', 'c'],
        ],
      );
      assert.equal(got[0]!.delivery, d);
      p.flush();
      assert.equal(got.length, 2);
      p.process(entry(`${T} stdout F d`));
      assert.equal(got[2]!.line, 'd', 'nothing is held after a flush');
    });

    it('close without flush keeps held deliveries unreleased', () => {
      const { p, got } = criPipeline();
      const d = new CountingDelivery();
      p.process(entry(`${T} stdout P a`, undefined, d));
      p.close();
      assert.equal(got.length, 0);
      assert.equal(d.released, 0);
    });

    it('a non-CRI line between fragments passes through and does not break the join', () => {
      const out = run([`${T} stdout P a`, 'garbage', `${T} stdout F b`]);
      assert.deepEqual(
        out.map((e) => e.line),
        ['garbage', 'ab'],
      );
    });
  });

  describe('max_wait_time: a partial line no F line completes', () => {
    // Time is the subject: node:test's mock timers drive setTimeout and Date.
    beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 }));
    afterEach(() => mock.timers.reset());

    it('is passed on 3s (the default) after its last fragment, as max_partial_lines passes it on', () => {
      const { p, got } = criPipeline();
      const d = [new CountingDelivery(), new CountingDelivery()];
      p.process(entry('2019-05-07T18:57:50.1Z stdout P a ', undefined, d[0]));
      mock.timers.tick(2000);
      p.process(entry('2019-05-07T18:57:50.2Z stdout P b', undefined, d[1]));
      // Ticked in two steps: a mock timer's callback sees Date.now() at the end of the tick.
      mock.timers.tick(1000);
      mock.timers.tick(1999);
      assert.equal(got.length, 0, 'held 2999 ms after the last fragment');
      assert.deepEqual(
        d.map((x) => x.released),
        [0, 1],
        "the first fragment's delivery is held: the position stays before the line",
      );
      mock.timers.tick(1);
      const base = BigInt(Date.parse('2019-05-07T18:57:50Z') / 1000) * 1_000_000_000n;
      assert.deepEqual(
        got.map((e) => [e.labels.stream, e.line, e.timestamp, e.extracted.flags]),
        [['stdout', 'a b', base + 200_000_000n, 'P']],
      );
      assert.equal(got[0]!.delivery, d[0], 'shipped with the first fragment delivery');
      assert.equal(d[0]!.released, 0, 'released by the client once shipped, not by the stage');
      p.process(entry(`${T} stdout F c`));
      assert.equal(got[1]!.line, 'c', 'a later F line of the stream stands alone');
      p.close();
    });

    it('passes on only the stream that waited, through the runner output', () => {
      const { p, got } = criPipeline('{max_wait_time: 100ms}');
      p.process(entry(`${T} stdout P a`));
      mock.timers.tick(60);
      p.process(entry(`${T} stderr P b`));
      mock.timers.tick(40);
      assert.deepEqual(
        got.map((e) => [e.labels.stream, e.line]),
        [['stdout', 'a']],
      );
      p.process(entry(`${T} stderr F c`));
      assert.deepEqual(
        got.map((e) => [e.labels.stream, e.line]),
        [
          ['stdout', 'a'],
          ['stderr', 'bc'],
        ],
      );
      mock.timers.tick(1000);
      assert.equal(got.length, 2, 'the completed line is not passed on twice');
      p.close();
    });

    it('truncation applies to a line passed on by the timer', () => {
      const { p, got } = criPipeline(
        '{max_wait_time: 1s, max_partial_line_size: 4, max_partial_line_size_truncate: true}',
      );
      p.process(entry(`${T} stdout P 0123`));
      p.process(entry(`${T} stdout P 4567`));
      mock.timers.tick(1000);
      assert.deepEqual(
        got.map((e) => e.line),
        ['0123'],
      );
      p.close();
    });

    it('max_wait_time: 0 holds it until max_partial_lines or the end, as Promtail', () => {
      const { p, got } = criPipeline('{max_wait_time: 0}');
      p.process(entry(`${T} stdout P a`));
      mock.timers.tick(3_600_000);
      assert.equal(got.length, 0);
      p.flush();
      assert.deepEqual(
        got.map((e) => e.line),
        ['a'],
      );
      p.close();
    });

    it('close() cancels the timers and keeps the delivery unreleased', () => {
      const { p, got } = criPipeline('{max_wait_time: 20ms}');
      const d = new CountingDelivery();
      p.process(entry(`${T} stdout P a`, undefined, d));
      p.close();
      mock.timers.tick(150);
      assert.equal(got.length, 0, 'nothing passed on after close()');
      assert.equal(d.released, 0);
    });
  });

  describe('options', () => {
    const bad: [string, RegExp][] = [
      ['{max_partial_lines: -1}', /test\.yaml:1: \[0\]\.cri\.max_partial_lines: must be 0/],
      ['{max_partial_lines: x}', /max_partial_lines: expected a number/],
      ['{max_partial_line_size: lots}', /max_partial_line_size: invalid size/],
      ['{max_partial_line_size_truncate: maybe}', /expected true or false/],
      ['{max_wait_time: 3}', /test\.yaml:1: \[0\]\.cri\.max_wait_time: invalid duration "3"/],
      ['{max_wait_time: -1s}', /max_wait_time: must be 0/],
    ];
    for (const [options, re] of bad) {
      it(`rejects ${options}`, () => {
        assert.throws(
          () => criPipeline(options),
          (e: unknown) => e instanceof ConfigError && re.test(e.message),
        );
      });
    }

    it('warns about an unknown option, which Promtail ignores (an error under -config.strict)', () => {
      const warnings = new ConfigWarnings();
      const list = ConfigNode.parse('- cri:\n    bogus: 1\n', 'test.yaml', { warnings });
      new Pipeline(list, createStageContext('t', silentLogger, metrics), () => {}).close();
      assert.deepEqual(
        warnings.list.map((w) => [w.line, w.key]),
        [[2, '[0].cri.bogus']],
      );
      const strict = ConfigNode.parse('- cri:\n    bogus: 1\n', 'test.yaml', {
        warnings: new ConfigWarnings(true),
      });
      assert.throws(
        () => new Pipeline(strict, createStageContext('t', silentLogger, metrics), () => {}),
        /test\.yaml:2: \[0\]\.cri\.bogus: unknown key/,
      );
    });

    it('accepts no options at all', () => {
      const list = ConfigNode.parse('- cri:\n', 'test.yaml');
      const got: Entry[] = [];
      const p = new Pipeline(list, createStageContext('t', silentLogger, metrics), (e) => got.push(e));
      p.process(entry(`${T} stdout F x`));
      assert.equal(got[0]!.line, 'x');
    });
  });
});

describe('parseRfc3339Nano', () => {
  const ok: [string, bigint][] = [
    ['1970-01-01T00:00:00Z', 0n],
    ['1970-01-01T00:00:00.000000001Z', 1n],
    ['1969-12-31T23:59:59.999999999Z', -1n],
    ['2019-04-30T02:12:41.8443515Z', 1_556_590_361_844_351_500n],
    ['2019-04-30T02:12:41.8443515999Z', 1_556_590_361_844_351_599n],
    ['2019-04-30T04:12:41.8443515+02:00', 1_556_590_361_844_351_500n],
    ['2019-04-29T21:42:41,8443515-04:30', 1_556_590_361_844_351_500n],
    ['2024-02-29T12:00:00Z', BigInt(Date.UTC(2024, 1, 29, 12)) * 1_000_000n],
    ['2000-02-29T00:00:00Z', BigInt(Date.UTC(2000, 1, 29)) * 1_000_000n],
    ['0001-01-01T00:00:00Z', -62_135_596_800_000_000_000n],
    [
      '9999-12-31T23:59:59.999999999Z',
      BigInt(Date.UTC(9999, 11, 31, 23, 59, 59)) * 1_000_000n + 999_999_999n,
    ],
  ];
  for (const [text, ns] of ok) {
    it(`parses ${text}`, () => assert.equal(parseRfc3339Nano(text), ns));
  }

  const bad = [
    '2019-04-30 02:12:41Z',
    '2019-04-30t02:12:41Z',
    '2019-04-30T02:12:41z',
    '2019-04-30T02:12:41',
    '2019-04-30T02:12:41.Z',
    '2019-04-30T02:12:41.5',
    '2019-04-30T02:12:41+0200',
    '2019-04-30T02:12:41+02:00x',
    '2019-04-30T02:12:60Z',
    '2019-04-30T24:00:00Z',
    '2019-13-01T00:00:00Z',
    '2019-02-29T00:00:00Z',
    '1900-02-29T00:00:00Z',
    '2019-04-31T00:00:00Z',
    '2019-00-10T00:00:00Z',
    '2019-4-30T02:12:41Z',
    '3242',
    '',
  ];
  for (const text of bad) {
    it(`rejects ${JSON.stringify(text)}`, () => assert.equal(parseRfc3339Nano(text), undefined));
  }

  it('agrees with Date.parse to the millisecond on random times and offsets', () => {
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let i = 0; i < 2000; i++) {
      const ms = rand(2 ** 30) * 3000 - 2 ** 30 * 1000;
      const sub = rand(1_000_000);
      const off = (rand(2) ? 1 : -1) * rand(14 * 60);
      const local = new Date(ms + off * 60_000).toISOString().slice(0, 23);
      const zone =
        off === 0 && rand(2)
          ? 'Z'
          : `${off >= 0 ? '+' : '-'}${String(Math.floor(Math.abs(off) / 60)).padStart(2, '0')}:${String(Math.abs(off) % 60).padStart(2, '0')}`;
      const text = `${local}${String(sub).padStart(6, '0')}${zone}`;
      assert.equal(parseRfc3339Nano(text), BigInt(ms) * 1_000_000n + BigInt(sub), text);
    }
  });

  it('parses a slice of a longer string', () => {
    const line = `${T} stdout F x`;
    assert.equal(parseRfc3339Nano(line, 0, T.length), tNs);
  });
});
