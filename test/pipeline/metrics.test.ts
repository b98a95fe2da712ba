import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/config/reader.js';
import { extractedToFloat } from '../../src/pipeline/stages/metrics.js';
import { assertConfigError, entry, harness, Recorder, run, samples } from '../support/stage-harness.js';

const labels = { job: 'app', filename: '/var/log/a.log' };
const ls = 'filename="/var/log/a.log",job="app"';

/** Runs entries with these extracted maps through a metrics stage; returns the samples of `prefix`. */
async function record(yaml: string, extracted: Record<string, unknown>[], prefix: string, lines?: string[]) {
  const h = harness();
  const stage = h.build(yaml);
  const out = run(
    stage,
    extracted.map((x, i) => entry(lines?.[i] ?? 'line', { labels, extracted: x })),
  );
  assert.equal(out.emitted.length, extracted.length, 'every entry passes on');
  return { got: await samples(h.registry, prefix), h, stage };
}

describe('metrics stage: counters', () => {
  const table: {
    name: string;
    config: string;
    extracted: Record<string, unknown>[];
    want: string[];
    lines?: string[];
  }[] = [
    {
      name: 'inc when the source is present',
      config: 'action: inc',
      extracted: [{ hits: 'x' }, {}, { hits: null }, { other: 1 }],
      want: [`promtail_custom_hits{${ls}} 2`],
    },
    {
      name: 'inc only for the matching value',
      config: 'action: inc\n      value: error',
      extracted: [{ hits: 'error' }, { hits: 'info' }, { hits: 'error' }, { hits: null }],
      want: [`promtail_custom_hits{${ls}} 2`],
    },
    {
      name: 'value compared with the string form of numbers',
      config: 'action: inc\n      value: "500"',
      extracted: [{ hits: 500 }, { hits: '500' }, { hits: 500.5 }],
      want: [`promtail_custom_hits{${ls}} 2`],
    },
    {
      name: 'add numbers, numeric strings, durations in seconds, booleans',
      config: 'action: add',
      extracted: [{ hits: 1.5 }, { hits: '2' }, { hits: '250ms' }, { hits: true }, { hits: '1e2' }],
      want: [`promtail_custom_hits{${ls}} 104.75`],
    },
    {
      name: 'add skips values that are not numbers, and negative ones',
      config: 'action: add',
      extracted: [
        { hits: 'abc' },
        { hits: { a: 1 } },
        { hits: null },
        { hits: -3 },
        { hits: '1d' },
        { hits: 4 },
      ],
      want: [`promtail_custom_hits{${ls}} 4`],
    },
    {
      name: 'ADD in upper case',
      config: 'action: ADD',
      extracted: [{ hits: 2 }],
      want: [`promtail_custom_hits{${ls}} 2`],
    },
    {
      name: 'match_all counts every entry, whatever is extracted',
      config: 'action: inc\n      match_all: true',
      extracted: [{}, { x: 1 }, {}],
      want: [`promtail_custom_hits{${ls}} 3`],
    },
    {
      name: 'count_entry_bytes adds the UTF-8 length of each line',
      config: 'action: add\n      match_all: true\n      count_entry_bytes: true',
      extracted: [{}, {}],
      lines: ['abc', 'é€'],
      want: [`promtail_custom_hits{${ls}} 8`],
    },
    {
      name: 'match_all with add and no count_entry_bytes records nothing (as Promtail)',
      config: 'action: add\n      match_all: true',
      extracted: [{ hits: 3 }],
      want: [],
    },
  ];
  for (const c of table) {
    it(c.name, async () => {
      const { got } = await record(
        `metrics:\n  hits:\n    type: Counter\n    description: hits seen\n    config:\n      ${c.config}\n`,
        c.extracted,
        'promtail_custom_hits{',
        c.lines,
      );
      assert.deepEqual(got, c.want);
    });
  }

  it('exposes HELP and TYPE, and logs values it cannot use', async () => {
    const { h } = await record(
      'metrics:\n  hits:\n    type: counter\n    description: hits seen\n    config:\n      action: add\n',
      [{ hits: 'nope' }, { hits: -1 }],
      'x',
    );
    const text = await h.registry.metrics();
    assert.match(text, /# HELP promtail_custom_hits hits seen\n# TYPE promtail_custom_hits counter\n/);
    assert.ok(h.logs.some((l) => l.level === 'debug' && l.msg.includes('failed to convert extracted value')));
    assert.ok(h.logs.some((l) => l.level === 'warn' && l.msg.includes('negative value skipped')));
  });
});

describe('metrics stage: gauges', () => {
  const table: { action: string; extracted: Record<string, unknown>[]; want: number }[] = [
    { action: 'set', extracted: [{ g: '5' }, { g: 3.5 }], want: 3.5 },
    { action: 'set', extracted: [{ g: '5' }, { g: 'bad' }], want: 5 },
    { action: 'inc', extracted: [{ g: 'x' }, { g: 'y' }, {}], want: 2 },
    { action: 'dec', extracted: [{ g: 'x' }], want: -1 },
    { action: 'add', extracted: [{ g: 2 }, { g: '-0.5' }], want: 1.5 },
    { action: 'sub', extracted: [{ g: 2 }, { g: '1s' }], want: -3 },
  ];
  for (const c of table) {
    it(`${c.action}: ${JSON.stringify(c.extracted)}`, async () => {
      const { got } = await record(
        `metrics:\n  g:\n    type: Gauge\n    config:\n      action: ${c.action}\n`,
        c.extracted,
        'promtail_custom_g{',
      );
      assert.deepEqual(got, [`promtail_custom_g{${ls}} ${c.want}`]);
    });
  }

  it('value filters a gauge', async () => {
    const { got } = await record(
      'metrics:\n  g:\n    type: gauge\n    source: level\n    config:\n      action: inc\n      value: warn\n',
      [{ level: 'warn' }, { level: 'info' }],
      'promtail_custom_g{',
    );
    assert.deepEqual(got, [`promtail_custom_g{${ls}} 1`]);
  });
});

describe('metrics stage: histograms', () => {
  it('observes values into the given buckets', async () => {
    const { got } = await record(
      'metrics:\n  latency:\n    type: Histogram\n    source: duration\n    config:\n      buckets: [0.1, 1, 10, 1000000]\n',
      [
        { duration: '0.05' },
        { duration: '500ms' },
        { duration: 1 },
        { duration: '20' },
        { duration: 'x' },
        {},
      ],
      'promtail_custom_latency',
    );
    assert.deepEqual(got, [
      `promtail_custom_latency_bucket{${ls},le="0.1"} 1`,
      `promtail_custom_latency_bucket{${ls},le="1"} 3`,
      `promtail_custom_latency_bucket{${ls},le="10"} 3`,
      `promtail_custom_latency_bucket{${ls},le="1e+06"} 4`,
      `promtail_custom_latency_bucket{${ls},le="+Inf"} 4`,
      `promtail_custom_latency_sum{${ls}} 21.55`,
      `promtail_custom_latency_count{${ls}} 4`,
    ]);
  });

  it("uses Prometheus's default buckets; a trailing +Inf is implicit", async () => {
    const dflt = await record(
      'metrics:\n  h:\n    type: histogram\n    config: {}\n',
      [{ h: 0.3 }],
      'promtail_custom_h_bucket',
    );
    assert.deepEqual(
      dflt.got.map((l) => /le="([^"]+)"/.exec(l)![1]),
      ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf'],
    );
    const inf = await record(
      'metrics:\n  h:\n    type: histogram\n    config:\n      buckets: [1, .inf]\n',
      [{ h: 2 }],
      'promtail_custom_h_bucket',
    );
    assert.deepEqual(inf.got, [
      `promtail_custom_h_bucket{${ls},le="1"} 0`,
      `promtail_custom_h_bucket{${ls},le="+Inf"} 1`,
    ]);
  });

  it('value filters a histogram', async () => {
    const { got } = await record(
      'metrics:\n  h:\n    type: histogram\n    config:\n      value: "2"\n      buckets: [1, 5]\n',
      [{ h: 2 }, { h: 3 }],
      'promtail_custom_h_count',
    );
    assert.deepEqual(got, [`promtail_custom_h_count{${ls}} 1`]);
  });
});

describe('metrics stage: series', () => {
  it("labels series with the entry's labels, leaving out __ and invalid names", async () => {
    const h = harness();
    const stage = h.build(
      'metrics:\n  n:\n    type: counter\n    prefix: my_\n    config:\n      match_all: true\n      action: inc\n',
    );
    run(stage, [
      entry('a', { labels: { job: 'a', __path__: '/x', 'bad-name': 'v' } }),
      entry('b', { labels: { job: 'b' } }),
      entry('a', { labels: { job: 'a', __tenant_id__: 't' } }),
      entry('none', { labels: {} }),
    ]);
    assert.deepEqual(await samples(h.registry, 'my_n'), ['my_n{job="a"} 2', 'my_n{job="b"} 1', 'my_n 1']);
  });

  it('removes series idle for max_idle_duration', async (t) => {
    // Time is the subject: Date runs on node:test's mock timers.
    t.mock.timers.enable({ apis: ['Date'], now: 0 });
    const h = harness();
    const stage = h.build(
      'metrics:\n  idle:\n    type: gauge\n    max_idle_duration: 1s\n    config:\n      action: set\n',
    );
    const out = new Recorder();
    const start = Date.now();
    stage.process(entry('x', { labels: { job: 'old' }, extracted: { idle: 1 } }), out);
    assert.deepEqual(await samples(h.registry, 'promtail_custom_idle'), [
      'promtail_custom_idle{job="old"} 1',
    ]);
    let fresh = 0;
    const deadline = start + 5000;
    // Keep one series fresh while the other goes idle, 20 ms at a time.
    while (Date.now() < deadline) {
      stage.process(entry('y', { labels: { job: 'fresh' }, extracted: { idle: ++fresh } }), out);
      const got = await samples(h.registry, 'promtail_custom_idle');
      if (!got.some((l) => l.includes('old'))) break;
      t.mock.timers.tick(20);
    }
    const elapsed = Date.now() - start;
    const got = await samples(h.registry, 'promtail_custom_idle');
    assert.deepEqual(got, [`promtail_custom_idle{job="fresh"} ${fresh}`]);
    assert.ok(elapsed >= 1000 && elapsed < 5000, `removed after ${elapsed} ms`);
    stage.close!();
  });

  it('several metrics in one stage, source defaulting to the name', async () => {
    const { got } = await record(
      [
        'metrics:',
        '  a_total:',
        '    type: counter',
        '    config: {action: inc}',
        '  b:',
        '    type: gauge',
        '    source: a_total',
        '    config: {action: set}',
      ].join('\n'),
      [{ a_total: '7' }],
      'promtail_custom_',
    );
    assert.deepEqual(got, [`promtail_custom_a_total{${ls}} 1`, `promtail_custom_b{${ls}} 7`]);
  });
});

describe('metrics stage: one metric, several stages', () => {
  const yaml =
    'metrics:\n  shared:\n    type: counter\n    config:\n      match_all: true\n      action: inc\n';

  it('stages defining the same metric share it; it leaves the registry with the last one', async () => {
    const h = harness();
    const s1 = h.build(yaml);
    const s2 = h.build(yaml);
    run(s1, [entry('x', { labels: { job: 'a' } })]);
    run(s2, [entry('x', { labels: { job: 'a' } }), entry('y', { labels: { job: 'b' } })]);
    assert.deepEqual(await samples(h.registry, 'promtail_custom_shared'), [
      'promtail_custom_shared{job="a"} 2',
      'promtail_custom_shared{job="b"} 1',
    ]);
    s1.close!();
    assert.equal((await samples(h.registry, 'promtail_custom_shared')).length, 2);
    s2.close!();
    assert.deepEqual(await samples(h.registry, 'promtail_custom_shared'), []);
    // Defined again after (a reload: the old pipelines are closed first), it starts from zero, as in
    // Promtail 3.1 and later, whose metrics stage deletes its series when a reload cleans it up.
    const s3 = h.build(yaml);
    run(s3, [entry('x', { labels: { job: 'a' } })]);
    assert.deepEqual(await samples(h.registry, 'promtail_custom_shared'), [
      'promtail_custom_shared{job="a"} 1',
    ]);
  });

  it('a definition of another type replaces the metric, with a warning', async () => {
    const h = harness();
    const s1 = h.build(yaml);
    const s2 = h.build('metrics:\n  shared:\n    type: gauge\n    config:\n      action: inc\n');
    run(s1, [entry('x', { labels: { job: 'a' } })]);
    run(s2, [entry('x', { labels: { job: 'a' }, extracted: { shared: 1 } })]);
    const text = await h.registry.metrics();
    assert.match(text, /# TYPE promtail_custom_shared gauge\npromtail_custom_shared\{job="a"\} 1/);
    assert.ok(h.logs.some((l) => l.level === 'warn' && l.msg.includes('metric redefined')));
    s1.close!();
    assert.equal(
      (await samples(h.registry, 'promtail_custom_shared')).length,
      1,
      'closing the old one keeps the new',
    );
  });

  it("a name taken by one of the agent's own metrics is an error", () => {
    assert.throws(
      () =>
        harness().build(
          'metrics:\n  read_bytes_total:\n    type: counter\n    prefix: promtail_\n    config: {action: inc}\n',
        ),
      (e: unknown) =>
        e instanceof ConfigError && e.key === 'metrics.read_bytes_total' && /already in use/.test(e.reason),
    );
  });
});

describe('extractedToFloat', () => {
  const table: [unknown, number | undefined][] = [
    [1.5, 1.5],
    [3n, 3],
    [true, 1],
    [false, 0],
    ['0.804', 0.804],
    ['-2', -2],
    ['1e3', 1000],
    ['+Inf', Number.POSITIVE_INFINITY],
    ['0x1p-2', 0.25],
    ['0.5ms', 0.0005],
    ['10h', 36000],
    ['1h30m', 5400],
    ['0', 0],
    ['1e400', undefined],
    ['1_000', undefined],
    ['1d', undefined],
    ['5 ', undefined],
    ['', undefined],
    [null, undefined],
    [undefined, undefined],
    [{}, undefined],
  ];
  for (const [input, want] of table) {
    it(`${typeof input === 'bigint' ? `${input}n` : JSON.stringify(input)} → ${want}`, () => {
      assert.equal(extractedToFloat(input), want);
    });
  }
  it('"NaN" → NaN', () => assert.ok(Number.isNaN(extractedToFloat('NaN'))));
});

describe('metrics stage validation', () => {
  const m = (body: string) => `metrics:\n  x:\n${body.replace(/^/gm, '    ')}\n`;
  const bad: [string, string, number, string][] = [
    ['metrics:\n', 'empty metric stage configuration', 1, 'metrics'],
    [
      m('type: summary\nconfig: {action: inc}'),
      "invalid metric type 'summary', metric type must be one of 'counter', 'gauge', or 'histogram'",
      3,
      'metrics.x.type',
    ],
    [m('config: {action: inc}'), "invalid metric type ''", 3, 'metrics.x'],
    [
      m('type: counter'),
      'counter action must be defined as either `inc` or `add`',
      3,
      'metrics.x.config.action',
    ],
    [
      m('type: counter\nconfig: {action: set}'),
      'action set is not valid, action must be either `inc` or `add`',
      4,
      'metrics.x.config.action',
    ],
    [
      m('type: counter\nconfig: {action: inc, match_all: true, value: x}'),
      '`match_all: true` cannot be combined with `value`, please remove `match_all` or `value`',
      4,
      'metrics.x.config',
    ],
    [
      m('type: counter\nconfig: {action: add, count_entry_bytes: true}'),
      '`count_entry_bytes: true` can only be set with `match_all: true`',
      4,
      'metrics.x.config.count_entry_bytes',
    ],
    [
      m('type: counter\nconfig: {action: inc, match_all: true, count_entry_bytes: true}'),
      '`count_entry_bytes: true` can only be used with `action: add`',
      4,
      'metrics.x.config.count_entry_bytes',
    ],
    [
      m('type: gauge\nconfig: {}'),
      'gauge action must be defined as `set`, `inc`, `dec`, `add`, or `sub`',
      4,
      'metrics.x.config.action',
    ],
    [
      m('type: gauge\nconfig: {action: mul}'),
      'action mul is not valid, action must be `set`, `inc`, `dec`, `add`, or `sub`',
      4,
      'metrics.x.config.action',
    ],
    [
      m('type: gauge\nconfig: {action: set, match_all: true}'),
      'unknown key',
      4,
      'metrics.x.config.match_all',
    ],
    [
      m('type: histogram\nconfig: {buckets: [1, 0.5]}'),
      'histogram buckets must be in increasing order',
      4,
      'metrics.x.config.buckets',
    ],
    [m('type: histogram\nconfig: {buckets: [1, a]}'), 'expected a number', 4, 'metrics.x.config.buckets[1]'],
    [m('type: histogram\nconfig: {action: inc}'), 'unknown key', 4, 'metrics.x.config.action'],
    [
      m('type: gauge\nmax_idle_duration: soon\nconfig: {action: set}'),
      'max_idle_duration could not be parsed as a time.Duration: \'time: invalid duration "soon"\'',
      4,
      'metrics.x.max_idle_duration',
    ],
    [
      m('type: gauge\nmax_idle_duration: 500ms\nconfig: {action: set}'),
      'max_idle_duration less than 1s not allowed',
      4,
      'metrics.x.max_idle_duration',
    ],
    [m('type: gauge\nprefix: "my-"\nconfig: {action: set}'), 'invalid metric name "my-x"', 3, 'metrics.x'],
    [m('type: gauge\nhelp: h\nconfig: {action: set}'), 'unknown key', 4, 'metrics.x.help'],
  ];
  for (const [yaml, msg, line, key] of bad) {
    it(`${key}: ${msg}`, () => {
      const h = harness();
      assertConfigError(() => h.build(yaml), { line: line, key: key, message: msg });
      assert.ok(
        !/promtail_custom_x/.test(
          h.registry
            .getMetricsAsArray()
            .map((x) => x.name)
            .join(),
        ),
      );
    });
  }
});
