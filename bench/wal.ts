// Benchmark of the disk buffer (src/wal/): append throughput with one fsync per batch, alone and
// with several batches in flight (group commit), and replay throughput (reopen, read every
// entry, acknowledge). Lines are realistic pod log lines of about 200 bytes, 8 streams.
// Run: node --import tsx bench/wal.ts [--size 256MiB] [--batch 1000] [--dir /var/tmp]
// MiB/s are of record bytes written (framing, labels and line); entries/s of log entries.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseByteSize } from '../src/config/reader.js';
import type { Entry, LabelSet } from '../src/types.js';
import { Wal } from '../src/wal/index.js';
import { arg } from './args.js';

const size = parseByteSize(arg('size', '256MiB'))!;
const batchSize = Number(arg('batch', '1000'));
const base = arg('dir', tmpdir());

const streams: LabelSet[] = Array.from({ length: 8 }, (_, s) => ({
  job: 'kubernetes-pods',
  namespace: `team-${s}`,
  pod: `api-7d9f8b6c5-x${s}kq2`,
  container: 'api',
  filename: `/var/log/pods/team-${s}_api-7d9f8b6c5-x${s}kq2_0f3e/api/0.log`,
}));

function makeBatch(first: number): Entry[] {
  const out: Entry[] = [];
  for (let i = first; i < first + batchSize; i++) {
    out.push({
      labels: streams[i % 8]!,
      timestamp: 1_700_000_000_000_000_000n + BigInt(i),
      line: `{"level":"info","ts":"2024-05-01T12:00:00.${String(i % 1000).padStart(3, '0')}Z","msg":"request handled","path":"/api/v1/items/${i}","status":200,"duration_ms":${i % 97},"user":"u${i % 1000}"}`,
      extracted: {},
    });
  }
  return out;
}

function cpuPerGiB(since: NodeJS.CpuUsage, mib: number): string {
  const used = process.cpuUsage(since);
  return (((used.user + used.system) / 1e6) * (1024 / mib)).toFixed(1);
}

async function appendRun(label: string, inFlight: number): Promise<void> {
  const dir = mkdtempSync(join(base, 'logferry-bench-wal-'));
  try {
    const wal = await Wal.open({ dir, clients: ['loki'], maxSize: 4 * size });
    const start = process.hrtime.bigint();
    const cpuStart = process.cpuUsage();
    let entries = 0;
    const running = new Set<Promise<void>>();
    while (wal.stats().bufferedBytes < size) {
      const p: Promise<void> = wal.append(makeBatch(entries)).finally(() => running.delete(p));
      running.add(p);
      entries += batchSize;
      if (running.size >= inFlight) await Promise.race(running);
    }
    await Promise.all(running);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const stats = wal.stats();
    const mib = stats.bufferedBytes / 1024 ** 2;
    console.log(
      `${label.padEnd(30)} ${(mib / seconds).toFixed(1).padStart(7)} MiB/s ${Math.round(entries / seconds)
        .toLocaleString('en')
        .padStart(
          10,
        )} entries/s ${cpuPerGiB(cpuStart, mib).padStart(5)} CPU s/GiB  ${stats.fsyncs} fsyncs (${(stats.fsyncs / seconds).toFixed(0)}/s)`,
    );
    await wal.close();

    // Replay: a fresh process would do the same (open, check the last segment, read all).
    const replayStart = process.hrtime.bigint();
    const replayCpu = process.cpuUsage();
    const again = await Wal.open({ dir, clients: ['loki'], maxSize: 4 * size });
    const reader = again.reader('loki');
    let read = 0;
    let bytes = 0;
    while (read < entries) {
      const batch = await reader.next();
      if (!batch) break;
      read += batch.entries.length;
      bytes += batch.bytes;
      reader.ack(batch.end);
    }
    const replaySeconds = Number(process.hrtime.bigint() - replayStart) / 1e9;
    console.log(
      `${'  replay (open, read, ack)'.padEnd(30)} ${(bytes / 1024 ** 2 / replaySeconds).toFixed(1).padStart(7)} MiB/s ${Math.round(
        read / replaySeconds,
      )
        .toLocaleString('en')
        .padStart(
          10,
        )} entries/s ${cpuPerGiB(replayCpu, bytes / 1024 ** 2).padStart(5)} CPU s/GiB  peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`,
    );
    await again.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(
  `wal bench: ${(size / 1024 ** 2).toFixed(0)} MiB per run, ${batchSize} entries per batch, in ${base}`,
);
await appendRun('append, 1 batch in flight', 1);
await appendRun('append, 4 batches in flight', 4);
