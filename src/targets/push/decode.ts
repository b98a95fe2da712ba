// Decoding a Loki push body as Loki's push.ParseLokiRequest does (the function Promtail's push
// target calls): Content-Encoding gzip or deflate undone first, then `application/json` read as
// Loki's JSON and any other media type as snappy-block-compressed logproto.PushRequest. Every
// size is checked before memory is given to it: the snappy header's declared length, the inflated
// size, and what the decoded entries weigh, so a small hostile body cannot grow the heap.

import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import snappyjs from 'snappyjs';
import { isValidLabelName } from '../../labels.js';
import type { LabelSet } from '../../types.js';
import { parseLabels } from './labels.js';

/** A push refused: the HTTP status to answer (400 or 413) and the message for the body. */
export class PushError extends Error {
  constructor(
    readonly status: 400 | 413,
    message: string,
  ) {
    super(message);
    this.name = 'PushError';
  }
}

export interface PushedEntry {
  /** Unix nanoseconds as pushed; 0n when the caller did not ask for timestamps. */
  timestamp: bigint;
  line: string;
  structuredMetadata: LabelSet | undefined;
}

export interface PushedStream {
  /** The stream's labels as pushed (empty values still in). */
  labels: LabelSet;
  entries: PushedEntry[];
}

export interface DecodeOptions {
  /** Largest decompressed body, and largest decoded weight (see entryOverhead). */
  maxBytes: number;
  /** Compute entries' timestamps (only `use_incoming_timestamp` needs them). */
  timestamps: boolean;
}

/**
 * What one decoded entry weighs beyond its strings (object, array slot, string headers), so that
 * a body of millions of empty entries counts for what it costs in the heap.
 */
export const entryOverhead = 64;

/** Decodes a POST /loki/api/v1/push body; throws PushError. */
export async function decodeLokiPush(
  body: Buffer,
  contentType: string | undefined,
  contentEncoding: string | undefined,
  opts: DecodeOptions,
): Promise<PushedStream[]> {
  const raw = await undoContentEncoding(body, contentEncoding ?? '', opts.maxBytes);
  const mediaType = parseMediaType(contentType ?? '');
  if (mediaType === 'application/json') return decodeJson(raw, opts);
  return decodeProto(await snappyUncompress(raw, opts.maxBytes), opts);
}

// --- content encoding ------------------------------------------------------------------------

const gunzip = promisify(zlib.gunzip);
const inflateRaw = promisify(zlib.inflateRaw);

async function undoContentEncoding(body: Buffer, encoding: string, maxBytes: number): Promise<Buffer> {
  // Matched exactly, as Loki does (Go's Header.Get returns the value as sent).
  if (encoding === '' || encoding === 'snappy') return body;
  if (encoding !== 'gzip' && encoding !== 'deflate') {
    throw new PushError(400, `Content-Encoding "${encoding}" not supported`);
  }
  try {
    // Go's flate.NewReader reads raw DEFLATE (no zlib header), so "deflate" is raw here too.
    const inflate = encoding === 'gzip' ? gunzip : inflateRaw;
    return await inflate(body, { maxOutputLength: maxBytes });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError) {
      throw new PushError(
        413,
        `${encoding} body inflates to more than ${maxBytes} bytes (max_send_msg_size)`,
      );
    }
    throw new PushError(400, `${encoding}: ${e.message}`);
  }
}

const token = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;

/** The media type of a Content-Type, lower-cased, as Go's mime.ParseMediaType returns it. */
function parseMediaType(contentType: string): string {
  const base = contentType.split(';', 1)[0]!.trim().toLowerCase();
  if (base === '') throw new PushError(400, 'mime: no media type');
  const slash = base.indexOf('/');
  const major = slash < 0 ? base : base.slice(0, slash);
  if (!token.test(major)) throw new PushError(400, 'mime: expected token after slash');
  if (slash >= 0 && !token.test(base.slice(slash + 1))) {
    throw new PushError(400, 'mime: expected token after slash');
  }
  return base;
}

// --- snappy ----------------------------------------------------------------------------------

interface NativeSnappy {
  uncompressSync(input: Uint8Array, options: { asBuffer: true }): Buffer;
  uncompress(input: Uint8Array, options: { asBuffer: true }): Promise<Buffer>;
}

function loadNativeSnappy(): NativeSnappy | undefined {
  if (process.env.LOGFERRY_SNAPPY === 'js') return undefined;
  try {
    return createRequire(import.meta.url)('snappy') as NativeSnappy;
  } catch {
    return undefined;
  }
}

const native = loadNativeSnappy();

/** Above this, decompression runs on the thread pool rather than the event loop. */
const asyncSnappyFrom = 1024 * 1024;

/**
 * A snappy block never expands more than 64 output bytes per 3-byte copy element, so a header
 * declaring more than 22 times the input is corrupt, whatever the limit.
 */
const maxSnappyRatio = 22;

async function snappyUncompress(input: Buffer, maxBytes: number): Promise<Buffer> {
  // The preamble: the uncompressed length as a varint. Checked before any allocation.
  let declared = 0;
  let shift = 0;
  let i = 0;
  for (; ; i++) {
    if (i >= input.length || i >= 5) throw new PushError(400, 'snappy: corrupt input');
    const b = input[i]!;
    declared += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if (b < 0x80) break;
  }
  if (declared > maxBytes) {
    throw new PushError(413, `decompressed message larger than max (${declared} vs ${maxBytes})`);
  }
  if (declared > (input.length - i) * maxSnappyRatio + 64) {
    throw new PushError(400, 'snappy: corrupt input (declared length impossible for the body size)');
  }
  try {
    if (native !== undefined) {
      return input.length >= asyncSnappyFrom
        ? await native.uncompress(input, { asBuffer: true })
        : native.uncompressSync(input, { asBuffer: true });
    }
    return Buffer.from(snappyjs.uncompress(input, maxBytes));
  } catch (err) {
    const msg = (err as Error).message;
    throw new PushError(400, msg.startsWith('snappy') ? msg : `snappy: ${msg}`);
  }
}

// --- protobuf --------------------------------------------------------------------------------

/**
 * A reader over logproto.PushRequest: streams=1 (StreamAdapter labels=1, entries=2, hash=3),
 * EntryAdapter timestamp=1 (seconds=1, nanos=2), line=2, structuredMetadata=3 (name=1, value=2).
 * Unknown fields are skipped, as Go's decoder does; every length is checked against its parent.
 */
class ProtoReader {
  pos = 0;
  weight = 0;
  constructor(
    readonly buf: Buffer,
    readonly maxWeight: number,
  ) {}

  fail(why: string): never {
    throw new PushError(400, `proto: ${why} at offset ${this.pos}`);
  }

  varint(end: number): number {
    const buf = this.buf;
    let result = 0;
    let mul = 1;
    for (let n = 0; n < 10; n++) {
      if (this.pos >= end) this.fail('unexpected EOF');
      const b = buf[this.pos++]!;
      if (n < 8) result += (b & 0x7f) * mul;
      mul *= 128;
      if (b < 0x80) return result;
    }
    return this.fail('integer overflow');
  }

  /** A signed 64-bit varint as a bigint (seconds may be negative: 10 bytes of two's complement). */
  int64(end: number): bigint {
    const start = this.pos;
    const v = this.varint(end);
    if (v <= Number.MAX_SAFE_INTEGER && this.pos - start < 8) return BigInt(v);
    let u = 0n;
    for (let p = this.pos - 1; p >= start; p--) u = (u << 7n) | BigInt(this.buf[p]! & 0x7f);
    return BigInt.asIntN(64, u);
  }

  /** Length of a length-delimited field, checked against the end of its parent. */
  length(end: number): number {
    const n = this.varint(end);
    if (n > end - this.pos) this.fail(`length ${n} beyond the end of its message`);
    return n;
  }

  string(end: number): string {
    const n = this.length(end);
    const s = n === 0 ? '' : this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  skip(wireType: number, end: number): void {
    switch (wireType) {
      case 0:
        this.varint(end);
        return;
      case 1:
        if (end - this.pos < 8) this.fail('unexpected EOF');
        this.pos += 8;
        return;
      case 2:
        this.pos += this.length(end);
        return;
      case 5:
        if (end - this.pos < 4) this.fail('unexpected EOF');
        this.pos += 4;
        return;
      default:
        this.fail(`illegal wireType ${wireType}`);
    }
  }

  addWeight(n: number): void {
    this.weight += n;
    if (this.weight > this.maxWeight) {
      throw new PushError(
        413,
        `push request decodes to more than ${this.maxWeight} bytes (max_send_msg_size)`,
      );
    }
  }
}

function decodeProto(buf: Buffer, opts: DecodeOptions): PushedStream[] {
  const r = new ProtoReader(buf, opts.maxBytes);
  const streams: PushedStream[] = [];
  const end = buf.length;
  while (r.pos < end) {
    const tag = r.varint(end);
    if (tag === 0x0a) {
      const len = r.length(end);
      streams.push(decodeStream(r, r.pos + len, opts.timestamps));
    } else r.skip(tag & 7, end);
  }
  return streams;
}

function decodeStream(r: ProtoReader, end: number, timestamps: boolean): PushedStream {
  let labelsString = '';
  const entries: PushedEntry[] = [];
  while (r.pos < end) {
    const tag = r.varint(end);
    if (tag === 0x0a) labelsString = r.string(end);
    else if (tag === 0x12) {
      const len = r.length(end);
      entries.push(decodeEntry(r, r.pos + len, timestamps));
    } else r.skip(tag & 7, end);
  }
  let labels: LabelSet;
  try {
    labels = parseLabels(labelsString);
  } catch (err) {
    throw new PushError(400, `couldn't parse labels: ${(err as Error).message}`);
  }
  r.addWeight(entryOverhead + labelsString.length);
  return { labels, entries };
}

function decodeEntry(r: ProtoReader, end: number, timestamps: boolean): PushedEntry {
  let seconds = 0n;
  let nanos = 0;
  let line = '';
  let structuredMetadata: LabelSet | undefined;
  let weight = entryOverhead;
  while (r.pos < end) {
    const tag = r.varint(end);
    if (tag === 0x0a) {
      const tsLen = r.length(end);
      const tsEnd = r.pos + tsLen;
      while (r.pos < tsEnd) {
        const t = r.varint(tsEnd);
        if (t === 0x08) {
          if (timestamps) seconds = r.int64(tsEnd);
          else r.varint(tsEnd);
        } else if (t === 0x10) nanos = r.varint(tsEnd) | 0;
        else r.skip(t & 7, tsEnd);
      }
    } else if (tag === 0x12) line = r.string(end);
    else if (tag === 0x1a) {
      const pairLen = r.length(end);
      const pairEnd = r.pos + pairLen;
      let name = '';
      let value = '';
      while (r.pos < pairEnd) {
        const t = r.varint(pairEnd);
        if (t === 0x0a) name = r.string(pairEnd);
        else if (t === 0x12) value = r.string(pairEnd);
        else r.skip(t & 7, pairEnd);
      }
      structuredMetadata ??= {};
      setLabel(structuredMetadata, name, value);
      weight += entryOverhead + name.length + value.length;
    } else r.skip(tag & 7, end);
  }
  r.addWeight(weight + line.length);
  const timestamp = timestamps ? seconds * 1_000_000_000n + BigInt(nanos) : 0n;
  return { timestamp, line, structuredMetadata };
}

// --- JSON ------------------------------------------------------------------------------------

const int64Text = /^[+-]?\d{1,19}$/;
const int64Min = -(2n ** 63n);
const int64Max = 2n ** 63n - 1n;

/** Loki's v1 JSON: `{"streams":[{"stream":{...},"values":[["<ns>","line"(,{metadata})]]}]}`. */
function decodeJson(raw: Buffer, opts: DecodeOptions): PushedStream[] {
  let doc: unknown;
  try {
    // V8's JSON.parse is iterative: deep nesting costs heap, bounded by the body size, not stack.
    doc = JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw new PushError(400, `JSON decode error: ${(err as Error).message}`);
  }
  if (!isObject(doc)) throw new PushError(400, 'JSON push: expected an object with "streams"');
  const streamsRaw = doc.streams;
  if (streamsRaw === undefined || streamsRaw === null) return [];
  if (!Array.isArray(streamsRaw)) throw new PushError(400, 'JSON push: "streams" must be an array');
  let weight = 0;
  const streams: PushedStream[] = [];
  for (let si = 0; si < streamsRaw.length; si++) {
    const s: unknown = streamsRaw[si];
    if (!isObject(s)) throw new PushError(400, `JSON push: streams[${si}] must be an object`);
    const labels = stringMap(s.stream, `streams[${si}].stream`);
    weight += entryOverhead;
    for (const name in labels) {
      if (!isValidLabelName(name)) {
        throw new PushError(400, `couldn't parse labels: invalid label name ${JSON.stringify(name)}`);
      }
    }
    const values = s.values ?? [];
    if (!Array.isArray(values)) throw new PushError(400, `JSON push: streams[${si}].values must be an array`);
    const entries: PushedEntry[] = [];
    for (let vi = 0; vi < values.length; vi++) {
      const v: unknown = values[vi];
      const where = `streams[${si}].values[${vi}]`;
      if (!Array.isArray(v) || v.length < 2 || v.length > 3) {
        throw new PushError(
          400,
          `JSON push: ${where} must be [timestamp, line] or [timestamp, line, metadata]`,
        );
      }
      const [ts, line, sm] = v as unknown[];
      if (typeof ts !== 'string' || !int64Text.test(ts)) {
        throw new PushError(
          400,
          `JSON push: ${where}: timestamp ${JSON.stringify(ts)} is not a string of Unix nanoseconds`,
        );
      }
      const timestamp = BigInt(ts);
      if (timestamp < int64Min || timestamp > int64Max) {
        throw new PushError(400, `JSON push: ${where}: timestamp ${ts} out of range`);
      }
      if (typeof line !== 'string') throw new PushError(400, `JSON push: ${where}: line must be a string`);
      let structuredMetadata: LabelSet | undefined;
      weight += entryOverhead + line.length;
      if (sm !== undefined && sm !== null) {
        structuredMetadata = stringMap(sm, `${where} structured metadata`);
        let any = false;
        for (const name in structuredMetadata) {
          any = true;
          weight += entryOverhead + name.length + structuredMetadata[name]!.length;
        }
        if (!any) structuredMetadata = undefined;
      }
      if (weight > opts.maxBytes) {
        throw new PushError(
          413,
          `push request decodes to more than ${opts.maxBytes} bytes (max_send_msg_size)`,
        );
      }
      entries.push({ timestamp: opts.timestamps ? timestamp : 0n, line, structuredMetadata });
    }
    streams.push({ labels, entries });
  }
  return streams;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function stringMap(v: unknown, what: string): LabelSet {
  if (v === undefined || v === null) return {};
  if (!isObject(v)) throw new PushError(400, `JSON push: ${what} must be an object`);
  const out: LabelSet = {};
  for (const [k, val] of Object.entries(v)) {
    if (typeof val !== 'string')
      throw new PushError(400, `JSON push: ${what}: value of ${k} must be a string`);
    setLabel(out, k, val);
  }
  return out;
}

/** Assigns without tripping over a name called `__proto__`. */
function setLabel(o: LabelSet, name: string, value: string): void {
  if (name === '__proto__') {
    Object.defineProperty(o, name, { value, enumerable: true, writable: true, configurable: true });
  } else o[name] = value;
}
