// `npm run bench:outage`: issue 10's Loki outage with rotation. A file written at 2 MB/s,
// renamed every 5 s with 4 rotated files kept (older ones deleted), Loki answering 503 for
// 150 s, then back. Runs the built agent with the disk buffer on, then off, and prints lines
// written/received/lost, duplicates, the agent's peak RSS (during the outage and overall), the
// buffer's peak disk use and the agent's loss counters.
//
//   npm run bench:outage [-- --outage 150 --rate 2MB --mode wal,nowal --agent dist/cli.js]
//
// The scenario itself is test/support/outage.ts (test/wal/outage.test.ts runs a short one).

import { loadavg } from 'node:os';
import { parseByteSize } from '../src/config/reader.js';
import { type OutageResult, runOutage } from '../test/support/outage.js';
import { arg } from './args.js';

const outageSeconds = Number(arg('outage', '150'));
const rate = parseByteSize(arg('rate', '2MB')) ?? 2_000_000;
const agentPath = arg('agent', 'dist/cli.js');
let ok = true;
for (const mode of arg('mode', 'wal,nowal').split(',')) {
  const wal = mode === 'wal';
  console.log(
    `buffer ${wal ? 'on' : 'off'}: ${(rate / 1e6).toFixed(1)} MB/s, rename every 5 s, 4 kept, Loki down ${outageSeconds} s`,
  );
  const r: OutageResult = await runOutage({
    wal,
    outageSeconds,
    rate,
    agentPath,
    log: (line) => process.stderr.write(`  ${line} (load ${loadavg()[0]!.toFixed(1)})\n`),
  });
  const lostBytes = r.metrics.logferry_lost_bytes_total;
  console.log(
    [
      `buffer=${wal ? 'on' : 'off'}`,
      `outage_s=${r.outageSeconds.toFixed(0)}`,
      `written=${r.written}`,
      `received=${r.received}`,
      `lost=${r.lost}`,
      `duplicates=${r.duplicates}`,
      `unknown=${r.unknown}`,
      `outage_rss_MiB=${r.outageRssMiB.toFixed(0)}`,
      `peak_rss_MiB=${r.peakRssMiB.toFixed(0)}`,
      `peak_disk_MiB=${r.peakDiskMiB.toFixed(0)}`,
      `written_MiB=${(r.writtenBytes / 2 ** 20).toFixed(0)}`,
      `rotations=${r.rotations}`,
      `cpu_s=${r.cpuSeconds.toFixed(1)}`,
      `recovery_s=${r.recoverySeconds.toFixed(0)}`,
      `lost_bytes_metric=${lostBytes === undefined ? 'absent' : lostBytes}`,
      `dropped_entries_metric=${r.metrics.promtail_dropped_entries_total ?? 0}`,
      `wal_dropped_metric=${r.metrics.logferry_wal_dropped_entries_total ?? 0}`,
      wal ? (r.lost === 0 && r.outageRssMiB < 200 ? 'OK' : 'FAILED') : '',
    ].join(' '),
  );
  if (wal && (r.lost > 0 || r.outageRssMiB >= 200)) {
    ok = false;
    process.stderr.write(`agent stderr (tail):\n${r.agentStderrTail}\n`);
  }
}
process.exit(ok ? 0 : 1);
