// From discovered target groups to file targets: merge group labels, relabel, apply Promtail's
// rules for `__host__` and `__path__`, drop every other `__` label, deduplicate.

import type { ScrapeConfig } from '../../config/types.js';
import { formatLabels } from '../../labels.js';
import { relabel } from '../../relabel/relabel.js';
import type { DroppedTarget, FileTarget, LabelSet, TargetGroup } from '../../types.js';
import { ReservedLabels } from '../../types.js';

export interface ResolvedTargets {
  active: FileTarget[];
  dropped: DroppedTarget[];
}

export function resolveTargets(
  job: ScrapeConfig,
  groups: readonly TargetGroup[],
  hostname: string,
): ResolvedTargets {
  const active = new Map<string, FileTarget>();
  const dropped: DroppedTarget[] = [];
  for (const group of groups) {
    for (const target of group.targets) {
      const discoveredLabels = { ...group.labels, ...target };
      const result = resolveTarget(job, discoveredLabels, hostname);
      if ('reason' in result) dropped.push(result);
      else if (!active.has(result.key)) active.set(result.key, result);
    }
  }
  return { active: [...active.values()], dropped };
}

export function resolveTarget(
  job: ScrapeConfig,
  discoveredLabels: LabelSet,
  hostname: string,
): FileTarget | DroppedTarget {
  const relabeled = relabel(discoveredLabels, job.relabelConfigs);
  if (relabeled === null) return { job: job.jobName, discoveredLabels, reason: 'relabeling' };
  const host = relabeled[ReservedLabels.host];
  if (host !== undefined && host !== hostname)
    return { job: job.jobName, discoveredLabels, reason: 'wrong_host' };
  const pathGlob = relabeled[ReservedLabels.path];
  if (!pathGlob) return { job: job.jobName, discoveredLabels, reason: 'no_path' };
  const pathExclude = relabeled[ReservedLabels.pathExclude] || undefined;
  const labels: LabelSet = {};
  for (const name of Object.keys(relabeled).sort()) {
    if (!name.startsWith('__')) labels[name] = relabeled[name]!;
  }
  const key = `${pathGlob}:${formatLabels(labels)}${pathExclude ? `:${pathExclude}` : ''}`;
  return { job: job.jobName, key, discoveredLabels, labels, pathGlob, pathExclude };
}
