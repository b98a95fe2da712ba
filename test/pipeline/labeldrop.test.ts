import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/config/reader.js';
import type { LabelSet } from '../../src/types.js';
import { entry, harness, run } from '../support/stage-harness.js';

const build = (yaml: string) => harness().build(yaml, 'labeldrop');

describe('labeldrop stage', () => {
  const errors: [string, string, RegExp][] = [
    ['empty', 'labeldrop:\n', /test.yaml:1: labeldrop: labeldrop stage config cannot be empty/],
    ['empty list', 'labeldrop: []\n', /labeldrop stage config cannot be empty/],
    ['a mapping', 'labeldrop:\n  a: b\n', /test.yaml:2: labeldrop: labeldrop stage config must be a list/],
    ['a list of mappings', 'labeldrop:\n  - a: b\n', /test.yaml:2: labeldrop\[0\]: expected a single value/],
  ];
  for (const [name, yaml, message] of errors) {
    it(name, () =>
      assert.throws(
        () => build(yaml),
        (e: unknown) => e instanceof ConfigError && message.test(e.message),
      ),
    );
  }

  const cases: [string, string[], LabelSet, LabelSet][] = [
    ['drop one', ['testLabel1'], { testLabel1: 'a', testLabel2: 'b' }, { testLabel2: 'b' }],
    ['drop several', ['testLabel1', 'testLabel2'], { testLabel1: 'a', testLabel2: 'b', c: 'c' }, { c: 'c' }],
    ['drop a missing label', ['foo'], { testLabel1: 'a' }, { testLabel1: 'a' }],
    ['drop everything', ['a', 'b'], { a: '1', b: '2' }, {}],
    ['drop a reserved label', ['__tenant_id__'], { __tenant_id__: 't', a: '1' }, { a: '1' }],
  ];
  for (const [name, drop, labelsIn, labelsOut] of cases) {
    it(name, () => {
      const shared = Object.freeze({ ...labelsIn });
      const out = run(build(`labeldrop: ${JSON.stringify(drop)}\n`), [entry('l', { labels: shared })]);
      assert.deepEqual(out.emitted[0]!.labels, labelsOut);
      assert.deepEqual(shared, labelsIn);
      if (JSON.stringify(labelsIn) === JSON.stringify(labelsOut))
        assert.equal(out.emitted[0]!.labels, shared);
    });
  }
});
