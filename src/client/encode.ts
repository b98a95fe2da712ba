// The push wire format: Loki's labels string, the logproto.PushRequest protobuf encoding and
// snappy block compression. This is the hot end of the client, so the protobuf is written by
// hand on protobufjs's Writer (faster than reflection; see bench/encode.ts) and snappy runs
// natively when the `snappy` package's binary loads, in JavaScript (snappyjs) when it does not.

import { createRequire } from 'node:module';
import protobuf from 'protobufjs/minimal.js';
import snappyjs from 'snappyjs';
import type { Entry, LabelSet } from '../types.js';

/** One stream of a push: its labels string and its entries in the order they were read. */
export interface PushStream {
  labels: string;
  entries: Entry[];
}

// --- labels string --------------------------------------------------------------------------

// Characters Go's strconv.Quote writes as they are: printable ASCII other than `"` and `\`.
const plainAscii = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
// Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space.
const printable = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;
const shortEscapes: Record<number, string> = {
  7: '\\a',
  8: '\\b',
  9: '\\t',
  10: '\\n',
  11: '\\v',
  12: '\\f',
  13: '\\r',
  34: '\\"',
  92: '\\\\',
};

/**
 * Quotes a string as Go's strconv.Quote does, so label values match what Promtail sends byte
 * for byte. A lone UTF-16 surrogate (which no UTF-8 string can hold) is taken as U+FFFD, as
 * the UTF-8 encoder does for the line.
 */
export function goQuote(s: string): string {
  if (plainAscii.test(s)) return `"${s}"`;
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    let cp = s.charCodeAt(i);
    if (cp >= 0xd800 && cp <= 0xdfff) {
      const next = s.charCodeAt(i + 1);
      if (cp <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        cp = (cp - 0xd800) * 0x400 + (next - 0xdc00) + 0x10000;
        i++;
      } else cp = 0xfffd;
    }
    const short = shortEscapes[cp];
    if (short !== undefined) out += short;
    else if (cp >= 0x20 && cp < 0x7f) out += String.fromCharCode(cp);
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else {
      const ch = String.fromCodePoint(cp);
      if (printable.test(ch)) out += ch;
      else if (cp < 0x10000) out += `\\u${cp.toString(16).padStart(4, '0')}`;
      else out += `\\U${cp.toString(16).padStart(8, '0')}`;
    }
  }
  return `${out}"`;
}

/**
 * The labels string Loki expects: `{a="b", c="d"}`, names sorted (by UTF-16 code unit, which for
 * valid label names is byte order, as Go sorts), values quoted by goQuote. `without` names one
 * label to leave out (Promtail leaves `__tenant_id__` out).
 */
export function formatLabels(labels: LabelSet, without?: string): string {
  const names = Object.keys(labels);
  names.sort();
  let out = '{';
  let first = true;
  for (const name of names) {
    if (name === without) continue;
    if (!first) out += ', ';
    first = false;
    out += `${name}=${goQuote(labels[name]!)}`;
  }
  return `${out}}`;
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
 * Encodes a logproto.PushRequest. Field numbers: PushRequest.streams=1; StreamAdapter
 * labels=1, entries=2 (hash=3 left 0, as Promtail does); EntryAdapter timestamp=1 (Timestamp
 * seconds=1, nanos=2), line=2, structuredMetadata=3 (LabelPairAdapter name=1, value=2).
 */
export function encodePushRequest(streams: readonly PushStream[]): Buffer {
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

/** The reflection-based encoder, kept for bench/encode.ts to compare against. */
export function createReflectionEncoder(): (streams: readonly PushStream[]) => Uint8Array {
  const root = protobuf.Root.fromJSON({
    nested: {
      logproto: {
        nested: {
          PushRequest: { fields: { streams: { rule: 'repeated', type: 'StreamAdapter', id: 1 } } },
          StreamAdapter: {
            fields: {
              labels: { type: 'string', id: 1 },
              entries: { rule: 'repeated', type: 'EntryAdapter', id: 2 },
              hash: { type: 'uint64', id: 3 },
            },
          },
          EntryAdapter: {
            fields: {
              timestamp: { type: 'Timestamp', id: 1 },
              line: { type: 'string', id: 2 },
              structuredMetadata: { rule: 'repeated', type: 'LabelPairAdapter', id: 3 },
            },
          },
          LabelPairAdapter: { fields: { name: { type: 'string', id: 1 }, value: { type: 'string', id: 2 } } },
          Timestamp: { fields: { seconds: { type: 'int64', id: 1 }, nanos: { type: 'int32', id: 2 } } },
        },
      },
    },
  });
  const PushRequest = root.lookupType('logproto.PushRequest');
  return (streams) =>
    PushRequest.encode({
      streams: streams.map((s) => ({
        labels: s.labels,
        entries: s.entries.map((e) => ({
          timestamp: {
            seconds: Number(e.timestamp / 1_000_000_000n),
            nanos: Number(e.timestamp % 1_000_000_000n),
          },
          line: e.line,
          structuredMetadata: e.structuredMetadata
            ? Object.entries(e.structuredMetadata).map(([name, value]) => ({ name, value }))
            : [],
        })),
      })),
    }).finish();
}

// --- snappy ---------------------------------------------------------------------------------

interface NativeSnappy {
  compressSync(input: Buffer): Buffer;
}

function loadNativeSnappy(): NativeSnappy | undefined {
  if (process.env.LOGFERRY_SNAPPY === 'js') return undefined;
  try {
    const mod = createRequire(import.meta.url)('snappy') as NativeSnappy;
    // A binary that loads but cannot run would fail here rather than on the first batch.
    mod.compressSync(Buffer.from('logferry'));
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
  ? (input) => native.compressSync(input)
  : (input) => snappyjs.compress(input);

/** The pure-JavaScript compressor, whatever compress() uses (for the benchmark and tests). */
export const compressJs = (input: Buffer): Buffer => snappyjs.compress(input);
