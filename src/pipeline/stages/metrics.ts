// The `metrics` stage: counters, gauges and histograms computed from extracted values, exposed
// on the agent's /metrics under `<prefix><name>` (prefix `promtail_custom_` by default), with the
// entry's labels as the series' labels, as Promtail's metrics stage. A series not updated for
// `max_idle_duration` (5m by default) is removed. Entries pass on unchanged.
//
// prom-client wants fixed label names per metric; here every series has its own label set, so
// each metric is a small family object registered on the registry, which prom-client asks for
// its values at scrape time.

import type { Metric, Registry } from 'prom-client';
import type { ConfigNode } from '../../config/reader.js';
import { parseDuration } from '../../config/reader.js';
import { formatFloat, parseGoFloat } from '../../go/template/strconv.js';
import { isValidLabelName } from '../../labels.js';
import type { Logger } from '../../log.js';
import type { Entry, LabelSet } from '../../types.js';
import { extractedToString } from '../extracted.js';
import type { Stage, StageDefinition, StageOutput } from '../stage.js';

type Kind = 'counter' | 'gauge' | 'histogram';
type Action = 'inc' | 'add' | 'set' | 'dec' | 'sub';

/** Prometheus's default buckets, which Promtail's histograms use when none are given. */
const defaultBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const metricNamePattern = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
/** How often the stage logs values it cannot use, at most. */
const warnInterval = 10_000;

interface MetricDef {
  /** The key in the stage's config, for logs. */
  key: string;
  name: string;
  kind: Kind;
  help: string;
  source: string;
  maxIdleMs: number;
  value: string | undefined;
  action: Action;
  matchAll: boolean;
  countBytes: boolean;
  buckets: number[];
  node: ConfigNode;
}

export const metricsStage: StageDefinition = {
  type: 'metrics',
  create(options, ctx) {
    if (options.missing) options.fail('empty metric stage configuration');
    const defs = options.entries().map(([key, node]) => parseMetric(key, node));
    const logger = ctx.logger.with({ component: 'stage', type: 'metrics' });
    for (const d of defs) {
      if (d.kind === 'counter' && d.matchAll && d.action === 'add' && !d.countBytes)
        logger.warn('counter with match_all and action add but no count_entry_bytes records nothing', {
          metric: d.name,
        });
    }
    const registry = ctx.metrics.registry;
    const families: MetricFamily[] = [];
    for (const d of defs) families.push(acquireFamily(registry, d, logger));
    return new MetricsStage(defs, families, registry, logger);
  },
};

function parseMetric(key: string, node: ConfigNode): MetricDef {
  node.ignoreUnknownKeys(['type', 'description', 'source', 'prefix', 'max_idle_duration', 'config']);
  const typeNode = node.get('type');
  const kind = typeNode.string('').toLowerCase();
  if (kind !== 'counter' && kind !== 'gauge' && kind !== 'histogram')
    return (typeNode.missing ? node : typeNode).fail(
      `invalid metric type '${kind}', metric type must be one of 'counter', 'gauge', or 'histogram'`,
    );

  const idleNode = node.get('max_idle_duration');
  let maxIdleSec = 300;
  if (!idleNode.missing) {
    const text = idleNode.string().trim();
    const ms = parseDuration(text, undefined, 'go');
    if (ms === undefined)
      return idleNode.fail(
        `max_idle_duration could not be parsed as a time.Duration: 'time: invalid duration "${text}"'`,
      );
    if (ms < 1000) idleNode.fail('max_idle_duration less than 1s not allowed');
    // Promtail keeps whole seconds.
    maxIdleSec = Math.trunc(ms / 1000);
  }

  const prefix = node.get('prefix').string('') || 'promtail_custom_';
  const name = prefix + key;
  if (!metricNamePattern.test(name))
    node.fail(`invalid metric name "${name}": use letters, digits, "_" and ":", not starting with a digit`);

  const config = node.get('config');
  const def: MetricDef = {
    key,
    name,
    kind,
    help: node.get('description').string(''),
    source: node.get('source').string(key),
    maxIdleMs: maxIdleSec * 1000,
    value: undefined,
    action: 'inc',
    matchAll: false,
    countBytes: false,
    buckets: defaultBuckets,
    node,
  };
  if (kind === 'counter') parseCounter(config, def);
  else if (kind === 'gauge') parseGauge(config, def);
  else parseHistogram(config, def);
  return def;
}

function parseCounter(config: ConfigNode, def: MetricDef): void {
  config.ignoreUnknownKeys(['value', 'action', 'match_all', 'count_entry_bytes']);
  const actionNode: ConfigNode = config.get('action');
  const action = actionNode.string('').toLowerCase();
  if (action === '') actionNode.fail('counter action must be defined as either `inc` or `add`');
  if (action !== 'inc' && action !== 'add')
    actionNode.fail(`action ${action} is not valid, action must be either \`inc\` or \`add\``);
  def.action = action;
  def.value = config.get('value').optionalString();
  def.matchAll = config.get('match_all').boolean(false);
  def.countBytes = config.get('count_entry_bytes').boolean(false);
  if (def.matchAll && def.value !== undefined)
    config.fail('`match_all: true` cannot be combined with `value`, please remove `match_all` or `value`');
  if (def.countBytes && !def.matchAll)
    config.get('count_entry_bytes').fail('`count_entry_bytes: true` can only be set with `match_all: true`');
  if (def.countBytes && action !== 'add')
    config.get('count_entry_bytes').fail('`count_entry_bytes: true` can only be used with `action: add`');
}

function parseGauge(config: ConfigNode, def: MetricDef): void {
  config.ignoreUnknownKeys(['value', 'action']);
  const actionNode: ConfigNode = config.get('action');
  const action = actionNode.string('').toLowerCase();
  if (action === '') actionNode.fail('gauge action must be defined as `set`, `inc`, `dec`, `add`, or `sub`');
  if (action !== 'set' && action !== 'inc' && action !== 'dec' && action !== 'add' && action !== 'sub')
    actionNode.fail(
      `action ${action} is not valid, action must be \`set\`, \`inc\`, \`dec\`, \`add\`, or \`sub\``,
    );
  def.action = action;
  def.value = config.get('value').optionalString();
}

function parseHistogram(config: ConfigNode, def: MetricDef): void {
  config.ignoreUnknownKeys(['value', 'buckets']);
  def.value = config.get('value').optionalString();
  const bucketsNode = config.get('buckets');
  const buckets = bucketsNode.list().map((n) => n.number());
  // As Prometheus: a trailing +Inf is implicit, and bounds must increase.
  if (buckets.at(-1) === Number.POSITIVE_INFINITY) buckets.pop();
  for (let i = 1; i < buckets.length; i++)
    if (!(buckets[i]! > buckets[i - 1]!)) bucketsNode.fail('histogram buckets must be in increasing order');
  if (buckets.length > 0) def.buckets = buckets;
}

// ---- series ------------------------------------------------------------------------------------

interface Series {
  labels: Record<string, string>;
  value: number;
  /** Histograms: observations per bucket (not cumulative); the +Inf bucket is `count`. */
  counts: Float64Array | undefined;
  sum: number;
  count: number;
  /** Date.now() of the last update (the clock node:test's mock timers drive). */
  lastMod: number;
}

interface SeriesKey {
  key: string;
  labels: Record<string, string>;
}

const seriesKeys = new WeakMap<LabelSet, SeriesKey>();

/**
 * The series labels of an entry's label set: names that are not valid Prometheus label names
 * or start with `__` are left out, as Promtail does. Cached per label set (shared per stream,
 * never mutated).
 */
function seriesKey(labels: LabelSet): SeriesKey {
  let k = seriesKeys.get(labels);
  if (k === undefined) {
    const clean: Record<string, string> = {};
    const names = Object.keys(labels)
      .filter((n) => isValidLabelName(n) && !n.startsWith('__'))
      .sort();
    for (const n of names) clean[n] = labels[n]!;
    k = { key: names.map((n) => `${n}\xff${labels[n]}`).join('\xfe'), labels: clean };
    seriesKeys.set(labels, k);
  }
  return k;
}

/** One metric and all its series, shaped as prom-client's registry expects a metric to be. */
class MetricFamily {
  readonly aggregator = 'sum';
  readonly series = new Map<string, Series>();
  /** Stages using this family; it leaves the registry when the last one closes. */
  refs = 0;

  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: Kind,
    readonly buckets: number[],
    public maxIdleMs: number,
  ) {}

  with(labels: LabelSet, now: number): Series {
    const k = seriesKey(labels);
    let s = this.series.get(k.key);
    if (s === undefined) {
      s = {
        labels: k.labels,
        value: 0,
        counts: this.type === 'histogram' ? new Float64Array(this.buckets.length) : undefined,
        sum: 0,
        count: 0,
        lastMod: now,
      };
      this.series.set(k.key, s);
    }
    s.lastMod = now;
    return s;
  }

  observe(s: Series, v: number): void {
    const b = this.buckets;
    for (let i = 0; i < b.length; i++) {
      if (v <= b[i]!) {
        s.counts![i]!++;
        break;
      }
    }
    s.sum += v;
    s.count++;
  }

  /** Called by prom-client at scrape time; idle series go first. */
  get() {
    const now = Date.now();
    for (const [key, s] of this.series) if (now - s.lastMod >= this.maxIdleMs) this.series.delete(key);
    const values: { value: number; labels: Record<string, string | number>; metricName?: string }[] = [];
    for (const s of this.series.values()) {
      if (this.type !== 'histogram') {
        values.push({ value: s.value, labels: s.labels });
        continue;
      }
      let cumulative = 0;
      for (let i = 0; i < this.buckets.length; i++) {
        cumulative += s.counts![i]!;
        values.push({
          metricName: `${this.name}_bucket`,
          labels: { ...s.labels, le: formatFloat(this.buckets[i]!, 'g', -1) },
          value: cumulative,
        });
      }
      values.push({ metricName: `${this.name}_bucket`, labels: { ...s.labels, le: '+Inf' }, value: s.count });
      values.push({ metricName: `${this.name}_sum`, labels: s.labels, value: s.sum });
      values.push({ metricName: `${this.name}_count`, labels: s.labels, value: s.count });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    this.series.clear();
  }
}

const familiesByRegistry = new WeakMap<Registry, Map<string, MetricFamily>>();

/**
 * The family for a metric name, shared by every metrics stage of the registry that defines the
 * same name (as Promtail registers one collector per name). A definition of another type or
 * other buckets replaces the family on the registry (a reload that changes the metric), with a
 * warning: the stages of the old definition keep counting into the detached one.
 */
function acquireFamily(registry: Registry, d: MetricDef, logger: Logger): MetricFamily {
  let families = familiesByRegistry.get(registry);
  if (families === undefined) {
    families = new Map();
    familiesByRegistry.set(registry, families);
  }
  let family = families.get(d.name);
  if (family !== undefined) {
    const sameBuckets =
      family.buckets.length === d.buckets.length && family.buckets.every((b, i) => b === d.buckets[i]);
    if (family.type === d.kind && sameBuckets) {
      family.refs++;
      family.maxIdleMs = Math.max(family.maxIdleMs, d.maxIdleMs);
      return family;
    }
    logger.warn('metric redefined by another metrics stage: the previous definition is no longer exposed', {
      metric: d.name,
      was: family.type,
      now: d.kind,
    });
    registry.removeSingleMetric(d.name);
  } else if (registry.getSingleMetric(d.name) !== undefined) {
    d.node.fail(`metric name "${d.name}" is already in use by another metric of the agent`);
  }
  family = new MetricFamily(d.name, d.help, d.kind, d.buckets, d.maxIdleMs);
  family.refs = 1;
  families.set(d.name, family);
  // The registry only reads name, help, type, aggregator, get() and reset().
  registry.registerMetric(family as unknown as Metric);
  return family;
}

function releaseFamily(registry: Registry, family: MetricFamily): void {
  if (--family.refs > 0) return;
  const families = familiesByRegistry.get(registry);
  if (families?.get(family.name) === family) families.delete(family.name);
  if ((registry.getSingleMetric(family.name) as unknown) === family) registry.removeSingleMetric(family.name);
  family.reset();
}

// ---- values ------------------------------------------------------------------------------------

/**
 * A number from an extracted value as Promtail's getFloat: numbers, booleans (1/0), strings Go
 * parses as a float or as a duration (in seconds: "250ms" is 0.25).
 */
export function extractedToFloat(v: unknown): number | undefined {
  switch (typeof v) {
    case 'number':
      return v;
    case 'bigint':
      return Number(v);
    case 'boolean':
      return v ? 1 : 0;
    case 'string': {
      // Go allows `_` in a float only after a base prefix.
      const f = v.includes('_') && !/^[+-]?0[xX]/.test(v) ? undefined : parseGoFloat(v);
      // Go's ParseFloat fails on out-of-range values (1e400); only Inf spelled out is infinite.
      if (f !== undefined && (Number.isFinite(f) || /inf|nan/i.test(v))) return f;
      if (v === '0') return 0;
      const ms = parseDuration(v, undefined, 'go');
      return ms === undefined ? undefined : ms / 1000;
    }
    default:
      return undefined;
  }
}

class MetricsStage implements Stage {
  readonly type = 'metrics';
  private lastWarn = Number.NEGATIVE_INFINITY;
  private closed = false;

  constructor(
    private readonly defs: MetricDef[],
    private readonly families: MetricFamily[],
    private readonly registry: Registry,
    private readonly logger: Logger,
  ) {}

  process(entry: Entry, out: StageOutput): void {
    const now = Date.now();
    const extracted = entry.extracted;
    for (let i = 0; i < this.defs.length; i++) {
      const d = this.defs[i]!;
      const family = this.families[i]!;
      if (d.matchAll) {
        // Counted whatever the extracted data holds.
        if (d.countBytes) this.add(d, family, entry.labels, Buffer.byteLength(entry.line, 'utf8'), now);
        else if (d.action === 'inc') family.with(entry.labels, now).value++;
        continue;
      }
      if (!Object.hasOwn(extracted, d.source)) continue;
      const v = extracted[d.source];
      if (d.value !== undefined && extractedToString(v) !== d.value) continue;
      this.record(d, family, entry.labels, v, now);
    }
    out.emit(entry);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const f of this.families) releaseFamily(this.registry, f);
  }

  private record(d: MetricDef, family: MetricFamily, labels: LabelSet, v: unknown, now: number): void {
    if (d.action === 'inc' && d.kind !== 'histogram') {
      family.with(labels, now).value++;
      return;
    }
    if (d.action === 'dec' && d.kind === 'gauge') {
      family.with(labels, now).value--;
      return;
    }
    const f = extractedToFloat(v);
    if (f === undefined) {
      this.logger.debug('failed to convert extracted value to float', {
        metric: d.name,
        source: d.source,
        value: v,
      });
      return;
    }
    if (d.kind === 'histogram') family.observe(family.with(labels, now), f);
    else if (d.kind === 'counter') this.add(d, family, labels, f, now);
    else if (d.action === 'set') family.with(labels, now).value = f;
    else if (d.action === 'add') family.with(labels, now).value += f;
    else family.with(labels, now).value -= f;
  }

  private add(d: MetricDef, family: MetricFamily, labels: LabelSet, f: number, now: number): void {
    // Go's client panics on a negative counter increment; skip it instead.
    if (f < 0) {
      if (now - this.lastWarn >= warnInterval) {
        this.lastWarn = now;
        this.logger.warn('counter cannot decrease: negative value skipped', { metric: d.name, value: f });
      }
      return;
    }
    family.with(labels, now).value += f;
  }
}
