// The bytes of one buffered entry. A record is framed as
//
//   u32 payload length | u32 CRC-32 of the payload | payload
//
// (little endian) and the payload is
//
//   u8 kind (1 = entry) | i64 timestamp ns | labels | u32 line length | line (UTF-8) | metadata
//
// where labels and structured metadata are each `u32 count` then `u32 length, bytes` for every
// name and value. The tenant travels in the labels (`__tenant_id__`), as everywhere else.
// `extracted` values are not kept: the pipeline is done with them before the buffer.

import { crc32 } from 'node:zlib';
import type { Entry, LabelSet } from '../types.js';

export const frameHeaderSize = 8;
/** kind, timestamp, label count, line length, metadata count. */
export const minPayloadSize = 1 + 8 + 4 + 4 + 4;
const kindEntry = 1;

/** A record longer than this is taken for corruption when read (and refused when written). */
export const maxRecordSize = 128 * 1024 * 1024;

/** Appends framed records to a growing buffer; one encoder per writer, reused for every batch. */
export class RecordEncoder {
  private buf: Buffer = Buffer.allocUnsafe(1024 * 1024);
  private spare: Buffer = Buffer.alloc(0);
  private len = 0;
  /** Label sets are shared between the entries of a stream: encode each object once. */
  private readonly labelBytes = new WeakMap<LabelSet, Buffer>();

  get length(): number {
    return this.len;
  }

  /** Adds one entry; returns false (adding nothing) when it exceeds `maxRecordSize`. */
  add(entry: Entry): boolean {
    const labels = this.encodedLabels(entry.labels);
    const metadata = entry.structuredMetadata ? encodeLabels(entry.structuredMetadata) : emptyLabels;
    const lineLength = Buffer.byteLength(entry.line);
    const payload = 1 + 8 + labels.length + 4 + lineLength + metadata.length;
    if (payload > maxRecordSize) return false;
    this.reserve(frameHeaderSize + payload);
    const buf = this.buf;
    const start = this.len + frameHeaderSize;
    let at = start;
    buf[at++] = kindEntry;
    buf.writeBigInt64LE(BigInt.asIntN(64, entry.timestamp), at);
    at += 8;
    at += labels.copy(buf, at);
    buf.writeUInt32LE(lineLength, at);
    at += 4;
    at += buf.write(entry.line, at, lineLength, 'utf8');
    at += metadata.copy(buf, at);
    buf.writeUInt32LE(payload, this.len);
    buf.writeUInt32LE(crc32(buf.subarray(start, at)), this.len + 4);
    this.len = at;
    return true;
  }

  /** The records added since the last `take`, copied out; the encoder starts empty again. */
  take(): Buffer {
    // Buffer.from(subarray) would copy byte by byte in JS; copy() is one memcpy.
    const out = Buffer.allocUnsafeSlow(this.len);
    this.buf.copy(out, 0, 0, this.len);
    this.len = 0;
    // Do not keep a buffer grown for one huge entry.
    if (this.buf.length > 8 * 1024 * 1024) this.buf = Buffer.allocUnsafe(1024 * 1024);
    return out;
  }

  /**
   * As `take`, without a copy: the records stay valid until the next `takeShared` (the encoder
   * alternates between two buffers). For a writer with one append in flight at a time.
   */
  takeShared(): Buffer {
    const out = this.buf.subarray(0, this.len);
    this.len = 0;
    // The spare becomes the buffer being filled, unless it was shrunk away after a huge entry.
    const spare =
      this.spare.length === 0 || this.spare.length > 8 * 1024 * 1024
        ? Buffer.allocUnsafe(1024 * 1024)
        : this.spare;
    this.spare = this.buf;
    this.buf = spare;
    return out;
  }

  private encodedLabels(labels: LabelSet): Buffer {
    let bytes = this.labelBytes.get(labels);
    if (!bytes) {
      bytes = encodeLabels(labels);
      this.labelBytes.set(labels, bytes);
    }
    return bytes;
  }

  private reserve(bytes: number): void {
    if (this.len + bytes <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + bytes));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }
}

const emptyLabels = Buffer.alloc(4);

function encodeLabels(labels: LabelSet): Buffer {
  const names = Object.keys(labels);
  let size = 4;
  for (const name of names) size += 8 + Buffer.byteLength(name) + Buffer.byteLength(labels[name]!);
  const out = Buffer.allocUnsafe(size);
  out.writeUInt32LE(names.length, 0);
  let at = 4;
  for (const name of names) {
    at = writeString(out, at, name);
    at = writeString(out, at, labels[name]!);
  }
  return out;
}

function writeString(buf: Buffer, at: number, text: string): number {
  const n = buf.write(text, at + 4, 'utf8');
  buf.writeUInt32LE(n, at);
  return at + 4 + n;
}

/** Why a frame could not be read. */
export type FrameProblem = 'torn' | 'length' | 'checksum';

/**
 * Checks the frame at `at` in `buf` (which holds bytes up to `end`): the payload length when
 * whole and valid, or the problem. 'torn' means the frame runs past `end` (more bytes may come,
 * or the file ends mid-record).
 */
export function checkFrame(buf: Buffer, at: number, end: number): number | FrameProblem {
  if (end - at < frameHeaderSize) return 'torn';
  const payload = buf.readUInt32LE(at);
  if (payload < minPayloadSize || payload > maxRecordSize) return 'length';
  if (end - at - frameHeaderSize < payload) return 'torn';
  const start = at + frameHeaderSize;
  if (crc32(buf.subarray(start, start + payload)) !== buf.readUInt32LE(at + 4)) return 'checksum';
  return payload;
}

/** Reads the payload length of the frame at `at` (checked by `checkFrame` first). */
export function frameLength(buf: Buffer, at: number): number {
  return frameHeaderSize + buf.readUInt32LE(at);
}

/** The `extracted` of every decoded entry: the pipeline is done with extracted values. */
const noExtracted: Record<string, unknown> = Object.freeze({}) as Record<string, unknown>;

/** Distinct label sets a decoder remembers (it starts over when it has seen more). */
const maxCachedLabelSets = 4096;

/**
 * Decodes checked payloads back into entries. Entries of one stream share one label object, as
 * they did before the buffer (the clients group entries into streams by that object).
 */
export class RecordDecoder {
  private lastLabelBytes: Buffer = Buffer.alloc(0);
  private lastLabels: LabelSet = {};
  /** Label sets seen, by a hash of their bytes (compared in full on a hit). */
  private readonly labelSets = new Map<number, { bytes: Buffer; labels: LabelSet }[]>();
  private cached = 0;

  /** The entry whose frame starts at `at` (already checked); throws on a malformed payload. */
  decode(buf: Buffer, at: number): Entry {
    const end = at + frameLength(buf, at);
    let pos = at + frameHeaderSize;
    if (buf[pos++] !== kindEntry) throw new Error(`unknown record kind ${buf[pos - 1]}`);
    const timestamp = buf.readBigInt64LE(pos);
    pos += 8;
    const labelsStart = pos;
    pos = skipLabels(buf, pos, end);
    // Compared in place: no copy unless the stream changed to one not seen before.
    if (this.lastLabelBytes.compare(buf, labelsStart, pos) !== 0) this.switchLabels(buf, labelsStart, pos);
    const lineLength = buf.readUInt32LE(pos);
    pos += 4;
    if (pos + lineLength > end) throw new Error('line runs past its record');
    const line = buf.toString('utf8', pos, pos + lineLength);
    pos += lineLength;
    const metaEnd = skipLabels(buf, pos, end);
    if (metaEnd !== end) throw new Error('record has trailing bytes');
    // Every field present from the start (one object shape, however the entry is used later);
    // `extracted` is shared: nothing after the buffer writes to it.
    return {
      labels: this.lastLabels,
      timestamp,
      line,
      extracted: noExtracted,
      structuredMetadata: metaEnd - pos > 4 ? readLabels(buf, pos, metaEnd) : undefined,
      delivery: undefined,
    };
  }

  private switchLabels(buf: Buffer, start: number, end: number): void {
    let hash = 0x811c9dc5;
    for (let i = start; i < end; i++) hash = Math.imul(hash ^ buf[i]!, 0x01000193);
    let bucket = this.labelSets.get(hash);
    const hit = bucket?.find((c) => c.bytes.compare(buf, start, end) === 0);
    if (hit) {
      this.lastLabelBytes = hit.bytes;
      this.lastLabels = hit.labels;
      return;
    }
    if (this.cached >= maxCachedLabelSets) {
      this.labelSets.clear();
      this.cached = 0;
      bucket = undefined;
    }
    const entry = { bytes: Buffer.from(buf.subarray(start, end)), labels: readLabels(buf, start, end) };
    if (bucket) bucket.push(entry);
    else this.labelSets.set(hash, [entry]);
    this.cached++;
    this.lastLabelBytes = entry.bytes;
    this.lastLabels = entry.labels;
  }
}

function skipLabels(buf: Buffer, at: number, end: number): number {
  if (at + 4 > end) throw new Error('labels run past their record');
  const count = buf.readUInt32LE(at);
  let pos = at + 4;
  for (let i = 0; i < count * 2; i++) {
    if (pos + 4 > end) throw new Error('labels run past their record');
    pos += 4 + buf.readUInt32LE(pos);
    if (pos > end) throw new Error('labels run past their record');
  }
  return pos;
}

function readLabels(buf: Buffer, at: number, end: number): LabelSet {
  const count = buf.readUInt32LE(at);
  const out: LabelSet = {};
  let pos = at + 4;
  for (let i = 0; i < count && pos < end; i++) {
    const nameLength = buf.readUInt32LE(pos);
    const name = buf.toString('utf8', pos + 4, pos + 4 + nameLength);
    pos += 4 + nameLength;
    const valueLength = buf.readUInt32LE(pos);
    out[name] = buf.toString('utf8', pos + 4, pos + 4 + valueLength);
    pos += 4 + valueLength;
  }
  return out;
}
