// Reads one log file by path from its saved position and hands on every complete line, with a
// Delivery that carries its byte range, so positions advance only over delivered lines. It follows
// the file through rotation without losing lines:
//
// - rename+create: the path now names another file. The new file is opened as soon as it is seen
//   (even while we are still behind in the old one) and kept in a queue of held descriptors; the
//   old file is read to its end (plus one more look for late writes) before switching to the next
//   one, from offset 0. Only a file that lived at the path for less than one poll interval and was
//   never seen can be missed; every file we hold a descriptor for is read to its end.
// - copytruncate: the same file shrinks below our offset: read again from 0. Lines written after our
//   last read and before the truncation are lost, as in every tailer; reading to EOF promptly keeps
//   that window small. A truncation followed by a regrowth past our offset before we look cannot be
//   told from an append.
// - deletion (or a move with nothing put in its place): the held descriptor is read to its end,
//   then the tailer ends with reason 'gone' and the file's position is removed.
//
// Lines are split on '\n' at the byte level; a '\r' before it is kept, as Promtail keeps it. Each
// line is decoded once (invalid UTF-8 becomes U+FFFD). An unterminated last line is held until its
// newline arrives; stop() and drainAndStop() do not emit it (its writer may still finish it), but a
// file that is left for good (rotated away, truncated, deleted) has it emitted as a line.

import * as fs from 'node:fs';
import { type Logger, silentLogger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { FileAcks, type InFlightBudget, type LineDelivery } from '../positions/acks.js';
import type { PositionSink } from '../positions/store.js';
import { timerDelay } from '../timers.js';
import type { LineCodec } from './encoding.js';

export interface TailerOptions {
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
  /** Bytes read per fs.read. Default 256 KiB. */
  chunkSize?: number;
  /** The scrape config's `encoding` when not UTF-8: how newlines are found and lines decoded. */
  codec?: LineCodec | undefined;
}

/** Why a tailer ended: stop(), drainAndStop() finished, the file was deleted, or an I/O error. */
export type TailEndReason = 'stopped' | 'drained' | 'gone' | 'error';

export interface TailEnd {
  reason: TailEndReason;
  error?: Error;
}

interface HeldFile {
  fd: number;
  dev: bigint;
  ino: bigint;
}

/** What the path names now, compared with the files we hold. */
type PathState = 'same' | 'missing' | 'newer';

const maxHeldFiles = 8;

const emptyBuffer = Buffer.alloc(0);
/** A carry buffer at most this large is kept between reads; a longer line's is let go once it is out. */
const smallCarry = 4096;

/**
 * Reads in flight at once over every tailer. libuv's thread pool runs that many at a time
 * anyway; a read waiting here holds no chunk.
 */
const maxConcurrentReads = Math.max(1, Number(process.env.UV_THREADPOOL_SIZE) || 4);
let readsInFlight = 0;
const readWaiters: (() => void)[] = [];

function acquireRead(): Promise<void> | undefined {
  if (readsInFlight < maxConcurrentReads) {
    readsInFlight++;
    return undefined;
  }
  return new Promise((resolve) => readWaiters.push(resolve));
}

/** Hands the slot to the next waiting read, if any. */
function releaseRead(): void {
  const next = readWaiters.shift();
  if (next !== undefined) next();
  else readsInFlight--;
}

/** Free read chunks by size (tailers share them: see readChunk). */
const chunkPool = new Map<number, Buffer[]>();

function takeChunk(size: number): Buffer {
  return chunkPool.get(size)?.pop() ?? Buffer.allocUnsafeSlow(size);
}

function giveChunk(buf: Buffer): void {
  let free = chunkPool.get(buf.length);
  if (free === undefined) {
    free = [];
    chunkPool.set(buf.length, free);
  }
  if (free.length < maxConcurrentReads) free.push(buf);
}

export class Tailer {
  readonly path: string;
  /** Settles once, when the tailer has ended for good (never rejects). */
  readonly done: Promise<TailEnd>;

  private readonly onLine: (line: string, delivery: LineDelivery) => void;
  private readonly positions: PositionSink;
  private readonly budget: InFlightBudget;
  private readonly metrics: Metrics | undefined;
  private readonly logger: Logger;
  private readonly minPollMs: number;
  private readonly maxPollMs: number;
  private readonly chunkSize: number;

  private resolveDone!: (end: TailEnd) => void;
  private acks: FileAcks | undefined;
  private current: HeldFile | undefined;
  private readonly next: HeldFile[] = [];
  /** The buffer of the read being split: a pooled chunk, or `carry` while a long line builds up. */
  private buf: Buffer = emptyBuffer;
  /** carry[0, filled) is the unterminated line carried to the next read; it starts at file offset bufBase. */
  private carry: Buffer = emptyBuffer;
  private bufBase = 0;
  private filled = 0;

  private started = false;
  private ended = false;
  private stopping = false;
  private draining = false;
  private drainDeadline = 0;
  /** Set by the drain timer itself: timers may fire a little before Date.now() reaches the deadline. */
  private drainExpired = false;
  private drainTimer: NodeJS.Timeout | undefined;
  private watcher: fs.FSWatcher | undefined;
  private watchFailed = false;
  private pollTimer: NodeJS.Timeout | undefined;
  private pollMs: number;
  private checking: Promise<PathState> | undefined;
  /** Resolves a wait for file changes (watch event, poll, notify, stop). */
  private wakeup: (() => void) | undefined;
  /** Resolves a wait for budget room (stop, drain deadline). */
  private interrupt: (() => void) | undefined;

  /** promtail_read_bytes_total: a gauge of the read position, as in Promtail. */
  private readBytesChild: { set(n: number): void } | undefined;
  private readLinesChild: { inc(n: number): void } | undefined;
  private fileBytesChild: { set(n: number): void } | undefined;

  private readonly codec: LineCodec | undefined;

  constructor(options: TailerOptions) {
    this.path = options.path;
    this.onLine = options.onLine;
    this.positions = options.positions;
    this.budget = options.budget;
    this.metrics = options.metrics;
    this.logger = (options.logger ?? silentLogger).with({ component: 'tailer', path: options.path });
    this.minPollMs = options.minPollFrequencyMs ?? 250;
    this.maxPollMs = Math.max(this.minPollMs, options.maxPollFrequencyMs ?? 250);
    this.pollMs = this.minPollMs;
    this.chunkSize = options.chunkSize ?? 256 * 1024;
    this.codec = options.codec;
    this.done = new Promise((resolve) => {
      this.resolveDone = resolve;
    });
  }

  /**
   * Opens the file and starts reading from its saved position (from 0 when there is none, or when
   * it lies past the end of the file). Rejects when the file cannot be opened; `done` then settles
   * with reason 'error'.
   */
  async start(): Promise<void> {
    if (this.started) throw new Error(`tailer for ${this.path} already started`);
    this.started = true;
    let file: HeldFile;
    let size: bigint;
    try {
      const fd = await fsOpen(this.path);
      const st = await fsFstat(fd);
      file = { fd, dev: st.dev, ino: st.ino };
      size = st.size;
    } catch (err) {
      const error = new Error(`cannot open ${this.path} for tailing: ${(err as Error).message}`);
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
    if (offset > Number(size)) {
      this.logger.info(
        'saved position is past the end of the file (truncated or replaced): reading from the start',
        {
          position: offset,
          size: Number(size),
        },
      );
      offset = 0;
    }
    this.acks = new FileAcks(this.positions, this.path, this.budget, offset);
    this.bufBase = offset;
    if (this.metrics) {
      this.metrics.filesActive.inc();
      this.readBytesChild = this.metrics.readBytes.labels(this.path);
      this.readBytesChild.set(offset);
      this.readLinesChild = this.metrics.readLines.labels(this.path);
      this.fileBytesChild = this.metrics.fileBytes.labels(this.path);
      this.fileBytesChild.set(Number(size));
    }
    this.logger.debug('start tailing', { position: offset });
    this.watch();
    this.schedulePoll();
    void this.run().then((end) => this.finish(end));
  }

  /** Stops at once: no more lines are read; positions keep following releases of lines already handed out. */
  stop(): Promise<TailEnd> {
    this.stopping = true;
    if (!this.started) this.finish({ reason: 'stopped' });
    this.wake();
    return this.done;
  }

  /**
   * Reads the file to its end, and on while it still grows, for at most `graceMs`, then ends
   * ('drained', or 'gone' when the file was deleted meanwhile). For a target that went away, so
   * the last lines of a short-lived pod are shipped.
   */
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

  /** A hint that the path may have changed (e.g. a directory watcher saw it): look now. */
  notify(): void {
    const w = this.wakeup;
    if (w) w();
  }

  /** Offset up to which lines have been handed on in the file currently read. */
  get readOffset(): number {
    return this.bufBase;
  }

  /** The position that is safe to resume from (all lines before it are released). */
  get position(): number {
    return this.acks?.offset ?? this.positions.get(this.path) ?? 0;
  }

  private wake(): void {
    const w = this.wakeup;
    if (w) w();
    const i = this.interrupt;
    if (i) i();
  }

  private async run(): Promise<TailEnd> {
    let lookedAgain = false;
    let goneSince = 0;
    try {
      for (;;) {
        if (this.stopping) return { reason: 'stopped' };
        if (this.drainExpired) return { reason: 'drained' };
        if (this.budget.full) {
          await this.waitForRoom();
          continue;
        }
        const n = await this.readChunk();
        if (n > 0) {
          this.split(n);
          lookedAgain = false;
          goneSince = 0;
          this.pollMs = this.minPollMs;
          continue;
        }

        // At the end of the file we hold: find out what happened to it.
        const cur = this.current!;
        const st = await fsFstat(cur.fd);
        this.fileBytesChild?.set(Number(st.size));
        const readPos = this.bufBase + this.filled;
        if (Number(st.size) < readPos) {
          this.logger.info('file was truncated: reading it again from the start', {
            position: readPos,
            size: Number(st.size),
          });
          this.emitPartial();
          this.bufBase = 0;
          this.acks!.restart(0);
          this.readBytesChild?.set(0);
          continue;
        }
        const state = this.next.length > 0 ? 'newer' : await this.checkPath(st.nlink === 0n);
        if (this.stopping) continue;
        if (state === 'newer') {
          // Writers may still append to the old file until they reopen: one more look before leaving it.
          if (!lookedAgain) {
            lookedAgain = true;
            await this.waitForChange(this.minPollMs);
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
          if (!this.draining && Date.now() - goneSince < Math.max(1000, 2 * this.maxPollMs)) {
            await this.waitForChange(this.minPollMs);
            continue;
          }
          if (!lookedAgain) {
            lookedAgain = true;
            continue;
          }
          this.emitPartial();
          this.logger.info('file was deleted and read to its end: stop tailing');
          return { reason: 'gone' };
        }
        goneSince = 0;
        if (this.draining) {
          // Read to the end; one more look to see whether it still grows, then done.
          if (lookedAgain) return { reason: 'drained' };
          lookedAgain = true;
          await this.waitForChange(Math.min(this.minPollMs, Math.max(0, this.drainDeadline - Date.now())));
          continue;
        }
        lookedAgain = false;
        await this.waitForChange(this.pollMs);
        this.pollMs = Math.min(this.maxPollMs, this.pollMs * 2);
      }
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      this.logger.error('error reading file, stop tailing', { error });
      return { reason: 'error', error };
    }
  }

  private finish(end: TailEnd): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.pollTimer);
    clearTimeout(this.drainTimer);
    this.watcher?.close();
    this.watcher = undefined;
    for (const f of this.next) fs.close(f.fd, () => {});
    this.next.length = 0;
    if (this.current) fs.close(this.current.fd, () => {});
    this.current = undefined;
    this.acks?.close(end.reason === 'gone');
    if (this.metrics && this.acks) {
      this.metrics.filesActive.dec();
      this.metrics.readBytes.remove(this.path);
      this.metrics.readLines.remove(this.path);
      this.metrics.fileBytes.remove(this.path);
    }
    this.logger.debug('stopped tailing', { reason: end.reason, position: this.acks?.offset });
    this.resolveDone(end);
  }

  /**
   * Reads the next bytes after the carried unterminated line. Short carries are copied to the
   * front of a pooled chunk (a tailer holds no chunk between reads, so a node with hundreds of
   * files does not hold hundreds of chunks); a long line builds up in its own buffer instead,
   * doubling, so it is not copied again on every read.
   */
  private async readChunk(): Promise<number> {
    const off = this.filled;
    const fd = this.current!.fd;
    await acquireRead();
    let buf: Buffer;
    if (off <= this.chunkSize >> 2) {
      buf = takeChunk(this.chunkSize);
      if (off > 0) this.carry.copy(buf, 0, 0, off);
    } else {
      if (this.carry.length < off + this.chunkSize) {
        const bigger = Buffer.allocUnsafe(Math.max(2 * this.carry.length, off + this.chunkSize));
        this.carry.copy(bigger, 0, 0, off);
        this.carry = bigger;
      }
      buf = this.carry;
    }
    // Near the budget's limit, read only what it still allows (a page at least), and count the
    // read against it until its lines are tracked: tailers reading at once would otherwise each
    // overshoot it by a chunk.
    const budget = this.budget;
    const len = Math.min(buf.length - off, this.chunkSize, Math.max(4096, budget.limit - budget.bytes));
    budget.add(len);
    let n = 0;
    try {
      n = await new Promise<number>((resolve, reject) => {
        fs.read(fd, buf, off, len, this.bufBase + off, (err, bytes) => (err ? reject(err) : resolve(bytes)));
      });
    } finally {
      budget.sub(len);
      releaseRead();
    }
    if (n === 0) {
      // The carry is unchanged: it was copied, not moved.
      if (buf !== this.carry) giveChunk(buf);
      return 0;
    }
    this.buf = buf;
    return n;
  }

  /** Hands on every complete line among the `n` bytes just read; carries the unterminated rest. */
  private split(n: number): void {
    const end = this.filled + n;
    const buf = this.buf;
    this.buf = emptyBuffer;
    const view = buf.subarray(0, end);
    const base = this.bufBase;
    const acks = this.acks!;
    const onLine = this.onLine;
    let start = 0;
    let lines = 0;
    // The carried bytes hold no newline: search only the new ones.
    const codec = this.codec;
    let nl =
      codec === undefined ? view.indexOf(10, this.filled) : codec.indexOfNewline(view, this.filled, base);
    while (nl !== -1) {
      // With a codec, nl is the last byte of its newline (two bytes in UTF-16).
      const line =
        codec === undefined
          ? buf.toString('utf8', start, nl)
          : codec.decode(buf, start, nl + 1 - codec.newlineBytes);
      lines++;
      onLine(line, acks.track(base + start, base + nl + 1));
      start = nl + 1;
      nl = codec === undefined ? view.indexOf(10, start) : codec.indexOfNewline(view, start, base);
    }
    if (lines > 0) this.readLinesChild?.inc(lines);
    const rest = end - start;
    this.bufBase = base + start;
    this.filled = rest;
    this.readBytesChild?.set(end + base);
    if (buf === this.carry) {
      if (rest <= smallCarry && buf.length > smallCarry) {
        // The long line is out: let its buffer go.
        this.carry = rest === 0 ? emptyBuffer : Buffer.from(buf.subarray(start, end));
      } else if (rest > 0 && start > 0) {
        buf.copy(buf, 0, start, end);
      }
      return;
    }
    if (rest > this.carry.length) this.carry = Buffer.allocUnsafe(Math.max(rest, smallCarry));
    else if (rest <= smallCarry && this.carry.length > smallCarry)
      this.carry = Buffer.allocUnsafe(smallCarry);
    if (rest > 0) buf.copy(this.carry, 0, start, end);
    giveChunk(buf);
  }

  /** The file is left for good: its unterminated last line is a line too. */
  private emitPartial(): void {
    if (this.filled === 0) return;
    const line =
      this.codec === undefined
        ? this.carry.toString('utf8', 0, this.filled)
        : this.codec.decode(this.carry, 0, this.filled);
    const start = this.bufBase;
    this.bufBase += this.filled;
    this.filled = 0;
    this.readLinesChild?.inc(1);
    this.onLine(line, this.acks!.track(start, this.bufBase));
  }

  private async switchToNext(): Promise<void> {
    this.emitPartial();
    const old = this.current!;
    this.current = this.next.shift()!;
    fs.close(old.fd, () => {});
    this.bufBase = 0;
    this.filled = 0;
    this.acks!.restart(0);
    this.readBytesChild?.set(0);
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
    let st: fs.BigIntStats;
    try {
      st = await fs.promises.stat(this.path, { bigint: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return this.next.length > 0 ? 'newer' : 'missing';
      throw err;
    }
    const newest = this.next.length > 0 ? this.next[this.next.length - 1]! : this.current;
    const same =
      st.ino === newest.ino && st.dev === newest.dev && !(newest === this.current && currentDeleted);
    if (same) {
      if (newest === this.current) this.fileBytesChild?.set(Number(st.size));
      return this.next.length > 0 ? 'newer' : 'same';
    }
    if (this.next.length >= maxHeldFiles) {
      this.logger.warn(
        'file rotated again while far behind: too many rotated files held open, not opening the newest yet',
        {
          held: this.next.length,
        },
      );
      return 'newer';
    }
    let fd: number;
    try {
      fd = await fsOpen(this.path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return this.next.length > 0 ? 'newer' : 'missing';
      throw err;
    }
    const fst = await fsFstat(fd).catch((err: unknown) => {
      fs.close(fd, () => {});
      throw err;
    });
    const stillSame =
      fst.ino === newest.ino && fst.dev === newest.dev && !(newest === this.current && currentDeleted);
    if (stillSame || this.ended) {
      fs.close(fd, () => {});
      return this.next.length > 0 ? 'newer' : 'same';
    }
    this.next.push({ fd, dev: fst.dev, ino: fst.ino });
    this.logger.debug('new file at the path, holding it until the current one is read', {
      queued: this.next.length,
    });
    this.watch();
    this.notify();
    return 'newer';
  }

  /** Watches the newest file at the path for writes and renames; polling covers what it misses. */
  private watch(): void {
    if (this.watchFailed || this.ended) return;
    this.watcher?.close();
    this.watcher = undefined;
    try {
      const w = fs.watch(this.path, { persistent: false }, () => this.notify());
      w.on('error', () => {
        w.close();
        if (this.watcher === w) this.watcher = undefined;
      });
      this.watcher = w;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // watched again when a file appears
      // Out of inotify watches, or a filesystem without notifications: polling alone still works.
      this.watchFailed = true;
      this.logger.debug('cannot watch file, polling only', { error: err });
    }
  }

  /** Looks at the path every poll interval, even while reading or paused, to catch every rotation. */
  private schedulePoll(): void {
    this.pollTimer = setTimeout(() => {
      if (this.ended) return;
      this.checkPath().then(
        () => this.schedulePoll(),
        () => this.schedulePoll(),
      );
    }, timerDelay(this.minPollMs));
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

function fsOpen(path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    fs.open(path, 'r', (err, fd) => (err ? reject(err) : resolve(fd)));
  });
}

function fsFstat(fd: number): Promise<fs.BigIntStats> {
  return new Promise((resolve, reject) => {
    fs.fstat(fd, { bigint: true }, (err, st) => (err ? reject(err) : resolve(st)));
  });
}
