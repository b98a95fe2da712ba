// Pods from a file, for `--pods FILE`: a PodList, `kubectl get pods -o json|yaml` output (a
// `List`), a single Pod, several YAML documents, a JSON array, or JSON objects one after the
// other. They become target groups through the Kubernetes discoverer's own pure converter, after
// the filters the discoverer asks the API server for (namespaces, selectors, this node's pods).

import { readFileSync } from 'node:fs';
import { LineCounter, parseAllDocuments } from 'yaml';
import type { KubernetesSdConfig } from '../discovery/kubernetes-config.js';
import { type KubePod, podTargetGroup } from '../discovery/kubernetes-labels.js';
import {
  matchesLabelSelector,
  parseFieldSelector,
  parseLabelSelector,
} from '../discovery/kubernetes-selectors.js';
import type { TargetGroup } from '../types.js';

/** A pods file that cannot be used; the message names the file (and line when known). */
export class PodsFileError extends Error {
  override name = 'PodsFileError';
}

/** Reads every Pod object in a file. */
export function readPodsFile(file: string): KubePod[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new PodsFileError(`cannot read pods file ${file}: ${(e as Error).message}`);
  }
  return parsePods(text, file);
}

export function parsePods(text: string, file: string): KubePod[] {
  return podsFromValues(parseValues(text, file), file);
}

/** The Pods in already parsed values (lists, PodLists, single Pods); `file` names them in errors. */
export function podsFromValues(values: readonly unknown[], file: string): KubePod[] {
  const pods: KubePod[] = [];
  const visit = (value: unknown, where: string): void => {
    if (value === null || value === undefined) return;
    if (Array.isArray(value)) {
      for (const [i, v] of value.entries()) visit(v, `${where}[${i}]`);
      return;
    }
    if (typeof value !== 'object')
      throw new PodsFileError(`${file}: ${where}: expected a Pod or a list of Pods`);
    const o = value as { kind?: unknown; items?: unknown; metadata?: { name?: unknown } };
    if (Array.isArray(o.items)) {
      for (const [i, v] of o.items.entries()) visit(v, `${where}.items[${i}]`);
      return;
    }
    if (o.kind !== undefined && o.kind !== 'Pod')
      throw new PodsFileError(`${file}: ${where}: expected kind Pod, got ${JSON.stringify(o.kind)}`);
    if (typeof o.metadata?.name !== 'string' || o.metadata.name === '')
      throw new PodsFileError(`${file}: ${where}: a Pod without metadata.name`);
    pods.push(value as KubePod);
  };
  for (const [i, v] of values.entries()) visit(v, values.length > 1 ? `object ${i + 1}` : 'top level');
  return pods;
}

function parseValues(text: string, file: string): unknown[] {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines });
  const list = Array.isArray(docs) ? docs : [];
  const bad = list.find((d) => d.errors.length > 0);
  if (bad === undefined && list.length > 0) return list.map((d) => d.toJS() as unknown);
  // `kubectl get pod a -o json; kubectl get pod b -o json` gives objects with nothing between.
  const stream = splitJsonStream(text);
  if (stream !== undefined) return stream;
  const err = bad?.errors[0];
  const line = err ? lines.linePos(err.pos[0]).line : 1;
  throw new PodsFileError(`${file}:${line}: not YAML or JSON: ${err?.message.split('\n')[0] ?? 'empty'}`);
}

/** Parses concatenated JSON values; undefined when the text is not that. */
function splitJsonStream(text: string): unknown[] | undefined {
  const out: unknown[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{' || c === '[') {
      if (depth++ === 0) start = i;
    } else if (c === '}' || c === ']') {
      if (--depth === 0) {
        try {
          out.push(JSON.parse(text.slice(start, i + 1)));
        } catch {
          return undefined;
        }
      }
      if (depth < 0) return undefined;
    } else if (depth === 0 && !/\s/.test(c!)) return undefined;
  }
  return depth === 0 && out.length > 0 ? out : undefined;
}

/**
 * The groups one `kubernetes_sd_configs` entry would discover among `pods`: its namespaces and
 * pod selectors applied, and on a node only that node's pods (the agent's field selector).
 */
export function podGroups(
  pods: readonly KubePod[],
  sd: KubernetesSdConfig | undefined,
  node: string | undefined,
  sourcePrefix = '',
): TargetGroup[] {
  const names = sd?.namespaces.names ?? [];
  const labelReqs = sd?.selectors.pod.label ? parseLabelSelector(sd.selectors.pod.label) : [];
  const fieldReqs = sd?.selectors.pod.field ? parseFieldSelector(sd.selectors.pod.field) : [];
  const groups: TargetGroup[] = [];
  for (const pod of pods) {
    const ns = pod.metadata?.namespace ?? '';
    if (names.length > 0 && !names.includes(ns)) continue;
    if (node !== undefined && pod.spec?.nodeName !== node) continue;
    if (!matchesLabelSelector(labelReqs, pod.metadata?.labels)) continue;
    if (!fieldReqs.every((r) => (fieldValue(pod, r.field) === r.value) === (r.op === '='))) continue;
    const group = podTargetGroup(pod);
    group.source = `${sourcePrefix}${group.source}`;
    groups.push(group);
  }
  return groups;
}

/** The pod fields the API server supports in field selectors. */
function fieldValue(pod: KubePod, field: string): string | undefined {
  switch (field) {
    case 'metadata.name':
      return pod.metadata?.name ?? '';
    case 'metadata.namespace':
      return pod.metadata?.namespace ?? '';
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? '';
    case 'status.phase':
      return pod.status?.phase ?? '';
    case 'status.podIP':
      return pod.status?.podIP ?? '';
    default:
      return undefined;
  }
}
