// End to end for Kubernetes pods, through the built CLI with the default config of k8s/config.yaml
// (paths moved to a temporary /var/log/pods tree, api_server pointed at the fake API server):
// pods appear → their files are tailed → entries arrive with the default config's labels; new
// pods, container restarts and kubelet rotation; a pod deleted right after its last write; and
// watches dropped, compacted and failing mid-run without missing or keeping a pod.

import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { parse as parseYaml, stringify } from 'yaml';
import { type AgentProcess, runCli, tempDir } from '../support/agent-process.js';
import { FakeKubeApi, type KubeObject } from '../support/fake-kube-api.js';
import { type LokiReceiver, startLokiReceiver } from '../support/loki-receiver.js';

const node = 'node-1';
/** target_config.sync_period of the test agents: longer than any test runs. */
const rescanPeriodMs = 3_600_000;
// The ConfigMap's data, as k8s/kustomization.yaml generates it.
const configMap = {
  data: { 'config.yaml': readFileSync(resolve(import.meta.dirname, '../../k8s/config.yaml'), 'utf8') },
};

interface PodSpec {
  ns: string;
  name: string;
  uid: string;
  containers: string[];
  init?: string[];
  labels?: Record<string, string>;
  owner?: { kind: string; name: string };
  node?: string;
}

function podObject(p: PodSpec): KubeObject {
  const owner = p.owner
    ? [{ apiVersion: 'apps/v1', kind: p.owner.kind, name: p.owner.name, uid: 'x', controller: true }]
    : [];
  return {
    metadata: { name: p.name, namespace: p.ns, uid: p.uid, labels: p.labels ?? {}, ownerReferences: owner },
    spec: {
      nodeName: p.node ?? node,
      containers: p.containers.map((name) => ({ name, image: `${name}:1` })),
      initContainers: (p.init ?? []).map((name) => ({ name, image: `${name}:1` })),
    },
    status: { phase: 'Running', podIP: '10.0.0.4', hostIP: '192.168.0.1' },
  };
}

/** A CRI log line as containerd writes it. */
function cri(line: string, stream = 'stdout'): string {
  return `${new Date().toISOString().replace('Z', '123456Z')} ${stream} F ${line}\n`;
}

class Cluster {
  constructor(
    readonly root: string,
    readonly api: FakeKubeApi,
  ) {}

  dir(p: PodSpec, container: string): string {
    return join(this.root, `${p.ns}_${p.name}_${p.uid}`, container);
  }

  file(p: PodSpec, container: string, restart = 0): string {
    return join(this.dir(p, container), `${restart}.log`);
  }

  write(p: PodSpec, container: string, lines: string[], restart = 0): void {
    mkdirSync(this.dir(p, container), { recursive: true });
    appendFileSync(this.file(p, container, restart), lines.map((l) => cri(l)).join(''));
  }

  add(p: PodSpec): void {
    this.api.create('pods', podObject(p));
  }

  remove(p: PodSpec): void {
    this.api.remove('pods', `${p.ns}/${p.name}`);
  }
}

/** The ConfigMap's config, with its paths, Loki, the server port and the API server moved for the test. */
function writeDefaultConfig(dir: string, root: string, lokiUrl: string, apiUrl: string): string {
  const config = parseYaml(configMap.data['config.yaml']) as {
    server: Record<string, unknown>;
    target_config?: unknown;
    clients: Record<string, unknown>[];
    positions: unknown;
    scrape_configs: {
      kubernetes_sd_configs: Record<string, unknown>[];
      relabel_configs: { replacement?: unknown }[];
    }[];
  };
  config.server = { ...config.server, http_listen_address: '127.0.0.1', http_listen_port: 0 };
  // The test's Loki instead of the Secret's variables.
  config.clients[0] = { url: lokiUrl, batchwait: '100ms' };
  config.positions = { filename: join(dir, 'positions.yaml'), sync_period: '200ms' };
  // No periodic rescan during a test: a new file must be found by its watch event, so a test
  // can tell "found at once" from "found at the next rescan" without timing it on a loaded machine.
  config.target_config = { sync_period: `${rescanPeriodMs}ms` };
  const job = config.scrape_configs[0]!;
  job.kubernetes_sd_configs[0]!.api_server = apiUrl;
  for (const rule of job.relabel_configs) {
    if (typeof rule.replacement === 'string')
      rule.replacement = rule.replacement.replace('/var/log/pods', root);
  }
  const file = join(dir, 'config.yaml');
  writeFileSync(file, stringify(config));
  return file;
}

describe('kubernetes pods end to end, with the default config', () => {
  let loki: LokiReceiver;
  before(async () => {
    loki = await startLokiReceiver();
  });
  after(() => loki.close());

  async function setup(name: string) {
    const tmp = tempDir(`logferry-k8s-e2e-${name}-`);
    const root = join(tmp.dir, 'pods');
    mkdirSync(root);
    const api = await FakeKubeApi.start();
    const cluster = new Cluster(root, api);
    const config = writeDefaultConfig(tmp.dir, root, loki.url, api.url);
    const start = () => runCli([`-config.file=${config}`], { env: { HOSTNAME: node } });
    const cleanup = async (agent?: AgentProcess) => {
      if (agent) assert.equal(await agent.stop(), 0, agent.stderr);
      await api.close();
      tmp.cleanup();
    };
    return { tmp, root, api, cluster, start, cleanup };
  }

  const linesOf = (file: string) =>
    loki
      .entries()
      .filter((e) => e.labels.filename === file)
      .map((e) => e.line);

  it('ships every container of this node’s pods with the default labels, and follows new pods, restarts and rotation', async () => {
    const { cluster, start, cleanup } = await setup('ship');
    const web: PodSpec = {
      ns: 'shop',
      name: 'web-5d8f7b9c4d-q7x2m',
      uid: '0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0',
      containers: ['web', 'envoy'],
      init: ['migrate-db'],
      labels: { 'app.kubernetes.io/name': 'web', 'app.kubernetes.io/instance': 'shop-prod' },
      owner: { kind: 'ReplicaSet', name: 'web-5d8f7b9c4d' },
    };
    const job: PodSpec = {
      ns: 'batch',
      name: 'report-28391234-zq9vk',
      uid: '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
      containers: ['report'],
      owner: { kind: 'Job', name: 'report-28391234' },
    };
    const far: PodSpec = {
      ns: 'shop',
      name: 'far',
      uid: '2b3c4d5e-6f70-4819-9a0b-1c2d3e4f5a6b',
      containers: ['app'],
      node: 'node-2',
    };
    for (const p of [web, job, far]) cluster.add(p);
    cluster.write(web, 'migrate-db', ['init: migrating', 'init: done']);
    cluster.write(web, 'web', ['GET / 200', 'GET /health 200']);
    cluster.write(web, 'envoy', ['[envoy] listening']);
    cluster.write(job, 'report', ['report generated']);
    cluster.write(far, 'app', ['from another node']);
    const agent = start();
    try {
      await loki.waitFor(() =>
        [
          cluster.file(web, 'migrate-db'),
          cluster.file(web, 'web'),
          cluster.file(web, 'envoy'),
          cluster.file(job, 'report'),
        ].every((f) => linesOf(f).length > 0),
      );
      const webEntry = loki.entries().find((e) => e.line === 'GET / 200')!;
      assert.deepEqual(webEntry.labels, {
        namespace: 'shop',
        pod: web.name,
        container: 'web',
        app: 'web',
        instance: 'shop-prod',
        job: 'shop/web',
        node_name: node,
        filename: cluster.file(web, 'web'),
        stream: 'stdout',
      });
      const initEntry = loki.entries().find((e) => e.line === 'init: migrating')!;
      assert.equal(initEntry.labels.container, 'migrate-db');
      // No app label on the pod: the controller's name, without the Job's numeric suffix.
      assert.deepEqual(loki.entries().find((e) => e.line === 'report generated')!.labels, {
        namespace: 'batch',
        pod: job.name,
        container: 'report',
        app: 'report',
        job: 'batch/report',
        node_name: node,
        filename: cluster.file(job, 'report'),
        stream: 'stdout',
      });
      assert.deepEqual(linesOf(cluster.file(web, 'web')), ['GET / 200', 'GET /health 200']);

      // A new pod: scheduled first, its files written a moment later.
      const api2: PodSpec = {
        ns: 'shop',
        name: 'api-0',
        uid: '3c4d5e6f-7081-4a2b-9c3d-4e5f6a7b8c9d',
        containers: ['api'],
        owner: { kind: 'StatefulSet', name: 'api' },
        labels: { app: 'api' },
      };
      cluster.add(api2);
      await new Promise((r) => setTimeout(r, 100));
      cluster.write(api2, 'api', ['api started']);
      await loki.waitFor(() => linesOf(cluster.file(api2, 'api')).length === 1);
      assert.equal(loki.entries().find((e) => e.line === 'api started')!.labels.job, 'shop/api');

      // A container restart: the kubelet starts 1.log next to 0.log. It is read at once, on the
      // directory's watch event: the periodic rescan (target_config.sync_period) is an hour away.
      const restartedAt = Date.now();
      cluster.write(web, 'web', ['after restart'], 1);
      await loki.waitFor(() => linesOf(cluster.file(web, 'web', 1)).length === 1);
      assert.ok(
        Date.now() - restartedAt < rescanPeriodMs,
        `a restarted container is read at once (${Date.now() - restartedAt} ms)`,
      );

      // Kubelet rotation: 1.log becomes 1.log.<timestamp>, a new 1.log starts, the old one is gzipped later.
      const live = cluster.file(web, 'web', 1);
      cluster.write(web, 'web', ['before rotation 1', 'before rotation 2'], 1);
      const rotated = `${live}.20240501-101500`;
      renameSync(live, rotated);
      cluster.write(web, 'web', ['after rotation'], 1);
      appendFileSync(rotated, cri('late write to the rotated file'));
      await loki.waitFor(
        () =>
          linesOf(live).includes('after rotation') &&
          linesOf(live).includes('late write to the rotated file'),
      );
      writeFileSync(`${rotated}.gz`, gzipSync(readFileSync(rotated)));
      rmSync(rotated);
      cluster.write(web, 'web', ['after gzip'], 1);
      await loki.waitFor(() => linesOf(live).includes('after gzip'));
      assert.deepEqual(linesOf(live), [
        'after restart',
        'before rotation 1',
        'before rotation 2',
        'late write to the rotated file',
        'after rotation',
        'after gzip',
      ]);

      assert.deepEqual(linesOf(cluster.file(far, 'app')), [], 'pods of other nodes are not read');
      assert.ok(
        agent.stderr.includes('fieldSelector=spec.nodeName=node-1') ||
          agent.stderr.includes('"spec.nodeName=node-1"'),
      );
    } finally {
      await cleanup(agent);
    }
  });

  it('ships every line of a pod deleted 100 ms after its last write, then forgets its positions', async () => {
    const { cluster, start, cleanup, tmp } = await setup('delete');
    const p: PodSpec = {
      ns: 'ci',
      name: 'build-7xk2p',
      uid: '4d5e6f70-8192-4a3b-8c4d-5e6f7a8b9c0d',
      containers: ['build'],
    };
    cluster.add(p);
    cluster.write(p, 'build', ['starting']);
    const agent = start();
    try {
      await loki.waitFor(() => linesOf(cluster.file(p, 'build')).length === 1);
      const expected = ['starting'];
      for (let burst = 0; burst < 20; burst++) {
        const lines = Array.from({ length: 50 }, (_, i) => `step ${burst}.${i}`);
        cluster.write(p, 'build', lines);
        expected.push(...lines);
      }
      await new Promise((r) => setTimeout(r, 100));
      cluster.remove(p);
      // The container's last words, after the API said it was gone.
      cluster.write(p, 'build', ['exit 0']);
      expected.push('exit 0');
      await loki.waitFor(() => linesOf(cluster.file(p, 'build')).length >= expected.length);
      assert.deepEqual(linesOf(cluster.file(p, 'build')), expected);

      const positions = join(tmp.dir, 'positions.yaml');
      const file = cluster.file(p, 'build');
      await waitUntil(() => readFileSync(positions, 'utf8').includes(file), 'the position to be saved');
      // The kubelet removes the pod's directory later; its positions go.
      rmSync(join(cluster.root, `${p.ns}_${p.name}_${p.uid}`), { recursive: true });
      await waitUntil(
        () => !readFileSync(positions, 'utf8').includes(file),
        'the position of the deleted file to go',
      );
    } finally {
      await cleanup(agent);
    }
  });

  it('misses and keeps no pod when watches are dropped, compacted and failing mid-run', async () => {
    const { cluster, api, start, cleanup } = await setup('watch');
    const pods: PodSpec[] = Array.from({ length: 8 }, (_, i) => ({
      ns: 'default',
      name: `p${i}`,
      uid: `5e6f7081-92a3-4b4c-8d5e-00000000000${i}`,
      containers: ['main'],
    }));
    cluster.add(pods[0]!);
    cluster.write(pods[0]!, 'main', ['p0 line']);
    const agent = start();
    try {
      const port = await agent.port();
      await loki.waitFor(() => linesOf(cluster.file(pods[0]!, 'main')).length === 1);
      await api.waitFor((a) => a.openWatches === 1, undefined, 'the pod watch');

      api.dropWatches();
      cluster.add(pods[1]!);
      api.compact();
      api.dropWatches();
      cluster.add(pods[2]!);
      cluster.remove(pods[0]!);
      api.failNext(2, 500);
      api.dropWatches();
      cluster.add(pods[3]!);
      api.refuseConnections(true);
      cluster.add(pods[4]!);
      cluster.remove(pods[1]!);
      api.compact();
      api.refuseConnections(false);
      cluster.add(pods[5]!);
      api.endWatches();
      cluster.add(pods[6]!);
      api.bookmark();
      api.dropWatches();
      cluster.add(pods[7]!);
      for (const p of pods.slice(1)) cluster.write(p, 'main', [`${p.name} line`]);

      // Every pod that existed is read, even those deleted while the watch was down.
      const live = pods.slice(2);
      await loki.waitFor(() => live.every((p) => linesOf(cluster.file(p, 'main')).length === 1));
      // Deleted pods are not kept: their targets go once their files are read to the end.
      const targets = async () => (await fetch(`http://127.0.0.1:${port}/targets`)).text();
      await waitUntil(async () => {
        const page = await targets();
        return (
          !page.includes(pods[0]!.uid) &&
          !page.includes(pods[1]!.uid) &&
          live.every((p) => page.includes(p.uid))
        );
      }, 'the deleted pods to leave /targets');
      assert.ok(agent.stderr.includes('retrying'), 'the failures were seen and retried');
    } finally {
      await cleanup(agent);
    }
  });
});

async function waitUntil(
  check: () => boolean | Promise<boolean>,
  what: string,
  // Only a limit for a failing test: generous, so that a loaded machine does not fail a passing one.
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
