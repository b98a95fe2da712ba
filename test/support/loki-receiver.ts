// A real Loki push endpoint for tests: a node:http(s) server on 127.0.0.1 that decodes
// POST /loki/api/v1/push the way Loki's distributor does (snappy block + logproto protobuf, or
// JSON, optionally gzip/deflate), records what it accepted, and answers as scripted (500s, 429s,
// delays, 400 with a body, dropped connections) so clients can be tested against real HTTP.

import { EventEmitter } from 'node:events';
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import zlib from 'node:zlib';
import protobuf from 'protobufjs/minimal.js';
import snappy from 'snappyjs';
import { parseLabels } from '../../src/targets/push/labels.js';
import type { LabelSet } from '../../src/types.js';

// The labels parser is the push source's (Prometheus's ParseMetric, as Loki and Promtail use it).
export { parseLabels };

export const pushPath = '/loki/api/v1/push';

export interface DecodedEntry {
  /** Unix nanoseconds, exactly as sent. */
  timestamp: bigint;
  line: string;
  /** Empty object when the entry carries none. */
  structuredMetadata: LabelSet;
}

export interface DecodedStream {
  labels: LabelSet;
  /** The labels string as sent (`{a="b", c="d"}`); for JSON, as Loki would print it. */
  labelsString: string;
  entries: DecodedEntry[];
  /** The protobuf `hash` field (0 when absent or JSON). */
  hash: bigint;
}

export interface DecodedPush {
  streams: DecodedStream[];
}

/** One request the receiver answered, whatever it answered. */
export interface ReceivedRequest {
  index: number;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** `X-Scope-OrgID`, if sent. */
  tenant: string | undefined;
  /** Size of the body on the wire (compressed). */
  bodyBytes: number;
  /** Undefined when the body could not be decoded (then status is 400 and `error` says why). */
  push: DecodedPush | undefined;
  error: string | undefined;
  status: number;
  /** Common name of the client certificate, when the receiver asked for one (tls.requestCert). */
  clientCertificateCN: string | undefined;
}

/** A flattened accepted entry. */
export interface ReceivedEntry extends DecodedEntry {
  labels: LabelSet;
  labelsString: string;
  tenant: string | undefined;
}

/** How to answer one request. `destroy` drops the connection without an answer. */
export interface Reply {
  status?: number;
  body?: string;
  headers?: Record<string, string>;
  delayMs?: number;
  destroy?: boolean;
}

/** Decides a reply from a decoded request; undefined falls through to 204. */
export type Responder = (req: ReceivedRequest) => Reply | undefined;

export interface ReceiverOptions {
  /** Serve HTTPS with this key and certificate (PEM). */
  tls?: {
    key: string | Buffer;
    cert: string | Buffer;
    /** Ask for a client certificate and accept only those signed by `ca`. */
    requestCert?: boolean;
    ca?: string | Buffer;
  };
  /** Port to listen on; 0 (default) picks a free one. Reuse a closed receiver's port to test reconnects. */
  port?: number;
  responder?: Responder;
}

export interface LokiReceiver {
  /** The full push URL, e.g. http://127.0.0.1:40123/loki/api/v1/push. */
  url: string;
  port: number;
  /** Every request answered, in order of arrival. */
  requests: ReceivedRequest[];
  /** Requests whose body has arrived, answered or not yet (a delayed reply). */
  arrived(): number;
  /** Requests answered with 2xx: what Loki would have stored. */
  pushes(): ReceivedRequest[];
  /** Every accepted entry, flattened, in order of arrival. */
  entries(): ReceivedEntry[];
  /** Queues replies for the next requests (after decoding; undecodable bodies always get 400). */
  respond(...replies: Reply[]): void;
  /** Answers with this reply for the next `count` requests. */
  respondTimes(count: number, reply: Reply): void;
  /** Replaces the responder used when the queue is empty. */
  setResponder(responder: Responder | undefined): void;
  /**
   * Resolves once `predicate` holds, checked now and after every request; rejects after
   * `timeoutMs` with what was received so far.
   */
  waitFor(predicate: (r: LokiReceiver) => boolean, timeoutMs?: number): Promise<void>;
  /** Resolves once at least `count` entries were accepted. */
  waitForEntries(count: number, timeoutMs?: number): Promise<ReceivedEntry[]>;
  close(): Promise<void>;
}

/**
 * The default limit of waitFor: it only ends a test that is failing, so it is generous; a loaded
 * 2-core CI machine can take many seconds to start an agent. A test that checks something does
 * not arrive passes its own, short, limit.
 */
const waitLimitMs = 60_000;

export async function startLokiReceiver(opts: ReceiverOptions = {}): Promise<LokiReceiver> {
  const requests: ReceivedRequest[] = [];
  const accepted: ReceivedEntry[] = [];
  const queue: Reply[] = [];
  const events = new EventEmitter();
  events.setMaxListeners(0);
  let responder = opts.responder;

  let arrived = 0;
  const delayed = new Set<NodeJS.Timeout>();
  const handle = (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    arrived++;
    const path = (req.url ?? '/').split('?')[0]!;
    const tenantHeader = req.headers['x-scope-orgid'];
    const record: ReceivedRequest = {
      index: requests.length,
      method: req.method ?? '',
      path,
      headers: req.headers,
      tenant: Array.isArray(tenantHeader) ? tenantHeader[0] : tenantHeader,
      bodyBytes: body.length,
      push: undefined,
      error: undefined,
      status: 0,
      clientCertificateCN: clientCN(req),
    };
    let reply: Reply;
    if (path !== pushPath) {
      reply = { status: 404, body: '404 page not found\n' };
    } else if (req.method !== 'POST') {
      reply = { status: 405, body: 'method not allowed\n' };
    } else {
      try {
        record.push = decodeRequestBody(req, body);
      } catch (err) {
        record.error = (err as Error).message;
      }
      if (record.push === undefined) reply = { status: 400, body: `${record.error}\n` };
      else reply = queue.shift() ?? responder?.(record) ?? { status: 204 };
    }
    const status = reply.status ?? 204;
    const finish = () => {
      if (reply.destroy) {
        record.status = 0;
        requests.push(record);
        req.socket.destroy();
        events.emit('request');
        return;
      }
      record.status = status;
      requests.push(record);
      if (status >= 200 && status < 300 && record.push) {
        for (const s of record.push.streams) {
          for (const e of s.entries) {
            accepted.push({ ...e, labels: s.labels, labelsString: s.labelsString, tenant: record.tenant });
          }
        }
      }
      res.writeHead(status, reply.headers);
      res.end(status === 204 ? undefined : reply.body);
      events.emit('request');
    };
    if (reply.delayMs) {
      const timer = setTimeout(() => {
        delayed.delete(timer);
        finish();
      }, reply.delayMs);
      delayed.add(timer);
      events.emit('request');
    } else finish();
  };

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks)));
    req.on('error', () => {});
  };
  const server = opts.tls
    ? https.createServer({ ...opts.tls, rejectUnauthorized: opts.tls.requestCert ?? false }, listener)
    : http.createServer(listener);
  // Keep-alive connections idle in a client's pool must not hold close() up.
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  const self: LokiReceiver = {
    url: `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}${pushPath}`,
    port,
    requests,
    arrived: () => arrived,
    pushes: () => requests.filter((r) => r.status >= 200 && r.status < 300),
    entries: () => accepted,
    respond: (...replies) => {
      queue.push(...replies);
    },
    respondTimes: (count, reply) => {
      for (let i = 0; i < count; i++) queue.push(reply);
    },
    setResponder: (r) => {
      responder = r;
    },
    waitFor: (predicate, timeoutMs = waitLimitMs) =>
      new Promise<void>((resolve, reject) => {
        if (predicate(self)) return resolve();
        const check = () => {
          if (!predicate(self)) return;
          cleanup();
          resolve();
        };
        const timer = setTimeout(() => {
          cleanup();
          const statuses = requests.map((r) => r.status).join(',');
          reject(
            new Error(
              `Loki receiver: condition not met within ${timeoutMs}ms ` +
                `(${requests.length} requests [statuses ${statuses}], ${accepted.length} entries accepted)`,
            ),
          );
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          events.off('request', check);
        };
        events.on('request', check);
      }),
    waitForEntries: async (count, timeoutMs) => {
      await self.waitFor(() => accepted.length >= count, timeoutMs);
      return accepted;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of delayed) clearTimeout(t);
        delayed.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  return self;
}

function clientCN(req: IncomingMessage): string | undefined {
  const socket = req.socket as TLSSocket;
  if (typeof socket.getPeerCertificate !== 'function') return undefined;
  const cn = socket.getPeerCertificate()?.subject?.CN;
  return Array.isArray(cn) ? cn[0] : cn || undefined;
}

function headerValue(v: string | string[] | undefined): string {
  return (Array.isArray(v) ? v[0] : v) ?? '';
}

/** decodePushRequest of the body of `req`, by its Content-Type and Content-Encoding headers. */
export function decodeRequestBody(req: IncomingMessage, body: Buffer): DecodedPush {
  return decodePushRequest(
    body,
    headerValue(req.headers['content-type']),
    headerValue(req.headers['content-encoding']),
  );
}

/**
 * Decodes a push body as Loki does: a Content-Encoding of gzip or deflate is undone first
 * (snappy or none: as is; anything else is refused), then `application/json` is read as JSON
 * and anything else as snappy-block-compressed protobuf. Throws with Loki-like messages on bad
 * bodies and on streams whose labels do not parse or are empty.
 */
export function decodePushRequest(body: Buffer, contentType: string, contentEncoding = ''): DecodedPush {
  const enc = contentEncoding.trim().toLowerCase();
  let raw: Buffer;
  try {
    if (enc === 'gzip') raw = zlib.gunzipSync(body);
    else if (enc === 'deflate') raw = zlib.inflateRawSync(body);
    else if (enc === '' || enc === 'snappy') raw = body;
    else throw new Error(`Content-Encoding "${contentEncoding}" not supported`);
  } catch (err) {
    throw new Error(`decoding body: ${(err as Error).message}`);
  }
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  if (type === 'application/json') return decodeJsonPush(raw.toString('utf8'));
  let proto: Buffer;
  try {
    proto = snappy.uncompress(raw);
  } catch (err) {
    throw new Error(`snappy decode error: ${(err as Error).message}`);
  }
  return decodeProtoPush(proto);
}

function decodeJsonPush(text: string): DecodedPush {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new Error(`JSON decode error: ${(err as Error).message}`);
  }
  const streamsRaw = (doc as { streams?: unknown }).streams;
  if (!Array.isArray(streamsRaw)) throw new Error('JSON push: "streams" must be an array');
  const streams: DecodedStream[] = [];
  for (const s of streamsRaw as { stream?: unknown; values?: unknown }[]) {
    const labels = stringMap(s.stream, 'stream');
    const labelsString = formatLabels(labels);
    if (Object.keys(labels).length === 0) throw new Error(missingLabels);
    if (!Array.isArray(s.values)) throw new Error('JSON push: "values" must be an array');
    const entries: DecodedEntry[] = [];
    for (const v of s.values as unknown[]) {
      if (!Array.isArray(v) || v.length < 2 || v.length > 3) {
        throw new Error('JSON push: each value must be [timestamp, line] or [timestamp, line, metadata]');
      }
      if (typeof v[0] !== 'string' || !/^-?\d+$/.test(v[0])) {
        throw new Error(`JSON push: timestamp ${JSON.stringify(v[0])} is not a string of Unix nanoseconds`);
      }
      if (typeof v[1] !== 'string') throw new Error('JSON push: line must be a string');
      entries.push({
        timestamp: BigInt(v[0]),
        line: v[1],
        structuredMetadata: v.length === 3 ? stringMap(v[2], 'structured metadata') : {},
      });
    }
    streams.push({ labels, labelsString, entries, hash: 0n });
  }
  return { streams };
}

function stringMap(v: unknown, what: string): LabelSet {
  if (v === null || typeof v !== 'object' || Array.isArray(v))
    throw new Error(`JSON push: ${what} must be an object`);
  const out: LabelSet = {};
  for (const [k, val] of Object.entries(v)) {
    if (typeof val !== 'string') throw new Error(`JSON push: ${what} value of ${k} must be a string`);
    out[k] = val;
  }
  return out;
}

const missingLabels = 'error at least one label pair is required per stream';

function decodeProtoPush(buf: Uint8Array): DecodedPush {
  const r = protobuf.Reader.create(buf);
  const streams: DecodedStream[] = [];
  try {
    while (r.pos < r.len) {
      const tag = r.uint32();
      if (tag >>> 3 === 1 && (tag & 7) === 2) {
        const len = r.uint32();
        streams.push(decodeStream(r, r.pos + len));
      } else r.skipType(tag & 7);
    }
  } catch (err) {
    if (
      (err as Error).message.startsWith('error parsing labels') ||
      (err as Error).message === missingLabels
    ) {
      throw err;
    }
    throw new Error(`protobuf decode error: ${(err as Error).message}`);
  }
  return { streams };
}

function decodeStream(r: protobuf.Reader, end: number): DecodedStream {
  let labelsString = '';
  let hash = 0n;
  const entries: DecodedEntry[] = [];
  while (r.pos < end) {
    const tag = r.uint32();
    const field = tag >>> 3;
    if (field === 1 && (tag & 7) === 2) labelsString = r.string();
    else if (field === 2 && (tag & 7) === 2) {
      const len = r.uint32();
      entries.push(decodeEntry(r, r.pos + len));
    } else if (field === 3 && (tag & 7) === 0) hash = longToBigInt(r.uint64(), false);
    else r.skipType(tag & 7);
  }
  const labels = parseLabels(labelsString);
  if (Object.keys(labels).length === 0) throw new Error(missingLabels);
  return { labels, labelsString, entries, hash };
}

function decodeEntry(r: protobuf.Reader, end: number): DecodedEntry {
  let seconds = 0n;
  let nanos = 0;
  let line = '';
  const structuredMetadata: LabelSet = {};
  while (r.pos < end) {
    const tag = r.uint32();
    const field = tag >>> 3;
    if (field === 1 && (tag & 7) === 2) {
      const tsEnd = r.uint32() + r.pos;
      while (r.pos < tsEnd) {
        const t = r.uint32();
        if (t >>> 3 === 1 && (t & 7) === 0) seconds = longToBigInt(r.int64(), true);
        else if (t >>> 3 === 2 && (t & 7) === 0) nanos = r.int32();
        else r.skipType(t & 7);
      }
    } else if (field === 2 && (tag & 7) === 2) line = r.string();
    else if (field === 3 && (tag & 7) === 2) {
      const pairEnd = r.uint32() + r.pos;
      let name = '';
      let value = '';
      while (r.pos < pairEnd) {
        const t = r.uint32();
        if (t >>> 3 === 1 && (t & 7) === 2) name = r.string();
        else if (t >>> 3 === 2 && (t & 7) === 2) value = r.string();
        else r.skipType(t & 7);
      }
      structuredMetadata[name] = value;
    } else r.skipType(tag & 7);
  }
  return { timestamp: seconds * 1_000_000_000n + BigInt(nanos), line, structuredMetadata };
}

/** protobufjs returns a Long (when `long` is installed) or a number for 64-bit fields. */
function longToBigInt(v: unknown, signed: boolean): bigint {
  if (typeof v === 'number') return BigInt(v);
  const l = v as { low: number; high: number };
  const u = (BigInt(l.high >>> 0) << 32n) | BigInt(l.low >>> 0);
  return signed ? BigInt.asIntN(64, u) : u;
}

/** Prints labels as Loki does (sorted, values JSON-quoted); only for JSON pushes' `labelsString`. */
function formatLabels(labels: LabelSet): string {
  const names = Object.keys(labels).sort();
  return `{${names.map((n) => `${n}=${JSON.stringify(labels[n])}`).join(', ')}}`;
}
