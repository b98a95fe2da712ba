// The churn scenario of `npm run bench`: pods are created and deleted at 200 a minute through
// the fake Kubernetes API server (each with a log file that gets a few lines; a deleted pod's
// directory is removed a moment later, as the kubelet does), for BENCH_CHURN_MINUTES (default
// 10), with the default config of k8s/config.yaml. Sampled every 15 s: RSS, open fds and
// inotify watches of the agent, which must stay flat (no leaked watchers, fds, timers, series).

import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import { FakeKubeApi } from '../test/support/fake-kube-api.js';
import { startLokiReceiver } from '../test/support/loki-receiver.js';
import { procCpuSeconds, procFds, procInotifyWatches, procRssMiB } from '../test/support/proc.js';
import { criLine, sleep, spawnAgent, stopAgent } from './agent.js';

const node = 'node-1';

export async function runChurn(agentArgs: (configFile: string) => string[]): Promise<void> {
  const minutes = Number(process.env.BENCH_CHURN_MINUTES ?? 10);
  const perMinute = 200;
  const live = 100;
  const work = mkdtempSync(join(tmpdir(), 'logferry-bench-churn-'));
  const root = join(work, 'pods');
  mkdirSync(root);
  const loki = await startLokiReceiver();
  const api = await FakeKubeApi.start();
  const config = parseYaml(readFileSync(resolve(import.meta.dirname, '../k8s/config.yaml'), 'utf8')) as {
    server: Record<string, unknown>;
    clients: Record<string, unknown>[];
    positions: unknown;
    wal?: Record<string, unknown>;
    scrape_configs: {
      kubernetes_sd_configs: Record<string, unknown>[];
      relabel_configs: { replacement?: unknown }[];
    }[];
  };
  config.server = { ...config.server, http_listen_address: '127.0.0.1', http_listen_port: 0 };
  // The client without the ${LOKI_*} references (the DaemonSet expands them from its environment).
  config.clients[0] = { url: loki.url };
  config.positions = { filename: join(work, 'positions.yaml') };
  if (config.wal) config.wal = { ...config.wal, dir: join(work, 'wal') };
  const job = config.scrape_configs[0]!;
  job.kubernetes_sd_configs[0]!.api_server = api.url;
  for (const rule of job.relabel_configs) {
    if (typeof rule.replacement === 'string')
      rule.replacement = rule.replacement.replace('/var/log/pods', root);
  }
  const configFile = join(work, 'config.yaml');
  writeFileSync(configFile, stringify(config));
  const agent = spawnAgent(agentArgs(configFile), { ...process.env, HOSTNAME: node });
  const pods: { name: string; dir: string }[] = [];
  let created = 0;
  const samples: { t: number; rss: number; fds: number; watches: number }[] = [];
  const pid = agent.pid!;
  try {
    await sleep(2000);
    const started = Date.now();
    const cpu0 = procCpuSeconds(pid);
    const end = started + minutes * 60_000;
    let nextSample = started + 60_000; // the first minute fills the cluster
    while (Date.now() < end) {
      const i = created++;
      const name = `churn-${i}`;
      const uid = `uid-${i}`;
      const dir = join(root, `default_${name}_${uid}`, 'app');
      mkdirSync(dir, { recursive: true });
      appendFileSync(join(dir, '0.log'), criLine(`start ${i}`) + criLine(`work ${i}`));
      api.create('pods', {
        metadata: { name, namespace: 'default', uid, labels: { app: 'churn' } },
        spec: { nodeName: node, containers: [{ name: 'app', image: 'app:1' }] },
        status: { phase: 'Running', podIP: '10.0.0.4', hostIP: '192.168.0.1' },
      });
      pods.push({ name, dir });
      if (pods.length > live) {
        const old = pods.shift()!;
        appendFileSync(join(old.dir, '0.log'), criLine('bye'));
        api.remove('pods', `default/${old.name}`);
        const podDir = resolve(old.dir, '..');
        setTimeout(() => rmSync(podDir, { recursive: true, force: true }), 2000);
      }
      if (Date.now() >= nextSample) {
        nextSample += 15_000;
        samples.push({
          t: (Date.now() - started) / 1000,
          rss: procRssMiB(pid),
          fds: procFds(pid),
          watches: procInotifyWatches(pid),
        });
      }
      await sleep(60_000 / perMinute);
    }
    const cpu = procCpuSeconds(pid) - cpu0;
    const first = samples[0];
    const last = samples.at(-1);
    const max = (k: 'rss' | 'fds' | 'watches') => Math.max(...samples.map((s) => s[k]));
    const fmt = (s: (typeof samples)[number] | undefined) =>
      s ? `rss=${s.rss.toFixed(0)}MiB/fds=${s.fds}/watches=${s.watches}` : 'none';
    console.log(
      [
        `scenario=churn minutes=${minutes} pods_created=${created} live=${live}`,
        `after_1min=${fmt(first)}`,
        `end=${fmt(last)}`,
        `max_rss_MiB=${samples.length ? max('rss').toFixed(0) : '-'}`,
        `max_fds=${samples.length ? max('fds') : '-'}`,
        `max_watches=${samples.length ? max('watches') : '-'}`,
        `cpu_share=${((100 * cpu) / ((Date.now() - started) / 1000)).toFixed(1)}%`,
        `entries=${loki.entries().length}`,
        `load=${loadavg()[0]!.toFixed(2)}`,
      ].join(' '),
    );
    for (const s of samples) process.stderr.write(`  churn t=${s.t.toFixed(0)}s ${fmt(s)}\n`);
  } finally {
    await stopAgent(agent);
    await api.close();
    await loki.close();
    rmSync(work, { recursive: true, force: true });
  }
}
