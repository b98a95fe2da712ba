// The built CLI against a Loki that accepts connections and never answers: the request times
// out and is retried, positions stay where delivery got to, and once a good receiver takes the
// port everything arrives. A graceful_shutdown_timeout of 720h really waits (Node's timers would
// turn it into 1 ms).

import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli, tempDir } from '../support/agent-process.js';
import { startHungListener } from '../support/hung-listener.js';
import { startLokiReceiver } from '../support/loki-receiver.js';

function config(dir: string, url: string, server: string[] = []): string {
  const file = join(dir, 'config.yaml');
  writeFileSync(
    file,
    [
      'server:',
      '  http_listen_address: 127.0.0.1',
      '  http_listen_port: 0',
      ...server,
      'positions:',
      `  filename: ${join(dir, 'positions.yaml')}`,
      '  sync_period: 200ms',
      'clients:',
      `  - url: ${url}`,
      '    batchwait: 50ms',
      '    timeout: 1s',
      '    backoff_config: {min_period: 50ms, max_period: 200ms, max_retries: 0}',
      'scrape_configs:',
      '  - job_name: files',
      '    static_configs:',
      '      - targets: [localhost]',
      `        labels: {job: files, __path__: ${dir}/logs/*.log}`,
      '',
    ].join('\n'),
  );
  return file;
}

function savedOffset(dir: string): number {
  try {
    return Number(/app\.log: "(\d+)"/.exec(readFileSync(join(dir, 'positions.yaml'), 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

describe('a Loki that never answers', () => {
  it('times out, retries, holds positions, and delivers everything once Loki answers', async () => {
    const { dir, cleanup } = tempDir();
    mkdirSync(join(dir, 'logs'));
    const lines = Array.from({ length: 50 }, (_, i) => `hung seq=${i}`);
    writeFileSync(join(dir, 'logs', 'app.log'), `${lines.join('\n')}\n`);
    const hung = await startHungListener();
    const agent = runCli([`-config.file=${config(dir, hung.url)}`]);
    try {
      await agent.port();
      // Three connections: the first two attempts timed out after 1 s each.
      await hung.waitForAttempts(3, 20_000);
      await agent.waitForLog(/error sending batch, will retry.*timeout after 1000ms/);
      assert.equal(savedOffset(dir), 0, 'the position does not pass undelivered lines');

      const port = hung.port;
      await hung.close();
      const loki = await startLokiReceiver({ port });
      try {
        const got = await loki.waitForEntries(lines.length, 20_000);
        assert.deepEqual(
          got.map((e) => e.line),
          lines,
        );
      } finally {
        assert.equal(await agent.stop(), 0);
        await loki.close();
      }
      assert.equal(savedOffset(dir), readFileSync(join(dir, 'logs', 'app.log')).length);
    } finally {
      await agent.stop('SIGKILL');
      await hung.close();
      cleanup();
    }
  });

  it('graceful_shutdown_timeout: 720h keeps retrying after SIGTERM instead of giving up at once', async () => {
    const { dir, cleanup } = tempDir();
    mkdirSync(join(dir, 'logs'));
    writeFileSync(join(dir, 'logs', 'app.log'), 'shutdown seq=0\n');
    const hung = await startHungListener();
    const agent = runCli([`-config.file=${config(dir, hung.url, ['  graceful_shutdown_timeout: 720h'])}`]);
    try {
      await agent.port();
      await hung.waitForAttempts(1, 20_000);
      agent.child.kill('SIGTERM');
      // Still shutting down gracefully: the batch timed out and was tried again after SIGTERM.
      const seen = hung.attempts;
      await hung.waitForAttempts(seen + 2, 20_000);
      assert.equal(agent.child.exitCode, null, 'the agent is still waiting for Loki');
    } finally {
      await agent.stop('SIGKILL');
      await hung.close();
      cleanup();
    }
  });
});
