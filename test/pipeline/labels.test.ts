import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, ConfigWarnings } from '../../src/config/reader.js';
import type { LabelSet } from '../../src/types.js';
import { entry, harness, run } from '../support/stage-harness.js';

const build = (yaml: string) => harness().build(yaml, 'labels');

describe('labels stage: options', () => {
  const errors: [string, string, RegExp][] = [
    ['empty', 'labels:\n', /test.yaml:1: labels: label stage config cannot be empty/],
    ['a list', 'labels: [a]\n', /test.yaml:1: labels: label stage config must be a mapping/],
    [
      'invalid name',
      'labels:\n  "#*FDDS*":\n',
      /test.yaml:2: labels.#\*FDDS\*: invalid label name: #\*FDDS\*/,
    ],
    ['name with a dot', 'labels:\n  ok:\n  a.b: x\n', /test.yaml:3: labels.a.b: invalid label name: a.b/],
    ['name starting with a digit', 'labels:\n  1a:\n', /invalid label name: 1a/],
  ];
  for (const [name, yaml, message] of errors) {
    it(name, () =>
      assert.throws(
        () => build(yaml),
        (e: unknown) => e instanceof ConfigError && message.test(e.message),
      ),
    );
  }

  it('an empty mapping is a stage that does nothing', () => {
    const labels = { a: '1' };
    const out = run(build('labels: {}\n'), [entry('x', { labels, extracted: { a: '2' } })]);
    assert.equal(out.emitted[0]!.labels, labels);
  });
});

describe('labels stage: values', () => {
  // [name, options, extracted, labels in, labels out]
  const cases: [string, string, Record<string, unknown>, LabelSet, LabelSet][] = [
    ['same name', 'testLabel:', { testLabel: 'testValue' }, {}, { testLabel: 'testValue' }],
    [
      'empty source is the same name',
      'testLabel: ""',
      { testLabel: 'testValue' },
      {},
      { testLabel: 'testValue' },
    ],
    [
      'different source name',
      'testLabel: diff_source',
      { diff_source: 'testValue' },
      {},
      { testLabel: 'testValue' },
    ],
    ['empty extracted data', 'testLabel: diff_source', {}, {}, {}],
    // Promtail ships labels starting with __ that a stage sets.
    ['a __ label', '__tenant_hint: t', { t: 'x' }, { job: 'j' }, { job: 'j', __tenant_hint: 'x' }],
    // Not valid UTF-8 in the file (decoded as U+FFFD): skipped, as Promtail skips it.
    ['invalid UTF-8 is skipped', 'level:', { level: 'w\uFFFDrn' }, { job: 'j' }, { job: 'j' }],
    [
      'json example',
      'level:\napp: app_rename',
      { level: 'WARN', app_rename: 'loki' },
      {},
      { level: 'WARN', app: 'loki' },
    ],
    ['an integer', 'code:', { code: 200 }, {}, { code: '200' }],
    ['a float', 'ratio:', { ratio: 0.25 }, {}, { ratio: '0.25' }],
    ['a boolean', 'ok:', { ok: false }, {}, { ok: 'false' }],
    ['null is skipped', 'level:', { level: null }, { level: 'old' }, { level: 'old' }],
    ['an object is skipped', 'level:', { level: { a: 1 } }, {}, {}],
    ['an array is skipped', 'level:', { level: [1] }, {}, {}],
    ['invalid UTF-8 is skipped', 'level:', { level: 'a\uD800b' }, {}, {}],
    ['an empty value is set', 'level:', { level: '' }, {}, { level: '' }],
    [
      'replaces an existing label',
      'level:',
      { level: 'info' },
      { level: 'debug', job: 'j' },
      { level: 'info', job: 'j' },
    ],
    ['unicode values', 'msg:', { msg: 'héllo 🌍' }, {}, { msg: 'héllo 🌍' }],
  ];
  for (const [name, options, extracted, labelsIn, labelsOut] of cases) {
    it(name, () => {
      const yaml = `labels:\n${options
        .split('\n')
        .map((l) => `  ${l}`)
        .join('\n')}\n`;
      const shared = Object.freeze({ ...labelsIn });
      const out = run(build(yaml), [entry('line', { labels: shared, extracted })]);
      assert.deepEqual(out.emitted[0]!.labels, labelsOut);
      assert.deepEqual(shared, labelsIn);
    });
  }

  it('never changes a shared label object, and keeps it when nothing changes', () => {
    const shared = Object.freeze({ job: 'j', level: 'info' });
    const stage = build('labels:\n  level:\n');
    const a = entry('a', { labels: shared, extracted: { level: 'warn' } });
    const b = entry('b', { labels: shared, extracted: { level: 'info' } });
    const c = entry('c', { labels: shared, extracted: {} });
    run(stage, [a, b, c]);
    assert.deepEqual(a.labels, { job: 'j', level: 'warn' });
    assert.notEqual(a.labels, shared);
    assert.equal(b.labels, shared);
    assert.equal(c.labels, shared);
    assert.deepEqual(shared, { job: 'j', level: 'info' });
  });

  it('entries of a stream with the same values share one label object (the client caches by object)', () => {
    const shared = Object.freeze({ job: 'j' });
    const other = Object.freeze({ job: 'k' });
    const stage = build('labels:\n  level:\n  app: application\n');
    const e = (labels: LabelSet, extracted: Record<string, unknown>) => entry('x', { labels, extracted });
    const [a, b, c, d, f] = [
      e(shared, { level: 'warn', application: 'api' }),
      e(shared, { level: 'warn', application: 'api' }),
      e(shared, { level: 'warn', application: 'web' }),
      e(shared, { level: 'warn' }),
      e(other, { level: 'warn', application: 'api' }),
    ];
    run(stage, [a!, b!, c!, d!, f!]);
    assert.equal(a!.labels, b!.labels);
    assert.deepEqual(a!.labels, { job: 'j', level: 'warn', app: 'api' });
    assert.deepEqual(c!.labels, { job: 'j', level: 'warn', app: 'web' });
    assert.deepEqual(d!.labels, { job: 'j', level: 'warn' });
    assert.deepEqual(f!.labels, { job: 'k', level: 'warn', app: 'api' });
    assert.notEqual(a!.labels, f!.labels);
  });
});

describe('labels stage: the cardinality guard (logferry only)', () => {
  const table: [string, boolean][] = [
    ['trace_id:', true],
    ['requestId: request_id', true],
    ['uuid:', true],
    ['client_ip:', true],
    ['ts: timestamp', true],
    ['sha256:', true],
    ['level:', false],
    ['app:\n  method:\n  status:', false],
  ];
  for (const [options, warns] of table) {
    it(`${options.replace(/\n\s*/g, ' ')} ${warns ? 'warns' : 'does not warn'}, even under -config.strict`, () => {
      const yaml = `labels:\n${options
        .split('\n')
        .map((l) => (l.startsWith('  ') ? l : `  ${l}`))
        .join('\n')}\n`;
      const warnings = new ConfigWarnings(true);
      harness().build(yaml, undefined, warnings);
      assert.equal(warnings.list.length, warns ? 1 : 0, JSON.stringify(warnings.list));
      if (warns) {
        assert.equal(warnings.list[0]!.line, 2);
        assert.match(warnings.list[0]!.reason, /Use structured_metadata for it instead/);
      }
    });
  }
});
