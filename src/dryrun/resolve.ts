// One pass of relabeling over discovered target groups, for the dry-run tools: what the agent
// would tail (through the agent's own resolveTarget) and, for every target it would not, the
// rule or Promtail check that dropped it and the labels the target had at that point.

import type { ScrapeConfig } from '../config/types.js';
import type { RelabelAction } from '../relabel/relabel.js';
import { type RelabelTrace, traceRelabel } from '../relabel/trace.js';
import { matchingFiles } from '../targets/file/listing.js';
import { resolveTarget } from '../targets/file/resolve.js';
import { type LabelSet, ReservedLabels, type TargetDropReason, type TargetGroup } from '../types.js';
import { writtenRule } from './written.js';

/** Which pod and container a target stands for (null for targets not from Kubernetes). */
export interface TargetIdentity {
  namespace: string | null;
  pod: string | null;
  container: string | null;
}

export interface KeptTarget extends TargetIdentity {
  job: string;
  /** Labels before relabeling (group labels merged in). */
  discoveredLabels: LabelSet;
  /** The stream labels. */
  labels: LabelSet;
  path: string;
  pathExclude?: string;
  /** Files the glob matches now; filled by `withFiles`. */
  files: string[];
}

export interface DroppingRule {
  index: number;
  action: RelabelAction;
  line: number;
  text: string;
}

export interface DroppedTarget extends TargetIdentity {
  job: string;
  discoveredLabels: LabelSet;
  reason: TargetDropReason;
  /** Set when a relabel rule dropped the target. */
  rule: DroppingRule | null;
  /** The dropping rule's `source_labels` (empty for other reasons). */
  sourceLabels: string[];
  /** The labels when it was dropped: before the dropping rule, or after relabeling for Promtail's checks. */
  labels: LabelSet;
  /** A sentence a user can act on. */
  why: string;
}

export interface JobResult {
  job: ScrapeConfig;
  targets: KeptTarget[];
  dropped: DroppedTarget[];
}

export interface ResolveOptions {
  /** Act as the agent on this node: targets whose `__host__` differs are dropped. Unset: no host check. */
  node?: string;
  /** The config file, to quote rules as written. */
  configFile?: string;
}

export function identityOf(labels: LabelSet): TargetIdentity {
  return {
    namespace: labels.__meta_kubernetes_namespace ?? null,
    pod: labels.__meta_kubernetes_pod_name ?? null,
    container: labels.__meta_kubernetes_pod_container_name ?? null,
  };
}

/** `ns/pod/container`, or the target's address when it is not a pod. */
export function targetName(t: TargetIdentity & { discoveredLabels: LabelSet }): string {
  if (t.pod !== null) return [t.namespace ?? '', t.pod, t.container].filter((p) => p !== null).join('/');
  return t.discoveredLabels[ReservedLabels.address] ?? '(no __address__)';
}

/** Relabels one target and says what became of it. */
export function resolveOne(
  job: ScrapeConfig,
  discoveredLabels: LabelSet,
  options: ResolveOptions = {},
): { kept: KeptTarget; key: string; trace: RelabelTrace } | { dropped: DroppedTarget; trace: RelabelTrace } {
  const trace = traceRelabel(discoveredLabels, job.relabelConfigs);
  const id = identityOf(discoveredLabels);
  const step = trace.droppedBy;
  if (step) {
    const text = options.configFile
      ? writtenRule(options.configFile, step.rule.line, step.rule.text)
      : step.rule.text;
    const rule = { index: step.index, action: step.rule.action, line: step.rule.line, text };
    const why = `relabel rule #${step.index} (${step.rule.action}, line ${step.rule.line})`;
    return {
      dropped: {
        job: job.jobName,
        ...id,
        discoveredLabels,
        reason: 'relabeling',
        rule,
        sourceLabels: step.rule.sourceLabels,
        labels: step.before,
        why,
      },
      trace,
    };
  }
  const relabeled = trace.result!;
  // Without a node there is no host to compare with: every target counts as this node's.
  const host = options.node ?? relabeled[ReservedLabels.host] ?? '';
  const result = resolveTarget(job, discoveredLabels, host);
  if ('reason' in result) {
    const why =
      result.reason === 'wrong_host'
        ? `__host__ "${relabeled[ReservedLabels.host]}" is not this node "${host}"`
        : 'no __path__ after relabeling: no file to read';
    return {
      dropped: {
        job: job.jobName,
        ...id,
        discoveredLabels,
        reason: result.reason,
        rule: null,
        sourceLabels: [],
        labels: relabeled,
        why,
      },
      trace,
    };
  }
  const kept: KeptTarget = {
    job: job.jobName,
    ...id,
    discoveredLabels,
    labels: result.labels,
    path: result.pathGlob,
    files: [],
  };
  if (result.pathExclude) kept.pathExclude = result.pathExclude;
  return { kept, key: result.key, trace };
}

/**
 * Every target of a job's groups, kept or dropped. Kept targets with the same path and labels
 * collapse into one, as in the agent; dropped ones are listed once per pod container and reason
 * (a container with several ports is several Prometheus targets with the same fate).
 */
export function resolveJob(
  job: ScrapeConfig,
  groups: readonly TargetGroup[],
  options: ResolveOptions = {},
): JobResult {
  const kept = new Map<string, KeptTarget>();
  const dropped = new Map<string, DroppedTarget>();
  for (const group of groups) {
    for (const target of group.targets) {
      const r = resolveOne(job, { ...group.labels, ...target }, options);
      if ('kept' in r) {
        if (!kept.has(r.key)) kept.set(r.key, r.kept);
        continue;
      }
      const d = r.dropped;
      const key =
        d.pod === null
          ? `${group.source}\u0000${JSON.stringify(d.discoveredLabels)}`
          : `${d.namespace}/${d.pod}/${d.container}\u0000${d.reason}\u0000${d.rule?.index}`;
      if (!dropped.has(key)) dropped.set(key, d);
    }
  }
  return { job, targets: [...kept.values()], dropped: [...dropped.values()] };
}

/** Fills each kept target's `files` with what its glob matches now. */
export async function withFiles(results: readonly JobResult[]): Promise<void> {
  await Promise.all(
    results.flatMap((r) =>
      r.targets.map(async (t) => {
        t.files = await matchingFiles(t.path, t.pathExclude);
      }),
    ),
  );
}
