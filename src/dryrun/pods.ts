// Pods from a file, for `--pods FILE`: a PodList, `kubectl get pods -o json|yaml` output (a
// `List`), a single Pod, several YAML documents, a JSON array, JSON objects one after the
// other, or a `{pods, nodes, namespaces}` bundle; Nodes and Namespaces in it feed
// `attach_metadata`. They become target groups through the Kubernetes discoverer's own pure converter, after
// the filters the discoverer asks the API server for (namespaces, selectors, this node's pods).

import { readFileSync } from 'node:fs';
import { LineCounter, parseAllDocuments } from 'yaml';
import type { KubernetesSdConfig } from '../discovery/kubernetes-config.js';
import { type KubeMetaObject, type KubePod, podTargetGroup } from '../discovery/kubernetes-labels.js';
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

/** The objects of a pods file: its Pods, and the Nodes and Namespaces `attach_metadata` reads. */
export interface KubeObjects {
  pods: KubePod[];
  nodes: Map<string, KubeMetaObject>;
  namespaces: Map<string, KubeMetaObject>;
}

/** Reads every Pod (and Node and Namespace) object in a file. */
export function readPodsFile(file: string): KubeObjects {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new PodsFileError(`cannot read pods file ${file}: ${(e as Error).message}`);
  }
  return parsePods(text, file);
}

export function parsePods(text: string, file: string): KubeObjects {
  return podsFromValues(parseValues(text, file), file);
}

const kindOfBundleKey: Record<string, string> = { pods: 'Pod', nodes: 'Node', namespaces: 'Namespace' };

/**
 * The objects in already parsed values: Lists and PodLists, single objects, arrays, and
 * `{pods, nodes, namespaces}` bundles. Objects of other kinds (`kubectl get all`) are skipped.
 * `file` names the values in errors.
 */
export function podsFromValues(values: readonly unknown[], file: string): KubeObjects {
  const out: KubeObjects = { pods: [], nodes: new Map(), namespaces: new Map() };
  const visit = (value: unknown, where: string, impliedKind: string): void => {
    if (value === null || value === undefined) return;
    if (Array.isArray(value)) {
      for (const [i, v] of value.entries()) visit(v, `${where}[${i}]`, impliedKind);
      return;
    }
    if (typeof value !== 'object')
      throw new PodsFileError(`${file}: ${where}: expected a Pod or a list of Pods`);
    const o = value as Record<string, unknown> & { kind?: unknown; metadata?: { name?: unknown } };
    if (Array.isArray(o.items)) {
      for (const [i, v] of o.items.entries()) visit(v, `${where}.items[${i}]`, impliedKind);
      return;
    }
    if (o.kind === undefined && o.metadata === undefined) {
      const keys = Object.keys(kindOfBundleKey).filter((k) => Array.isArray(o[k]));
      if (keys.length === 0)
        throw new PodsFileError(
          `${file}: ${where}: expected a Pod, a List of Pods, or {pods, nodes, namespaces}`,
        );
      for (const k of keys) visit(o[k], `${where}.${k}`, kindOfBundleKey[k]!);
      return;
    }
    const kind = typeof o.kind === 'string' ? o.kind : impliedKind;
    if (typeof o.metadata?.name !== 'string' || o.metadata.name === '')
      throw new PodsFileError(`${file}: ${where}: a ${kind} without metadata.name`);
    if (kind === 'Pod') out.pods.push(value as KubePod);
    else if (kind === 'Node') out.nodes.set(o.metadata.name, value as KubeMetaObject);
    else if (kind === 'Namespace') out.namespaces.set(o.metadata.name, value as KubeMetaObject);
  };
  for (const [i, v] of values.entries()) visit(v, values.length > 1 ? `object ${i + 1}` : 'top level', 'Pod');
  return out;
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
  objects: KubeObjects,
  sd: KubernetesSdConfig | undefined,
  node: string | undefined,
  sourcePrefix = '',
): TargetGroup[] {
  const names = sd?.namespaces.names ?? [];
  const labelReqs = sd?.selectors.pod.label ? parseLabelSelector(sd.selectors.pod.label) : [];
  const fieldReqs = sd?.selectors.pod.field ? parseFieldSelector(sd.selectors.pod.field) : [];
  const groups: TargetGroup[] = [];
  for (const pod of objects.pods) {
    const ns = pod.metadata?.namespace ?? '';
    if (names.length > 0 && !names.includes(ns)) continue;
    if (node !== undefined && pod.spec?.nodeName !== node) continue;
    if (!matchesLabelSelector(labelReqs, pod.metadata?.labels)) continue;
    if (!fieldReqs.every((r) => (fieldValue(pod, r.field) === r.value) === (r.op === '='))) continue;
    const group = podTargetGroup(pod, {
      node: sd?.attachMetadata.node ? objects.nodes.get(pod.spec?.nodeName ?? '') : undefined,
      namespace: sd?.attachMetadata.namespace ? objects.namespaces.get(ns) : undefined,
    });
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
