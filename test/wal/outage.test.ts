// Issue 10's Loki outage with rotation, short: a file written at 1 MB/s (LOGFERRY_OUTAGE_RATE),
// renamed every 5 s with 4 rotated files kept and older ones deleted, Loki down for 20 s
// (LOGFERRY_OUTAGE_SECONDS), then back. With the disk buffer on, every line written arrives.
// Not timed: the 150 s / 2 MB/s figures are `npm run bench:outage`.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runOutage } from '../support/outage.js';

test('wal: a Loki outage while the file rotates and old generations are deleted loses no line', async () => {
  const r = await runOutage({
    wal: true,
    outageSeconds: Number(process.env.LOGFERRY_OUTAGE_SECONDS ?? 20),
    rate: Number(process.env.LOGFERRY_OUTAGE_RATE ?? 1_000_000),
    beforeSeconds: 3,
    afterSeconds: 3,
  });
  assert.ok(r.written > 50_000, `the writer wrote ${r.written} lines`);
  assert.ok(r.rotations >= 4, `the file was rotated ${r.rotations} times`);
  assert.equal(r.unknown, 0);
  assert.equal(r.lost, 0, `${r.lost} of ${r.written} lines lost; agent stderr:\n${r.agentStderrTail}`);
  assert.equal(r.metrics.logferry_wal_dropped_entries_total ?? 0, 0);
  assert.ok(r.peakDiskMiB > 0, 'the buffer held the outage on disk');
});
