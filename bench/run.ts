// `npm run bench`: ships generated CRI pod logs through the built agent (its own process) to a
// counting receiver (another process) and prints MB/s, entries/s, CPU seconds per GiB, peak RSS
// and delivered/expected entries, for each pipeline configuration.
//
//   npm run bench -- --size 1GiB --files 40 --config cri,cri-json-labels
//
// `--agent PATH` runs another build of the CLI (default dist/cli.js), e.g. one compiled to a
// private directory so that concurrent builds of dist/ do not change what is measured.
// `--binary PATH` runs a self-contained executable instead (`npm run package`'s logferry, its
// node flags built in).
// `--repeat N` runs each configuration N times and prints the median of each figure last.
// `--wal` runs the agent with the disk buffer on (`wal:` in the run's work directory).
//
//   npm run bench -- --scenario idle --idle-files 10,1000      (BENCH_IDLE_SECONDS, default 60)
//   npm run bench -- --scenario churn                          (BENCH_CHURN_MINUTES, default 10)
//
// `--scenario` picks among throughput, idle and churn (default: all three, in that order).

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseByteSize } from '../src/config/reader.js';
import { procCpuSeconds, procPeakRssMiB } from '../test/support/proc.js';
import {
  agentArgs,
  type ReceiverStats,
  sleep,
  spawnAgent,
  startReceiver,
  stopAgent,
  writePodsConfig,
} from './agent.js';
import { arg } from './args.js';
import { runChurn } from './churn.js';
import { generate, type Manifest } from './generate.js';
import { runIdle } from './idle.js';

const configs: Record<string, string> = {
  cri: '      - cri: {}',
  'cri-json-labels': [
    '      - cri: {}',
    '      - json:',
    '          expressions:',
    '            level:',
    '      - labels:',
    '          level:',
  ].join('\n'),
};

interface Result {
  ok: boolean;
  mibPerS: number;
  entriesPerS: number;
  cpuPerGiB: number;
  rssMiB: number;
}

async function runOne(name: string, manifest: Manifest, timeoutS: number): Promise<Result> {
  const work = mkdtempSync(join(tmpdir(), 'logferry-bench-run-'));
  const receiver = await startReceiver(manifest);
  const configFile = writePodsConfig({
    work,
    url: receiver.url,
    path: `${manifest.root}/var/log/pods/*/*/*.log`,
    job: 'bench',
    stages: configs[name]!,
    extra: withWal ? ['wal:', '  enabled: true', `  dir: ${join(work, 'wal')}`, '  max_size: 8GiB'] : [],
  });
  const started = Date.now();
  const agent = binaryPath
    ? spawn(binaryPath, [`-config.file=${configFile}`, '-log.level=warn'], {
        stdio: ['ignore', 'inherit', 'inherit'],
      })
    : spawnAgent(agentArgs(agentPath, configFile));
  let stats: ReceiverStats = await receiver.stats();
  let cpu = 0;
  let rss = 0;
  const deadline = started + timeoutS * 1000;
  let lastReport = Date.now();
  while (Date.now() < deadline && agent.exitCode === null) {
    await sleep(250);
    stats = await receiver.stats();
    cpu = procCpuSeconds(agent.pid!);
    rss = procPeakRssMiB(agent.pid!);
    if (stats.missing === 0) break;
    if (Date.now() - lastReport > 5000) {
      lastReport = Date.now();
      process.stderr.write(
        `  ${name}: ${manifest.entries - stats.missing}/${manifest.entries} entries after ${((Date.now() - started) / 1000).toFixed(0)} s\n`,
      );
    }
  }
  await stopAgent(agent);
  // The receiver's own CPU: on a small machine it competes with the agent for cores.
  const receiverCpu = procCpuSeconds(receiver.process.pid!);
  receiver.process.disconnect();
  rmSync(work, { recursive: true, force: true });

  const seconds = (stats.lastEntryAt - started) / 1000;
  const mib = manifest.bytes / 1024 ** 2;
  const gib = manifest.bytes / 1024 ** 3;
  const delivered = manifest.entries - stats.missing;
  const ok = stats.missing === 0 && stats.unknown === 0;
  console.log(
    [
      `config=${name}`,
      `MiB/s=${(mib / seconds).toFixed(1)}`,
      `entries/s=${Math.round(delivered / seconds)}`,
      `cpu_s_per_GiB=${(cpu / gib).toFixed(1)}`,
      `peak_rss_MiB=${rss.toFixed(0)}`,
      `delivered=${delivered}/${manifest.entries}`,
      `duplicates=${stats.duplicates}`,
      `unknown=${stats.unknown}`,
      `wall_s=${seconds.toFixed(1)}`,
      `cpu_s=${cpu.toFixed(1)}`,
      ok ? 'OK' : 'INCOMPLETE',
    ].join(' '),
  );
  process.stderr.write(
    `  ${name}: receiver cpu_s=${receiverCpu.toFixed(1)}, load ${loadavg()[0]!.toFixed(2)}\n`,
  );
  return {
    ok,
    mibPerS: mib / seconds,
    entriesPerS: delivered / seconds,
    cpuPerGiB: cpu / gib,
    rssMiB: rss,
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const agentPath = arg('agent', 'dist/cli.js');
const binaryPath = arg('binary', '');

/** `--wal`: the disk buffer on (in the run's work directory). */
const withWal = process.argv.includes('--wal');
const scenarios = new Set(arg('scenario', 'throughput,idle,churn').split(','));
let allOk = true;
if (scenarios.has('throughput')) allOk = await runThroughput();
if (scenarios.has('idle')) {
  await runIdle({
    agentArgs: (c) => agentArgs(agentPath, c),
    counts: arg('idle-files', '10,1000,10000').split(',').map(Number),
  });
}
if (scenarios.has('churn')) await runChurn((c) => agentArgs(agentPath, c));
process.exit(allOk ? 0 : 1);

async function runThroughput(): Promise<boolean> {
  const size = parseByteSize(arg('size', '1GiB')) ?? 1024 ** 3;
  const files = Number(arg('files', '40'));
  const root = arg('dir', join(tmpdir(), `logferry-bench-data-${size}-${files}`));
  console.log(
    `generating ${(size / 1024 ** 2).toFixed(0)} MiB over ${files} files in ${root} (cached between runs)`,
  );
  const manifest = generate(root, size, files);
  console.log(`${manifest.entries} entries, ${(manifest.bytes / 1024 ** 2).toFixed(0)} MiB`);
  const repeat = Math.max(1, Number(arg('repeat', '1')));
  const results = new Map<string, Result[]>();
  let allOk = true;
  for (let round = 0; round < repeat; round++) {
    // Configurations interleaved, so a burst of load elsewhere on the machine hits each alike.
    for (const name of arg('config', Object.keys(configs).join(',')).split(',')) {
      const r = await runOne(name, manifest, Number(arg('timeout', '600')));
      allOk = r.ok && allOk;
      results.set(name, [...(results.get(name) ?? []), r]);
    }
  }
  if (repeat > 1) {
    for (const [name, rs] of results) {
      console.log(
        [
          `median config=${name} runs=${rs.length}`,
          `MiB/s=${median(rs.map((r) => r.mibPerS)).toFixed(1)}`,
          `entries/s=${Math.round(median(rs.map((r) => r.entriesPerS)))}`,
          `cpu_s_per_GiB=${median(rs.map((r) => r.cpuPerGiB)).toFixed(1)}`,
          `peak_rss_MiB=${median(rs.map((r) => r.rssMiB)).toFixed(0)}`,
          rs.every((r) => r.ok) ? 'OK' : 'INCOMPLETE',
        ].join(' '),
      );
    }
  }
  return allOk;
}
