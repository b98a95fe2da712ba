// The `loki_push_api` source: its own HTTP listener taking Loki pushes (POST /loki/api/v1/push),
// plain lines (POST /promtail/api/v1/raw) and readiness probes (GET /ready), as Promtail's push
// target does. Pushed labels, the job's `labels` and `relabel_configs` combine as in Promtail.
//
// Pushes are answered once their entries are handed to the job's pipeline, as Promtail answers
// once they are on its channel: a 204 means "taken", not "stored in Loki". There is no position
// to keep; each entry's delivery only weighs it in the in-flight budget until the clients release
// it, and while the budget is full pushes are refused with 429 (senders back off and retry)
// instead of taking more memory. Request bodies are bounded too: each by `max_send_msg_size`,
// all together (while being read) by the same figure.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BudgetDelivery, InFlightBudget } from '../../positions/acks.js';
import { relabel } from '../../relabel/relabel.js';
import { timerDelay } from '../../timers.js';
import type { Entry, LabelSet } from '../../types.js';
import { nowNanos } from '../../types.js';
import type { SourceContext, SourceStatus } from '../source.js';
import type { PushConfig } from './config.js';
import { decodeLokiPush, entryOverhead, PushError, type PushedStream } from './decode.js';
import { type PushMetrics, pushMetrics } from './metrics.js';

const lokiPushPath = '/loki/api/v1/push';
const rawPushPath = '/promtail/api/v1/raw';
const readyPath = '/ready';

/** Route label values as dskit derives them from the path template. */
const routeNames: Record<string, string> = {
  [lokiPushPath]: 'loki_api_v1_push',
  [rawPushPath]: 'promtail_api_v1_raw',
  [readyPath]: 'ready',
};

export class PushTarget {
  private server: Server | undefined;
  private listening = false;
  private address = '';
  private boundPort = 0;
  /** Bytes of request bodies being read now, over every connection. */
  private bodyBytes = 0;
  private readonly metrics: PushMetrics;
  private readonly budget: InFlightBudget;
  private readonly counts = { requests: 0, entries: 0, refused: 0 };
  private readonly active = new Set<ServerResponse>();

  constructor(
    private readonly config: PushConfig,
    private readonly ctx: SourceContext,
    budget?: InFlightBudget,
  ) {
    this.budget = budget ?? new InFlightBudget();
    this.metrics = pushMetrics(ctx.metrics, ctx.jobName);
  }

  /** The port listened on (the chosen one when the config says 0). */
  get port(): number {
    return this.boundPort;
  }

  async start(): Promise<void> {
    const cfg = this.config;
    const log = this.ctx.logger;
    log.info('starting push server', { job: this.ctx.jobName });
    if (cfg.ignoredServerKeys.length > 0) {
      log.info('loki_push_api server keys accepted and ignored (no gRPC server, no instrumentation there)', {
        job: this.ctx.jobName,
        keys: cfg.ignoredServerKeys.join(','),
      });
    }
    const timeout = cfg.readTimeoutMs;
    const server = createServer(
      {
        requestTimeout: timeout,
        headersTimeout: timeout > 0 ? timeout : 60_000,
        keepAliveTimeout: cfg.idleTimeoutMs,
        // Node checks request timeouts on this period; the default 30s would let a slow body
        // hold its connection for the read timeout plus up to 30s.
        connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor((timeout || 60_000) / 4))),
      },
      (req, res) => this.onRequest(req, res),
    );
    // Malformed requests and the read timeout (a body that never ends): answered and closed.
    server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
      if (!socket.writable) return socket.destroy();
      const status = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(cfg.httpListenPort, cfg.httpListenAddress || undefined, () => {
        server.off('error', reject);
        resolve();
      });
    }).catch((err: Error) => {
      throw new Error(
        `job ${this.ctx.jobName}: loki_push_api cannot listen on ${cfg.httpListenAddress || '*'}:${cfg.httpListenPort}: ${err.message}`,
      );
    });
    server.on('error', (err) => log.error('push server error', { job: this.ctx.jobName, err }));
    const info = server.address() as AddressInfo;
    this.server = server;
    this.listening = true;
    this.boundPort = info.port;
    this.address = `${info.address}:${info.port}`;
    log.info('push server listening', { job: this.ctx.jobName, address: this.address });
  }

  /**
   * Stops listening; requests in progress may finish within `graceful_shutdown_timeout`, then
   * their connections are closed. Entries already handed on stay in flight.
   */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    this.listening = false;
    this.ctx.logger.info('stopping push server', { job: this.ctx.jobName });
    await new Promise<void>((resolve) => {
      const timer = setTimeout(
        () => server.closeAllConnections(),
        timerDelay(this.config.gracefulShutdownTimeoutMs),
      );
      server.close(() => {
        clearTimeout(timer);
        resolve();
      });
      server.closeIdleConnections();
      if (this.active.size === 0) server.closeAllConnections();
    });
  }

  status(): SourceStatus {
    return {
      job: this.ctx.jobName,
      kind: 'push',
      ready: this.listening,
      labels: this.config.labels,
      details: {
        listen: this.address,
        requests: this.counts.requests,
        entries: this.counts.entries,
        refused: this.counts.refused,
        in_flight_bytes: this.budget.bytes,
        reading_bytes: this.bodyBytes,
      },
    };
  }

  // --- requests ------------------------------------------------------------------------------

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const started = process.hrtime.bigint();
    this.active.add(res);
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    let path = q < 0 ? url : url.slice(0, q);
    const prefix = this.config.httpPathPrefix;
    if (prefix !== '') path = path.startsWith(prefix) ? path.slice(prefix.length) : '';
    const route = Object.hasOwn(routeNames, path) ? routeNames[path] : undefined;
    res.on('close', () => {
      this.active.delete(res);
      const status = String(res.statusCode);
      this.counts.requests++;
      if (res.statusCode >= 400) this.counts.refused++;
      const routeLabel = route ?? 'notfound';
      this.metrics.requests.inc({ job: this.ctx.jobName, route: routeLabel, status_code: status });
      this.metrics.duration?.observe(
        { method: req.method ?? '', route: routeLabel, status_code: status, ws: 'false' },
        Number(process.hrtime.bigint() - started) / 1e9,
      );
    });
    if (route === undefined) {
      send(res, 404, '404 page not found\n');
      return;
    }
    const method = path === readyPath ? 'GET' : 'POST';
    if (req.method !== method) {
      send(res, 405, '');
      return;
    }
    if (path === readyPath) {
      send(res, 200, 'ready');
      return;
    }
    this.receive(req, res, path === lokiPushPath);
  }

  /** Reads a push body within the limits, then hands it to the decoder. */
  private receive(req: IncomingMessage, res: ServerResponse, loki: boolean): void {
    const max = this.config.maxSendMsgSize;
    if (this.budget.full) {
      refuse(res, 429, 'too many entries in flight; retry later\n');
      return;
    }
    const declared = Number(req.headers['content-length'] ?? Number.NaN);
    if (declared > max) {
      refuse(res, 413, `request body of ${declared} bytes is larger than max_send_msg_size (${max})\n`);
      return;
    }
    if (!Number.isNaN(declared) && this.bodyBytes + declared > max) {
      refuse(res, 429, 'too many request bodies being read; retry later\n');
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let held = 0;
    let done = false;
    const finish = () => {
      if (done) return false;
      done = true;
      this.bodyBytes -= held;
      held = 0;
      return true;
    };
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > max) {
        finish();
        chunks.length = 0;
        refuse(res, 413, `request body is larger than max_send_msg_size (${max})\n`);
        return;
      }
      if (this.bodyBytes + chunk.length > max) {
        finish();
        chunks.length = 0;
        refuse(res, 429, 'too many request bodies being read; retry later\n');
        return;
      }
      this.bodyBytes += chunk.length;
      held += chunk.length;
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!finish()) return;
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
      chunks.length = 0;
      if (loki) {
        this.handleLoki(req, res, body).catch((err: unknown) => this.failed(res, err));
      } else {
        try {
          this.handleRaw(res, body);
        } catch (err) {
          this.failed(res, err);
        }
      }
    });
    // A client that went away, or a body cut off by the read timeout.
    req.on('close', () => {
      if (finish()) chunks.length = 0;
    });
    req.on('error', () => {});
  }

  private async handleLoki(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    let streams: PushedStream[];
    try {
      streams = await decodeLokiPush(body, req.headers['content-type'], req.headers['content-encoding'], {
        maxBytes: this.config.maxSendMsgSize,
        timestamps: this.config.useIncomingTimestamp,
      });
    } catch (err) {
      if (!(err instanceof PushError)) throw err;
      this.ctx.logger.warn('failed to parse incoming push request', {
        job: this.ctx.jobName,
        err: err.message,
      });
      send(res, err.status, `${err.message}\n`);
      return;
    }
    const sink = this.ctx.sink;
    const useIncoming = this.config.useIncomingTimestamp;
    let n = 0;
    for (const stream of streams) {
      const labels = this.streamLabels(stream.labels);
      // Promtail answers 204 at the first stream that relabeling drops, without handing on the
      // streams after it; kept so that the same pushes give Loki the same entries.
      if (labels === null) break;
      for (const e of stream.entries) {
        const sm = e.structuredMetadata;
        let weight = entryOverhead + e.line.length;
        if (sm !== undefined) for (const k in sm) weight += k.length + sm[k]!.length;
        const timestamp = useIncoming ? e.timestamp : nowNanos();
        const delivery = new BudgetDelivery(this.budget, weight);
        // Two literal shapes (the tailer's, and with structuredMetadata) keep entries fast objects.
        const entry: Entry =
          sm === undefined
            ? { labels, timestamp, line: e.line, extracted: {}, delivery }
            : { labels, timestamp, line: e.line, extracted: {}, structuredMetadata: sm, delivery };
        sink(entry);
        n++;
      }
    }
    this.counted(n);
    send(res, 204, '');
  }

  /**
   * Pushed labels (empty values dropped, as Prometheus's label builder does), then the job's
   * `labels` over them (an empty value removes the label), then relabel_configs, then every
   * `__` label removed. Null when relabeling drops the stream or leaves no label.
   */
  private streamLabels(pushed: LabelSet): LabelSet | null {
    const combined: LabelSet = {};
    for (const name in pushed) if (pushed[name] !== '') combined[name] = pushed[name]!;
    const own = this.config.labels;
    for (const name in own) {
      if (own[name] === '') delete combined[name];
      else combined[name] = own[name]!;
    }
    const processed = relabel(combined, this.ctx.relabelConfigs);
    if (processed === null) return null;
    const out: LabelSet = {};
    let any = false;
    for (const name in processed) {
      any = true;
      if (!name.startsWith('__')) out[name] = processed[name]!;
    }
    return any ? out : null;
  }

  /**
   * Newline-separated lines, each an entry with the job's `labels` only (no relabeling, as in
   * Promtail) and the time of receipt; trailing `\r`/`\n` trimmed, empty lines skipped.
   */
  private handleRaw(res: ServerResponse, body: Buffer): void {
    const labels = this.config.labels;
    const sink = this.ctx.sink;
    let n = 0;
    let start = 0;
    while (start < body.length) {
      let nl = body.indexOf(10, start);
      if (nl < 0) nl = body.length;
      let end = nl;
      while (end > start && (body[end - 1] === 13 || body[end - 1] === 10)) end--;
      if (end > start) {
        const line = body.toString('utf8', start, end);
        sink({
          labels,
          timestamp: nowNanos(),
          line,
          extracted: {},
          delivery: new BudgetDelivery(this.budget, entryOverhead + line.length),
        });
        n++;
      }
      start = nl + 1;
    }
    this.counted(n);
    send(res, 204, '');
  }

  private counted(n: number): void {
    this.counts.entries += n;
    if (n > 0) this.metrics.entries.inc({ job: this.ctx.jobName }, n);
  }

  private failed(res: ServerResponse, err: unknown): void {
    this.ctx.logger.error('push request failed', { job: this.ctx.jobName, err });
    if (!res.headersSent) send(res, 500, 'internal error\n');
    else res.end();
  }
}

function send(res: ServerResponse, status: number, body: string): void {
  if (res.headersSent) return;
  if (body === '') {
    res.writeHead(status);
    res.end();
    return;
  }
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}

/** Answers without reading (the rest of) the body, and closes the connection after the answer. */
function refuse(res: ServerResponse, status: number, body: string): void {
  if (res.headersSent) return;
  res.shouldKeepAlive = false;
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    Connection: 'close',
  });
  res.end(body);
}
