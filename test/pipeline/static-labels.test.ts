import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/config/reader.js';
import type { LabelSet } from '../../src/types.js';
import { entry, harness, run } from '../support/stage-harness.js';

const build = (yaml: string) => harness().build(yaml, 'static_labels');

describe('static_labels stage', () => {
  const errors: [string, string, RegExp][] = [
    ['empty', 'static_labels:\n', /test.yaml:1: static_labels: static_labels stage config cannot be empty/],
    ['a list', 'static_labels: [a]\n', /static_labels stage config must be a mapping/],
    [
      'invalid name',
      'static_labels:\n  ok: "1"\n  "not-ok": "2"\n',
      /test.yaml:3: static_labels.not-ok: invalid label name: not-ok/,
    ],
  ];
  for (const [name, yaml, message] of errors) {
    it(name, () =>
      assert.throws(
        () => build(yaml),
        (e: unknown) => e instanceof ConfigError && message.test(e.message),
      ),
    );
  }

  const cases: [string, string, LabelSet, LabelSet][] = [
    ['adds a label', 'staticLabel: staticValue', {}, { staticLabel: 'staticValue' }],
    ['adds several', 'a: "1"\n  b: two', { job: 'j' }, { job: 'j', a: '1', b: 'two' }],
    ['replaces a label', 'level: fixed', { level: 'old' }, { level: 'fixed' }],
    ['a number is its text', 'code: 007', {}, { code: '007' }],
    ['an empty value is not set', 'empty: ""', { empty: 'kept' }, { empty: 'kept' }],
    ['no value is not set', 'empty:', {}, {}],
  ];
  for (const [name, options, labelsIn, labelsOut] of cases) {
    it(name, () => {
      const shared = Object.freeze({ ...labelsIn });
      const out = run(build(`static_labels:\n  ${options}\n`), [entry('l', { labels: shared })]);
      assert.deepEqual(out.emitted[0]!.labels, labelsOut);
      assert.deepEqual(shared, labelsIn);
    });
  }

  it('keeps the label object when the labels are already there', () => {
    const shared = Object.freeze({ a: '1' });
    const out = run(build('static_labels:\n  a: "1"\n'), [entry('l', { labels: shared })]);
    assert.equal(out.emitted[0]!.labels, shared);
  });
});
