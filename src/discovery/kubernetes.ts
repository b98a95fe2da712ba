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
import { version } from '../version.js';
import type { KubernetesSdConfig } from './kubernetes-config.js';
import { type KubeMetaObject, type KubePod, podSource, podTargetGroup } from './kubernetes-labels.js';
import { escapeFieldValue, parseFieldSelector } from './kubernetes-selectors.js';

type K8sModule = typeof K8s;
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
    const kc = this.kubeConfig(k8s);
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

  private kubeConfig(k8s: K8sModule): K8s.KubeConfig {
    const c = this.config;
    const kc = new k8s.KubeConfig();
    if (c.kubeconfigFile) {
      try {
        kc.loadFromFile(c.kubeconfigFile);
      } catch (e) {
        throw new Error(`${c.where}: kubeconfig_file ${c.kubeconfigFile}: ${errorText(e)}`);
      }
      if (!kc.getCurrentCluster())
        throw new Error(`${c.where}: kubeconfig_file ${c.kubeconfigFile}: no current context with a cluster`);
      return kc;
    }
    const t = c.http.tls;
    let server: string;
    let caFile = t.caFile;
    let auth: () => string | undefined;
    if (c.apiServer) {
      server = c.apiServer.replace(/\/+$/, '');
      auth = headerFor(c.http);
    } else {
      const host = this.env.KUBERNETES_SERVICE_HOST;
      const port = this.env.KUBERNETES_SERVICE_PORT;
      if (!host || !port)
        throw new Error(
          `${c.where}: kubernetes_sd_configs without api_server or kubeconfig_file use the in-cluster config, but KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set: run in a pod, or set api_server or kubeconfig_file`,
        );
      const dir = this.options.serviceAccountDir ?? defaultServiceAccountDir;
      const tokenFile = join(dir, 'token');
      try {
        readFileSync(tokenFile);
      } catch (e) {
        throw new Error(
          `${c.where}: in-cluster config: cannot read the service account token: ${errorText(e)}`,
        );
      }
      caFile = join(dir, 'ca.crt');
      try {
        readFileSync(caFile);
      } catch (e) {
        throw new Error(`${c.where}: in-cluster config: cannot read the cluster CA: ${errorText(e)}`);
      }
      server = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
      // The token is rotated by the kubelet: read it for every request, as client-go re-reads it.
      auth = headerFor({ bearerTokenFile: tokenFile, tls: t });
    }
    const name = 'logferry-kubernetes-sd';
    const cluster: K8s.Cluster = {
      name,
      server,
      // client-node refuses http:// unless TLS verification is off; there is no TLS to verify then.
      skipTLSVerify: server.startsWith('http:') || t.insecureSkipVerify,
      ...(caFile ? { caFile } : {}),
      ...(t.ca ? { caData: Buffer.from(t.ca).toString('base64') } : {}),
      ...(t.serverName ? { tlsServerName: t.serverName } : {}),
      ...(c.http.proxyUrl ? { proxyUrl: c.http.proxyUrl } : {}),
    };
    const user: K8s.User = {
      name,
      ...(t.certFile ? { certFile: t.certFile } : {}),
      ...(t.cert ? { certData: Buffer.from(t.cert).toString('base64') } : {}),
      ...(t.keyFile ? { keyFile: t.keyFile } : {}),
      ...(t.key ? { keyData: Buffer.from(t.key).toString('base64') } : {}),
    };
    kc.loadFromOptions({
      clusters: [cluster],
      users: [user],
      contexts: [{ name, cluster: name, user: name }],
      currentContext: name,
    });
    kc.addAuthenticator({
      isAuthProvider: (u: K8s.User) => u.name === name,
      async applyAuthentication(_u: K8s.User, opts: { headers?: Record<string, unknown> }) {
        opts.headers ??= {};
        opts.headers['User-Agent'] = `logferry/${version}`;
        const value = auth();
        if (value !== undefined) opts.headers.Authorization = value;
      },
    } as Parameters<K8s.KubeConfig['addAuthenticator']>[0]);
    return kc;
  }
}

/** The Authorization header of an HTTP client config; files are read on every request so rotated secrets are picked up. */
function headerFor(http: KubernetesSdConfig['http']): () => string | undefined {
  const read = (file: string) => readFileSync(file, 'utf8').trim();
  if (http.bearerToken !== undefined) {
    const v = `Bearer ${http.bearerToken}`;
    return () => v;
  }
  if (http.bearerTokenFile !== undefined) {
    const f = http.bearerTokenFile;
    return () => `Bearer ${read(f)}`;
  }
  const a = http.authorization;
  if (a) return () => `${a.type} ${a.credentialsFile ? read(a.credentialsFile) : (a.credentials ?? '')}`;
  const b = http.basicAuth;
  if (b) {
    return () => {
      const password = b.passwordFile ? read(b.passwordFile) : (b.password ?? '');
      return `Basic ${Buffer.from(`${b.username}:${password}`).toString('base64')}`;
    };
  }
  return () => undefined;
}

function joinFields(user: string | undefined, ours: string): string {
  return user ? `${user},${ours}` : ours;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Waits until every reflector listed once, or the timeout; true when all did. */
async function syncedWithin(reflectors: readonly Reflector[], timeoutMs: number): Promise<boolean> {
  if (reflectors.length === 0) return true;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const all = Promise.all(reflectors.map((r) => r.synced)).then(() => true as const);
  const ok = await Promise.race([all, timeout]);
  clearTimeout(timer);
  return ok;
}

interface ReflectorOptions {
  logger: Logger;
  onFailure?: (() => void) | undefined;
  minBackoffMs: number;
  maxBackoffMs: number;
  watchTimeoutSeconds: readonly [number, number];
}

interface ReflectorTarget {
  what: string;
  path: string;
  list: () => Promise<K8s.KubernetesListObject<KubeObject>>;
  labelSelector?: string | undefined;
  fieldSelector?: string | undefined;
}

/** One client-node ListWatch, kept running: restarted with backoff whenever it stops on an error. */
class Reflector {
  /** Resolves after the first successful list has been processed. */
  readonly synced: Promise<void>;
  private readonly informer: K8s.ListWatch<KubeObject>;
  private readonly logger: Logger;
  private readonly watches = new Set<AbortController>();
  private resolveSynced!: () => void;
  private backoffMs: number;
  private failures = 0;
  /** The last failure's reason, for /ready. */
  lastError = '';
  private restartTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    k8s: K8sModule,
    kc: K8s.KubeConfig,
    private readonly options: ReflectorOptions,
    private readonly target: ReflectorTarget,
  ) {
    this.logger = options.logger.with({ watch: target.what });
    this.backoffMs = options.minBackoffMs;
    this.synced = new Promise((resolve) => {
      this.resolveSynced = resolve;
    });
    const inner = new k8s.Watch(kc);
    // ListWatch only calls watch(); this adds bookmarks and timeouts, and refuses to start a
    // watch once stopped (ListWatch would otherwise open one after a list that was in flight).
    const watch = {
      watch: (
        path: string,
        query: Record<string, string | number | boolean | undefined>,
        callback: (phase: string, obj: unknown, watchObj?: unknown) => void,
        done: (err: unknown) => void,
      ) => this.watch(inner, path, query, callback, done),
    } as unknown as K8s.Watch;
    const list = async () => {
      if (this.stopped) throw new Error('stopped');
      const result = await target.list();
      this.succeeded();
      // ListWatch processes the items as soon as this promise settles; `synced` follows that.
      setImmediate(() => this.resolveSynced());
      return result;
    };
    this.informer = new k8s.ListWatch(
      target.path,
      watch,
      list,
      false,
      target.labelSelector,
      target.fieldSelector,
    );
    this.informer.on('error', (err) => this.failed(err));
  }

  onChange(changed: (obj: KubeObject) => void, deleted: (obj: KubeObject) => void): void {
    const guard = (fn: (obj: KubeObject) => void) => (obj: KubeObject) => {
      if (this.stopped) return;
      try {
        fn(obj);
      } catch (e) {
        this.logger.error('could not handle a Kubernetes object', {
          err: errorText(e),
          object: obj.metadata?.name,
        });
      }
    };
    this.informer.on('add', guard(changed));
    this.informer.on('update', guard(changed));
    this.informer.on('delete', guard(deleted));
  }

  start(): void {
    this.informer.start().catch((e: unknown) => this.failed(e));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    for (const c of this.watches) c.abort();
    this.watches.clear();
    await this.informer.stop();
  }

  private async watch(
    inner: K8s.Watch,
    path: string,
    query: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, obj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    if (this.stopped) {
      const c = new AbortController();
      c.abort();
      return c;
    }
    const [min, max] = this.options.watchTimeoutSeconds;
    const timeoutSeconds = Math.round(min + Math.random() * (max - min));
    let deadline: NodeJS.Timeout | undefined;
    let expired = false;
    let controller: AbortController | undefined;
    const finished = (err: unknown) => {
      clearTimeout(deadline);
      if (controller) this.watches.delete(controller);
      // Our own deadline ends a watch as the server's timeout would: resume from the last version at once.
      if (!this.stopped) done(expired ? null : err);
    };
    controller = await inner.watch(
      path,
      { ...query, allowWatchBookmarks: true, timeoutSeconds },
      (phase, obj, watchObj) => {
        if (this.stopped) return;
        if (phase === 'ERROR') {
          const status = obj as { code?: number; message?: string };
          if (status.code === 410) this.logger.info('watch expired (410 Gone): listing again');
          else this.logger.warn('watch reported an error', { code: status.code, err: status.message });
        } else this.succeeded();
        callback(phase, obj, watchObj);
      },
      finished,
    );
    // stop() may have come while the request was on its way.
    if (this.stopped) controller.abort();
    if (!controller.signal.aborted) {
      this.succeeded();
      this.watches.add(controller);
      // The server ends the watch after timeoutSeconds; a connection that died without a word would not.
      const c = controller;
      deadline = setTimeout(
        () => {
          expired = true;
          c.abort();
        },
        (timeoutSeconds + 30) * 1000,
      );
      deadline.unref();
      c.signal.addEventListener('abort', () => clearTimeout(deadline), { once: true });
    }
    return controller;
  }

  /** True from a failed list/watch until the next one succeeds. */
  get failing(): boolean {
    return this.failures > 0;
  }

  get what(): string {
    return this.target.what;
  }

  private succeeded(): void {
    if (this.failures > 0) this.logger.info('watching again', { afterFailures: this.failures });
    this.failures = 0;
    this.backoffMs = this.options.minBackoffMs;
  }

  private failed(err: unknown): void {
    if (this.stopped || this.restartTimer) return;
    this.failures++;
    this.options.onFailure?.();
    const delay = this.backoffMs * (0.8 + Math.random() * 0.4);
    this.backoffMs = Math.min(this.options.maxBackoffMs, this.backoffMs * 2);
    const { status, reason } = describeError(err);
    this.lastError = status ? `${status} ${reason}` : reason;
    const fields = { err: reason, status, retryInMs: Math.round(delay), failures: this.failures };
    const hint =
      status === 401
        ? ': the credentials were refused'
        : status === 403
          ? `: forbidden, the service account needs list and watch on ${this.target.path.split('/').pop()} (ClusterRole)`
          : '';
    if (this.failures === 1 || status === 401 || status === 403)
      this.logger.warn(`list/watch failed${hint}; retrying`, fields);
    else this.logger.debug('list/watch failed again; retrying', fields);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (!this.stopped) this.start();
    }, delay);
    this.restartTimer.unref();
  }
}

function describeError(err: unknown): { status: number | undefined; reason: string } {
  const e = err as { code?: unknown; statusCode?: unknown; body?: unknown; message?: unknown } | undefined;
  const status =
    typeof e?.code === 'number' ? e.code : typeof e?.statusCode === 'number' ? e.statusCode : undefined;
  let reason = typeof e?.message === 'string' ? e.message.split('\n')[0]! : String(err);
  if (typeof e?.body === 'string') {
    try {
      const body = JSON.parse(e.body) as { message?: string };
      if (body.message) reason = body.message;
    } catch {
      // not a Status object: keep the message
    }
  }
  return { status, reason };
}
