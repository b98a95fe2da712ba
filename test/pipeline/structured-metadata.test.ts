import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/config/reader.js';
import { stageDefinitions } from '../../src/pipeline/stages/index.js';
import { structuredMetadataStage } from '../../src/pipeline/stages/structured_metadata.js';
import type { LabelSet } from '../../src/types.js';
import { entry, harness, run } from '../support/stage-harness.js';

describe('structured_metadata stage: options', () => {
  it('is also non_indexed_labels', () => {
    assert.deepEqual(structuredMetadataStage.aliases, ['non_indexed_labels']);
    assert.equal(stageDefinitions.get('non_indexed_labels'), structuredMetadataStage);
    const out = run(harness().build('non_indexed_labels:\n  app:\n'), [
      entry('l', { extracted: { app: 'loki' } }),
    ]);
    assert.deepEqual(out.emitted[0]!.structuredMetadata, { app: 'loki' });
  });

  const errors: [string, string, RegExp][] = [
    [
      'empty',
      'structured_metadata:\n',
      /test.yaml:1: structured_metadata: structured_metadata stage config cannot be empty/,
    ],
    ['a list', 'structured_metadata: [a]\n', /must be a mapping/],
    [
      'invalid name',
      'structured_metadata:\n  trace-id:\n',
      /test.yaml:2: structured_metadata.trace-id: invalid label name: trace-id/,
    ],
  ];
  for (const [name, yaml, message] of errors) {
    it(name, () =>
      assert.throws(
        () => harness().build(yaml),
        (e: unknown) => e instanceof ConfigError && message.test(e.message),
      ),
    );
  }
});

describe('structured_metadata stage: values', () => {
  // [name, options, extracted, labels in, metadata in, labels out, metadata out]
  const cases: [
    string,
    string,
    Record<string, unknown>,
    LabelSet,
    LabelSet | undefined,
    LabelSet,
    LabelSet | undefined,
  ][] = [
    ['from extracted', 'app:', { app: 'loki', component: 'ingester' }, {}, undefined, {}, { app: 'loki' }],
    [
      'from another extracted name',
      'trace_id: traceID',
      { traceID: '0242ac120002' },
      {},
      undefined,
      {},
      { trace_id: '0242ac120002' },
    ],
    ['a number', 'status:', { status: 404 }, {}, undefined, {}, { status: '404' }],
    ['null is skipped', 'app:', { app: null }, {}, undefined, {}, undefined],
    ['an object is skipped', 'app:', { app: {} }, {}, undefined, {}, undefined],
    ['missing: nothing', 'app:', {}, { job: 'j' }, undefined, { job: 'j' }, undefined],
    [
      'a stream label moves to the metadata',
      'pod_uid:\n  pod_host_ip:',
      {},
      { pod_uid: 'b3937321', pod_host_ip: '127.0.0.1', job: 'j' },
      undefined,
      { job: 'j' },
      { pod_uid: 'b3937321', pod_host_ip: '127.0.0.1' },
    ],
    [
      'a stream label under another name',
      'uid: pod_uid',
      {},
      { pod_uid: 'b39', job: 'j' },
      undefined,
      { job: 'j' },
      { uid: 'b39' },
    ],
    // Promtail 3.6 (2.9 let the label win and removed it).
    [
      'the extracted value wins over a label, which stays when it differs (3.6)',
      'app:',
      { app: 'extracted' },
      { app: 'label', job: 'j' },
      undefined,
      { app: 'label', job: 'j' },
      { app: 'extracted' },
    ],
    [
      'a label equal to the extracted value leaves the stream (3.6)',
      'app:',
      { app: 'same' },
      { app: 'same', job: 'j' },
      undefined,
      { job: 'j' },
      { app: 'same' },
    ],
    [
      'adds to existing metadata',
      'app:',
      { app: 'loki' },
      {},
      { trace: 't' },
      {},
      { trace: 't', app: 'loki' },
    ],
    ['replaces existing metadata', 'app:', { app: 'new' }, {}, { app: 'old' }, {}, { app: 'new' }],
  ];
  for (const [name, options, extracted, labelsIn, metaIn, labelsOut, metaOut] of cases) {
    it(name, () => {
      const yaml = `structured_metadata:\n${options
        .split('\n')
        .map((l) => (l.startsWith('  ') ? l : `  ${l}`))
        .join('\n')}\n`;
      const shared = Object.freeze({ ...labelsIn });
      const sharedMeta = metaIn ? Object.freeze({ ...metaIn }) : undefined;
      const e = entry('line', {
        labels: shared,
        extracted,
        ...(sharedMeta ? { structuredMetadata: sharedMeta } : {}),
      });
      run(harness().build(yaml), [e]);
      assert.deepEqual(e.labels, labelsOut);
      assert.deepEqual(e.structuredMetadata, metaOut);
      assert.deepEqual(shared, labelsIn);
      if (metaIn) assert.deepEqual(sharedMeta, metaIn);
      assert.equal(e.line, 'line');
    });
  }
});
