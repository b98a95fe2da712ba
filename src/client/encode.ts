// The push wire format: the logproto.PushRequest protobuf encoding and
// snappy block compression. This is the hot end of the client: each entry is written by hand
// into its stream's Buffer as it joins a batch (protobufjs's Writer, kept as the reference
// encoder, is half as fast; see bench/encode.ts), and snappy runs natively when the `snappy`
// package's binary loads, in JavaScript (snappyjs) when it does not.

import { createRequire } from 'node:module';
import protobuf from 'protobufjs/minimal.js';
import snappyjs from 'snappyjs';
import type { Entry, LabelSet } from '../types.js';

/** One stream of a push: its labels string and its entries in the order they were read. */
export interface PushStream {
  labels: string;
  entries: Entry[];
}

// --- protobuf -------------------------------------------------------------------------------

const { Writer } = protobuf;

// ES2024 string methods (Node 20 has them; the project's lib is ES2023).
declare global {
  interface String {
    isWellFormed(): boolean;
    toWellFormed(): string;
  }
}

/**
 * protobufjs writes a lone surrogate as the 3 bytes of a CESU-8 surrogate, which Loki stores as
 * invalid UTF-8; Buffer and Go both write U+FFFD instead, so do that.
 */
function wellFormed(s: string): string {
  return s.isWellFormed() ? s : s.toWellFormed();
}

/**
 * One stream of a push being built: its entries encoded as they arrive, each as a complete
 * EntryAdapter field (tag, length, message), into a chain of fixed-size blocks. A queued entry
 * then costs bytes outside the JS heap instead of an Entry, its line and its extracted values,
 * which would otherwise live until Loki acknowledges the batch: long enough to be promoted by
 * every young-generation GC, and to grow the old generation by hundreds of MB between full GCs.
 * Blocks are filled to the last byte (an entry that does not fit is split across blocks), come
 * from a pool and go back to it once the request is assembled, so a steady flow allocates
 * nothing and holds about the encoded size of what is in flight. A stream's blocks grow from
 * 256 bytes to 8 KiB (see blockSizes): a batch of 10,000 streams of a few lines each (a node's
 * idle files read at start) holds about its encoded size, not 8 KiB per stream. Field numbers:
 * PushRequest.streams=1; StreamAdapter labels=1, entries=2 (hash=3 left 0, as Promtail does);
 * EntryAdapter timestamp=1 (Timestamp seconds=1, nanos=2), line=2, structuredMetadata=3
 * (LabelPairAdapter name=1, value=2).
 */
export class StreamEncoder {
  /** UTF-8 length of the labels string. */
  private readonly labelsBytes: number;
  /** Every block but the last is full. */
  private readonly blocks: FastBuffer[] = [];
  private block: FastBuffer = emptyBlock;
  /** Write position in `block`. */
  private pos = 0;
  /** Bytes in the blocks before `block` (all full). */
  private full = 0;

  constructor(readonly labels: string) {
    this.labelsBytes = Buffer.byteLength(labels);
  }

  /**
   * Appends one entry. `lineBytes` is the UTF-8 length of `line` (the caller knows it already
   * for the batch size); a lone surrogate counts and is written as U+FFFD's 3 bytes, as Go does.
   */
  add(timestamp: bigint, line: string, lineBytes: number, structuredMetadata: LabelSet | undefined): void {
    // Timestamp split as Go's timestamppb does: nanos in [0, 1e9), seconds floored.
    const whole = timestamp / 1_000_000_000n;
    let sec = Number(whole);
    let nano = Number(timestamp - whole * 1_000_000_000n);
    if (nano < 0) {
      nano += 1_000_000_000;
      sec -= 1;
    }
    let size = 2 + timestampBody(sec, nano) + (lineBytes === 0 ? 0 : 1 + varintSize(lineBytes) + lineBytes);
    if (structuredMetadata !== undefined) {
      for (const name in structuredMetadata) {
        const pair = pairSize(name, structuredMetadata[name]!);
        size += 1 + varintSize(pair) + pair;
      }
    }
    const need = 1 + varintSize(size) + size;
    if (this.pos === this.block.length) this.nextBlock();
    if (need <= this.block.length - this.pos) {
      this.pos = writeEntry(this.block, this.pos, need, size, sec, nano, line, lineBytes, structuredMetadata);
      return;
    }
    // Does not fit what is left of the block: encode aside, then fill this block and the next.
    if (entryScratch.length < need)
      entryScratch = Buffer.allocUnsafeSlow(Math.max(need, 2 * entryScratch.length)) as FastBuffer;
    writeEntry(entryScratch, 0, need, size, sec, nano, line, lineBytes, structuredMetadata);
    let from = 0;
    while (from < need) {
      if (this.pos === this.block.length) this.nextBlock();
      const n = Math.min(need - from, this.block.length - this.pos);
      entryScratch.copy(this.block, this.pos, from, from + n);
      this.pos += n;
      from += n;
    }
  }

  /** Size of this stream's StreamAdapter field in the PushRequest (tag and length included). */
  get fieldSize(): number {
    const body = this.bodySize();
    return 1 + varintSize(body) + body;
  }

  /** Writes the StreamAdapter field at buf[p]; returns the offset after it. */
  writeTo(buf: Buffer, p: number): number {
    buf[p++] = 0x0a;
    p = writeVarint(buf, p, this.bodySize());
    p = writeString(buf as FastBuffer, p, 0x0a, this.labels, this.labelsBytes);
    const blocks = this.blocks;
    const last = blocks.length - 1;
    for (let i = 0; i < last; i++) p += blocks[i]!.copy(buf, p);
    if (last >= 0) p += blocks[last]!.copy(buf, p, 0, this.pos);
    return p;
  }

  /** Gives the blocks back to the pool; the encoder must not be used after. */
  dispose(): void {
    for (const b of this.blocks) giveBlock(b);
    this.blocks.length = 0;
    this.block = emptyBlock;
    this.pos = 0;
    this.full = 0;
  }

  private nextBlock(): void {
    const n = this.blocks.length;
    if (n > 0) this.full += this.block.length;
    this.block = takeBlock(n < blockSizes.length ? n : blockSizes.length - 1);
    this.blocks.push(this.block);
    this.pos = 0;
  }

  private bodySize(): number {
    return 1 + varintSize(this.labelsBytes) + this.labelsBytes + this.full + this.pos;
  }
}

/** Writes one EntryAdapter field of `need` bytes (message `size`) at buf[p]; returns the offset after it. */
function writeEntry(
  buf: FastBuffer,
  p: number,
  need: number,
  size: number,
  sec: number,
  nano: number,
  line: string,
  lineBytes: number,
  structuredMetadata: LabelSet | undefined,
): number {
  const end = p + need;
  buf[p++] = 0x12;
  p = writeVarint(buf, p, size);
  p = writeTimestamp(buf, p, sec, nano);
  if (lineBytes !== 0) p = writeString(buf, p, 0x12, line, lineBytes);
  if (structuredMetadata !== undefined) {
    for (const name in structuredMetadata) {
      const value = structuredMetadata[name]!;
      const nameLen = Buffer.byteLength(name);
      const valueLen = Buffer.byteLength(value);
      buf[p++] = 0x1a;
      p = writeVarint(buf, p, pairBody(nameLen) + pairBody(valueLen));
      if (nameLen !== 0) p = writeString(buf, p, 0x0a, name, nameLen);
      if (valueLen !== 0) p = writeString(buf, p, 0x12, value, valueLen);
    }
  }
  if (p !== end) throw new Error(`push encoder wrote ${need - (end - p)} bytes where it measured ${need}`);
  return p;
}

/** The PushRequest of the given streams, written at the start of `into` when it is large enough. */
export function assemblePushRequest(streams: readonly StreamEncoder[], into?: Buffer): Buffer {
  let total = 0;
  for (const s of streams) total += s.fieldSize;
  const buf = into !== undefined && into.length >= total ? into : Buffer.allocUnsafe(total);
  let p = 0;
  for (const s of streams) p = s.writeTo(buf, p);
  if (p !== total) throw new Error(`push encoder wrote ${p} bytes where it measured ${total}`);
  return buf.subarray(0, total);
}

/** Encodes a logproto.PushRequest in one go (tests, benchmarks); batches use StreamEncoder. */
export function encodePushRequest(streams: readonly PushStream[]): Buffer {
  const encoders: StreamEncoder[] = [];
  try {
    for (const s of streams) {
      const enc = new StreamEncoder(s.labels);
      encoders.push(enc);
      for (const e of s.entries) {
        const lineBytes = e.line.length === 0 ? 0 : Buffer.byteLength(e.line);
        enc.add(e.timestamp, e.line, lineBytes, e.structuredMetadata);
      }
    }
    return assemblePushRequest(encoders);
  } finally {
    for (const enc of encoders) enc.dispose();
  }
}

/** Node's Buffer has utf8Write (undocumented, what Buffer#write calls); skipping the wrapper's checks pays on short lines. */
interface FastBuffer extends Buffer {
  utf8Write(s: string, offset: number, length: number): number;
}

// --- block pool -----------------------------------------------------------------------------

/**
 * The sizes of a stream's blocks, first to last (the last repeats): a stream of one or two
 * entries (most streams of a batch, on a node with many quiet files) takes 256 bytes, a busy
 * one soon 8 KiB blocks, small enough that the last, partly filled block of each stream wastes
 * little, large enough that most entries are written straight into one. A stream's blocks
 * never waste more than about its encoded size.
 */
const blockSizes = [256, 1024, 4096, 8 * 1024];
/** Blocks are cut from slabs of this size, so the pool is a few large allocations. */
const slabSize = 256 * 1024;
/**
 * Free blocks, by size class. The pool never shrinks: it holds what was in flight at the
 * busiest moment, which the in-flight budget bounds, and a steady flow then reuses it without
 * allocating.
 */
const freeBlocks: FastBuffer[][] = blockSizes.map(() => []);
const emptyBlock = Buffer.alloc(0) as FastBuffer;
/** An entry that does not fit the rest of its block is encoded here first. */
let entryScratch = Buffer.allocUnsafeSlow(blockSizes[blockSizes.length - 1]!) as FastBuffer;

/** Slabs cut so far (the pool's size; for tests and the benchmark). */
let slabs = 0;

/** Bytes the block pool holds, free or in use: it grows to the busiest moment and stays. */
export function blockPoolBytes(): number {
  return slabs * slabSize;
}

function takeBlock(sizeClass: number): FastBuffer {
  const free = freeBlocks[sizeClass]!;
  const block = free.pop();
  if (block !== undefined) return block;
  const size = blockSizes[sizeClass]!;
  slabs++;
  const slab = new ArrayBuffer(slabSize);
  for (let off = slabSize - size; off > 0; off -= size) free.push(Buffer.from(slab, off, size) as FastBuffer);
  return Buffer.from(slab, 0, size) as FastBuffer;
}

function giveBlock(block: FastBuffer): void {
  freeBlocks[blockSizes.indexOf(block.length)]!.push(block);
}

/** Size of a varint below 2^32. */
function varintSize(v: number): number {
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
}

/** Size of a non-negative integer up to 2^53 as a varint. */
function varintSize64(v: number): number {
  let size = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 0x80);
    size++;
  }
  return size;
}

function pairBody(len: number): number {
  return len === 0 ? 0 : 1 + varintSize(len) + len;
}

function pairSize(name: string, value: string): number {
  return pairBody(Buffer.byteLength(name)) + pairBody(Buffer.byteLength(value));
}

/**
 * Body size of the Timestamp message (seconds as int64: negatives take 10 bytes). At most 17
 * bytes, so its length prefix is one byte (counted with the tag in the caller's 2).
 */
function timestampBody(sec: number, nano: number): number {
  const secSize =
    sec === 0 ? 0 : sec < 0 ? 11 : 1 + (sec <= 0xffffffff ? varintSize(sec) : varintSize64(sec));
  return secSize + (nano === 0 ? 0 : 1 + varintSize(nano));
}

function writeTimestamp(buf: Buffer, p: number, sec: number, nano: number): number {
  buf[p++] = 0x0a;
  buf[p++] = timestampBody(sec, nano);
  if (sec !== 0) {
    buf[p++] = 0x08;
    if (sec < 0) {
      // Two's complement over 64 bits, as protobuf writes a negative int64.
      let v = BigInt.asUintN(64, BigInt(sec));
      while (v >= 0x80n) {
        buf[p++] = Number(v & 0x7fn) | 0x80;
        v >>= 7n;
      }
      buf[p++] = Number(v);
    } else if (sec <= 0xffffffff) {
      p = writeVarint(buf, p, sec);
    } else {
      let v = sec;
      while (v >= 0x80) {
        buf[p++] = (v % 0x80) | 0x80;
        v = Math.floor(v / 0x80);
      }
      buf[p++] = v;
    }
  }
  if (nano !== 0) {
    buf[p++] = 0x10;
    p = writeVarint(buf, p, nano);
  }
  return p;
}

function writeVarint(buf: Buffer, p: number, v: number): number {
  while (v > 0x7f) {
    buf[p++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[p++] = v;
  return p;
}

/** Writes tag, length and UTF-8 bytes; Buffer writes a lone surrogate as U+FFFD, as Go would. */
function writeString(buf: FastBuffer, p: number, tag: number, s: string, len: number): number {
  buf[p++] = tag;
  p = writeVarint(buf, p, len);
  return p + buf.utf8Write(s, p, len);
}

/**
 * The same encoding through protobufjs's Writer. Byte for byte equal to encodePushRequest and
 * about half as fast (bench/encode.ts); kept as the reference the tests compare against.
 */
export function encodePushRequestWriter(streams: readonly PushStream[]): Buffer {
  const w = Writer.create();
  for (const stream of streams) {
    w.uint32(10).fork();
    w.uint32(10).string(wellFormed(stream.labels));
    for (const e of stream.entries) {
      w.uint32(18).fork();
      // Timestamp normalised as Go does: nanos in [0, 1e9), seconds floored.
      let seconds = e.timestamp / 1_000_000_000n;
      let nanos = Number(e.timestamp - seconds * 1_000_000_000n);
      if (nanos < 0) {
        nanos += 1_000_000_000;
        seconds -= 1n;
      }
      w.uint32(10).fork();
      if (seconds !== 0n) w.uint32(8).int64(Number(seconds));
      if (nanos !== 0) w.uint32(16).int32(nanos);
      w.ldelim();
      if (e.line.length > 0) w.uint32(18).string(wellFormed(e.line));
      const sm = e.structuredMetadata;
      if (sm !== undefined) {
        for (const name in sm) {
          w.uint32(26).fork();
          if (name.length > 0) w.uint32(10).string(wellFormed(name));
          const value = sm[name]!;
          if (value.length > 0) w.uint32(18).string(wellFormed(value));
          w.ldelim();
        }
      }
      w.ldelim();
    }
    w.ldelim();
  }
  return w.finish() as Buffer;
}

// --- snappy ---------------------------------------------------------------------------------

interface NativeSnappy {
  compressSync(input: Buffer, options?: { copyOutputData?: boolean }): Buffer;
}

// The napi-rs default hands V8 an external buffer per call, which made it slower than snappyjs
// here (~170 MB/s); copying the output into a V8 buffer runs at ~2.5 GB/s.
const nativeOptions = { copyOutputData: true };

function loadNativeSnappy(): NativeSnappy | undefined {
  if (process.env.LOGFERRY_SNAPPY === 'js') return undefined;
  try {
    const mod = createRequire(import.meta.url)('snappy') as NativeSnappy;
    // A binary that loads but cannot run would fail here rather than on the first batch.
    mod.compressSync(Buffer.from('logferry'), nativeOptions);
    return mod;
  } catch {
    return undefined;
  }
}

const native = loadNativeSnappy();

/** Which snappy implementation compress() uses: `native` (the `snappy` package) or `js` (snappyjs). */
export const snappyImplementation: 'native' | 'js' = native ? 'native' : 'js';

/** Snappy block-format compression (what Loki expects; not the framed stream format). */
export const compress: (input: Buffer) => Buffer = native
  ? (input) => native.compressSync(input, nativeOptions)
  : (input) => snappyjs.compress(input);

/** The pure-JavaScript compressor, whatever compress() uses (for the benchmark and tests). */
export const compressJs = (input: Buffer): Buffer => snappyjs.compress(input);
