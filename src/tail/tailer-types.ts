// The tailer's options, results and per-file bookkeeping types (tailer.ts), apart so that the
// tailer stays readable and compressed.ts can share them without importing the tailer.

import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { InFlightBudget, LineDelivery } from '../positions/acks.js';
import type { PositionSink } from '../positions/store.js';
import type { Fingerprint } from './files.js';
import type { LineSplitOptions } from './lines.js';

export interface TailerOptions extends LineSplitOptions {
  /** The file's path, as the target names it (the `filename` label, the positions key). */
  path: string;
  /** Called once per complete line, in file order. The line's bytes are [delivery.start, delivery.end). */
  onLine: (line: string, delivery: LineDelivery) => void;
  positions: PositionSink;
  budget: InFlightBudget;
  metrics?: Metrics;
  logger?: Logger;
  /** `global.file_watch_config.min_poll_frequency`, default 250 ms. */
  minPollFrequencyMs?: number;
  /** `global.file_watch_config.max_poll_frequency`, default 250 ms. */
  maxPollFrequencyMs?: number;
  /** Longest safety-net poll interval while the file is watched. Default 5 s. */
  watchedPollCeilingMs?: number;
}

/** Why a tailer ended: stop(), drainAndStop() finished, the file was deleted, or an I/O error. */
export type TailEndReason = 'stopped' | 'drained' | 'gone' | 'error';

export interface TailEnd {
  reason: TailEndReason;
  error?: Error;
}

/** Reasons of logferry_lost_bytes_total. */
export type LossReason = 'truncated' | 'rotated' | 'drain_timeout' | 'error';

export interface HeldFile {
  fd: number;
  dev: bigint;
  ino: bigint;
  /** The first bytes' fingerprint, to find this file's copy after a copytruncate. */
  fp: Fingerprint | undefined;
  /** A truncated file queued behind its copy: it may be truncated again before we get to it. */
  truncatedBehindCopy?: boolean;
  /** A copy left by copytruncate: nobody writes to it, no need to wait for late writes. */
  isCopy?: boolean;
}

/** What the path names now, compared with the files we hold. */
export type PathState = 'same' | 'missing' | 'newer';

/** Rotated files a tailer holds open at most while behind. */
export const maxHeldFiles = 8;
