// Segment files of the disk buffer: their names, their header, and a sequential frame reader
// with a bounded window (used by replay, by each client's reader and to count what a dropped
// segment held).

import { type FileHandle, open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { checkFrame, type FrameProblem, frameHeaderSize, maxRecordSize, minPayloadSize } from './record.js';

/** Every segment starts with these 8 bytes (format version 1). */
export const segmentMagic = Buffer.from('LFWAL001', 'latin1');
export const segmentHeaderSize = segmentMagic.length;

const namePattern = /^(\d{10})\.wal$/;

export function segmentName(index: number): string {
  return `${String(index).padStart(10, '0')}.wal`;
}

export function segmentPath(dir: string, index: number): string {
  return join(dir, segmentName(index));
}

/** Indexes of the segment files in `dir`, oldest first. */
export async function listSegments(dir: string): Promise<number[]> {
  const names = await readdir(dir);
  const out: number[] = [];
  for (const name of names) {
    const m = namePattern.exec(name);
    if (m) out.push(Number(m[1]));
  }
  return out.sort((a, b) => a - b);
}

/** A frame found by `FrameReader.next`: whole and checked, at `buf[at]`, valid until the next call. */
export interface Frame {
  buf: Buffer;
  at: number;
  /** File offset just past the frame. */
  end: number;
}

const windowSize = 1024 * 1024;

/**
 * Reads the frames of one segment in order through a window of about 1 MiB (more only for a
 * frame larger than that, and only while it is read), so reading a backlog of any size holds
 * little memory.
 */
export class FrameReader {
  private win = Buffer.allocUnsafe(windowSize);
  /** File offset of win[0], and how many bytes of the window are filled. */
  private winStart: number;
  private winLength = 0;

  private constructor(
    private readonly fh: FileHandle,
    /** File offset of the next frame. */
    public offset: number,
  ) {
    this.winStart = offset;
  }

  static async open(path: string, offset: number): Promise<FrameReader> {
    return new FrameReader(await open(path, 'r'), offset);
  }

  /** Bytes this reader holds in memory. */
  get bufferedBytes(): number {
    return this.win.length;
  }

  /** Moves to another offset (after a drop moved the cursor). */
  seek(offset: number): void {
    this.offset = offset;
    this.winStart = offset;
    this.winLength = 0;
  }

  /**
   * The frame at `offset`, reading no byte at or past `limit`: 'end' when `offset` reached it,
   * or why the bytes there are not a whole valid frame ('torn' when the frame runs past `limit`).
   */
  async next(limit: number): Promise<Frame | 'end' | FrameProblem> {
    return this.nextInWindow(limit) ?? this.read(limit);
  }

  /**
   * As `next`, without I/O: undefined when the frame is not whole in the window yet. Readers
   * loop on this and await `next` only at a window's end, so a window of thousands of records
   * costs one promise, not one per record.
   */
  nextInWindow(limit: number): Frame | 'end' | FrameProblem | undefined {
    if (this.offset >= limit) return 'end';
    const at = this.offset - this.winStart;
    if (at + frameHeaderSize > this.winLength) return undefined;
    const payload = this.win.readUInt32LE(at);
    if (payload < minPayloadSize || payload > maxRecordSize) return 'length';
    const frameEnd = this.offset + frameHeaderSize + payload;
    if (frameEnd > limit) return 'torn';
    if (at + frameHeaderSize + payload > this.winLength) return undefined;
    const result = checkFrame(this.win, at, at + frameHeaderSize + payload);
    if (typeof result !== 'number') return result;
    this.offset = frameEnd;
    return { buf: this.win, at, end: frameEnd };
  }

  private async read(limit: number): Promise<Frame | 'end' | FrameProblem> {
    if (this.offset >= limit) return 'end';
    if (!(await this.fill(this.offset + frameHeaderSize, limit))) return 'torn';
    const payload = this.win.readUInt32LE(this.offset - this.winStart);
    if (payload < minPayloadSize || payload > maxRecordSize) return 'length';
    const frameEnd = this.offset + frameHeaderSize + payload;
    if (frameEnd > limit) return 'torn';
    if (!(await this.fill(frameEnd, limit))) return 'torn';
    const at = this.offset - this.winStart;
    const result = checkFrame(this.win, at, at + frameHeaderSize + payload);
    if (typeof result !== 'number') return result;
    this.offset = frameEnd;
    return { buf: this.win, at, end: frameEnd };
  }

  async close(): Promise<void> {
    await this.fh.close();
  }

  /** Makes the window hold the file bytes from `offset` up to `until` (≤ limit); false on EOF. */
  private async fill(until: number, limit: number): Promise<boolean> {
    if (until <= this.winStart + this.winLength) return true;
    // Keep the bytes from `offset` on, at the front of the window.
    const keepFrom = this.offset - this.winStart;
    const keep = Math.max(0, this.winLength - keepFrom);
    const need = until - this.offset;
    if (need > this.win.length) {
      const bigger = Buffer.allocUnsafe(need);
      if (keep > 0) this.win.copy(bigger, 0, keepFrom, keepFrom + keep);
      this.win = bigger;
    } else {
      if (this.win.length > windowSize && need <= windowSize) {
        const smaller = Buffer.allocUnsafe(windowSize);
        if (keep > 0) this.win.copy(smaller, 0, keepFrom, keepFrom + keep);
        this.win = smaller;
      } else if (keep > 0 && keepFrom > 0) {
        this.win.copy(this.win, 0, keepFrom, keepFrom + keep);
      }
    }
    this.winStart = this.offset;
    this.winLength = keep;
    while (this.winStart + this.winLength < until) {
      const room = Math.min(this.win.length - this.winLength, limit - (this.winStart + this.winLength));
      if (room <= 0) return false;
      const { bytesRead } = await this.fh.read(
        this.win,
        this.winLength,
        room,
        this.winStart + this.winLength,
      );
      if (bytesRead === 0) return false;
      this.winLength += bytesRead;
    }
    return true;
  }
}

/** Outcome of walking a segment's frames: where the valid ones end, and what stopped the walk. */
export interface ScanResult {
  validEnd: number;
  frames: number;
  problem?: FrameProblem;
}

/** Walks the frames of a segment from `from` up to `limit`, checking each checksum. */
export async function scanSegment(path: string, from: number, limit: number): Promise<ScanResult> {
  const reader = await FrameReader.open(path, from);
  try {
    let frames = 0;
    for (;;) {
      const frame = await reader.next(limit);
      if (frame === 'end') return { validEnd: reader.offset, frames };
      if (typeof frame === 'string') return { validEnd: reader.offset, frames, problem: frame };
      frames++;
    }
  } finally {
    await reader.close();
  }
}
