// SIGKILL of a real process writing to the disk buffer: after each kill, reopening replays every
// entry that was reported durable and not acknowledged, in order, and nothing acknowledged is
// skipped over.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { Wal } from '../../src/wal/index.js';

const writer = resolve(import.meta.dirname, '../support/wal-writer.ts');
const dir = mkdtempSync(join(tmpdir(), 'logferry-wal-crash-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Per round, how far the entries delivered (acknowledged by some reader) reach without a gap.
 * A batch may repeat entries (re-sent after a kill) but must never start past the coverage.
 */
const covered = new Map<string, number>();

function delivered(round: string, first: number, last: number): void {
  const upTo = covered.get(round) ?? -1;
  assert.ok(first <= upTo + 1, `round ${round}: entries ${upTo + 1}..${first - 1} were skipped`);
  covered.set(round, Math.max(upTo, last));
}

/** Runs a writer until it reported `target` durable entries, then SIGKILLs it; returns its last durable. */
function runAndKill(round: string, target: number): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', writer, dir, round], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let durable = -1;
    let stderr = '';
    let rest = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.stdout.on('data', (d: Buffer) => {
      const lines = (rest + d.toString()).split('\n');
      rest = lines.pop()!;
      for (const line of lines) {
        const [what, a, b, c] = line.split(' ');
        if (what === 'durable') durable = Number(a);
        if (what === 'acked') delivered(a!, Number(b), Number(c));
      }
      if (durable >= target && !child.killed) child.kill('SIGKILL');
    });
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolvePromise(durable);
      else reject(new Error(`writer exited with ${code}: ${stderr}`));
    });
  });
}

test('SIGKILL while appending and shipping: replay loses nothing durable, skips nothing unacknowledged', async () => {
  const durable: number[] = [];
  for (let r = 0; r < 3; r++) durable.push(await runAndKill(`r${r}`, 20_000 * (r + 1)));

  const wal = await Wal.open({ dir, clients: ['loki'], segmentSize: 256 * 1024 });
  const reader = wal.reader('loki');
  const end = 'the end';
  await wal.append([{ labels: { job: 'crash' }, timestamp: 0n, line: end, extracted: {} }]);
  for (let done = false; !done; ) {
    const batch = await reader.next();
    assert.ok(batch);
    const lines = batch.entries.map((e) => e.line).filter((line) => line !== end);
    done = lines.length < batch.entries.length;
    if (lines.length > 0) {
      const [round, first] = lines[0]!.split(' ');
      delivered(round!, Number(first), Number(lines.at(-1)!.split(' ')[1]));
    }
    reader.ack(batch.end);
  }
  // A SIGKILL leaves whole records (the kernel holds what was written): nothing to cut.
  assert.equal(wal.stats().corruptRecords, 0);
  await wal.close();
  for (let r = 0; r < 3; r++) {
    assert.ok(
      (covered.get(`r${r}`) ?? -1) >= durable[r]!,
      `round r${r}: delivered up to ${covered.get(`r${r}`)}, but ${durable[r]} were durable`,
    );
  }
});
