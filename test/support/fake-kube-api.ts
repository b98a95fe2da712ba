// A fake Kubernetes API server over real HTTP(S), for driving the real @kubernetes/client-node:
// list, watch and get of pods, nodes and namespaces, with the API server's semantics where
// clients depend on them:
//
// - one resourceVersion counter for everything; every change is an event kept in a log;
// - list returns the current objects and the current resourceVersion;
// - watch without a resourceVersion (or "0") starts with ADDED for every object; with one, it
//   replays the events after it, then streams; a version older than the last compaction gets an
//   ERROR event with a 410 Status (or, with `goneAsStatus`, an HTTP 410) and the stream ends;
// - label and field selectors on list and watch; an object that stops matching a watch's selector
//   arrives as DELETED, one that starts matching as ADDED;
// - bookmarks for watches that allow them (on demand, or every `bookmarkIntervalMs`);
// - `timeoutSeconds` ends a watch cleanly;
// - auth (bearer token, basic, client certificate) and TLS.
// Tests change the cluster (create, modify, remove), compact the history, drop watches abruptly
// or end them cleanly, make requests fail, refuse connections, and read the request log.

import { once } from 'node:events';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import {
  type FieldRequirement,
  type LabelRequirement,
  matchesLabelSelector,
  parseFieldSelector,
  parseLabelSelector,
  SelectorError,
} from '../../src/discovery/kubernetes-selectors.js';

export type Resource = 'pods' | 'nodes' | 'namespaces';

// biome-ignore lint/suspicious/noExplicitAny: Kubernetes objects are free-form JSON here.
export type KubeObject = { apiVersion?: string; kind?: string; metadata: KubeMeta; spec?: any; status?: any };

export interface KubeMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [key: string]: unknown;
}

export interface ApiRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  verb: 'list' | 'watch' | 'get' | 'unknown';
  resource: Resource | undefined;
  namespace: string | undefined;
  headers: IncomingMessage['headers'];
  /** The HTTP status answered (200 for a watch that started). */
  status: number;
}

export interface FakeKubeApiOptions {
  tls?: { key: string | Buffer; cert: string | Buffer; ca?: string | Buffer };
  /** What a request must carry; anything else gets 401. */
  auth?: { bearerToken?: string; basic?: { username: string; password: string }; clientCertCN?: string };
  /** Send BOOKMARK events this often to watches that allow them (0: only through bookmark()). */
  bookmarkIntervalMs?: number;
  /** Answer a watch from a compacted version with HTTP 410 instead of an ERROR event. */
  goneAsStatus?: boolean;
}

interface Event {
  rv: number;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  resource: Resource;
  object: KubeObject;
  previous: KubeObject | undefined;
}

interface Watcher {
  resource: Resource;
  namespace: string | undefined;
  labels: LabelRequirement[];
  fields: FieldRequirement[];
  bookmarks: boolean;
  res: ServerResponse;
  socket: Socket;
  timer: NodeJS.Timeout | undefined;
}

interface Failure {
  remaining: number;
  status: number;
  match: (req: ApiRequest) => boolean;
}

const kinds: Record<Resource, { kind: string; list: string; namespaced: boolean }> = {
  pods: { kind: 'Pod', list: 'PodList', namespaced: true },
  nodes: { kind: 'Node', list: 'NodeList', namespaced: false },
  namespaces: { kind: 'Namespace', list: 'NamespaceList', namespaced: false },
};

const podFields = new Set(['metadata.name', 'metadata.namespace', 'spec.nodeName', 'status.phase']);
const clusterFields = new Set(['metadata.name']);

export class FakeKubeApi {
  readonly requests: ApiRequest[] = [];
  private readonly store: Record<Resource, Map<string, KubeObject>> = {
    pods: new Map(),
    nodes: new Map(),
    namespaces: new Map(),
  };
  private readonly events: Event[] = [];
  private readonly watchers = new Set<Watcher>();
  private readonly sockets = new Set<Socket>();
  private readonly failures: Failure[] = [];
  private readonly listeners = new Set<() => void>();
  private rv = 1000;
  private compactedRv = 0;
  private uidCounter = 0;
  private refusing = false;
  private bookmarkTimer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly server: Server,
    readonly url: string,
    private options: FakeKubeApiOptions,
  ) {}

  /** Changes what requests must carry from now on (e.g. a rotated token). */
  setAuth(auth: FakeKubeApiOptions['auth']): void {
    this.options = { ...this.options, auth };
  }

  static async start(options: FakeKubeApiOptions = {}): Promise<FakeKubeApi> {
    let api: FakeKubeApi | undefined;
    const handler = (req: IncomingMessage, res: ServerResponse) => api!.handle(req, res);
    const server: Server = options.tls
      ? createHttpsServer(
          {
            key: options.tls.key,
            cert: options.tls.cert,
            ...(options.tls.ca ? { ca: options.tls.ca, requestCert: true, rejectUnauthorized: false } : {}),
          },
          handler,
        )
      : createHttpServer(handler);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as { port: number }).port;
    api = new FakeKubeApi(server, `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`, options);
    server.on(options.tls ? 'secureConnection' : 'connection', (socket: Socket) => api!.connected(socket));
    if (options.tls) server.on('connection', (socket: Socket) => api!.rawConnected(socket));
    if (options.bookmarkIntervalMs) {
      api.bookmarkTimer = setInterval(() => api!.bookmark(), options.bookmarkIntervalMs);
      api.bookmarkTimer.unref();
    }
    return api;
  }

  /** The current resourceVersion. */
  get resourceVersion(): number {
    return this.rv;
  }

  // --- the cluster -------------------------------------------------------------------------

  /** Loads objects as they are (each becomes an ADDED event). */
  load(cluster: { pods?: KubeObject[]; nodes?: KubeObject[]; namespaces?: KubeObject[] }): void {
    for (const n of cluster.namespaces ?? []) this.create('namespaces', n);
    for (const n of cluster.nodes ?? []) this.create('nodes', n);
    for (const p of cluster.pods ?? []) this.create('pods', p);
  }

  create(resource: Resource, object: KubeObject): KubeObject {
    const key = keyOf(resource, object);
    if (this.store[resource].has(key)) throw new Error(`${resource} ${key} exists`);
    const obj = structuredClone(object);
    obj.apiVersion = 'v1';
    obj.kind = kinds[resource].kind;
    obj.metadata.uid ??= `00000000-0000-4000-8000-${String(++this.uidCounter).padStart(12, '0')}`;
    obj.metadata.resourceVersion = String(++this.rv);
    this.store[resource].set(key, obj);
    this.record({ rv: this.rv, type: 'ADDED', resource, object: obj, previous: undefined });
    return structuredClone(obj);
  }

  /** Changes an object through `change` (on a copy); a MODIFIED event. */
  modify(resource: Resource, key: string, change: (obj: KubeObject) => void): KubeObject {
    const previous = this.store[resource].get(key);
    if (!previous) throw new Error(`no ${resource} ${key}`);
    const obj = structuredClone(previous);
    change(obj);
    obj.metadata.resourceVersion = String(++this.rv);
    this.store[resource].set(key, obj);
    this.record({ rv: this.rv, type: 'MODIFIED', resource, object: obj, previous });
    return structuredClone(obj);
  }

  /** Removes an object; a DELETED event carrying its last state. */
  remove(resource: Resource, key: string): void {
    const previous = this.store[resource].get(key);
    if (!previous) throw new Error(`no ${resource} ${key}`);
    this.store[resource].delete(key);
    const obj = structuredClone(previous);
    obj.metadata.resourceVersion = String(++this.rv);
    this.record({ rv: this.rv, type: 'DELETED', resource, object: obj, previous });
  }

  get(resource: Resource, key: string): KubeObject | undefined {
    const o = this.store[resource].get(key);
    return o && structuredClone(o);
  }

  list(resource: Resource): KubeObject[] {
    return [...this.store[resource].values()].map((o) => structuredClone(o));
  }

  /** Forgets the history: a watch from any version before now gets 410 Gone. */
  compact(): void {
    this.compactedRv = this.rv;
    this.events.length = 0;
  }

  // --- faults ------------------------------------------------------------------------------

  /** Destroys the connections of every open watch without a word; returns how many. */
  dropWatches(): number {
    const n = this.watchers.size;
    for (const w of [...this.watchers]) {
      this.watchers.delete(w);
      clearTimeout(w.timer);
      w.socket.destroy();
    }
    this.changed();
    return n;
  }

  /** Ends every open watch cleanly, as the API server does at its timeout; returns how many. */
  endWatches(): number {
    const n = this.watchers.size;
    for (const w of [...this.watchers]) this.endWatch(w);
    return n;
  }

  /** Sends a BOOKMARK with the current version to every watch that allows them. */
  bookmark(): void {
    for (const w of this.watchers) {
      if (w.bookmarks)
        this.send(w, {
          type: 'BOOKMARK',
          object: {
            kind: kinds[w.resource].kind,
            apiVersion: 'v1',
            metadata: { resourceVersion: String(this.rv) },
          },
        });
    }
  }

  /** The next `count` requests that `match` answer `status` with a Status body. */
  failNext(count: number, status = 500, match: (req: ApiRequest) => boolean = () => true): void {
    this.failures.push({ remaining: count, status, match });
  }

  /** While on, every new connection is closed at once (the API server is down); open ones are dropped. */
  refuseConnections(on: boolean): void {
    this.refusing = on;
    if (on) {
      this.dropWatches();
      for (const s of this.sockets) s.destroy();
    }
  }

  // --- observing ---------------------------------------------------------------------------

  get openWatches(): number {
    return this.watchers.size;
  }

  /** Resolves when `check` holds (re-checked after every request and change), or rejects at the deadline. */
  waitFor(check: (api: FakeKubeApi) => boolean, timeoutMs = 60_000, what = 'condition'): Promise<void> {
    return new Promise((resolve, reject) => {
      const test = () => {
        if (!check(this)) return;
        done();
        resolve();
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`fake kube-apiserver: timed out waiting for ${what}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.listeners.delete(test);
      };
      this.listeners.add(test);
      test();
    });
  }

  /** Distinct `verb resource` pairs requested so far (e.g. `watch pods`). */
  calls(): string[] {
    return [...new Set(this.requests.filter((r) => r.resource).map((r) => `${r.verb} ${r.resource}`))].sort();
  }

  async close(): Promise<void> {
    clearInterval(this.bookmarkTimer);
    for (const w of this.watchers) clearTimeout(w.timer);
    this.watchers.clear();
    for (const s of this.sockets) s.destroy();
    this.server.close();
    await once(this.server, 'close');
  }

  // --- HTTP --------------------------------------------------------------------------------

  private rawConnected(socket: Socket): void {
    if (this.refusing) socket.destroy();
  }

  private connected(socket: Socket): void {
    if (this.refusing) {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
  }

  private changed(): void {
    for (const l of [...this.listeners]) l();
  }

  private handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://x');
    const query = Object.fromEntries(url.searchParams);
    const route = parsePath(url.pathname);
    const watch = query.watch === 'true' || query.watch === '1';
    const entry: ApiRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query,
      verb: !route ? 'unknown' : route.name !== undefined ? 'get' : watch ? 'watch' : 'list',
      resource: route?.resource,
      namespace: route?.namespace,
      headers: req.headers,
      status: 200,
    };
    this.requests.push(entry);
    const answer = (status: number, body: unknown) => {
      entry.status = status;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
      this.changed();
    };
    const fail = (status: number, reason: string, message: string) =>
      answer(status, {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message,
        reason,
        code: status,
      });

    if (!this.authorized(req)) return fail(401, 'Unauthorized', 'Unauthorized');
    const failure = this.failures.find((f) => f.remaining > 0 && f.match(entry));
    if (failure) {
      failure.remaining--;
      return fail(failure.status, 'InternalError', `injected failure (${failure.status})`);
    }
    if (!route || req.method !== 'GET')
      return fail(404, 'NotFound', `the server could not find ${url.pathname}`);

    const { resource, namespace, name } = route;
    if (name !== undefined) {
      const obj = this.store[resource].get(kinds[resource].namespaced ? `${namespace}/${name}` : name);
      if (!obj) return fail(404, 'NotFound', `${resource} "${name}" not found`);
      return answer(200, obj);
    }
    let labels: LabelRequirement[];
    let fields: FieldRequirement[];
    try {
      labels = parseLabelSelector(query.labelSelector ?? '');
      fields = parseFieldSelector(query.fieldSelector ?? '');
    } catch (e) {
      if (e instanceof SelectorError) return fail(400, 'BadRequest', e.message);
      throw e;
    }
    const allowed = resource === 'pods' ? podFields : clusterFields;
    const unknown = fields.find((f) => !allowed.has(f.field));
    if (unknown) return fail(400, 'BadRequest', `field label not supported: ${unknown.field}`);

    const matches = (o: KubeObject) =>
      (namespace === undefined || o.metadata.namespace === namespace) &&
      matchesLabelSelector(labels, o.metadata.labels) &&
      fields.every((f) => (fieldValue(o, f.field) === f.value) === (f.op === '='));

    if (!watch) {
      const items = [...this.store[resource].values()]
        .filter(matches)
        .sort((a, b) => keyOf(resource, a).localeCompare(keyOf(resource, b)))
        .map(({ apiVersion: _a, kind: _k, ...rest }) => rest);
      return answer(200, {
        kind: kinds[resource].list,
        apiVersion: 'v1',
        metadata: { resourceVersion: String(this.rv) },
        items,
      });
    }

    const from = query.resourceVersion;
    const since = from === undefined || from === '' || from === '0' ? undefined : Number(from);
    if (since !== undefined && (!Number.isInteger(since) || since < this.compactedRv)) {
      const message = `too old resource version: ${from} (${this.compactedRv})`;
      if (this.options.goneAsStatus) return fail(410, 'Expired', message);
      entry.status = 200;
      res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
      res.end(
        `${JSON.stringify({
          type: 'ERROR',
          object: {
            kind: 'Status',
            apiVersion: 'v1',
            metadata: {},
            status: 'Failure',
            message,
            reason: 'Expired',
            code: 410,
          },
        })}\n`,
      );
      this.changed();
      return;
    }

    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    res.flushHeaders();
    const w: Watcher = {
      resource,
      namespace,
      labels,
      fields,
      bookmarks: query.allowWatchBookmarks === 'true',
      res,
      socket: req.socket,
      timer: undefined,
    };
    const matchesWatch = (o: KubeObject) => this.matches(w, o);
    if (since === undefined) {
      for (const o of this.store[resource].values())
        if (matchesWatch(o)) this.send(w, { type: 'ADDED', object: o });
    } else {
      for (const e of this.events) if (e.rv > since && e.resource === resource) this.deliver(w, e);
    }
    const timeout = Number(query.timeoutSeconds);
    if (timeout > 0) {
      w.timer = setTimeout(() => this.endWatch(w), timeout * 1000);
      w.timer.unref();
    }
    res.on('close', () => {
      clearTimeout(w.timer);
      if (this.watchers.delete(w)) this.changed();
    });
    this.watchers.add(w);
    this.changed();
  }

  private authorized(req: IncomingMessage): boolean {
    const auth = this.options.auth;
    if (!auth) return true;
    const header = req.headers.authorization ?? '';
    if (auth.bearerToken !== undefined && header === `Bearer ${auth.bearerToken}`) return true;
    if (auth.basic) {
      const expected = `Basic ${Buffer.from(`${auth.basic.username}:${auth.basic.password}`).toString('base64')}`;
      if (header === expected) return true;
    }
    if (auth.clientCertCN !== undefined) {
      const socket = req.socket as TLSSocket;
      if (socket.authorized && socket.getPeerCertificate?.()?.subject?.CN === auth.clientCertCN) return true;
    }
    return false;
  }

  private matches(w: Watcher, o: KubeObject): boolean {
    return (
      (w.namespace === undefined || o.metadata.namespace === w.namespace) &&
      matchesLabelSelector(w.labels, o.metadata.labels) &&
      w.fields.every((f) => (fieldValue(o, f.field) === f.value) === (f.op === '='))
    );
  }

  private record(e: Event): void {
    this.events.push(e);
    for (const w of this.watchers) if (w.resource === e.resource) this.deliver(w, e);
    this.changed();
  }

  /** One event as a watch with selectors sees it. */
  private deliver(w: Watcher, e: Event): void {
    const now = this.matches(w, e.object);
    const before = e.previous !== undefined && this.matches(w, e.previous);
    if (e.type === 'ADDED' && now) this.send(w, { type: 'ADDED', object: e.object });
    else if (e.type === 'DELETED' && before) this.send(w, { type: 'DELETED', object: e.object });
    else if (e.type === 'MODIFIED') {
      if (now && before) this.send(w, { type: 'MODIFIED', object: e.object });
      else if (now) this.send(w, { type: 'ADDED', object: e.object });
      else if (before) this.send(w, { type: 'DELETED', object: e.object });
    }
  }

  private send(w: Watcher, event: { type: string; object: unknown }): void {
    if (!w.res.writableEnded) w.res.write(`${JSON.stringify(event)}\n`);
  }

  private endWatch(w: Watcher): void {
    clearTimeout(w.timer);
    this.watchers.delete(w);
    w.res.end();
    this.changed();
  }
}

function keyOf(resource: Resource, o: KubeObject): string {
  return kinds[resource].namespaced ? `${o.metadata.namespace ?? ''}/${o.metadata.name}` : o.metadata.name;
}

function fieldValue(o: KubeObject, field: string): string {
  switch (field) {
    case 'metadata.name':
      return o.metadata.name;
    case 'metadata.namespace':
      return o.metadata.namespace ?? '';
    case 'spec.nodeName':
      return o.spec?.nodeName ?? '';
    case 'status.phase':
      return o.status?.phase ?? '';
    default:
      return '';
  }
}

function parsePath(path: string): { resource: Resource; namespace?: string; name?: string } | undefined {
  const p = path.split('/').filter(Boolean).map(decodeURIComponent);
  if (p[0] !== 'api' || p[1] !== 'v1') return undefined;
  const rest = p.slice(2);
  if (rest[0] === 'pods' && rest.length === 1) return { resource: 'pods' };
  if (rest[0] === 'nodes' && rest.length <= 2)
    return rest[1] ? { resource: 'nodes', name: rest[1] } : { resource: 'nodes' };
  if (rest[0] === 'namespaces') {
    if (rest.length === 1) return { resource: 'namespaces' };
    if (rest.length === 2) return { resource: 'namespaces', name: rest[1]! };
    if (rest[2] === 'pods' && rest.length === 3) return { resource: 'pods', namespace: rest[1]! };
    if (rest[2] === 'pods' && rest.length === 4)
      return { resource: 'pods', namespace: rest[1]!, name: rest[3]! };
  }
  return undefined;
}
