import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/config/reader.js';
import { entry, harness, run } from '../support/stage-harness.js';

const build = (yaml: string) => harness().build(yaml, 'output');

describe('output stage: options', () => {
  const errors: [string, string, RegExp][] = [
    ['empty', 'output:\n', /test.yaml:1: output: output stage config cannot be empty/],
    ['no source', 'output: {}\n', /test.yaml:1: output.source: output source value is required/],
    [
      'empty source',
      'output:\n  source: ""\n',
      /test.yaml:2: output.source: output source value is required/,
    ],
    ['unknown key', 'output:\n  source: msg\n  sorce: x\n', /test.yaml:3: output.sorce: unknown key/],
  ];
  for (const [name, yaml, message] of errors) {
    it(name, () =>
      assert.throws(
        () => build(yaml),
        (e: unknown) => e instanceof ConfigError && message.test(e.message),
      ),
    );
  }
});

describe('output stage: the line', () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ['a string', { something: 'notimportant', out: 'outmessage' }, 'outmessage'],
    ['an empty string', { out: '' }, ''],
    ['an integer', { out: 42 }, '42'],
    ['a float', { out: 1.5 }, '1.5'],
    ['a large float, without exponent (getString)', { out: 1e21 }, '1000000000000000000000'],
    ['a small float', { out: 0.000001 }, '0.000001'],
    ['a boolean', { out: true }, 'true'],
    ['a bigint', { out: 12345678901234567890n }, '12345678901234567890'],
    ['null: unchanged', { out: null }, 'replaceme'],
    ['an object: unchanged', { out: { child: 'value' } }, 'replaceme'],
    ['an array: unchanged', { out: ['parser', 'type'] }, 'replaceme'],
    ['missing: unchanged', { other: 'x' }, 'replaceme'],
  ];
  for (const [name, extracted, line] of cases) {
    it(name, () => {
      const out = run(build('output:\n  source: out\n'), [entry('replaceme', { extracted })]);
      assert.deepEqual(out.lines, [line]);
    });
  }

  it('leaves labels, timestamp and extracted alone', () => {
    const labels = { job: 'x' };
    const e = entry('replaceme', { labels, timestamp: 5n, extracted: { out: 'new' } });
    run(build('output:\n  source: out\n'), [e]);
    assert.equal(e.labels, labels);
    assert.equal(e.timestamp, 5n);
    assert.deepEqual(e.extracted, { out: 'new' });
  });
});
