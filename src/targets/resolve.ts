// From discovered target groups to file targets: merge group labels, relabel, apply Promtail's
// rules for `__host__` and `__path__`, drop every other `__` label, deduplicate.

import { formatLabels } from '../client/encode.js';
import type { ScrapeConfig } from '../config/types.js';
import { relabel } from '../relabel/relabel.js';
import type { LabelSet, TargetGroup } from '../types.js';
import { ReservedLabels } from '../types.js';

/** A target that will be tailed: its public labels and the files it names. */
export interface FileTarget {
  job: string;
  /** Identity: path glob, exclusion and labels (Promtail's key), so duplicates collapse. */
  key: string;
  /** Labels before relabeling (group labels merged in), for the status pages and dry-run tools. */
  discoveredLabels: LabelSet;
  /** Labels after relabeling, without `__` labels: the stream labels of its entries. */
  labels: LabelSet;
  pathGlob: string;
  pathExclude?: string;
}

export type DropReason = 'relabeling' | 'wrong_host' | 'no_path';

export interface DroppedTarget {
  job: string;
  discoveredLabels: LabelSet;
  reason: DropReason;
}

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
