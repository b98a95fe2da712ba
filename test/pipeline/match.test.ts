import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigNode } from '../../src/config/reader.js';
import { Pipeline } from '../../src/pipeline/pipeline.js';
import type { StageContext } from '../../src/pipeline/stage.js';
import {
  assertConfigError,
  CountingDelivery,
  entry,
  harness,
  Recorder,
  run,
  samples,
} from '../support/stage-harness.js';

const web = { app: 'web', env: 'prod' };
const db = { app: 'db', env: 'dev' };

describe('match stage: keep', () => {
  // A nested drop of every line containing "drop-me" shows which entries went through the stages.
  const table: { selector: string; labels: Record<string, string>; line: string; nested: boolean }[] = [
    { selector: '{app="web"}', labels: web, line: 'x', nested: true },
    { selector: '{app="web"}', labels: db, line: 'x', nested: false },
    { selector: '{app=~"web|db"}', labels: db, line: 'x', nested: true },
    { selector: '{app=~"we"}', labels: web, line: 'x', nested: false },
    { selector: '{app!="web"}', labels: db, line: 'x', nested: true },
    { selector: '{app!~"w.*"}', labels: web, line: 'x', nested: false },
    { selector: '{app="web", env="dev"}', labels: web, line: 'x', nested: false },
    { selector: '{team=""}', labels: web, line: 'x', nested: true },
    { selector: '{app="web"} |= "err"', labels: web, line: 'an err', nested: true },
    { selector: '{app="web"} |= "err"', labels: web, line: 'fine', nested: false },
    { selector: '{app="web"} != "err"', labels: web, line: 'fine', nested: true },
    { selector: '{app="web"} |~ "e.r"', labels: web, line: 'an err', nested: true },
    { selector: '{app="web"} !~ "e.r"', labels: web, line: 'an err', nested: false },
    { selector: '{app="db"} |= "err"', labels: web, line: 'an err', nested: false },
  ];
  for (const c of table) {
    it(`${c.selector} on ${JSON.stringify(c.labels)} "${c.line}" → ${c.nested ? 'nested' : 'passed'}`, () => {
      const stage = harness().build(
        `match:\n  selector: '${c.selector}'\n  stages:\n    - drop:\n        expression: ".*"\n        drop_counter_reason: nested\n`,
      );
      const e = entry(c.line, { labels: c.labels });
      const out = run(stage, [e]);
      if (c.nested) {
        assert.deepEqual(
          out.dropped.map((d) => d.reason),
          ['nested'],
        );
        assert.equal(out.emitted.length, 0);
      } else {
        assert.equal(out.dropped.length, 0);
        assert.equal(out.emitted[0], e, 'a non-matching entry passes unchanged');
      }
    });
  }

  it('nested stages run in order and their output leaves the match stage in order', () => {
    const stage = harness().build(
      [
        'match:',
        '  selector: \'{app="web"}\'',
        '  stages:',
        '    - drop:',
        '        expression: debug',
        '    - multiline:',
        '        firstline: "^\\\\["',
        '        max_wait_time: 1h',
      ].join('\n'),
    );
    const out = run(stage, [
      entry('[1] a', { labels: web }),
      entry('debug noise', { labels: web }),
      entry('  cont', { labels: web }),
      entry('db line', { labels: db }),
      entry('[2] b', { labels: web }),
    ]);
    assert.deepEqual(out.lines, ['db line', '[1] a\n  cont']);
    assert.deepEqual(
      out.dropped.map((d) => [d.entry.line, d.reason]),
      [['debug noise', 'drop_stage']],
    );
    stage.flush!(out);
    assert.deepEqual(out.lines, ['db line', '[1] a\n  cont', '[2] b']);
    stage.close!();
  });

  it("a nested multiline's timed block leaves through the match stage's out", async () => {
    const stage = harness().build(
      'match:\n  selector: \'{app="web"}\'\n  stages:\n    - multiline:\n        firstline: "^\\\\["\n        max_wait_time: 50ms\n',
    );
    const out = new Recorder();
    const d = [new CountingDelivery(), new CountingDelivery()];
    stage.process(entry('[1] start', { labels: web, delivery: d[0] }), out);
    stage.process(entry('  more', { labels: web, delivery: d[1] }), out);
    stage.process(entry('other stream', { labels: db }), out);
    assert.deepEqual(out.lines, ['other stream']);
    await out.waitForEmitted(2, 3000);
    assert.deepEqual(out.lines, ['other stream', '[1] start\n  more']);
    assert.equal(out.emitted[1]!.delivery, d[0]);
    assert.deepEqual(
      d.map((x) => x.released),
      [0, 1],
    );
    stage.close!();
  });

  it('close() closes the nested stages (no timed emission after)', async () => {
    const stage = harness().build(
      'match:\n  selector: \'{app="web"}\'\n  stages:\n    - multiline:\n        firstline: "^\\\\["\n        max_wait_time: 20ms\n',
    );
    const out = run(stage, [entry('[1]', { labels: web })]);
    stage.close!();
    await assert.rejects(out.waitForEmitted(1, 120), /timed out/);
  });

  it('nested match stages', () => {
    const stage = harness().build(
      [
        'match:',
        '  selector: \'{app=~".+"}\'',
        '  stages:',
        '    - match:',
        '        selector: \'{env="dev"}\'',
        '        action: drop',
        '        drop_counter_reason: dev',
      ].join('\n'),
    );
    const out = run(stage, [
      entry('w', { labels: web }),
      entry('d', { labels: db }),
      entry('none', { labels: {} }),
    ]);
    assert.deepEqual(out.lines, ['w', 'none']);
    assert.deepEqual(
      out.dropped.map((d) => d.reason),
      ['dev'],
    );
  });

  it('pipeline_name names the nested pipeline <job>_<name>', () => {
    const h = harness('myjob');
    const seen: string[] = [];
    const inner = h.ctx.buildStages;
    h.ctx.buildStages = (list: ConfigNode, ctx: StageContext) => {
      seen.push(ctx.jobName);
      return inner(list, ctx);
    };
    h.build(
      'match:\n  selector: \'{a="b"}\'\n  pipeline_name: sub\n  stages:\n    - drop:\n        source: x\n',
    );
    h.build('match:\n  selector: \'{a="b"}\'\n  stages:\n    - drop:\n        source: x\n');
    assert.deepEqual(seen, ['myjob_sub', 'myjob']);
  });

  it('a nested stage that throws is logged and the entry passes on', () => {
    const h = harness();
    const inner = h.ctx.buildStages;
    h.ctx.buildStages = (list, ctx) => [
      {
        type: 'boom',
        process() {
          throw new Error('kaput');
        },
      },
      ...inner(list, ctx),
    ];
    const stage = h.build(
      'match:\n  selector: \'{a="b"}\'\n  stages:\n    - drop:\n        expression: zzz\n',
    );
    const out = run(stage, [entry('x', { labels: { a: 'b' } }), entry('zzz', { labels: { a: 'b' } })]);
    assert.deepEqual(out.lines, ['x']);
    assert.deepEqual(
      out.dropped.map((d) => d.entry.line),
      ['zzz'],
    );
    assert.equal(h.logs.filter((l) => l.level === 'error').length, 1, 'logged once (rate-limited)');
  });
});

describe('match stage in a pipeline', () => {
  it('what nested stages pass on, now or on a timer, goes through the stages after match', async () => {
    const h = harness();
    const yaml = [
      'pipeline_stages:',
      '  - match:',
      '      selector: \'{app="web"}\'',
      '      stages:',
      '        - multiline:',
      '            firstline: "^\\\\["',
      '            max_wait_time: 50ms',
      '  - drop:',
      '      expression: secret',
    ].join('\n');
    const out = new Recorder();
    const pipeline = new Pipeline(ConfigNode.parse(yaml, 'test.yaml').get('pipeline_stages'), h.ctx, (e) =>
      out.emit(e),
    );
    pipeline.process(entry('[1] a', { labels: web }));
    pipeline.process(entry(' secret', { labels: web }));
    pipeline.process(entry('[2] b', { labels: web }));
    pipeline.process(entry('plain', { labels: db }));
    pipeline.process(entry('secret db', { labels: db }));
    assert.deepEqual(out.lines, ['plain']);
    await out.waitForEmitted(2, 3000);
    assert.deepEqual(out.lines, ['plain', '[2] b']);
    assert.deepEqual(await samples(h.registry, 'logentry_dropped_lines_total'), [
      'logentry_dropped_lines_total{reason="drop_stage"} 2',
    ]);
    pipeline.close();
  });
});

describe('match stage: the nested pipeline', () => {
  // Promtail builds the nested stages with NewPipeline, whose Run first copies the entry's labels
  // into the extracted map: a label set before the match stage is an extracted value inside it,
  // and replaces an extracted value of the same name.
  it("starts from the entry's current labels as extracted values, as Promtail's nested pipeline", () => {
    const h = harness();
    const yaml = [
      'pipeline_stages:',
      '  - json: {expressions: {level: level}}',
      '  - labels: {level: ""}',
      '  - template: {source: level, template: "{{ ToUpper .Value }}"}',
      '  - static_labels: {env: prod}',
      '  - template: {source: top, template: "{{ .env }}/{{ .level }}"}',
      '  - match:',
      '      selector: \'{level="error"}\'',
      '      stages:',
      '        - template: {source: inner, template: "{{ .env }}/{{ .level }}"}',
      '        - output: {source: inner}',
    ].join('\n');
    const got: string[] = [];
    const extracted: Record<string, unknown>[] = [];
    const pipeline = new Pipeline(ConfigNode.parse(yaml, 'test.yaml').get('pipeline_stages'), h.ctx, (e) => {
      got.push(e.line);
      extracted.push({ ...e.extracted });
    });
    pipeline.process(entry('{"level":"error"}', { labels: { job: 'j' } }));
    pipeline.close();
    assert.deepEqual(got, ['prod/error']);
    assert.equal(
      extracted[0]!.top,
      '<no value>/ERROR',
      'outside match: static labels are not extracted values',
    );
    assert.equal(extracted[0]!.level, 'error', 'the label value replaced the upper-cased extracted one');
  });
});

describe('match stage: drop', () => {
  it('drops matching entries with the reason, passes the others', () => {
    const stage = harness().build('match:\n  selector: \'{app="web"} |= "health"\'\n  action: drop\n');
    const d = new CountingDelivery();
    const out = run(stage, [
      entry('GET /health', { labels: web, delivery: d }),
      entry('GET /api', { labels: web }),
      entry('GET /health', { labels: db }),
    ]);
    assert.deepEqual(out.lines, ['GET /api', 'GET /health']);
    assert.deepEqual(
      out.dropped.map((x) => [x.entry.line, x.reason]),
      [['GET /health', 'match_stage']],
    );
    assert.equal(d.released, 1);
  });

  it('uses drop_counter_reason', () => {
    const stage = harness().build(
      'match:\n  selector: \'{app="web"}\'\n  action: drop\n  drop_counter_reason: noisy\n',
    );
    const out = run(stage, [entry('x', { labels: web })]);
    assert.equal(out.dropped[0]!.reason, 'noisy');
  });
});

describe('match stage validation', () => {
  const bad: [string, string, number, string][] = [
    ['match:\n', 'match stage config cannot be empty', 1, 'match'],
    [
      "match:\n  selector: '{a=\"b\"}'\n  pipeline_name: ''\n  stages: [{drop: {source: x}}]\n",
      'match stage pipeline name can be omitted but cannot be an empty string',
      3,
      'match.pipeline_name',
    ],
    [
      'match:\n  stages: [{drop: {source: x}}]\n',
      'selector statement required for match stage',
      2,
      'match.selector',
    ],
    ["match:\n  selector: ''\n  action: drop\n", 'selector statement required', 2, 'match.selector'],
    [
      'match:\n  selector: \'{a="b"}\'\n  action: keepit\n',
      "match stage action should be 'keep' or 'drop'",
      3,
      'match.action',
    ],
    [
      'match:\n  selector: \'{a="b"}\'\n',
      "match stage requires at least one additional stage to be defined in '- stages'",
      2,
      'match',
    ],
    [
      'match:\n  selector: \'{a="b"}\'\n  stages: []\n',
      'requires at least one additional stage',
      3,
      'match.stages',
    ],
    [
      'match:\n  selector: \'{a="b"}\'\n  action: drop\n  stages: [{drop: {source: x}}]\n',
      'match stage configured to drop entries cannot contains stages',
      4,
      'match.stages',
    ],
    [
      'match:\n  selector: \'{a="b"\'\n  action: drop\n',
      'invalid selector syntax for match stage: parse error at line 1, col 7: syntax error: unexpected $end, expecting } or ,',
      2,
      'match.selector',
    ],
    [
      'match:\n  selector: \'{a="b"} | json\'\n  action: drop\n',
      'invalid selector syntax for match stage: parse error at line 1, col 9: syntax error: unexpected IDENTIFIER',
      2,
      'match.selector',
    ],
    [
      'match:\n  selector: \'{a=~"("}\'\n  action: drop\n',
      'invalid selector syntax for match stage: parse error at line 1, col 5: error parsing regexp',
      2,
      'match.selector',
    ],
    ['match:\n  selector: \'{a="b"}\'\n  action: drop\n  stage: []\n', 'unknown key', 4, 'match.stage'],
    [
      "match:\n  selector: '{a=\"b\"}'\n  stages:\n    - drop:\n        expression: '('\n",
      'drop stage regex compilation error',
      5,
      'match.stages[0].drop.expression',
    ],
  ];
  for (const [yaml, msg, line, key] of bad) {
    it(`${key}: ${msg}`, () => {
      assertConfigError(() => harness().build(yaml), { line: line, key: key, message: msg });
    });
  }
});
