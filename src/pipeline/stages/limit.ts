// The `limit` stage: a token bucket of `rate` entries per second and `burst` entries, as
// Promtail's limit stage (golang.org/x/time/rate). With `drop: true` entries over the limit
// are dropped (reason `ratelimit_drop_stage`); otherwise they are held and passed on in order
// as tokens come, on a timer, never blocking the event loop. `by_label_name` keeps one bucket
// per value of a label (drop only), as Promtail.

import { Counter, type Registry } from 'prom-client';
import type { Logger } from '../../log.js';
import type { Entry } from '../../types.js';
import type { Stage, StageDefinition, StageOutput } from '../stage.js';

const dropReason = 'ratelimit_drop_stage';
const minDistinctLabels = 10_000;
/** Held entries past which a warning says the input outpaces the rate. */
const backlogWarning = 100_000;

export const limitStage: StageDefinition = {
  type: 'limit',
  create(options, ctx) {
    options.ignoreUnknownKeys(['rate', 'burst', 'drop', 'by_label_name', 'max_distinct_labels']);
    const rate = options.get('rate').number(0);
    const burst = options.get('burst').integer(0);
    if (rate <= 0 || burst <= 0) options.fail('limit stage failed to parse rate or burst');
    const drop = options.get('drop').boolean(false);
    const byLabel = options.get('by_label_name').string('');
    if (byLabel !== '' && !drop)
      options.get('by_label_name').fail('When ratelimiting by label, drop must be true');
    const logger = ctx.logger.with({ component: 'stage', type: 'limit' });
    if (byLabel === '') return new LimitStage(new TokenBucket(rate, burst), drop, logger);

    const maxNode = options.get('max_distinct_labels');
    let maxDistinct = maxNode.integer(minDistinctLabels);
    if (maxDistinct < minDistinctLabels) {
      logger.warn(
        `max_distinct_labels was adjusted up to the minimal reasonable value of ${minDistinctLabels}`,
      );
      maxDistinct = minDistinctLabels;
    }
    return new LimitByLabelStage(
      rate,
      burst,
      byLabel,
      maxDistinct,
      droppedByLabelCounter(ctx.metrics.registry),
    );
  },
};

/** `logentry_dropped_lines_by_label_total`, shared by every limit stage of a registry. */
function droppedByLabelCounter(registry: Registry): Counter<'label_name' | 'label_value'> {
  const name = 'logentry_dropped_lines_by_label_total';
  const existing = registry.getSingleMetric(name);
  if (existing instanceof Counter) return existing as Counter<'label_name' | 'label_value'>;
  return new Counter({
    name,
    help: 'A count of all log lines dropped as a result of a pipeline stage',
    labelNames: ['label_name', 'label_value'],
    registers: [registry],
  });
}

/** golang.org/x/time/rate's bucket: starts full, refills `rate` tokens per second up to `burst`. */
class TokenBucket {
  private tokens: number;
  private last = performance.now();

  constructor(
    private readonly rate: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
  }

  /** Takes a token if one is there. */
  allow(now = performance.now()): boolean {
    this.refill(now);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Milliseconds until a token is there. */
  delay(now = performance.now()): number {
    this.refill(now);
    return this.tokens >= 1 ? 0 : ((1 - this.tokens) / this.rate) * 1000;
  }

  private refill(now: number): void {
    const t = this.tokens + ((now - this.last) / 1000) * this.rate;
    this.tokens = Math.min(t, this.burst);
    this.last = now;
  }
}

class LimitStage implements Stage {
  readonly type = 'limit';
  private out: StageOutput | undefined;
  /** Entries waiting for a token, oldest first, from `head` on. */
  private queue: (Entry | undefined)[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | undefined;
  private warned = false;

  constructor(
    private readonly bucket: TokenBucket,
    private readonly drop: boolean,
    private readonly logger: Logger,
  ) {}

  process(entry: Entry, out: StageOutput): void {
    this.out = out;
    if (this.drop) {
      if (this.bucket.allow()) out.emit(entry);
      else out.drop(entry, dropReason);
      return;
    }
    // Once entries wait, later ones wait behind them, so order is kept.
    if (this.head === this.queue.length && this.bucket.allow()) {
      out.emit(entry);
      return;
    }
    this.queue.push(entry);
    const held = this.queue.length - this.head;
    if (held >= backlogWarning && !this.warned) {
      this.warned = true;
      this.logger.warn('limit stage is holding many entries: the input is faster than the rate', { held });
    }
    this.schedule();
  }

  /** Passes every held entry on at once, whatever the rate (end of input, shutdown). */
  flush(out: StageOutput): void {
    this.out = out;
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.head < this.queue.length) this.next(out);
  }

  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.queue = [];
    this.head = 0;
  }

  private schedule(): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => this.drain(), Math.max(1, Math.ceil(this.bucket.delay())));
    this.timer.unref();
  }

  private drain(): void {
    this.timer = undefined;
    const out = this.out!;
    const now = performance.now();
    while (this.head < this.queue.length && this.bucket.allow(now)) this.next(out);
    if (this.head < this.queue.length) this.schedule();
  }

  private next(out: StageOutput): void {
    const entry = this.queue[this.head]!;
    this.queue[this.head++] = undefined;
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
      this.warned = false;
    } else if (this.head >= 1024 && this.head * 2 >= this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    out.emit(entry);
  }
}

/**
 * One bucket per label value, kept in two generations as Promtail's GenerationalMap: when the
 * new generation reaches `maxDistinct` values it becomes the old one (still consulted) and the
 * by-label counter is reset, so memory stays bounded.
 */
class LimitByLabelStage implements Stage {
  readonly type = 'limit';
  private oldgen = new Map<string, TokenBucket>();
  private newgen = new Map<string, TokenBucket>();

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    private readonly labelName: string,
    private readonly maxDistinct: number,
    private readonly droppedByLabel: Counter<'label_name' | 'label_value'>,
  ) {}

  process(entry: Entry, out: StageOutput): void {
    const value = entry.labels[this.labelName];
    // Entries without the label are not limited, as in Promtail.
    if (typeof value !== 'string' || this.bucketFor(value).allow()) {
      out.emit(entry);
      return;
    }
    this.droppedByLabel.inc({ label_name: this.labelName, label_value: value });
    out.drop(entry, dropReason);
  }

  private bucketFor(value: string): TokenBucket {
    let bucket = this.newgen.get(value);
    if (bucket !== undefined) return bucket;
    bucket = this.oldgen.get(value) ?? new TokenBucket(this.rate, this.burst);
    this.newgen.set(value, bucket);
    if (this.newgen.size === this.maxDistinct) {
      this.oldgen = this.newgen;
      this.newgen = new Map();
      this.droppedByLabel.reset();
    }
    return bucket;
  }
}
