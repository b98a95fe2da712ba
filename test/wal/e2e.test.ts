// The disk buffer in the real agent (dist/cli.js): with Loki refusing every push, positions still
// reach the end of the file (entries are durable in the buffer); after a SIGKILL and a restart
// with Loki back, every line arrives. And an outage while files rotate and old generations are
// deleted loses nothing: the agent reads on into the buffer.

import assert from 'node:assert/strict';
import {
  appendFileSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runCli, staticJob, tempDir, writeConfig } from '../support/agent-process.js';
import { type LokiReceiver, startLokiReceiver } from '../support/loki-receiver.js';

let loki: LokiReceiver;
before(async () => {
  loki = await startLokiReceiver();
});
after(() => loki.close());

async function until(
  condition: () => boolean,
  timeoutMs: number,
  what: string,
  refresh?: () => Promise<void>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await refresh?.();
    if (condition()) return;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A config with one static job `files` over `<dir>/logs/<glob>` and the disk buffer in `<dir>/wal`. */
function walConfig(dir: string, glob: string): string {
  return writeConfig({
    dir,
    lokiUrl: loki.url,
    scrapeConfigs: staticJob('files', `${dir}/logs/${glob}`),
    extra: ['wal:', '  enabled: true', `  dir: ${join(dir, 'wal')}`, '  max_size: 64MiB'].join('\n'),
  });
}

function positions(dir: string): string {
  try {
    return readFileSync(join(dir, 'positions.yaml'), 'utf8');
  } catch {
    return '';
  }
}

async function metric(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) if (line.startsWith(name)) sum += Number(line.split(' ').at(-1));
  return sum;
}

test('wal: positions advance while Loki refuses; a SIGKILL and restart lose nothing', async () => {
  const { dir, cleanup } = tempDir('logferry-wal-e2e-');
  try {
    mkdirSync(join(dir, 'logs'));
    const file = join(dir, 'logs', 'app.log');
    const total = 20_000;
    let text = '';
    for (let i = 0; i < total; i++) text += `line seq=${i} ${'w'.repeat(60)}\n`;
    writeFileSync(file, text);
    const config = walConfig(dir, '*.log');
    loki.setResponder(() => ({ status: 503 }));
    const first = runCli([`-config.file=${config}`]);
    try {
      const port = await first.port();
      // Loki takes nothing, yet the position reaches the end: the lines are in the buffer.
      const size = statSync(file).size;
      await until(() => positions(dir).includes(`"${size}"`), 30_000, 'position at the end');
      assert.equal(await metric(port, 'logferry_wal_appended_entries_total'), total);
      assert.equal(loki.entries().length, 0);
    } finally {
      first.child.kill('SIGKILL');
      await first.exited;
    }

    loki.setResponder(undefined);
    const second = runCli([`-config.file=${config}`]);
    try {
      await second.port();
      await loki.waitFor((r) => new Set(r.entries().map((e) => e.line)).size >= total, 60_000);
      const seen = new Set(loki.entries().map((e) => Number(/seq=(\d+)/.exec(e.line)?.[1])));
      for (let i = 0; i < total; i++) assert.ok(seen.has(i), `line ${i} missing`);
      // Every client acknowledged everything: only the segment being written is left.
      await until(
        () => readdirSync(join(dir, 'wal')).filter((f) => f.endsWith('.wal')).length === 1,
        10_000,
        'acknowledged segments deleted',
      );
    } finally {
      await second.stop('SIGTERM');
    }
  } finally {
    loki.setResponder(undefined);
    cleanup();
  }
});

test('wal: Loki down while files rotate and old generations are deleted: every line arrives', async () => {
  const { dir, cleanup } = tempDir('logferry-wal-rotate-');
  try {
    mkdirSync(join(dir, 'logs'));
    const file = join(dir, 'logs', 'app.log');
    writeFileSync(file, '');
    const config = walConfig(dir, 'app.log');
    loki.setResponder(() => ({ status: 503 }));
    const agent = runCli([`-config.file=${config}`]);
    try {
      const port = await agent.port();
      let seq = 0;
      // Kubelet-style: rename to .1, .2 (kept), delete the oldest, create anew. Each generation
      // is rotated away once the agent has buffered it (as a writer at a steady rate would, but
      // without a race against the test's own timing), and deleted two rotations later. The
      // 12 MB written exceed what the agent may hold in memory unacknowledged (8 MiB): without
      // the buffer, reading would stop and deleted generations would be lost.
      for (let round = 0; round < 12; round++) {
        let text = '';
        for (let i = 0; i < 2000; i++) text += `line seq=${seq++} ${'r'.repeat(500)}\n`;
        appendFileSync(file, text);
        const written = seq;
        await until(
          () => lastAppended >= written,
          30_000,
          `round ${round} buffered`,
          async () => {
            lastAppended = await metric(port, 'logferry_wal_appended_entries_total');
          },
        );
        rmSync(`${file}.2`, { force: true });
        try {
          renameSync(`${file}.1`, `${file}.2`);
        } catch {
          // first round
        }
        renameSync(file, `${file}.1`);
        writeFileSync(file, '');
      }
      const ours = (r: LokiReceiver) => r.entries().filter((e) => e.labels.filename === file);
      assert.equal(ours(loki).length, 0, 'Loki accepted nothing during the outage');
      loki.setResponder(undefined);
      await loki.waitFor((r) => new Set(ours(r).map((e) => e.line)).size >= seq, 60_000);
      const seen = new Set(ours(loki).map((e) => Number(/seq=(\d+)/.exec(e.line)?.[1])));
      for (let i = 0; i < seq; i++) assert.ok(seen.has(i), `line ${i} missing`);
    } finally {
      await agent.stop('SIGTERM');
    }
  } finally {
    loki.setResponder(undefined);
    cleanup();
  }
});

let lastAppended = 0;
