// The cardinality guard's value half in process: the shape of a value (one table row per shape
// and per look-alike that is no shape), and the guard's thresholds at their edges, run through a
// real Pipeline of real stages. End to end through the CLI: test/dryrun/cardinality.test.ts.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigNode } from '../../src/config/reader.js';
import { CardinalityGuard, maxDistinctValues, valueShape } from '../../src/pipeline/cardinality.js';
import { Pipeline } from '../../src/pipeline/pipeline.js';
import { harness } from '../support/stage-harness.js';

describe('cardinality guard: the shape of a value', () => {
  const table: [string, ReturnType<typeof valueShape>][] = [
    ['6f1c8a52-3b7e-4c1d-9f20-8e4b5a6c7d8e', 'UUIDs'],
    ['6F1C8A52-3B7E-4C1D-9F20-8E4B5A6C7D8E', 'UUIDs'],
    ['10.0.0.1', 'IP addresses'],
    ['10.0.0.1:8080', 'IP addresses'],
    ['2001:db8::1', 'IP addresses'],
    ['[2001:db8::1]:443', 'IP addresses'],
    ['2024-05-01T10:00:00Z', 'timestamps'],
    ['2024-05-01 10:00:00.123+02:00', 'timestamps'],
    ['1714557600', 'timestamps'],
    ['1714557600123456789', 'timestamps'],
    ['1714557600.25', 'timestamps'],
    ['42', 'numbers'],
    ['-3.5', 'numbers'],
    ['01ARZ3NDEKTSV4RRFFQ69G5FAV', 'ULIDs'],
    ['9f86d081884c7d659a2feaa0c55ad015', 'hex hashes'],
    ['0xdeadbeefdeadbeef', 'hex hashes'],
    ['info', undefined],
    ['GET', undefined],
    ['web-7d4b9c6f5-x2x9z', undefined],
    ['deadbeef', undefined],
    ['999.1.1.1', undefined],
    ['abcdefghjkmnpqrstvwxyzabcd', undefined],
    ['2024-05-01', undefined],
  ];
  for (const [value, shape] of table)
    it(`${JSON.stringify(value)} → ${shape ?? 'no shape'}`, () => assert.equal(valueShape(value), shape));
});

/** Runs `values` as label `v` through a labels stage built with a guard attached; the guard's report. */
function run(values: string[], live?: (reason: string) => void): string[] {
  const h = harness('app');
  const guard = new CardinalityGuard(live && ((w) => live(w.reason)));
  const stages = ConfigNode.parse(
    'pipeline_stages:\n  - json:\n      expressions: {v: v}\n  - labels:\n      v:\n',
    'test.yaml',
  ).get('pipeline_stages');
  const pipeline = new Pipeline(stages, guard.attach(h.ctx), () => {});
  for (const v of values)
    pipeline.process({ labels: {}, timestamp: 0n, line: JSON.stringify({ v }), extracted: {} });
  pipeline.close();
  return guard.report().map((w) => `${w.file}:${w.line}: ${w.key}: ${w.reason}`);
}

const words = (n: number) => Array.from({ length: n }, (_, i) => `w${i}x`);

describe('cardinality guard: the thresholds', () => {
  it(`${maxDistinctValues} distinct plain values are fine, one more is a warning`, () => {
    assert.deepEqual(run(words(maxDistinctValues)), []);
    const [w, ...rest] = run([...words(maxDistinctValues + 1), 'w0x']);
    assert.deepEqual(rest, []);
    assert.equal(
      w,
      'test.yaml:5: pipeline_stages[1].labels.v: label "v" of job "app" takes more than 100 distinct values in 102 lines (e.g. "w0x", "w1x", "w2x"): each value is a new Loki stream. Use structured_metadata for it instead',
    );
  });

  it('a shape needs 10 distinct values, 90 % of them of that shape', () => {
    const ips = (n: number) => Array.from({ length: n }, (_, i) => `10.0.0.${i}`);
    assert.deepEqual(run([...ips(9), ...ips(9)]), []);
    assert.equal(run(ips(10)).length, 1);
    assert.equal(run([...ips(9), 'a']).length, 1);
    assert.deepEqual(run([...ips(8), 'a', 'b']), []);
  });

  it('numbers need 30 distinct values (status codes are no unbounded label)', () => {
    const codes = [
      '200',
      '201',
      '204',
      '301',
      '302',
      '304',
      '400',
      '401',
      '403',
      '404',
      '409',
      '429',
      '500',
      '502',
      '503',
    ];
    assert.deepEqual(run([...codes, ...codes]), []);
    const n = run(Array.from({ length: 30 }, (_, i) => String(1000 + i * 37)));
    assert.match(n[0] ?? '', /takes numbers \(30 of 30 distinct values in 30 lines/);
  });

  it('live (the agent): reported once, as soon as the values look unbounded', () => {
    const reasons: string[] = [];
    const values = Array.from({ length: 300 }, (_, i) => `10.0.${i >> 8}.${i & 255}`);
    assert.deepEqual(
      run(values, (r) => reasons.push(r)),
      [],
      'nothing left to report at the end',
    );
    assert.equal(reasons.length, 1);
    assert.match(reasons[0]!, /takes IP addresses \(10 of 10 distinct values in 10 lines/);
  });
});
