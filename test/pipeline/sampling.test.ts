import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigNode } from '../../src/config/reader.js';
import { createSamplingStage } from '../../src/pipeline/stages/sampling.js';
import {
  assertConfigError,
  CountingDelivery,
  entry,
  harness,
  Recorder,
  run,
} from '../support/stage-harness.js';

function sampling(yaml: string, randoms: number[]) {
  const h = harness();
  let i = 0;
  const random = () => {
    if (i >= randoms.length) throw new Error('random source exhausted');
    return randoms[i++]!;
  };
  const stage = createSamplingStage(ConfigNode.parse(yaml, 'test.yaml').get('sampling'), h.ctx, random);
  return { stage, used: () => i };
}

describe('sampling stage', () => {
  // Kept when random × 2^63 (never 0) is at most rate × 2^63.
  const table: { rate: number; randoms: number[]; kept: boolean[] }[] = [
    { rate: 0.5, randoms: [0.1, 0.5, 0.6, 0.49999, 0.99], kept: [true, true, false, true, false] },
    { rate: 0.25, randoms: [0.2, 0.3], kept: [true, false] },
    { rate: 1, randoms: [0.999999, 0.5], kept: [true, true] },
    { rate: 0, randoms: [1e-18, 0.5], kept: [false, false] },
    { rate: 0.0001, randoms: [0.00009, 0.00011], kept: [true, false] },
  ];
  for (const c of table) {
    it(`rate ${c.rate}: ${c.randoms.join(', ')}`, () => {
      const { stage } = sampling(`sampling:\n  rate: ${c.rate}\n`, c.randoms);
      const entries = c.randoms.map((_, i) => entry(`l${i}`));
      const out = run(stage, entries);
      assert.deepEqual(
        out.lines,
        entries.filter((_, i) => c.kept[i]).map((e) => e.line),
      );
      assert.deepEqual(
        out.dropped.map((d) => d.entry.line),
        entries.filter((_, i) => !c.kept[i]).map((e) => e.line),
      );
      assert.ok(out.dropped.every((d) => d.reason === 'sampling_stage'));
    });
  }

  it('draws again when the random id is 0 (Jaeger never uses id 0)', () => {
    const { stage, used } = sampling('sampling:\n  rate: 0\n', [0, 0, 0.5]);
    const out = run(stage, [entry('x')]);
    assert.equal(used(), 3);
    assert.equal(out.dropped.length, 1);
  });

  it('uses drop_counter_reason and releases dropped deliveries', () => {
    const { stage } = sampling('sampling:\n  rate: 0.1\n  drop_counter_reason: sampled_out\n', [0.9]);
    const d = new CountingDelivery();
    const out = new Recorder();
    stage.process(entry('x', { delivery: d }), out);
    assert.equal(out.dropped[0]!.reason, 'sampled_out');
    assert.equal(d.released, 1);
  });

  it('keeps about rate of the entries with the default random source', () => {
    const stage = harness().build('sampling:\n  rate: 0.3\n');
    const out = run(
      stage,
      Array.from({ length: 20_000 }, (_, i) => entry(`l${i}`)),
    );
    const share = out.emitted.length / 20_000;
    assert.ok(share > 0.27 && share < 0.33, `kept ${share}`);
  });
});

describe('sampling stage validation', () => {
  const bad: [string, string, number, string][] = [
    [
      'sampling:\n  rate: 1.5\n',
      'sampling stage failed to parse rate,Sampling Rate must be between 0.0 and 1.0, received 1.500000',
      2,
      'sampling.rate',
    ],
    ['sampling:\n  rate: -0.1\n', 'received -0.100000', 2, 'sampling.rate'],
    ['sampling:\n  rate: half\n', 'expected a number', 2, 'sampling.rate'],
    ['sampling:\n', 'is required', 1, 'sampling.rate'],
    ['sampling:\n  rate: 0.5\n  seed: 1\n', 'unknown key', 3, 'sampling.seed'],
  ];
  for (const [yaml, msg, line, key] of bad) {
    it(`${key}: ${msg}`, () => {
      assertConfigError(() => harness().build(yaml), { line: line, key: key, message: msg });
    });
  }
});
