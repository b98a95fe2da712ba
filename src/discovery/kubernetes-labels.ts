// From Kubernetes objects to target groups with exactly the `__meta_kubernetes_*` labels that
// Prometheus's pod role produces (discovery/kubernetes/pod.go), so relabel configs written for
// Promtail or Prometheus work unchanged. Pure functions over plain objects: they take what the
// API server sends (watch events) and what @kubernetes/client-node makes of it (lists) alike.

import type { LabelSet, TargetGroup } from '../types.js';

/** The parts of ObjectMeta the labels use. */
export interface KubeObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  labels?: Record<string, string> | null;
  annotations?: Record<string, string> | null;
  ownerReferences?: readonly { kind?: string; name?: string; controller?: boolean | null }[] | null;
}

export interface KubeContainer {
  name?: string;
  image?: string;
  ports?: readonly { name?: string; containerPort?: number; protocol?: string }[] | null;
}

interface KubeContainerStatus {
  name?: string;
  containerID?: string;
}

export interface KubePod {
  metadata?: KubeObjectMeta;
  spec?: {
    nodeName?: string;
    containers?: readonly KubeContainer[] | null;
    initContainers?: readonly KubeContainer[] | null;
  };
  status?: {
    phase?: string;
    podIP?: string;
    hostIP?: string;
    conditions?: readonly { type?: string; status?: string }[] | null;
    containerStatuses?: readonly KubeContainerStatus[] | null;
    initContainerStatuses?: readonly KubeContainerStatus[] | null;
  };
}

/** A node or a namespace: only its metadata is attached. */
export interface KubeMetaObject {
  metadata?: KubeObjectMeta;
}

const prefix = '__meta_kubernetes_';
const invalidLabelChar = /[^a-zA-Z0-9_]/gu;

/** Prometheus's strutil.SanitizeLabelName: every character outside [a-zA-Z0-9_] becomes `_`. */
export function sanitizeLabelName(name: string): string {
  return name.replace(invalidLabelChar, '_');
}

/** The source of a pod's group, unique within one discoverer (Prometheus's `pod/<ns>/<name>`). */
export function podSource(namespace: string, name: string): string {
  return `pod/${namespace}/${name}`;
}

/** Adds `<role>_name`, `<role>_label_*`, `<role>_labelpresent_*`, `<role>_annotation_*`, `<role>_annotationpresent_*`. */
export function addObjectMetaLabels(out: LabelSet, meta: KubeObjectMeta | undefined, role: string): void {
  out[`${prefix}${role}_name`] = meta?.name ?? '';
  addLabelsAndAnnotations(out, meta, `${prefix}${role}_`);
}

/** Namespace metadata (`attach_metadata.namespace`): labels and annotations, without a name label. */
function addNamespaceLabels(out: LabelSet, meta: KubeObjectMeta | undefined): void {
  addLabelsAndAnnotations(out, meta, `${prefix}namespace_`);
}

/** `<p>label_*`, `<p>labelpresent_*`, `<p>annotation_*`, `<p>annotationpresent_*` of `meta`. */
function addLabelsAndAnnotations(out: LabelSet, meta: KubeObjectMeta | undefined, p: string): void {
  for (const [k, v] of Object.entries(meta?.labels ?? {})) {
    const n = sanitizeLabelName(k);
    out[`${p}label_${n}`] = v;
    out[`${p}labelpresent_${n}`] = 'true';
  }
  for (const [k, v] of Object.entries(meta?.annotations ?? {})) {
    const n = sanitizeLabelName(k);
    out[`${p}annotation_${n}`] = v;
    out[`${p}annotationpresent_${n}`] = 'true';
  }
}

function podReady(pod: KubePod): string {
  for (const c of pod.status?.conditions ?? []) {
    if (c.type === 'Ready') return (c.status ?? '').toLowerCase();
  }
  return 'unknown';
}

/** Go's net.JoinHostPort: brackets around an IPv6 address. */
function joinHostPort(host: string, port: string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

export interface PodGroupOptions {
  /** The group's source; default `pod/<namespace>/<name>`. */
  source?: string;
  /** With `attach_metadata.node`: the pod's node, when known. */
  node?: KubeMetaObject | undefined;
  /** With `attach_metadata.namespace`: the pod's namespace, when known. */
  namespace?: KubeMetaObject | undefined;
}

/**
 * One target per container (init containers after the others, as Prometheus orders them), and
 * one per declared port of a container that declares ports. Unlike Prometheus, a pod without an
 * IP yet (pending, or host-network pods before they start) still gets its targets: its
 * containers may already be writing logs.
 */
export function podTargetGroup(pod: KubePod, options: PodGroupOptions = {}): TargetGroup {
  const meta = pod.metadata ?? {};
  const namespace = meta.namespace ?? '';
  const podIP = pod.status?.podIP ?? '';
  const labels: LabelSet = {
    [`${prefix}pod_ip`]: podIP,
    [`${prefix}pod_ready`]: podReady(pod),
    [`${prefix}pod_phase`]: pod.status?.phase ?? '',
    [`${prefix}pod_node_name`]: pod.spec?.nodeName ?? '',
    [`${prefix}pod_host_ip`]: pod.status?.hostIP ?? '',
    [`${prefix}pod_uid`]: meta.uid ?? '',
  };
  addObjectMetaLabels(labels, meta, 'pod');
  const controller = (meta.ownerReferences ?? []).find((ref) => ref.controller === true);
  if (controller?.kind) labels[`${prefix}pod_controller_kind`] = controller.kind;
  if (controller?.name) labels[`${prefix}pod_controller_name`] = controller.name;
  labels[`${prefix}namespace`] = namespace;
  if (options.node) addObjectMetaLabels(labels, options.node.metadata, 'node');
  if (options.namespace) addNamespaceLabels(labels, options.namespace.metadata);

  const targets: LabelSet[] = [];
  const add = (
    containers: readonly KubeContainer[],
    statuses: readonly KubeContainerStatus[],
    init: boolean,
  ) => {
    for (const c of containers) {
      const name = c.name ?? '';
      const id = statuses.find((s) => s.name === name)?.containerID ?? '';
      const base: LabelSet = {
        [`${prefix}pod_container_name`]: name,
        [`${prefix}pod_container_id`]: id,
        [`${prefix}pod_container_image`]: c.image ?? '',
        [`${prefix}pod_container_init`]: init ? 'true' : 'false',
      };
      const ports = c.ports ?? [];
      if (ports.length === 0) {
        targets.push({ __address__: podIP, ...base });
        continue;
      }
      for (const port of ports) {
        const number = String(port.containerPort ?? 0);
        targets.push({
          __address__: joinHostPort(podIP, number),
          ...base,
          [`${prefix}pod_container_port_number`]: number,
          [`${prefix}pod_container_port_name`]: port.name ?? '',
          [`${prefix}pod_container_port_protocol`]: port.protocol ?? '',
        });
      }
    }
  };
  add(pod.spec?.containers ?? [], pod.status?.containerStatuses ?? [], false);
  add(pod.spec?.initContainers ?? [], pod.status?.initContainerStatuses ?? [], true);
  return { source: options.source ?? podSource(namespace, meta.name ?? ''), targets, labels };
}
