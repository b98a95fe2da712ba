// SIGKILL while shipping at full speed: nothing is lost, and each kill re-sends only what Loki
// had received but the positions file did not cover yet — the batch in flight and what was
// acknowledged since the last positions write began (written at most 100 ms after a change,
// also at full speed). Duplicates are counted at the receiver, per kill.

import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli, tempDir, writeConfig } from '../support/agent-process.js';
import { type ReceivedEntry, startLokiReceiver } from '../support/loki-receiver.js';

const files = 4;
const linesPerFile = 60_000;
const lineBytes = 250;
const batchSize = 1024 * 1024;
/**
 * How long an acknowledgement may wait to be on disk: the 100 ms write interval plus the write
 * itself (an fsync), which on this 2-core machine under the whole test suite took up to most of
 * a second. Idle, kills re-send one or two batches; `npm run bench:kill` has the figures.
 */
const writeLagS = 1;

function line(file: number, seq: number): string {
  const head = `kill f=${file} seq=${seq} `;
  return `${head}${'z'.repeat(lineBytes - head.length - 1)}\n`;
}

describe('SIGKILL during a full-speed ship', () => {
  it('loses nothing and re-sends at most the batch in flight plus one positions write of shipping', async (t) => {
    const { dir, cleanup } = tempDir();
    mkdirSync(join(dir, 'logs'));
    for (let f = 0; f < files; f++) {
      const parts: string[] = [];
      for (let i = 0; i < linesPerFile; i++) parts.push(line(f, i));
      writeFileSync(join(dir, 'logs', `f${f}.log`), parts.join(''));
    }
    const total = files * linesPerFile;
    const loki = await startLokiReceiver();
    // The default sync_period (10 s): writes soon after acknowledgements are what bounds re-sends.
    const configFile = writeConfig({
      dir,
      lokiUrl: loki.url,
      scrapeConfigs: [
        '  - job_name: kill',
        '    static_configs:',
        '      - targets: [localhost]',
        '        labels:',
        '          job: kill',
        `          __path__: ${dir}/logs/*.log`,
      ].join('\n'),
    });
    writeFileSync(
      configFile,
      readFileSync(configFile, 'utf8').replace('sync_period: 200ms', 'sync_period: 10s'),
    );
    let agent = runCli([`-config.file=${configFile}`]);
    const segments: { from: number; to: number; rate: number }[] = [];
    try {
      for (const target of [50_000, 110_000, 170_000]) {
        const from = loki.entries().length;
        await loki.waitFor((r) => r.entries().length > from, 30_000);
        const startedAt = performance.now();
        const startCount = loki.entries().length;
        await loki.waitForEntries(target, 60_000);
        const killedAt = performance.now();
        const to = loki.entries().length;
        assert.equal(await agent.stop('SIGKILL'), 'SIGKILL');
        segments.push({ from, to, rate: (to - startCount) / ((killedAt - startedAt) / 1000) });
        agent = runCli([`-config.file=${configFile}`]);
      }
      const keys = new Set<string>();
      let scanned = 0;
      await loki.waitFor((r) => {
        const all = r.entries();
        for (; scanned < all.length; scanned++) keys.add(keyOf(all[scanned]!));
        return keys.size >= total;
      }, 120_000);
    } finally {
      const code = await agent.stop();
      await loki.close();
      assert.equal(code, 0, agent.stderr);
    }
    const received = loki.entries();
    assert.equal(distinct(received), total, 'every line arrived');

    // Duplicates that arrived after each restart (until the next kill): that kill's re-sends.
    const seen = new Set<string>();
    const resent = segments.map(() => 0);
    for (let i = 0; i < received.length; i++) {
      const key = keyOf(received[i]!);
      if (!seen.has(key)) {
        seen.add(key);
        continue;
      }
      const k = segments.findLastIndex((s) => i >= s.to);
      assert.ok(k >= 0, 'no duplicate before the first kill');
      resent[k]!++;
    }
    const batchEntries = Math.ceil(batchSize / lineBytes);
    for (const [k, s] of segments.entries()) {
      const bound = Math.ceil(batchEntries + s.rate * writeLagS);
      t.diagnostic(
        `kill ${k + 1}: re-sent ${resent[k]} entries; ${Math.round(s.rate)} entries/s; bound ${bound}`,
      );
      assert.ok(resent[k]! <= bound, `kill ${k + 1} re-sent ${resent[k]} > ${bound}`);
    }
    cleanup();
  });
});

function keyOf(e: ReceivedEntry): string {
  return `${e.labels.filename}:${/seq=(\d+)/.exec(e.line)?.[1]}`;
}

function distinct(entries: ReceivedEntry[]): number {
  const s = new Set<string>();
  for (const e of entries) s.add(keyOf(e));
  return s.size;
}
