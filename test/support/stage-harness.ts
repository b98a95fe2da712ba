// Helpers for testing one pipeline stage on its own: a StageContext with a fresh metrics
// registry, a recording StageOutput that can be awaited, entries and deliveries that count
// their releases.

import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { ConfigError, ConfigNode, ConfigWarnings } from '../../src/config/reader.js';
import type { LogFields, Logger } from '../../src/log.js';
import { createMetrics, type Metrics } from '../../src/metrics.js';
import { buildStages } from '../../src/pipeline/pipeline.js';
import type { Stage, StageContext, StageOutput } from '../../src/pipeline/stage.js';
import { stageDefinitions } from '../../src/pipeline/stages/index.js';
import type { Delivery, Entry, LabelSet } from '../../src/types.js';

export interface LogRecord {
  level: string;
  msg: string;
  fields: LogFields;
}

export interface Harness {
  ctx: StageContext;
  metrics: Metrics;
  registry: Registry;
  /** What the stages logged (every level). */
  logs: LogRecord[];
  /**
   * Builds the stage whose options are under `key` in the YAML text (file `test.yaml`). Built as
   * under `-config.strict` unless `lenient`: an unknown option is then an error a table can
   * assert (test/config/warnings.test.ts covers the default, warning, behaviour end to end).
   */
  build(yaml: string, key?: string, lenient?: ConfigWarnings): Stage;
}

/** The real builder of nested stages (`match`), kept under this name for existing tests. */
export const buildStagesForTest = buildStages;

function recordingLogger(logs: LogRecord[], base: LogFields = {}): Logger {
  const log = (level: string) => (msg: string, fields?: LogFields) => {
    logs.push({ level, msg, fields: { ...base, ...fields } });
  };
  return {
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    with: (fields) => recordingLogger(logs, { ...base, ...fields }),
  };
}

export function harness(jobName = 'test'): Harness {
  const registry = new Registry();
  const metrics = createMetrics(registry);
  const logs: LogRecord[] = [];
  const ctx: StageContext = {
    jobName,
    logger: recordingLogger(logs),
    metrics,
    buildStages,
  };
  return {
    ctx,
    metrics,
    registry,
    logs,
    build(yaml, key, lenient) {
      const root = ConfigNode.parse(yaml, 'test.yaml', { warnings: lenient ?? new ConfigWarnings(true) });
      const k = key ?? root.keys()[0]!;
      const def = stageDefinitions.get(k);
      if (!def) throw new Error(`no stage ${k}`);
      return def.create(root.get(k), ctx);
    },
  };
}

/** A StageOutput that records what it gets and lets a test await a count with a deadline. */
export class Recorder implements StageOutput {
  readonly emitted: Entry[] = [];
  readonly dropped: { entry: Entry; reason: string }[] = [];
  /** performance.now() of each emission, in order. */
  readonly emittedAt: number[] = [];
  private waiters: (() => void)[] = [];

  emit(entry: Entry): void {
    this.emitted.push(entry);
    this.emittedAt.push(performance.now());
    this.wake();
  }

  drop(entry: Entry, reason: string): void {
    entry.delivery?.release();
    this.dropped.push({ entry, reason });
    this.wake();
  }

  get lines(): string[] {
    return this.emitted.map((e) => e.line);
  }

  /** Resolves once `n` entries were emitted; rejects after `timeoutMs`. */
  waitForEmitted(n: number, timeoutMs = 5000): Promise<void> {
    return this.waitFor(() => this.emitted.length >= n, timeoutMs, `${n} emitted entries`);
  }

  waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (cond()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== check);
        reject(
          new Error(`timed out after ${timeoutMs} ms waiting for ${what} (have ${this.emitted.length})`),
        );
      }, timeoutMs);
      const check = () => {
        if (!cond()) return;
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== check);
        resolve();
      };
      this.waiters.push(check);
    });
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }
}

/** A Delivery that counts retains and releases. */
export class CountingDelivery implements Delivery {
  retained = 1;
  released = 0;
  retain(count = 1): void {
    this.retained += count;
  }
  release(): void {
    this.released++;
  }
}

export interface EntryInit {
  labels?: LabelSet;
  timestamp?: bigint;
  extracted?: Record<string, unknown>;
  structuredMetadata?: LabelSet;
  delivery?: Delivery;
}

/** A plain Entry; timestamps default to 1 ns steps from a fixed origin so order is visible. */
let nextTs = 1_700_000_000_000_000_000n;
export function entry(line: string, init: EntryInit = {}): Entry {
  return {
    labels: init.labels ?? { job: 'test' },
    timestamp: init.timestamp ?? nextTs++,
    line,
    extracted: init.extracted ?? {},
    ...(init.structuredMetadata ? { structuredMetadata: init.structuredMetadata } : {}),
    ...(init.delivery ? { delivery: init.delivery } : {}),
  };
}

/** Runs entries through a stage into a fresh Recorder. */
export function run(stage: Stage, entries: Entry[], out = new Recorder()): Recorder {
  for (const e of entries) stage.process(e, out);
  return out;
}

/** The sample lines of the registry's text output that start with `prefix`. */
export async function samples(registry: Registry, prefix: string): Promise<string[]> {
  const text = await registry.metrics();
  return text.split('\n').filter((l) => l.startsWith(prefix));
}

/**
 * Asserts that `fn` throws a ConfigError naming `line` and `key` (in `file`, test.yaml by
 * default), whose message matches `message` (a RegExp, or text the reason contains).
 */
export function assertConfigError(
  fn: () => unknown,
  expected: { line: number; key: string; message: RegExp | string; file?: string },
): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ConfigError, String(e));
    assert.equal(e.file, expected.file ?? 'test.yaml');
    assert.equal(e.line, expected.line);
    assert.equal(e.key, expected.key);
    if (typeof expected.message === 'string') assert.ok(e.reason.includes(expected.message), e.message);
    else assert.match(e.message, expected.message);
    return true;
  });
}
