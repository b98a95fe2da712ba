// Discovery run once, for the dry-run tools: a job's static_configs, file_sd_configs and
// kubernetes_sd_configs, the pods coming from a file (`--pods`) or from a live cluster (the
// agent's own Kubernetes discoverer, started, listed once and stopped).

import type { Config, ScrapeConfig } from '../config/types.js';
import { KubernetesDiscoverer } from '../discovery/kubernetes.js';
import { type KubernetesSdConfig, parseKubernetesSdConfig } from '../discovery/kubernetes-config.js';
import { staticTargetGroups } from '../discovery/static.js';
import { createLogger } from '../log.js';
import type { TargetGroup } from '../types.js';
import { CommandError, configRelative } from './common.js';
import { readFileSdGroups } from './file-sd.js';
import type { KubeObjects } from './pods.js';
import { podGroups } from './pods.js';

export interface DiscoveryOptions {
  /** Pods read from a file (`--pods`): used instead of asking a cluster. */
  pods?: KubeObjects;
  /** Act as the agent on this node: only its pods. Unset: every pod. */
  node?: string;
  /** `--kubeconfig`: replaces the connection settings of every kubernetes_sd_configs entry. */
  kubeconfig?: string;
  env?: NodeJS.ProcessEnv;
  /** How long to wait for a live cluster's first list. */
  timeoutMs?: number;
}

/** The Kubernetes SD entries of a job, parsed (ConfigError on a bad one). */
export function kubernetesConfigs(config: Config, job: ScrapeConfig): KubernetesSdConfig[] {
  const resolvePath = configRelative(config);
  return job.kubernetesSdConfigs.map((n) => parseKubernetesSdConfig(n, resolvePath));
}

/** Every target group a job discovers now. */
export async function discoverJob(
  config: Config,
  job: ScrapeConfig,
  options: DiscoveryOptions,
): Promise<TargetGroup[]> {
  const groups = staticTargetGroups(job.jobName, job.staticConfigs);
  const resolvePath = configRelative(config);
  job.fileSdConfigs.forEach((node, i) => {
    try {
      groups.push(...readFileSdGroups(node, resolvePath, `${job.jobName}/file_sd/${i}/`));
    } catch (e) {
      if (e instanceof Error && e.name !== 'ConfigError')
        throw new CommandError(`file_sd_configs: ${e.message}`);
      throw e;
    }
  });
  const sds = kubernetesConfigs(config, job);
  for (const [i, sd] of sds.entries()) {
    const prefix = `${job.jobName}/kubernetes/${i}/`;
    if (options.pods) groups.push(...podGroups(options.pods, sd, options.node, prefix));
    else groups.push(...(await listLive(sd, prefix, options)));
  }
  return groups;
}

/** Lists the pods of a live cluster once through the agent's discoverer. */
async function listLive(
  sd: KubernetesSdConfig,
  prefix: string,
  options: DiscoveryOptions,
): Promise<TargetGroup[]> {
  const config: KubernetesSdConfig = { ...sd, selectors: { ...sd.selectors, pod: { ...sd.selectors.pod } } };
  if (options.kubeconfig) {
    config.kubeconfigFile = options.kubeconfig;
    delete config.apiServer;
  }
  if (options.node === undefined) {
    // The discoverer watches one node unless the selector names the node itself: every
    // scheduled pod has a node name, so this selects the pods of all nodes.
    const field = config.selectors.pod.field;
    if (!field?.includes('spec.nodeName'))
      config.selectors.pod.field = field ? `${field},spec.nodeName!=` : 'spec.nodeName!=';
  }
  const problems: string[] = [];
  const logger = createLogger({
    level: 'warn',
    write: (line) => {
      problems.push(line.trim());
    },
  });
  const byName = new Map<string, TargetGroup>();
  const discoverer = new KubernetesDiscoverer({
    config,
    logger,
    sourcePrefix: prefix,
    ...(options.node !== undefined ? { nodeName: options.node } : {}),
    env: options.env ?? process.env,
    initialSyncTimeoutMs: options.timeoutMs ?? 10_000,
    minBackoffMs: 200,
  });
  let listed = true;
  try {
    await discoverer.start((groups) => {
      for (const g of groups) byName.set(g.source, g);
    });
    listed = !problems.some((p) => p.includes('could not list pods yet'));
  } catch (e) {
    const message = (e as Error).message;
    // The discoverer's messages already start with the entry's location.
    const where = message.startsWith(sd.where) ? '' : `kubernetes_sd_configs at ${sd.where}: `;
    throw new CommandError(
      `${where}${message}\n(to list pods without a cluster, give --pods FILE; or point at one with --kubeconfig FILE)`,
    );
  } finally {
    await discoverer.stop();
  }
  if (!listed) {
    const why = problems.filter((p) => p.includes('failed')).slice(0, 3);
    throw new CommandError(
      `kubernetes_sd_configs at ${sd.where}: could not list pods within ${options.timeoutMs ?? 10_000} ms${
        why.length ? `:\n  ${why.join('\n  ')}` : ''
      }`,
    );
  }
  return [...byName.values()].filter((g) => g.targets.length > 0);
}
