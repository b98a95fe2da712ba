import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { ConfigError, ConfigNode } from '../../src/config/reader.js';
import { createLogger, type LogFields } from '../../src/log.js';
import { createMetrics, type Metrics } from '../../src/metrics.js';
import {
  buildStages,
  createStageContext,
  Pipeline,
  type PipelineOptions,
  validatePipeline,
} from '../../src/pipeline/pipeline.js';
import type { StageDefinition, StageOutput } from '../../src/pipeline/stage.js';
import { stageDefinitions } from '../../src/pipeline/stages/index.js';
import type { Delivery, Entry, LabelSet } from '../../src/types.js';

// Tiny stages for the runner, so these tests do not depend on the real stages' behaviour.

/** Appends `text` to the line; records the StageOutput objects it was given. */
const seenOutputs = new Map<string, Set<StageOutput>>();
const appendStage: StageDefinition = {
  type: 'append',
  create(options) {
    const text = options.get('text').string();
    const outs = new Set<StageOutput>();
    seenOutputs.set(text, outs);
    return {
      type: 'append',
      process(e, out) {
        outs.add(out);
        e.line += text;
        out.emit(e);
      },
    };
  },
};

/** Drops lines that contain `contains`, with `reason`. */
const dropIfStage: StageDefinition = {
  type: 'drop_if',
  create(options) {
    const contains = options.get('contains').string();
    const reason = options.get('reason').string();
    return {
      type: 'drop_if',
      process(e, out) {
        if (e.line.includes(contains)) out.drop(e, reason);
        else out.emit(e);
      },
    };
  },
};

/** Holds every entry until flush. */
const holdStage: StageDefinition = {
  type: 'hold',
  create() {
    const held: Entry[] = [];
    return {
      type: 'hold',
      process(e) {
        held.push(e);
      },
      flush(out) {
        for (const e of held.splice(0)) out.emit(e);
      },
    };
  },
};

/** Throws on lines containing "boom"; with `emit_first`, after passing the entry on. */
const boomStage: StageDefinition = {
  type: 'boom',
  create(options) {
    const emitFirst = options.get('emit_first').boolean(false);
    return {
      type: 'boom',
      process(e, out) {
        if (!e.line.includes('boom')) return out.emit(e);
        e.line = `${e.line} (touched)`;
        if (emitFirst) out.emit(e);
        throw new Error('kaboom');
      },
    };
  },
};

/** Counts close calls. */
const closed: string[] = [];
const closerStage: StageDefinition = {
  type: 'closer',
  create(options) {
    const name = options.string('closer');
    return {
      type: 'closer',
      process: (e, out) => out.emit(e),
      close: () => closed.push(name),
    };
  },
};

/** Runs nested `stages` built through the context, as `match` does. */
const groupStage: StageDefinition = {
  type: 'group',
  create(options, ctx) {
    const inner = ctx.buildStages(options.get('stages'), ctx);
    let parent: StageOutput | undefined;
    const outs: StageOutput[] = inner.map((_, i) => ({
      emit: (e: Entry) => (i + 1 < inner.length ? inner[i + 1]!.process(e, outs[i + 1]!) : parent!.emit(e)),
      drop: (e: Entry, reason: string) => parent!.drop(e, reason),
    }));
    return {
      type: 'group',
      process(e, out) {
        parent = out;
        if (inner.length === 0) out.emit(e);
        else inner[0]!.process(e, outs[0]!);
      },
    };
  },
};

const definitions = new Map<string, StageDefinition>([
  ...stageDefinitions,
  ...[appendStage, dropIfStage, holdStage, boomStage, closerStage, groupStage].map(
    (d) => [d.type, d] as const,
  ),
]);

class CountingDelivery implements Delivery {
  released = 0;
  retain(): void {}
  release(): void {
    this.released++;
  }
}

function entry(line: string, labels: LabelSet = { job: 'test' }, delivery?: Delivery): Entry {
  return { labels, timestamp: 1n, line, extracted: {}, delivery };
}

interface Harness {
  p: Pipeline;
  got: Entry[];
  logs: LogFields[];
  metrics: Metrics;
}

function pipeline(yaml: string, options: PipelineOptions = {}): Harness {
  const got: Entry[] = [];
  const logs: LogFields[] = [];
  const metrics = createMetrics(new Registry());
  const logger = createLogger({ format: 'json', write: (l) => logs.push(JSON.parse(l)) });
  const ctx = createStageContext('job1', logger, metrics, definitions);
  const p = new Pipeline(ConfigNode.parse(yaml, 'pipeline.yaml'), ctx, (e) => got.push(e), options);
  return { p, got, logs, metrics };
}

async function dropped(metrics: Metrics): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const v of (await metrics.pipelineDroppedLines.get()).values) out[String(v.labels.reason)] = v.value;
  return out;
}

describe('Pipeline', () => {
  it('runs stages in order, and entries in order', () => {
    const { p, got } = pipeline('- append: {text: a}\n- append: {text: b}\n- append: {text: c}\n');
    for (const l of ['1', '2', '3']) p.process(entry(l));
    assert.deepEqual(
      got.map((e) => e.line),
      ['1abc', '2abc', '3abc'],
    );
    assert.equal(p.size, 3);
  });

  it('gives each stage one stable StageOutput of its own', () => {
    const { p } = pipeline('- append: {text: x}\n- append: {text: y}\n');
    for (let i = 0; i < 5; i++) p.process(entry(String(i)));
    const x = [...seenOutputs.get('x')!];
    const y = [...seenOutputs.get('y')!];
    assert.equal(x.length, 1);
    assert.equal(y.length, 1);
    assert.notEqual(x[0], y[0]);
  });

  it('passes entries straight to the sink when there are no stages', () => {
    const { p, got } = pipeline('[]\n');
    const e = entry('plain');
    p.process(e);
    assert.equal(got[0], e);
    assert.deepEqual(e.extracted, {});
  });

  it('puts the initial labels into the extracted values, as Promtail', () => {
    const { p, got } = pipeline('- append: {text: ""}\n');
    p.process(entry('x', { job: 'j', filename: '/f.log' }));
    assert.deepEqual(got[0]!.extracted, { job: 'j', filename: '/f.log' });
  });

  it('counts drops by reason, releases their delivery and calls the drop hook', async () => {
    const hooked: [string, string, string][] = [];
    const { p, got, metrics } = pipeline(
      '- drop_if: {contains: debug, reason: noisy}\n- drop_if: {contains: trace, reason: very_noisy}\n',
      { onDrop: (e, reason, stage) => hooked.push([e.line, reason, stage]) },
    );
    const d = [
      new CountingDelivery(),
      new CountingDelivery(),
      new CountingDelivery(),
      new CountingDelivery(),
    ];
    p.process(entry('debug 1', undefined, d[0]));
    p.process(entry('info', undefined, d[1]));
    p.process(entry('debug 2', undefined, d[2]));
    p.process(entry('trace', undefined, d[3]));
    assert.deepEqual(
      got.map((e) => e.line),
      ['info'],
    );
    assert.deepEqual(
      d.map((x) => x.released),
      [1, 0, 1, 1],
    );
    assert.deepEqual(await dropped(metrics), { noisy: 2, very_noisy: 1 });
    assert.deepEqual(hooked, [
      ['debug 1', 'noisy', 'drop_if'],
      ['debug 2', 'noisy', 'drop_if'],
      ['trace', 'very_noisy', 'drop_if'],
    ]);
  });

  it('counts drops made by nested stages (built through the context)', async () => {
    const { p, got, metrics } = pipeline(
      [
        '- group:',
        '    stages:',
        '      - append: {text: "+"}',
        '      - drop_if: {contains: "x+", reason: nested}',
        '- append: {text: "!"}',
        '',
      ].join('\n'),
    );
    p.process(entry('x'));
    p.process(entry('y'));
    assert.deepEqual(
      got.map((e) => e.line),
      ['y+!'],
    );
    assert.deepEqual(await dropped(metrics), { nested: 1 });
  });

  it('flushes stages in order, so held entries go through the later stages', () => {
    const { p, got } = pipeline('- hold: {}\n- append: {text: "+"}\n- hold: {}\n- append: {text: "!"}\n');
    p.process(entry('a'));
    p.process(entry('b'));
    assert.equal(got.length, 0);
    p.flush();
    assert.deepEqual(
      got.map((e) => e.line),
      ['a+!', 'b+!'],
    );
  });

  describe('a stage that throws', () => {
    it('is logged, and the entry passes on as it is', () => {
      const { p, got, logs } = pipeline('- boom: {}\n- append: {text: "!"}\n');
      p.process(entry('boom 1'));
      p.process(entry('fine'));
      p.process(entry('boom 2'));
      assert.deepEqual(
        got.map((e) => e.line),
        ['boom 1 (touched)!', 'fine!', 'boom 2 (touched)!'],
      );
      assert.equal(logs.length, 1, 'the second failure within the interval is not logged');
      assert.equal(logs[0]!.level, 'error');
      assert.equal(logs[0]!.stage, 'boom');
      assert.equal(logs[0]!.job, 'job1');
      assert.equal(logs[0]!.err, 'kaboom');
    });

    it('is not passed on twice when it had emitted the entry before throwing', () => {
      const { p, got } = pipeline('- boom: {emit_first: true}\n- append: {text: "!"}\n');
      p.process(entry('boom'));
      assert.deepEqual(
        got.map((e) => e.line),
        ['boom (touched)!'],
      );
    });

    it('a sink that throws does not break the pipeline', () => {
      const logs: LogFields[] = [];
      const logger = createLogger({ format: 'json', write: (l) => logs.push(JSON.parse(l)) });
      const ctx = createStageContext('j', logger, createMetrics(new Registry()), definitions);
      let calls = 0;
      const p = new Pipeline(ConfigNode.parse('- append: {text: "!"}\n', 'p.yaml'), ctx, () => {
        calls++;
        throw new Error('client gone');
      });
      p.process(entry('a'));
      p.process(entry('b'));
      assert.equal(calls, 2);
      assert.equal(logs.length, 1);
      assert.equal(logs[0]!.msg, 'pipeline output failed on an entry');
    });
  });

  it('close closes every stage once; process after close throws', () => {
    closed.length = 0;
    const { p } = pipeline('- closer: a\n- closer: b\n');
    p.close();
    p.close();
    assert.deepEqual(closed, ['a', 'b']);
    assert.throws(() => p.process(entry('late')), /pipeline of job job1 is closed/);
  });

  describe('configuration errors', () => {
    const config = (stages: string) =>
      ConfigNode.parse(`scrape_configs:\n  - job_name: x\n    pipeline_stages:\n${stages}`, 'promtail.yaml')
        .get('scrape_configs')
        .list()[0]!
        .get('pipeline_stages');
    const ctx = createStageContext('x', createLogger({ write: () => {} }), createMetrics(new Registry()));

    it('names file, line and key of an unknown stage type, with the known ones', () => {
      const list = config('      - cri: {}\n      - jsn:\n          expressions: {a: b}\n');
      assert.throws(
        () => buildStages(list, ctx),
        (e: unknown) =>
          e instanceof ConfigError &&
          e.line === 5 &&
          e.key === 'scrape_configs[0].pipeline_stages[1].jsn' &&
          e.message.startsWith(
            'promtail.yaml:5: scrape_configs[0].pipeline_stages[1].jsn: unknown stage type',
          ) &&
          /known: cri, decolorize, docker, drop, json, /.test(e.message),
      );
    });

    const bad: [string, string, RegExp][] = [
      [
        'two keys',
        '      - json: {}\n        labels: {}\n',
        /:4: .*pipeline_stages\[0\]: .*exactly one key.*json, labels/,
      ],
      ['no key', '      - {}\n', /exactly one key \(its type\), got none/],
      ['a bare name', '      - docker\n', /:4: .*pipeline_stages\[0\]: .*end the stage name with ":"/],
      ['not a list', '      cri: {}\n', /pipeline_stages: expected a list of stages/],
      [
        'bad options of a stage',
        '      - cri: {max_partial_lines: -3}\n',
        /:4: .*\[0\]\.cri\.max_partial_lines: must be 0/,
      ],
    ];
    for (const [name, stages, re] of bad) {
      it(`rejects ${name}`, () => {
        assert.throws(
          () => buildStages(config(stages), ctx),
          (e: unknown) => e instanceof ConfigError && re.test(e.message),
        );
      });
    }

    it('closes the stages already built when a later one fails', () => {
      closed.length = 0;
      const testCtx = createStageContext(
        'x',
        createLogger({ write: () => {} }),
        createMetrics(),
        definitions,
      );
      assert.throws(() => testCtx.buildStages(config('      - closer: first\n      - nope: {}\n'), testCtx));
      assert.deepEqual(closed, ['first']);
    });

    it('an absent pipeline_stages is an empty pipeline', () => {
      const list = ConfigNode.parse('job_name: x\n', 'p.yaml').get('pipeline_stages');
      assert.deepEqual(buildStages(list, ctx), []);
    });

    it('validatePipeline accepts a valid list and throws the ConfigError of an invalid one', () => {
      validatePipeline(config('      - cri: {}\n      - docker: {}\n'), 'x');
      validatePipeline(config('      - cri: {max_partial_lines: 5}\n'), 'x');
      assert.throws(
        () => validatePipeline(config('      - docker: {}\n      - crí: {}\n'), 'x'),
        (e: unknown) => e instanceof ConfigError && e.line === 5 && /unknown stage type/.test(e.message),
      );
    });
  });
});
