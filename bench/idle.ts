// The idle scenario of `npm run bench`: N CRI files, each with a few lines, are shipped; then the
// agent waits. Measured: its share of one core over BENCH_IDLE_SECONDS (default 60) of
// idleness (CPU seconds from /proc, so load elsewhere does not count), RSS, open fds, inotify
// watches, and the latency from the append of a line to an idle file to its arrival at the
// receiver (p50/p99 over a line every 100 ms for 20 s).

import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLokiReceiver } from '../test/support/loki-receiver.js';
import {
  percentile,
  procCpuSeconds,
  procFds,
  procInotifyWatches,
  procPeakRssMiB,
  procRssMiB,
} from '../test/support/proc.js';
import { criLine, sleep, spawnAgent, stopAgent, writePodsConfig } from './agent.js';

export interface IdleOptions {
  agentArgs: (configFile: string) => string[];
  counts: number[];
}

export async function runIdle(opts: IdleOptions): Promise<void> {
  const idleSeconds = Number(process.env.BENCH_IDLE_SECONDS ?? 60);
  for (const n of opts.counts) {
    const work = mkdtempSync(join(tmpdir(), 'logferry-bench-idle-'));
    const loki = await startLokiReceiver();
    const files: string[] = [];
    for (let i = 0; i < n; i++) {
      const dir = join(work, 'pods', `ns_pod-${i}_uid-${i}`, 'app');
      mkdirSync(dir, { recursive: true });
      const file = join(dir, '0.log');
      writeFileSync(file, criLine(`hello ${i} a`) + criLine(`hello ${i} b`) + criLine(`hello ${i} c`));
      files.push(file);
    }
    const configFile = writePodsConfig({
      work,
      url: loki.url,
      path: `${work}/pods/*/*/*.log`,
      job: 'idle',
      stages: '      - cri: {}',
    });
    const agent = spawnAgent(opts.agentArgs(configFile));
    try {
      const started = Date.now();
      await loki.waitFor((r) => r.entries().length >= 3 * n, 600_000);
      const shipS = (Date.now() - started) / 1000;
      await sleep(5000); // start-up work (positions sync, first polls) settles
      const pid = agent.pid!;
      const cpu0 = procCpuSeconds(pid);
      const t0 = Date.now();
      await sleep(idleSeconds * 1000);
      const cpu = procCpuSeconds(pid) - cpu0;
      const wall = (Date.now() - t0) / 1000;
      const rss = procRssMiB(pid);
      const fds = procFds(pid);
      const watches = procInotifyWatches(pid);
      const load = loadavg()[0]!;

      // Latency: a line every 100 ms to an idle file, arrival seen as each push comes in.
      const sent = new Map<string, number>();
      const latencies: number[] = [];
      let scanned = loki.entries().length;
      const samples = 200;
      const arrivals = loki.waitFor((r) => {
        const entries = r.entries();
        for (; scanned < entries.length; scanned++) {
          const t = sent.get(entries[scanned]!.line);
          if (t !== undefined) latencies.push(Date.now() - t);
        }
        return latencies.length >= samples;
      }, 60_000);
      for (let i = 0; i < samples; i++) {
        const line = `lat=${i}`;
        sent.set(line, Date.now());
        appendFileSync(files[(i * 7919) % n]!, criLine(line));
        await sleep(100);
      }
      await arrivals.catch(() => {});
      console.log(
        [
          `scenario=idle files=${n}`,
          `cpu_share=${((100 * cpu) / wall).toFixed(2)}%`,
          `cpu_s=${cpu.toFixed(2)}/${wall.toFixed(0)}s`,
          `rss_MiB=${rss.toFixed(0)}`,
          `peak_rss_MiB=${procPeakRssMiB(pid).toFixed(0)}`,
          `fds=${fds}`,
          `inotify_watches=${watches}`,
          `latency_p50_ms=${percentile(latencies, 50)}`,
          `latency_p99_ms=${percentile(latencies, 99)}`,
          `latency_samples=${latencies.length}/${samples}`,
          `initial_ship_s=${shipS.toFixed(1)}`,
          `load=${load.toFixed(2)}`,
        ].join(' '),
      );
    } finally {
      await stopAgent(agent);
      await loki.close();
      rmSync(work, { recursive: true, force: true });
    }
  }
}
