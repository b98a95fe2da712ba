// The file target manager: expands each target's `__path__` glob (minus `__path_exclude__`),
// watches the directories for files that appear and disappear (chokidar, plus a full rescan every
// `target_config.sync_period`), and runs one tailer per file. A target that goes away does not
// stop its tailers at once: each reads its file to the end first (up to a grace period), so the
// last lines of a short-lived pod are shipped.

import { readdir } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { type FSWatcher, watch } from 'chokidar';
import picomatch from 'picomatch';
import type { DecompressionConfig } from '../../config/types.js';
import type { Logger } from '../../log.js';
import type { Metrics } from '../../metrics.js';
import type { InFlightBudget } from '../../positions/acks.js';
import type { PositionSink } from '../../positions/store.js';
import type { LineCodec } from '../../tail/encoding.js';
import { createFileReader, type FileReader, Tailer } from '../../tail/index.js';
import { timerDelay } from '../../timers.js';
import type { FileStatus, FileTarget, TargetStatus } from '../../types.js';
import { type EntrySink, type LabelSet, nowNanos, ReservedLabels } from '../../types.js';

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
  draining: boolean;
}

export class FileTargetManager {
  private readonly running = new Map<string, RunningTarget>();
  private readonly watchers = new Map<string, FSWatcher>();
  private syncTimer: NodeJS.Timeout | undefined;
  private stopped = false;

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
      this.watchBase(rt.base, rt.depth);
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
          // A compressed file is read whole and has no byte offsets to show.
          readOffset: t instanceof Tailer ? t.readOffset : 0,
          position: t instanceof Tailer ? t.position : 0,
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
    await Promise.all([...this.watchers.values()].map((w) => w.close()));
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
    const glob = { dot: true, posixSlashes: true } as const;
    return {
      target,
      match: picomatch(target.pathGlob, glob),
      exclude: target.pathExclude ? picomatch(target.pathExclude, glob) : undefined,
      base,
      depth,
      tailers: new Map(),
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

  /** Called for a file that exists (found by a scan or a watch event). */
  private fileSeen(path: string): void {
    for (const rt of this.running.values()) {
      const tailer = rt.tailers.get(path);
      if (tailer) tailer.notify();
      else if (this.wants(rt, path)) this.startTailer(rt, path);
    }
  }

  private fileChanged(path: string): void {
    for (const rt of this.running.values()) rt.tailers.get(path)?.notify();
  }

  private startTailer(rt: RunningTarget, path: string): void {
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
      onLine: (line, delivery) => {
        rt.target.sink({ labels, timestamp: nowNanos(), line, extracted: {}, delivery });
      },
    });
    rt.tailers.set(path, tailer);
    void tailer.done.then((end) => {
      if (rt.tailers.get(path) === tailer) rt.tailers.delete(path);
      if (end.reason === 'error') this.options.logger.warn('stopped tailing file', { path, err: end.error });
    });
    tailer.start().catch(() => {
      // The error is reported through `done`; a file that vanished before it was opened is normal.
    });
  }

  /**
   * Lists every watched base directory once (targets of a DaemonSet share /var/log/pods) and
   * offers each file to every target: O(files × targets) matches, not a listing per target.
   */
  private async rescanAll(): Promise<void> {
    const depthByBase = new Map<string, number>();
    for (const rt of this.running.values()) {
      if (!rt.draining) depthByBase.set(rt.base, Math.max(depthByBase.get(rt.base) ?? 0, rt.depth));
    }
    for (const [base, depth] of depthByBase) {
      for (const path of await listFiles(base, depth)) this.fileSeen(path);
    }
  }

  private async scan(rt: RunningTarget): Promise<void> {
    for (const path of await listFiles(rt.base, rt.depth)) if (this.wants(rt, path)) this.fileSeen(path);
  }

  /** A directory appeared (a new pod or container): offer the files below it. */
  private async scanNewDirectory(dir: string): Promise<void> {
    for (const path of await listFiles(dir, maxNewDirectoryDepth)) this.fileSeen(path);
  }

  private watchBase(base: string, depth: number): void {
    if (this.watchers.has(base)) return;
    const watcher = watch(base, {
      ignoreInitial: true,
      depth: Number.isFinite(depth) ? depth : undefined,
      // Tailers read the files themselves; chokidar only says that something happened.
      alwaysStat: false,
      ignorePermissionErrors: true,
    });
    watcher.on('add', (path) => this.fileSeen(path));
    watcher.on('change', (path) => this.fileChanged(path));
    watcher.on('unlink', (path) => this.fileChanged(path));
    watcher.on('addDir', (dir) => void this.scanNewDirectory(dir));
    watcher.on('error', (err) => this.options.logger.warn('directory watch failed', { dir: base, err }));
    this.watchers.set(base, watcher);
  }
}

/** How deep below a directory that just appeared to look for files (pod → container → file). */
const maxNewDirectoryDepth = 4;

/** The longest directory prefix of a glob without glob characters, and how deep below it to look. */
export function globBase(glob: string): { base: string; depth: number } {
  const parts = glob.split(sep);
  const magic = parts.findIndex((p) => /[*?[\]{}!]/.test(p));
  if (magic === -1) return { base: parts.slice(0, -1).join(sep) || sep, depth: 0 };
  const base = parts.slice(0, magic).join(sep) || sep;
  const rest = parts.slice(magic);
  return { base, depth: rest.includes('**') ? Number.POSITIVE_INFINITY : rest.length - 1 };
}

/** Regular files below `dir`, at most `depth` directories down. */
async function listFiles(dir: string, depth: number): Promise<string[]> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isFile() || e.isSymbolicLink()) out.push(path);
    else if (e.isDirectory() && depth > 0) out.push(...(await listFiles(path, depth - 1)));
  }
  return out;
}
