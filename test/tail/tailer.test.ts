import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { createLogger } from '../../src/log.js';
import { createMetrics } from '../../src/metrics.js';
import { InFlightBudget, type LineDelivery } from '../../src/positions/acks.js';
import { PositionStore } from '../../src/positions/store.js';
import { Tailer, type TailerOptions } from '../../src/tail/tailer.js';
import { runScript } from '../support/agent-process.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'logferry-tail-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
let n = 0;
const tmpDir = () => fs.mkdtempSync(path.join(root, `${n++}-`));
const writer = fileURLToPath(new URL('./rotating-writer.mjs', import.meta.url));

async function until(cond: () => boolean, what: () => string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Lets a few poll intervals pass, to show that something does NOT happen. */
const quiet = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Got {
  line: string;
  d: LineDelivery;
}

interface Harness {
  tailer: Tailer;
  got: Got[];
  store: PositionStore;
  budget: InFlightBudget;
  lines: () => string[];
}

async function tail(
  file: string,
  opts: Partial<TailerOptions> & { store?: PositionStore; release?: 'now' | 'never' } = {},
): Promise<Harness> {
  const got: Got[] = [];
  const store =
    opts.store ?? new PositionStore({ filename: path.join(path.dirname(file), 'positions.yaml') });
  const budget = opts.budget ?? new InFlightBudget();
  const releaseNow = (opts.release ?? 'now') === 'now';
  const tailer = new Tailer({
    path: file,
    positions: store,
    budget,
    minPollFrequencyMs: 20,
    maxPollFrequencyMs: 40,
    onLine: (line, d) => {
      got.push({ line, d });
      if (releaseNow) d.release();
    },
    ...opts,
  });
  await tailer.start();
  return { tailer, got, store, budget, lines: () => got.map((g) => g.line) };
}

function seqs(lines: string[]): number[] {
  return lines.map((l) => Number(/^seq=(\d+)/.exec(l)![1]));
}

function assertEachOnce(lines: string[], total: number): void {
  const seen = new Uint8Array(total);
  for (const s of seqs(lines)) seen[s]!++;
  const missing: number[] = [];
  const dup: number[] = [];
  seen.forEach((c, i) => {
    if (c === 0) missing.push(i);
    if (c > 1) dup.push(i);
  });
  assert.deepEqual({ missing: missing.slice(0, 10), dup: dup.slice(0, 10) }, { missing: [], dup: [] });
  assert.equal(lines.length, total);
}

describe('Tailer', () => {
  it('hands on lines with their byte ranges and advances the position on release', async () => {
    const file = path.join(tmpDir(), 'a.log');
    fs.writeFileSync(file, 'one\ntwo\n\nthree\n');
    const h = await tail(file);
    await until(
      () => h.got.length === 4,
      () => `4 lines, got ${h.got.length}`,
    );
    assert.deepEqual(h.lines(), ['one', 'two', '', 'three']);
    assert.deepEqual(
      h.got.map((g) => [g.d.start, g.d.end]),
      [
        [0, 4],
        [4, 8],
        [8, 9],
        [9, 15],
      ],
    );
    assert.equal(h.store.get(file), 15);
    fs.appendFileSync(file, 'four\n');
    await until(
      () => h.got.length === 5,
      () => 'the appended line',
    );
    assert.equal(h.got[4]!.line, 'four');
    assert.deepEqual((await h.tailer.stop()).reason, 'stopped');
    assert.equal(h.store.get(file), 20);
  });

  const table: [string, Buffer, string[]][] = [
    ['CRLF keeps the \\r, as Promtail does', Buffer.from('a\r\nb\n\r\n'), ['a\r', 'b', '\r']],
    [
      'invalid UTF-8 becomes U+FFFD',
      Buffer.from([0x61, 0xff, 0xfe, 0x62, 0x0a, 0xe2, 0x82, 0x0a]),
      ['a\ufffd\ufffdb', '\ufffd'],
    ],
    ['multi-byte characters', Buffer.from('żółć 🐢\n日本\n'), ['żółć 🐢', '日本']],
    ['NUL bytes pass through', Buffer.from('a\0b\n'), ['a\0b']],
  ];
  for (const [name, bytes, want] of table) {
    it(name, async () => {
      const file = path.join(tmpDir(), 'a.log');
      fs.writeFileSync(file, bytes);
      const h = await tail(file);
      await until(
        () => h.got.length === want.length,
        () => `${want.length} lines`,
      );
      assert.deepEqual(h.lines(), want);
      assert.equal(h.got.at(-1)!.d.end, bytes.length);
      await h.tailer.stop();
    });
  }

  it('holds an unterminated line until its newline arrives, and does not emit it at stop', async () => {
    const file = path.join(tmpDir(), 'a.log');
    fs.writeFileSync(file, 'first\npart');
    const h = await tail(file);
    await until(
      () => h.got.length === 1,
      () => 'the first line',
    );
    await quiet(100);
    assert.deepEqual(h.lines(), ['first']);
    fs.appendFileSync(file, 'ial\nnext');
    await until(
      () => h.got.length === 2,
      () => 'the completed line',
    );
    assert.deepEqual(h.lines(), ['first', 'partial']);
    await h.tailer.stop();
    assert.deepEqual(h.lines(), ['first', 'partial']);
    assert.equal(
      h.store.get(file),
      'first\npartial\n'.length,
      'the position stops before the unterminated line',
    );
  });

  it('reads lines longer than its buffer', async () => {
    const file = path.join(tmpDir(), 'a.log');
    const long = 'L'.repeat(10_000);
    fs.writeFileSync(file, `s\n${long}\n${long}x\nt\n`);
    const h = await tail(file, { chunkSize: 1024 });
    await until(
      () => h.got.length === 4,
      () => '4 lines',
    );
    assert.deepEqual(h.lines(), ['s', long, `${long}x`, 't']);
    await h.tailer.stop();
  });

  it('resumes from the saved position, and from 0 when it lies past the end of the file', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'a.log');
    fs.writeFileSync(file, 'a\nb\nc\n');
    const store = new PositionStore({ filename: path.join(dir, 'positions.yaml') });
    store.set(file, 2);
    const h = await tail(file, { store });
    await until(
      () => h.got.length === 2,
      () => '2 lines',
    );
    assert.deepEqual(h.lines(), ['b', 'c']);
    await h.tailer.stop();

    store.set(file, 1000);
    const logs: string[] = [];
    const h2 = await tail(file, { store, logger: createLogger({ write: (l) => logs.push(l) }) });
    await until(
      () => h2.got.length === 3,
      () => '3 lines',
    );
    assert.deepEqual(h2.lines(), ['a', 'b', 'c']);
    assert.ok(logs.some((l) => l.includes('past the end of the file')));
    await h2.tailer.stop();
  });

  it('survives a restart mid-delivery: re-reads exactly what was not released, loses nothing', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'a.log');
    const positions = path.join(dir, 'positions.yaml');
    fs.writeFileSync(file, Array.from({ length: 10 }, (_, i) => `line ${i}\n`).join(''));
    const store = new PositionStore({ filename: positions });
    const h = await tail(file, { store, release: 'never' });
    await until(
      () => h.got.length === 10,
      () => '10 lines',
    );
    for (const i of [0, 1, 2, 4, 5, 9]) h.got[i]!.d.release(); // 3 is still in flight
    await h.tailer.stop();
    await store.stop();
    // A new process: the positions file is all it has.
    const store2 = new PositionStore({ filename: positions });
    assert.equal(store2.get(file), h.got[3]!.d.start);
    const h2 = await tail(file, { store: store2 });
    await until(
      () => h2.got.length === 7,
      () => '7 lines',
    );
    assert.deepEqual(h2.lines(), ['line 3', 'line 4', 'line 5', 'line 6', 'line 7', 'line 8', 'line 9']);
    await h2.tailer.stop();
  });

  it('pauses reading while the in-flight budget is full and resumes as releases come', async () => {
    const file = path.join(tmpDir(), 'a.log');
    const line = `${'b'.repeat(99)}\n`;
    fs.writeFileSync(file, line.repeat(200)); // 20000 bytes
    const budget = new InFlightBudget(2000);
    const h = await tail(file, { budget, chunkSize: 1000, release: 'never' });
    await until(
      () => budget.full,
      () => 'a full budget',
    );
    await quiet(150);
    const held = h.got.length;
    assert.ok(held * 100 <= 2000 + 1000, `read ${held} lines past a 2000-byte budget`);
    assert.ok(budget.bytes >= 2000);
    // Release as lines come: reading resumes and finishes.
    let released = 0;
    await until(
      () => {
        while (released < h.got.length) h.got[released++]!.d.release();
        return released === 200;
      },
      () => `200 lines, got ${released}`,
    );
    assert.equal(budget.bytes, 0);
    assert.equal(h.store.get(file), 20000);
    await h.tailer.stop();
  });

  it('follows rename+create rotations while far behind: every line exactly once', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'app.log');
    fs.writeFileSync(file, '');
    const total = 12_000;
    // A slow consumer: little budget, and releases come in batches every 50 ms.
    const budget = new InFlightBudget(8 * 1024);
    const logs: string[] = [];
    const logger = createLogger({ level: 'debug', write: (l) => logs.push(l) });
    const h = await tail(file, { budget, release: 'never', chunkSize: 4096, logger });
    let released = 0;
    const releaser = setInterval(() => {
      while (released < h.got.length) h.got[released++]!.d.release();
    }, 50);
    try {
      const { code, stdout } = await runScript(writer, [file, String(total), '20', '200']);
      assert.equal(code, 0);
      const rotations = Number(stdout);
      assert.ok(rotations >= 4, `only ${rotations} rotations`);
      const behindAtEnd = total - h.got.length;
      await until(
        () => h.got.length >= total,
        () => `${total} lines, got ${h.got.length}`,
        20_000,
      );
      await quiet(100); // no duplicates trailing in
      assertEachOnce(h.lines(), total);
      assert.deepEqual(
        seqs(h.lines()),
        [...seqs(h.lines())].sort((a, b) => a - b),
        'in order',
      );
      assert.ok(behindAtEnd > 0, 'the consumer was behind when the writer finished');
      await until(
        () => h.store.get(file) === fs.statSync(file).size,
        () => 'the position at the end of the current file',
      );
      assert.equal(
        logs.filter((l) => l.includes('file was rotated')).length,
        rotations,
        'one switch per rotation',
      );
      const held = Math.max(...logs.map((l) => Number(/queued=(\d+)/.exec(l)?.[1] ?? 0)));
      assert.ok(held >= 2, `several rotated files were held at once (at most ${held})`);
    } finally {
      clearInterval(releaser);
      await h.tailer.stop();
    }
  });

  it('follows copytruncate: reads the file again from 0 after each truncation', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'app.log');
    const fd = fs.openSync(file, 'a');
    const h = await tail(file);
    let seq = 0;
    const write = (count: number) => {
      let s = '';
      for (let i = 0; i < count; i++) s += `seq=${String(seq++).padStart(6, '0')} copytruncate\n`;
      fs.writeSync(fd, s);
    };
    try {
      for (let round = 0; round < 5; round++) {
        write(300 + round * 50);
        await until(
          () => h.got.length === seq,
          () => `caught up at ${seq}, got ${h.got.length}`,
        );
        fs.copyFileSync(file, `${file}.${round}`);
        fs.ftruncateSync(fd, 0);
        // The first write after the truncation is shorter than our offset: the shrink is seen.
        write(1);
        await until(
          () => h.got.length === seq,
          () => `the first line after truncation ${round}`,
        );
      }
      write(10);
      await until(
        () => h.got.length === seq,
        () => 'the last lines',
      );
      assertEachOnce(h.lines(), seq);
      assert.equal(h.store.get(file), fs.statSync(file).size);
    } finally {
      fs.closeSync(fd);
      await h.tailer.stop();
    }
  });

  it('reads a deleted file to its end, then ends as gone and forgets its position', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'a.log');
    const total = 3000;
    let text = '';
    for (let i = 0; i < total; i++) text += `seq=${String(i).padStart(6, '0')} before deletion\n`;
    fs.writeFileSync(file, text);
    const budget = new InFlightBudget(4096);
    const h = await tail(file, { budget, release: 'never', chunkSize: 4096 });
    await until(
      () => budget.full,
      () => 'a full budget',
    );
    fs.unlinkSync(file);
    let released = 0;
    await until(
      () => {
        while (released < h.got.length) h.got[released++]!.d.release();
        return released >= total;
      },
      () => `all ${total} lines, got ${released}`,
    );
    const end = await h.tailer.done;
    assert.equal(end.reason, 'gone');
    assertEachOnce(h.lines(), total);
    assert.equal(h.store.get(file), undefined);
  });

  it('emits the unterminated last line of a file that is gone for good', async () => {
    const file = path.join(tmpDir(), 'a.log');
    fs.writeFileSync(file, 'a\nlast words');
    const h = await tail(file);
    await until(
      () => h.got.length === 1,
      () => 'the first line',
    );
    fs.unlinkSync(file);
    assert.equal((await h.tailer.done).reason, 'gone');
    assert.deepEqual(h.lines(), ['a', 'last words']);
  });

  it('reads a new file created at the old path from 0', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'a.log');
    fs.writeFileSync(file, 'old 1\nold 2\nold 3\n');
    const h = await tail(file);
    await until(
      () => h.got.length === 3,
      () => 'the old lines',
    );
    fs.unlinkSync(file);
    fs.writeFileSync(file, 'new 1\n');
    await until(
      () => h.got.length === 4,
      () => 'the new line',
    );
    fs.appendFileSync(file, 'new 2\n');
    await until(
      () => h.got.length === 5,
      () => 'the appended line',
    );
    assert.deepEqual(h.lines(), ['old 1', 'old 2', 'old 3', 'new 1', 'new 2']);
    assert.deepEqual([h.got[3]!.d.start, h.got[4]!.d.end], [0, 12]);
    assert.equal(h.store.get(file), 12);
    await h.tailer.stop();
  });

  it('a new tailer reads from 0 a file created after the old one was gone', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'a.log');
    fs.writeFileSync(file, 'a long first line of the old file\n');
    const h = await tail(file);
    await until(
      () => h.got.length === 1,
      () => 'the old line',
    );
    fs.unlinkSync(file);
    assert.equal((await h.tailer.done).reason, 'gone');
    fs.writeFileSync(file, 'short\nnew\n'.repeat(3) + 'end of new file, longer than the old position\n');
    const h2 = await tail(file, { store: h.store });
    await until(
      () => h2.got.length === 7,
      () => 'the new file',
    );
    assert.equal(h2.got[0]!.line, 'short');
    await h2.tailer.stop();
  });

  it('drainAndStop reads what is still being written, then ends', async () => {
    const file = path.join(tmpDir(), 'a.log');
    fs.writeFileSync(file, 'seq=000000 first\n');
    const h = await tail(file, { minPollFrequencyMs: 50, maxPollFrequencyMs: 50 });
    await until(
      () => h.got.length === 1,
      () => 'the first line',
    );
    let seq = 1;
    const writing = new Promise<void>((resolve) => {
      const step = () => {
        fs.appendFileSync(file, `seq=${String(seq++).padStart(6, '0')} more\n`);
        if (seq < 40) setTimeout(step, 5);
        else resolve();
      };
      step();
    });
    const end = h.tailer.drainAndStop(5000);
    await writing;
    assert.equal((await end).reason, 'drained');
    assertEachOnce(h.lines(), seq);
    fs.appendFileSync(file, 'after the end\n');
    await quiet(100);
    assert.equal(h.got.length, seq);
    assert.equal(h.store.get(file), fs.statSync(file).size - 'after the end\n'.length);
  });

  it('drainAndStop gives up at its deadline when lines cannot be delivered', async () => {
    const file = path.join(tmpDir(), 'a.log');
    fs.writeFileSync(file, `${'z'.repeat(99)}\n`.repeat(100));
    const h = await tail(file, { budget: new InFlightBudget(500), release: 'never' });
    await until(
      () => h.budget.full,
      () => 'a full budget',
    );
    const started = Date.now();
    assert.equal((await h.tailer.drainAndStop(200)).reason, 'drained');
    const took = Date.now() - started;
    assert.ok(took >= 150 && took < 2000, `took ${took} ms`);
    assert.ok(h.got.length < 100);
    assert.equal(h.store.get(file), 0);
  });

  it('reports Promtail metrics per path and removes them when it ends', async () => {
    const file = path.join(tmpDir(), 'a.log');
    fs.writeFileSync(file, 'abc\ndef\n');
    const metrics = createMetrics(new Registry());
    const h = await tail(file, { metrics });
    await until(
      () => h.got.length === 2,
      () => '2 lines',
    );
    const value = async (name: string) =>
      (await metrics.registry.getSingleMetric(name)!.get()).values.find((v) => v.labels.path === file)?.value;
    assert.equal(await value('promtail_read_lines_total'), 2);
    assert.equal(await value('promtail_read_bytes_total'), 8);
    assert.equal(await value('promtail_file_bytes_total'), 8);
    assert.equal((await metrics.filesActive.get()).values[0]!.value, 1);
    await h.tailer.stop();
    assert.equal(await value('promtail_read_lines_total'), undefined);
    assert.equal(await value('promtail_file_bytes_total'), undefined);
    assert.equal((await metrics.filesActive.get()).values[0]!.value, 0);
  });

  it('fails to start on a missing file, with the path in the error', async () => {
    const file = path.join(tmpDir(), 'missing.log');
    const t = new Tailer({
      path: file,
      positions: new PositionStore({ filename: path.join(root, 'unused.yaml') }),
      budget: new InFlightBudget(),
      onLine: () => {},
    });
    await assert.rejects(t.start(), (e: Error) => e.message.includes(file));
    assert.equal((await t.done).reason, 'error');
  });
});

describe('Tailer crash safety', () => {
  it('loses no line when the process is killed at random instants', async () => {
    const dir = tmpDir();
    const input = path.join(dir, 'in.log');
    const output = path.join(dir, 'out.log');
    const positions = path.join(dir, 'positions.yaml');
    const total = 20_000;
    let text = '';
    for (let i = 0; i < total; i++) text += `seq=${String(i).padStart(6, '0')} ${'p'.repeat(i % 80)}\n`;
    fs.writeFileSync(input, text);
    const child = fileURLToPath(new URL('./crash-child.ts', import.meta.url));
    const delivered = () =>
      fs.existsSync(output) ? fs.readFileSync(output, 'utf8').split('\n').length - 1 : 0;
    let kills = 0;
    for (let round = 0; round < 8; round++) {
      const proc = spawn(process.execPath, ['--import', 'tsx', child, input, output, positions], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      await new Promise<void>((resolve) => proc.stdout.once('data', () => resolve()));
      const exited = new Promise((r) => proc.on('exit', r));
      // Kill once it has delivered some more lines, at a varying point.
      const target = Math.min(total, delivered() + 1000 + round * 500);
      await until(
        () => delivered() >= target || proc.exitCode !== null,
        () => `${target} lines delivered`,
        20_000,
      );
      await quiet(round * 3);
      proc.kill('SIGKILL');
      await exited;
      kills++;
      if (delivered() >= total && new Set(fs.readFileSync(output, 'utf8').split('\n')).size > total) break;
    }
    // A last run to finish.
    const proc = spawn(process.execPath, ['--import', 'tsx', child, input, output, positions], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise((r) => proc.on('exit', r));
    try {
      await until(
        () => new Set(fs.readFileSync(output, 'utf8').split('\n')).size > total,
        () => 'every line delivered',
        20_000,
      );
    } finally {
      proc.kill('SIGKILL');
      await exited;
    }
    const lines = fs.readFileSync(output, 'utf8').split('\n').slice(0, -1);
    const unique = new Set(lines);
    assert.equal(unique.size, total, 'every line arrived');
    assert.ok(kills >= 3, `${kills} kills`);
    // Re-sent lines are only those in flight at a kill: a small share, not whole re-reads.
    assert.ok(lines.length - total < total / 2, `${lines.length - total} duplicates`);
  });
});
