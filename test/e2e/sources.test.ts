// The journal, syslog and push sources end to end through the built CLI: real journal files
// (systemd-journal-remote), real TCP/UDP syslog senders and real HTTP pushes in, a real Loki
// receiver out; restarts after SIGTERM and SIGKILL; /targets; hostile input at each listener.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { type AddressInfo, connect, createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { compress, encodePushRequest } from '../../src/client/encode.js';
import { type AgentProcess, runCli, tempDir, writeConfig } from '../support/agent-process.js';
import { type ExportEntry, usAgo, writeJournal } from '../support/journal-writer.js';
import { type LokiReceiver, startLokiReceiver } from '../support/loki-receiver.js';

/** The address a source logged it listens on (`syslog listening on address`, `push server listening`). */
async function listenPort(agent: AgentProcess, what: RegExp): Promise<number> {
  const line = await agent.waitForLog(new RegExp(`${what.source}.*address="?\\S+:(\\d+)`));
  return Number(/:(\d+)"?$/.exec(line)![1]);
}

/** The journal cursor saved in a positions file under Promtail's key. */
function savedCursor(positionsFile: string, job: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(positionsFile, 'utf8');
  } catch {
    return undefined;
  }
  const doc = parseYaml(text) as { positions?: Record<string, string> } | null;
  return doc?.positions?.[`cursor-${job}`];
}

/** The cursors journalctl gives the entries of a directory, in order. */
function cursors(dir: string): string[] {
  const out = execFileSync('journalctl', ['-D', dir, '--merge', '--output=export', '--no-pager'], {
    maxBuffer: 256 * 1024 * 1024,
  });
  return out
    .toString('latin1')
    .split('\n')
    .filter((l) => l.startsWith('__CURSOR='))
    .map((l) => l.slice('__CURSOR='.length));
}

const journalJob = (journalDir: string) =>
  [
    '  - job_name: systemd',
    '    journal:',
    `      path: ${journalDir}`,
    '      max_age: 1h',
    '      labels:',
    '        job: systemd-journal',
    '    relabel_configs:',
    '      - source_labels: [__journal__systemd_unit]',
    '        target_label: unit',
    '      - source_labels: [__journal_priority_keyword]',
    '        target_label: level',
  ].join('\n');

const unitEntry = (i: number, t: bigint): ExportEntry => ({
  realtimeUs: t,
  fields: [
    ['MESSAGE', `entry ${i}`],
    ['PRIORITY', String(i % 8)],
    ['_SYSTEMD_UNIT', i % 2 ? 'ssh.service' : 'cron.service'],
    ['SYSLOG_IDENTIFIER', 'test'],
  ],
});

const keywords = ['emerg', 'alert', 'crit', 'error', 'warning', 'notice', 'info', 'debug'];

describe('sources through the CLI', () => {
  let loki: LokiReceiver;
  before(async () => {
    loki = await startLokiReceiver();
  });
  after(() => loki.close());

  it('journal: exact labels, lines and timestamps; SIGTERM and restart loses and repeats nothing', async () => {
    const { dir, cleanup } = tempDir();
    const agents: AgentProcess[] = [];
    try {
      const journalDir = join(dir, 'journal');
      const t0 = usAgo(60_000);
      const first = Array.from({ length: 20 }, (_, i) => unitEntry(i, t0 + BigInt(i) * 1000n));
      first.push({
        realtimeUs: t0 + 50_000n,
        fields: [
          ['MESSAGE', 'line one\nline two'],
          ['PRIORITY', '3'],
          ['_SYSTEMD_UNIT', 'app.service'],
        ],
      });
      await writeJournal(journalDir, 'a.journal', first);
      const config = writeConfig({ dir, lokiUrl: loki.url, scrapeConfigs: journalJob(journalDir) });
      const mine = () => loki.entries().filter((e) => e.labels.job === 'systemd-journal');

      let agent = runCli([`-config.file=${config}`]);
      agents.push(agent);
      await loki.waitFor(() => mine().length >= 21);
      // A batch groups entries by stream: order them by time again.
      const got = mine().sort((a, b) => (a.timestamp < b.timestamp ? -1 : 1));
      assert.equal(got.length, 21);
      for (let i = 0; i < 20; i++) {
        assert.equal(got[i]!.line, `entry ${i}`);
        assert.deepEqual(got[i]!.labels, {
          job: 'systemd-journal',
          unit: i % 2 ? 'ssh.service' : 'cron.service',
          level: keywords[i % 8]!,
        });
        assert.equal(got[i]!.timestamp, (t0 + BigInt(i) * 1000n) * 1000n);
      }
      assert.equal(got[20]!.line, 'line one\nline two');
      assert.deepEqual(got[20]!.labels, { job: 'systemd-journal', unit: 'app.service', level: 'error' });

      const port = await agent.port();
      const targets = await (await fetch(`http://127.0.0.1:${port}/targets`)).text();
      assert.match(targets, /<b>journal<\/b> · ready/);
      assert.ok(targets.includes(journalDir), '/targets shows the journal path');
      const sd = await (await fetch(`http://127.0.0.1:${port}/service-discovery`)).text();
      assert.match(sd, /Configured by its journal block/);

      assert.equal(await agent.stop('SIGTERM'), 0);
      const all = cursors(journalDir);
      assert.equal(savedCursor(join(dir, 'positions.yaml'), 'systemd'), all[all.length - 1]);

      // While it is down, more entries are written; the restart ships exactly those.
      const t1 = usAgo(30_000);
      await writeJournal(
        journalDir,
        'b.journal',
        Array.from({ length: 5 }, (_, i) => unitEntry(100 + i, t1 + BigInt(i) * 1000n)),
      );
      agent = runCli([`-config.file=${config}`]);
      agents.push(agent);
      await loki.waitFor(() => mine().length >= 26);
      assert.equal(await agent.stop('SIGTERM'), 0);
      assert.deepEqual(
        mine()
          .slice(21)
          .map((e) => e.line)
          .sort(),
        ['entry 100', 'entry 101', 'entry 102', 'entry 103', 'entry 104'],
      );
    } finally {
      for (const a of agents) await a.stop('SIGKILL');
      cleanup();
    }
  });

  it('journal: SIGKILL while shipping, then a restart resumes just after the saved cursor', async () => {
    const { dir, cleanup } = tempDir();
    const slow = await startLokiReceiver({ responder: () => ({ delayMs: 50 }) });
    const agents: AgentProcess[] = [];
    try {
      const journalDir = join(dir, 'journal');
      const count = 6000;
      const t0 = usAgo(600_000);
      await writeJournal(
        journalDir,
        'a.journal',
        Array.from({ length: count }, (_, i) => unitEntry(i, t0 + BigInt(i))),
      );
      const all = cursors(journalDir);
      assert.equal(all.length, count);
      const config = writeConfig({
        dir,
        lokiUrl: slow.url,
        client: '    batchsize: 1024',
        scrapeConfigs: journalJob(journalDir),
      });
      const agent = runCli([`-config.file=${config}`]);
      agents.push(agent);
      await slow.waitFor((r) => r.entries().length >= count / 4);
      // Wait for the positions file to hold a cursor, then kill without warning.
      await slow.waitFor(() => savedCursor(join(dir, 'positions.yaml'), 'systemd') !== undefined);
      agent.child.kill('SIGKILL');
      await agent.exited;
      // Requests whose body arrived before the kill are still answered (50 ms later): count them
      // as received before the restart (the killed agent never saw them acknowledged).
      await slow.waitFor((r) => r.requests.length === r.arrived());
      const before = slow.entries().map((e) => e.line);
      const cursor = savedCursor(join(dir, 'positions.yaml'), 'systemd');
      const k = all.indexOf(cursor!);
      assert.ok(k >= 0 && k < count - 1, `saved cursor is one of the entries and not the last (index ${k})`);
      // Every entry up to the saved cursor was acknowledged before the kill.
      const seen = new Set(before);
      for (let i = 0; i <= k; i++)
        assert.ok(seen.has(`entry ${i}`), `entry ${i} acknowledged before the kill`);

      const again = runCli([`-config.file=${config}`]);
      agents.push(again);
      await slow.waitFor((r) => r.entries().some((e) => e.line === `entry ${count - 1}`), 60_000);
      assert.equal(await again.stop('SIGTERM'), 0);
      const number = (line: string) => Number(line.slice('entry '.length));
      const after = slow
        .entries()
        .slice(before.length)
        .map((e) => e.line)
        .sort((a, b) => number(a) - number(b));
      // The restart starts just after the saved cursor: re-sent are only entries the position had
      // not passed (in flight at the kill), each once, and nothing is lost.
      assert.deepEqual(
        after,
        Array.from({ length: count - k - 1 }, (_, i) => `entry ${k + 1 + i}`),
      );
      const resent = after.filter((l) => seen.has(l)).length;
      process.stdout.write(`# SIGKILL: saved cursor at entry ${k}, ${resent} entries re-sent\n`);
    } finally {
      for (const a of agents) await a.stop('SIGKILL');
      await slow.close();
      cleanup();
    }
  });

  it('syslog: TCP (octet counting and newline framing) and UDP messages reach Loki; garbage keeps it up', async () => {
    const { dir, cleanup } = tempDir();
    let agent: AgentProcess | undefined;
    try {
      const syslogJob = (name: string, protocol: string) =>
        [
          `  - job_name: ${name}`,
          '    syslog:',
          '      listen_address: 127.0.0.1:0',
          `      listen_protocol: ${protocol}`,
          '      idle_timeout: 2s',
          '      label_structured_data: true',
          '      use_incoming_timestamp: true',
          '      labels:',
          `        job: ${name}`,
          '    relabel_configs:',
          '      - source_labels: [__syslog_message_hostname]',
          '        target_label: host',
          '      - source_labels: [__syslog_message_app_name]',
          '        target_label: app',
          '      - source_labels: [__syslog_message_severity]',
          '        target_label: level',
          '      - source_labels: [__syslog_message_sd_origin_ip]',
          '        target_label: origin',
        ].join('\n');
      const config = writeConfig({
        dir,
        lokiUrl: loki.url,
        scrapeConfigs: `${syslogJob('syslog-tcp', 'tcp')}\n${syslogJob('syslog-udp', 'udp')}`,
      });
      agent = runCli([`-config.file=${config}`]);
      const tcpLine = await agent.waitForLog(/syslog listening on address.*protocol=tcp/);
      const udpLine = await agent.waitForLog(/syslog listening on address.*protocol=udp/);
      const portOf = (l: string) => Number(/address="?[\d.]+:(\d+)/.exec(l)![1]);
      const msg1 = '<34>1 2024-05-01T10:00:00.123456Z web1 sshd 812 ID47 [origin ip="10.0.0.1"] Accepted key';
      const msg2 = '<13>1 2024-05-01T10:00:01Z web2 cron - - - second message';
      const tcp = connect(portOf(tcpLine), '127.0.0.1');
      await new Promise((r) => tcp.once('connect', r));
      tcp.end(`${Buffer.byteLength(msg1)} ${msg1}${Buffer.byteLength(msg2)} ${msg2}`);
      const lf = connect(portOf(tcpLine), '127.0.0.1');
      await new Promise((r) => lf.once('connect', r));
      lf.end('<165>1 2024-05-01T10:00:02Z web3 app - - - newline framed\n');
      const udp = createSocket('udp4');
      await new Promise<void>((r) =>
        udp.send('<14>1 2024-05-01T10:00:03Z web4 udpapp - - - over udp', portOf(udpLine), '127.0.0.1', () =>
          r(),
        ),
      );
      // Hostile: garbage, a never-ending frame, an oversized octet count, junk datagrams.
      const junk = connect(portOf(tcpLine), '127.0.0.1');
      junk.on('error', () => {});
      junk.write('\x00\xff garbage that is not syslog\n');
      const huge = connect(portOf(tcpLine), '127.0.0.1');
      huge.on('error', () => {});
      huge.write('99999999999 <1>1 ');
      for (let i = 0; i < 50; i++) udp.send(Buffer.from([0xff, 0, i]), portOf(udpLine), '127.0.0.1');
      await loki.waitFor((r) => r.entries().filter((e) => e.labels.job?.startsWith('syslog-')).length >= 4);
      udp.close();
      const got = loki.entries().filter((e) => e.labels.job?.startsWith('syslog-'));
      const byLine = new Map(got.map((e) => [e.line, e]));
      assert.deepEqual(byLine.get('Accepted key')!.labels, {
        job: 'syslog-tcp',
        host: 'web1',
        app: 'sshd',
        level: 'critical',
        origin: '10.0.0.1',
      });
      assert.equal(byLine.get('Accepted key')!.timestamp, 1714557600123456000n);
      assert.deepEqual(byLine.get('second message')!.labels, {
        job: 'syslog-tcp',
        host: 'web2',
        app: 'cron',
        level: 'notice',
      });
      assert.deepEqual(byLine.get('newline framed')!.labels, {
        job: 'syslog-tcp',
        host: 'web3',
        app: 'app',
        level: 'notice',
      });
      assert.deepEqual(byLine.get('over udp')!.labels, {
        job: 'syslog-udp',
        host: 'web4',
        app: 'udpapp',
        level: 'informational',
      });
      assert.equal(byLine.get('over udp')!.timestamp, 1714557603000000000n);

      const port = await agent.port();
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      assert.match(metrics, /promtail_syslog_target_parsing_errors_total [1-9]/);
      assert.match(metrics, /promtail_syslog_target_entries_total 4/);
      const targets = await (await fetch(`http://127.0.0.1:${port}/targets`)).text();
      assert.equal((targets.match(/<b>syslog<\/b> · ready/g) ?? []).length, 2);
      assert.equal((await fetch(`http://127.0.0.1:${port}/ready`)).status, 200);
      junk.destroy();
      huge.destroy();
      assert.equal(await agent.stop('SIGTERM'), 0);
    } finally {
      await agent?.stop('SIGKILL');
      cleanup();
    }
  });

  it('push: a protobuf batch and a JSON batch are forwarded; bad bodies are refused and it stays up', async () => {
    const { dir, cleanup } = tempDir();
    let agent: AgentProcess | undefined;
    try {
      const config = writeConfig({
        dir,
        lokiUrl: loki.url,
        scrapeConfigs: [
          '  - job_name: push',
          '    loki_push_api:',
          '      server:',
          '        http_listen_address: 127.0.0.1',
          '        http_listen_port: 0',
          '        grpc_listen_port: 0',
          '      use_incoming_timestamp: true',
          '      labels:',
          '        pushserver: push1',
          '    relabel_configs:',
          '      - source_labels: [__name__]',
          '        target_label: metric',
        ].join('\n'),
      });
      agent = runCli([`-config.file=${config}`]);
      const pushPort = await listenPort(agent, /push server listening/);
      const base = `http://127.0.0.1:${pushPort}`;
      const proto = compress(
        encodePushRequest([
          {
            labels: '{app="web", env="prod"}',
            entries: [
              {
                labels: {},
                timestamp: 1714557600000000001n,
                line: 'proto one',
                extracted: {},
                structuredMetadata: { trace_id: 'abc' },
              },
              { labels: {}, timestamp: 1714557600000000002n, line: 'proto two', extracted: {} },
            ],
          },
        ]),
      );
      const r1 = await fetch(`${base}/loki/api/v1/push`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-protobuf' },
        body: proto,
      });
      assert.equal(r1.status, 204);
      const r2 = await fetch(`${base}/loki/api/v1/push`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          streams: [
            { stream: { app: 'api', pushserver: 'other' }, values: [['1714557601000000000', 'json one']] },
          ],
        }),
      });
      assert.equal(r2.status, 204);
      // Hostile: a snappy header declaring 4 GiB (413), broken JSON and junk (400): nothing forwarded.
      for (const [type, body, status] of [
        ['application/x-protobuf', Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2, 3]), 413],
        ['application/json', Buffer.from('{"streams":[{"stream":'), 400],
        ['application/x-protobuf', Buffer.from('garbage'), 400],
      ] as const) {
        const r = await fetch(`${base}/loki/api/v1/push`, {
          method: 'POST',
          headers: { 'Content-Type': type },
          body,
        });
        assert.equal(r.status, status);
        await r.text();
      }
      await loki.waitFor((r) => r.entries().filter((e) => e.labels.pushserver === 'push1').length >= 3);
      const got = loki.entries().filter((e) => e.labels.pushserver === 'push1');
      assert.equal(got.length, 3);
      assert.deepEqual(
        got.map((e) => [e.line, e.timestamp]),
        [
          ['proto one', 1714557600000000001n],
          ['proto two', 1714557600000000002n],
          ['json one', 1714557601000000000n],
        ],
      );
      assert.deepEqual(got[0]!.labels, { app: 'web', env: 'prod', pushserver: 'push1' });
      assert.deepEqual(got[0]!.structuredMetadata, { trace_id: 'abc' });
      assert.deepEqual(got[2]!.labels, { app: 'api', pushserver: 'push1' });

      const port = await agent.port();
      const targets = await (await fetch(`http://127.0.0.1:${port}/targets`)).text();
      assert.match(targets, /<b>Loki push API<\/b> · ready/);
      assert.equal((await fetch(`${base}/ready`)).status, 200);
      assert.equal(await agent.stop('SIGTERM'), 0);
    } finally {
      await agent?.stop('SIGKILL');
      cleanup();
    }
  });

  it('a listener that cannot bind stops the start naming the job; a reload rebinds the same port', async () => {
    const { dir, cleanup } = tempDir();
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const taken = (blocker.address() as AddressInfo).port;
    let agent: AgentProcess | undefined;
    try {
      const busy = writeConfig({
        dir,
        lokiUrl: loki.url,
        scrapeConfigs: [
          '  - job_name: busy',
          '    loki_push_api:',
          `      server: {http_listen_address: 127.0.0.1, http_listen_port: ${taken}}`,
        ].join('\n'),
      });
      const failed = runCli([`-config.file=${busy}`]);
      assert.equal(await failed.exited, 1);
      assert.match(failed.stderr, /job busy: loki_push_api cannot listen on 127\.0\.0\.1:\d+: .*EADDRINUSE/);
      await new Promise<void>((r) => blocker.close(() => r()));

      // The freed port, now the job's own: a SIGHUP reload stops the listener and binds it again.
      const config = writeConfig({
        dir,
        lokiUrl: loki.url,
        scrapeConfigs: [
          '  - job_name: reload',
          '    loki_push_api:',
          `      server: {http_listen_address: 127.0.0.1, http_listen_port: ${taken}}`,
          '      labels: {pushserver: reload}',
        ].join('\n'),
      });
      agent = runCli([`-config.file=${config}`]);
      await agent.waitForLog(/push server listening/);
      const push = (line: string) =>
        fetch(`http://127.0.0.1:${taken}/promtail/api/v1/raw`, { method: 'POST', body: `${line}\n` });
      assert.equal((await push('before reload')).status, 204);
      agent.child.kill('SIGHUP');
      await agent.waitForLog(/config reloaded/);
      assert.equal((await push('after reload')).status, 204);
      await loki.waitFor((r) => r.entries().filter((e) => e.labels.pushserver === 'reload').length >= 2);
      assert.deepEqual(
        loki
          .entries()
          .filter((e) => e.labels.pushserver === 'reload')
          .map((e) => e.line),
        ['before reload', 'after reload'],
      );
      assert.equal(await agent.stop('SIGTERM'), 0);
    } finally {
      blocker.close();
      await agent?.stop('SIGKILL');
      cleanup();
    }
  });
});
