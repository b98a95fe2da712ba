// Counts, per scrape job, the streams that carried an entry recently: `logferry_active_streams{job}`
// and the streams per job on /targets. A stream is one label set as it leaves the pipeline for the
// clients (after relabeling and every stage); it is active from its first entry until it has had
// none for `streamIdleMs` (30 minutes, Loki's default `chunk_idle_period`: as long as an ingester
// keeps an idle stream in memory, so the gauge approximates what the job costs Loki).
//
// The hot path is one WeakMap lookup by the label set's identity (stages intern label sets, as the
// client's route cache relies on) and one number write. The labels string is made only for a label
// set not seen before. One timer per tracker (not per stream) advances a minute clock and expires
// idle streams, so a stream leaves the count between 30 and 31 minutes after its last entry.
// Memory is bounded: at most `maxTrackedStreams` streams are tracked (beyond, the gauge stays at
// the limit, with one warning), and a job gone from the config after a reload loses its series.

import { formatLabels } from '../labels.js';
import { type Logger, silentLogger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { LabelSet } from '../types.js';

/** How long a stream stays active without an entry: Loki's default `chunk_idle_period`. */
export const streamIdleMs = 30 * 60_000;
/** How often idle streams are expired (the resolution of the idle time). */
export const sweepIntervalMs = 60_000;
/** The most streams tracked at once over all jobs. */
export const maxTrackedStreams = 100_000;

const idleSweeps = streamIdleMs / sweepIntervalMs;

interface StreamState {
  key: string;
  /** The sweep count when the stream last carried an entry. */
  seen: number;
  /** Expired (or never counted, over the limit): the next entry counts it again. */
  gone: boolean;
}

type GaugeChild = ReturnType<Metrics['activeStreams']['labels']>;

/** The streams of one job. `see` is called once per entry on its way to the clients. */
export class JobStreams {
  private readonly byLabels = new WeakMap<LabelSet, StreamState>();
  /** Active streams by labels string. */
  readonly active = new Map<string, StreamState>();
  /** Detached from the tracker (the job left the config): counts nothing more. */
  closed = false;

  constructor(
    readonly job: string,
    private readonly tracker: ActiveStreams,
    private readonly gauge: GaugeChild,
  ) {
    gauge.set(0);
  }

  see(labels: LabelSet): void {
    const state = this.byLabels.get(labels);
    if (state !== undefined && !state.gone) state.seen = this.tracker.sweeps;
    else this.attach(labels, state);
  }

  private attach(labels: LabelSet, old: StreamState | undefined): void {
    if (this.closed) return;
    const key = old?.key ?? formatLabels(labels);
    let state = this.active.get(key);
    if (state === undefined) {
      // Over the limit the state stays `gone` and is kept, so its next entries retry cheaply
      // once per sweep rather than format the labels again.
      if (old !== undefined && old.seen === this.tracker.sweeps) return;
      state = old ?? { key, seen: 0, gone: true };
      state.seen = this.tracker.sweeps;
      if (this.tracker.admit()) {
        state.gone = false;
        this.active.set(key, state);
        this.gauge.set(this.active.size);
      }
    } else state.seen = this.tracker.sweeps;
    this.byLabels.set(labels, state);
  }

  /** Expires the streams idle for `streamIdleMs`; returns how many. */
  expire(now: number): number {
    let expired = 0;
    for (const [key, state] of this.active) {
      if (now - state.seen <= idleSweeps) continue;
      state.gone = true;
      this.active.delete(key);
      expired++;
    }
    if (expired > 0) this.gauge.set(this.active.size);
    return expired;
  }
}

/** The active streams of every job of the running config; lives across reloads. */
export class ActiveStreams {
  /** Sweeps so far: the clock streams are timed with. */
  sweeps = 0;
  private tracked = 0;
  private warned = false;
  private readonly jobs = new Map<string, JobStreams>();
  private readonly timer: NodeJS.Timeout;
  private readonly log: Logger;

  constructor(
    private readonly metrics: Metrics,
    logger: Logger = silentLogger,
  ) {
    this.log = logger.with({ component: 'streams' });
    this.timer = setInterval(() => this.sweep(), sweepIntervalMs);
    this.timer.unref();
  }

  /**
   * The jobs of the config now running: each gets its tracker (kept when it was there before),
   * and a job no longer there loses its streams and its series.
   */
  setJobs(names: Iterable<string>): void {
    const keep = new Set(names);
    for (const [name, job] of this.jobs) {
      if (keep.has(name)) continue;
      job.closed = true;
      this.tracked -= job.active.size;
      this.jobs.delete(name);
      this.metrics.activeStreams.remove({ job: name });
    }
    for (const name of keep) this.job(name);
  }

  /** The tracker of a job, made on first use. */
  job(name: string): JobStreams {
    let job = this.jobs.get(name);
    if (job === undefined) {
      job = new JobStreams(name, this, this.metrics.activeStreams.labels({ job: name }));
      this.jobs.set(name, job);
    }
    return job;
  }

  /** Active streams per job, for /targets. */
  counts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const [name, job] of this.jobs) counts.set(name, job.active.size);
    return counts;
  }

  /** @internal Whether one more stream may be tracked (warns once when not). */
  admit(): boolean {
    if (this.tracked < maxTrackedStreams) {
      this.tracked++;
      return true;
    }
    if (!this.warned) {
      this.warned = true;
      this.log.warn('too many active streams to count: logferry_active_streams stays at the limit', {
        limit: maxTrackedStreams,
      });
    }
    return false;
  }

  /** Advances the clock and expires idle streams (the timer calls it once a minute). */
  sweep(): void {
    this.sweeps++;
    for (const job of this.jobs.values()) this.tracked -= job.expire(this.sweeps);
  }

  close(): void {
    clearInterval(this.timer);
  }
}
