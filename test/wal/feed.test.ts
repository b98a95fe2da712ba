// The two ends of the disk buffer in the agent's flow: WalAppender releases an entry's delivery
// only once the entry is durable; feedClient hands a client the buffered entries and advances the
// client's cursor, in order, only over batches whose every entry was released.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { Delivery, Entry } from '../../src/types.js';
import { feedClient, Wal, WalAppender } from '../../src/wal/index.js';

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'logferry-wal-feed-'));
  dirs.push(dir);
  return dir;
}

const labels = { job: 'feed' };
const entry = (i: number, delivery?: Delivery): Entry => {
  const e: Entry = { labels, timestamp: BigInt(i), line: `line ${i} ${'f'.repeat(100)}`, extracted: {} };
  if (delivery) e.delivery = delivery;
  return e;
};

test('WalAppender releases each delivery once, after its entry is durable', async () => {
  const wal = await Wal.open({ dir: tempDir(), clients: ['loki'] });
  const appender = new WalAppender(wal, { groupBytes: 16 * 1024 });
  let released = 0;
  const delivery: Delivery = {
    retain: () => assert.fail('the appender is the only holder'),
    release: () => {
      released++;
      assert.ok(wal.stats().appendedEntries >= released, 'released before it was durable');
    },
  };
  for (let i = 0; i < 5000; i++) appender.send(entry(i, delivery));
  assert.ok(released < 5000);
  await appender.flush();
  assert.equal(released, 5000);
  assert.equal(wal.stats().appendedEntries, 5000);
  // Grouped: far fewer fsyncs than entries.
  assert.ok(wal.stats().fsyncs < 100, `${wal.stats().fsyncs} fsyncs`);
  await appender.stop();
  await wal.close();
});

test('feedClient acknowledges in order: a released later batch waits for the earlier one', async () => {
  const dir = tempDir();
  const wal = await Wal.open({ dir, clients: ['loki'] });
  for (let i = 0; i < 30; i += 10) await wal.append(Array.from({ length: 10 }, (_, k) => entry(i + k)));
  const held: Entry[] = [];
  let got: () => void = () => {};
  let want = 30;
  const all = new Promise<void>((resolve) => {
    got = resolve;
  });
  // Small reads: several batches.
  const feed = feedClient(
    wal.reader('loki'),
    (e) => {
      held.push(e);
      if (--want === 0) got();
    },
    { readBytes: 10 * 130 },
  );
  await all;
  const batches = new Set(held.map((e) => e.delivery));
  assert.ok(batches.size >= 2, `${batches.size} batches`);
  // Deliver every batch but the first.
  for (const e of held) if (e.delivery !== held[0]!.delivery) e.delivery!.release();
  assert.equal(wal.stats().ackedEntries.loki, undefined);
  assert.equal(feed.inFlightBytes > 0, true);
  await feed.stop();
  await wal.close();

  // Nothing was acknowledged: everything comes back.
  const again = await Wal.open({ dir, clients: ['loki'] });
  const replay: Entry[] = [];
  let left = 30;
  const replayed = new Promise<void>((resolve) => {
    got = resolve;
  });
  const feed2 = feedClient(again.reader('loki'), (e) => {
    replay.push(e);
    if (--left === 0) got();
  });
  await replayed;
  assert.deepEqual(
    replay.map((e) => e.line.split(' ')[1]),
    Array.from({ length: 30 }, (_, i) => String(i)),
  );
  // Now all are delivered (a drop on purpose releases too): the cursor passes all of them.
  for (const e of replay) e.delivery!.release();
  assert.equal(again.stats().ackedEntries.loki, 30);
  await feed2.stop();
  await again.close();

  const third = await Wal.open({ dir, clients: ['loki'] });
  const reader = third.reader('loki');
  const pending = reader.next();
  await third.append([entry(99)]);
  assert.deepEqual(
    (await pending)?.entries.map((e) => e.line.split(' ')[1]),
    ['99'],
  );
  await third.close();
});

test('feedClient stops reading at maxInFlightBytes and goes on as entries are released', async () => {
  const wal = await Wal.open({ dir: tempDir(), clients: ['loki'] });
  for (let i = 0; i < 1000; i += 100) await wal.append(Array.from({ length: 100 }, (_, k) => entry(i + k)));
  const held: Entry[] = [];
  let onSend: () => void = () => {};
  const feed = feedClient(
    wal.reader('loki'),
    (e) => {
      held.push(e);
      onSend();
    },
    { maxInFlightBytes: 16 * 1024, readBytes: 4 * 1024 },
  );
  // Wait until the feed stops handing out entries: it has read up to its in-flight bound.
  while (feed.inFlightBytes < 16 * 1024) await new Promise<void>((resolve) => (onSend = resolve));
  const stalled = held.length;
  assert.ok(stalled < 1000);
  assert.ok(feed.inFlightBytes <= 16 * 1024 + 4 * 1024 + 256);
  // Release all held: the feed reads on until everything was handed out.
  let released = 0;
  while (held.length < 1000) {
    const batch = held.slice(released);
    released = held.length;
    const more = new Promise<void>((resolve) => (onSend = resolve));
    for (const e of batch) e.delivery!.release();
    await more;
  }
  for (const e of held.slice(released)) e.delivery!.release();
  assert.equal(wal.stats().ackedEntries.loki, 1000);
  await feed.stop();
  await wal.close();
});
