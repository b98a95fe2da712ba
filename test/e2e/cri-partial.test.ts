// A CRI partial (`P`) line that no full (`F`) line completes, end to end through the built CLI:
// it is shipped `max_wait_time` after it was read, and until it is shipped the positions file
// stays before it, so an agent killed meanwhile reads it again (at least once).

import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli, tempDir, writeConfig } from '../support/agent-process.js';
import { startLokiReceiver } from '../support/loki-receiver.js';

const T = '2024-05-01T10:00:00.000000001Z';

function config(dir: string, lokiUrl: string, wait: string): string {
  return writeConfig({
    dir,
    lokiUrl,
    scrapeConfigs: [
      '  - job_name: cri',
      '    static_configs:',
      '      - targets: [localhost]',
      `        labels: { job: cri, __path__: "${dir}/logs/*.log" }`,
      '    pipeline_stages:',
      `      - cri: { max_wait_time: ${wait} }`,
    ].join('\n'),
  });
}

/** The saved offset of `file` once `ready` holds for it (polled with a deadline). */
async function positionWhen(dir: string, file: string, ready: (offset: number) => boolean): Promise<number> {
  const deadline = Date.now() + 30_000;
  const positions = join(dir, 'positions.yaml');
  for (;;) {
    const text = existsSync(positions) ? readFileSync(positions, 'utf8') : '';
    const m = new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: "?(\\d+)`).exec(text);
    if (m && ready(Number(m[1]))) return Number(m[1]);
    if (Date.now() > deadline) throw new Error(`positions of ${file} not as expected:\n${text}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('cri: a partial line never completed', () => {
  it('is not acknowledged while held: a SIGKILL re-reads it and it joins its F line', async () => {
    const { dir, cleanup } = tempDir();
    mkdirSync(join(dir, 'logs'));
    const file = join(dir, 'logs', 'c.log');
    const first = `${T} stdout F a\n`;
    writeFileSync(file, `${first}${T} stdout P b1 \n`);
    const loki = await startLokiReceiver();
    const configFile = config(dir, loki.url, '1h');
    let agent = runCli([`-config.file=${configFile}`]);
    try {
      await loki.waitFor((r) => r.entries().some((e) => e.line === 'a'));
      const offset = await positionWhen(dir, file, (o) => o >= first.length);
      assert.equal(offset, first.length, 'the position stays before the held P line');
      assert.equal(await agent.stop('SIGKILL'), 'SIGKILL');
      agent = runCli([`-config.file=${configFile}`]);
      await agent.port();
      appendFileSync(file, `${T} stdout F b2\n`);
      await loki.waitFor((r) => r.entries().some((e) => e.line === 'b1 b2'));
      assert.deepEqual(
        loki
          .entries()
          .filter((e) => e.line !== 'a')
          .map((e) => [e.labels.stream, e.line]),
        [['stdout', 'b1 b2']],
      );
    } finally {
      await agent.stop();
      await loki.close();
    }
    cleanup();
  });

  it('is shipped max_wait_time after it was read, and then the position passes it', async () => {
    const { dir, cleanup } = tempDir();
    mkdirSync(join(dir, 'logs'));
    const file = join(dir, 'logs', 'c.log');
    const text = `${T} stdout F a\n${T} stderr P half \n`;
    writeFileSync(file, text);
    const loki = await startLokiReceiver();
    const agent = runCli([`-config.file=${config(dir, loki.url, '300ms')}`]);
    try {
      await loki.waitFor((r) => r.entries().some((e) => e.line === 'half '));
      assert.deepEqual(
        loki.entries().map((e) => [e.labels.stream, e.line]),
        [
          ['stdout', 'a'],
          ['stderr', 'half '],
        ],
      );
      assert.equal(await positionWhen(dir, file, (o) => o === text.length), text.length);
    } finally {
      assert.equal(await agent.stop(), 0, agent.stderr);
      await loki.close();
    }
    cleanup();
  });
});
