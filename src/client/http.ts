// The HTTP transport of a Loki client: the request headers (tenant, custom headers,
// credentials read again before each request), the undici dispatcher (keep-alive, TLS, proxy),
// and one POST of a push body with its timeout, reporting the status or the error as Promtail
// logs it (the first line of at most 1 KiB of the response body).

import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Agent, type Dispatcher, ProxyAgent, request } from 'undici';
import { redactUrl } from '../config/redact-url.js';
import type { ClientConfig } from '../config/types.js';
import type { Logger } from '../log.js';
import { RequestDeadline } from './deadline.js';

/** Promtail truncates the response body it logs to this many bytes. */
const maxErrorBody = 1024;

/** Outcome of one HTTP attempt; status -1 when no response came (as Promtail reports it). */
export interface Attempt {
  status: number;
  error: string | undefined;
}

/** POSTs push bodies to one Loki URL. */
export class PushTransport {
  private readonly url: string;
  private readonly baseHeaders: Record<string, string>;
  private readonly headersByTenant = new Map<string, Record<string, string>>();
  private readonly credentials: Credentials | undefined;
  private readonly dispatcher: Dispatcher;

  constructor(
    private readonly cfg: ClientConfig,
    url: URL,
    version: string,
    log: Logger,
    /** Aborts the request in flight when the client stops. */
    private readonly abort: AbortSignal,
  ) {
    this.url = cfg.url;
    this.baseHeaders = {
      'content-type': 'application/x-protobuf',
      'user-agent': `logferry/${version}`,
    };
    for (const [name, value] of Object.entries(cfg.headers ?? {})) {
      const lower = name.toLowerCase();
      // As Promtail: a custom header never replaces one the client sets itself.
      if (lower in this.baseHeaders || lower === 'x-scope-orgid') {
        log.warn('custom header key already exists, skipping', { key: name });
        continue;
      }
      this.baseHeaders[lower] = value;
    }
    this.credentials = 'authorization' in this.baseHeaders ? undefined : loadCredentials(cfg, log);
    this.dispatcher = createDispatcher(cfg, url);
  }

  async post(tenant: string, body: Buffer): Promise<Attempt> {
    let headers = this.headersByTenant.get(tenant);
    if (headers === undefined) {
      headers = { ...this.baseHeaders };
      // An empty tenant means single-tenant Loki: no header at all.
      if (tenant !== '') headers['x-scope-orgid'] = tenant;
      this.headersByTenant.set(tenant, headers);
    }
    if (this.credentials !== undefined) {
      headers = { ...headers, authorization: await this.credentials.authorization() };
    }
    // Covers the whole exchange, the response body included; cleared in `finally`.
    const deadline = new RequestDeadline(this.abort, this.cfg.timeoutMs);
    try {
      const res = await request(this.url, {
        method: 'POST',
        headers,
        body,
        signal: deadline.signal,
        dispatcher: this.dispatcher,
      });
      if (res.statusCode >= 200 && res.statusCode < 300) {
        await res.body.dump();
        return { status: res.statusCode, error: undefined };
      }
      const text = await readLimited(res.body, maxErrorBody);
      const firstLine = text.split('\n', 1)[0] ?? '';
      return { status: res.statusCode, error: `server returned HTTP status ${res.statusCode}: ${firstLine}` };
    } catch (err) {
      const e = err as Error & { code?: string };
      if (deadline.timedOut) return { status: -1, error: `timeout after ${this.cfg.timeoutMs}ms` };
      return { status: -1, error: e.code ? `${e.message} (${e.code})` : e.message };
    } finally {
      deadline.done();
    }
  }
  /** Closes the connections. */
  async close(): Promise<void> {
    await this.dispatcher.close().catch(() => {});
  }
}

async function readLimited(
  body: AsyncIterable<Buffer> & { dump(): Promise<void> },
  limit: number,
): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= limit) break;
  }
  await body.dump().catch(() => {});
  return Buffer.concat(chunks).subarray(0, limit).toString('utf8');
}

interface Credentials {
  authorization(): Promise<string>;
}

/**
 * basic_auth and bearer_token(_file). Files are read at start (so a missing file fails the
 * config load) and again before each request, as Prometheus's HTTP client does, so rotated
 * credentials (projected service account tokens) are picked up; a failed re-read keeps the
 * last value.
 */
function loadCredentials(cfg: ClientConfig, log: Logger): Credentials | undefined {
  const auth = cfg.basicAuth;
  const bearerSet = cfg.bearerToken !== undefined || cfg.bearerTokenFile !== undefined;
  if (auth && bearerSet) {
    throw new Error(
      `clients (${redactUrl(cfg.url)}): at most one of basic_auth, bearer_token & bearer_token_file must be configured`,
    );
  }
  if (cfg.bearerToken !== undefined && cfg.bearerTokenFile !== undefined) {
    throw new Error(
      `clients (${redactUrl(cfg.url)}): at most one of bearer_token & bearer_token_file must be configured`,
    );
  }
  if (auth?.password !== undefined && auth.passwordFile !== undefined) {
    throw new Error(
      `clients (${redactUrl(cfg.url)}): at most one of basic_auth password & password_file must be configured`,
    );
  }
  const fromFile = (file: string, what: string, render: (secret: string) => string): Credentials => {
    let current: string;
    try {
      current = render(readFileSync(file, 'utf8').trim());
    } catch (err) {
      throw new Error(
        `clients (${redactUrl(cfg.url)}): cannot read ${what} ${file}: ${(err as Error).message}`,
      );
    }
    return {
      async authorization() {
        try {
          current = render((await readFile(file, 'utf8')).trim());
        } catch (err) {
          log.warn(`cannot re-read ${what}, using the last value`, { file, error: err as Error });
        }
        return current;
      },
    };
  };
  const fixed = (value: string): Credentials => ({ authorization: async () => value });
  if (auth) {
    const basic = (password: string) =>
      `Basic ${Buffer.from(`${auth.username}:${password}`, 'utf8').toString('base64')}`;
    if (auth.passwordFile !== undefined)
      return fromFile(auth.passwordFile, 'basic_auth password_file', basic);
    return fixed(basic(auth.password ?? ''));
  }
  if (cfg.bearerTokenFile !== undefined) {
    return fromFile(cfg.bearerTokenFile, 'bearer_token_file', (t) => `Bearer ${t}`);
  }
  if (cfg.bearerToken !== undefined) return fixed(`Bearer ${cfg.bearerToken}`);
  return undefined;
}

function createDispatcher(cfg: ClientConfig, url: URL): Dispatcher {
  const tls = cfg.tls;
  const read = (file: string | undefined, what: string): Buffer | undefined => {
    if (file === undefined) return undefined;
    try {
      return readFileSync(file);
    } catch (err) {
      throw new Error(
        `clients (${redactUrl(cfg.url)}): cannot read tls_config ${what} ${file}: ${(err as Error).message}`,
      );
    }
  };
  if ((tls?.certFile === undefined) !== (tls?.keyFile === undefined)) {
    throw new Error(
      `clients (${redactUrl(cfg.url)}): tls_config needs both cert_file and key_file, or neither`,
    );
  }
  const connect = {
    ca: read(tls?.caFile, 'ca_file'),
    cert: read(tls?.certFile, 'cert_file'),
    key: read(tls?.keyFile, 'key_file'),
    servername: tls?.serverName || undefined,
    rejectUnauthorized: !(tls?.insecureSkipVerify ?? false),
  };
  const common = { keepAliveTimeout: 30_000, keepAliveMaxTimeout: 90_000 };
  if (cfg.proxyUrl) {
    // As Go's transport: CONNECT tunnels for https targets, absolute-form requests for http.
    return new ProxyAgent({
      ...common,
      uri: cfg.proxyUrl,
      requestTls: connect,
      proxyTunnel: url.protocol === 'https:',
    });
  }
  return new Agent({ ...common, connect });
}
