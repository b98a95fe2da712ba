// The disk buffer between pipeline and clients (Promtail's `wal:` block). Entries are appended
// as checksummed records to numbered segment files, many appends sharing one fsync; `append`
// resolves once its entries are durable, and only then may the caller release their deliveries
// (so file positions never pass what the buffer does not hold). Each client reads the segments
// at its own pace through a WalReader and acknowledges what Loki took; a segment is deleted once
// every client's cursor has passed it. At `max_size`, `block` makes appends wait for room and
// `drop_oldest` deletes the oldest segment, counting what each client had not read yet.
//
// On open, the segment that was being written when the process stopped is checked record by
// record and cut at the first torn or corrupt one (counted); appends go to a new segment.

import { EventEmitter } from 'node:events';
import { type FileHandle, mkdir, open, readdir, stat, truncate, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { type Logger, silentLogger } from '../log.js';
import type { Entry } from '../types.js';
import { defaultWalMaxSize, type WalFullPolicy } from './config.js';
import {
  comparePositions,
  listCursors,
  readCursor,
  removeCursor,
  type WalPosition,
  writeCursor,
} from './cursor.js';
import type { WalMetrics } from './metrics.js';
import { type ReaderHost, WalReader } from './reader.js';
import { RecordEncoder } from './record.js';
import { listSegments, scanSegment, segmentHeaderSize, segmentMagic, segmentPath } from './segment.js';

export interface WalOptions {
  dir: string;
  /** Names of the clients that read the buffer; cursors of other names are removed. */
  clients: readonly string[];
  maxSize?: number;
  fullPolicy?: WalFullPolicy;
  /** Bytes after which the next append starts a new segment; default max_size / 16, 1 to 64 MiB. */
  segmentSize?: number;
  metrics?: WalMetrics;
  logger?: Logger;
}

/** A plain snapshot of the buffer's counters, for tests, benchmarks and the status page. */
export interface WalStats {
  bufferedBytes: number;
  segments: number;
  full: boolean;
  appendedEntries: number;
  ackedEntries: Record<string, number>;
  droppedEntries: Record<string, number>;
  corruptRecords: number;
  corruptBytes: number;
  fsyncs: number;
}

interface Segment {
  index: number;
  /** Durable bytes (header included). */
  size: number;
  sealed: boolean;
}

interface Client {
  name: string;
  cursor: WalPosition;
  saving: Promise<void> | undefined;
  dirty: boolean;
  reader: WalReader | undefined;
}

interface Pending {
  bytes: Buffer;
  entries: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

/** At most this many bytes (and a quarter of max_size) of queued appends share one write and fsync. */
const maxGroupBytes = 16 * 1024 * 1024;

/**
 * Events: `full` when appends start waiting for room (full_policy: block), `room` when they go
 * on; the reading side pauses in between.
 */
export class Wal extends EventEmitter<{ full: []; room: [] }> implements ReaderHost {
  private readonly segments: Segment[] = [];
  private readonly clients = new Map<string, Client>();
  private fh!: FileHandle;
  private readonly encoder = new RecordEncoder();
  private queue: Pending[] = [];
  private writing: Promise<void> | undefined;
  private dataWaiters: (() => void)[] = [];
  private roomWaiter: (() => void) | undefined;
  private readonly unlinking = new Set<Promise<void>>();
  private totalBytes = 0;
  private isFull = false;
  private closing = false;
  private readonly counts = {
    appended: 0,
    acked: {} as Record<string, number>,
    dropped: {} as Record<string, number>,
    corruptRecords: 0,
    corruptBytes: 0,
    fsyncs: 0,
  };
  readonly maxSize: number;
  readonly fullPolicy: WalFullPolicy;
  readonly segmentSize: number;
  private readonly log: Logger;

  private constructor(
    readonly dir: string,
    options: WalOptions,
  ) {
    super();
    this.maxSize = options.maxSize ?? defaultWalMaxSize;
    this.fullPolicy = options.fullPolicy ?? 'block';
    this.segmentSize =
      options.segmentSize ?? Math.min(64 * 1024 * 1024, Math.max(1024 * 1024, Math.floor(this.maxSize / 16)));
    this.log = (options.logger ?? silentLogger).with({ component: 'wal', dir });
    this.metrics = options.metrics;
  }

  private readonly metrics: WalMetrics | undefined;

  /** Opens (or creates) the buffer in `options.dir`, checking what the last run left. */
  static async open(options: WalOptions): Promise<Wal> {
    const wal = new Wal(options.dir, options);
    try {
      await makeDir(options.dir);
      await wal.recover(options.clients);
    } catch (err) {
      throw new Error(`wal.dir ${options.dir}: ${(err as Error).message}`);
    }
    return wal;
  }

  get closed(): boolean {
    return this.closing;
  }

  /** True while appends wait for room (`full_policy: block`); reading should pause. */
  get full(): boolean {
    return this.isFull;
  }

  /**
   * Appends entries; resolves once they are durable (written and fsynced), so their deliveries
   * may be released. Appends made while an fsync runs share the next one. Rejects when the
   * write fails (disk full, I/O error) or the buffer closes first: the entries are not buffered.
   */
  append(entries: readonly Entry[]): Promise<void> {
    if (this.closing) return Promise.reject(new Error('the disk buffer is closed'));
    let count = 0;
    for (const entry of entries) {
      if (this.encoder.add(entry)) count++;
      else this.refused(1);
    }
    return this.appendRecords(this.encoder.take(), count);
  }

  /**
   * As `append`, for `entries` records a RecordEncoder already framed (`take()`): a writer
   * that encodes each entry as it arrives keeps no Entry objects waiting for the fsync.
   */
  appendRecords(bytes: Buffer, entries: number): Promise<void> {
    if (this.closing) return Promise.reject(new Error('the disk buffer is closed'));
    if (entries === 0) return Promise.resolve();
    const count = entries;
    return new Promise((resolve, reject) => {
      this.queue.push({ bytes, entries: count, resolve, reject });
      this.kick();
    });
  }

  private kick(): void {
    if (this.writing) return;
    this.writing = this.writeLoop().finally(() => {
      this.writing = undefined;
      // An append made between the loop's last check and this callback.
      if (this.queue.length > 0 && !this.closing) this.kick();
    });
  }

  /** Bytes of appends waiting for their write (more than max_size only while blocked). */
  get pendingBytes(): number {
    let n = 0;
    for (const p of this.queue) n += p.bytes.length;
    return n;
  }

  /** The reader of one client (one per client; asking again returns the same). */
  reader(client: string): WalReader {
    const state = this.clients.get(client);
    if (!state) throw new Error(`the disk buffer has no client "${client}"`);
    state.reader ??= new WalReader(client, this);
    return state.reader;
  }

  stats(): WalStats {
    return {
      bufferedBytes: this.totalBytes,
      segments: this.segments.length,
      full: this.isFull,
      appendedEntries: this.counts.appended,
      ackedEntries: { ...this.counts.acked },
      droppedEntries: { ...this.counts.dropped },
      corruptRecords: this.counts.corruptRecords,
      corruptBytes: this.counts.corruptBytes,
      fsyncs: this.counts.fsyncs,
    };
  }

  /**
   * Writes what is queued (unless blocked on a full buffer: those appends are rejected), saves
   * every cursor and closes the files.
   */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.roomWaiter?.();
    this.wakeReaders();
    await this.writing;
    for (const p of this.queue.splice(0)) p.reject(new Error('the disk buffer is closed'));
    for (const client of this.clients.values()) {
      await client.reader?.close();
      await client.saving;
      await this.saveCursor(client);
    }
    await Promise.all(this.unlinking);
    await this.fh.close();
  }

  // --- ReaderHost ------------------------------------------------------------------------------

  segment(index: number): { path: string; size: number; sealed: boolean } | undefined {
    const seg = this.find(index);
    return seg && { path: segmentPath(this.dir, index), size: seg.size, sealed: seg.sealed };
  }

  segmentAfter(index: number): number | undefined {
    for (const seg of this.segments) if (seg.index > index) return seg.index;
    return undefined;
  }

  cursorOf(client: string): WalPosition {
    return this.clients.get(client)!.cursor;
  }

  waitForData(): Promise<void> {
    if (this.closing) return Promise.resolve();
    return new Promise((resolve) => this.dataWaiters.push(resolve));
  }

  acked(name: string, upTo: WalPosition, entries: number): void {
    const client = this.clients.get(name)!;
    if (entries > 0) {
      this.counts.acked[name] = (this.counts.acked[name] ?? 0) + entries;
      this.metrics?.ackedEntries.inc({ client: name }, entries);
    }
    if (comparePositions(upTo, client.cursor) <= 0) return;
    client.cursor = { segment: upTo.segment, offset: upTo.offset };
    this.scheduleSave(client);
    this.collect();
  }

  corrupt(path: string, offset: number, bytes: number, problem: string): void {
    this.counts.corruptRecords++;
    this.counts.corruptBytes += bytes;
    this.metrics?.corruptRecords.inc();
    this.metrics?.corruptBytes.inc(bytes);
    this.log.warn('corrupt record in the disk buffer: skipping the rest of the segment', {
      file: path,
      offset,
      bytes,
      problem,
    });
  }

  // --- writing ---------------------------------------------------------------------------------

  private async writeLoop(): Promise<void> {
    while (this.queue.length > 0 && !this.closing) {
      let groupBytes = 0;
      let n = 0;
      while (
        n < this.queue.length &&
        (n === 0 || groupBytes + this.queue[n]!.bytes.length <= Math.min(maxGroupBytes, this.maxSize / 4))
      ) {
        groupBytes += this.queue[n]!.bytes.length;
        n++;
      }
      try {
        await this.makeRoom(groupBytes);
        if (this.closing) break;
        const current = this.current();
        if (current.size >= this.segmentSize) await this.rotate();
      } catch (err) {
        this.log.error('cannot start a new segment of the disk buffer', { error: (err as Error).message });
        for (const p of this.queue.splice(0, n)) p.reject(err as Error);
        continue;
      }
      const group = this.queue.splice(0, n);
      const current = this.current();
      try {
        const data = group.length === 1 ? group[0]!.bytes : Buffer.concat(group.map((p) => p.bytes));
        let written = 0;
        while (written < data.length) {
          const { bytesWritten } = await this.fh.write(
            data,
            written,
            data.length - written,
            current.size + written,
          );
          written += bytesWritten;
        }
        await this.fh.datasync();
      } catch (err) {
        // Cut what was written of the group, so the segment ends on a whole record.
        await this.fh.truncate(current.size).catch(() => {});
        this.log.error('cannot write to the disk buffer', { error: (err as Error).message });
        for (const p of group) p.reject(err as Error);
        continue;
      }
      current.size += groupBytes;
      this.totalBytes += groupBytes;
      this.counts.fsyncs++;
      let entries = 0;
      for (const p of group) entries += p.entries;
      this.counts.appended += entries;
      this.metrics?.fsyncs.inc();
      this.metrics?.appendedEntries.inc(entries);
      this.metrics?.appendedBytes.inc(groupBytes);
      this.updateGauges();
      for (const p of group) p.resolve();
      this.wakeReaders();
    }
  }

  /** Waits (block) or drops (drop_oldest) until `bytes` more fit in max_size. */
  private async makeRoom(bytes: number): Promise<void> {
    while (this.totalBytes + bytes > this.maxSize && !this.closing) {
      const current = this.current();
      if (this.fullPolicy === 'drop_oldest' && this.segments.length > 1) {
        await this.dropOldest();
        continue;
      }
      // Seal the segment being written so that it can be deleted (or dropped) too.
      if (current.size > segmentHeaderSize) {
        await this.rotate();
        continue;
      }
      // Nothing else buffered: a group larger than max_size on its own is written anyway.
      if (this.segments.length === 1) break;
      if (!this.isFull) {
        this.isFull = true;
        this.updateGauges();
        this.log.warn('the disk buffer is full: reading pauses until a client catches up', {
          max_size: this.maxSize,
        });
        this.emit('full');
      }
      await new Promise<void>((resolve) => {
        this.roomWaiter = resolve;
      });
      this.roomWaiter = undefined;
    }
    if (this.isFull) {
      this.isFull = false;
      this.updateGauges();
      this.log.info('the disk buffer has room again');
      this.emit('room');
    }
  }

  /** Seals the segment being written and starts the next one. */
  private async rotate(): Promise<void> {
    const current = this.current();
    const next = await this.createSegment(current.index + 1);
    await this.fh.close();
    current.sealed = true;
    this.fh = next;
    this.segments.push({ index: current.index + 1, size: segmentHeaderSize, sealed: false });
    this.totalBytes += segmentHeaderSize;
    this.collect();
    this.updateGauges();
    this.wakeReaders();
  }

  private async createSegment(index: number): Promise<FileHandle> {
    const fh = await open(segmentPath(this.dir, index), 'wx');
    try {
      await fh.write(segmentMagic, 0, segmentMagic.length, 0);
      await fh.datasync();
      await syncDir(this.dir);
    } catch (err) {
      await fh.close();
      throw err;
    }
    return fh;
  }

  /**
   * Deletes the oldest segment (full_policy: drop_oldest). Every client that had not read all
   * of it loses the rest, counted per client; its cursor moves to the next segment.
   */
  private async dropOldest(): Promise<void> {
    const seg = this.segments.shift()!;
    this.totalBytes -= seg.size;
    const path = segmentPath(this.dir, seg.index);
    const next = { segment: this.segments[0]!.index, offset: segmentHeaderSize };
    for (const client of this.clients.values()) {
      if (client.cursor.segment > seg.index) continue;
      // What the client read already is in flight and will most likely be delivered.
      let from = client.cursor.offset;
      const read = client.reader?.readPosition;
      if (read && read.segment > seg.index) from = seg.size;
      else if (read && read.segment === seg.index) from = Math.max(from, read.offset);
      const lost = from < seg.size ? (await scanSegment(path, from, seg.size)).frames : 0;
      client.cursor = next;
      this.scheduleSave(client);
      if (lost > 0) {
        this.countDropped(client.name, 'full', lost);
        this.log.warn('the disk buffer is full: dropped the oldest segment', {
          client: client.name,
          segment: seg.index,
          entries: lost,
        });
      }
    }
    this.unlink(path);
    this.updateGauges();
    this.wakeReaders();
  }

  // --- cursors and deletion --------------------------------------------------------------------

  /** Deletes the sealed segments that every client's cursor has passed. */
  private collect(): void {
    let min = Number.POSITIVE_INFINITY;
    for (const client of this.clients.values()) min = Math.min(min, this.passedUpTo(client.cursor));
    let freed = false;
    while (this.segments.length > 1 && this.segments[0]!.sealed && this.segments[0]!.index < min) {
      const seg = this.segments.shift()!;
      this.totalBytes -= seg.size;
      this.unlink(segmentPath(this.dir, seg.index));
      freed = true;
    }
    if (freed) {
      this.updateGauges();
      this.roomWaiter?.();
    }
  }

  /** The first segment a cursor has not read to its end. */
  private passedUpTo(cursor: WalPosition): number {
    const seg = this.find(cursor.segment);
    if (seg?.sealed && cursor.offset >= seg.size) return cursor.segment + 1;
    return cursor.segment;
  }

  private scheduleSave(client: Client): void {
    client.dirty = true;
    if (client.saving) return;
    client.saving = (async () => {
      while (client.dirty && !this.closing) await this.saveCursor(client);
    })().finally(() => {
      client.saving = undefined;
    });
  }

  private async saveCursor(client: Client): Promise<void> {
    client.dirty = false;
    try {
      await writeCursor(this.dir, client.name, client.cursor);
    } catch (err) {
      // Tried again on the next acknowledgement and at close; until then an older cursor only
      // means re-sending after a crash.
      this.log.error('cannot save the cursor of a client', {
        client: client.name,
        error: (err as Error).message,
      });
    }
  }

  // --- open ------------------------------------------------------------------------------------

  private async recover(clientNames: readonly string[]): Promise<void> {
    for (const name of await readdir(this.dir)) {
      if (name.endsWith('.tmp')) await unlink(join(this.dir, name)).catch(() => {});
    }
    const indexes = await listSegments(this.dir);
    for (let i = 0; i < indexes.length; i++) {
      const index = indexes[i]!;
      const path = segmentPath(this.dir, index);
      const size = (await stat(path)).size;
      if (!(await hasHeader(path, size))) {
        // A segment whose creation was cut short holds nothing; anything else is counted.
        if (size > segmentHeaderSize) this.corrupt(path, 0, size, 'bad segment header');
        await unlink(path);
        continue;
      }
      let valid = size;
      if (i === indexes.length - 1) {
        const scan = await scanSegment(path, segmentHeaderSize, size);
        if (scan.problem) {
          this.corrupt(path, scan.validEnd, size - scan.validEnd, `${scan.problem} (cut away)`);
          await truncate(path, scan.validEnd);
          valid = scan.validEnd;
        }
      }
      this.segments.push({ index, size: valid, sealed: true });
      this.totalBytes += valid;
    }
    const index = (this.segments.at(-1)?.index ?? 0) + 1;
    this.fh = await this.createSegment(index);
    this.segments.push({ index, size: segmentHeaderSize, sealed: false });
    this.totalBytes += segmentHeaderSize;

    for (const name of await listCursors(this.dir)) {
      if (clientNames.includes(name)) continue;
      this.log.info('removing the cursor of a client that is no longer configured', { client: name });
      await removeCursor(this.dir, name);
    }
    for (const name of clientNames) {
      const saved = await readCursor(this.dir, name);
      if (saved === 'invalid') {
        this.log.warn('unreadable cursor: the client reads the disk buffer from its oldest entry', {
          client: name,
        });
      }
      this.clients.set(name, {
        name,
        cursor: this.clamp(typeof saved === 'object' ? saved : undefined),
        saving: undefined,
        dirty: false,
        reader: undefined,
      });
    }
    this.collect();
    this.updateGauges();
  }

  /** A saved cursor made to point into an existing segment; the oldest entry when none. */
  private clamp(saved: WalPosition | undefined): WalPosition {
    const oldest = { segment: this.segments[0]!.index, offset: segmentHeaderSize };
    if (!saved || saved.segment < oldest.segment) return oldest;
    const seg = this.find(saved.segment);
    if (!seg) {
      const next = this.segmentAfter(saved.segment) ?? this.current().index;
      return { segment: next, offset: segmentHeaderSize };
    }
    return { segment: seg.index, offset: Math.min(Math.max(saved.offset, segmentHeaderSize), seg.size) };
  }

  // --- helpers ---------------------------------------------------------------------------------

  private current(): Segment {
    return this.segments.at(-1)!;
  }

  private find(index: number): Segment | undefined {
    // Few segments (max_size / segment size): a scan is cheap.
    for (const seg of this.segments) if (seg.index === index) return seg;
    return undefined;
  }

  private wakeReaders(): void {
    const waiters = this.dataWaiters;
    this.dataWaiters = [];
    for (const wake of waiters) wake();
  }

  private unlink(path: string): void {
    const done: Promise<void> = unlink(path)
      .catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT')
          this.log.error('cannot delete a segment', { file: path, error: err.message });
      })
      .finally(() => this.unlinking.delete(done));
    this.unlinking.add(done);
  }

  /** Counts entries a RecordEncoder refused (over `maxRecordSize`): never buffered, never sent. */
  refused(entries: number): void {
    this.countDropped('', 'too_large', entries);
  }

  private countDropped(client: string, reason: string, entries: number): void {
    const key = client || reason;
    this.counts.dropped[key] = (this.counts.dropped[key] ?? 0) + entries;
    this.metrics?.droppedEntries.inc({ client, reason }, entries);
  }

  private updateGauges(): void {
    this.metrics?.bufferedBytes.set(this.totalBytes);
    this.metrics?.segments.set(this.segments.length);
    this.metrics?.full.set(this.isFull ? 1 : 0);
  }
}

async function hasHeader(path: string, size: number): Promise<boolean> {
  if (size < segmentHeaderSize) return false;
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(segmentHeaderSize);
    await fh.read(head, 0, segmentHeaderSize, 0);
    return head.equals(segmentMagic);
  } finally {
    await fh.close();
  }
}

/**
 * mkdir -p. Not `mkdir(dir, { recursive: true })`: on Node 20 that never returns for a path
 * under /proc.
 */
async function makeDir(dir: string): Promise<void> {
  try {
    await mkdir(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return;
    const parent = dirname(dir);
    if (code !== 'ENOENT' || parent === dir) throw err;
    await makeDir(parent);
    await mkdir(dir).catch((again: NodeJS.ErrnoException) => {
      if (again.code !== 'EEXIST') throw again;
    });
  }
}

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
