// `kubernetes_sd_configs` with role pod: lists and watches the pods of this node through
// @kubernetes/client-node and turns each pod into one target group with Prometheus's labels.
//
// As Promtail does, the pod watch is limited to `spec.nodeName=<node>`, the node being
// `$HOSTNAME` (set it from spec.nodeName in the DaemonSet) or else the machine's hostname.
//
// client-node's ListWatch lists, then watches from the list's resourceVersion, reconnects after
// a connection that ends cleanly, and lists again after 410 Gone (deleting what is no longer
// there). It does not survive an error: it reports it once and stops. Each ListWatch here is
// wrapped in a Reflector that restarts it with exponential backoff (resuming from the last
// resourceVersion it saw, or listing again when it has none), so no pod is missed or kept.
// Watches ask for bookmarks (their resourceVersion stays fresh, so a resumed watch rarely needs
// a full list) and for a server-side timeout, and are aborted client-side shortly after it, so a
// connection that died silently cannot leave the watch deaf for ever.

import { readFileSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import { join } from 'node:path';
import type * as K8s from '@kubernetes/client-node';
import type { Logger } from '../log.js';
import type { Discoverer, TargetGroup } from '../types.js';
import type { KubernetesSdConfig } from './kubernetes-config.js';
import { buildKubeConfig, errorText } from './kubernetes-kubeconfig.js';
import { type KubeMetaObject, type KubePod, podSource, podTargetGroup } from './kubernetes-labels.js';
import { Reflector, syncedWithin } from './kubernetes-reflector.js';
import { escapeFieldValue, parseFieldSelector } from './kubernetes-selectors.js';

type KubeObject = K8s.KubernetesObject;

export const defaultServiceAccountDir = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface KubernetesDiscovererOptions {
  config: KubernetesSdConfig;
  logger: Logger;
  /** Prepended to every group source so several discoverers of a job never collide. */
  sourcePrefix?: string;
  /** The node whose pods are watched. Default: `$HOSTNAME`, else the machine's hostname. */
  nodeName?: string;
  /** Environment for HOSTNAME and the in-cluster KUBERNETES_SERVICE_HOST/PORT. Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Where the in-cluster token, CA and namespace are. Default /var/run/secrets/kubernetes.io/serviceaccount. */
  serviceAccountDir?: string;
  /** How long start() waits for the first lists before returning (watching goes on). Default 10 s. */
  initialSyncTimeoutMs?: number;
  /** Backoff between restarts of a failed list/watch. Default 500 ms doubling up to 30 s. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** Server-side watch timeout, picked at random in [min, max] seconds per watch. Default [300, 600]. */
  watchTimeoutSeconds?: readonly [number, number];
  /** Called at every failed list or watch (`prometheus_sd_kubernetes_failures_total`). */
  onFailure?: () => void;
}

export class KubernetesDiscoverer implements Discoverer {
  private readonly config: KubernetesSdConfig;
  private readonly logger: Logger;
  private readonly env: NodeJS.ProcessEnv;
  private readonly nodeName: string;
  private readonly sourcePrefix: string;
  private readonly reflectors: Reflector[] = [];
  private readonly pods = new Map<string, KubePod>();
  private readonly nodes = new Map<string, KubeMetaObject>();
  private readonly namespaces = new Map<string, KubeMetaObject>();
  private readonly pending = new Map<string, TargetGroup>();
  private update: ((groups: TargetGroup[]) => void) | undefined;
  private flushScheduled = false;
  private stopped = false;

  constructor(private readonly options: KubernetesDiscovererOptions) {
    this.config = options.config;
    this.env = options.env ?? process.env;
    this.nodeName = options.nodeName ?? (this.env.HOSTNAME || osHostname());
    this.sourcePrefix = options.sourcePrefix ?? '';
    this.logger = options.logger.with({ component: 'kubernetes_sd', role: 'pod', config: this.config.where });
  }

  /** The pods currently known (namespace/name), for tests and status pages. */
  get podKeys(): string[] {
    return [...this.pods.keys()].sort();
  }

  async start(update: (groups: TargetGroup[]) => void): Promise<void> {
    this.update = update;
    const k8s = await import('@kubernetes/client-node');
    const kc = buildKubeConfig(
      k8s,
      this.config,
      this.env,
      this.options.serviceAccountDir ?? defaultServiceAccountDir,
    );
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const c = this.config;
    const inCluster = !c.apiServer && !c.kubeconfigFile;

    if (!this.options.nodeName && !this.env.HOSTNAME) {
      this.logger.error(
        `HOSTNAME is not set: watching the pods of node "${this.nodeName}" (this machine's hostname). In a DaemonSet, set HOSTNAME from the pod's spec.nodeName (env valueFrom fieldRef), or no pod of this node is found and nothing is shipped`,
      );
    }

    const namespaces = [...new Set(c.namespaces.names)];
    if (c.namespaces.ownNamespace) {
      const file = join(this.options.serviceAccountDir ?? defaultServiceAccountDir, 'namespace');
      let own: string;
      try {
        own = readFileSync(file, 'utf8').trim();
      } catch (e) {
        throw new Error(
          `${c.where}: namespaces.own_namespace: could not determine the pod's namespace: ${errorText(e)}`,
        );
      }
      if (own === '') throw new Error(`${c.where}: namespaces.own_namespace: ${file} is empty`);
      if (!namespaces.includes(own)) namespaces.push(own);
    }

    const reflectorOptions = {
      logger: this.logger,
      minBackoffMs: this.options.minBackoffMs ?? 500,
      maxBackoffMs: this.options.maxBackoffMs ?? 30_000,
      watchTimeoutSeconds: this.options.watchTimeoutSeconds ?? [300, 600],
      onFailure: this.options.onFailure,
    };

    // Node and namespace metadata first, so pods are emitted with it from the start instead of
    // being emitted twice (and their targets restarted) once it arrives.
    const metadata: Reflector[] = [];
    if (c.attachMetadata.node) {
      const sel = c.selectors.node;
      const field = joinFields(sel.field, `metadata.name=${escapeFieldValue(this.nodeName)}`);
      const r = new Reflector(k8s, kc, reflectorOptions, {
        what: `node ${this.nodeName}`,
        path: '/api/v1/nodes',
        list: () => core.listNode({ fieldSelector: field, labelSelector: sel.label }),
        labelSelector: sel.label,
        fieldSelector: field,
      });
      r.onChange(
        (node) => this.nodeChanged(node, false),
        (node) => this.nodeChanged(node, true),
      );
      metadata.push(r);
    }
    if (c.attachMetadata.namespace) {
      for (const ns of namespaces.length > 0 ? namespaces : ['']) {
        const field = ns ? `metadata.name=${escapeFieldValue(ns)}` : undefined;
        const r = new Reflector(k8s, kc, reflectorOptions, {
          what: ns ? `namespace ${ns}` : 'namespaces',
          path: '/api/v1/namespaces',
          list: () => core.listNamespace({ fieldSelector: field }),
          fieldSelector: field,
        });
        r.onChange(
          (obj) => this.namespaceChanged(obj, false),
          (obj) => this.namespaceChanged(obj, true),
        );
        metadata.push(r);
      }
    }

    const podSel = c.selectors.pod;
    const userFields = podSel.field ? parseFieldSelector(podSel.field) : [];
    // A user who selects the node themselves (e.g. to read another node's pods from shared storage) is obeyed.
    const podField = userFields.some((f) => f.field === 'spec.nodeName')
      ? podSel.field
      : joinFields(podSel.field, `spec.nodeName=${escapeFieldValue(this.nodeName)}`);
    const podReflectors: Reflector[] = [];
    for (const ns of namespaces.length > 0 ? namespaces : ['']) {
      const r = new Reflector(k8s, kc, reflectorOptions, {
        what: ns ? `pods in namespace ${ns}` : 'pods in all namespaces',
        path: ns ? `/api/v1/namespaces/${encodeURIComponent(ns)}/pods` : '/api/v1/pods',
        list: ns
          ? () =>
              core.listNamespacedPod({ namespace: ns, fieldSelector: podField, labelSelector: podSel.label })
          : () => core.listPodForAllNamespaces({ fieldSelector: podField, labelSelector: podSel.label }),
        labelSelector: podSel.label,
        fieldSelector: podField,
      });
      r.onChange(
        (pod) => this.podChanged(pod as KubePod, false),
        (pod) => this.podChanged(pod as KubePod, true),
      );
      podReflectors.push(r);
    }

    this.logger.info('watching pods', {
      node: this.nodeName,
      namespaces: namespaces.length > 0 ? namespaces.join(',') : '(all)',
      fieldSelector: podField,
      labelSelector: podSel.label,
      apiServer: c.apiServer ?? (c.kubeconfigFile ? `kubeconfig ${c.kubeconfigFile}` : 'in-cluster'),
    });
    const timeout = this.options.initialSyncTimeoutMs ?? 10_000;
    this.reflectors.push(...metadata);
    for (const r of metadata) r.start();
    if (!(await syncedWithin(metadata, timeout)))
      this.logger.warn('node/namespace metadata not listed yet: pods may first be shipped without it', {
        waitedMs: timeout,
      });
    this.reflectors.push(...podReflectors);
    for (const r of podReflectors) r.start();
    const synced = await syncedWithin(podReflectors, timeout);
    this.flush();
    if (!synced) {
      this.logger.error('could not list pods yet: targets appear once the Kubernetes API answers', {
        waitedMs: timeout,
      });
      return;
    }
    if (c.attachMetadata.node && !this.nodes.has(this.nodeName))
      this.logger.warn(
        `attach_metadata.node: node "${this.nodeName}" was not found: is HOSTNAME the node's name?`,
      );
    if (this.pods.size === 0) {
      const restricted = namespaces.length > 0 || podSel.label !== undefined || podSel.field !== undefined;
      const say = restricted ? this.logger.warn.bind(this.logger) : this.logger.error.bind(this.logger);
      say(
        `no pod is scheduled on node "${this.nodeName}": nothing will be shipped until one is. If this agent runs in the cluster, its own pod should be there: check that HOSTNAME is the node's name (spec.nodeName)${inCluster ? '' : ' and that api_server points at the right cluster'}`,
      );
    } else {
      this.logger.info('pods listed', { pods: this.pods.size, node: this.nodeName });
    }
  }

  /** For /ready: the Kubernetes API cannot be reached (a list or watch keeps failing). */
  unhealthy(): string | undefined {
    const failing = this.reflectors.find((r) => r.failing);
    return failing
      ? `Not ready: cannot reach the Kubernetes API (listing ${failing.what} fails: ${failing.lastError})`
      : undefined;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.reflectors.map((r) => r.stop()));
  }

  private podChanged(pod: KubePod, deleted: boolean): void {
    const ns = pod.metadata?.namespace ?? '';
    const name = pod.metadata?.name ?? '';
    const key = `${ns}/${name}`;
    const source = this.sourcePrefix + podSource(ns, name);
    if (deleted) {
      this.pods.delete(key);
      this.emit({ source, targets: [], labels: {} });
      return;
    }
    this.pods.set(key, pod);
    this.emit(this.group(pod));
  }

  private group(pod: KubePod): TargetGroup {
    const ns = pod.metadata?.namespace ?? '';
    return podTargetGroup(pod, {
      source: this.sourcePrefix + podSource(ns, pod.metadata?.name ?? ''),
      node: this.config.attachMetadata.node ? this.nodes.get(pod.spec?.nodeName ?? '') : undefined,
      namespace: this.config.attachMetadata.namespace ? this.namespaces.get(ns) : undefined,
    });
  }

  private nodeChanged(node: KubeObject, deleted: boolean): void {
    const name = node.metadata?.name ?? '';
    if (deleted) this.nodes.delete(name);
    else this.nodes.set(name, node as KubeMetaObject);
    for (const pod of this.pods.values()) if (pod.spec?.nodeName === name) this.emit(this.group(pod));
  }

  private namespaceChanged(ns: KubeObject, deleted: boolean): void {
    const name = ns.metadata?.name ?? '';
    if (deleted) this.namespaces.delete(name);
    else this.namespaces.set(name, ns as KubeMetaObject);
    for (const pod of this.pods.values()) if (pod.metadata?.namespace === name) this.emit(this.group(pod));
  }

  /** Groups are handed on together once the current burst of events (e.g. a list) is processed. */
  private emit(group: TargetGroup): void {
    if (this.stopped) return;
    this.pending.set(group.source, group);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.pending.size === 0 || this.stopped || !this.update) return;
    const groups = [...this.pending.values()];
    this.pending.clear();
    this.update(groups);
  }
}

function joinFields(user: string | undefined, ours: string): string {
  return user ? `${user},${ours}` : ours;
}
