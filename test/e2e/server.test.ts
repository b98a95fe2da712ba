// The agent's HTTP endpoints and reloads, through the built CLI.

import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli, tempDir, writeConfig } from '../support/agent-process.js';
import { type LokiReceiver, startLokiReceiver } from '../support/loki-receiver.js';

describe('the HTTP server', () => {
  let loki: LokiReceiver;
  before(async () => {
    loki = await startLokiReceiver();
  });
  after(() => loki.close());

  it('serves /ready, /metrics with Promtail names, /config without secrets, /targets; reloads on /reload and SIGHUP', async () => {
    const { dir, cleanup } = tempDir();
    mkdirSync(join(dir, 'logs'));
    const file = join(dir, 'logs', 'srv.log');
    writeFileSync(file, 'one\ntwo\n');
    const job = (name: string) =>
      [
        `  - job_name: ${name}`,
        '    static_configs:',
        '      - targets: [localhost]',
        `        labels: { job: ${name}, __path__: "${dir}/logs/*.log" }`,
      ].join('\n');
    const config = writeConfig({
      dir,
      lokiUrl: loki.url,
      client: '    basic_auth:\n      username: u\n      password: hunter2-secret',
      scrapeConfigs: job('before'),
    });
    const agent = runCli([`-config.file=${config}`]);
    try {
      const base = `http://127.0.0.1:${await agent.port()}`;
      await loki.waitFor((r) => r.entries().filter((e) => e.labels.job === 'before').length === 2);

      const ready = await fetch(`${base}/ready`);
      assert.equal(ready.status, 200);
      assert.equal((await ready.text()).trim(), 'Ready');

      const metrics = await (await fetch(`${base}/metrics`)).text();
      for (const name of [
        'promtail_read_bytes_total',
        'promtail_read_lines_total',
        'promtail_file_bytes_total',
        'promtail_files_active_total',
        'promtail_targets_active_total',
        'promtail_sent_entries_total',
        'promtail_sent_bytes_total',
        'promtail_encoded_bytes_total',
        'promtail_dropped_entries_total',
        'promtail_request_duration_seconds_bucket',
        'promtail_batch_retries_total',
        'process_cpu_seconds_total',
        'nodejs_heap_size_used_bytes',
      ]) {
        assert.ok(metrics.includes(`\n${name}`), `/metrics has ${name}`);
      }
      assert.match(metrics, /promtail_sent_entries_total\{host="127\.0\.0\.1:\d+"\} 2/);
      assert.match(metrics, new RegExp(`promtail_read_lines_total\\{path="${file}"\\} 2`));

      const shown = await (await fetch(`${base}/config`)).text();
      assert.match(shown, /password: <secret>/);
      assert.ok(!shown.includes('hunter2-secret'), '/config never shows the secret');

      const targets = await (await fetch(`${base}/targets`)).text();
      assert.match(targets, /<!doctype html>/);
      assert.ok(targets.includes(file), '/targets lists the file');
      assert.ok(targets.includes('href="service-discovery"'), '/targets links to service discovery');

      // A config that does not load keeps the running one and says why.
      const good = readFileSync(config, 'utf8');
      writeFileSync(config, `${good}\nbogus_key: 1\n`);
      const rejected = await fetch(`${base}/reload`, { method: 'POST' });
      assert.equal(rejected.status, 500);
      assert.match(await rejected.text(), /bogus_key: unknown key/);
      assert.equal((await fetch(`${base}/ready`)).status, 200);

      // /reload with a good config: the new job ships (positions carry over: no line twice).
      writeFileSync(config, good.replace(job('before'), job('after')));
      const reloaded = await fetch(`${base}/reload`, { method: 'POST' });
      assert.equal(reloaded.status, 200, await reloaded.text());
      // The log grows as a log does: appended to, never rewritten (a rewrite truncates it for a
      // moment, and a tailer that looks then rightly reads it again from the start).
      appendFileSync(file, 'three\n');
      await loki.waitFor((r) => r.entries().some((e) => e.labels.job === 'after' && e.line === 'three'));
      assert.deepEqual(
        loki
          .entries()
          .filter((e) => e.labels.job === 'after')
          .map((e) => e.line),
        ['three'],
      );

      // SIGHUP reloads too.
      writeFileSync(config, good.replace(job('before'), job('hup')));
      agent.child.kill('SIGHUP');
      // The second reload of this run (the first was /reload above).
      await agent.waitForLog(/config reloaded[\s\S]*config reloaded/);
      appendFileSync(file, 'four\n');
      await loki.waitFor((r) => r.entries().some((e) => e.labels.job === 'hup' && e.line === 'four'));
    } finally {
      assert.equal(await agent.stop(), 0);
      cleanup();
    }
  });

  it('SIGTERM flushes what was read and saves positions before exiting 0', async () => {
    const { dir, cleanup } = tempDir();
    mkdirSync(join(dir, 'logs'));
    const file = join(dir, 'logs', 'term.log');
    writeFileSync(file, 'a\nb\nc\n');
    // A long batchwait: only the shutdown flush can send the batch in time.
    const config = writeConfig({
      dir,
      lokiUrl: loki.url,
      scrapeConfigs: [
        '  - job_name: term',
        '    static_configs:',
        '      - targets: [localhost]',
        `        labels: { job: term, __path__: "${dir}/logs/*.log" }`,
      ].join('\n'),
    }).replace(/$/, '');
    writeFileSync(config, readFileSync(config, 'utf8').replace('batchwait: 100ms', 'batchwait: 1h'));
    const agent = runCli([`-config.file=${config}`]);
    try {
      await agent.port();
      await agent.waitForLog(/agent started/);
      // Lines are read at once (the tailer starts at start-up); wait until they are in the batch.
      await new Promise<void>((resolve, reject) => {
        const deadline = Date.now() + 10_000;
        const check = async () => {
          const m = await (await fetch(`http://127.0.0.1:${await agent.port()}/metrics`)).text();
          if (new RegExp(`promtail_read_lines_total\\{path="${file}"\\} 3`).test(m)) resolve();
          else if (Date.now() > deadline) reject(new Error('lines not read'));
          else setTimeout(check, 20);
        };
        void check();
      });
      assert.equal(loki.entries().filter((e) => e.labels.job === 'term').length, 0);
      assert.equal(await agent.stop('SIGTERM'), 0);
      assert.deepEqual(
        loki
          .entries()
          .filter((e) => e.labels.job === 'term')
          .map((e) => e.line),
        ['a', 'b', 'c'],
      );
      assert.match(readFileSync(join(dir, 'positions.yaml'), 'utf8'), /term\.log: "6"/);
    } finally {
      await agent.stop();
      cleanup();
    }
  });
});
