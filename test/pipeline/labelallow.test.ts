import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/config/reader.js';
import type { LabelSet } from '../../src/types.js';
import { entry, harness, run } from '../support/stage-harness.js';

const build = (yaml: string) => harness().build(yaml, 'labelallow');

describe('labelallow stage', () => {
  const errors: [string, string, RegExp][] = [
    ['empty', 'labelallow:\n', /test.yaml:1: labelallow: labelallow stage config cannot be empty/],
    ['empty list', 'labelallow: []\n', /labelallow stage config cannot be empty/],
    ['a string', 'labelallow: app\n', /test.yaml:1: labelallow: labelallow stage config must be a list/],
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
    ['keep one', ['testLabel1'], { testLabel1: 'a', testLabel2: 'b' }, { testLabel1: 'a' }],
    [
      'keep several',
      ['testLabel1', 'testLabel2'],
      { testLabel1: 'a', testLabel2: 'b', c: 'c' },
      { testLabel1: 'a', testLabel2: 'b' },
    ],
    ['keep a missing label', ['foo'], { testLabel1: 'a' }, {}],
    ['keep everything', ['a', 'b'], { a: '1', b: '2' }, { a: '1', b: '2' }],
    ['reserved labels go too', ['a'], { __tenant_id__: 't', a: '1' }, { a: '1' }],
  ];
  for (const [name, allow, labelsIn, labelsOut] of cases) {
    it(name, () => {
      const shared = Object.freeze({ ...labelsIn });
      const out = run(build(`labelallow: ${JSON.stringify(allow)}\n`), [entry('l', { labels: shared })]);
      assert.deepEqual(out.emitted[0]!.labels, labelsOut);
      assert.deepEqual(shared, labelsIn);
      if (JSON.stringify(labelsIn) === JSON.stringify(labelsOut))
        assert.equal(out.emitted[0]!.labels, shared);
    });
  }
});
