// Micro-benchmark of the push encoder: protobufjs reflection vs. the hand-written Writer
// encoder, and snappyjs vs. the native `snappy` package, on 1 MiB batches of realistic lines.
// Run: node --import tsx bench/encode.ts   (MB/s are of uncompressed line bytes)

import { createRequire } from 'node:module';
import protobuf from 'protobufjs';
import snappyjs from 'snappyjs';
import { encodePushRequest, encodePushRequestWriter, type PushStream } from '../src/client/encode.js';
import { formatLabels } from '../src/labels.js';
import type { Entry } from '../src/types.js';

function makeBatch(targetBytes: number): { streams: PushStream[]; lineBytes: number } {
  const streams: PushStream[] = [];
  for (let s = 0; s < 8; s++) {
    streams.push({
      labels: formatLabels({
        job: 'kubernetes-pods',
        namespace: `team-${s}`,
        pod: `api-7d9f8b6c5-x${s}kq2`,
        container: 'api',
        filename: `/var/log/pods/team-${s}_api-7d9f8b6c5-x${s}kq2_0f3e/api/0.log`,
      }),
      entries: [],
    });
  }
  let bytes = 0;
  let seq = 0;
  let ts = 1_700_000_000_000_000_000n;
  while (bytes < targetBytes) {
    const kind = seq % 3;
    const line =
      kind === 0
        ? JSON.stringify({
            ts: new Date(1_700_000_000_000 + seq).toISOString(),
            level: 'info',
            msg: 'request handled',
            path: `/api/v1/orders/${seq}`,
            status: 200,
            duration_ms: seq % 97,
            seq,
          })
        : kind === 1
          ? `ts=2023-11-14T22:13:20.${seq % 1000}Z level=warn msg="upstream timeout" upstream=payments retry=${seq % 5} seq=${seq}`
          : `2023-11-14 22:13:20,123 INFO  [http-nio-8080-exec-${seq % 16}] c.e.api.OrderController - order ${seq} ok, user ${seq * 7} cache miss, seq=${seq}`;
    const e: Entry = { labels: {}, timestamp: ts, line, extracted: {} };
    if (seq % 10 === 0) e.structuredMetadata = { trace_id: `${seq.toString(16).padStart(16, '0')}` };
    streams[seq % streams.length]!.entries.push(e);
    bytes += Buffer.byteLength(line);
    ts += 1_000_123n;
    seq++;
  }
  return { streams, lineBytes: bytes };
}

/** The same schema through protobufjs reflection, to compare against. */
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

function measure(name: string, bytes: number, fn: () => void): void {
  for (let i = 0; i < 5; i++) fn();
  const start = process.hrtime.bigint();
  let iterations = 0;
  let elapsed = 0;
  do {
    fn();
    iterations++;
    elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  } while (elapsed < 2);
  const mbps = (bytes * iterations) / elapsed / 1024 / 1024;
  console.log(`${name.padEnd(40)} ${mbps.toFixed(1).padStart(8)} MB/s  (${iterations} batches)`);
}

const { streams, lineBytes } = makeBatch(1024 * 1024);
const entries = streams.reduce((n, s) => n + s.entries.length, 0);
console.log(`batch: ${entries} entries, ${lineBytes} line bytes, ${streams.length} streams`);

const reflection = createReflectionEncoder();
const proto = encodePushRequest(streams);
if (!proto.equals(encodePushRequestWriter(streams))) throw new Error('direct and Writer encodings differ');

measure('encode: protobufjs reflection', lineBytes, () => reflection(streams));
measure('encode: hand-written on Writer', lineBytes, () => encodePushRequestWriter(streams));
measure('encode: direct to Buffer (used)', lineBytes, () => encodePushRequest(streams));
measure('snappy: snappyjs', lineBytes, () => snappyjs.compress(proto));

const copy = { copyOutputData: true };
let native: { compressSync(b: Buffer, o?: { copyOutputData?: boolean }): Buffer } | undefined;
try {
  native = createRequire(import.meta.url)('snappy');
} catch (err) {
  console.log(`snappy: native package not loadable (${(err as Error).message.split('\n')[0]})`);
}
if (native) {
  const n = native;
  measure('snappy: native, external buffer', lineBytes, () => n.compressSync(proto));
  measure('snappy: native, copyOutputData (used)', lineBytes, () => n.compressSync(proto, copy));
  console.log(`compressed: ${n.compressSync(proto).length} bytes of ${proto.length}`);
}
measure('encode + snappyjs', lineBytes, () => snappyjs.compress(encodePushRequest(streams)));
if (native) {
  const n = native;
  measure('encode + native snappy (used)', lineBytes, () => n.compressSync(encodePushRequest(streams), copy));
}
