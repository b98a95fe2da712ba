import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { ConfigError, ConfigNode, ConfigWarnings } from '../../src/config/reader.js';
import { silentLogger } from '../../src/log.js';
import { createMetrics } from '../../src/metrics.js';
import { createStageContext, Pipeline } from '../../src/pipeline/pipeline.js';
import type { Entry, LabelSet } from '../../src/types.js';

const metrics = createMetrics(new Registry());
const readTime = 1_700_000_000_000_000_000n;

function dockerPipeline(options = '{}') {
  const got: Entry[] = [];
  const list = ConfigNode.parse(`- docker: ${options}\n`, 'test.yaml');
  const p = new Pipeline(list, createStageContext('test', silentLogger, metrics), (e) => got.push(e));
  return { p, got };
}

function entry(line: string, labels: LabelSet = { job: 'test' }): Entry {
  return { labels, timestamp: readTime, line, extracted: {} };
}

function one(line: string): Entry {
  const { p, got } = dockerPipeline();
  p.process(entry(line));
  assert.equal(got.length, 1);
  return got[0]!;
}

describe('docker stage', () => {
  it('parses the json-file fixture: line with its newline, stream label, nanosecond time, fudge, non-JSON', () => {
    const expected = JSON.parse(readFileSync('fixtures/logs/docker/json-file.expected.json', 'utf8')) as {
      labels: LabelSet;
      entries: { labels: LabelSet; timestamp: string; line: string }[];
    };
    const { p, got } = dockerPipeline();
    const text = readFileSync('fixtures/logs/docker/json-file.log', 'utf8');
    for (const line of text.slice(0, -1).split('\n')) p.process(entry(line, expected.labels));
    assert.deepEqual(
      got.map((e) => ({ labels: e.labels, timestamp: String(e.timestamp), line: e.line })),
      expected.entries,
    );
  });

  const table: {
    name: string;
    line: string;
    want: { line: string; labels: LabelSet; timestamp: bigint; extracted?: Record<string, unknown> };
  }[] = [
    {
      name: 'happy path keeps the trailing newline (Promtail test vector)',
      line: '{"log":"log message\\n","stream":"stderr","time":"2019-04-30T02:12:41.8443515Z"}',
      want: {
        line: 'log message\n',
        labels: { job: 'test', stream: 'stderr' },
        timestamp: 1_556_590_361_844_351_500n,
        extracted: {
          job: 'test',
          output: 'log message\n',
          stream: 'stderr',
          timestamp: '2019-04-30T02:12:41.8443515Z',
        },
      },
    },
    {
      name: 'time with an offset',
      line: '{"log":"x","stream":"stdout","time":"2019-04-30T04:12:41.000000001+02:00"}',
      want: { line: 'x', labels: { job: 'test', stream: 'stdout' }, timestamp: 1_556_590_361_000_000_001n },
    },
    {
      name: 'invalid timestamp keeps the read time',
      line: '{"log":"log message\\n","stream":"stderr","time":"hi!"}',
      want: { line: 'log message\n', labels: { job: 'test', stream: 'stderr' }, timestamp: readTime },
    },
    {
      name: 'invalid JSON passes through',
      line: "i'm not json!",
      want: {
        line: "i'm not json!",
        labels: { job: 'test' },
        timestamp: readTime,
        extracted: { job: 'test' },
      },
    },
    {
      name: 'a JSON array is not an object: passes through',
      line: '["log"]',
      want: { line: '["log"]', labels: { job: 'test' }, timestamp: readTime, extracted: { job: 'test' } },
    },
    {
      name: 'a JSON string is not an object: passes through',
      line: '"log"',
      want: { line: '"log"', labels: { job: 'test' }, timestamp: readTime },
    },
    {
      name: 'missing log keeps the line; missing fields are extracted as null',
      line: '{"stream":"stdout"}',
      want: {
        line: '{"stream":"stdout"}',
        labels: { job: 'test', stream: 'stdout' },
        timestamp: readTime,
        extracted: { job: 'test', output: null, stream: 'stdout', timestamp: null },
      },
    },
    {
      name: 'JSON null extracts nulls',
      line: 'null',
      want: {
        line: 'null',
        labels: { job: 'test' },
        timestamp: readTime,
        extracted: { job: 'test', output: null, stream: null, timestamp: null },
      },
    },
    {
      name: 'a number log becomes its text',
      line: '{"log":5,"stream":"stdout","time":"2019-04-30T02:12:41Z"}',
      want: { line: '5', labels: { job: 'test', stream: 'stdout' }, timestamp: 1_556_590_361_000_000_000n },
    },
    {
      name: 'an object log is extracted as JSON text and becomes the line',
      line: '{"log":{"a":1},"stream":"stdout","time":"2019-04-30T02:12:41Z"}',
      want: {
        line: '{"a":1}',
        labels: { job: 'test', stream: 'stdout' },
        timestamp: 1_556_590_361_000_000_000n,
      },
    },
  ];
  for (const c of table) {
    it(c.name, () => {
      const out = one(c.line);
      assert.equal(out.line, c.want.line);
      assert.deepEqual(out.labels, c.want.labels);
      assert.equal(out.timestamp, c.want.timestamp);
      if (c.want.extracted) assert.deepEqual({ ...out.extracted }, c.want.extracted);
    });
  }

  it("starts by copying the entry's labels into the extracted values, as Promtail's docker pipeline", () => {
    const list = ConfigNode.parse(
      '- static_labels: {env: prod}\n- docker: {}\n- template: {source: seen, template: "{{ .env }}/{{ .job }}"}\n',
      'test.yaml',
    );
    const got: Entry[] = [];
    const p = new Pipeline(list, createStageContext('test', silentLogger, metrics), (e) => got.push(e));
    p.process(entry('{"log":"x\\n","stream":"stdout","time":"2019-04-30T02:12:41.8443515Z"}'));
    p.close();
    assert.equal(got[0]!.extracted.seen, 'prod/test');
    assert.equal(got[0]!.extracted.stream, 'stdout');
  });

  it('shares one output label set per input label set and stream', () => {
    const { p, got } = dockerPipeline();
    const labels = { job: 'x' };
    p.process(entry('{"log":"a","stream":"stdout"}', labels));
    p.process(entry('{"log":"b","stream":"stdout"}', { ...labels }));
    assert.equal(got[0]!.labels, got[1]!.labels);
  });

  it('ignores options with a warning, as Promtail ignores them (an error under -config.strict)', () => {
    const warnings = new ConfigWarnings();
    const list = ConfigNode.parse('- docker: {max_partial_lines: 3}\n', 'test.yaml', { warnings });
    new Pipeline(list, createStageContext('test', silentLogger, metrics), () => {}).close();
    assert.equal(warnings.list[0]?.key, '[0].docker.max_partial_lines');
    const strict = ConfigNode.parse('- docker: {max_partial_lines: 3}\n', 'test.yaml', {
      warnings: new ConfigWarnings(true),
    });
    assert.throws(
      () => new Pipeline(strict, createStageContext('test', silentLogger, metrics), () => {}),
      (e: unknown) =>
        e instanceof ConfigError && /\[0\]\.docker\.max_partial_lines: unknown key/.test(e.message),
    );
  });
});
