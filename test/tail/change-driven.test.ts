// The tailer wakes on change, not on its poll: with a safety-net poll of a minute, appends, a
// rename, a truncation are all seen at once. Also: lines over the limit are never held whole,
// copytruncate reads the copy, and bytes that will never be read are counted.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { createLogger } from '../../src/log.js';
import { createMetrics, type Metrics } from '../../src/metrics.js';
import { InFlightBudget, type LineDelivery } from '../../src/positions/acks.js';
import { PositionStore } from '../../src/positions/store.js';
import { PollClock } from '../../src/tail/clock.js';
import { Tailer, type TailerOptions } from '../../src/tail/tailer.js';
import { runScript } from '../support/agent-process.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'logferry-tail-events-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
let n = 0;
const tmpDir = () => fs.mkdtempSync(path.join(root, `${n++}-`));
const writer = fileURLToPath(new URL('./copytruncate-writer.mjs', import.meta.url));

/** A safety-net poll this long never fires during a test: whatever is seen was seen by an event. */
const never = 10 * 60_000;

interface Harness {
  tailer: Tailer;
  got: { line: string; d: LineDelivery }[];
  store: PositionStore;
  metrics: Metrics;
  logs: string[];
  /** Resolves when `count` lines have arrived (checked on each line, no polling). */
  lines(count: number): Promise<string[]>;
}

async function tail(
  file: string,
  opts: Partial<TailerOptions> & { release?: boolean } = {},
): Promise<Harness> {
  const got: Harness['got'] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  const store = new PositionStore({ filename: path.join(path.dirname(file), 'positions.yaml') });
  const metrics = createMetrics(new Registry());
  const logs: string[] = [];
  const tailer = new Tailer({
    path: file,
    positions: store,
    budget: new InFlightBudget(),
    metrics,
    logger: createLogger({ level: 'info', write: (l) => logs.push(l) }),
    minPollFrequencyMs: never,
    maxPollFrequencyMs: never,
    onLine: (line, d) => {
      got.push({ line, d });
      if (opts.release !== false) d.release();
      for (const w of [...waiters]) {
        if (got.length >= w.count) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
      }
    },
    ...opts,
  });
  await tailer.start();
  return {
    tailer,
    got,
    store,
    metrics,
    logs,
    lines: async (count) => {
      if (got.length < count) await new Promise<void>((resolve) => waiters.push({ count, resolve }));
      return got.map((g) => g.line);
    },
  };
}

async function counter(metrics: Metrics, name: string, labels: Record<string, string>): Promise<number> {
  const m = (await metrics.registry.getSingleMetric(name)?.get())?.values ?? [];
  const v = m.find((x) => Object.entries(labels).every(([k, val]) => x.labels[k] === val));
  return v?.value ?? 0;
}

describe('change-driven tailing (the safety-net poll never fires here)', () => {
  it('sees an append, a rename with a new file, and a truncation by their events', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'app.log');
    fs.writeFileSync(file, 'one\n');
    const h = await tail(file);
    try {
      assert.deepEqual(await h.lines(1), ['one']);
      fs.appendFileSync(file, 'two\n');
      assert.deepEqual(await h.lines(2), ['one', 'two']);
      // rename + create
      fs.renameSync(file, `${file}.1`);
      fs.writeFileSync(file, 'three\n');
      assert.deepEqual((await h.lines(3)).slice(2), ['three']);
      // truncation (no copy left next to it: read again from 0)
      fs.writeFileSync(file, 'four\n');
      fs.truncateSync(file, 0);
      fs.appendFileSync(file, 'x\n');
      assert.deepEqual((await h.lines(4)).slice(3), ['x']);
    } finally {
      await h.tailer.stop();
    }
  });

  it('a notify() while asleep stats the path and reads only when it changed', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'app.log');
    fs.writeFileSync(file, 'one\n');
    // Watching disabled in effect: only notify() and the (never firing) poll can wake it.
    const h = await tail(file);
    try {
      await h.lines(1);
      h.tailer.notify();
      fs.appendFileSync(file, 'two\n');
      h.tailer.notify();
      assert.deepEqual(await h.lines(2), ['one', 'two']);
    } finally {
      await h.tailer.stop();
    }
  });
});

describe('lines over the limit', () => {
  it('keeps limit+1 bytes of a long line, skips the rest to its newline, and moves the position past it', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'app.log');
    const long = 3 * 1024 * 1024;
    const fd = fs.openSync(file, 'w');
    const block = Buffer.alloc(64 * 1024, 'z');
    for (let i = 0; i < long / block.length; i++) fs.writeSync(fd, block);
    fs.writeSync(fd, '\nafter\n');
    fs.closeSync(fd);
    const h = await tail(file, { maxLineSize: 1000, chunkSize: 16 * 1024 });
    try {
      const lines = await h.lines(2);
      assert.equal(lines[0]!.length, 1001);
      assert.equal(lines[1], 'after');
      assert.deepEqual([h.got[0]!.d.start, h.got[0]!.d.end], [0, long + 1]);
      assert.equal(h.store.get(file), long + 7);
    } finally {
      await h.tailer.stop();
    }
  });

  it('a long line split across reads, and one inside a single chunk, are both cut', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'app.log');
    fs.writeFileSync(file, `${'a'.repeat(50)}\nshort\n${'b'.repeat(5000)}\nend\n`);
    const h = await tail(file, { maxLineSize: 20, chunkSize: 1024 });
    try {
      const lines = await h.lines(4);
      assert.deepEqual(lines, ['a'.repeat(21), 'short', 'b'.repeat(21), 'end']);
    } finally {
      await h.tailer.stop();
    }
  });
});

describe('copytruncate', () => {
  it('reads the copy from the old offset, then the truncated file: every line exactly once', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'app.log');
    fs.writeFileSync(file, '');
    const h = await tail(file, { minPollFrequencyMs: 50, maxPollFrequencyMs: 250 });
    const total = 300_000;
    try {
      const { code, stdout } = await runScript(writer, [file, String(total), '200', '250']);
      assert.equal(code, 0);
      const truncations = Number(stdout);
      assert.ok(truncations >= 3, `only ${truncations} truncations`);
      const lines = await h.lines(total);
      const seen = new Uint8Array(total);
      for (const l of lines) seen[Number(l.slice(4, 11))]!++;
      const wrong = [...seen.entries()].filter(([, c]) => c !== 1).slice(0, 5);
      assert.deepEqual(wrong, [], 'each line exactly once');
      assert.equal(lines.length, total);
      assert.ok(h.logs.some((l) => l.includes('reading its copy')));
      assert.equal(await counter(h.metrics, 'logferry_lost_bytes_total', { reason: 'truncated' }), 0);
    } finally {
      await h.tailer.stop();
    }
  });
});

describe('lost bytes', () => {
  it('counts what a truncation without a copy took away, with one warning', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'app.log');
    // 32-byte lines: reads of 4 KiB end at line ends, so nothing is carried.
    fs.writeFileSync(file, 'a line of exactly 32 bytes.....\n'.repeat(2000));
    const size = fs.statSync(file).size;
    // Nothing released: the budget fills and reading pauses part way.
    const budget = new InFlightBudget(8 * 1024);
    const h = await tail(file, { budget, release: false, chunkSize: 4096 });
    try {
      await h.lines(50);
      const readTo = h.got.at(-1)!.d.end;
      assert.ok(readTo < size);
      fs.truncateSync(file, 0);
      fs.appendFileSync(file, 'new\n');
      for (const g of h.got) g.d.release();
      await h.lines(h.got.length + 1);
      const lost = await counter(h.metrics, 'logferry_lost_bytes_total', { reason: 'truncated' });
      assert.equal(h.got.at(-2)!.d.end, readTo);
      assert.equal(lost, size - readTo);
      assert.equal(h.logs.filter((l) => l.includes('will never be read')).length, 1);
      assert.equal(h.got.at(-1)!.line, 'new');
    } finally {
      await h.tailer.stop();
    }
  });

  it('counts the unread rest of a file left at the drain deadline', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'app.log');
    fs.writeFileSync(file, 'abcdefghij\n'.repeat(5000));
    const size = fs.statSync(file).size;
    const h = await tail(file, { budget: new InFlightBudget(4096), release: false, chunkSize: 4096 });
    await h.lines(10);
    const end = await h.tailer.drainAndStop(10);
    assert.equal(end.reason, 'drained');
    const readTo = h.got.at(-1)!.d.end;
    assert.equal(
      await counter(h.metrics, 'logferry_lost_bytes_total', { reason: 'drain_timeout' }),
      size - readTo,
    );
  });
});

describe('PollClock', () => {
  it('runs calls in order of their due time, one timer for all, and skips none', async () => {
    const clock = new PollClock(5);
    const order: number[] = [];
    let resolve!: () => void;
    const done = new Promise<void>((r) => {
      resolve = r;
    });
    const make = (id: number) => ({
      tick(gen: number) {
        order.push(id * 10 + gen);
        if (order.length === 3) resolve();
      },
    });
    clock.hold();
    clock.schedule(make(3), 1, 30);
    clock.schedule(make(1), 2, 0);
    clock.schedule(make(2), 3, 15);
    await done;
    clock.release();
    assert.deepEqual(order, [12, 23, 31]);
    assert.equal(clock.pending, 0);
  });
});
