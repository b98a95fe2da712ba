// End to end through the built CLI: files on disk in, pushes decoded at a real receiver out.

import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli, tempDir, writeConfig } from '../support/agent-process.js';
import { type LokiReceiver, startLokiReceiver } from '../support/loki-receiver.js';

const fixtures = resolve(import.meta.dirname, '../../fixtures');

describe('shipping files to Loki', () => {
  let loki: LokiReceiver;
  before(async () => {
    loki = await startLokiReceiver();
  });
  after(() => loki.close());

  it('ships plain lines with the target labels, filename and nanosecond timestamps', async () => {
    const { dir, cleanup } = tempDir();
    mkdirSync(join(dir, 'logs'));
    const file = join(dir, 'logs', 'app.log');
    writeFileSync(file, 'first line\nsecond line\n');
    const config = writeConfig({
      dir,
      lokiUrl: loki.url,
      scrapeConfigs: [
        '  - job_name: plain',
        '    static_configs:',
        '      - targets: [localhost]',
        '        labels:',
        '          job: varlogs',
        '          host: h1',
        `          __path__: ${dir}/logs/*.log`,
      ].join('\n'),
    });
    const before = BigInt(Date.now()) * 1_000_000n;
    const agent = runCli([`-config.file=${config}`]);
    try {
      await loki.waitFor((r) =>
        r.entries().some((e) => e.labels.filename === file && e.line === 'second line'),
      );
      appendFileSync(file, 'third line\n');
      await loki.waitFor((r) =>
        r.entries().some((e) => e.labels.filename === file && e.line === 'third line'),
      );
      const got = loki.entries().filter((e) => e.labels.filename === file);
      assert.deepEqual(
        got.map((e) => e.line),
        ['first line', 'second line', 'third line'],
      );
      assert.deepEqual(got[0]!.labels, { job: 'varlogs', host: 'h1', filename: file });
      const after = BigInt(Date.now()) * 1_000_000n;
      for (const e of got)
        assert.ok(e.timestamp >= before && e.timestamp <= after, `timestamp ${e.timestamp}`);
      assert.ok(got[0]!.timestamp < got[1]!.timestamp, 'read order gives increasing timestamps');
      assert.ok(
        got.some((e) => e.timestamp % 1_000_000n !== 0n),
        'timestamps carry sub-millisecond digits',
      );
      const ua = loki.requests.at(-1)!.headers['user-agent'];
      assert.match(String(ua), /^logferry\/\d+\.\d+\.\d+/);
    } finally {
      assert.equal(await agent.stop(), 0);
      cleanup();
    }
  });

  it('ships CRI lines with the CRI timestamp to the nanosecond, the stream label and joined partial lines', async () => {
    const { dir, cleanup } = tempDir();
    const podDir = join(dir, 'pods', 'ns_pod_uid', 'app');
    mkdirSync(podDir, { recursive: true });
    const file = join(podDir, '0.log');
    writeFileSync(
      file,
      [
        '2024-05-01T10:00:00.123456789Z stdout F hello from cri',
        '2024-05-01T10:00:01.000000001Z stderr P part one, ',
        '2024-05-01T10:00:01.000000002Z stderr F part two',
        '2024-05-01T12:00:02.5+02:00 stdout F with an offset',
        '',
      ].join('\n'),
    );
    const config = writeConfig({
      dir,
      lokiUrl: loki.url,
      scrapeConfigs: [
        '  - job_name: cri',
        '    pipeline_stages:',
        '      - cri: {}',
        '    static_configs:',
        '      - targets: [localhost]',
        '        labels:',
        '          job: pods',
        `          __path__: ${dir}/pods/*/*/*.log`,
      ].join('\n'),
    });
    const agent = runCli([`-config.file=${config}`]);
    try {
      await loki.waitFor((r) => r.entries().filter((e) => e.labels.filename === file).length >= 3);
      // Streams (stdout, stderr) are pushed separately: compare in timestamp order.
      const got = loki
        .entries()
        .filter((e) => e.labels.filename === file)
        .sort((a, b) => (a.timestamp < b.timestamp ? -1 : 1));
      assert.deepEqual(
        got.map((e) => [e.timestamp, e.labels.stream, e.line]),
        [
          [1714557600123456789n, 'stdout', 'hello from cri'],
          // As Promtail: a joined line takes the timestamp of its last fragment.
          [1714557601000000002n, 'stderr', 'part one, part two'],
          [1714557602500000000n, 'stdout', 'with an offset'],
        ],
      );
    } finally {
      assert.equal(await agent.stop(), 0);
      cleanup();
    }
  });
});

describe('the CLI', () => {
  it('-dry-run prints <time>\\t<labels>\\t<line> and sends nothing', async () => {
    const { dir, cleanup } = tempDir();
    mkdirSync(join(dir, 'logs'));
    copyFileSync(join(fixtures, 'logs/cri/containerd.log'), join(dir, 'logs', 'sample.log'));
    const config = writeConfig({
      dir,
      scrapeConfigs: [
        '  - job_name: cri',
        '    pipeline_stages: [{ cri: {} }]',
        '    static_configs:',
        '      - labels: { job: pods, __path__: "' + dir + '/logs/*.log" }',
        '        targets: [localhost]',
      ].join('\n'),
    });
    const agent = runCli([`-config.file=${config}`, '-dry-run'], { env: { TZ: 'UTC' } });
    try {
      await agent.waitForStdout(/\n.*\n/);
      // As Promtail's tabwriter: a tab after the time and the labels unless their width is a multiple of 8.
      const m =
        /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?\+0000)(\t?)(\{filename=".*sample\.log", job="pods", stream="(?:stdout|stderr)"\})(\t?)/.exec(
          agent.stdout.split('\n')[0]!,
        );
      assert.ok(m, agent.stdout.split('\n')[0]);
      assert.equal(m[2], m[1]!.length % 8 === 0 ? '' : '\t');
      assert.equal(m[4], m[3]!.length % 8 === 0 ? '' : '\t');
    } finally {
      assert.equal(await agent.stop(), 0);
    }
    assert.equal(
      (await import('node:fs')).existsSync(join(dir, 'positions.yaml')),
      false,
      'dry-run writes no positions',
    );
    cleanup();
  });

  const badConfigs: [string, string, RegExp][] = [
    ['unknown top-level key', 'serverz:\n  a: 1\n', /config\.yaml:1: serverz: unknown key/],
    [
      'unknown nested key',
      'clients:\n  - url: http://127.0.0.1:1/loki/api/v1/push\n    batchwaitt: 1s\n',
      /config\.yaml:3: clients\[0\]\.batchwaitt: unknown key/,
    ],
    [
      'wrong type',
      'server:\n  http_listen_port: nine\nclients:\n  - url: http://127.0.0.1:1/x\n',
      /config\.yaml:2: server\.http_listen_port: expected a number/,
    ],
    [
      'duplicate job',
      'clients:\n  - url: http://127.0.0.1:1/x\nscrape_configs:\n  - job_name: a\n  - job_name: a\n',
      /config\.yaml:5: scrape_configs\[1\]\.job_name: .*duplicate/i,
    ],
  ];
  for (const [name, yaml, expected] of badConfigs) {
    it(`a config with ${name} exits 1 naming file, line and key`, async () => {
      const { dir, cleanup } = tempDir();
      const file = join(dir, 'config.yaml');
      writeFileSync(file, yaml);
      const agent = runCli([`-config.file=${file}`]);
      assert.equal(await agent.exited, 1);
      assert.match(agent.stderr, expected);
      cleanup();
    });
  }

  it('-check-syntax, -version, -help and usage errors', async () => {
    const { dir, cleanup } = tempDir();
    const file = writeConfig({ dir, lokiUrl: 'http://127.0.0.1:9/loki/api/v1/push', scrapeConfigs: '  []' });
    const check = runCli([`--config.file=${file}`, '-check-syntax']);
    assert.equal(await check.exited, 0);
    assert.match(check.stdout, /Valid config file/);
    const ver = runCli(['-version']);
    assert.equal(await ver.exited, 0);
    assert.match(ver.stdout, /^logferry, version \d+\.\d+\.\d+/);
    const help = runCli(['--help']);
    assert.equal(await help.exited, 0);
    for (const flag of [
      '-config.file',
      '-dry-run',
      '-client.url',
      '-positions.file',
      '-server.http-listen-port',
    ]) {
      assert.ok(help.stdout.includes(flag), `help lists ${flag}`);
    }
    assert.match(help.stdout, /-client\.batch-size-bytes int\n.*\(default 1048576\)/);
    const bad = runCli(['-no-such-flag']);
    assert.equal(await bad.exited, 2);
    assert.match(bad.stderr, /flag provided but not defined: -no-such-flag/);
    cleanup();
  });
});
