// Reading a large backlog holds one window of the segment, not the segment: the reader's
// buffer stays near 1 MiB and Buffer memory does not grow with the backlog.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { Entry } from '../../src/types.js';
import { Wal } from '../../src/wal/index.js';

const dir = mkdtempSync(join(tmpdir(), 'logferry-wal-backlog-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('a 48 MiB backlog in one segment is read with bounded memory', async () => {
  // One segment for everything: a reader that loaded its segment would hold all of it.
  const wal = await Wal.open({ dir, clients: ['loki'], segmentSize: 256 * 1024 * 1024 });
  const labels = { job: 'backlog' };
  const line = 'z'.repeat(480);
  const count = 100_000;
  for (let i = 0; i < count; i += 5000) {
    const batch: Entry[] = [];
    for (let k = i; k < i + 5000; k++)
      batch.push({ labels, timestamp: BigInt(k), line: `${k} ${line}`, extracted: {} });
    await wal.append(batch);
  }
  assert.ok(wal.stats().bufferedBytes > 48 * 1024 * 1024);
  assert.equal(wal.stats().segments, 1);

  const reader = wal.reader('loki');
  const before = process.memoryUsage().arrayBuffers;
  let peakWindow = 0;
  let peakArrayBuffers = 0;
  let read = 0;
  let expected = 0;
  while (read < count) {
    const batch = await reader.next({ maxBytes: 256 * 1024 });
    assert.ok(batch);
    assert.ok(batch.bytes <= 256 * 1024 + 1024);
    for (const e of batch.entries) assert.equal(Number(e.line.slice(0, e.line.indexOf(' '))), expected++);
    read += batch.entries.length;
    reader.ack(batch.end);
    peakWindow = Math.max(peakWindow, reader.bufferedBytes);
    peakArrayBuffers = Math.max(peakArrayBuffers, process.memoryUsage().arrayBuffers - before);
  }
  assert.ok(peakWindow <= 1024 * 1024, `reader window grew to ${peakWindow} bytes`);
  // Buffers (outside the JS heap) stay far below the 48 MiB read.
  assert.ok(peakArrayBuffers < 16 * 1024 * 1024, `Buffer memory grew by ${peakArrayBuffers} bytes`);
  await wal.close();
});

test('a record larger than the window is read whole, and the window shrinks back after it', async () => {
  const small = mkdtempSync(join(tmpdir(), 'logferry-wal-big-'));
  try {
    const wal = await Wal.open({ dir: small, clients: ['loki'] });
    const labels = { job: 'big' };
    const big = 'b'.repeat(3 * 1024 * 1024);
    await wal.append([
      { labels, timestamp: 1n, line: 'before', extracted: {} },
      { labels, timestamp: 2n, line: big, extracted: {} },
      { labels, timestamp: 3n, line: 'after', extracted: {} },
    ]);
    const reader = wal.reader('loki');
    const lines: string[] = [];
    while (lines.length < 3) {
      const batch = await reader.next({ maxEntries: 1 });
      assert.ok(batch);
      lines.push(...batch.entries.map((e) => e.line));
      reader.ack(batch.end);
    }
    assert.deepEqual(lines, ['before', big, 'after']);
    assert.ok(reader.bufferedBytes <= 1024 * 1024);
    await wal.close();
  } finally {
    rmSync(small, { recursive: true, force: true });
  }
});
