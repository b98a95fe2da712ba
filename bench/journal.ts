// Reading speed of the journal source: writes a journal of N entries (default 100k) with
// systemd-journal-remote, then reads it through JournalTarget (journalctl --output=export, the
// parser, labels, relabeling) into a sink that releases each entry at once, as a client that keeps
// up would. Prints entries/s, CPU seconds of node and of journalctl, and node's peak RSS.
//
//   node --import tsx bench/journal.ts [--entries 100000]

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { ConfigNode } from '../src/config/reader.js';
import { silentLogger } from '../src/log.js';
import { createMetrics } from '../src/metrics.js';
import { PositionStore } from '../src/positions/store.js';
import { parseRelabelRules } from '../src/relabel/relabel.js';
import { parseJournalConfig } from '../src/targets/journal/config.js';
import { JournalTarget } from '../src/targets/journal/journal-target.js';
import { type ExportEntry, writeJournal } from '../test/support/journal-writer.js';

const i = process.argv.indexOf('--entries');
const total = i > 0 ? Number(process.argv[i + 1]) : 100_000;
const dir = process.argv.includes('--write') ? '' : mkdtempSync(join(tmpdir(), 'logferry-bench-journal-'));

function cpuOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

function children(): number[] {
  const text = readFileSync(`/proc/${process.pid}/task/${process.pid}/children`, 'utf8').trim();
  return text ? text.split(' ').map(Number) : [];
}

/** Runs in a child process, so that the generated input does not count in the reader's RSS. */
async function write(journalDir: string): Promise<void> {
  const units = ['ssh.service', 'cron.service', 'kubelet.service', 'containerd.service'];
  const start = BigInt(Date.now() - 3_600_000) * 1000n;
  const entries: ExportEntry[] = Array.from({ length: total }, (_, n) => ({
    realtimeUs: start + BigInt(n) * 10n,
    fields: [
      [
        'MESSAGE',
        `I1206 01:02:03.${n} 1234 kubelet.go:2345] "SyncLoop (PLEG): event for pod" pod="default/web-${n % 97}"`,
      ],
      ['PRIORITY', String(n % 8)],
      ['SYSLOG_IDENTIFIER', 'kubelet'],
      ['_SYSTEMD_UNIT', units[n % units.length]!],
      ['_PID', String(1000 + (n % 50))],
      ['_UID', '0'],
      ['_COMM', 'kubelet'],
      ['_HOSTNAME', 'node-1'],
      ['_TRANSPORT', 'stdout'],
    ],
  }));
  await writeJournal(journalDir, 'bench.journal', entries);
}

async function main(): Promise<void> {
  const written = Date.now();
  execFileSync(
    process.execPath,
    [...process.execArgv, process.argv[1]!, '--entries', String(total), '--write', join(dir, 'journal')],
    {
      stdio: 'inherit',
    },
  );
  console.log(`wrote ${total} entries in ${((Date.now() - written) / 1000).toFixed(1)} s`);

  const node = ConfigNode.parse(
    `job_name: bench
journal:
  path: ${join(dir, 'journal')}
  max_age: 2h
  labels: {job: systemd-journal}
relabel_configs:
  - source_labels: [__journal__systemd_unit]
    target_label: unit
  - source_labels: [__journal_priority_keyword]
    target_label: level
`,
    'bench.yaml',
  );
  const positions = new PositionStore({ filename: join(dir, 'positions.yaml') });
  let got = 0;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => {
    resolveDone = r;
  });
  const target = new JournalTarget(parseJournalConfig(node.get('journal')), {
    jobName: 'bench',
    relabelConfigs: parseRelabelRules(node.get('relabel_configs')),
    sink: (e) => {
      e.delivery?.release();
      if (++got === total) resolveDone();
    },
    positions,
    logger: silentLogger,
    metrics: createMetrics(new Registry()),
  });
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await target.start();
  const [child] = children();
  await done;
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const childCpu = child ? cpuOf(child) : Number.NaN;
  await target.stop();
  await positions.stop();
  const rss = Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) / 1024;
  console.log(
    `load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  console.log(
    `read ${got} entries in ${seconds.toFixed(2)} s: ${Math.round(got / seconds)} entries/s; ` +
      `CPU node ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s, journalctl ${childCpu.toFixed(2)} s; ` +
      `peak RSS node ${rss.toFixed(0)} MiB `,
  );
  rmSync(dir, { recursive: true, force: true });
}

const w = process.argv.indexOf('--write');
void (w > 0 ? write(process.argv[w + 1]!) : main());
