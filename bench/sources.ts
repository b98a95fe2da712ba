// End-to-end throughput of the journal, syslog and push sources through the built CLI
// (dist/cli.js): N entries in, counted at a test Loki receiver; prints entries/s (first to last
// entry received), the agent's CPU seconds and peak RSS. Run after `npm run build`:
//   node --import tsx bench/sources.ts [--entries 100000] [--kind journal,syslog,push]

import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { compress, encodePushRequest } from '../src/client/encode.js';
import { type AgentProcess, runCli, tempDir, writeConfig } from '../test/support/agent-process.js';
import { type ExportEntry, usAgo, writeJournal } from '../test/support/journal-writer.js';
import { type LokiReceiver, startLokiReceiver } from '../test/support/loki-receiver.js';

const args = process.argv.slice(2);
const arg = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : fallback;
};
const total = Number(arg('entries', '100000'));
const kinds = arg('kind', 'journal,syslog,push').split(',');

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
function peakRssMiB(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

async function measure(
  kind: string,
  scrape: string,
  feed: (agent: AgentProcess) => Promise<void>,
  dir: string,
  loki: LokiReceiver,
): Promise<void> {
  const config = writeConfig({
    dir,
    lokiUrl: loki.url,
    scrapeConfigs: scrape,
    client: '    batchsize: 1048576',
  });
  const agent = runCli([`-config.file=${config}`]);
  try {
    await agent.port();
    const cpu0 = cpuSeconds(agent.child.pid!);
    const before = loki.entries().length;
    let first = 0;
    const started = Date.now();
    const feeding = feed(agent);
    await loki.waitFor((r) => {
      if (!first && r.entries().length > before) first = Date.now();
      return r.entries().length >= before + total;
    }, 300_000);
    await feeding;
    const end = Date.now();
    const cpu = cpuSeconds(agent.child.pid!) - cpu0;
    const secs = (end - (first || started)) / 1000;
    process.stdout.write(
      `${kind.padEnd(8)} ${total} entries: ${Math.round(total / secs)} entries/s (first to last received, ${secs.toFixed(2)} s; ${((end - started) / 1000).toFixed(2)} s from the first sent), agent CPU ${cpu.toFixed(2)} s, peak RSS ${peakRssMiB(agent.child.pid!).toFixed(0)} MiB\n`,
    );
  } finally {
    await agent.stop('SIGTERM');
  }
}

const loki = await startLokiReceiver();
try {
  if (kinds.includes('journal')) {
    const { dir, cleanup } = tempDir();
    const t0 = usAgo(1_800_000);
    const entries: ExportEntry[] = Array.from({ length: total }, (_, i) => ({
      realtimeUs: t0 + BigInt(i),
      fields: [
        [
          'MESSAGE',
          `I1206 02:49:00.000000 1234 kubelet.go:2000] "SyncLoop (PLEG)" seq=${i} pod="default/web-${i % 50}"`,
        ],
        ['PRIORITY', '6'],
        ['SYSLOG_IDENTIFIER', 'kubelet'],
        ['_SYSTEMD_UNIT', 'kubelet.service'],
        ['_HOSTNAME', 'node-1'],
        ['_PID', '1234'],
        ['_TRANSPORT', 'stdout'],
      ],
    }));
    await writeJournal(join(dir, 'journal'), 'a.journal', entries);
    await measure(
      'journal',
      [
        '  - job_name: journal',
        '    journal:',
        `      path: ${join(dir, 'journal')}`,
        '      max_age: 1h',
        '      labels: {job: systemd-journal}',
        '    relabel_configs:',
        '      - {source_labels: [__journal__systemd_unit], target_label: unit}',
        '      - {source_labels: [__journal_priority_keyword], target_label: level}',
      ].join('\n'),
      async () => {},
      dir,
      loki,
    );
    cleanup();
  }
  if (kinds.includes('syslog')) {
    const { dir, cleanup } = tempDir();
    await measure(
      'syslog',
      [
        '  - job_name: syslog',
        '    syslog: {listen_address: "127.0.0.1:0", labels: {job: syslog}}',
        '    relabel_configs:',
        '      - {source_labels: [__syslog_message_hostname], target_label: host}',
        '      - {source_labels: [__syslog_message_app_name], target_label: app}',
      ].join('\n'),
      async (agent) => {
        const line = await agent.waitForLog(/syslog listening on address.*?address="?[\d.]+:\d+/);
        const port = Number(/address="?[\d.]+:(\d+)/.exec(line)![1]);
        const socket = connect(port, '127.0.0.1');
        await new Promise((r) => socket.once('connect', r));
        const chunk: string[] = [];
        for (let i = 0; i < total; i++) {
          const msg = `<165>1 2024-05-01T10:00:00.000Z host-${i % 10} app - - - request handled seq=${i} status=200`;
          chunk.push(`${Buffer.byteLength(msg)} ${msg}`);
          if (chunk.length === 1000) {
            if (!socket.write(chunk.join(''))) await new Promise((r) => socket.once('drain', r));
            chunk.length = 0;
          }
        }
        socket.end(chunk.join(''));
      },
      dir,
      loki,
    );
    cleanup();
  }
  if (kinds.includes('push')) {
    const { dir, cleanup } = tempDir();
    await measure(
      'push',
      [
        '  - job_name: push',
        '    loki_push_api:',
        '      server: {http_listen_address: 127.0.0.1, http_listen_port: 0}',
        '      labels: {pushserver: p1}',
      ].join('\n'),
      async (agent) => {
        const line = await agent.waitForLog(/push server listening.*?address="?[\d.]+:\d+/);
        const port = Number(/address="?[\d.]+:(\d+)/.exec(line)![1]);
        for (let b = 0; b < total / 1000; b++) {
          const body = compress(
            encodePushRequest([
              {
                labels: `{app="web", instance="${b % 4}"}`,
                entries: Array.from({ length: 1000 }, (_, i) => ({
                  labels: {},
                  timestamp: BigInt(Date.now()) * 1_000_000n + BigInt(i),
                  line: `{"level":"info","msg":"request handled","seq":${b * 1000 + i}}`,
                  extracted: {},
                })),
              },
            ]),
          );
          for (;;) {
            const r = await fetch(`http://127.0.0.1:${port}/loki/api/v1/push`, {
              method: 'POST',
              headers: { 'Content-Type': 'application/x-protobuf' },
              body,
            });
            await r.arrayBuffer();
            if (r.status === 204) break;
            if (r.status !== 429) throw new Error(`push answered ${r.status}`);
            await new Promise((res) => setTimeout(res, 20));
          }
        }
      },
      dir,
      loki,
    );
    cleanup();
  }
} finally {
  await loki.close();
}
