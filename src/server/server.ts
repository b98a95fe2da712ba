// The agent's HTTP(S) server: /metrics, /ready, /config, /targets, /service-discovery, /reload
// (Promtail's endpoints), every one under `server.http_path_prefix`, served over HTTPS (and
// mutual TLS) when `server.http_tls_config` or `-server.http-tls-*` give a certificate.

import { readFileSync } from 'node:fs';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer, type ServerOptions } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { ServerTlsConfig } from '../config/types.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { SourceStatus } from '../targets/source.js';
import type { TargetStatus } from '../types.js';
import { renderTargetsPage } from './pages.js';

export interface ServerDeps {
  metrics: Metrics;
  logger: Logger;
  /** Undefined when ready; otherwise what /ready answers with its 500. */
  notReady(): string | undefined;
  /** The effective config as YAML, secrets hidden. */
  configYaml(): string;
  targets(): TargetStatus[];
  /** The journal, syslog and push sources, shown on /targets after the file targets. */
  sources?(): SourceStatus[];
  /** Active streams per job (logferry_active_streams), shown by each job's heading on /targets. */
  activeStreams?(): ReadonlyMap<string, number>;
  /** Reloads the config file; resolves with the error when the new config was rejected. */
  reload(): Promise<string | undefined>;
  /** Extra pages (the service-discovery page), by path. */
  pages?: Record<string, () => string>;
  allowReload(): boolean;
  serveMetrics(): boolean;
  /** `server.http_path_prefix`: every route is served under it (e.g. `/promtail`). */
  pathPrefix?: string;
  /** Serve HTTPS with these settings. */
  tls?: ServerTlsConfig;
}

export interface HttpServer {
  readonly port: number;
  readonly address: string;
  close(): Promise<void>;
}

/** Promtail's /ready answers, word for word. */
export const readinessProbeFailure =
  'Not ready: Unable to find any logs to tail. Please verify permissions, volumes, scrape_config, etc.';
export const readinessProbeSuccess = 'Ready';

export async function startHttpServer(address: string, port: number, deps: ServerDeps): Promise<HttpServer> {
  const prefix = normalizePrefix(deps.pathPrefix ?? '');
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res, deps, prefix).catch((err: unknown) => {
      deps.logger.error('http handler failed', { path: req.url, err });
      if (!res.headersSent) send(res, 500, 'text/plain', 'internal error\n');
      else res.end();
    });
  };
  const server: Server = deps.tls
    ? createHttpsServer(httpsOptions(deps.tls), handler)
    : createHttpServer(handler);
  if (deps.tls) enforceClientAuth(server, deps.tls.clientAuthType, deps.logger);
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address || undefined, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const info = server.address() as AddressInfo;
  deps.logger.info('server listening', {
    address: `${info.address}:${info.port}`,
    ...(deps.tls ? { tls: true } : {}),
    ...(prefix ? { prefix } : {}),
  });
  return {
    port: info.port,
    address: info.address,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** `/promtail/` → `/promtail`; `promtail` → `/promtail`; `/` and `` → ``. */
export function normalizePrefix(prefix: string): string {
  const trimmed = prefix.replace(/\/+$/, '');
  if (trimmed === '') return '';
  return trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
}

function httpsOptions(tls: ServerTlsConfig): ServerOptions {
  const read = (file: string, what: string) => {
    try {
      return readFileSync(file);
    } catch (e) {
      throw new Error(`server.http_tls_config: cannot read the ${what} ${file}: ${(e as Error).message}`);
    }
  };
  const options: ServerOptions = {
    cert: tls.cert ?? read(tls.certFile!, 'certificate'),
    key: tls.key ?? read(tls.keyFile!, 'key'),
  };
  const ca = tls.clientCa ?? (tls.clientCaFile ? read(tls.clientCaFile, 'client CA') : undefined);
  if (ca) options.ca = ca;
  if (tls.minVersion) options.minVersion = nodeTlsVersion[tls.minVersion];
  if (tls.clientAuthType !== 'NoClientCert') {
    options.requestCert = true;
    // Only RequireAndVerifyClientCert makes the handshake itself fail; the others are checked
    // once it is done (enforceClientAuth), as Go's crypto/tls policies ask.
    options.rejectUnauthorized = tls.clientAuthType === 'RequireAndVerifyClientCert';
  }
  return options;
}

const nodeTlsVersion = {
  VersionTLS10: 'TLSv1',
  VersionTLS11: 'TLSv1.1',
  VersionTLS12: 'TLSv1.2',
  VersionTLS13: 'TLSv1.3',
} as const;

/** RequireAnyClientCert: some certificate; VerifyClientCertIfGiven: a given one must verify. */
function enforceClientAuth(server: Server, policy: ServerTlsConfig['clientAuthType'], logger: Logger): void {
  if (policy !== 'RequireAnyClientCert' && policy !== 'VerifyClientCertIfGiven') return;
  server.on('secureConnection', (socket: TLSSocket) => {
    const cert = socket.getPeerCertificate();
    const given = cert !== null && Object.keys(cert).length > 0;
    const refuse = policy === 'RequireAnyClientCert' ? !given : given && !socket.authorized;
    if (refuse) {
      logger.debug('refused a TLS client', {
        policy,
        reason: given ? String(socket.authorizationError) : 'no client certificate',
      });
      socket.destroy();
    }
  });
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  deps: ServerDeps,
  prefix: string,
): Promise<void> {
  const full = new URL(req.url ?? '/', 'http://localhost').pathname;
  if (prefix && full !== prefix && !full.startsWith(`${prefix}/`)) {
    return send(res, 404, 'text/plain', '404 page not found\n');
  }
  const path = full.slice(prefix.length) || '/';
  switch (path) {
    case '/metrics': {
      if (!deps.serveMetrics()) return send(res, 404, 'text/plain', 'metrics are disabled\n');
      const body = await deps.metrics.registry.metrics();
      return send(res, 200, deps.metrics.registry.contentType, body);
    }
    case '/ready': {
      const failure = deps.notReady();
      // As Go's http.Error and Promtail's ready handler write them.
      return failure === undefined
        ? send(res, 200, 'text/plain; charset=utf-8', readinessProbeSuccess)
        : send(res, 500, 'text/plain; charset=utf-8', `${failure}\n`);
    }
    case '/config':
      return send(res, 200, 'text/plain; charset=utf-8', deps.configYaml());
    case '/':
      res.writeHead(303, { Location: `${prefix}/targets`, 'Content-Length': 0 });
      res.end();
      return;
    case '/targets':
      return send(
        res,
        200,
        'text/html; charset=utf-8',
        renderTargetsPage(deps.targets(), deps.sources?.() ?? [], deps.activeStreams?.()),
      );
    case '/reload': {
      if (req.method !== 'POST' && req.method !== 'GET') return send(res, 405, 'text/plain', 'use POST\n');
      if (!deps.allowReload()) return send(res, 400, 'text/plain', 'runtime reload is disabled\n');
      const error = await deps.reload();
      return error === undefined
        ? send(res, 200, 'text/plain', 'config reloaded\n')
        : send(res, 500, 'text/plain', `failed to reload config: ${error}\n`);
    }
    default: {
      const page = deps.pages?.[path];
      if (page) return send(res, 200, 'text/html; charset=utf-8', page());
      return send(res, 404, 'text/plain', '404 page not found\n');
    }
  }
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}
