// Nothing is lost: rotation while a writer appends, SIGKILL and restart, Loki failing, positions
// taken over from Promtail. Each test runs the built CLI as a process against a real receiver.

import assert from 'node:assert/strict';
import {
  appendFileSync,
  copyFileSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli, staticJob, tempDir, writeConfig } from '../support/agent-process.js';
import { type LokiReceiver, startLokiReceiver } from '../support/loki-receiver.js';

/** Sequence numbers of the received lines `seq=<n>` of one file label. */
function seqs(loki: LokiReceiver, filename: string): number[] {
  return loki
    .entries()
    .filter((e) => e.labels.filename === filename)
    .map((e) => Number(/seq=(\d+)/.exec(e.line)?.[1] ?? -1));
}

function assertEverySeq(received: number[], total: number, allowDuplicates: boolean): void {
  const seen = new Set(received);
  const missing = [];
  for (let i = 0; i < total; i++) if (!seen.has(i)) missing.push(i);
  assert.deepEqual(missing, [], `missing ${missing.length} of ${total} lines`);
  if (!allowDuplicates) assert.equal(received.length, total, 'no duplicates');
}

function readFileOr(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** Resolves once `condition` holds, checked every 10 ms, or rejects after `timeoutMs`. */
async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Resolves once the process has the file now at `path` open (checked in /proc/<pid>/fd). */
async function holdsFile(pid: number, path: string, timeoutMs = 10_000): Promise<void> {
  const { ino } = statSync(path);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        if (statSync(`/proc/${pid}/fd/${fd}`).ino === ino) return;
      } catch {
        // closed meanwhile
      }
    }
    if (Date.now() > deadline) throw new Error(`process ${pid} did not open ${path} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function metric(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) if (line.startsWith(name)) sum += Number(line.split(' ').at(-1));
  return sum;
}

describe('no line is lost', () => {
  let loki: LokiReceiver;
  before(async () => {
    loki = await startLokiReceiver();
  });
  after(() => loki.close());

  it('across rename+create and copytruncate rotations while Loki is slow', async () => {
    const { dir, cleanup } = tempDir();
    mkdirSync(join(dir, 'logs'));
    const file = join(dir, 'logs', 'app.log');
    writeFileSync(file, '');
    loki.setResponder(() => ({ delayMs: 30 }));
    const agent = runCli([
      `-config.file=${writeConfig({ dir, lokiUrl: loki.url, scrapeConfigs: staticJob('files', `${dir}/logs/*.log`) })}`,
    ]);
    let seq = 0;
    const write = (n: number) => {
      let text = '';
      for (let i = 0; i < n; i++) text += `line seq=${seq++} ${'x'.repeat(40)}\n`;
      appendFileSync(file, text);
    };
    try {
      await agent.port();
      // Lines rotated away before the agent opened the file are not its to read (nor Promtail's).
      await holdsFile(agent.child.pid!, file);
      // Rename+create several times while the agent is far behind (Loki is slow): each rotated
      // file must be read to its end from the descriptor the agent holds. The next rotation waits
      // until the agent has opened the new file, as with any real rotation interval.
      for (let round = 0; round < 5; round++) {
        for (let burst = 0; burst < 10; burst++) write(50);
        renameSync(file, `${file}.${round}`);
        write(20);
        await holdsFile(agent.child.pid!, file);
      }
      await loki.waitFor((r) => seqs(r, file).length >= seq, 60_000);
      // copytruncate: copy, then truncate in place. Lines written between the copy and the
      // truncation would be lost by any tailer, so the writer waits until the agent caught up.
      for (let round = 0; round < 3; round++) {
        for (let burst = 0; burst < 5; burst++) write(40);
        const written = seq;
        await loki.waitFor((r) => seqs(r, file).length >= written, 60_000);
        copyFileSync(file, `${file}.copy${round}`);
        truncateSync(file, 0);
        write(30);
        // A truncation followed by regrowth past the old offset before the tailer looks cannot be
        // told from an append (by any tailer): the writer goes on once the agent saw the truncation.
        const rewritten = seq;
        await loki.waitFor((r) => seqs(r, file).length >= rewritten, 60_000);
      }
      await loki.waitFor((r) => new Set(seqs(r, file)).size >= seq, 60_000);
      assertEverySeq(seqs(loki, file), seq, false);
    } finally {
      loki.setResponder(undefined);
      assert.equal(await agent.stop(), 0);
      cleanup();
    }
  });

  it('across SIGKILL and restart: every line arrives, duplicates only from unacknowledged batches', async () => {
    const { dir, cleanup } = tempDir();
    mkdirSync(join(dir, 'logs'));
    const file = join(dir, 'logs', 'crash.log');
    const total = 20_000;
    let text = '';
    const endOffsets: number[] = [];
    for (let i = 0; i < total; i++) {
      text += `crash seq=${i} ${'y'.repeat(60)}\n`;
      endOffsets.push(text.length);
    }
    writeFileSync(file, text);
    const config = writeConfig({
      dir,
      lokiUrl: loki.url,
      client: '    batchsize: 65536',
      scrapeConfigs: staticJob('files', `${dir}/logs/*.log`),
    });
    loki.setResponder(() => ({ delayMs: 20 }));
    const first = runCli([`-config.file=${config}`]);
    try {
      await loki.waitFor((r) => seqs(r, file).length >= 3000, 60_000);
      // Kill once some acknowledged progress is on disk, so the restart resumes mid-file.
      await until(() => /crash\.log: "[1-9]/.test(readFileOr(join(dir, 'positions.yaml'))), 20_000);
      assert.equal(await first.stop('SIGKILL'), 'SIGKILL');
    } finally {
      loki.setResponder(undefined);
    }
    const beforeRestart = seqs(loki, file).length;
    assert.ok(beforeRestart < total, 'the kill happened mid-stream');
    const positions = readFileSync(join(dir, 'positions.yaml'), 'utf8');
    const saved = Number(/crash\.log: "(\d+)"/.exec(positions)?.[1] ?? 0);
    // Loki got a prefix of the file (entries of a stream are sent in order): the saved position
    // lies within it.
    const acknowledged = new Set(seqs(loki, file));
    let prefix = 0;
    while (acknowledged.has(prefix)) prefix++;
    assert.ok(
      saved > 0 && saved <= endOffsets[prefix - 1]!,
      `position ${saved} lies within what Loki acknowledged`,
    );

    const second = runCli([`-config.file=${config}`]);
    try {
      await loki.waitFor((r) => new Set(seqs(r, file)).size >= total, 60_000);
      const received = seqs(loki, file);
      assertEverySeq(received, total, true);
      // Re-sent lines are those after the saved position: at most what was in flight (unacknowledged
      // batches of 64 KiB plus the batch being built), never the whole file again.
      const duplicates = received.length - total;
      assert.ok(duplicates < 5000, `duplicates ${duplicates} stay within the unacknowledged batches`);
    } finally {
      assert.equal(await second.stop(), 0);
      cleanup();
    }
  });

  it('while Loki answers 500, then 429, then recovers; a 400 batch is dropped and counted', async () => {
    const { dir, cleanup } = tempDir();
    mkdirSync(join(dir, 'logs'));
    const file = join(dir, 'logs', 'flaky.log');
    writeFileSync(file, 'flaky seq=0\nflaky seq=1\n');
    const config = writeConfig({
      dir,
      lokiUrl: loki.url,
      client: '    backoff_config:\n      min_period: 20ms\n      max_period: 100ms\n      max_retries: 20',
      scrapeConfigs: staticJob('files', `${dir}/logs/*.log`),
    });
    loki.respondTimes(3, { status: 500, body: 'unwell' });
    loki.respondTimes(2, { status: 429, body: 'slow down' });
    const agent = runCli([`-config.file=${config}`]);
    try {
      const port = await agent.port();
      await loki.waitFor((r) => new Set(seqs(r, file)).size >= 2, 30_000);
      assertEverySeq(seqs(loki, file), 2, false);
      assert.ok((await metric(port, 'promtail_batch_retries_total{')) >= 5, 'retries are counted');

      // A 400 drops the batch (Loki would never take it), counts it, and the agent goes on.
      loki.respondTimes(1, { status: 400, body: 'entry out of order' });
      appendFileSync(file, 'flaky seq=2\n');
      await loki.waitFor((r) => r.requests.some((q) => q.status === 400));
      appendFileSync(file, 'flaky seq=3\n');
      await loki.waitFor((r) => seqs(r, file).includes(3), 30_000);
      assert.ok(!seqs(loki, file).includes(2), 'the rejected entry is not stored');
      assert.ok((await metric(port, 'promtail_dropped_entries_total{')) >= 1, 'the drop is counted');
    } finally {
      assert.equal(await agent.stop(), 0);
      cleanup();
    }
  });
});

describe('positions', () => {
  let loki: LokiReceiver;
  before(async () => {
    loki = await startLokiReceiver();
  });
  after(() => loki.close());

  it('takes over a Promtail positions file: reading resumes at the saved offset', async () => {
    const { dir, cleanup } = tempDir();
    mkdirSync(join(dir, 'logs'));
    const file = join(dir, 'logs', 'taken.log');
    const old = 'already shipped by promtail\n';
    writeFileSync(file, `${old}new line seq=0\n`);
    // Promtail's format: offsets as quoted strings under `positions:`.
    writeFileSync(join(dir, 'positions.yaml'), `positions:\n  ${file}: "${Buffer.byteLength(old)}"\n`);
    const agent = runCli([
      `-config.file=${writeConfig({ dir, lokiUrl: loki.url, scrapeConfigs: staticJob('files', `${dir}/logs/*.log`) })}`,
    ]);
    try {
      await loki.waitFor((r) => seqs(r, file).includes(0));
      const lines = loki
        .entries()
        .filter((e) => e.labels.filename === file)
        .map((e) => e.line);
      assert.deepEqual(lines, ['new line seq=0']);
      await agent.stop();
      const saved = readFileSync(join(dir, 'positions.yaml'), 'utf8');
      assert.match(
        saved,
        new RegExp(`${file.replace(/[.]/g, '\\.')}: "${Buffer.byteLength(`${old}new line seq=0\n`)}"`),
      );
    } finally {
      await agent.stop();
      cleanup();
    }
  });

  it('reports a corrupt positions file (exit 1, no crash loop of half-started work) and ignores it when asked', async () => {
    const { dir, cleanup } = tempDir();
    mkdirSync(join(dir, 'logs'));
    const file = join(dir, 'logs', 'c.log');
    writeFileSync(file, 'after corrupt seq=0\n');
    writeFileSync(join(dir, 'positions.yaml'), 'positions: [this is: not {valid\n');
    const config = writeConfig({
      dir,
      lokiUrl: loki.url,
      scrapeConfigs: staticJob('files', `${dir}/logs/*.log`),
    });
    const strict = runCli([`-config.file=${config}`]);
    assert.equal(await strict.exited, 1);
    assert.match(strict.stderr, /positions\.yaml/);
    assert.match(strict.stderr, /ignore_invalid_yaml/);

    const lenient = writeConfig({
      dir,
      lokiUrl: loki.url,
      scrapeConfigs: staticJob('files', `${dir}/logs/*.log`),
    }).replace(/$/, '');
    writeFileSync(
      lenient,
      readFileSync(lenient, 'utf8').replace(
        '  sync_period: 200ms',
        '  sync_period: 200ms\n  ignore_invalid_yaml: true',
      ),
    );
    const agent = runCli([`-config.file=${lenient}`]);
    try {
      await loki.waitFor((r) => seqs(r, file).includes(0));
      await agent.stop();
      assert.match(readFileSync(join(dir, 'positions.yaml'), 'utf8'), /^positions:\n/);
    } finally {
      await agent.stop();
      cleanup();
    }
  });
});
