import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { ConfigNode } from '../../src/config/reader.js';
import { createLogger } from '../../src/log.js';
import { createMetrics } from '../../src/metrics.js';
import {
  formatLabels,
  formatTimestamp,
  Inspector,
  type InspectorOptions,
} from '../../src/pipeline/inspect.js';
import { createStageContext, Pipeline } from '../../src/pipeline/pipeline.js';
import type { StageDefinition, StageOutput } from '../../src/pipeline/stage.js';
import { stageDefinitions } from '../../src/pipeline/stages/index.js';
import type { Entry } from '../../src/types.js';

// Test-only stages, so the inspector is shown on every kind of stage behaviour.

const dropIfStage: StageDefinition = {
  type: 'drop_if',
  create(options) {
    const contains = options.get('contains').string();
    const reason = options.get('reason').string();
    return {
      type: 'drop_if',
      process: (e, out) => (e.line.includes(contains) ? out.drop(e, reason) : out.emit(e)),
    };
  },
};

/** Sets `a`, changes `b`, removes `c` from the extracted values; adds structured metadata. */
const editStage: StageDefinition = {
  type: 'edit',
  create: () => ({
    type: 'edit',
    process(e, out) {
      e.extracted.a = 1;
      e.extracted.b = { nested: true };
      delete e.extracted.c;
      e.structuredMetadata = { trace_id: 'abc' };
      out.emit(e);
    },
  }),
};

/** Emits a new entry joining every two lines, as a multiline block would. */
const pairStage: StageDefinition = {
  type: 'pair',
  create() {
    let first: Entry | undefined;
    return {
      type: 'pair',
      process(e, out) {
        if (first === undefined) {
          first = e;
          return;
        }
        out.emit({
          labels: first.labels,
          timestamp: first.timestamp,
          line: `${first.line}\n${e.line}`,
          extracted: {},
        });
        first = undefined;
      },
    };
  },
};

const boomStage: StageDefinition = {
  type: 'boom',
  create: () => ({
    type: 'boom',
    process() {
      throw new Error('kaboom');
    },
  }),
};

/** Runs nested stages built through the context, as `match` does. */
const groupStage: StageDefinition = {
  type: 'group',
  create(options, ctx) {
    const [inner] = ctx.buildStages(options.get('stages'), ctx);
    return {
      type: 'group',
      process: (e: Entry, out: StageOutput) => inner!.process(e, out),
    };
  },
};

const definitions = new Map<string, StageDefinition>([
  ...stageDefinitions,
  ...[dropIfStage, editStage, pairStage, boomStage, groupStage].map((d) => [d.type, d] as const),
]);

const readTime = 1_700_000_000_000_000_000n;

class Capture {
  text = '';
  constructor(readonly isTTY?: boolean) {}
  write(s: string): boolean {
    this.text += s;
    return true;
  }
}

function inspect(yaml: string, lines: string[], capture = new Capture(), options?: InspectorOptions): string {
  const ctx = createStageContext(
    'inspect',
    createLogger({ write: () => {} }),
    createMetrics(new Registry()),
    definitions,
  );
  const got: Entry[] = [];
  const p = new Pipeline(ConfigNode.parse(yaml, 'inspect.yaml'), ctx, (e) => got.push(e), {
    inspector: new Inspector(capture, options),
  });
  for (const line of lines)
    p.process({ labels: { job: 'inspect' }, timestamp: readTime, line, extracted: {} });
  p.flush();
  p.close();
  return capture.text;
}

describe('Inspector', () => {
  it('prints what a cri pipeline does to each entry (golden text)', () => {
    const input = readFileSync('fixtures/logs/cri/inspect.log', 'utf8').slice(0, -1).split('\n');
    const text = inspect('- cri: {}\n- drop_if: {contains: debug, reason: noisy}\n', input);
    const golden = 'fixtures/logs/cri/inspect.golden.txt';
    if (process.env.UPDATE_GOLDEN) writeFileSync(golden, text);
    assert.equal(text, readFileSync(golden, 'utf8'));
  });

  it('shows extracted values added, changed and removed, and structured metadata', () => {
    const ctxYaml = '- edit: {}\n';
    const capture = new Capture();
    const ctx = createStageContext(
      'i',
      createLogger({ write: () => {} }),
      createMetrics(new Registry()),
      definitions,
    );
    const p = new Pipeline(ConfigNode.parse(ctxYaml, 'i.yaml'), ctx, () => {}, {
      inspector: new Inspector(capture),
    });
    p.process({ labels: {}, timestamp: 0n, line: 'x', extracted: { b: 'old', c: 'gone' } });
    assert.equal(
      capture.text,
      [
        '[inspect: entry] 1970-01-01T00:00:00Z {}',
        '\tx',
        '[inspect: edit stage]:',
        'extracted["a"]:',
        '\t+: 1',
        'extracted["b"]:',
        '\t-: old',
        '\t+: {"nested":true}',
        'extracted["c"]:',
        '\t-: gone',
        'structured_metadata:',
        '\t+: {trace_id="abc"}',
        '',
      ].join('\n'),
    );
  });

  it('shows an entry a stage made itself as new, with control characters quoted', () => {
    const text = inspect('- pair: {}\n', ['a', 'b']);
    assert.match(text, /\[inspect: pair stage\]: not passed on: held or merged into another entry\n/);
    assert.match(
      text,
      /\[inspect: pair stage\]: new entry\nlabels:\n\t\+: \{job="inspect"\}\ntimestamp:\n\t\+: 2023-11-14T22:13:20Z\nline:\n\t\+: "a\\nb"\n/,
    );
  });

  it('shows a stage that failed', () => {
    const text = inspect('- boom: {}\n', ['x']);
    assert.match(text, /\[inspect: boom stage\]: failed: kaboom\n/);
  });

  it('inspects nested stages built through the context', () => {
    const text = inspect('- group:\n    stages:\n      - drop_if: {contains: x, reason: nested}\n', ['x']);
    assert.match(text, /\[inspect: drop_if stage\]: dropped by drop_if \(nested\)\n/);
  });

  it('colours only a TTY, unless told', () => {
    const yaml = '- cri: {}\n';
    const line = ['2019-01-01T01:00:00Z stdout F x'];
    assert.doesNotMatch(inspect(yaml, line, new Capture(false)), /\u001b\[/);
    assert.doesNotMatch(inspect(yaml, line, new Capture()), /\u001b\[/);
    const tty = inspect(yaml, line, new Capture(true));
    assert.match(tty, /\[inspect: \u001b\[1mcri\u001b\[0m stage\]:/);
    assert.match(tty, /\u001b\[32m\t\+: x\u001b\[0m/);
    assert.match(tty, /\u001b\[33m\t-: 2019-01-01T01:00:00Z stdout F x\u001b\[0m/);
    assert.match(inspect(yaml, line, new Capture(false), { color: true }), /\u001b\[1m/);
    assert.doesNotMatch(inspect(yaml, line, new Capture(true), { color: false }), /\u001b\[/);
  });

  it('leaves the entries as the stages make them', () => {
    const ctx = createStageContext(
      'i',
      createLogger({ write: () => {} }),
      createMetrics(new Registry()),
      definitions,
    );
    const got: Entry[] = [];
    const p = new Pipeline(ConfigNode.parse('- cri: {}\n', 'i.yaml'), ctx, (e) => got.push(e), {
      inspector: new Inspector(new Capture()),
    });
    p.process({
      labels: { job: 'j' },
      timestamp: 0n,
      line: '2019-01-01T01:00:00Z stdout P a',
      extracted: {},
    });
    p.process({
      labels: { job: 'j' },
      timestamp: 0n,
      line: '2019-01-01T01:00:00Z stdout F b',
      extracted: {},
    });
    assert.deepEqual(
      got.map((e) => [e.line, e.labels]),
      [['ab', { job: 'j', stream: 'stdout' }]],
    );
  });
});

describe('formatTimestamp and formatLabels', () => {
  const times: [bigint, string][] = [
    [0n, '1970-01-01T00:00:00Z'],
    [1n, '1970-01-01T00:00:00.000000001Z'],
    [-1n, '1969-12-31T23:59:59.999999999Z'],
    [1_556_590_361_844_351_500n, '2019-04-30T02:12:41.8443515Z'],
  ];
  for (const [ns, text] of times) {
    it(`formats ${ns}`, () => assert.equal(formatTimestamp(ns), text));
  }
  it('formats labels sorted and quoted', () => {
    assert.equal(formatLabels({ b: 'x"y', a: '1' }), '{a="1", b="x\\"y"}');
  });
});
