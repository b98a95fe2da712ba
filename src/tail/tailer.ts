// Reads one log file by path from its saved position and hands on every complete line, with a
// Delivery that carries its byte range, so positions advance only over delivered lines. Driven
// by change: an inotify watch on the file and directory events wake it; asleep at the end of the
// file, a safety-net stat poll on the shared clock backs off from `min_poll_frequency`. Follows
// rename+create (new file held open at once, old one read to its end first), copytruncate (the
// copy read from the old offset, then the file from 0) and deletion (read to the end, position
// removed); what can never be read is counted. Lines are split at '\n' by lines.ts, which never
// holds more of a line than the limit. Only regular files are opened (files.ts). The whole
// story, with its metrics and differences from Promtail: docs/tailing.md.

import * as fs from 'node:fs';
import { lineSizeCeiling } from '../config/defaults.js';
import { type Logger, silentLogger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { FileAcks, type InFlightBudget, type LineDelivery } from '../positions/acks.js';
import type { PositionSink } from '../positions/store.js';
import { timerDelay } from '../timers.js';
import { pollClock, type Tickable } from './clock.js';
import {
  findCopy,
  fingerprintBytes,
  fingerprintOf,
  fingerprintOfBytes,
  fstat,
  NotRegularFileError,
  openRegular,
  pathChanged,
  pathIs,
  startsAsBefore,
  unreadBytes,
} from './files.js';
import { LineSplitter } from './lines.js';
import {
  type HeldFile,
  type LossReason,
  maxHeldFiles,
  type PathState,
  type TailEnd,
  type TailerOptions,
} from './tailer-types.js';
import { type Watch, watchPath } from './watches.js';

export type { LossReason, TailEnd, TailEndReason, TailerOptions } from './tailer-types.js';

export class Tailer implements Tickable {
  readonly path: string;
  /** Settles once, when the tailer has ended for good (never rejects). */
  readonly done: Promise<TailEnd>;

  private readonly onLine: (line: string, delivery: LineDelivery) => void;
  private readonly positions: PositionSink;
  private readonly budget: InFlightBudget;
  private readonly metrics: Metrics | undefined;
  private readonly baseLogger: Logger;
  private namedLogger: Logger | undefined;
  private readonly minPollMs: number;
  private readonly maxPollMs: number;
  private readonly watchedCeilingMs: number;

  private resolveDone!: (end: TailEnd) => void;
  private acks: FileAcks | undefined;
  private current: HeldFile | undefined;
  private readonly next: HeldFile[] = [];
  private readonly lines: LineSplitter;
  /** The file's size as last reported in promtail_file_bytes_total (set only when it changes). */
  private reportedSize = -1;
  /** A rotated file at the path not opened (too many held), with its last known size. */
  private declined: { ino: bigint; size: number } | undefined;

  private started = false;
  private ended = false;
  private stopping = false;
  private draining = false;
  private drainDeadline = 0;
  /** Set by the drain timer itself: timers may fire a little before Date.now() reaches the deadline. */
  private drainExpired = false;
  private drainTimer: NodeJS.Timeout | undefined;
  /** This file's share of its directory's inotify watch (watches.ts). */
  private watcher: Watch | undefined;
  private watchFailed = false;
  private checking: Promise<PathState> | undefined;
  /** Resolves a wait for file changes (watch event, poll, notify, stop). */
  private wakeup: (() => void) | undefined;
  /** Resolves a wait for budget room (stop, drain deadline). */
  private interrupt: (() => void) | undefined;
  /** Set while asleep at the end of the file: resolves the sleep. */
  private idleResolve: (() => void) | undefined;
  /** Safety-net poll interval now (doubles while nothing changes). */
  private idleMs: number;
  /** Size and identity the file had when the tailer went to sleep. */
  private idleSize = 0;
  private idleIno = 0;
  private idleDev = 0;
  /** Generation of the scheduled clock tick; older ticks are ignored. */
  private tickGen = 0;
  /** A change was signalled while reading: look again before going to sleep. */
  private changedWhileBusy = false;

  /** The `path` label of this file's series (no metric children held: 10,000 files, 30,000 of them). */
  private readonly pathLabel: { path: string };

  constructor(options: TailerOptions) {
    this.path = options.path;
    this.onLine = options.onLine;
    this.positions = options.positions;
    this.budget = options.budget;
    this.metrics = options.metrics;
    this.baseLogger = options.logger ?? silentLogger;
    this.pathLabel = { path: this.path };
    this.minPollMs = options.minPollFrequencyMs ?? 250;
    this.maxPollMs = Math.max(this.minPollMs, options.maxPollFrequencyMs ?? 250);
    this.watchedCeilingMs = Math.max(this.maxPollMs, options.watchedPollCeilingMs ?? 5000);
    this.idleMs = this.minPollMs;
    this.lines = new LineSplitter(
      (options.maxLineSize || lineSizeCeiling) + 1,
      options.chunkSize ?? 256 * 1024,
      options.codec,
    );
    this.done = new Promise((resolve) => {
      this.resolveDone = resolve;
    });
  }

  /**
   * Opens the file and starts reading from its saved position (from 0 when there is none, or when
   * it lies past the end of the file). Rejects when the file cannot be opened or is not a regular
   * file (a NotRegularFileError); `done` then settles with reason 'error'.
   */
  async start(): Promise<void> {
    if (this.started) throw new Error(`tailer for ${this.path} already started`);
    this.started = true;
    let file: HeldFile;
    let size: number;
    try {
      const opened = await openRegular(this.path);
      file = { fd: opened.fd, dev: opened.dev, ino: opened.ino, fp: undefined };
      size = Number(opened.size);
    } catch (err) {
      const error =
        err instanceof NotRegularFileError
          ? err
          : new Error(`cannot open ${this.path} for tailing: ${(err as Error).message}`);
      this.finish({ reason: 'error', error });
      throw error;
    }
    if (this.stopping) {
      fs.close(file.fd, () => {});
      this.finish({ reason: 'stopped' });
      return;
    }
    this.current = file;
    let offset = this.positions.get(this.path) ?? 0;
    if (offset > size) {
      this.logger.info(
        'saved position is past the end of the file (truncated or replaced): reading from the start',
        { position: offset, size },
      );
      offset = 0;
    }
    if (offset > 0) file.fp = fingerprintOf(file.fd);
    this.acks = new FileAcks(this.positions, this.path, this.budget, offset);
    this.lines.reset(offset);
    if (this.metrics) {
      this.metrics.filesActive.inc();
      this.setReadBytes(offset);
    }
    this.reportSize(size);
    this.debug('start tailing', { position: offset });
    this.watch();
    pollClock.hold();
    this.scheduleTick(this.minPollMs);
    void this.run();
  }

  /** Stops at once: no more lines are read; positions keep following releases of lines already handed out. */
  stop(): Promise<TailEnd> {
    this.stopping = true;
    if (!this.started) this.finish({ reason: 'stopped' });
    this.wake();
    return this.done;
  }

  /** Reads to the end (and on while it grows) for at most `graceMs`, then ends: a target went away. */
  drainAndStop(graceMs: number): Promise<TailEnd> {
    if (!this.started) return this.stop();
    if (!this.draining) {
      this.draining = true;
      this.drainDeadline = Date.now() + graceMs;
      this.drainTimer = setTimeout(() => {
        this.drainExpired = true;
        this.wake();
      }, timerDelay(graceMs));
      this.wake();
    }
    return this.done;
  }

  /** A hint that the path may have changed (directory event): asleep, stat it and wake only on a change. */
  notify(): void {
    if (this.idleResolve !== undefined) {
      if (this.changedSinceIdle()) this.changed();
      return;
    }
    this.changed();
  }

  /** Offset up to which lines have been handed on in the file currently read. */
  get readOffset(): number {
    return this.lines.base;
  }

  /** The position that is safe to resume from (all lines before it are released). */
  get position(): number {
    return this.acks?.offset ?? this.positions.get(this.path) ?? 0;
  }

  /** The clock's call: the safety-net poll while asleep, a look for rotations while reading. */
  tick(generation: number): void {
    if (generation !== this.tickGen || this.ended) return;
    if (this.idleResolve !== undefined) {
      if (this.changedSinceIdle()) {
        this.changed();
        return;
      }
      // Watched: at least 5 s, longer with many files (all together stat 200 paths a second at most).
      const ceiling =
        this.watcher !== undefined ? pollClock.spreadInterval(this.watchedCeilingMs, 200) : this.maxPollMs;
      this.idleMs = Math.min(ceiling, this.idleMs * 2);
      // At the ceiling: up to a quarter later at random (files started together drift apart),
      // rounded up to a whole second so the polls due together share one wake-up of the clock.
      if (this.idleMs !== ceiling) this.scheduleTick(this.idleMs);
      else {
        const now = Date.now();
        this.scheduleTick(Math.ceil((now + ceiling + (Math.random() * ceiling) / 4) / 1000) * 1000 - now);
      }
      return;
    }
    // Reading, or waiting for a read slot or budget room: the path may be rotated meanwhile (a
    // missed rename event); hold the next file early. One sync stat; the async look (which opens
    // the new file) only when the path names another file than the newest we hold.
    const newest = this.next.length > 0 ? this.next[this.next.length - 1]! : this.current;
    if (newest !== undefined && pathIs(this.path, newest.ino, newest.dev)) {
      this.scheduleTick(this.minPollMs);
      return;
    }
    this.checkPath().then(
      () => this.scheduleTick(this.minPollMs),
      () => this.scheduleTick(this.minPollMs),
    );
  }

  /** Something happened to the file: wake the reader now (or make it look again before sleeping). */
  private changed(): void {
    const idle = this.idleResolve;
    if (idle !== undefined) {
      this.idleResolve = undefined;
      this.idleMs = this.minPollMs;
      this.scheduleTick(this.minPollMs);
      idle();
      return;
    }
    this.changedWhileBusy = true;
    const w = this.wakeup;
    if (w) w();
  }

  /** Cheap: one stat of the path, compared with what it was when we went to sleep. */
  private changedSinceIdle(): boolean {
    return pathChanged(this.path, this.idleSize, this.idleIno, this.idleDev);
  }

  private scheduleTick(ms: number): void {
    pollClock.schedule(this, ++this.tickGen, ms);
  }

  private wake(): void {
    const w = this.wakeup;
    if (w) w();
    const i = this.interrupt;
    if (i) i();
    const idle = this.idleResolve;
    if (idle) {
      this.idleResolve = undefined;
      idle();
    }
  }

  /** Follows the file until it ends, then finish()es (no promise chained per tailer). */
  private async run(): Promise<void> {
    let lookedAgain = false;
    let goneSince = 0;
    try {
      for (;;) {
        if (this.stopping) return this.finish({ reason: 'stopped' });
        if (this.drainExpired) {
          await this.countUnread('drain_timeout');
          return this.finish({ reason: 'drained' });
        }
        if (this.budget.full) {
          await this.waitForRoom();
          continue;
        }
        this.changedWhileBusy = false;
        const n = await this.readSome();
        if (n > 0) {
          lookedAgain = false;
          goneSince = 0;
          continue;
        }
        if (n < 0) {
          // Its start changed: truncated and rewritten past our offset.
          await this.truncated(-1, this.readPos, this.reportedSize);
          continue;
        }

        // At the end of the file we hold: find out what happened to it.
        const cur = this.current!;
        let st: fs.BigIntStats | undefined = await fstat(cur.fd);
        const size = Number(st.size);
        const deleted = st.nlink === 0n;
        const known = this.reportedSize;
        this.reportSize(size);
        const readPos = this.readPos;
        if (size < readPos) {
          await this.truncated(size, readPos, known);
          continue;
        }
        const state = this.next.length > 0 ? 'newer' : await this.checkPath(deleted);
        if (this.stopping) continue;
        if (state === 'newer') {
          // Writers may still append to the old file until they reopen: one more look before leaving it.
          if (!lookedAgain && !cur.isCopy) {
            lookedAgain = true;
            await this.waitForChange(this.lookAgainMs);
            continue;
          }
          if (this.next.length > 0) {
            await this.switchToNext();
            lookedAgain = false;
          }
          continue;
        }
        if (state === 'missing') {
          if (goneSince === 0) goneSince = Date.now();
          // A rename may be followed by the creation of the new file a moment later.
          if (!this.draining && Date.now() - goneSince < Math.max(1000, 2 * this.lookAgainMs)) {
            await this.waitForChange(this.lookAgainMs);
            continue;
          }
          if (!lookedAgain) {
            lookedAgain = true;
            continue;
          }
          this.emitPartial();
          this.countDeclined();
          this.logger.info('file was deleted and read to its end: stop tailing');
          return this.finish({ reason: 'gone' });
        }
        goneSince = 0;
        if (this.draining) {
          // Read to the end; one more look to see whether it still grows, then done.
          if (lookedAgain) return this.finish({ reason: 'drained' });
          lookedAgain = true;
          await this.waitForChange(Math.min(this.lookAgainMs, Math.max(0, this.drainDeadline - Date.now())));
          continue;
        }
        lookedAgain = false;
        if (this.changedWhileBusy) continue;
        this.idleIno = Number(st.ino);
        this.idleDev = Number(st.dev);
        st = undefined; // not held by this frame while asleep
        await this.sleep(size);
      }
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      this.logger.error('error reading file, stop tailing', { error });
      await this.countUnread('error').catch(() => {});
      return this.finish({ reason: 'error', error });
    }
  }

  /** Wait for late writes to a file being left, or a new file after a deletion (events do the rest). */
  private get lookAgainMs(): number {
    return Math.min(this.minPollMs, 250);
  }

  /** File offset of the next byte to read. */
  private get readPos(): number {
    return this.lines.readPos;
  }

  /** Sleeps at the end of the file until a watch event, a notify that sees a change, or the safety-net poll. */
  private sleep(size: number): Promise<void> {
    if (this.stopping || this.drainExpired || this.draining) return Promise.resolve();
    this.idleSize = size;
    return new Promise((resolve) => {
      this.idleResolve = resolve;
      this.idleMs = this.minPollMs;
      this.scheduleTick(this.idleMs);
    });
  }

  /** With the file's path, made on first use: most tailers never log. */
  private get logger(): Logger {
    this.namedLogger ??= this.baseLogger.with({ component: 'tailer', path: this.path });
    return this.namedLogger;
  }

  /** A debug line with the file's path, without making (and keeping) a logger for it. */
  private debug(msg: string, fields: Record<string, unknown>): void {
    (this.namedLogger ?? this.baseLogger).debug(
      msg,
      this.namedLogger ? fields : { component: 'tailer', path: this.path, ...fields },
    );
  }

  private reportSize(size: number): void {
    if (size === this.reportedSize) return;
    this.reportedSize = size;
    this.metrics?.fileBytes.set(this.pathLabel, size);
  }

  /** promtail_read_bytes_total: a gauge of the read position, as in Promtail. */
  private setReadBytes(n: number): void {
    this.metrics?.readBytes.set(this.pathLabel, n);
  }

  private countLines(n: number): void {
    this.metrics?.readLines.inc(this.pathLabel, n);
  }

  private finish(end: TailEnd): void {
    if (this.ended) return;
    this.ended = true;
    this.tickGen++;
    this.idleResolve = undefined;
    clearTimeout(this.drainTimer);
    this.watcher?.close();
    this.watcher = undefined;
    for (const f of this.next) fs.close(f.fd, () => {});
    this.next.length = 0;
    if (this.current) fs.close(this.current.fd, () => {});
    this.current = undefined;
    this.acks?.close(end.reason === 'gone');
    if (this.acks) pollClock.release();
    if (this.metrics && this.acks) {
      this.metrics.filesActive.dec();
      this.metrics.readBytes.remove(this.path);
      this.metrics.readLines.remove(this.path);
      this.metrics.fileBytes.remove(this.path);
    }
    this.debug('stopped tailing', { reason: end.reason, position: this.acks?.offset });
    this.resolveDone(end);
  }

  /** Counts bytes that will never be read, with one warning for this file. */
  private lose(bytes: number, reason: LossReason, detail: Record<string, unknown> = {}): void {
    if (bytes <= 0) return;
    this.metrics?.lostBytes.inc({ reason }, bytes);
    this.logger.warn('bytes of the file will never be read', { reason, bytes, ...detail });
  }

  /** The tailer leaves a file it has not read to its end (drain deadline, error). */
  private async countUnread(reason: LossReason): Promise<void> {
    if (this.current === undefined) return;
    // From the start of the line not handed on: a carried partial line is lost too.
    this.lose(await unreadBytes(this.current.fd, this.lines.base, this.next), reason);
    this.countDeclined();
  }

  /** A rotated file we never opened is gone for good: count its size. */
  private countDeclined(): void {
    const d = this.declined;
    if (d === undefined) return;
    this.declined = undefined;
    this.lose(d.size, 'rotated', { inode: String(d.ino) });
  }

  /**
   * The file shrank below what we read: copytruncate. If its copy is next to it, read the copy
   * from where we were to its end first, then the truncated file from 0; else count the loss.
   */
  private async truncated(size: number, readPos: number, before: number): Promise<void> {
    const cur = this.current!;
    const copy = cur.fp ? await findCopy(this.path, cur.ino, readPos, cur.fp) : undefined;
    if (copy !== undefined) {
      this.logger.info('file was truncated (copytruncate): reading its copy to the end first', {
        position: readPos,
        size,
      });
      // The truncated file is the next one, read from 0 once the copy is done.
      this.next.unshift(cur);
      this.current = { fd: copy.fd, dev: copy.dev, ino: copy.ino, fp: cur.fp, isCopy: true };
      cur.fp = undefined;
      cur.truncatedBehindCopy = true;
      return;
    }
    this.logger.info('file was truncated: reading it again from the start', { position: readPos, size });
    this.lose(Math.max(0, before - readPos), 'truncated');
    this.emitPartial();
    this.lines.reset(0);
    cur.fp = undefined;
    this.acks!.restart(0);
    this.setReadBytes(0);
  }

  /**
   * Reads the next chunk and hands on its lines; returns the bytes read (0 at the end of the
   * file, -1 when the file no longer starts as it did: truncated and written again past our
   * offset, which its size cannot tell). The check comes after the read and before its lines
   * are handed on, so no byte of the new content is taken for the old.
   */
  private async readSome(): Promise<number> {
    const lines = this.lines;
    if (this.next.length > 0 && this.next[0]!.truncatedBehindCopy) await this.checkQueuedStarts();
    const cur = this.current!;
    const n = await lines.read(cur.fd, this.budget);
    if (n === 0) return 0;
    const fp = cur.fp;
    if (fp !== undefined && fp.length > 0 && !startsAsBefore(cur.fd, fp)) {
      lines.unread();
      return -1;
    }
    if (fp === undefined || fp.length < fingerprintBytes) {
      // From the very bytes read when they start the file, else (rarely) read again.
      const head = lines.head();
      if (head !== undefined) cur.fp = fingerprintOfBytes(head);
      else if (fp === undefined) cur.fp = fingerprintOf(cur.fd);
    }
    const count = lines.split(n, this.acks!, this.onLine);
    if (count > 0) this.countLines(count);
    this.setReadBytes(lines.readPos);
    return n;
  }

  /** The file is left for good: its unterminated last line is a line too. */
  private emitPartial(): void {
    if (this.lines.emitPartial(this.acks!, this.onLine) > 0) this.countLines(1);
  }

  /**
   * A truncated file waiting behind its copy may be truncated (copied) again before we read it:
   * its start changes. Then its newer copy is queued before it too, read from 0.
   */
  private async checkQueuedStarts(): Promise<void> {
    for (let i = 0; i < this.next.length; i++) {
      const f = this.next[i]!;
      if (!f.truncatedBehindCopy) continue;
      if (f.fp !== undefined && f.fp.length > 0 && !startsAsBefore(f.fd, f.fp)) {
        const copy = await findCopy(this.path, f.ino, 0, f.fp);
        if (copy !== undefined) {
          this.logger.info('file was truncated again while its earlier copy is read: queueing its new copy');
          this.next.splice(i, 0, { fd: copy.fd, dev: copy.dev, ino: copy.ino, fp: f.fp, isCopy: true });
          i++;
        } else {
          this.logger.warn('file was truncated again while behind, and no copy of it was found');
        }
        f.fp = undefined;
      }
      if (f.fp === undefined || f.fp.length < fingerprintBytes) {
        const fp = fingerprintOf(f.fd);
        f.fp = fp.length > 0 ? fp : undefined;
      }
    }
  }

  private async switchToNext(): Promise<void> {
    await this.checkQueuedStarts();
    this.emitPartial();
    const old = this.current!;
    this.current = this.next.shift()!;
    this.current.fp = undefined;
    fs.close(old.fd, () => {});
    this.lines.reset(0);
    this.acks!.restart(0);
    this.setReadBytes(0);
    this.logger.info('file was rotated: old file read to its end, now reading the new one from the start');
  }

  /**
   * Looks at what the path names now. A file other than the newest one we hold is opened at
   * once and queued, so it stays readable even if it is rotated away again before we get to it.
   * `currentDeleted`: our file has no links left, so the path is another file even with the same inode.
   */
  private checkPath(currentDeleted = false): Promise<PathState> {
    if (!this.checking) {
      this.checking = this.lookAtPath(currentDeleted).finally(() => {
        this.checking = undefined;
      });
    }
    return this.checking;
  }

  private async lookAtPath(currentDeleted: boolean): Promise<PathState> {
    if (this.ended || !this.current) return 'same';
    const queued = (): PathState => (this.next.length > 0 ? 'newer' : 'missing');
    let st: fs.BigIntStats;
    try {
      st = await fs.promises.stat(this.path, { bigint: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return queued();
      if ((err as NodeJS.ErrnoException).code === 'ELOOP') return queued();
      throw err;
    }
    const newest = this.next.length > 0 ? this.next[this.next.length - 1]! : this.current;
    const isNewest = (ino: bigint, dev: bigint) =>
      ino === newest.ino && dev === newest.dev && !(newest === this.current && currentDeleted);
    if (isNewest(st.ino, st.dev)) {
      if (newest === this.current) this.reportSize(Number(st.size));
      return this.next.length > 0 ? 'newer' : 'same';
    }
    if (!st.isFile()) return queued(); // replaced by something we do not open: as if deleted
    if (this.next.length >= maxHeldFiles) {
      if (this.declined?.ino !== st.ino) {
        this.countDeclined();
        this.logger.warn(
          'file rotated again while far behind: too many rotated files held open, not opening the newest yet',
          {
            held: this.next.length,
          },
        );
      }
      this.declined = { ino: st.ino, size: Number(st.size) };
      return 'newer';
    }
    let opened: { fd: number; dev: bigint; ino: bigint };
    try {
      opened = await openRegular(this.path);
    } catch (err) {
      if (err instanceof NotRegularFileError) return queued();
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return queued();
      throw err;
    }
    if (isNewest(opened.ino, opened.dev) || this.ended) {
      fs.close(opened.fd, () => {});
      return this.next.length > 0 ? 'newer' : 'same';
    }
    if (this.declined !== undefined) {
      if (this.declined.ino === opened.ino) this.declined = undefined;
      else this.countDeclined();
    }
    this.next.push({ fd: opened.fd, dev: opened.dev, ino: opened.ino, fp: undefined });
    this.logger.debug('new file at the path, holding it until the current one is read', {
      queued: this.next.length,
    });
    if (this.watcher === undefined) this.watch();
    this.changed();
    return 'newer';
  }

  /**
   * Listens to the events of the path in its directory's watch: writes to whichever file the path
   * names now, and renames, creations and deletions of it; the safety-net poll covers what it misses.
   */
  private watch(): void {
    if (this.watchFailed || this.ended) return;
    const w = watchPath(this.path, this.baseLogger, (event) => {
      if (event === 'rename') void this.checkPath().catch(() => {});
      this.changed();
    });
    this.watcher = typeof w === 'string' ? undefined : w;
    this.watchFailed = w === 'failed';
  }

  private waitForChange(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        if (this.wakeup === done) this.wakeup = undefined;
        resolve();
      };
      const timer = setTimeout(done, timerDelay(ms));
      this.wakeup = done;
    });
  }

  private waitForRoom(): Promise<void> {
    if (this.stopping || this.drainExpired) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        if (this.interrupt === done) this.interrupt = undefined;
        resolve();
      };
      this.interrupt = done;
      // The budget's promise is shared by every paused tailer and settles when there is room.
      this.budget.room().then(done);
    });
  }
}
