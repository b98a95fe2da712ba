import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  assertConfigError,
  CountingDelivery,
  entry,
  harness,
  Recorder,
  run,
  samples,
} from '../support/stage-harness.js';

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('limit stage: drop', () => {
  it('passes a burst, then drops with reason ratelimit_drop_stage', () => {
    const stage = harness().build('limit:\n  rate: 1\n  burst: 3\n  drop: true\n');
    const d = new CountingDelivery();
    const out = run(stage, [entry('1'), entry('2'), entry('3'), entry('4', { delivery: d }), entry('5')]);
    assert.deepEqual(out.lines, ['1', '2', '3']);
    assert.deepEqual(
      out.dropped.map((x) => [x.entry.line, x.reason]),
      [
        ['4', 'ratelimit_drop_stage'],
        ['5', 'ratelimit_drop_stage'],
      ],
    );
    assert.equal(d.released, 1);
  });

  it('refills rate tokens per second', async () => {
    const stage = harness().build('limit:\n  rate: 50\n  burst: 1\n  drop: true\n');
    const out = new Recorder();
    const start = performance.now();
    stage.process(entry('first'), out);
    stage.process(entry('over'), out);
    assert.equal(out.dropped.length, 1);
    // Poll until a token came back (one every 20 ms).
    const deadline = start + 2000;
    while (out.emitted.length < 2 && performance.now() < deadline) {
      await delay(2);
      stage.process(entry('again'), out);
    }
    assert.equal(out.emitted.length, 2);
    assert.ok(out.emittedAt[1]! - start >= 19, `second token after ${out.emittedAt[1]! - start} ms`);
  });
});

describe('limit stage: throttle (drop: false)', () => {
  it('holds entries over the limit and passes them on in order at the rate', async () => {
    const stage = harness().build('limit:\n  rate: 20\n  burst: 2\n');
    const out = new Recorder();
    const start = performance.now();
    const lines = ['a', 'b', 'c', 'd', 'e', 'f'];
    const deliveries = lines.map(() => new CountingDelivery());
    lines.forEach((l, i) => {
      stage.process(entry(l, { delivery: deliveries[i] }), out);
    });
    assert.deepEqual(out.lines, ['a', 'b'], 'the burst passes at once');
    await out.waitForEmitted(6, 5000);
    assert.deepEqual(out.lines, lines);
    assert.equal(out.dropped.length, 0);
    assert.ok(
      deliveries.every((d) => d.released === 0),
      'held entries keep their deliveries',
    );
    // One token every 50 ms after the burst.
    for (let i = 2; i < 6; i++) {
      const at = out.emittedAt[i]! - start;
      assert.ok(at >= (i - 1) * 50 - 2, `entry ${i} after ${at} ms`);
    }
    stage.close!();
  });

  it('a new entry waits behind held ones even when a token is back', async () => {
    const stage = harness().build('limit:\n  rate: 100\n  burst: 1\n');
    const out = new Recorder();
    stage.process(entry('1'), out);
    stage.process(entry('2'), out);
    stage.process(entry('3'), out);
    await out.waitForEmitted(2, 2000);
    stage.process(entry('4'), out);
    await out.waitForEmitted(4, 2000);
    assert.deepEqual(out.lines, ['1', '2', '3', '4']);
    stage.close!();
  });

  it('flush(out) passes every held entry on at once', () => {
    const stage = harness().build('limit:\n  rate: 0.001\n  burst: 1\n');
    const out = run(stage, [entry('1'), entry('2'), entry('3')]);
    assert.deepEqual(out.lines, ['1']);
    stage.flush!(out);
    assert.deepEqual(out.lines, ['1', '2', '3']);
    stage.close!();
  });

  it('close() stops the timer and forgets held entries', async () => {
    const stage = harness().build('limit:\n  rate: 50\n  burst: 1\n');
    const out = run(stage, [entry('1'), entry('2')]);
    stage.close!();
    await assert.rejects(out.waitForEmitted(2, 150), /timed out/);
  });
});

describe('limit stage: by_label_name', () => {
  it('keeps one bucket per label value; entries without the label pass', async () => {
    const h = harness();
    const stage = h.build('limit:\n  rate: 0.001\n  burst: 1\n  drop: true\n  by_label_name: app\n');
    const out = run(stage, [
      entry('a1', { labels: { app: 'a' } }),
      entry('a2', { labels: { app: 'a' } }),
      entry('b1', { labels: { app: 'b' } }),
      entry('n1', { labels: { other: 'x' } }),
      entry('n2', { labels: { other: 'x' } }),
      entry('a3', { labels: { app: 'a' } }),
    ]);
    assert.deepEqual(out.lines, ['a1', 'b1', 'n1', 'n2']);
    assert.deepEqual(
      out.dropped.map((d) => [d.entry.line, d.reason]),
      [
        ['a2', 'ratelimit_drop_stage'],
        ['a3', 'ratelimit_drop_stage'],
      ],
    );
    assert.deepEqual(await samples(h.registry, 'logentry_dropped_lines_by_label_total'), [
      'logentry_dropped_lines_by_label_total{label_name="app",label_value="a"} 2',
    ]);
  });

  it('rolls its buckets over at max_distinct_labels and resets the by-label counter', async () => {
    const h = harness();
    const stage = h.build('limit:\n  rate: 0.001\n  burst: 1\n  drop: true\n  by_label_name: v\n');
    const out = new Recorder();
    stage.process(entry('x1', { labels: { v: 'x' } }), out);
    stage.process(entry('x2', { labels: { v: 'x' } }), out);
    assert.equal((await samples(h.registry, 'logentry_dropped_lines_by_label_total{')).length, 1);
    // 9,999 more distinct values fill the generation (10,000, the minimum).
    for (let i = 0; i < 9_999; i++) stage.process(entry('n', { labels: { v: `v${i}` } }), out);
    assert.deepEqual(await samples(h.registry, 'logentry_dropped_lines_by_label_total{'), []);
    // The bucket of x lives on in the old generation: still empty.
    stage.process(entry('x3', { labels: { v: 'x' } }), out);
    assert.deepEqual(
      out.dropped.map((d) => d.entry.line),
      ['x2', 'x3'],
    );
  });

  it('raises max_distinct_labels below 10000 to 10000 with a warning', () => {
    const h = harness();
    h.build('limit:\n  rate: 1\n  burst: 1\n  drop: true\n  by_label_name: app\n  max_distinct_labels: 10\n');
    assert.ok(
      h.logs.some(
        (l) => l.level === 'warn' && l.msg.includes('adjusted up to the minimal reasonable value of 10000'),
      ),
    );
  });

  it('two limit stages share the by-label counter', async () => {
    const h = harness();
    const yaml = 'limit:\n  rate: 0.001\n  burst: 1\n  drop: true\n  by_label_name: app\n';
    const s1 = h.build(yaml);
    const s2 = h.build(yaml);
    run(s1, [entry('1', { labels: { app: 'a' } }), entry('2', { labels: { app: 'a' } })]);
    run(s2, [entry('1', { labels: { app: 'a' } }), entry('2', { labels: { app: 'a' } })]);
    assert.deepEqual(await samples(h.registry, 'logentry_dropped_lines_by_label_total{'), [
      'logentry_dropped_lines_by_label_total{label_name="app",label_value="a"} 2',
    ]);
  });
});

describe('limit stage validation', () => {
  const bad: [string, string, number, string][] = [
    ['limit:\n  burst: 1\n', 'limit stage failed to parse rate or burst', 2, 'limit'],
    ['limit:\n  rate: 1\n', 'limit stage failed to parse rate or burst', 2, 'limit'],
    ['limit:\n  rate: 0\n  burst: 1\n', 'failed to parse rate or burst', 2, 'limit'],
    ['limit:\n  rate: 1\n  burst: -2\n', 'failed to parse rate or burst', 2, 'limit'],
    ['limit:\n  rate: fast\n  burst: 1\n', 'expected a number', 2, 'limit.rate'],
    ['limit:\n  rate: 1\n  burst: 1.5\n', 'expected an integer', 3, 'limit.burst'],
    [
      'limit:\n  rate: 1\n  burst: 1\n  by_label_name: app\n',
      'When ratelimiting by label, drop must be true',
      4,
      'limit.by_label_name',
    ],
    ['limit:\n  rate: 1\n  burst: 1\n  drop: maybe\n', 'expected true or false', 4, 'limit.drop'],
    ['limit:\n  rate: 1\n  burst: 1\n  wait: true\n', 'unknown key', 4, 'limit.wait'],
  ];
  for (const [yaml, msg, line, key] of bad) {
    it(`${key}: ${msg}`, () => {
      assertConfigError(() => harness().build(yaml), { line: line, key: key, message: msg });
    });
  }
});
