// The disk buffer on real files: append, read and acknowledge across segments, clients at
// different paces, deletion, replay after reopening, torn and corrupt records, max_size with
// both full policies, and bounded memory while reading a large backlog.

import assert from 'node:assert/strict';
import {
  appendFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Registry } from 'prom-client';
import { createLogger } from '../../src/log.js';
import type { Entry } from '../../src/types.js';
import { createWalMetrics, Wal, type WalBatch, type WalReader } from '../../src/wal/index.js';

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'logferry-wal-'));
  dirs.push(dir);
  return dir;
}

const streamA = { job: 'a', filename: '/var/log/a.log' };
const streamB = { job: 'b', __tenant_id__: 'team-b' };

function entries(from: number, count: number, line = (i: number) => `line ${i}`): Entry[] {
  return Array.from({ length: count }, (_, k) => {
    const i = from + k;
    const entry: Entry = {
      labels: i % 2 ? streamB : streamA,
      timestamp: 1_700_000_000_000_000_000n + BigInt(i),
      line: line(i),
      extracted: {},
    };
    if (i % 3 === 0) entry.structuredMetadata = { trace_id: `t${i}` };
    return entry;
  });
}

function segmentFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.wal'))
    .sort();
}

/** Reads batches until `count` entries arrived; acknowledges each batch when `ack` is set. */
async function readN(
  reader: WalReader,
  count: number,
  ack = true,
): Promise<{ lines: string[]; batches: WalBatch[] }> {
  const lines: string[] = [];
  const batches: WalBatch[] = [];
  while (lines.length < count) {
    const batch = await reader.next({ maxEntries: 500 });
    assert.ok(batch, 'reader ended early');
    batches.push(batch);
    for (const e of batch.entries) lines.push(e.line);
    if (ack) reader.ack(batch.end);
  }
  return { lines, batches };
}

const expectLines = (from: number, count: number) =>
  Array.from({ length: count }, (_, k) => `line ${from + k}`);

describe('wal', () => {
  test('entries come back whole, in order, across segments', async () => {
    const dir = tempDir();
    const wal = await Wal.open({ dir, clients: ['loki'], segmentSize: 64 * 1024 });
    const sent = entries(0, 3000, (i) => `line ${i} ${'é'.repeat(i % 50)}`);
    for (let i = 0; i < sent.length; i += 100) await wal.append(sent.slice(i, i + 100));
    assert.ok(wal.stats().segments > 3, `expected several segments, got ${wal.stats().segments}`);
    const got: Entry[] = [];
    const reader = wal.reader('loki');
    while (got.length < sent.length) {
      const batch = await reader.next();
      assert.ok(batch);
      got.push(...batch.entries);
      reader.ack(batch.end);
    }
    assert.equal(got.length, sent.length);
    for (let i = 0; i < sent.length; i++) {
      assert.deepEqual(got[i]!.labels, sent[i]!.labels);
      assert.equal(got[i]!.timestamp, sent[i]!.timestamp);
      assert.equal(got[i]!.line, sent[i]!.line);
      assert.deepEqual(got[i]!.structuredMetadata, sent[i]!.structuredMetadata);
    }
    // Entries of one stream share their label object again.
    assert.equal(got[0]!.labels, got[2]!.labels);
    assert.equal(wal.stats().ackedEntries.loki, sent.length);
    await wal.close();
  });

  test('appends made while an fsync runs share the next one', async () => {
    const dir = tempDir();
    const wal = await Wal.open({ dir, clients: ['loki'] });
    await Promise.all(Array.from({ length: 50 }, (_, i) => wal.append(entries(i * 10, 10))));
    const stats = wal.stats();
    assert.equal(stats.appendedEntries, 500);
    assert.ok(stats.fsyncs < 50, `expected grouped fsyncs, got ${stats.fsyncs}`);
    const { lines } = await readN(wal.reader('loki'), 500);
    assert.equal(lines.length, 500);
    await wal.close();
  });

  test('a segment is deleted once every client has acknowledged it; a dead client does not stop the other', async () => {
    const dir = tempDir();
    const wal = await Wal.open({ dir, clients: ['fast', 'dead'], segmentSize: 32 * 1024 });
    for (let i = 0; i < 2000; i += 100) await wal.append(entries(i, 100));
    const before = segmentFiles(dir).length;
    assert.ok(before > 3);
    const fast = await readN(wal.reader('fast'), 2000);
    assert.deepEqual(fast.lines, expectLines(0, 2000));
    // `dead` acknowledged nothing: every segment stays.
    assert.equal(segmentFiles(dir).length, before);
    // It reads half and acknowledges: the segments before its cursor go.
    const dead = wal.reader('dead');
    const half = await readN(dead, 1000);
    await wal.close();
    const after = segmentFiles(dir).length;
    assert.ok(after < before, `expected fewer segments than ${before}, got ${after}`);
    // Reopened: `fast` has nothing left, `dead` continues where it acknowledged.
    const again = await Wal.open({ dir, clients: ['fast', 'dead'], segmentSize: 32 * 1024 });
    const rest = await readN(again.reader('dead'), 2000 - half.lines.length);
    assert.deepEqual([...half.lines, ...rest.lines], expectLines(0, 2000));
    await again.append(entries(2000, 1));
    const next = await again.reader('fast').next();
    assert.deepEqual(
      next?.entries.map((e) => e.line),
      ['line 2000'],
    );
    again.reader('fast').ack(next!.end);
    await again.close();
  });

  test('a reader waits for appends and wakes on each', async () => {
    const dir = tempDir();
    const wal = await Wal.open({ dir, clients: ['loki'] });
    const reader = wal.reader('loki');
    const pending = reader.next();
    await wal.append(entries(0, 3));
    assert.deepEqual(
      (await pending)?.entries.map((e) => e.line),
      expectLines(0, 3),
    );
    const ended = reader.next();
    await wal.close();
    assert.equal(await ended, undefined);
  });

  test('replay after close: unacknowledged entries are read again, acknowledged ones are not', async () => {
    const dir = tempDir();
    const wal = await Wal.open({ dir, clients: ['loki'] });
    await wal.append(entries(0, 100));
    const reader = wal.reader('loki');
    const first = await reader.next({ maxEntries: 40 });
    reader.ack(first!.end);
    await reader.next({ maxEntries: 40 }); // read, never acknowledged
    await wal.close();
    const again = await Wal.open({ dir, clients: ['loki'] });
    const { lines } = await readN(again.reader('loki'), 60);
    assert.deepEqual(lines, expectLines(40, 60));
    await again.close();
  });

  test('an unreadable cursor file: the client reads from the oldest entry again, logged', async () => {
    const dir = tempDir();
    const wal = await Wal.open({ dir, clients: ['loki'] });
    await wal.append(entries(0, 20));
    const reader = wal.reader('loki');
    const first = await reader.next({ maxEntries: 10 });
    reader.ack(first!.end);
    await wal.close();
    writeFileSync(join(dir, 'loki.cursor'), '{"client":"loki","segm');
    const logged: string[] = [];
    const again = await Wal.open({
      dir,
      clients: ['loki'],
      logger: createLogger({ write: (line) => logged.push(line) }),
    });
    assert.deepEqual((await readN(again.reader('loki'), 20)).lines, expectLines(0, 20));
    assert.ok(logged.some((l) => l.includes('unreadable cursor')));
    await again.close();
  });

  test('a new client reads everything buffered; the cursor of a removed client is deleted', async () => {
    const dir = tempDir();
    const wal = await Wal.open({ dir, clients: ['old'] });
    await wal.append(entries(0, 10));
    await wal.close();
    const again = await Wal.open({ dir, clients: ['new'] });
    assert.deepEqual((await readN(again.reader('new'), 10)).lines, expectLines(0, 10));
    await again.close();
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.endsWith('.cursor')),
      ['new.cursor'],
    );
  });
});

describe('wal damage', () => {
  async function writeAndClose(dir: string, count: number): Promise<string> {
    const wal = await Wal.open({ dir, clients: ['loki'] });
    for (let i = 0; i < count; i += 10) await wal.append(entries(i, 10));
    await wal.close();
    // The last segment with data (reopening adds an empty one).
    const files = segmentFiles(dir).filter((f) => statSync(join(dir, f)).size > 8);
    return join(dir, files.at(-1)!);
  }

  const cases: { name: string; damage: (file: string) => void; survivors: (n: number) => boolean }[] = [
    {
      name: 'a torn last record (file cut mid-record)',
      damage: (file) => truncateSync(file, statSync(file).size - 5),
      survivors: (n) => n === 99,
    },
    {
      name: 'a torn record header (file cut after 3 bytes of a frame)',
      damage: (file) => appendFileSync(file, Buffer.from([9, 0, 0])),
      survivors: (n) => n === 100,
    },
    {
      name: 'flipped bytes in the last record',
      damage: (file) => {
        const buf = readFileSync(file);
        buf[buf.length - 3]! ^= 0xff;
        writeFileSync(file, buf);
      },
      survivors: (n) => n === 99,
    },
    {
      name: 'a corrupt length in the middle',
      damage: (file) => {
        const buf = readFileSync(file);
        buf.writeUInt32LE(0xfffffff0, Math.floor(buf.length / 2));
        writeFileSync(file, buf);
      },
      survivors: (n) => n < 100,
    },
    {
      name: 'garbage appended after the last record',
      damage: (file) => appendFileSync(file, Buffer.alloc(100, 0x41)),
      survivors: (n) => n === 100,
    },
  ];

  for (const c of cases) {
    test(`${c.name} is detected, counted and cut away on open`, async () => {
      const dir = tempDir();
      const file = await writeAndClose(dir, 100);
      c.damage(file);
      const registry = new Registry();
      const wal = await Wal.open({ dir, clients: ['loki'], metrics: createWalMetrics(registry) });
      const stats = wal.stats();
      const reader = wal.reader('loki');
      const lines: string[] = [];
      await wal.append([{ labels: streamA, timestamp: 1n, line: 'after', extracted: {} }]);
      while (!lines.includes('after')) {
        const batch = await reader.next();
        assert.ok(batch);
        lines.push(...batch.entries.map((e) => e.line));
        reader.ack(batch.end);
      }
      lines.pop();
      assert.ok(c.survivors(lines.length), `${lines.length} entries survived`);
      assert.deepEqual(lines, expectLines(0, lines.length));
      const damaged = lines.length < 100 || c.name.includes('garbage') || c.name.includes('header');
      if (damaged) {
        assert.equal(stats.corruptRecords, 1);
        assert.ok(stats.corruptBytes > 0);
        const metric = await registry.getSingleMetric('logferry_wal_corrupt_records_total')!.get();
        assert.equal(metric.values[0]!.value, 1);
      }
      await wal.close();
    });
  }

  test('a corrupt record in an older segment skips the rest of that segment only, counted', async () => {
    const dir = tempDir();
    const wal = await Wal.open({ dir, clients: ['loki'], segmentSize: 16 * 1024 });
    for (let i = 0; i < 1000; i += 50) await wal.append(entries(i, 50));
    await wal.close();
    const first = join(dir, segmentFiles(dir)[0]!);
    const buf = readFileSync(first);
    buf[200]! ^= 0x55;
    writeFileSync(first, buf);
    const again = await Wal.open({ dir, clients: ['loki'], segmentSize: 16 * 1024 });
    const reader = again.reader('loki');
    const lines: string[] = [];
    while (!lines.includes('line 999')) {
      const batch = await reader.next();
      assert.ok(batch);
      lines.push(...batch.entries.map((e) => e.line));
      reader.ack(batch.end);
    }
    assert.equal(again.stats().corruptRecords, 1);
    assert.ok(lines.length < 1000 && lines.length > 500, `${lines.length} entries`);
    // What follows the damaged segment is whole and in order.
    const firstAfter = Number(lines.at(-1)!.split(' ')[1]) - lines.length + 1;
    assert.ok(firstAfter > 0);
    await again.close();
  });
});

test('a directory that cannot be made is an error naming wal.dir', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'file'), '');
  await assert.rejects(
    Wal.open({ dir: join(dir, 'file', 'wal'), clients: ['loki'] }),
    /wal.dir .*file\/wal: ENOTDIR/,
  );
  await assert.rejects(
    Wal.open({ dir: '/proc/logferry-none/wal', clients: ['loki'] }),
    /wal.dir \/proc\/logferry-none\/wal: /,
  );
  // Made with its parents when missing.
  const nested = join(dir, 'a', 'b', 'wal');
  const wal = await Wal.open({ dir: nested, clients: ['loki'] });
  assert.equal(wal.stats().segments, 1);
  await wal.close();
});
