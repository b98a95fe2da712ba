// logferry's cardinality guard (beyond Promtail): labels whose values are unbounded (ids, hashes,
// timestamps, addresses), the first way users hurt their Loki. Two halves: `unboundedName`
// judges a `labels` stage's label by its name at config load; `CardinalityGuard` samples the
// values those stages set while the dry-run tools (`logferry pipeline`, `logferry test`, the
// agent's -dry-run and -inspect) process real lines. The guard wraps the labels stages of the
// contexts it is attached to: the running agent never attaches it and pays nothing.

import { isIP } from 'node:net';
import type { ConfigNode, ConfigWarning } from '../config/reader.js';
import type { Entry } from '../types.js';
import type { Stage, StageContext, StageOutput } from './stage.js';
import { readLabelMapping } from './stages/util.js';

/** A label with more distinct values than this over the sample is unbounded, whatever they look like. */
export const maxDistinctValues = 100;
/** A label is judged by the shape of its values from this many distinct values on... */
const minShapedValues = 10;
/** ...and numbers (status codes, small enums) only from this many. */
const minNumbers = 30;
/** The share of the distinct values that must have one unbounded shape. */
const shapeShare = 0.9;
/** Values quoted in a warning. */
const sampleSize = 3;

// ---- by name ----------------------------------------------------------------------------------

/** Label names that say their values are unbounded, and what they hold. */
const unboundedNames: [RegExp, string][] = [
  [
    /(^|_)(trace|span|request|req|correlation|session|transaction|tx|message|msg|event|user|order|client)_?id$/i,
    'an id',
  ],
  [/(^|_)(uuid|guid|id)$/i, 'an id'],
  [/(^|_)(hash|sha\d*|md5|checksum|digest|fingerprint|token|nonce)$/i, 'a hash or token'],
  [/(^|_)(timestamp|ts|time|datetime|date|created_at|updated_at)$/i, 'a timestamp'],
  [/(^|_)(ip|ip_?addr(ess)?|client_?ip|remote_?addr|src_?ip|dst_?ip|x_forwarded_for)$/i, 'an IP address'],
  [/(^|_)(duration|latency|elapsed|bytes|size|response_?time)(_ms|_s|_ns)?$/i, 'a measurement'],
  [/(^|_)(url|uri|path|query|email)$/i, 'a free-form value'],
];

/** What a label (or extracted) name says its values are (`an id`), when it says they are unbounded. */
export function unboundedName(name: string): string | undefined {
  if (name === 'filename') return undefined;
  for (const [re, what] of unboundedNames) if (re.test(name)) return what;
  return undefined;
}

// ---- by value ---------------------------------------------------------------------------------

/** The unbounded shapes a value can have, as a warning names them. */
export type ValueShape = 'UUIDs' | 'IP addresses' | 'timestamps' | 'numbers' | 'ULIDs' | 'hex hashes';

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ipv4WithPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/;
const ipv6WithPort = /^\[([0-9a-f:.]+)\]:\d{1,5}$/i;
const rfc3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?$/;
/** Unix seconds, milliseconds, microseconds or nanoseconds from 2001 to 2065. */
const epoch = /^[12]\d{9}(\d{3}|\d{6}|\d{9})?(\.\d+)?$/;
const number = /^[-+]?\d+(\.\d+)?([eE][-+]?\d+)?$/;
const ulid = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/i;
const hexHash = /^(0x)?[0-9a-f]{16,}$/i;

/** The unbounded shape of one label value, or undefined for anything else (`info`, `GET`, `web-1`). */
export function valueShape(v: string): ValueShape | undefined {
  if (uuid.test(v)) return 'UUIDs';
  if (
    isIP(v) !== 0 ||
    isIP(ipv4WithPort.exec(v)?.[1] ?? '') !== 0 ||
    isIP(ipv6WithPort.exec(v)?.[1] ?? '') !== 0
  )
    return 'IP addresses';
  if (rfc3339.test(v) || epoch.test(v)) return 'timestamps';
  if (number.test(v)) return 'numbers';
  // A ULID has digits; 26 letters are more likely a word.
  if (ulid.test(v) && /\d/.test(v)) return 'ULIDs';
  if (hexHash.test(v)) return 'hex hashes';
  return undefined;
}

/**
 * The values one label took: the distinct ones up to `maxDistinctValues + 1` (then no more are
 * kept: memory stays bounded whatever the input), their shapes, and the entries counted.
 */
class LabelValues {
  readonly distinct = new Set<string>();
  readonly shapes = new Map<ValueShape, number>();
  readonly sample: string[] = [];
  entries = 0;
  warned = false;

  constructor(
    readonly name: string,
    readonly job: string,
    /** The label's key in the labels stage, for the warning's file, line and key. */
    readonly node: ConfigNode,
  ) {}

  /** Counts a value; true when it is a new distinct one. */
  add(value: string): boolean {
    this.entries++;
    if (this.distinct.size > maxDistinctValues || this.distinct.has(value)) return false;
    this.distinct.add(value);
    if (this.sample.length < sampleSize) this.sample.push(value);
    const shape = valueShape(value);
    if (shape !== undefined) this.shapes.set(shape, (this.shapes.get(shape) ?? 0) + 1);
    return true;
  }

  /** Why the values look unbounded, as a warning's reason; undefined when they do not. */
  verdict(): string | undefined {
    const n = this.distinct.size;
    let shape: [ValueShape, number] | undefined;
    for (const [s, count] of this.shapes) {
      if (n >= (s === 'numbers' ? minNumbers : minShapedValues) && count >= shapeShare * n)
        shape = [s, count];
    }
    const lines = `${this.entries} line${this.entries === 1 ? '' : 's'}`;
    let what: string;
    if (n > maxDistinctValues)
      what = `more than ${maxDistinctValues} distinct values in ${lines}${shape ? `, mostly ${shape[0]}` : ''} (${this.examples()})`;
    else if (shape)
      what = `${shape[0]} (${shape[1]} of ${n} distinct values in ${lines}, ${this.examples()}), which are unbounded`;
    else return undefined;
    return `label "${this.name}" of job "${this.job}" takes ${what}: each value is a new Loki stream. Use structured_metadata for it instead`;
  }

  private examples(): string {
    const shown = this.sample.map((v) => JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v));
    return `e.g. ${shown.join(', ')}`;
  }
}

/**
 * Samples the values that `labels` stages set, for the dry-run tools. `attach` a stage context
 * before building a pipeline with it; `report` then gives a warning per label whose values look
 * unbounded. With `onWarning` (the agent's -dry-run, which runs until stopped), a label is
 * judged as its distinct values grow and reported through it at once. Each label is reported
 * once, and never when its name was warned about at load already.
 */
export class CardinalityGuard {
  /**
   * By `file:line:key` of the label in its labels stage: a pipeline built again for the same job
   * (the next case of a `logferry test` file, an agent reload) adds to the same counts.
   */
  private readonly labels = new Map<string, LabelValues>();

  constructor(private readonly onWarning?: (w: ConfigWarning) => void) {}

  /** A context like `ctx` whose labels stages (nested ones of match included) are sampled. */
  attach(ctx: StageContext): StageContext {
    const job = ctx.jobName;
    const inner = ctx.buildStages;
    return {
      ...ctx,
      buildStages: (list, c) => {
        const stages = inner(list, c);
        if (list.missing || !list.isList()) return stages;
        const items = list.list();
        if (items.length !== stages.length) return stages;
        return stages.map((s, i) =>
          s.type === 'labels' ? this.sampled(s, items[i]!.get('labels'), job) : s,
        );
      },
    };
  }

  /** A warning for each label not reported yet whose values look unbounded over what was sampled. */
  report(): ConfigWarning[] {
    const out: ConfigWarning[] = [];
    for (const l of this.labels.values()) {
      const w = this.judge(l);
      if (w) out.push(w);
    }
    return out;
  }

  private judge(l: LabelValues): ConfigWarning | undefined {
    if (l.warned) return undefined;
    const reason = l.verdict();
    if (reason === undefined) return undefined;
    l.warned = true;
    return { file: l.node.file, line: l.node.line, key: l.node.path, reason };
  }

  private sampled(stage: Stage, options: ConfigNode, job: string): Stage {
    const labels: LabelValues[] = [];
    for (const [name, source] of readLabelMapping(options, 'label')) {
      // Its name got a warning at load (labels.ts): the values would only say it again.
      if (unboundedName(name) !== undefined || unboundedName(source) !== undefined) continue;
      const node = options.get(name);
      const id = `${node.file}:${node.line}:${node.path}`;
      let l = this.labels.get(id);
      if (l === undefined) {
        l = new LabelValues(name, job, node);
        this.labels.set(id, l);
      }
      labels.push(l);
    }
    if (labels.length === 0) return stage;
    const live = this.onWarning;
    return new SampledStage(stage, (entry) => {
      for (const l of labels) {
        const value = entry.labels[l.name];
        if (value === undefined || !l.add(value) || live === undefined) continue;
        const w = this.judge(l);
        if (w) live(w);
      }
    });
  }
}

/** A stage that behaves as `inner` and shows each entry it passes on to `sample` first. */
class SampledStage implements Stage {
  readonly type: string;
  private out: StageOutput | undefined;
  private readonly tap: StageOutput = {
    emit: (entry) => {
      this.sample(entry);
      this.out!.emit(entry);
    },
    drop: (entry, reason) => this.out!.drop(entry, reason),
  };

  constructor(
    private readonly inner: Stage,
    private readonly sample: (entry: Entry) => void,
  ) {
    this.type = inner.type;
  }

  process(entry: Entry, out: StageOutput): void {
    this.out = out;
    this.inner.process(entry, this.tap);
  }

  flush(out: StageOutput): void {
    this.out = out;
    this.inner.flush?.(this.tap);
  }

  close(): void {
    this.inner.close?.();
  }
}
