// The discoverers of a scrape config beyond static_configs: kubernetes_sd_configs, file_sd_configs.
// Their config entries are parsed here (errors name file, line and key); relative paths in them
// are taken from the config file's directory, as Prometheus does.

import { dirname, resolve } from 'node:path';
import type { DiscovererFactory } from '../agent.js';
import type { ScrapeConfig } from '../config/types.js';
import type { Logger } from '../log.js';
import type { Discoverer } from '../types.js';
import { FileSdDiscoverer, parseFileSdConfig } from './file-sd.js';
import { KubernetesDiscoverer } from './kubernetes.js';
import { type KubernetesSdConfig, parseKubernetesSdConfig } from './kubernetes-config.js';

export const createDiscoverers: DiscovererFactory = (job, logger, metrics) =>
  buildDiscoverers(
    job,
    logger,
    metrics ? { onKubernetesFailure: () => metrics.kubernetesSdFailures.inc() } : {},
  );

export interface DiscoveryOverrides {
  /** The node whose pods are watched (default `$HOSTNAME`, else the hostname). */
  nodeName?: string;
  env?: NodeJS.ProcessEnv;
  serviceAccountDir?: string;
  /** Called at every failed Kubernetes list or watch. */
  onKubernetesFailure?: () => void;
}

export function buildDiscoverers(
  job: ScrapeConfig,
  logger: Logger,
  overrides: DiscoveryOverrides = {},
): Discoverer[] {
  const { kubernetes, files } = parseDiscoveryConfigs(job);
  const log = logger.with({ job: job.jobName });
  const out: Discoverer[] = [];
  kubernetes.forEach((config, i) => {
    out.push(
      new KubernetesDiscoverer({
        config,
        logger: log,
        sourcePrefix: `kubernetes_sd/${i}/`,
        ...(overrides.nodeName !== undefined ? { nodeName: overrides.nodeName } : {}),
        ...(overrides.env ? { env: overrides.env } : {}),
        ...(overrides.serviceAccountDir ? { serviceAccountDir: overrides.serviceAccountDir } : {}),
        ...(overrides.onKubernetesFailure ? { onFailure: overrides.onKubernetesFailure } : {}),
      }),
    );
  });
  files.forEach((config, i) => {
    out.push(new FileSdDiscoverer({ config, logger: log, sourcePrefix: `file_sd/${i}/` }));
  });
  return out;
}

/**
 * Parses and validates a scrape config's kubernetes_sd_configs and file_sd_configs without
 * connecting to anything; throws a ConfigError naming file, line and key. The config loader may
 * call it so `-check-syntax` catches these errors too.
 */
export function parseDiscoveryConfigs(job: ScrapeConfig): {
  kubernetes: KubernetesSdConfig[];
  files: ReturnType<typeof parseFileSdConfig>[];
} {
  const relativeTo = (node: { file: string }) => (p: string) => resolve(dirname(node.file), p);
  return {
    kubernetes: job.kubernetesSdConfigs.map((n) => parseKubernetesSdConfig(n, relativeTo(n))),
    files: job.fileSdConfigs.map((n) => parseFileSdConfig(n, relativeTo(n))),
  };
}
