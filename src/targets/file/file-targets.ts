// The file target manager: expands each target's `__path__` glob (minus `__path_exclude__`),
// watches the directories for files that appear and disappear (one inotify watch per directory,
// shared with the tailers of its files, plus a rescan every `target_config.sync_period`), and runs
// one tailer per file. A target that goes away does not
// stop its tailers at once: each reads its file to the end first (up to a grace period), so the
// last lines of a short-lived pod are shipped.
//
// Only regular files are tailed: a path the glob matches that is a FIFO, a device, a socket, a
// directory or a symlink loop is reported once (a warning and promtail_targets_failed_total
// {reason}) and left alone. A file reachable by two paths of one target (a symlinked directory
// under `**`) is tailed once: files are told apart by device and inode.

import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import picomatch from 'picomatch';
import type { DecompressionConfig } from '../../config/types.js';
import type { Logger } from '../../log.js';
import type { Metrics } from '../../metrics.js';
import type { InFlightBudget } from '../../positions/acks.js';
import type { PositionSink } from '../../positions/store.js';
import type { LineCodec } from '../../tail/encoding.js';
import {
  createFileReader,
  describeKind,
  type FileReader,
  NotRegularFileError,
  type NotTailedReason,
} from '../../tail/index.js';
import { forgetDirectory, type Watch, type WatchListener, watchDirectory } from '../../tail/watches.js';
import { timerDelay } from '../../timers.js';
import type { FileStatus, FileTarget, TargetStatus } from '../../types.js';
import { type EntrySink, type LabelSet, nowNanos, ReservedLabels } from '../../types.js';
import { DirectoryLister, type DirectoryVisitor, globBase, globOptions, listFiles } from './listing.js';

export interface FileTargetManagerOptions {
  positions: PositionSink;
  budget: InFlightBudget;
  metrics: Metrics;
  logger: Logger;
  /** `target_config.sync_period`: the longest a new file waits to be found without a watch event. */
  syncPeriodMs: number;
  /** How long a target that went away keeps reading its growing files. */
  drainGraceMs: number;
  minPollFrequencyMs: number;
  maxPollFrequencyMs: number;
  /** `limits_config.max_line_size` (0: the built-in ceiling): the most of a line a tailer holds. */
  maxLineSize?: number;
}

/** A target and where its entries go (its job's pipeline). */
export interface RunnableTarget extends FileTarget {
  sink: EntrySink;
  /** The job's `decompression`: compressed files matching the glob are read once, whole. */
  decompression?: DecompressionConfig;
  /** The job's `encoding` when not UTF-8 (see tail/encoding.ts). */
  codec?: LineCodec | undefined;
}

interface RunningTarget {
  target: RunnableTarget;
  match: (path: string) => boolean;
  exclude: ((path: string) => boolean) | undefined;
  /** Directory to scan and watch, and how deep (Infinity with `**`). */
  base: string;
  depth: number;
  tailers: Map<string, FileReader>;
  /** Device:inode of each file tailed (at its start) → its path, so a file is tailed once. */
  identities: Map<string, string>;
  /** Paths being looked at before a tailer starts. */
  admitting: Set<string>;
  draining: boolean;
}

export class FileTargetManager {
  private readonly running = new Map<string, RunningTarget>();
  /** The directories watched for new entries, with how deep below each the globs go. */
  private readonly watchers = new Map<string, { watch: Watch; depth: number }>();
  private readonly visitDirectory: DirectoryVisitor = (dir, depth) => this.watchDir(dir, depth);
  /** No directory watch failed since the last full rescan: events find new files, rescans are rarer. */
  private allWatched = true;
  private rescans = 0;
  private syncTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Paths refused (not regular files) and why, so each is reported once; pruned by rescans. */
  private readonly refused = new Map<string, NotTailedReason>();
  private readonly lister = new DirectoryLister();

  constructor(private readonly options: FileTargetManagerOptions) {
    this.syncTimer = setInterval(() => void this.rescanAll(), timerDelay(options.syncPeriodMs));
    this.syncTimer.unref();
  }

  /**
   * Makes the running targets of one job those given: new ones start, gone ones drain.
   * Targets are identified by their key within the job.
   */
  async sync(job: string, targets: readonly RunnableTarget[]): Promise<void> {
    if (this.stopped) return;
    const wanted = new Map(targets.map((t) => [`${job}\u0000${t.key}`, t]));
    for (const [id, rt] of this.running) {
      if (rt.target.job === job && !wanted.has(id) && !rt.draining) this.drain(id, rt);
    }
    const started: Promise<void>[] = [];
    for (const [id, target] of wanted) {
      const existing = this.running.get(id);
      if (existing && !existing.draining) {
        existing.target = target;
        continue;
      }
      const rt = this.prepare(target);
      this.running.set(id, rt);
      started.push(this.scan(rt));
    }
    await Promise.all(started);
    this.options.metrics.targetsActive.set(this.activeCount());
  }

  /** What the /targets page shows. */
  status(): TargetStatus[] {
    return [...this.running.values()].map((rt) => ({
      job: rt.target.job,
      labels: rt.target.labels,
      discoveredLabels: rt.target.discoveredLabels,
      pathGlob: rt.target.pathGlob,
      draining: rt.draining,
      files: [...rt.tailers.values()].map(
        (t): FileStatus => ({
          path: t.path,
          readOffset: t.readOffset,
          position: t.position,
        }),
      ),
    }));
  }

  /** Stops every tailer at once (positions keep what was delivered) and every watcher. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.syncTimer);
    const ends = [...this.running.values()].flatMap((rt) => [...rt.tailers.values()].map((t) => t.stop()));
    await Promise.all(ends);
    for (const w of this.watchers.values()) w.watch.close();
    this.watchers.clear();
    this.running.clear();
    this.options.metrics.targetsActive.set(0);
  }

  private activeCount(): number {
    let n = 0;
    for (const rt of this.running.values()) if (!rt.draining) n++;
    return n;
  }

  private prepare(target: RunnableTarget): RunningTarget {
    const { base, depth } = globBase(target.pathGlob);
    return {
      target,
      match: picomatch(target.pathGlob, globOptions),
      exclude: target.pathExclude ? picomatch(target.pathExclude, globOptions) : undefined,
      base,
      depth,
      tailers: new Map(),
      identities: new Map(),
      admitting: new Set(),
      draining: false,
    };
  }

  private drain(id: string, rt: RunningTarget): void {
    rt.draining = true;
    const ends = [...rt.tailers.values()].map((t) => t.drainAndStop(this.options.drainGraceMs));
    void Promise.all(ends).then(() => {
      if (this.running.get(id) === rt) this.running.delete(id);
      this.options.metrics.targetsActive.set(this.activeCount());
    });
  }

  private wants(rt: RunningTarget, path: string): boolean {
    return !rt.draining && rt.match(path) && !rt.exclude?.(path);
  }

  /**
   * Called for a path that exists (found by a listing or a directory event): a file no target
   * tails yet is admitted. Tailers hear their own files' events through the shared directory
   * watch. Resolves once the admitted tailers hold their files open.
   */
  private fileSeen(path: string): Promise<unknown> | undefined {
    let admitted: Promise<void>[] | undefined;
    for (const rt of this.running.values()) {
      if (!rt.tailers.has(path) && this.wants(rt, path) && !rt.admitting.has(path)) {
        rt.admitting.add(path);
        if (admitted === undefined) admitted = [];
        admitted.push(this.admit(rt, path).finally(() => rt.admitting.delete(path)));
      }
    }
    return admitted && Promise.all(admitted);
  }

  /** Starts a tailer for `path` if it is a regular file not tailed under another path already. */
  private async admit(rt: RunningTarget, path: string): Promise<void> {
    let id: string;
    try {
      const st = await stat(path, { bigint: true });
      if (!st.isFile()) {
        this.refuse(path, new NotRegularFileError(path, 'not_regular_file', describeKind(st)));
        return;
      }
      id = `${st.dev}:${st.ino}`;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ELOOP') this.refuse(path, new NotRegularFileError(path, 'symlink_loop', 'symlink loop'));
      else if (code !== 'ENOENT')
        this.refuse(path, new NotRegularFileError(path, 'unreadable', String(code)));
      return;
    }
    if (this.stopped || rt.draining || rt.tailers.has(path) || !this.wants(rt, path)) return;
    const other = rt.identities.get(id);
    if (other !== undefined && other !== path && rt.tailers.has(other)) {
      this.options.logger.debug('file already tailed under another path', { path, tailed: other });
      return;
    }
    this.refused.delete(path);
    rt.identities.set(id, path);
    await this.startTailer(rt, path, id);
  }

  /** Reports a path that will not be tailed: once per path and reason. */
  private refuse(path: string, err: NotRegularFileError): void {
    if (this.refused.get(path) === err.reason) return;
    this.refused.set(path, err.reason);
    this.options.metrics.targetsFailed.inc({ reason: err.reason });
    this.options.logger.warn('not tailing a path the glob matches: not a regular file', {
      path,
      reason: err.reason,
      error: err.message,
    });
  }

  /** Resolves once the tailer holds its file open (or could not open it). */
  private startTailer(rt: RunningTarget, path: string, id: string): Promise<void> {
    const labels: LabelSet = { ...rt.target.labels, [ReservedLabels.filename]: path };
    const tailer = createFileReader({
      path,
      decompression: rt.target.decompression,
      codec: rt.target.codec,
      positions: this.options.positions,
      budget: this.options.budget,
      metrics: this.options.metrics,
      logger: this.options.logger,
      minPollFrequencyMs: this.options.minPollFrequencyMs,
      maxPollFrequencyMs: this.options.maxPollFrequencyMs,
      maxLineSize: this.options.maxLineSize,
      onLine: (line, delivery) => {
        rt.target.sink({ labels, timestamp: nowNanos(), line, extracted: {}, delivery });
      },
    });
    rt.tailers.set(path, tailer);
    void tailer.done.then((end) => {
      if (rt.tailers.get(path) === tailer) rt.tailers.delete(path);
      if (rt.identities.get(id) === path) rt.identities.delete(id);
      if (end.error instanceof NotRegularFileError) this.refuse(path, end.error);
      else if (end.reason === 'error')
        this.options.logger.warn('stopped tailing file', { path, err: end.error });
    });
    return tailer.start().catch(() => {
      // The error is reported through `done`; a file that vanished before it was opened is normal.
    });
  }

  /**
   * Lists every watched base directory once (targets of a DaemonSet share /var/log/pods) and
   * offers each file to every target: O(files × targets) matches, not a listing per target.
   */
  private async rescanAll(): Promise<void> {
    // While every directory is watched, a rescan is only a safety net: one in `watchedRescanEvery`.
    if (this.allWatched && ++this.rescans % watchedRescanEvery !== 0) return;
    this.allWatched = true;
    const depthByBase = new Map<string, number>();
    for (const rt of this.running.values()) {
      if (!rt.draining) depthByBase.set(rt.base, Math.max(depthByBase.get(rt.base) ?? 0, rt.depth));
    }
    const paths = await this.lister.list(depthByBase, this.visitDirectory);
    for (const path of paths) this.fileSeen(path);
    if (this.refused.size > 0) {
      const seen = new Set(paths);
      for (const path of this.refused.keys()) if (!seen.has(path)) this.refused.delete(path);
    }
  }

  /**
   * A new target's first look: resolves once every file it matches now is held open, so the agent
   * reports itself started only when a rotation right after can no longer hide a file from it.
   */
  private async scan(rt: RunningTarget): Promise<void> {
    const opened: Promise<unknown>[] = [];
    for (const path of await listFiles(rt.base, rt.depth, this.visitDirectory)) {
      const p = this.wants(rt, path) ? this.fileSeen(path) : undefined;
      if (p !== undefined) opened.push(p);
    }
    await Promise.all(opened);
  }

  /** A directory appeared (a new pod or container), or its watch lost events: offer the files below it. */
  private async scanNewDirectory(dir: string, depth: number): Promise<void> {
    for (const path of await listFiles(dir, depth, this.visitDirectory)) this.fileSeen(path);
  }

  /**
   * Watches a directory a listing went through (a target's base or below it, `depth` levels above
   * the deepest the globs go). A new entry is offered to the targets (a file) or listed and
   * watched in turn (a directory); a directory that went away is no longer watched.
   */
  private watchDir(dir: string, depth: number): void {
    if (this.stopped) return;
    const known = this.watchers.get(dir);
    if (known !== undefined) {
      known.depth = Math.max(known.depth, depth);
      return;
    }
    const w = watchDirectory(dir, this.options.logger, this.directoryEvent);
    if (typeof w === 'string') {
      // missing: gone already; failed: every rescan runs in full, to find new files here
      if (w === 'failed') this.allWatched = false;
      return;
    }
    this.watchers.set(dir, { watch: w, depth });
  }

  /** An event of a watched directory (one listener for all of them: 20,000 directories, no closure each). */
  private readonly directoryEvent: WatchListener = (event, name, dir) => {
    const entry = this.watchers.get(dir);
    if (entry === undefined) return;
    if (name === undefined) {
      // Events were lost, or the watch broke (the directory went away): watch again, look again.
      this.watchers.delete(dir);
      entry.watch.close();
      void this.scanNewDirectory(dir, entry.depth);
      return;
    }
    const path = join(dir, name);
    if (event === 'change') {
      this.fileSeen(path);
      return;
    }
    void this.entryRenamed(dir, path, entry.depth);
  };

  /** An entry of a watched directory was created, deleted or renamed. */
  private async entryRenamed(dir: string, path: string, depth: number): Promise<void> {
    let st: Awaited<ReturnType<typeof stat>> | undefined;
    try {
      st = await stat(path);
    } catch {
      st = undefined;
    }
    if (st?.isDirectory()) {
      if (depth > 0 && !this.watchers.has(path)) await this.scanNewDirectory(path, depth - 1);
      return;
    }
    if (st !== undefined) {
      this.fileSeen(path);
      return;
    }
    // Gone: a watched directory among them (or the directory itself) is watched no more.
    this.unwatchTree(path);
    if (
      !(await stat(dir).then(
        (d) => d.isDirectory(),
        () => false,
      ))
    )
      this.unwatchTree(dir);
  }

  private unwatchTree(dir: string): void {
    const prefix = `${dir}/`;
    for (const [d, w] of this.watchers) {
      if (d !== dir && !d.startsWith(prefix)) continue;
      this.watchers.delete(d);
      w.watch.close();
      forgetDirectory(d);
    }
  }
}

/** With every directory watched, one periodic rescan in this many runs (sync_period 10 s: a minute). */
const watchedRescanEvery = 6;
