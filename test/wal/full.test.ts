// max_size with both full policies: `block` holds appends until a client frees room and loses
// nothing; `drop_oldest` keeps appending, deletes the oldest segment and counts, per client,
// exactly the entries it never read.

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Registry } from 'prom-client';
import type { Entry } from '../../src/types.js';
import { createWalMetrics, Wal } from '../../src/wal/index.js';

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'logferry-wal-full-'));
  dirs.push(dir);
  return dir;
}

const labels = { job: 'full' };
/** 100 entries of about 1 KiB each. */
function batch(n: number): Entry[] {
  return Array.from({ length: 100 }, (_, k) => ({
    labels,
    timestamp: BigInt(n * 100 + k),
    line: `${n * 100 + k} ${'x'.repeat(1000)}`,
    extracted: {},
  }));
}

const maxSize = 256 * 1024;
const segmentSize = 32 * 1024;

test('block: appends wait while the buffer is full and go on once a client acknowledges; nothing is lost', async () => {
  const registry = new Registry();
  const wal = await Wal.open({
    dir: tempDir(),
    clients: ['loki'],
    maxSize,
    segmentSize,
    fullPolicy: 'block',
    metrics: createWalMetrics(registry),
  });
  const full = once(wal, 'full');
  const appends: Promise<void>[] = [];
  for (let n = 0; n < 6; n++) appends.push(wal.append(batch(n)));
  await full;
  assert.equal(wal.full, true);
  assert.equal((await registry.getSingleMetric('logferry_wal_full')!.get()).values[0]!.value, 1);
  assert.ok(wal.stats().bufferedBytes <= maxSize);
  const durableWhileFull = wal.stats().appendedEntries;
  assert.ok(durableWhileFull < 600, `${durableWhileFull} entries durable while full`);

  const reader = wal.reader('loki');
  const seen: number[] = [];
  const room = once(wal, 'room');
  while (seen.length < 600) {
    const got = await reader.next();
    assert.ok(got);
    for (const e of got.entries) seen.push(Number(e.line.split(' ')[0]));
    reader.ack(got.end);
  }
  await room;
  await Promise.all(appends);
  assert.deepEqual(
    seen,
    Array.from({ length: 600 }, (_, i) => i),
  );
  assert.deepEqual(wal.stats().droppedEntries, {});
  assert.equal(wal.full, false);
  await wal.close();
});

test('block: a full buffer that closes rejects the waiting appends (their entries stay unreleased)', async () => {
  const wal = await Wal.open({ dir: tempDir(), clients: ['loki'], maxSize, segmentSize });
  const full = once(wal, 'full');
  const appends = Array.from({ length: 6 }, (_, n) => wal.append(batch(n)));
  const settled = Promise.allSettled(appends);
  await full;
  await wal.close();
  const results = await settled;
  assert.ok(results.some((r) => r.status === 'fulfilled'));
  assert.ok(results.some((r) => r.status === 'rejected'));
});

test('drop_oldest: appends never wait; each client counts exactly the entries it never read', async () => {
  const registry = new Registry();
  const wal = await Wal.open({
    dir: tempDir(),
    clients: ['slow', 'fast'],
    maxSize,
    segmentSize,
    fullPolicy: 'drop_oldest',
    metrics: createWalMetrics(registry),
  });
  const fast = wal.reader('fast');
  let fastSeen = 0;
  const total = 20;
  for (let n = 0; n < total; n++) {
    await wal.append(batch(n));
    assert.ok(wal.stats().bufferedBytes <= maxSize, `${wal.stats().bufferedBytes} bytes buffered`);
    // `fast` keeps up; `slow` reads nothing yet.
    while (fastSeen < (n + 1) * 100) {
      const got = await fast.next();
      assert.ok(got);
      fastSeen += got.entries.length;
      fast.ack(got.end);
    }
  }
  const dropped = wal.stats().droppedEntries.slow ?? 0;
  assert.ok(dropped > 0);
  assert.equal(wal.stats().droppedEntries.fast, undefined);

  // `slow` reads what is left: with what was dropped, that is every entry, the newest intact.
  const slow = wal.reader('slow');
  const seen: number[] = [];
  while (seen.at(-1) !== total * 100 - 1) {
    const got = await slow.next();
    assert.ok(got);
    for (const e of got.entries) seen.push(Number(e.line.split(' ')[0]));
    slow.ack(got.end);
  }
  assert.equal(seen.length + dropped, total * 100);
  assert.deepEqual(
    seen,
    Array.from({ length: seen.length }, (_, i) => dropped + i),
  );
  const metric = await registry.getSingleMetric('logferry_wal_dropped_entries_total')!.get();
  assert.deepEqual(
    metric.values.map((v) => [v.labels.client, v.labels.reason, v.value]),
    [['slow', 'full', dropped]],
  );
  await wal.close();
});

test('drop_oldest: a client in the middle of the dropped segment loses only what it had not read', async () => {
  const wal = await Wal.open({
    dir: tempDir(),
    clients: ['loki'],
    maxSize,
    segmentSize,
    fullPolicy: 'drop_oldest',
  });
  await wal.append(batch(0));
  const reader = wal.reader('loki');
  const first = await reader.next({ maxEntries: 10 });
  assert.equal(first?.entries.length, 10);
  // Read (in flight), not acknowledged; then the buffer overflows.
  for (let n = 1; n < 10; n++) await wal.append(batch(n));
  const dropped = wal.stats().droppedEntries.loki ?? 0;
  const seen: number[] = [];
  while (seen.at(-1) !== 999) {
    const got = await reader.next();
    assert.ok(got);
    for (const e of got.entries) seen.push(Number(e.line.split(' ')[0]));
    reader.ack(got.end);
  }
  assert.equal(10 + dropped + seen.length, 1000);
  await wal.close();
});
