// Through the real CLI: what a glob may match besides log files (FIFOs, a link to /dev/zero,
// symlink loops, a symlinked directory under `**`), a 100 MB line without a newline, and new
// files and appends seen by their events while the safety-net poll is a minute away.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  appendFileSync,
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli, tempDir, writeConfig } from '../support/agent-process.js';
import { type LokiReceiver, startLokiReceiver } from '../support/loki-receiver.js';

async function metric(port: number, name: string, labels: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** Peak resident memory of a process, from the kernel. */
function peakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+)/.exec(status)![1]) / 1024;
}

const job = (glob: string) =>
  [
    '  - job_name: files',
    '    static_configs:',
    '      - targets: [localhost]',
    '        labels:',
    '          job: files',
    `          __path__: ${glob}`,
  ].join('\n');

describe('the agent and what a glob matches', () => {
  let loki: LokiReceiver;
  before(async () => {
    loki = await startLokiReceiver();
  });
  after(() => loki.close());

  it('tails only regular files: FIFOs, /dev/zero and symlink loops are reported once, each file ships once, SIGTERM exits', async () => {
    const { dir, cleanup } = tempDir();
    const logs = join(dir, 'logs');
    mkdirSync(join(logs, 'real'), { recursive: true });
    writeFileSync(join(logs, 'a.log'), 'a1\n');
    writeFileSync(join(logs, 'real', 'x.log'), 'x1\n');
    // Four FIFOs: as many as libuv has threads, so one blocked open() each would freeze every read.
    for (let i = 1; i <= 4; i++) execFileSync('mkfifo', [join(logs, `fifo${i}.log`)]);
    symlinkSync('/dev/zero', join(logs, 'zero.log'));
    symlinkSync(join(logs, 'loop.log'), join(logs, 'loop.log'));
    // `**` through a symlinked directory, and a directory link back up (a loop).
    symlinkSync(join(logs, 'real'), join(logs, 'link'));
    symlinkSync(logs, join(logs, 'real', 'up'));
    const config = writeConfig({
      dir,
      lokiUrl: loki.url,
      scrapeConfigs: job(`${logs}/**/*.log`),
      extra: 'target_config:\n  sync_period: 200ms',
    });
    const agent = runCli([`-config.file=${config}`]);
    try {
      const port = await agent.port();
      const mine = () => loki.entries().filter((e) => e.labels.filename?.startsWith(logs));
      await loki.waitFor(() => mine().some((e) => e.line === 'a1') && mine().some((e) => e.line === 'x1'));
      appendFileSync(join(logs, 'a.log'), 'a2\n');
      await loki.waitFor(() => mine().some((e) => e.line === 'a2'));
      assert.deepEqual(
        mine()
          .map((e) => e.line)
          .sort(),
        ['a1', 'a2', 'x1'],
        'each file once',
      );
      assert.equal(await metric(port, 'promtail_targets_failed_total', 'reason="not_regular_file"'), 5);
      assert.equal(await metric(port, 'promtail_targets_failed_total', 'reason="symlink_loop"'), 1);
      for (const name of ['fifo1.log', 'zero.log', 'loop.log']) {
        const warnings = agent.stderr
          .split('\n')
          .filter((l) => l.includes('not tailing') && l.includes(name));
        assert.equal(warnings.length, 1, `one warning for ${name}`);
      }
      assert.ok(peakRssMiB(agent.child.pid!) < 300, 'the link to /dev/zero was not read');
      assert.equal(await agent.stop('SIGTERM'), 0, agent.stderr.slice(-3000));
    } finally {
      await agent.stop('SIGKILL');
      cleanup();
    }
  });

  it('a 100 MB line without a newline is dropped and counted, never held whole; the lines after it ship', async () => {
    const { dir, cleanup } = tempDir();
    mkdirSync(join(dir, 'logs'));
    const file = join(dir, 'logs', 'big.log');
    const fd = openSync(file, 'w');
    const block = Buffer.alloc(1024 * 1024, 'x');
    for (let i = 0; i < 100; i++) writeSync(fd, block);
    writeSync(fd, '\nafter 1\nafter 2\n');
    closeSync(fd);
    writeFileSync(join(dir, 'logs', 'mid.log'), `${'y'.repeat(5 * 1024 * 1024)}\nmid after\n`);
    const config = writeConfig({ dir, lokiUrl: loki.url, scrapeConfigs: job(`${dir}/logs/*.log`) });
    const agent = runCli([`-config.file=${config}`]);
    try {
      const port = await agent.port();
      const mine = () => loki.entries().filter((e) => e.labels.filename?.startsWith(dir));
      await loki.waitFor(
        () => mine().some((e) => e.line === 'after 2') && mine().some((e) => e.line === 'mid after'),
        60_000,
      );
      assert.deepEqual(
        mine()
          .map((e) => e.line)
          .sort(),
        ['after 1', 'after 2', 'mid after'],
      );
      assert.equal(await metric(port, 'promtail_dropped_entries_total', 'reason="line_too_long"'), 2);
      const peak = peakRssMiB(agent.child.pid!);
      assert.ok(peak < 300, `peak RSS ${peak.toFixed(0)} MiB`);
      assert.equal(await agent.stop(), 0);
      // The position moved past the long line.
      const positions = readFileSync(join(dir, 'positions.yaml'), 'utf8');
      assert.match(positions, new RegExp(`big.log"?: "?${100 * 1024 * 1024 + 17}"?`));
    } finally {
      await agent.stop('SIGKILL');
      cleanup();
    }
  });

  it('with max_line_size_truncate a long line ships cut to max_line_size', async () => {
    const { dir, cleanup } = tempDir();
    mkdirSync(join(dir, 'logs'));
    writeFileSync(join(dir, 'logs', 'a.log'), `${'z'.repeat(3 * 1024 * 1024)}\nshort\n`);
    const config = writeConfig({
      dir,
      lokiUrl: loki.url,
      scrapeConfigs: job(`${dir}/logs/*.log`),
      extra: 'limits_config:\n  max_line_size: 1MiB\n  max_line_size_truncate: true',
    });
    const agent = runCli([`-config.file=${config}`]);
    try {
      const mine = () => loki.entries().filter((e) => e.labels.filename?.startsWith(dir));
      await loki.waitFor(() => mine().some((e) => e.line === 'short'));
      assert.deepEqual(
        mine().map((e) => e.line.length),
        [1024 * 1024, 5],
      );
    } finally {
      await agent.stop();
      cleanup();
    }
  });

  it('sees a new file and appends by their events, with the safety-net poll a minute away', async () => {
    const { dir, cleanup } = tempDir();
    mkdirSync(join(dir, 'logs'));
    writeFileSync(join(dir, 'logs', 'a.log'), 'a1\n');
    const config = writeConfig({
      dir,
      lokiUrl: loki.url,
      scrapeConfigs: job(`${dir}/logs/*.log`),
      extra: [
        'global:',
        '  file_watch_config:',
        '    min_poll_frequency: 1m',
        '    max_poll_frequency: 1m',
        'target_config:',
        '  sync_period: 10m',
      ].join('\n'),
    });
    const agent = runCli([`-config.file=${config}`]);
    const seen = (line: string) => () =>
      loki.entries().some((e) => e.labels.filename?.startsWith(dir) && e.line === line);
    try {
      await loki.waitFor(seen('a1'));
      appendFileSync(join(dir, 'logs', 'a.log'), 'a2\n');
      await loki.waitFor(seen('a2'), 10_000);
      writeFileSync(join(dir, 'logs', 'b.log'), 'b1\n');
      await loki.waitFor(seen('b1'), 10_000);
      appendFileSync(join(dir, 'logs', 'b.log'), 'b2\n');
      await loki.waitFor(seen('b2'), 10_000);
    } finally {
      await agent.stop();
      cleanup();
    }
  });
});
