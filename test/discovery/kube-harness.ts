// Runs the real KubernetesDiscoverer (config parsed from YAML, @kubernetes/client-node underneath)
// against the fake API server, collecting the groups it hands on and its log lines.

import { ConfigNode } from '../../src/config/reader.js';
import { KubernetesDiscoverer, type KubernetesDiscovererOptions } from '../../src/discovery/kubernetes.js';
import { parseKubernetesSdConfig } from '../../src/discovery/kubernetes-config.js';
import { createLogger } from '../../src/log.js';
import type { TargetGroup } from '../../src/types.js';
import type { FakeKubeApi } from '../support/fake-kube-api.js';

export interface Discovery {
  discoverer: KubernetesDiscoverer;
  /** The latest group of each source. */
  groups: Map<string, TargetGroup>;
  /** Every update call, in order. */
  updates: TargetGroup[][];
  logs: string[];
  /** Sources whose latest group has targets, sorted. */
  live(): string[];
  /** Polls `check` until it holds or the deadline passes. */
  until(check: () => boolean, what: string, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** `yaml` is one kubernetes_sd_configs entry; `api_server` defaults to the fake server's URL. */
export async function startDiscovery(
  api: FakeKubeApi | undefined,
  yaml: string,
  options: Partial<Omit<KubernetesDiscovererOptions, 'config' | 'logger'>> = {},
): Promise<Discovery> {
  const text =
    api && !/^\s*(api_server|kubeconfig_file):/m.test(yaml) ? `api_server: ${api.url}\n${yaml}` : yaml;
  const config = parseKubernetesSdConfig(ConfigNode.parse(text, 'sd.yaml'), (p) => p);
  const logs: string[] = [];
  const logger = createLogger({ level: 'debug', write: (line) => logs.push(line) });
  const discoverer = new KubernetesDiscoverer({
    config,
    logger,
    nodeName: 'node-a',
    minBackoffMs: 50,
    maxBackoffMs: 400,
    initialSyncTimeoutMs: 5000,
    ...options,
  });
  const groups = new Map<string, TargetGroup>();
  const updates: TargetGroup[][] = [];
  await discoverer.start((gs) => {
    updates.push(gs);
    for (const g of gs) groups.set(g.source, g);
  });
  const live = () =>
    [...groups.values()]
      .filter((g) => g.targets.length > 0)
      .map((g) => g.source)
      .sort();
  return {
    discoverer,
    groups,
    updates,
    logs,
    live,
    until: (check, what, timeoutMs = 10_000) => until(check, what, timeoutMs),
    stop: () => discoverer.stop(),
  };
}

export async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
