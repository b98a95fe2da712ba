import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, ConfigNode } from '../../src/config/reader.js';
import { silentLogger } from '../../src/log.js';
import { createStageContext, Pipeline } from '../../src/pipeline/pipeline.js';
import { packJsonString } from '../../src/pipeline/stages/pack.js';
import { type Entry, type LabelSet, nowNanos } from '../../src/types.js';
import { entry, harness, run } from '../support/stage-harness.js';

const build = (yaml: string) => harness().build(yaml, 'pack');

/** As the pipeline does: the labels the entry starts with are extracted values too. */
function seeded(labels: LabelSet, extracted: Record<string, unknown> = {}) {
  return { labels, extracted: { ...labels, ...extracted }, timestamp: 1_000_000_000n };
}

describe('pack stage: options', () => {
  const errors: [string, string, RegExp][] = [
    ['unknown key', 'pack:\n  labels: [a]\n  ingest: false\n', /test.yaml:3: pack.ingest: unknown key/],
    ['labels not a list', 'pack:\n  labels: a\n', /test.yaml:2: pack.labels: expected a list/],
    [
      'ingest_timestamp not a boolean',
      'pack:\n  ingest_timestamp: maybe\n',
      /test.yaml:2: pack.ingest_timestamp: expected true or false/,
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
});

describe('pack stage: Promtail test_packStage_Run', () => {
  // [name, labels option, extracted besides labels, labels out, line out]
  const cases: [string, string[] | null, Record<string, unknown>, LabelSet, string][] = [
    ['no supplied labels list', null, {}, { foo: 'bar', bar: 'baz' }, '{"_entry":"test line 1"}'],
    ['match one supplied label', ['foo'], {}, { bar: 'baz' }, '{"foo":"bar","_entry":"test line 1"}'],
    ['match all supplied labels', ['foo', 'bar'], {}, {}, '{"bar":"baz","foo":"bar","_entry":"test line 1"}'],
    [
      'match extracted map and labels',
      ['foo', 'extr1'],
      { extr1: 'etr1val', extr2: 'etr2val' },
      { bar: 'baz' },
      '{"extr1":"etr1val","foo":"bar","_entry":"test line 1"}',
    ],
    [
      'extracted map value not convertable to a string',
      ['foo', 'extr2'],
      { extr1: 'etr1val', extr2: [1, 2, 3] },
      { bar: 'baz' },
      '{"foo":"bar","_entry":"test line 1"}',
    ],
    [
      'escape quotes',
      ['foo', 'ex"tr2'],
      { extr1: 'etr1val', 'ex"tr2': '"fd"' },
      { bar: 'baz' },
      '{"ex\\"tr2":"\\"fd\\"","foo":"bar","_entry":"test line 1"}',
    ],
  ];
  for (const [name, labels, extracted, labelsOut, line] of cases) {
    it(name, () => {
      const yaml = `pack:\n${labels ? `  labels: ${JSON.stringify(labels)}\n` : ''}  ingest_timestamp: false\n`;
      const shared = Object.freeze({ foo: 'bar', bar: 'baz' });
      const e = entry('test line 1', seeded(shared, extracted));
      run(build(yaml), [e]);
      assert.deepEqual(e.labels, labelsOut);
      assert.equal(e.line, line);
      assert.equal(e.timestamp, 1_000_000_000n);
      assert.deepEqual(shared, { foo: 'bar', bar: 'baz' });
    });
  }
});

describe('pack stage: encoding', () => {
  const cases: [string, string, string][] = [
    ['plain', 'hello', '"hello"'],
    ['a JSON line', '{"level":"info","msg":"a"}', '"{\\"level\\":\\"info\\",\\"msg\\":\\"a\\"}"'],
    ['backslash', 'C:\\dir', '"C:\\\\dir"'],
    ['newline, return, tab', 'a\nb\rc\td', '"a\\nb\\rc\\td"'],
    ['other controls as \\u00XX', 'a\u0000b\u001fc\bd\fe', '"a\\u0000b\\u001fc\\u0008d\\u000ce"'],
    ['HTML characters', '<a href="x">&</a>', '"\\u003ca href=\\"x\\"\\u003e\\u0026\\u003c/a\\u003e"'],
    ['line and paragraph separators', 'a\u2028b\u2029c', '"a\\u2028b\\u2029c"'],
    ['DEL stays', 'a\u007fb', '"a\u007fb"'],
    ['unicode stays as it is', 'héllo 🌍 日本', '"héllo 🌍 日本"'],
    ['a lone surrogate (invalid UTF-8) is U+FFFD', 'a\uD800b\uDC00c', '"a\\ufffdb\\ufffdc"'],
    ['slash stays', 'a/b', '"a/b"'],
  ];
  for (const [name, s, want] of cases) {
    it(name, () => {
      assert.equal(packJsonString(s), want);
      const lone = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
      assert.equal(JSON.parse(want), s.replace(lone, '\uFFFD'));
    });
  }

  it('orders names by their bytes, as Go sort.Strings', () => {
    const e = entry('l', seeded({ b: '2', B: '1', a: '3', _x: '4', é: '5', z: '6' } as LabelSet));
    run(build('pack:\n  labels: [z, é, a, _x, B, b, a]\n  ingest_timestamp: false\n'), [e]);
    assert.equal(e.line, '{"B":"1","_x":"4","a":"3","b":"2","z":"6","é":"5","_entry":"l"}');
    assert.deepEqual(e.labels, {});
  });

  it('a label named _entry is written twice, as Promtail does', () => {
    const e = entry('line', seeded({ _entry: 'x' }));
    run(build('pack:\n  labels: [_entry]\n  ingest_timestamp: false\n'), [e]);
    assert.equal(e.line, '{"_entry":"x","_entry":"line"}');
  });
});

describe('pack stage: labels and timestamp', () => {
  it('numbers and booleans from extracted values become strings', () => {
    const e = entry('l', seeded({}, { n: 1.5, big: 1e21, ok: true }));
    run(build('pack:\n  labels: [n, big, ok]\n  ingest_timestamp: false\n'), [e]);
    assert.equal(e.line, '{"big":"1000000000000000000000","n":"1.5","ok":"true","_entry":"l"}');
  });

  it('a label added after the pipeline started is packed too', () => {
    const e = entry('l', { labels: { job: 'j', added: 'yes' }, extracted: { job: 'j' } });
    run(build('pack:\n  labels: [added]\n  ingest_timestamp: false\n'), [e]);
    assert.equal(e.line, '{"added":"yes","_entry":"l"}');
    assert.deepEqual(e.labels, { job: 'j' });
  });

  it('an extracted value that is not a label leaves the labels alone', () => {
    const shared = Object.freeze({ job: 'j' });
    const e = entry('l', seeded(shared, { level: 'info' }));
    run(build('pack:\n  labels: [level]\n  ingest_timestamp: false\n'), [e]);
    assert.equal(e.labels, shared);
    assert.equal(e.line, '{"level":"info","_entry":"l"}');
  });

  it('ingest_timestamp (default true) sets the time of packing', () => {
    for (const yaml of ['pack:\n', 'pack:\n  ingest_timestamp: true\n', 'pack:\n  labels: [job]\n']) {
      const before = nowNanos();
      const e = entry('l', seeded({ job: 'j' }));
      run(build(yaml), [e]);
      const after = nowNanos();
      assert.ok(e.timestamp >= before && e.timestamp <= after, yaml);
    }
  });

  it('packs each entry of a stream on its own', () => {
    const stage = build('pack:\n  labels: [pod, container]\n  ingest_timestamp: false\n');
    const a = entry('first', seeded({ pod: 'foo-xsfs3', container: 'foo', namespace: 'dev' }));
    const b = entry('second', seeded({ pod: 'foo-vvsdded', container: 'bar', namespace: 'dev' }));
    run(stage, [a, b]);
    assert.equal(a.line, '{"container":"foo","pod":"foo-xsfs3","_entry":"first"}');
    assert.equal(b.line, '{"container":"bar","pod":"foo-vvsdded","_entry":"second"}');
    assert.deepEqual(a.labels, { namespace: 'dev' });
    assert.deepEqual(b.labels, { namespace: 'dev' });
  });
});

describe('pack and the other label stages through a Pipeline', () => {
  it('output, decolorize, timestamp, static_labels, structured_metadata, tenant, pack, labeldrop', () => {
    const yaml = [
      'pipeline_stages:',
      '  - output: {source: msg}',
      '  - decolorize:',
      '  - timestamp: {source: ts, format: RFC3339Nano}',
      '  - static_labels: {cluster: c1}',
      '  - non_indexed_labels: {pod_uid:}',
      '  - tenant: {label: namespace}',
      '  - pack: {labels: [cluster], ingest_timestamp: false}',
      '  - labeldrop: [job]',
      '',
    ].join('\n');
    const list = ConfigNode.parse(yaml, 'test.yaml').get('pipeline_stages');
    const got: Entry[] = [];
    const pipeline = new Pipeline(list, createStageContext('test', silentLogger, harness().metrics), (e) =>
      got.push(e),
    );
    const labels = Object.freeze({ job: 'j', namespace: 'dev', pod_uid: 'b39' });
    pipeline.process({
      labels,
      timestamp: 1n,
      line: 'raw',
      extracted: { msg: '\u001b[31mhi\u001b[0m', ts: '2019-10-01T01:02:03.400000001Z' },
    });
    assert.equal(got.length, 1);
    const e = got[0]!;
    assert.equal(e.line, '{"cluster":"c1","_entry":"hi"}');
    assert.deepEqual(e.labels, { namespace: 'dev', __tenant_id__: 'dev' });
    assert.deepEqual(e.structuredMetadata, { pod_uid: 'b39' });
    assert.equal(e.timestamp, 1569891723400000001n);
    assert.deepEqual(labels, { job: 'j', namespace: 'dev', pod_uid: 'b39' });
    pipeline.close();
  });
});
