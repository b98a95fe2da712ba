// Reads a file chunk by chunk and splits it into lines at '\n', at the byte level: the tailer's
// hot path. Each line is decoded once; the unterminated rest is carried to the next read. A line
// longer than the limit is never held whole: its first `keep` bytes are carried, the rest is
// read into pooled chunks only to find its newline, and the line is handed on with a byte range
// that covers all of it, so the position moves past it.

import * as fs from 'node:fs';
import type { FileAcks, InFlightBudget, LineDelivery } from '../positions/acks.js';
import type { LineCodec } from './encoding.js';
import { acquireRead, giveChunk, releaseRead, takeChunk } from './reads.js';

const emptyBuffer = Buffer.alloc(0);
/** A carry buffer at most this large is kept between reads; a longer line's is let go once it is out. */
const smallCarry = 4096;

export type LineHandler = (line: string, delivery: LineDelivery) => void;

/** How a file's bytes become lines (part of the tailer's options). */
export interface LineSplitOptions {
  /** `limits_config.max_line_size`, or the built-in ceiling when it is 0. */
  maxLineSize?: number;
  /** Bytes read per fs.read. Default 256 KiB. */
  chunkSize?: number;
  /** The scrape config's `encoding` when not UTF-8: how newlines are found and lines decoded. */
  codec?: LineCodec | undefined;
}

export class LineSplitter {
  /** The buffer of the read being split: a pooled chunk, or `carry` while a long line builds up. */
  private buf: Buffer = emptyBuffer;
  /** carry[0, filled) is the unterminated line carried to the next read; it starts at file offset base. */
  private carry: Buffer = emptyBuffer;
  /** File offset where the current (unterminated) line starts. */
  base = 0;
  private filled = 0;
  /** Bytes of the current line past the kept `keep` bytes, skipped (a line over the limit). */
  private skip = 0;
  /** Bytes the last read returned. */
  private got = 0;

  /**
   * @param keep bytes of a line kept at most (one more than the line limit, so that the client
   *   sees that the line is too long, truncates or drops it, and counts it).
   */
  constructor(
    private readonly keep: number,
    private readonly chunkSize: number,
    /** The scrape config's `encoding` when not UTF-8: how newlines are found and lines decoded. */
    private readonly codec?: LineCodec,
  ) {}

  /** Index of the last byte of the next newline in `view` at or after `from`; `base` is view[0]'s file offset. */
  private newline(view: Buffer, from: number, base: number): number {
    const codec = this.codec;
    return codec === undefined ? view.indexOf(10, from) : codec.indexOfNewline(view, from, base);
  }

  /** The text of the line in buf[start, nl], nl being the newline's last byte, cut at `keep` bytes. */
  private text(buf: Buffer, start: number, nl: number): string {
    const codec = this.codec;
    const end = codec === undefined ? nl : nl + 1 - codec.newlineBytes;
    const cut = end - start > this.keep ? start + this.keep : end;
    return codec === undefined ? buf.toString('utf8', start, cut) : codec.decode(buf, start, cut);
  }

  /** File offset of the next byte to read. */
  get readPos(): number {
    return this.base + this.filled + this.skip;
  }

  /** Starts over at `offset` (a new file, or the same one truncated); the carried line is dropped. */
  reset(offset: number): void {
    this.base = offset;
    this.filled = 0;
    this.skip = 0;
    if (this.carry.length > smallCarry) this.carry = emptyBuffer;
  }

  /**
   * Reads the next bytes of `fd` after the carried line; 0 at the end of the file. Short carries
   * are copied to the front of a pooled chunk (a tailer holds no chunk between reads); a long
   * line builds up in its own buffer, doubling up to the limit, so it is not copied on every read.
   */
  async read(fd: number, budget: InFlightBudget): Promise<number> {
    const off = this.skip > 0 ? 0 : this.filled;
    const slot = acquireRead();
    if (slot !== undefined) await slot;
    let buf: Buffer;
    if (off <= this.chunkSize >> 2) {
      buf = takeChunk(this.chunkSize);
      if (off > 0) this.carry.copy(buf, 0, 0, off);
    } else {
      if (this.carry.length < off + this.chunkSize) {
        const want = Math.max(2 * this.carry.length, off + this.chunkSize);
        const bigger = Buffer.allocUnsafe(Math.min(want, this.keep + this.chunkSize));
        this.carry.copy(bigger, 0, 0, off);
        this.carry = bigger;
      }
      buf = this.carry;
    }
    // Near the budget's limit, read only what it still allows (a page at least), and count the
    // read against it until its lines are tracked: tailers reading at once would otherwise each
    // overshoot it by a chunk.
    const len = Math.min(buf.length - off, this.chunkSize, Math.max(4096, budget.limit - budget.bytes));
    budget.add(len);
    let n = 0;
    try {
      n = await new Promise<number>((resolve, reject) => {
        fs.read(fd, buf, off, len, this.readPos, (err, bytes) => (err ? reject(err) : resolve(bytes)));
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
    this.got = n;
    return n;
  }

  /** The bytes just read are not to be used (the file changed under them): drops them. */
  unread(): void {
    if (this.buf !== this.carry) giveChunk(this.buf);
    this.buf = emptyBuffer;
  }

  /** After a read, before split: the file's first bytes, if the read buffer starts at offset 0. */
  head(): Buffer | undefined {
    if (this.skip > 0 || this.base !== 0) return undefined;
    return this.buf.subarray(0, this.filled + this.got);
  }

  /** Hands on every complete line among the `n` bytes just read; returns how many. */
  split(n: number, acks: FileAcks, onLine: LineHandler): number {
    const buf = this.buf;
    this.buf = emptyBuffer;
    let start = 0;
    let searchFrom = this.filled;
    let end = this.filled + n;
    let base = this.base;
    let lines = 0;
    if (this.skip > 0) {
      // A line over the limit: its kept start is in carry, these bytes are its rest (or beyond).
      end = n;
      const nl = this.newline(buf.subarray(0, n), 0, this.readPos);
      if (nl === -1) {
        this.skip += n;
        giveChunk(buf);
        return 0;
      }
      const lineEnd = this.readPos + nl + 1;
      this.emitKept(lineEnd, acks, onLine);
      lines++;
      start = nl + 1;
      searchFrom = start;
      base = lineEnd - start;
    }
    const view = buf.subarray(0, end);
    const keep = this.keep;
    // The carried bytes hold no newline: search only the new ones.
    let nl = this.newline(view, searchFrom, base);
    while (nl !== -1) {
      const line = this.text(buf, start, nl);
      lines++;
      onLine(line, acks.track(base + start, base + nl + 1));
      start = nl + 1;
      nl = this.newline(view, start, base);
    }
    let rest = end - start;
    this.base = base + start;
    if (rest > keep) {
      // Over the limit and no newline yet: keep the line's start, skip the rest.
      this.skip = rest - keep;
      rest = keep;
    }
    this.filled = rest;
    if (buf === this.carry) {
      if (rest <= smallCarry && buf.length > smallCarry) {
        // The long line is out: let its buffer go.
        this.carry = rest === 0 ? emptyBuffer : Buffer.from(buf.subarray(start, start + rest));
      } else if (rest > 0 && start > 0) {
        buf.copy(buf, 0, start, start + rest);
      }
      return lines;
    }
    if (rest > this.carry.length) this.carry = Buffer.allocUnsafe(Math.max(rest, smallCarry));
    else if (rest <= smallCarry && this.carry.length > smallCarry)
      this.carry = Buffer.allocUnsafe(smallCarry);
    if (rest > 0) buf.copy(this.carry, 0, start, start + rest);
    giveChunk(buf);
    return lines;
  }

  /** The file is left for good: its unterminated last line is a line too. Returns lines handed on. */
  emitPartial(acks: FileAcks, onLine: LineHandler): number {
    if (this.filled === 0 && this.skip === 0) return 0;
    this.emitKept(this.readPos, acks, onLine);
    return 1;
  }

  /** Hands on the carried (kept) start of a line, its delivery covering it up to `lineEnd`. */
  private emitKept(lineEnd: number, acks: FileAcks, onLine: LineHandler): void {
    const codec = this.codec;
    const line =
      codec === undefined
        ? this.carry.toString('utf8', 0, this.filled)
        : codec.decode(this.carry, 0, this.filled);
    const start = this.base;
    this.base = lineEnd;
    this.filled = 0;
    this.skip = 0;
    onLine(line, acks.track(start, lineEnd));
    if (this.carry.length > smallCarry) this.carry = emptyBuffer;
  }
}
