import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import type { Stage } from '../../src/pipeline/stage.js';
import {
  assertConfigError,
  CountingDelivery,
  entry,
  harness,
  Recorder,
  run,
} from '../support/stage-harness.js';

const a = { job: 'a' };
const b = { job: 'b' };

function stage(options: string): Stage {
  return harness().build(`multiline:\n${options.replace(/^/gm, '  ')}\n`);
}

describe('multiline stage: blocks', () => {
  // Each case feeds lines of stream `a` and flushes at the end.
  const table: { name: string; options: string; lines: string[]; want: string[]; beforeFlush?: string[] }[] =
    [
      {
        name: 'next first line passes the previous block on',
        options: 'firstline: "^\\\\["',
        lines: ['[1] start', '  at a', '  at b', '[2] next', '  at c'],
        beforeFlush: ['[1] start\n  at a\n  at b'],
        want: ['[1] start\n  at a\n  at b', '[2] next\n  at c'],
      },
      {
        name: 'lines before the first first line pass through',
        options: 'firstline: "^\\\\["',
        lines: ['orphan 1', 'orphan 2', '[1] start', '  cont'],
        beforeFlush: ['orphan 1', 'orphan 2'],
        want: ['orphan 1', 'orphan 2', '[1] start\n  cont'],
      },
      {
        name: 'consecutive first lines are blocks of one line',
        options: 'firstline: "^\\\\["',
        lines: ['[1]', '[2]', '[3]'],
        beforeFlush: ['[1]', '[2]'],
        want: ['[1]', '[2]', '[3]'],
      },
      {
        name: 'max_lines passes a block on when it is full',
        options: 'firstline: "^\\\\["\nmax_lines: 3',
        lines: ['[1]', 'a', 'b', 'c', 'd', '[2]'],
        beforeFlush: ['[1]\na\nb', 'c\nd'],
        want: ['[1]\na\nb', 'c\nd', '[2]'],
      },
      {
        name: 'max_lines: 1 passes every line on',
        options: 'firstline: "^\\\\["\nmax_lines: 1',
        lines: ['[1]', 'a', 'b'],
        beforeFlush: ['[1]', 'a', 'b'],
        want: ['[1]', 'a', 'b'],
      },
      {
        name: 'max_lines: 0 means no limit',
        options: 'firstline: "^\\\\["\nmax_lines: 0',
        lines: ['[1]', ...Array.from({ length: 200 }, (_, i) => `l${i}`)],
        beforeFlush: [],
        want: [['[1]', ...Array.from({ length: 200 }, (_, i) => `l${i}`)].join('\n')],
      },
      {
        name: 'max_lines defaults to 128',
        options: 'firstline: "^\\\\["',
        lines: ['[1]', ...Array.from({ length: 129 }, (_, i) => `l${i}`)],
        beforeFlush: [['[1]', ...Array.from({ length: 127 }, (_, i) => `l${i}`)].join('\n')],
        want: [['[1]', ...Array.from({ length: 127 }, (_, i) => `l${i}`)].join('\n'), 'l127\nl128'],
      },
      {
        name: 'firstline is not anchored',
        options: 'firstline: "ERROR"',
        lines: ['x ERROR y', 'detail', 'z ERROR'],
        beforeFlush: ['x ERROR y\ndetail'],
        want: ['x ERROR y\ndetail', 'z ERROR'],
      },
      {
        name: 'empty continuation lines are kept',
        options: 'firstline: "^\\\\["',
        lines: ['[1]', '', 'x', ''],
        beforeFlush: [],
        want: ['[1]\n\nx\n'],
      },
    ];
  for (const c of table) {
    it(c.name, () => {
      const s = stage(c.options);
      const out = run(
        s,
        c.lines.map((l) => entry(l, { labels: a })),
      );
      if (c.beforeFlush) assert.deepEqual(out.lines, c.beforeFlush);
      s.flush!(out);
      assert.deepEqual(out.lines, c.want);
      s.close!();
    });
  }
});

describe('multiline stage: entries', () => {
  it("a block carries the first line's labels, timestamp, extracted data and structured metadata", () => {
    const s = stage('firstline: "^\\\\["');
    const first = entry('[1]', {
      labels: a,
      timestamp: 10n,
      extracted: { level: 'error' },
      structuredMetadata: { trace: 't1' },
    });
    const out = run(s, [first, entry('cont', { labels: a, timestamp: 20n, extracted: { other: 1 } })]);
    s.flush!(out);
    const [block] = out.emitted;
    assert.equal(block!.line, '[1]\ncont');
    assert.equal(block!.labels, a);
    assert.equal(block!.timestamp, 10n);
    assert.deepEqual(block!.extracted, { level: 'error' });
    assert.notEqual(block!.extracted, first.extracted, 'extracted data is copied, as Promtail does');
    assert.deepEqual(block!.structuredMetadata, { trace: 't1' });
    s.close!();
  });

  it("keeps the first entry's delivery and releases each folded entry's delivery at once", () => {
    const s = stage('firstline: "^\\\\["');
    const d = [
      new CountingDelivery(),
      new CountingDelivery(),
      new CountingDelivery(),
      new CountingDelivery(),
    ];
    const out = new Recorder();
    s.process(entry('[1]', { labels: a, delivery: d[0] }), out);
    s.process(entry('x', { labels: a, delivery: d[1] }), out);
    s.process(entry('y', { labels: a, delivery: d[2] }), out);
    assert.deepEqual(
      d.map((x) => x.released),
      [0, 1, 1, 0],
    );
    s.process(entry('[2]', { labels: a, delivery: d[3] }), out);
    assert.equal(out.emitted[0]!.delivery, d[0]);
    assert.equal(d[0]!.released, 0, 'the block still holds it: the client releases it');
    s.flush!(out);
    assert.equal(out.emitted[1]!.delivery, d[3]);
    s.close!();
  });

  it('keeps one block per stream', () => {
    const s = stage('firstline: "^\\\\["');
    const out = run(s, [
      entry('[a1]', { labels: a }),
      entry('b orphan', { labels: b }),
      entry('[b1]', { labels: { job: 'b' } }), // an equal label set in another object is the same stream
      entry('a-x', { labels: a }),
      entry('b-x', { labels: b }),
      entry('[a2]', { labels: a }),
      entry('b-y', { labels: b }),
    ]);
    assert.deepEqual(out.lines, ['b orphan', '[a1]\na-x']);
    s.flush!(out);
    assert.deepEqual(out.lines, ['b orphan', '[a1]\na-x', '[b1]\nb-x\nb-y', '[a2]']);
    s.close!();
  });
});

describe('multiline stage: max_wait_time', () => {
  // Time is the subject: node:test's mock timers drive setTimeout and Date.
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 }));
  afterEach(() => mock.timers.reset());

  it('passes a block on after max_wait_time without a new line, through the kept out', () => {
    const s = stage('firstline: "^\\\\["\nmax_wait_time: 100ms');
    const out = new Recorder();
    const start = Date.now();
    s.process(entry('[1]', { labels: a }), out);
    s.process(entry('more', { labels: a }), out);
    s.process(entry('[b]', { labels: b }), out);
    assert.equal(out.emitted.length, 0);
    mock.timers.tick(98);
    assert.equal(out.emitted.length, 0, 'nothing passed on before max_wait_time');
    mock.timers.tick(2);
    assert.equal(out.emitted.length, 2);
    assert.deepEqual(out.lines.sort(), ['[1]\nmore', '[b]']);
    assert.ok(Date.now() - start >= 98, `emitted after ${Date.now() - start} ms`);
    s.close!();
  });

  it('counts max_wait_time from the last line of the block', () => {
    const s = stage('firstline: "^\\\\["\nmax_wait_time: 150ms');
    const out = new Recorder();
    s.process(entry('[1]', { labels: a }), out);
    mock.timers.tick(90);
    const lastAt = Date.now();
    s.process(entry('late', { labels: a }), out);
    mock.timers.tick(147);
    assert.equal(out.emitted.length, 0, `not passed on ${Date.now() - lastAt} ms after the last line`);
    mock.timers.tick(3);
    assert.equal(out.emitted.length, 1);
    assert.equal(out.lines[0], '[1]\nlate');
    const waited = Date.now() - lastAt;
    assert.ok(waited >= 148, `emitted ${waited} ms after the last line`);
    s.close!();
  });

  it('defaults to 3s', () => {
    const s = stage('firstline: "^\\\\["');
    const out = new Recorder();
    const start = Date.now();
    s.process(entry('[1]', { labels: a }), out);
    mock.timers.tick(2990);
    assert.equal(out.emitted.length, 0);
    mock.timers.tick(10);
    assert.equal(out.emitted.length, 1);
    const waited = Date.now() - start;
    assert.ok(waited >= 2990 && waited < 4500, `emitted after ${waited} ms`);
    s.close!();
  });

  it('close() cancels the timers', () => {
    const s = stage('firstline: "^\\\\["\nmax_wait_time: 20ms');
    const out = new Recorder();
    s.process(entry('[1]', { labels: a }), out);
    s.close!();
    mock.timers.tick(150);
    assert.equal(out.emitted.length, 0, 'nothing passed on after close()');
  });

  it('flush(out) passes every held block on at once', () => {
    const s = stage('firstline: "^\\\\["\nmax_wait_time: 1h');
    const out = run(s, [entry('[a]', { labels: a }), entry('[b]', { labels: b }), entry('x', { labels: b })]);
    assert.equal(out.emitted.length, 0);
    s.flush!(out);
    assert.deepEqual(out.lines, ['[a]', '[b]\nx']);
    s.close!();
  });
});

describe('multiline stage validation', () => {
  const bad: [string, string, number, string][] = [
    [
      'multiline:\n',
      'multiline stage config must define `firstline` regular expression',
      1,
      'multiline.firstline',
    ],
    ['multiline:\n  max_lines: 3\n', 'must define `firstline`', 2, 'multiline.firstline'],
    [
      'multiline:\n  firstline: "("\n',
      'multiline stage first line regex compilation error: error parsing regexp',
      2,
      'multiline.firstline',
    ],
    [
      'multiline:\n  firstline: x\n  max_wait_time: 3\n',
      'multiline stage `max_wait_time` parse error: time: invalid duration "3"',
      3,
      'multiline.max_wait_time',
    ],
    [
      'multiline:\n  firstline: x\n  max_lines: -1\n',
      'must be a non-negative integer',
      3,
      'multiline.max_lines',
    ],
    ['multiline:\n  firstline: x\n  max_lines: many\n', 'expected a number', 3, 'multiline.max_lines'],
    ['multiline:\n  firstline: x\n  maxlines: 2\n', 'unknown key', 3, 'multiline.maxlines'],
  ];
  for (const [yaml, msg, line, key] of bad) {
    it(`${key}: ${msg}`, () => {
      assertConfigError(() => harness().build(yaml), { line: line, key: key, message: msg });
    });
  }
});
