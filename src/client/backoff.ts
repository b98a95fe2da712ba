// Retry pacing with dskit's semantics (what Promtail's backoff_config means): the n-th wait is
// drawn uniformly from [min·2^(n-1), min·2^n), both ends capped at max_period; `max_retries`
// counts failed attempts, so 10 means at most 10 attempts in all; 0 retries for ever.

import type { BackoffConfig } from '../config/types.js';
import { timerDelay } from '../timers.js';

export class Backoff {
  private retries = 0;
  private low: number;
  private high: number;

  constructor(
    private readonly cfg: BackoffConfig,
    private readonly random: () => number = Math.random,
  ) {
    this.low = cfg.minPeriodMs;
    this.high = Math.min(cfg.minPeriodMs * 2, cfg.maxPeriodMs);
  }

  /** Failed attempts so far. */
  get numRetries(): number {
    return this.retries;
  }

  /** Whether another attempt may be made. */
  ongoing(): boolean {
    return this.cfg.maxRetries === 0 || this.retries < this.cfg.maxRetries;
  }

  /** Counts a failed attempt and returns how long to wait before the next one. */
  nextDelay(): number {
    this.retries++;
    if (this.low >= this.high) return this.low;
    const delay = this.low + Math.floor(this.random() * (this.high - this.low));
    if (this.high < this.cfg.maxPeriodMs) {
      this.low = Math.min(this.low * 2, this.cfg.maxPeriodMs);
      this.high = Math.min(this.high * 2, this.cfg.maxPeriodMs);
    }
    return delay;
  }

  /**
   * Counts a failed attempt and waits before the next one, as dskit's Wait does: no wait when
   * no attempt is left. Resolves false when no attempt is left or `signal` aborted.
   */
  async wait(signal?: AbortSignal): Promise<boolean> {
    const delay = this.nextDelay();
    if (!this.ongoing() || signal?.aborted) return false;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, timerDelay(delay));
      signal?.addEventListener('abort', done, { once: true });
    });
    return !signal?.aborted;
  }
}
