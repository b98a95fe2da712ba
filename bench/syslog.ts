// `npm run bench:syslog`: one TCP connection sends N syslog messages (a child process) to a
// syslog target in this process; prints messages/s, CPU seconds and peak RSS of the receiving
// process, and checks that every message arrived exactly once.
//
//   npm run bench:syslog -- --messages 1000000 --framing octet|lf --config plain,relabel,sd

import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigNode } from '../src/config/reader.js';
import { silentLogger } from '../src/log.js';
import { createMetrics } from '../src/metrics.js';
import { InFlightBudget } from '../src/positions/acks.js';
import { PositionStore } from '../src/positions/store.js';
import { parseRelabelRules } from '../src/relabel/relabel.js';
import { parseSyslogConfig } from '../src/targets/syslog/config.js';
import { SyslogTarget } from '../src/targets/syslog/syslog-target.js';
import type { Entry } from '../src/types.js';
import { arg } from './args.js';

const configs: Record<string, { syslog: string; relabel: string }> = {
  // Only the job's labels: the `__syslog_*` labels are never built.
  plain: { syslog: 'labels: {job: syslog}', relabel: '' },
  // Typical relabeling: hostname, app and severity become labels.
  relabel: {
    syslog: 'labels: {job: syslog}',
    relabel: [
      '- source_labels: [__syslog_message_hostname]',
      '  target_label: host',
      '- source_labels: [__syslog_message_app_name]',
      '  target_label: app',
      '- source_labels: [__syslog_message_severity]',
      '  target_label: level',
    ].join('\n'),
  },
  // Structured data labels and the message's own timestamp.
  sd: {
    syslog: 'labels: {job: syslog}\nlabel_structured_data: true\nuse_incoming_timestamp: true',
    relabel: '- action: labelmap\n  regex: __syslog_message_sd_(.+)\n',
  },
};

function message(i: number): string {
  return `<165>1 2024-05-06T07:08:09.123456Z web-${i % 8} nginx ${1000 + (i % 50)} access [meta@1 shard="${i % 4}"] GET /index.html?q=${i % 97} HTTP/1.1 200 1534 seq=${i}`;
}

/**
 * The sender: builds every frame first, then (on "go" from the receiver) writes them on one
 * connection, respecting backpressure, so that its own work is not part of the measured time.
 */
async function send(port: number, count: number, framing: string): Promise<void> {
  const chunks: Buffer[] = [];
  const batch = 1000;
  for (let i = 0; i < count; ) {
    let text = '';
    const end = Math.min(count, i + batch);
    for (; i < end; i++) {
      const m = message(i);
      text += framing === 'lf' ? `${m}\n` : `${Buffer.byteLength(m)} ${m}`;
    }
    chunks.push(Buffer.from(text));
  }
  const socket = connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  await new Promise<void>((resolve) => {
    process.once('message', () => resolve());
    process.send!('ready');
  });
  for (const chunk of chunks) {
    if (!socket.write(chunk)) await new Promise<void>((resolve) => socket.once('drain', resolve));
  }
  await new Promise<void>((resolve) => socket.end(resolve));
  process.disconnect();
}

async function run(name: string, count: number, framing: string): Promise<boolean> {
  const { syslog, relabel } = configs[name]!;
  const config = parseSyslogConfig(ConfigNode.parse(`listen_address: 127.0.0.1:0\n${syslog}`, 'bench.yaml'));
  const relabelConfigs = relabel ? parseRelabelRules(ConfigNode.parse(relabel, 'bench.yaml')) : [];
  const seen = new Uint8Array(count);
  let received = 0;
  let duplicates = 0;
  let done: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    done = resolve;
  });
  const dir = mkdtempSync(join(tmpdir(), 'logferry-bench-syslog-'));
  // The pipeline and clients are not measured: the sink checks and releases each entry at once.
  const sink = (e: Entry) => {
    const seq = Number(e.line.slice(e.line.lastIndexOf('=') + 1));
    if (seen[seq]) duplicates++;
    seen[seq] = 1;
    e.delivery?.release();
    if (++received === count) done();
  };
  const target = new SyslogTarget(
    config,
    {
      jobName: 'bench',
      relabelConfigs,
      sink,
      positions: new PositionStore({ filename: join(dir, 'positions.yaml') }),
      logger: silentLogger,
      metrics: createMetrics(),
    },
    new InFlightBudget(),
  );
  await target.start();
  const port = target.address().port;
  const sender = fork(
    import.meta.filename,
    ['--sender', String(port), '--messages', String(count), '--framing', framing],
    { execArgv: ['--import', 'tsx'] },
  );
  await new Promise<void>((resolve) => sender.once('message', () => resolve()));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  sender.send('go');
  await finished;
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await new Promise<void>((resolve) => sender.once('exit', () => resolve()));
  await target.stop();
  rmSync(dir, { recursive: true, force: true });
  let missing = 0;
  for (let i = 0; i < count; i++) if (!seen[i]) missing++;
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const peakRss = process.resourceUsage().maxRSS / 1024;
  const ok = missing === 0 && duplicates === 0;
  console.log(
    [
      `${name.padEnd(8)} ${framing.padEnd(5)}`,
      `${Math.round(count / seconds).toLocaleString('en')} msg/s`,
      `${Math.round(count / cpuSeconds).toLocaleString('en')} msg per CPU-s`,
      `CPU ${cpuSeconds.toFixed(2)} s in ${seconds.toFixed(2)} s`,
      `peak RSS ${peakRss.toFixed(0)} MiB`,
      `received ${received}/${count}, missing ${missing}, duplicates ${duplicates}${ok ? '' : '  FAILED'}`,
    ].join(' | '),
  );
  return ok;
}

if (process.argv.includes('--sender')) {
  await send(Number(arg('sender', '0')), Number(arg('messages', '0')), arg('framing', 'octet'));
} else {
  const count = Number(arg('messages', '1000000'));
  const framings = arg('framing', 'octet,lf').split(',');
  let ok = true;
  for (const name of arg('config', 'plain,relabel,sd').split(',')) {
    for (const framing of framings) ok = (await run(name, count, framing)) && ok;
  }
  process.exitCode = ok ? 0 : 1;
}
