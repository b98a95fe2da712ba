// A Reflector keeps one client-node ListWatch running: client-node's ListWatch lists, then
// watches from the list's resourceVersion, and lists again after 410 Gone, but stops on any other
// error; the Reflector restarts it with exponential backoff (resuming from the last
// resourceVersion it saw, or listing again when it has none), so no object is missed or kept.

import type * as K8s from '@kubernetes/client-node';
import type { Logger } from '../log.js';
import { timerDelay } from '../timers.js';
import { errorText } from './kubernetes-kubeconfig.js';

type K8sModule = typeof K8s;
type KubeObject = K8s.KubernetesObject;

/** Waits until every reflector listed once, or the timeout; true when all did. */
export async function syncedWithin(reflectors: readonly Reflector[], timeoutMs: number): Promise<boolean> {
  if (reflectors.length === 0) return true;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timerDelay(timeoutMs));
  });
  const all = Promise.all(reflectors.map((r) => r.synced)).then(() => true as const);
  const ok = await Promise.race([all, timeout]);
  clearTimeout(timer);
  return ok;
}

export interface ReflectorOptions {
  logger: Logger;
  /** Called at every failed list or watch (`prometheus_sd_kubernetes_failures_total`). */
  onFailure?: (() => void) | undefined;
  minBackoffMs: number;
  maxBackoffMs: number;
  watchTimeoutSeconds: readonly [number, number];
}

export interface ReflectorTarget {
  what: string;
  path: string;
  list: () => Promise<K8s.KubernetesListObject<KubeObject>>;
  labelSelector?: string | undefined;
  fieldSelector?: string | undefined;
}

/** One client-node ListWatch, kept running: restarted with backoff whenever it stops on an error. */
export class Reflector {
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
    }, timerDelay(delay));
    this.restartTimer.unref();
  }
}

export function describeError(err: unknown): { status: number | undefined; reason: string } {
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
