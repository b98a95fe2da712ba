// limits_config's readline_rate: one token bucket for every entry on its way to the clients,
// as Promtail's global readline limiter (golang.org/x/time/rate semantics: `readline_burst`
// tokens to start with, refilled at `readline_rate` per second). With `readline_rate_drop`
// entries over the limit are dropped and counted in logentry_dropped_lines_total
// {reason="global_rate_limiter_drop"}; without it they wait their turn in a queue.

import type { LimitsConfig } from '../config/types.js';
import type { Metrics } from '../metrics.js';
import type { Entry, EntrySink } from '../types.js';

/** Promtail's reason label for entries the readline limiter drops. */
export const readlineDropReason = 'global_rate_limiter_drop';

export interface RateLimitedSink {
  send: EntrySink;
  /** Entries held back waiting for tokens (always 0 in drop mode). */
  queuedEntries(): number;
  /** Line bytes held back waiting for tokens. */
  queuedBytes(): number;
  /** Passes every held entry on at once (shutdown) and stops the timer. */
  flush(): void;
}

type LimiterConfig = Pick<
  LimitsConfig,
  'readlineRate' | 'readlineBurst' | 'readlineRateEnabled' | 'readlineRateDrop'
>;

/**
 * Wraps `next` with the readline rate limit, or returns a pass-through when it is not enabled
 * (or the rate is not positive: unlimited, as the config documents).
 */
export function createReadlineLimiter(
  limits: LimiterConfig,
  metrics: Metrics,
  next: EntrySink,
  now: () => number = () => performance.now(),
): RateLimitedSink {
  if (!limits.readlineRateEnabled || !(limits.readlineRate > 0)) {
    return { send: next, queuedEntries: () => 0, queuedBytes: () => 0, flush: () => {} };
  }
  const bucket = new TokenBucket(limits.readlineRate, limits.readlineBurst, now);
  if (limits.readlineRateDrop) {
    const dropped = metrics.pipelineDroppedLines.labels({ reason: readlineDropReason });
    return {
      send(entry) {
        if (bucket.allow()) next(entry);
        else {
          dropped.inc();
          entry.delivery?.release();
        }
      },
      queuedEntries: () => 0,
      queuedBytes: () => 0,
      flush: () => {},
    };
  }
  return new WaitingLimiter(bucket, next);
}

class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly rate: number,
    readonly burst: number,
    private readonly now: () => number,
  ) {
    this.tokens = burst;
    this.last = now();
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.rate);
    this.last = t;
  }

  allow(): boolean {
    this.refill();
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    return false;
  }

  /** Milliseconds until one token is available. */
  msUntilToken(): number {
    this.refill();
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) / this.rate) * 1000);
  }
}

/** Non-drop mode: entries wait in order; a timer releases them as tokens come. */
class WaitingLimiter implements RateLimitedSink {
  private readonly queue: Entry[] = [];
  private head = 0;
  private bytes = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly bucket: TokenBucket,
    private readonly next: EntrySink,
  ) {}

  readonly send = (entry: Entry): void => {
    // Go's Wait with burst 0 fails at once and Promtail ignores the error: the entry passes.
    if (this.head === this.queue.length && (this.bucket.burst <= 0 || this.bucket.allow())) {
      this.next(entry);
      return;
    }
    this.queue.push(entry);
    this.bytes += entry.line.length;
    this.schedule();
  };

  queuedEntries(): number {
    return this.queue.length - this.head;
  }

  queuedBytes(): number {
    return this.bytes;
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.head < this.queue.length) this.emit();
    this.compact();
  }

  private emit(): void {
    const entry = this.queue[this.head]!;
    this.queue[this.head] = undefined as unknown as Entry;
    this.head++;
    this.bytes -= entry.line.length;
    this.next(entry);
  }

  private compact(): void {
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
    } else if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
  }

  private schedule(): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      while (this.head < this.queue.length && this.bucket.allow()) this.emit();
      this.compact();
      if (this.head < this.queue.length) this.schedule();
    }, this.bucket.msUntilToken());
  }
}
