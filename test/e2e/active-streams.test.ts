// logferry_active_streams{job} and the streams per job on /targets, through the built CLI: file
// targets (one stream per file, and one a pipeline stage splits in two) and a syslog source; a
// reload that removes a job removes its series. Expiry is timed in test/client/active-streams.test.ts.

import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli, tempDir, writeConfig } from '../support/agent-process.js';
import { type LokiReceiver, startLokiReceiver } from '../support/loki-receiver.js';

/** The value of logferry_active_streams per job in a /metrics body. */
function activeStreams(metrics: string): Map<string, number> {
  return new Map(
    [...metrics.matchAll(/^logferry_active_streams\{job="([^"]*)"\} (\d+)$/gm)].map((m) => [
      m[1]!,
      Number(m[2]),
    ]),
  );
}

describe('logferry_active_streams', () => {
  let loki: LokiReceiver;
  before(async () => {
    loki = await startLokiReceiver();
  });
  after(() => loki.close());

  it('counts the streams each job shipped, shows them on /targets, and drops a removed job on reload', async () => {
    const { dir, cleanup } = tempDir();
    mkdirSync(join(dir, 'a'));
    mkdirSync(join(dir, 'b'));
    // Job A: two files; a `labels` stage sends one.log's lines to two streams: 3 streams.
    writeFileSync(join(dir, 'a', 'one.log'), 'level=info one\nlevel=info two\nlevel=error three\n');
    writeFileSync(join(dir, 'a', 'two.log'), 'level=info four\n');
    // Job B: one file, one stream.
    writeFileSync(join(dir, 'b', 'b.log'), 'level=info five\nlevel=info six\n');
    const fileJob = (name: string, sub: string, stages: string) =>
      [
        `  - job_name: ${name}`,
        '    static_configs:',
        '      - targets: [localhost]',
        `        labels: { job: ${name}, __path__: "${dir}/${sub}/*.log" }`,
        stages,
      ].join('\n');
    const jobA = fileJob(
      'A',
      'a',
      [
        '    pipeline_stages:',
        '      - logfmt: { mapping: { level: level } }',
        '      - labels: { level: level }',
      ].join('\n'),
    );
    const jobB = fileJob('B', 'b', '');
    const syslogJob = [
      '  - job_name: S',
      '    syslog:',
      '      listen_address: 127.0.0.1:0',
      '      listen_protocol: udp',
      '      labels: { job: S }',
      '    relabel_configs:',
      '      - { source_labels: [__syslog_message_app_name], target_label: app }',
    ].join('\n');
    const config = writeConfig({
      dir,
      lokiUrl: loki.url,
      scrapeConfigs: [jobA, jobB, syslogJob].join('\n'),
    });
    const agent = runCli([`-config.file=${config}`]);
    try {
      const udpLine = await agent.waitForLog(/syslog listening on address.*protocol=udp/);
      const udpPort = Number(/address="?[\d.]+:(\d+)/.exec(udpLine)![1]);
      const base = `http://127.0.0.1:${await agent.port()}`;
      const udp = createSocket('udp4');
      for (const app of ['api', 'api', 'worker'])
        await new Promise<void>((resolve, reject) =>
          udp.send(
            `<14>1 2024-05-01T10:00:00Z host ${app} - - - hello from ${app}`,
            udpPort,
            '127.0.0.1',
            (e) => (e ? reject(e) : resolve()),
          ),
        );
      udp.close();
      await loki.waitFor((r) => r.entries().length === 9);
      const shipped = (job: string) =>
        new Set(
          loki
            .entries()
            .filter((e) => e.labels.job === job)
            .map((e) => JSON.stringify(Object.entries(e.labels).sort())),
        ).size;
      assert.deepEqual([shipped('A'), shipped('B'), shipped('S')], [3, 1, 2], 'what Loki received');

      const metrics = await (await fetch(`${base}/metrics`)).text();
      assert.match(metrics, /# TYPE logferry_active_streams gauge/);
      assert.deepEqual(
        activeStreams(metrics),
        new Map([
          ['A', 3],
          ['B', 1],
          ['S', 2],
        ]),
      );

      const targets = await (await fetch(`${base}/targets`)).text();
      const heading = (job: string) =>
        new RegExp(
          `<h2>${job} \\(\\d+\\)[^<]*<span[^>]*>[^<]*<span data-active-streams>(\\d+)</span> active streams?</span></h2>`,
        );
      assert.equal(heading('A').exec(targets)?.[1], '3', '/targets: job A');
      assert.equal(heading('B').exec(targets)?.[1], '1', '/targets: job B');
      assert.equal(heading('S').exec(targets)?.[1], '2', '/targets: the syslog job');

      // A reload without job B: its series goes; job A keeps its streams.
      writeConfig({ dir, lokiUrl: loki.url, scrapeConfigs: jobA });
      const reloaded = await fetch(`${base}/reload`, { method: 'POST' });
      assert.equal(reloaded.status, 200, await reloaded.text());
      const after = activeStreams(await (await fetch(`${base}/metrics`)).text());
      assert.deepEqual(after, new Map([['A', 3]]));
    } finally {
      await agent.stop();
      cleanup();
    }
  });
});
