import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/config/reader.js';
import { type LabelSet, ReservedLabels } from '../../src/types.js';
import { entry, harness, run } from '../support/stage-harness.js';

const build = (yaml: string) => harness().build(yaml, 'tenant');
const T = ReservedLabels.tenantId;

describe('tenant stage: options', () => {
  const errors: [string, string, RegExp][] = [
    ['empty', 'tenant:\n', /test.yaml:1: tenant: label, source or value config are required/],
    ['all empty', 'tenant:\n  source: ""\n', /label, source or value config are required/],
    [
      'source and value',
      'tenant:\n  source: a\n  value: b\n',
      /test.yaml:2: tenant: label, source and value are mutually exclusive/,
    ],
    ['label and value', 'tenant:\n  label: a\n  value: b\n', /mutually exclusive/],
    ['label and source', 'tenant:\n  label: a\n  source: b\n', /mutually exclusive/],
    ['unknown key', 'tenant:\n  value: a\n  tenant_id: b\n', /test.yaml:3: tenant.tenant_id: unknown key/],
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

describe('tenant stage: the tenant', () => {
  // [name, options, extracted, labels in, tenant out (undefined: label absent)]
  const cases: [string, string, Record<string, unknown>, LabelSet, string | undefined][] = [
    ['a fixed value', 'value: team-api', {}, {}, 'team-api'],
    ['a fixed value replaces a tenant', 'value: team-b', {}, { [T]: 'team-a' }, 'team-b'],
    ['from extracted data', 'source: customer_id', { customer_id: '1' }, {}, '1'],
    ['from an extracted number', 'source: customer_id', { customer_id: 12 }, {}, '12'],
    ['missing extracted data: unchanged', 'source: customer_id', {}, {}, undefined],
    ['missing extracted data keeps a tenant', 'source: customer_id', {}, { [T]: 'team-a' }, 'team-a'],
    ['null extracted data: unchanged', 'source: customer_id', { customer_id: null }, {}, undefined],
    ['an object: unchanged', 'source: customer_id', { customer_id: { a: 1 } }, {}, undefined],
    ['an empty value: unchanged', 'source: customer_id', { customer_id: '' }, {}, undefined],
    ['from a label', 'label: namespace', {}, { namespace: 'dev' }, 'dev'],
    ['a missing label: unchanged', 'label: namespace', {}, { app: 'x' }, undefined],
  ];
  for (const [name, options, extracted, labelsIn, tenant] of cases) {
    it(name, () => {
      const shared = Object.freeze({ ...labelsIn });
      const out = run(build(`tenant:\n  ${options}\n`), [entry('l', { labels: shared, extracted })]);
      const labels = out.emitted[0]!.labels;
      assert.equal(labels[T], tenant);
      assert.deepEqual(shared, labelsIn);
      const { [T]: _, ...rest } = labels;
      const { [T]: __, ...restIn } = labelsIn;
      assert.deepEqual(rest, restIn);
    });
  }
});
